//! `linli-bench`: proves the full middleware stack costs little by measuring it against an
//! anchor in the same process and the same run, and printing the ratio. No figure is compared
//! with a number from another run or machine, and nothing here is a timed test.
//!
//! Usage: `scripts/bench` (which runs `cargo run --release -p linli-bench`). Knobs, all
//! optional environment variables:
//! `BENCH_CONNECTIONS` (default 32), `BENCH_REQUESTS` per run (default 60000),
//! `BENCH_ROUNDS` (default 5, every section), `BENCH_STORE_OPS` per run of the store pair
//! (default 1000, 0 skips it), `BENCH_TRACING=off` to serve without the production tracing
//! subscriber, `BENCH_BREAKDOWN=1` to add a middle side to the HTTP pair and the search pair
//! (see below);
//! `BENCH_BOOKING=0` skips the booking section, `BENCH_BOOKING_CONNECTIONS` (default 64) and
//! `BENCH_BOOKING_ORDERS` per run and side (default 3200) size it, `BENCH_PG_POOL` (default 8, the
//! server's `db_max_connections`) sizes the PostgreSQL store's pool;
//! `BENCH_MONEY=0` skips the payment section, `BENCH_MONEY_CONNECTIONS` (default 64) and
//! `BENCH_MONEY_PAYMENTS` notifications per run and side (default 1280) size it;
//! `BENCH_SEARCH=0` skips the search section, `BENCH_SEARCH_DOCS` listings it generates
//! (default 100000), `BENCH_SEARCH_WORKERS` concurrent workers per side (default 8),
//! `BENCH_SEARCH_REQUESTS` most requests per run and side (default 2400; a run also stops
//! starting requests after 3 s). To look at the search section, `BENCH_REQUESTS=2000
//! BENCH_STORE_OPS=0 scripts/bench` keeps the other pairs short; `BENCH_SEARCH_DOCS=20000`
//! makes the search section itself take about 30 s instead of about 160 s (two cores).
//!
//! What it measures:
//!
//! 1. HTTP pair. Anchor: a bare `axum::Router` with `GET /healthz → "ok"`. Subject: the full
//!    Linli router (`linli_web::router`: request id, tracing span, panic catcher, security
//!    headers, metrics, body limit, session/actor resolution, CSRF/flash, access enforcement)
//!    serving its own `/healthz`, with connect info as the `linli` binary serves it. Both run
//!    under `axum::serve` on `127.0.0.1:0` and are driven by the same load generator: `C`
//!    keep-alive connections, each sending sequential requests through a minimal HTTP/1.1
//!    client (`load.rs`). After one warm-up run of each, the sides alternate (the first side
//!    rotates every round, `compare.rs`) and the report takes medians. `BENCH_BREAKDOWN=1`
//!    adds the bare router inside Linli's outer layers only (`linli_web::security::apply`).
//! 2. Store pair (`store_pair.rs`): the upsert `Store::put_setting` runs, issued raw on a typed
//!    `SqlitePool`, against `Store::put_setting` itself, on the same SQLite file and pragmas.
//! 3. Search pair (`search/`), after the other two: `BENCH_SEARCH_DOCS` synthetic Chinese
//!    listings bulk-inserted into a fresh SQLite store, then `App::reindex_all` into an on-disk
//!    tantivy index (timed: the full reindex figure). Anchor: `TantivyIndex::search` called
//!    directly; subject: `GET /api/v1/search?…` through the full router on a real socket; the
//!    same fixed query mix (two-character words, a phrase, a category filter, a district
//!    filter, browse-all) and concurrency on both sides, alternating per round.
//!    `BENCH_BREAKDOWN=1` adds `App::search` in process as a middle side.
//!
//! How to read it: `ratio full_stack_healthz / bare_axum` is the full stack's throughput as a
//! fraction of the bare router's; the goal is ≥ 0.80. `ratio endpoint p99 / raw_engine p99` is
//! how much the search endpoint's tail latency exceeds the engine's; the goal is ≤ 3.0; the
//! per-query table shows which queries drive it. The load generator shares the CPUs with the
//! servers, equally for both sides. The exit code is 0 whatever the ratios (this is a report);
//! it is non-zero only when the bench itself failed (a non-200 answer, a wrong search total, a
//! timeout).

mod booking;
mod compare;
mod load;
mod money;
mod pace;
mod search;
mod servers;
mod stats;
mod store_pair;

use std::{
    net::SocketAddr,
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{Context, Result};
use compare::Measure;
use linli_store::Store;
use load::{Load, Target};
use stats::ratio;
use store_pair::StorePair;

/// The goal for the HTTP pair.
const GOAL: f64 = 0.80;
/// One run may take at most this long (a hang is an error, not a slow figure).
const RUN_TIMEOUT: Duration = Duration::from_secs(20);
/// The HTTP and store pairs together may take at most this long.
const PAIRS_TIMEOUT: Duration = Duration::from_secs(110);
/// The search section may take at most this long (it aims at three minutes on two cores).
const SEARCH_TIMEOUT: Duration = Duration::from_secs(400);
/// The booking section may take at most this long.
const BOOKING_TIMEOUT: Duration = Duration::from_secs(300);
/// The payment section may take at most this long.
const MONEY_TIMEOUT: Duration = Duration::from_secs(300);
/// The filter the `linli` binary uses at its default log level.
const PROD_LOG_FILTER: &str = "info,sqlx=warn";

/// Settings from the environment.
#[derive(Debug, Clone, Copy)]
struct Settings {
    connections: usize,
    requests: usize,
    rounds: usize,
    store_ops: usize,
    tracing: bool,
    breakdown: bool,
    search: Option<search::Settings>,
    booking: Option<booking::Settings>,
    money: Option<money::Settings>,
}

fn env_usize(name: &str, default: usize) -> Result<usize> {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .with_context(|| format!("{name}={v:?} is not a whole number")),
        Err(_) => Ok(default),
    }
}

impl Settings {
    fn from_env() -> Result<Self> {
        let rounds = env_usize("BENCH_ROUNDS", 5)?.max(1);
        let breakdown = std::env::var("BENCH_BREAKDOWN").is_ok_and(|v| v == "1");
        let search = if std::env::var("BENCH_SEARCH").is_ok_and(|v| v == "0") {
            None
        } else {
            Some(search::Settings {
                docs: env_usize("BENCH_SEARCH_DOCS", 100_000)?.max(1),
                workers: env_usize("BENCH_SEARCH_WORKERS", 8)?.max(1),
                requests: env_usize("BENCH_SEARCH_REQUESTS", 2400)?.max(1),
                rounds,
                breakdown,
            })
        };
        let money = if std::env::var("BENCH_MONEY").is_ok_and(|v| v == "0") {
            None
        } else {
            Some(money::Settings {
                connections: env_usize("BENCH_MONEY_CONNECTIONS", 64)?.max(1),
                payments: env_usize("BENCH_MONEY_PAYMENTS", 1280)?.max(1),
                rounds,
            })
        };
        let booking = if std::env::var("BENCH_BOOKING").is_ok_and(|v| v == "0") {
            None
        } else {
            Some(booking::Settings {
                connections: env_usize("BENCH_BOOKING_CONNECTIONS", 64)?.max(1),
                orders: env_usize("BENCH_BOOKING_ORDERS", 3200)?.max(1),
                rounds,
            })
        };
        Ok(Self {
            booking,
            money,
            connections: env_usize("BENCH_CONNECTIONS", 32)?.max(1),
            requests: env_usize("BENCH_REQUESTS", 60_000)?.max(1),
            rounds,
            store_ops: env_usize("BENCH_STORE_OPS", 1000)?,
            tracing: std::env::var("BENCH_TRACING").map_or(true, |v| v != "off"),
            breakdown,
            search,
        })
    }

    fn load(&self) -> Load {
        Load {
            connections: self.connections,
            requests_per_connection: self.requests.div_ceil(self.connections),
            timeout: RUN_TIMEOUT,
        }
    }
}

/// Installs the subscriber the `linli` binary installs (stderr; `RUST_LOG` overrides the
/// filter), so each request's `info_span!` is recorded as it is in production.
fn init_tracing() {
    let rust_log = std::env::var("RUST_LOG").ok();
    linli_web::telemetry::init(rust_log.as_deref(), PROD_LOG_FILTER, false);
}

fn verdict(r: f64) -> &'static str {
    if r >= GOAL { "goal met" } else { "BELOW GOAL" }
}

fn healthz(addr: SocketAddr) -> Target {
    Target {
        addr,
        path: "/healthz",
        expect_body: b"ok",
    }
}

async fn http_pair(settings: Settings) -> Result<()> {
    let bare = healthz(servers::spawn_bare().await?);
    let full_stack = servers::spawn_full().await?;
    let full = healthz(full_stack.addr);
    let load = settings.load();
    let warm = Load {
        requests_per_connection: load.requests_per_connection.div_ceil(2),
        ..load
    };

    println!(
        "== HTTP pair: GET /healthz, {} keep-alive connections x {} requests = {} per run, \
         {} rounds after 1 warm-up",
        load.connections,
        load.requests_per_connection,
        load.total(),
        settings.rounds
    );
    let mut sides = vec![("bare_axum", "axum::Router, one handler", bare)];
    if settings.breakdown {
        sides.push((
            "outer_layers",
            "the same router inside linli_web::security::apply only",
            healthz(servers::spawn_outer_layers().await?),
        ));
    }
    sides.push((
        "full_stack_healthz",
        "linli_web::router, every layer, connect info",
        full,
    ));
    // Showing each side's response headers proves which layers really ran.
    for (label, what, target) in &sides {
        println!("  {label:<20} {}: {what}", target.addr);
        println!(
            "  {:<20} answers with {}",
            "",
            load::header_names(target).await?.join(", ")
        );
    }
    let (sides, targets): (Vec<&str>, Vec<Target>) =
        sides.into_iter().map(|(s, _, t)| (s, t)).unzip();

    let summaries = compare::rounds(
        &sides,
        settings.rounds,
        "req",
        Measure::Throughput,
        |i, warm_up| {
            let target = targets.get(i).cloned();
            async move {
                let target = target.context("no such side")?;
                load::run(&target, if warm_up { warm } else { load }).await
            }
        },
    )
    .await?;
    let anchor = summaries.first().map_or(0.0, |s| s.per_sec);
    let subject = summaries.last().map_or(0.0, |s| s.per_sec);
    let r = ratio(subject, anchor);
    println!(
        "ratio full_stack_healthz / bare_axum = {r:.2} (goal >= {GOAL:.2}): {}",
        verdict(r)
    );
    full_stack.cleanup();
    drop(full_stack);
    Ok(())
}

async fn store_pair(settings: Settings) -> Result<()> {
    let db = linli_testkit::fresh_db(linli_testkit::Backend::Sqlite)
        .await
        .context("SQLite test database unavailable")?;
    let store: Arc<dyn Store> = Arc::new(db.store.clone());
    let pair = StorePair::open(&db.url, store).await?;
    let ops = settings.store_ops;
    println!();
    println!(
        "== store pair: one writer, {ops} durable upserts into settings per run, \
         {} rounds after 1 warm-up",
        settings.rounds
    );
    println!(
        "  {:<20} INSERT .. ON CONFLICT DO UPDATE, autocommit (typed SqlitePool)",
        "raw_sqlite_tx"
    );
    println!(
        "  {:<20} Arc<dyn Store>::put_setting (Any driver; same file and pragmas)",
        "store_put_setting"
    );
    let sides = ["raw_sqlite_tx", "store_put_setting"];
    let pair_ref = &pair;
    let summaries = compare::rounds(
        &sides,
        settings.rounds,
        "ops",
        Measure::Throughput,
        |i, warm_up| async move {
            let n = if warm_up { ops.div_ceil(4) } else { ops };
            if i == 0 {
                pair_ref.run_anchor(n).await
            } else {
                pair_ref.run_subject(n).await
            }
        },
    )
    .await?;
    let anchor = summaries.first().map_or(0.0, |s| s.per_sec);
    let subject = summaries.last().map_or(0.0, |s| s.per_sec);
    println!(
        "ratio store_put_setting / raw_sqlite_tx = {:.2} (report only: near 1.00 means the \
         store's layers cost nothing next to the commit)",
        ratio(subject, anchor)
    );
    pair.close().await;
    db.store.close().await;
    Ok(())
}

async fn bench(settings: Settings) -> Result<()> {
    let started = Instant::now();
    let cpus = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    println!("linli-bench: each figure is measured against an anchor in this same run");
    println!(
        "  build: {}, CPUs: {cpus}, tracing: {}",
        if cfg!(debug_assertions) {
            "DEBUG (figures not meaningful; use scripts/bench)"
        } else {
            "release"
        },
        if settings.tracing {
            "production subscriber (RUST_LOG or info,sqlx=warn) to stderr"
        } else {
            "off (BENCH_TRACING=off)"
        }
    );
    println!();
    tokio::time::timeout(PAIRS_TIMEOUT, async {
        http_pair(settings).await?;
        if settings.store_ops > 0 {
            store_pair(settings).await?;
        }
        anyhow::Ok(())
    })
    .await
    .with_context(|| {
        format!("the HTTP and store pairs exceeded {PAIRS_TIMEOUT:?}; lower BENCH_REQUESTS")
    })??;
    if let Some(booking) = settings.booking {
        println!();
        tokio::time::timeout(BOOKING_TIMEOUT, async {
            booking::section(booking).await?;
            booking::postgres_section(booking).await
        })
        .await
        .with_context(|| {
            format!("the booking section exceeded {BOOKING_TIMEOUT:?}; lower BENCH_BOOKING_ORDERS")
        })??;
    }
    if let Some(money) = settings.money {
        println!();
        tokio::time::timeout(MONEY_TIMEOUT, money::section(money))
            .await
            .with_context(|| {
                format!(
                    "the payment section exceeded {MONEY_TIMEOUT:?}; lower BENCH_MONEY_PAYMENTS"
                )
            })??;
    }
    if let Some(search) = settings.search {
        println!();
        tokio::time::timeout(SEARCH_TIMEOUT, search::section(search))
            .await
            .with_context(|| {
                format!("the search section exceeded {SEARCH_TIMEOUT:?}; lower BENCH_SEARCH_DOCS")
            })??;
    }
    println!();
    println!("done in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let settings = Settings::from_env()?;
    if settings.tracing {
        init_tracing();
    }
    bench(settings).await
}

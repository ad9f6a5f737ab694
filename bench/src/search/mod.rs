//! The search section: what the full search endpoint costs next to the raw engine query it
//! wraps, over a synthetic marketplace of `BENCH_SEARCH_DOCS` listings, plus the time of a
//! full reindex.
//!
//! 1. Data (`data.rs`): a fresh SQLite store, the seeded categories, approved providers with
//!    service areas, and the listings bulk-inserted in one transaction.
//! 2. Reindex: `App::reindex_all` into an on-disk `TantivyIndex`, timed; the index must then
//!    hold exactly the published listings.
//! 3. Anchor `raw_engine`: `TantivyIndex::search` called directly with the `SearchQuery` the
//!    app builds for each query of the mix (`queries.rs`).
//! 4. Subject `endpoint`: `GET /api/v1/search?…` for the same queries through the full router
//!    on a real socket (`linli_web::router`, as the `linli` binary serves it), driven by the
//!    bench's HTTP/1.1 client. Before timing, each query's JSON `total` and hit ids are
//!    checked against the engine's; during timing every answer's total is checked.
//! 5. Both sides run with the same concurrency (`runs.rs`), alternating per round as the other
//!    pairs do; the report gives p50/p99 per side and per query, and the goal
//!    `endpoint p99 / raw_engine p99 <= 3.0`. `BENCH_BREAKDOWN=1` adds a middle side,
//!    `App::search` in process (engine + loading each hit's listing, no HTTP), which splits
//!    the endpoint's extra cost into the use case's store reads and the web stack.

mod costs;
mod data;
mod queries;
mod runs;

use std::{
    path::{Path, PathBuf},
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use anyhow::{Context, Result, ensure};
use linli_domain::district::DISTRICTS;
use linli_search::{SearchIndex, TantivyIndex};
use linli_store::Store;
use queries::Query;
use runs::{Expected, Outcome, Plan};

use crate::{
    compare::{self, Measure},
    load::{self, Conn},
    servers,
    stats::{percentile, ratio},
};

/// The product's goal: the endpoint's p99 at most this many times the raw query's.
const GOAL: f64 = 3.0;
/// Workers start no new request after this long in a measured run (half in a warm-up).
const RUN_BUDGET: Duration = Duration::from_secs(3);
/// A measured run still going after this long is a hang.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest wait for tantivy's background merges after the reindex.
const MERGE_WAIT: Duration = Duration::from_secs(30);

/// The section's knobs.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Published listings to generate and index.
    pub docs: usize,
    /// Concurrent workers per side.
    pub workers: usize,
    /// Most operations per run and side (split over the workers).
    pub requests: usize,
    /// Measured rounds.
    pub rounds: usize,
    /// Whether to add the in-process `App::search` side.
    pub breakdown: bool,
}

impl Settings {
    fn plan(&self, warm_up: bool) -> Plan {
        Plan {
            workers: self.workers,
            per_worker: self.requests.div_ceil(self.workers),
            budget: if warm_up { RUN_BUDGET / 2 } else { RUN_BUDGET },
            timeout: RUN_TIMEOUT,
        }
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs the section and prints its report.
pub async fn section(settings: Settings) -> Result<()> {
    let section_started = Instant::now();
    println!(
        "== search pair: raw engine query vs GET /api/v1/search over {} synthetic listings, \
         {} workers per side, up to {} requests or {:.0} s per run, {} rounds after 1 warm-up",
        settings.docs,
        settings.workers,
        settings.plan(false).per_worker * settings.workers,
        secs(RUN_BUDGET),
        settings.rounds
    );

    // 1. Data.
    let db = linli_testkit::fresh_db(linli_testkit::Backend::Sqlite)
        .await
        .context("SQLite test database unavailable")?;
    let index_dir =
        std::env::temp_dir().join(format!("linli-bench-search-index-{}", std::process::id()));
    let files_dir = servers::files_dir("search-files");
    let _ = std::fs::remove_dir_all(&index_dir);
    let started = Instant::now();
    let index = Arc::new(TantivyIndex::open_dir(&index_dir)?);
    let open_time = started.elapsed();
    let store: Arc<dyn Store> = Arc::new(db.store.clone());
    let app = servers::assemble_app(store, files_dir.clone()).with_search(index.clone());
    let market = data::populate(&app, db.store.pool(), settings.docs).await?;
    let generate_time = market.setup_time + market.insert_time;
    println!(
        "  data: {} second-level categories, {} approved providers with service areas, {} \
         published listings",
        market.categories, market.providers, market.listings
    );
    println!(
        "  phase generate: categories + accounts + providers {:.2} s, listings bulk-inserted in \
         {:.1} s ({:.0} rows/s, one transaction)",
        secs(market.setup_time),
        secs(market.insert_time),
        per_sec(market.listings, market.insert_time)
    );
    println!(
        "  phase open index: TantivyIndex::open_dir (jieba dictionary) {:.2} s, {}",
        secs(open_time),
        index_dir.display()
    );

    // 2. Full reindex.
    let started = Instant::now();
    let reindexed = app.reindex_all().await?;
    let reindex_time = started.elapsed();
    let in_index = index.count().await?;
    ensure!(
        reindexed == market.listings && usize::try_from(in_index).ok() == Some(market.listings),
        "reindex_all indexed {reindexed}, the index holds {in_index}, {} listings are published",
        market.listings
    );
    println!(
        "  phase reindex: App::reindex_all {reindexed} docs in {:.1} s ({:.0} docs/s); index \
         count {in_index} = published listings {}",
        secs(reindex_time),
        per_sec(reindexed, reindex_time),
        market.listings
    );
    let (segments, settle_time) = settle_merges(&index_dir).await;
    println!(
        "  phase merges: {} segments in meta.json, background merges settled after {:.1} s",
        segments.map_or_else(|| "?".to_owned(), |n| n.to_string()),
        secs(settle_time)
    );

    // 3 + 4. Serve, and check each query once on both sides.
    let started = Instant::now();
    let addr = servers::serve_full(app.clone()).await?;
    let queries: Arc<[Query]> = queries::mix(DISTRICTS[1].code).into();
    let (expected, sample_hit) = verify(&index, addr, &queries, market.listings).await?;
    let expected = Arc::new(expected);
    let requests: Arc<[Vec<u8>]> = queries
        .iter()
        .map(|q| load::get_request(addr, &q.path))
        .collect();
    let verify_time = started.elapsed();

    // 5. Alternating rounds.
    let started = Instant::now();
    let mut sides = vec!["raw_engine"];
    if settings.breakdown {
        sides.push("app_search");
    }
    sides.push("endpoint");
    println!();
    println!(
        "  {:<12} TantivyIndex::search with the SearchQuery App::search builds",
        "raw_engine"
    );
    if settings.breakdown {
        println!(
            "  {:<12} App::search in process: engine, then each hit's listing, provider and \
             categories from the store",
            "app_search"
        );
    }
    println!(
        "  {:<12} GET /api/v1/search?… through linli_web::router on {addr}, keep-alive",
        "endpoint"
    );
    let pooled: Mutex<Vec<Vec<Vec<Duration>>>> =
        Mutex::new(vec![vec![Vec::new(); queries.len()]; sides.len()]);
    let n_sides = sides.len();
    let summaries = compare::rounds(
        &sides,
        settings.rounds,
        "req",
        Measure::P99,
        |i, warm_up| {
            let (index, app, queries, expected, requests) = (
                Arc::clone(&index),
                app.clone(),
                Arc::clone(&queries),
                Arc::clone(&expected),
                Arc::clone(&requests),
            );
            let pooled = &pooled;
            async move {
                let plan = settings.plan(warm_up);
                let outcome: Outcome = if i == 0 {
                    runs::raw(&index, &queries, &expected, plan).await?
                } else if i + 1 < n_sides {
                    runs::app_search(&app, &queries, &expected, plan).await?
                } else {
                    runs::endpoint(addr, &requests, &expected, plan).await?
                };
                if !warm_up {
                    let mut pooled = pooled.lock().unwrap_or_else(PoisonError::into_inner);
                    for (q, lat) in outcome.by_query.into_iter().enumerate() {
                        pooled[i][q].extend(lat);
                    }
                }
                Ok(outcome.stats)
            }
        },
    )
    .await?;
    let measure_time = started.elapsed();
    let pooled = pooled.into_inner().unwrap_or_else(PoisonError::into_inner);
    let query_ratios = per_query_table(&sides, &queries, &pooled);
    let started = Instant::now();
    costs::measure(
        app.store.as_ref(),
        &sample_hit,
        market.listings,
        market.providers,
    )
    .await?
    .print();
    let costs_time = started.elapsed();
    println!();

    let (raw, endpoint) = match (summaries.first(), summaries.last()) {
        (Some(raw), Some(endpoint)) => (raw.clone(), endpoint.clone()),
        _ => anyhow::bail!("the rounds produced no summary"),
    };
    let r = ratio(secs(endpoint.p99), secs(raw.p99));
    println!(
        "full reindex (App::reindex_all, on-disk index): {reindexed} docs in {:.1} s = {:.0} \
         docs/s",
        secs(reindex_time),
        per_sec(reindexed, reindex_time)
    );
    println!(
        "p50 raw_engine {:.2} ms, endpoint {:.2} ms; p99 raw_engine {:.2} ms, endpoint {:.2} ms \
         (whole mix, medians over rounds)",
        ms(raw.p50),
        ms(endpoint.p50),
        ms(raw.p99),
        ms(endpoint.p99)
    );
    println!(
        "ratio endpoint p99 / raw_engine p99 = {r:.2} (goal <= {GOAL:.1}): {}",
        if r <= GOAL { "goal met" } else { "ABOVE GOAL" }
    );
    let (worst, worst_ratio) = query_ratios
        .iter()
        .copied()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or((0, 0.0));
    let best_ratio = query_ratios.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "  context: per-query p99 ratios {best_ratio:.2} .. {worst_ratio:.2} (highest: #{} {}); \
         p50 ratio {:.1}; throughput endpoint / raw_engine {:.2}",
        worst + 1,
        queries.get(worst).map_or("", |q| q.shown.as_str()),
        ratio(secs(endpoint.p50), secs(raw.p50)),
        ratio(endpoint.per_sec, raw.per_sec)
    );
    println!(
        "search phases: open {:.1} s, generate {:.1} s, reindex {:.1} s, merges {:.1} s, verify \
         {:.1} s, measure {:.1} s, store costs {:.1} s; section {:.1} s",
        secs(open_time),
        secs(generate_time),
        secs(reindex_time),
        secs(settle_time),
        secs(verify_time),
        secs(measure_time),
        secs(costs_time),
        secs(section_started.elapsed())
    );

    drop(db);
    for dir in [&index_dir, &files_dir] {
        let _ = std::fs::remove_dir_all(dir);
    }
    Ok(())
}

fn per_sec(n: usize, d: Duration) -> f64 {
    // Counts here are far below 2^52, so the conversion is exact.
    ratio(n as f64, secs(d))
}

/// Checks each query once on both sides: the endpoint's JSON `total` and hit ids must equal
/// the engine's, and every query must find something. Prints the mix with its totals; returns
/// the expectations and the id of one hit.
async fn verify(
    index: &TantivyIndex,
    addr: std::net::SocketAddr,
    queries: &[Query],
    docs: usize,
) -> Result<(Expected, String)> {
    println!();
    println!("  query mix (each checked once: the endpoint's total and hit ids = the engine's)");
    println!(
        "  {:>3}  {:<8} {:>8} {:>7} {:>5}  query",
        "#", "kind", "total", "share", "hits"
    );
    let mut conn = Conn::open(addr).await?;
    let mut totals = Vec::with_capacity(queries.len());
    let mut sample_hit = None;
    for (i, q) in queries.iter().enumerate() {
        let raw = index.search(&q.raw).await?;
        let body = conn.get(&load::get_request(addr, &q.path)).await?;
        let page: serde_json::Value = serde_json::from_slice(body)
            .with_context(|| format!("the endpoint's answer to {} is not JSON", q.path))?;
        let total = page["total"].as_u64().context("no total in the answer")?;
        let ids: Vec<&str> = page["hits"]
            .as_array()
            .context("no hits in the answer")?
            .iter()
            .filter_map(|h| h["listing"]["id"].as_str())
            .collect();
        let raw_ids: Vec<&str> = raw.hits.iter().map(|h| h.id.as_str()).collect();
        ensure!(
            total == raw.total,
            "{}: endpoint total {total}, engine total {}",
            q.shown,
            raw.total
        );
        ensure!(ids == raw_ids, "{}: the endpoint's hits differ", q.shown);
        ensure!(raw.total > 0, "{} finds nothing", q.shown);
        println!(
            "  {:>3}  {:<8} {:>8} {:>6.1}% {:>5}  {}",
            i + 1,
            q.kind,
            raw.total,
            100.0 * ratio(raw.total as f64, docs as f64),
            ids.len(),
            q.shown
        );
        totals.push(raw.total);
        if sample_hit.is_none() {
            sample_hit = raw.hits.first().map(|h| h.id.clone());
        }
    }
    Ok((
        Expected::from_totals(totals),
        sample_hit.context("no query found anything")?,
    ))
}

/// p50/p99 per query and side over every measured round, with the p99 ratio of the last side
/// (the endpoint) to the first (the engine); returns those ratios.
fn per_query_table(sides: &[&str], queries: &[Query], pooled: &[Vec<Vec<Duration>>]) -> Vec<f64> {
    println!("  per query, all measured rounds pooled (ms):");
    print!("  {:>3}  {:<8}", "#", "kind");
    for s in sides {
        print!(" {:>16} {:>7}", format!("{s} p50"), "p99");
    }
    println!(" {:>9}  query", "p99 ratio");
    let mut ratios = Vec::with_capacity(queries.len());
    for (qi, q) in queries.iter().enumerate() {
        print!("  {:>3}  {:<8}", qi + 1, q.kind);
        let mut p99s = Vec::with_capacity(sides.len());
        for side in pooled {
            let mut lat = side.get(qi).cloned().unwrap_or_default();
            lat.sort_unstable();
            let (p50, p99) = (percentile(&lat, 50.0), percentile(&lat, 99.0));
            p99s.push(p99);
            print!(" {:>16.2} {:>7.2}", ms(p50), ms(p99));
        }
        let r = ratio(
            secs(p99s.last().copied().unwrap_or_default()),
            secs(p99s.first().copied().unwrap_or_default()),
        );
        println!(" {r:>9.2}  {}", q.shown);
        ratios.push(r);
    }
    println!();
    ratios
}

/// Waits until tantivy's background merges after the reindex stop rewriting `meta.json` (no
/// change for a second), so they do not run during the measured rounds. Returns the number
/// of committed segments then, and how long it took.
async fn settle_merges(dir: &Path) -> (Option<usize>, Duration) {
    let started = Instant::now();
    let meta: PathBuf = dir.join("meta.json");
    let read = || -> Option<(usize, std::time::SystemTime)> {
        let modified = std::fs::metadata(&meta).ok()?.modified().ok()?;
        let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&meta).ok()?).ok()?;
        Some((json["segments"].as_array()?.len(), modified))
    };
    let mut last = read();
    let mut quiet_since = Instant::now();
    while started.elapsed() < MERGE_WAIT {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let now = read();
        if now != last {
            last = now;
            quiet_since = Instant::now();
        } else if quiet_since.elapsed() >= Duration::from_secs(1) {
            break;
        }
    }
    (last.map(|(n, _)| n), started.elapsed())
}

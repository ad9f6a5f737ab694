//! The booking pair: placing an order over HTTP against a raw SQLite transaction with the same
//! statement count, on the same database file, at the same concurrency, in the same run.
//!
//! Data: the demo marketplace (35 providers, 155 services) in a fresh SQLite store; every
//! provider opens all day, every day, with a team of 20, so thousands of distinct free slots
//! exist. One customer per provider, with an address in a district the provider serves. The
//! orders are generated up front (provider round-robin, then day, start time and lane) and both
//! sides consume the same sequence, so every subject request is a real success (`201`); a
//! conflict or any other status fails the bench.
//!
//! - anchor `raw_sqlite_tx`: per order, on a typed `SqlitePool` with the store's pragmas, the
//!   statements the subject runs, one for one and in the same round trips: 2 keyed reads
//!   (the bearer token's user; the listing joined with its provider, the address and the
//!   service areas), then `BEGIN IMMEDIATE`, the lock-row update (returning the schedule) with the insert of
//!   the order, one range read (the jobs within travel reach and the occupied cells, each
//!   aggregated into one row), the multi-row insert of the 15-minute cells with the timeline
//!   and job inserts, `COMMIT`. Into scratch tables shaped like the real ones.
//! - subject `post_order`: `POST /api/v1/orders` with a bearer token through the full router
//!   on a real socket: authentication, validation, the server-side quote, the availability
//!   check under the provider lock, the occupancy cells, the response with the order view.
//!
//! Goal: subject throughput / anchor throughput ≥ 0.35 with the subject's p99 ≤ 10 ms.
//! Throughput is measured closed loop (every connection sends its next order as soon as the
//! last is answered). Latency is measured open loop ([`Pacer`]), each order timed from when it
//! was due, both sides in turn: first at the goal's throughput (0.35 × the anchor's measured
//! one: the subject delivering the goal ratio, with its p99 checked against 10 ms), then at half
//! the anchor's throughput, to show the headroom. At saturation a closed loop's latency is only its queue (`connections / throughput`, Little's
//! law), which no code on top of a durable one-writer database can bring under 10 ms at 64
//! connections; the report prints that figure too. Every run, on either side, starts from an
//! emptied WAL ([`RawSqlite::settle`]), not behind the checkpoint backlog of the run before.
//!
//! [`postgres_section`] runs the same subject on a PostgreSQL store (a fresh `linli_t_*`
//! database under `TEST_DATABASE_URL`) against `pgbench`'s TPC-B with the same client count on
//! its own database; goal ≥ 0.5.

use std::{
    collections::BTreeMap,
    net::SocketAddr,
    str::FromStr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, Result, ensure};
use linli_app::{App, AppConfig, Secret, orders::ScheduleForm, profile::AddressFields};
use linli_domain::{
    ids::JobId,
    schedule::{CELL_MS, MAX_JOB_MS, Travel},
    time::{Clock, Day, MINUTE_MS, SystemClock},
};
use linli_store::{Store, sql::WalSync};
use sqlx::{
    Row, SqlitePool,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};
use tokio::{
    sync::{Mutex, OwnedMutexGuard},
    task::JoinSet,
};

use crate::{
    compare::{self, Measure},
    load::Conn,
    pace::Pacer,
    servers,
    stats::{RunStats, ratio},
};

/// The issue's goals.
const GOAL_RATIO: f64 = 0.35;
const GOAL_P99: Duration = Duration::from_millis(10);
/// Lanes per provider (team size).
const CAPACITY: i64 = 20;
/// The offered loads of the latency runs, as fractions of the anchor's closed-loop throughput:
/// the goal's (the p99 goal is checked there) and a higher one, for the headroom.
const LATENCY_LOADS: [f64; 2] = [GOAL_RATIO, 0.5];

/// The section's knobs.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Concurrent connections (subject) and tasks (anchor).
    pub connections: usize,
    /// Orders per measured run and side.
    pub orders: usize,
    /// Measured rounds.
    pub rounds: usize,
}

impl Settings {
    /// Orders per paced (latency) run and side.
    fn paced_orders(&self) -> usize {
        (self.orders / 2).max(self.connections)
    }
}

/// One order both sides place.
#[derive(Debug, Clone)]
pub(crate) struct Order {
    pub(crate) token: String,
    pub(crate) body: String,
    pub(crate) listing: String,
    pub(crate) provider: String,
    pub(crate) address: String,
    pub(crate) user: String,
    pub(crate) start_ms: i64,
    pub(crate) cells: i64,
}

/// The generated orders and the cursor each side takes from.
pub(crate) struct Orders {
    pub(crate) all: Vec<Order>,
    next: AtomicUsize,
}

impl Orders {
    pub(crate) fn take(&self) -> Option<&Order> {
        self.all.get(self.next.fetch_add(1, Ordering::Relaxed))
    }
}

/// Runs the section and prints its report.
pub async fn section(settings: Settings) -> Result<()> {
    let runs = 2 * (settings.rounds + 1);
    let per_run = settings.orders.div_ceil(settings.connections) * settings.connections;
    let needed = per_run * runs + settings.paced_orders() * runs * LATENCY_LOADS.len();
    println!(
        "== booking pair: POST /api/v1/orders vs a raw SQLite transaction with the same \
         statements, {} connections, {} orders per run, {} rounds after 1 warm-up",
        settings.connections, settings.orders, settings.rounds
    );
    let db = linli_testkit::fresh_db(linli_testkit::Backend::Sqlite)
        .await
        .context("SQLite test database unavailable")?;
    let app = bench_app(Arc::new(db.store.clone()));
    let started = Instant::now();
    linli_app::seed::seed_demo(&app).await?;
    let orders = generate(&app, needed).await?;
    println!(
        "  data: demo marketplace, {} orders generated over {} providers in {:.1} s",
        orders.all.len(),
        orders
            .all
            .iter()
            .map(|o| o.provider.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        started.elapsed().as_secs_f64()
    );
    ensure!(
        orders.all.len() >= needed,
        "not enough free slots generated"
    );
    let raw = raw_pool(&db.url).await?;
    scratch_tables(&raw.pool).await?;
    let addr = servers::serve_full(app.clone()).await?;
    println!(
        "  {:<14} 2 reads, BEGIN IMMEDIATE, 3 round trips, COMMIT (typed SqlitePool)",
        "raw_sqlite_tx"
    );
    println!(
        "  {:<14} POST /api/v1/orders through linli_web::router on {addr}, keep-alive",
        "post_order"
    );
    let orders = Arc::new(orders);
    let sides = ["raw_sqlite_tx", "post_order"];
    let pair = Pair {
        settings,
        raw: &raw,
        orders: &orders,
        addr,
    };
    let summaries = pair
        .rounds(&sides, Measure::Throughput, || Pacer::closed(per_run))
        .await?;
    let anchor_s = summaries.first().map_or(0.0, |s| s.per_sec);
    let subject_s = summaries.last().map_or(0.0, |s| s.per_sec);
    let saturated_p99 = summaries.last().map_or(Duration::ZERO, |s| s.p99);
    let r = ratio(subject_s, anchor_s);

    // Latency at offered loads below saturation (see `pace`), open loop over the same
    // connections: the first is the goal's throughput.
    let mut latencies = Vec::new();
    for load in LATENCY_LOADS {
        let rate = anchor_s * load;
        println!(
            "  latency: open loop at {rate:.0} orders/s ({:.0} % of raw_sqlite_tx's throughput), \
             {} orders per run over {} connections, timed from when each was due",
            load * 100.0,
            settings.paced_orders(),
            settings.connections
        );
        let paced = pair
            .rounds(&sides, Measure::P99, || {
                Pacer::new(rate, settings.paced_orders())
            })
            .await?;
        let last = paced
            .last()
            .map_or((Duration::ZERO, Duration::ZERO), |s| (s.p50, s.p99));
        latencies.push((rate, last));
    }
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let (rate, (p50, p99)) = latencies[0];
    let headroom = latencies
        .get(1)
        .map(|(rate, (p50, p99))| {
            format!(
                "; at {rate:.0} orders/s (50 %): p50 {:.2} ms, p99 {:.2} ms",
                ms(*p50),
                ms(*p99)
            )
        })
        .unwrap_or_default();
    println!(
        "ratio post_order / raw_sqlite_tx = {r:.2} (goal >= {GOAL_RATIO}: {}); post_order at the \
         goal's {rate:.0} orders/s: p50 {:.2} ms, p99 {:.2} ms (goal <= {} ms: {}){headroom}; \
         at saturation (closed loop, {} connections) p99 {:.1} ms, which is queueing: ≈ {} / \
         throughput",
        if r >= GOAL_RATIO { "met" } else { "NOT met" },
        ms(p50),
        ms(p99),
        GOAL_P99.as_millis(),
        if p99 <= GOAL_P99 { "met" } else { "NOT met" },
        settings.connections,
        ms(saturated_p99),
        settings.connections,
    );
    let placed: i64 = sqlx::query("SELECT COUNT(*) AS n FROM orders")
        .fetch_one(&raw.pool)
        .await?
        .try_get("n")?;
    let cells: i64 = sqlx::query("SELECT COUNT(*) AS n FROM booking_cells")
        .fetch_one(&raw.pool)
        .await?
        .try_get("n")?;
    let over: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM (SELECT provider_id, cell FROM booking_cells \
         GROUP BY provider_id, cell HAVING COUNT(*) > 20)",
    )
    .fetch_one(&raw.pool)
    .await?
    .try_get("n")?;
    println!(
        "  invariant: {placed} orders placed, {cells} occupancy cells, {over} cells over capacity"
    );
    ensure!(
        over == 0,
        "a cell holds more jobs than the provider's capacity"
    );
    raw.pool.close().await;
    db.store.close().await;
    Ok(())
}

/// The app as the binary assembles it, with day-long access tokens (runs outlast 15 minutes).
pub(crate) fn bench_app(store: Arc<dyn Store>) -> App {
    let mut config = AppConfig::new(Secret::new("bench-secret-bench-secret-bench-secret"), false);
    config.access_ttl_ms = 24 * 60 * MINUTE_MS;
    App::assemble(
        store,
        Arc::new(SystemClock),
        config,
        servers::files_dir("booking-files"),
    )
}

/// The anchors' database: a typed pool with the store's pragmas, and a write gate like the
/// store's (writers queue in this process rather than in SQLite's busy handler).
#[derive(Clone)]
pub(crate) struct RawSqlite {
    pub(crate) pool: SqlitePool,
    gate: Arc<Mutex<()>>,
    /// Like the store's writer: one connection with `synchronous = NORMAL`, whose commits
    /// [`WalSync`] makes durable after the gate is let go.
    writer: SqlitePool,
    wal: Arc<WalSync>,
}

impl RawSqlite {
    /// `BEGIN IMMEDIATE` behind the gate, on the writer; [`RawSqlite::commit`] ends it.
    pub(crate) async fn write_tx(
        &self,
    ) -> Result<(
        OwnedMutexGuard<()>,
        sqlx::Transaction<'static, sqlx::Sqlite>,
    )> {
        let gate = Arc::clone(&self.gate).lock_owned().await;
        Ok((gate, self.writer.begin_with("BEGIN IMMEDIATE").await?))
    }

    /// Commits, lets the next writer in, then waits until the commit is durable, as the
    /// store's write transactions do.
    pub(crate) async fn commit(
        &self,
        gate: OwnedMutexGuard<()>,
        tx: sqlx::Transaction<'static, sqlx::Sqlite>,
    ) -> Result<()> {
        tx.commit().await?;
        drop(gate);
        Ok(self.wal.after_commit().await?)
    }

    /// Copies the WAL into the database file and empties it. Before each run, so that no run
    /// starts behind the checkpoint backlog the run before it left (a saturated run leaves tens
    /// of megabytes, which the background checkpointers then copy during the next run).
    async fn settle(&self) -> Result<()> {
        let _gate = self.gate.lock().await;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .fetch_one(&self.writer)
            .await?;
        Ok(())
    }
}

/// The anchor's connections, with the store's settings: a pool of 8 (`synchronous = FULL`)
/// for reads, and the writer.
pub(crate) async fn raw_pool(url: &str) -> Result<RawSqlite> {
    let options = |synchronous| {
        SqliteConnectOptions::from_str(url).map(|o| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(synchronous)
                .busy_timeout(Duration::from_secs(30))
                .foreign_keys(true)
                // Like the store: checkpoints run in the background (the store's checkpointer
                // works on this same file), not in the commit that crosses the threshold.
                .pragma("wal_autocheckpoint", "8000")
        })
    };
    // Like the store's pool: connections are not pinged before each use.
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .test_before_acquire(false)
        .connect_with(options(SqliteSynchronous::Full)?)
        .await?;
    let writer = SqlitePoolOptions::new()
        .min_connections(1)
        .max_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .test_before_acquire(false)
        .connect_with(options(SqliteSynchronous::Normal)?)
        .await?;
    let file: String = sqlx::query("SELECT file FROM pragma_database_list WHERE name = 'main'")
        .fetch_one(&writer)
        .await?
        .try_get("file")?;
    Ok(RawSqlite {
        pool,
        gate: Arc::new(Mutex::new(())),
        writer,
        wal: Arc::new(WalSync::for_database(file.as_ref())),
    })
}

async fn scratch_tables(raw: &SqlitePool) -> Result<()> {
    for ddl in [
        "CREATE TABLE bench_locks (provider_id TEXT PRIMARY KEY, v INTEGER NOT NULL)",
        "CREATE TABLE bench_orders (id TEXT PRIMARY KEY, customer_id TEXT NOT NULL, \
         provider_id TEXT NOT NULL, listing_id TEXT NOT NULL, quote TEXT NOT NULL, \
         total_fen INTEGER NOT NULL, start_at INTEGER NOT NULL, end_at INTEGER NOT NULL, \
         status TEXT NOT NULL, created_at INTEGER NOT NULL)",
        "CREATE INDEX bench_orders_provider ON bench_orders (provider_id, start_at, end_at, id)",
        "CREATE TABLE bench_cells (provider_id TEXT NOT NULL, cell INTEGER NOT NULL, \
         lane INTEGER NOT NULL, order_id TEXT NOT NULL, PRIMARY KEY (provider_id, cell, lane))",
        "CREATE TABLE bench_events (id TEXT PRIMARY KEY, order_id TEXT NOT NULL, \
         at INTEGER NOT NULL, note TEXT NOT NULL)",
        "CREATE INDEX bench_events_order ON bench_events (order_id)",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(ddl)).execute(raw).await?;
    }
    // One lock row per provider, as every provider has its schedule row.
    sqlx::query("INSERT INTO bench_locks (provider_id, v) SELECT id, 0 FROM providers")
        .execute(raw)
        .await?;
    Ok(())
}

/// Customers, addresses, all-day schedules and the order sequence.
pub(crate) async fn generate(app: &App, needed: usize) -> Result<Orders> {
    // Each provider's shortest published service.
    let mut by_provider: BTreeMap<String, (String, i64)> = BTreeMap::new();
    for l in app.store.published_after(None, 10_000).await? {
        let minutes = if l.unit == "hour" {
            l.min_units * 60
        } else {
            l.minutes
        };
        let e = by_provider
            .entry(l.provider_id.to_string())
            .or_insert((l.id.to_string(), minutes));
        if minutes < e.1 {
            *e = (l.id.to_string(), minutes);
        }
    }
    let mut lanes = Vec::new();
    for (i, (provider, (listing, minutes))) in by_provider.iter().enumerate() {
        let pid = provider.parse().context("provider id")?;
        let Some(district) = app
            .store
            .service_areas(pid)
            .await?
            .iter()
            .find_map(|a| a.districts.first().cloned())
        else {
            continue;
        };
        let p = app.store.provider(pid).await?.context("provider")?;
        let owner = act_as(app, p.user_id).await?;
        app.save_schedule(
            &owner,
            &ScheduleForm {
                weekly: vec!["00:00-24:00".into(); 7],
                exceptions: String::new(),
                capacity: CAPACITY,
                min_notice_min: 0,
                horizon_days: 90,
                buffer_min: 0,
            },
        )
        .await?;
        let phone = format!("1370000{i:04}");
        let user = app.register(&phone, "bench1234", None).await?;
        let customer = act_as(app, user.id).await?;
        let address = app
            .save_address(
                &customer,
                None,
                &AddressFields {
                    district_code: district,
                    detail: "基准路 1 号".into(),
                    contact_name: "基准".into(),
                    contact_phone: phone.clone(),
                    is_default: true,
                },
            )
            .await?
            .id;
        let token = app.issue_tokens(user.id).await?.access_token;
        lanes.push((
            token,
            listing.clone(),
            provider.clone(),
            address,
            user.id.to_string(),
            *minutes,
        ));
    }
    ensure!(!lanes.is_empty(), "no provider to book");
    // Per provider: days from tomorrow, starts a job plus 10 minutes of setup apart, 20 lanes.
    let today = Day::of(SystemClock.now());
    let mut per_provider: Vec<Vec<Order>> = Vec::new();
    let per = needed.div_ceil(lanes.len()) + 1;
    for (token, listing, provider, address, user, minutes) in &lanes {
        let step = (minutes + 10 + 29) / 30 * 30;
        let mut list = Vec::with_capacity(per);
        'days: for d in 1..=88 {
            let day = today.plus_days(d);
            let mut start = 0;
            // The last job ends early enough for the crew to set up for tomorrow's first.
            while start + minutes + 10 <= 24 * 60 {
                for _ in 0..CAPACITY {
                    if list.len() >= per {
                        break 'days;
                    }
                    let start_ms = day.start_ms() + start * MINUTE_MS;
                    list.push(Order {
                        token: token.clone(),
                        body: serde_json::json!({
                            "listing": listing, "address": address, "date": day.to_string(),
                            "time": format!("{:02}:{:02}", start / 60, start % 60)
                        })
                        .to_string(),
                        listing: listing.clone(),
                        provider: provider.clone(),
                        address: address.clone(),
                        user: user.clone(),
                        start_ms,
                        cells: (minutes * MINUTE_MS + CELL_MS - 1) / CELL_MS,
                    });
                }
                start += step;
            }
        }
        per_provider.push(list);
    }
    // Round-robin over providers so concurrent requests meet different provider locks.
    let mut all = Vec::with_capacity(needed);
    let longest = per_provider.iter().map(Vec::len).max().unwrap_or(0);
    for i in 0..longest {
        for list in &per_provider {
            if let Some(o) = list.get(i) {
                all.push(o.clone());
            }
        }
    }
    Ok(Orders {
        all,
        next: AtomicUsize::new(0),
    })
}

async fn act_as(app: &App, user: linli_domain::ids::UserId) -> Result<linli_app::Actor> {
    let s = app.start_web_session(user).await?;
    Ok(app
        .authenticate(&s.secret, linli_store::TokenKind::Session)
        .await?)
}

/// The subject: each connection sends the next due order when it is free.
async fn subject(
    addr: SocketAddr,
    orders: Arc<Orders>,
    pacer: Arc<Pacer>,
    connections: usize,
) -> Result<RunStats> {
    let mut tasks = JoinSet::new();
    let started = Instant::now();
    for _ in 0..connections {
        let (orders, pacer) = (Arc::clone(&orders), Arc::clone(&pacer));
        tasks.spawn(async move {
            let mut conn = Conn::open(addr).await?;
            let mut lat = Vec::new();
            while let Some(due) = pacer.next().await {
                let o = orders.take().context("ran out of generated orders")?;
                conn.send(order_request(addr, o).as_bytes(), 201).await?;
                lat.push(due.elapsed());
            }
            anyhow::Ok(lat)
        });
    }
    finish(tasks, started).await
}

/// The anchor, with as many tasks as the subject has connections.
async fn anchor(
    raw: RawSqlite,
    orders: Arc<Orders>,
    pacer: Arc<Pacer>,
    connections: usize,
) -> Result<RunStats> {
    let mut tasks = JoinSet::new();
    let started = Instant::now();
    for _ in 0..connections {
        let (orders, raw, pacer) = (Arc::clone(&orders), raw.clone(), Arc::clone(&pacer));
        tasks.spawn(async move {
            let mut lat = Vec::new();
            while let Some(due) = pacer.next().await {
                let o = orders
                    .take()
                    .context("ran out of generated orders")?
                    .clone();
                raw_order(&raw, &o).await?;
                lat.push(due.elapsed());
            }
            anyhow::Ok(lat)
        });
    }
    finish(tasks, started).await
}

/// What both sides of a run share: the anchor's connections, the subject's address and the
/// orders they take from.
struct Pair<'a> {
    settings: Settings,
    raw: &'a RawSqlite,
    orders: &'a Arc<Orders>,
    addr: SocketAddr,
}

impl Pair<'_> {
    /// Rounds of anchor and subject, each run placing orders as a fresh `pacer()` makes them due.
    async fn rounds(
        &self,
        sides: &[&str],
        measure: Measure,
        pacer: impl Fn() -> Pacer,
    ) -> Result<Vec<crate::stats::Summary>> {
        let connections = self.settings.connections;
        compare::rounds(
            sides,
            self.settings.rounds,
            "orders",
            measure,
            |i, _warm_up| {
                let (orders, raw) = (Arc::clone(self.orders), self.raw.clone());
                let (pacer, addr) = (Arc::new(pacer()), self.addr);
                async move {
                    raw.settle().await?;
                    if i == 0 {
                        anchor(raw, orders, pacer, connections).await
                    } else {
                        subject(addr, orders, pacer, connections).await
                    }
                }
            },
        )
        .await
    }
}

/// The bytes of `POST /api/v1/orders` for `o`.
fn order_request(addr: SocketAddr, o: &Order) -> String {
    format!(
        "POST /api/v1/orders HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        o.token,
        o.body.len(),
        o.body
    )
}

pub(crate) async fn finish(
    mut tasks: JoinSet<Result<Vec<Duration>>>,
    started: Instant,
) -> Result<RunStats> {
    let mut all = Vec::new();
    while let Some(done) = tasks.join_next().await {
        all.extend(done??);
    }
    Ok(RunStats::from_latencies(all.len(), started.elapsed(), all))
}

/// The anchor's statements for one order (see the module documentation).
async fn raw_order(raw: &RawSqlite, o: &Order) -> Result<()> {
    let now = SystemClock.now().0;
    // The subject's two reads: the bearer token's user, then the listing with its provider,
    // the customer's address and the provider's service areas (one row per area).
    sqlx::query("SELECT * FROM users WHERE id = $1")
        .bind(&o.user)
        .fetch_all(&raw.pool)
        .await?;
    sqlx::query(
        "SELECT l.*, p.user_id AS provider_user_id, ad.lat_micro, sa.districts, sa.surcharge_fen \
         FROM listings l JOIN providers p ON p.id = l.provider_id \
         LEFT JOIN addresses ad ON ad.id = $2 AND ad.user_id = $3 \
         LEFT JOIN service_areas sa ON sa.provider_id = l.provider_id WHERE l.id = $1",
    )
    .bind(&o.listing)
    .bind(&o.address)
    .bind(&o.user)
    .fetch_all(&raw.pool)
    .await?;
    let id = JobId::new().to_string();
    let end = o.start_ms + o.cells * CELL_MS;
    // The same window as the store: the jobs within travel reach (buffer 0 in the bench).
    let reach = Travel::default().reach_ms(0);
    let (gate, mut tx) = raw.write_tx().await?;
    // As the store runs them on SQLite: the lock and the insert in one round trip.
    sqlx::query(
        "UPDATE bench_locks SET v = v + 1 WHERE provider_id = $3 RETURNING v; \
         INSERT INTO bench_orders (id, customer_id, provider_id, listing_id, quote, total_fen, \
         start_at, end_at, status, created_at) SELECT $1, $2, $3, $4, $5, 0, $6, $7, \
         'pending_payment', $8 FROM bench_locks WHERE provider_id = $3",
    )
    .bind(&id)
    .bind(&o.user)
    .bind(&o.provider)
    .bind(&o.listing)
    .bind(&o.body)
    .bind(o.start_ms)
    .bind(end)
    .bind(now)
    .fetch_all(&mut *tx)
    .await?;
    let first = o.start_ms.div_euclid(CELL_MS);
    // The calendar aggregated into one row, as the store reads it.
    let row = sqlx::query(
        "SELECT (SELECT string_agg(CAST(start_at AS TEXT) || ',' || CAST(end_at AS TEXT), ';') \
         FROM bench_orders WHERE provider_id = $1 AND start_at < $2 AND end_at > $3 \
         AND start_at > $7 AND id <> $4) AS jobs, \
         (SELECT string_agg(CAST(cell AS TEXT) || ',' || CAST(lane AS TEXT), ';') \
         FROM bench_cells WHERE provider_id = $1 AND cell >= $5 AND cell < $6) AS cells",
    )
    .bind(&o.provider)
    .bind(end + reach)
    .bind(o.start_ms - reach)
    .bind(&id)
    .bind(first)
    .bind(first + o.cells)
    .bind(o.start_ms - reach - MAX_JOB_MS)
    .fetch_one(&mut *tx)
    .await?;
    let used = row
        .try_get::<Option<String>, _>("cells")?
        .unwrap_or_default()
        .split(';')
        .filter_map(|pair| {
            let (cell, lane) = pair.split_once(',')?;
            Some((cell.parse::<i64>().ok()?, lane.parse::<i64>().ok()?))
        })
        .collect::<Vec<_>>();
    let mut lanes = Vec::new();
    for cell in first..first + o.cells {
        let lane = (0..CAPACITY)
            .find(|l| !used.contains(&(cell, *l)))
            .context("anchor ran out of lanes")?;
        lanes.push((cell, lane));
    }
    // The cells and the two other inserts in one round trip, as the store runs them on SQLite.
    let values: Vec<String> = (0..lanes.len())
        .map(|i| format!("($1, ${}, ${}, $2)", 7 + 2 * i, 8 + 2 * i))
        .collect();
    let mut q = sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO bench_cells (provider_id, cell, lane, order_id) VALUES {}; \
         INSERT INTO bench_events (id, order_id, at, note) VALUES ($3, $2, $5, 'placed'); \
         INSERT INTO bench_events (id, order_id, at, note) VALUES ($4, $2, $5, $6)",
        values.join(", ")
    )))
    .bind(&o.provider)
    .bind(&id)
    .bind(JobId::new().to_string())
    .bind(JobId::new().to_string())
    .bind(now)
    .bind("job");
    for (cell, lane) in lanes {
        q = q.bind(cell).bind(lane);
    }
    q.execute(&mut *tx).await?;
    raw.commit(gate, tx).await?;
    Ok(())
}

/// The PostgreSQL half: the same subject on a PostgreSQL store against `pgbench`'s TPC-B at the
/// same client count, in the same run. Skipped without `TEST_DATABASE_URL`.
pub async fn postgres_section(settings: Settings) -> Result<()> {
    println!();
    let Ok(admin) = std::env::var("TEST_DATABASE_URL") else {
        println!("== booking pair on PostgreSQL: skipped (set TEST_DATABASE_URL)");
        return Ok(());
    };
    let runs = 2 * (settings.rounds + 1);
    let per_run = settings.orders.div_ceil(settings.connections) * settings.connections;
    println!(
        "== booking pair on PostgreSQL: POST /api/v1/orders vs pgbench TPC-B, {} clients, {} \
         orders per run, {} rounds after 1 warm-up",
        settings.connections, settings.orders, settings.rounds
    );
    let db = linli_testkit::fresh_db(linli_testkit::Backend::Postgres)
        .await
        .context("PostgreSQL test database unavailable")?;
    // The pool the `linli` binary opens by default (`db_max_connections`); on two cores a
    // larger one only adds context switches. `BENCH_PG_POOL` overrides it.
    let pool = crate::env_usize("BENCH_PG_POOL", PG_POOL)?.max(1);
    let store = linli_store::sql::connect(&db.url, u32::try_from(pool)?).await?;
    let app = bench_app(Arc::new(store.clone()));
    linli_app::seed::seed_demo(&app).await?;
    let orders = Arc::new(generate(&app, per_run * runs).await?);
    let tpcb =
        linli_testkit::replace_db_name(&admin, &format!("linli_t_pgbench_{}", std::process::id()));
    let (admin2, tpcb2) = (admin.clone(), tpcb.clone());
    tokio::task::spawn_blocking(move || pgbench_init(&admin2, &tpcb2)).await??;
    let addr = servers::serve_full(app.clone()).await?;
    println!(
        "  {:<14} pgbench -n -c {} -j 2 -T 4 (TPC-B, scale 8; latency = pgbench's average)",
        "pgbench_tpcb", settings.connections
    );
    println!(
        "  {:<14} POST /api/v1/orders through linli_web::router on {addr}, PostgreSQL store \
         with {pool} connections",
        "post_order"
    );
    let sides = ["pgbench_tpcb", "post_order"];
    let (orders_ref, tpcb_ref) = (&orders, &tpcb);
    let summaries = compare::rounds(
        &sides,
        settings.rounds,
        "tx",
        Measure::Throughput,
        |i, _warm_up| {
            let orders = Arc::clone(orders_ref);
            let url = tpcb_ref.clone();
            async move {
                if i == 0 {
                    let clients = settings.connections;
                    tokio::task::spawn_blocking(move || pgbench_run(&url, clients)).await?
                } else {
                    let pacer = Arc::new(Pacer::closed(per_run));
                    subject(addr, orders, pacer, settings.connections).await
                }
            }
        },
    )
    .await?;
    let anchor_s = summaries.first().map_or(0.0, |s| s.per_sec);
    let subject_s = summaries.last().map_or(0.0, |s| s.per_sec);
    let r = ratio(subject_s, anchor_s);
    println!(
        "ratio post_order / pgbench_tpcb = {r:.2} (goal >= 0.5: {})",
        if r >= 0.5 { "met" } else { "NOT met" }
    );
    store.close().await;
    db.store.close().await;
    Ok(())
}

/// The subject's pool on PostgreSQL: the server's default `db_max_connections`.
const PG_POOL: usize = 8;

fn pgbench_init(admin: &str, url: &str) -> Result<()> {
    let name = url.rsplit('/').next().unwrap_or_default().to_owned();
    let out = std::process::Command::new("psql")
        .args([admin, "-qc", &format!("DROP DATABASE IF EXISTS {name}")])
        .output()
        .context("psql")?;
    ensure!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = std::process::Command::new("psql")
        .args([admin, "-qc", &format!("CREATE DATABASE {name}")])
        .output()
        .context("psql")?;
    ensure!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = std::process::Command::new("pgbench")
        .args(["-i", "-q", "-s", "8", url])
        .output()
        .context("pgbench -i")?;
    ensure!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

fn pgbench_run(url: &str, clients: usize) -> Result<RunStats> {
    let out = std::process::Command::new("pgbench")
        .args(["-n", "-c", &clients.to_string(), "-j", "2", "-T", "4", url])
        .output()
        .context("pgbench")?;
    let text = String::from_utf8_lossy(&out.stdout);
    ensure!(
        out.status.success(),
        "pgbench failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let number = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse::<f64>().ok())
    };
    let tps = number("tps =").context("no tps in pgbench output")?;
    let latency_ms = number("latency average =").unwrap_or(0.0);
    let latency = Duration::from_secs_f64(latency_ms / 1e3);
    Ok(RunStats {
        per_sec: tps,
        p50: latency,
        p99: latency,
    })
}

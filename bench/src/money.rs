//! The payment pair: a signed payment notification applied over HTTP against a raw SQLite
//! transaction with the same statement count, on the same database file, at the same
//! concurrency, in the same run.
//!
//! Data: the booking section's generator (demo marketplace, all-day schedules, one customer per
//! provider). Before the runs, every order the subject will pay is placed through the app and
//! its payment created at the sandbox provider (served on a loopback port, as in tests) and
//! paid there, so each subject request is a genuine first notification that captures money.
//! The notifications are signed (RSA-SHA256, resource AES-256-GCM-encrypted) just before each
//! run, outside the timed part, so their timestamps are fresh.
//!
//! - anchor `raw_sqlite_tx`: per notification, on a typed `SqlitePool` with the store's
//!   pragmas, the statements the subject runs, one for one: 6 keyed reads (nonce, payment,
//!   order, commission rules, listing, provider), then `BEGIN IMMEDIATE`, the conditional
//!   payment update, the conditional order update, the timeline insert, the order re-read, two
//!   job inserts, two posting inserts and the entry header, `COMMIT`, then the provider read,
//!   the notification insert and the nonce insert. Into scratch tables shaped like the real
//!   ones; no cryptography.
//! - subject `notify`: `POST /api/v1/pay/notify` with the raw signed body through the full
//!   router on a real socket: signature verification over the raw bytes, freshness, decryption,
//!   the replay check, amount and merchant checks, the commission in force, the capture with
//!   the order's transition and the balanced ledger entry, the provider's notification.
//!
//! Reported: subject throughput / anchor throughput, and the ledger's invariant afterwards
//! (every captured payment is in escrow once; the trial balance sums to zero).

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, Result, ensure};
use linli_app::{App, money::Payments, orders::OrderForm};
use linli_domain::{
    ids::JobId,
    time::{Clock, SystemClock},
};
use linli_pay::{Keys, Notice, Transaction};
use linli_store::TokenKind;
use sqlx::{Row, SqlitePool};
use tokio::task::JoinSet;

use crate::{
    booking::{self, finish},
    compare::{self, Measure},
    load::Conn,
    servers,
    stats::{RunStats, ratio},
};

/// The section's knobs.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// Concurrent connections (subject) and tasks (anchor).
    pub connections: usize,
    /// Notifications per measured run and side.
    pub payments: usize,
    /// Measured rounds.
    pub rounds: usize,
}

/// A paid transaction waiting for its notification, and the keys the anchor reads.
#[derive(Debug, Clone)]
struct Paid {
    t: Transaction,
    order: String,
    listing: String,
    provider: String,
}

/// Runs the section and prints its report.
pub async fn section(settings: Settings) -> Result<()> {
    let per_run = settings.payments.div_ceil(settings.connections) * settings.connections;
    let needed = per_run * (settings.rounds + 1);
    println!(
        "== payment pair: POST /api/v1/pay/notify (signed, encrypted) vs a raw SQLite \
         transaction with the same statements, {} connections, {} notifications per run, {} \
         rounds after 1 warm-up",
        settings.connections, per_run, settings.rounds
    );
    let db = linli_testkit::fresh_db(linli_testkit::Backend::Sqlite)
        .await
        .context("SQLite test database unavailable")?;
    // Notifications the sandbox would send itself go nowhere (port 9): the subject delivers.
    let payments = Payments::loopback_sandbox("http://127.0.0.1:9", Arc::new(SystemClock), 1)
        .await
        .map_err(|e| anyhow::anyhow!("sandbox: {e}"))?;
    let app = booking::bench_app(Arc::new(db.store.clone())).with_payments(payments);
    let started = Instant::now();
    linli_app::seed::seed_demo(&app).await?;
    let orders = booking::generate(&app, needed).await?;
    let paid = prepare(&app, &orders, needed).await?;
    println!(
        "  data: {} orders placed and paid at the sandbox provider in {:.1} s",
        paid.len(),
        started.elapsed().as_secs_f64()
    );
    let raw = booking::raw_pool(&db.url).await?;
    scratch_tables(&raw.pool).await?;
    seed_anchor(&raw.pool, needed + per_run).await?;
    let addr = servers::serve_full(app.clone()).await?;
    println!(
        "  {:<14} 6 reads, BEGIN IMMEDIATE, 9 statements, COMMIT, 1 read, 2 inserts (typed SqlitePool)",
        "raw_sqlite_tx"
    );
    println!(
        "  {:<14} POST /api/v1/pay/notify through linli_web::router on {addr}, keep-alive",
        "notify"
    );
    let paid = Arc::new(paid);
    let cursor = Arc::new(AtomicUsize::new(0));
    let anchor_seq = Arc::new(AtomicUsize::new(0));
    let sides = ["raw_sqlite_tx", "notify"];
    let (paid_ref, raw_ref, cursor_ref, anchor_ref) = (&paid, &raw, &cursor, &anchor_seq);
    let summaries = compare::rounds(
        &sides,
        settings.rounds,
        "payments",
        Measure::Throughput,
        |i, _warm_up| {
            let paid = Arc::clone(paid_ref);
            let raw = raw_ref.clone();
            let cursor = Arc::clone(cursor_ref);
            let seq = Arc::clone(anchor_ref);
            async move {
                if i == 0 {
                    anchor(raw, paid, seq, settings).await
                } else {
                    let from = cursor.fetch_add(per_run, Ordering::Relaxed);
                    subject(addr, &paid[from..from + per_run], settings).await
                }
            }
        },
    )
    .await?;
    let anchor_s = summaries.first().map_or(0.0, |s| s.per_sec);
    let subject_s = summaries.last().map_or(0.0, |s| s.per_sec);
    let p50 = summaries.last().map_or(Duration::ZERO, |s| s.p50);
    let p99 = summaries.last().map_or(Duration::ZERO, |s| s.p99);
    println!(
        "ratio notify / raw_sqlite_tx = {:.2}; notify p50 {:.2} ms, p99 {:.2} ms",
        ratio(subject_s, anchor_s),
        p50.as_secs_f64() * 1e3,
        p99.as_secs_f64() * 1e3,
    );
    let captured: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM journal_entries WHERE kind = 'capture'")
            .fetch_one(&raw.pool)
            .await?
            .try_get("n")?;
    let total: i64 =
        sqlx::query("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS s FROM postings")
            .fetch_one(&raw.pool)
            .await?
            .try_get("s")?;
    let delivered = cursor.load(Ordering::Relaxed);
    println!(
        "  invariant: {delivered} notifications delivered, {captured} captures, postings sum {total}"
    );
    ensure!(
        captured == i64::try_from(delivered)? && total == 0,
        "every notification captures once and the ledger balances"
    );
    raw.pool.close().await;
    db.store.close().await;
    Ok(())
}

/// Places `needed` orders, creates their payments at the sandbox and pays them there.
async fn prepare(app: &App, orders: &booking::Orders, needed: usize) -> Result<Vec<Paid>> {
    let sandbox = app
        .payments
        .as_ref()
        .and_then(|p| p.sandbox.clone())
        .context("bench app without a sandbox")?;
    let mut out = Vec::with_capacity(needed);
    while out.len() < needed {
        let o = orders.take().context("ran out of generated orders")?;
        let actor = app.authenticate(&o.token, TokenKind::Access).await?;
        let form: OrderForm = serde_json::from_str(&o.body)?;
        let view = app.place_order(&actor, &form).await?;
        let id = view.id.parse()?;
        let start = app.pay_order(&actor, id).await?;
        let t = sandbox
            .pay_now(&start.out_trade_no)
            .map_err(|e| anyhow::anyhow!("sandbox pay: {e}"))?;
        out.push(Paid {
            t,
            order: view.id.clone(),
            listing: o.listing.clone(),
            provider: o.provider.clone(),
        });
    }
    Ok(out)
}

async fn scratch_tables(raw: &SqlitePool) -> Result<()> {
    for ddl in [
        "CREATE TABLE bench_nonces (nonce TEXT PRIMARY KEY, at INTEGER NOT NULL)",
        "CREATE TABLE bench_payments (out_trade_no TEXT PRIMARY KEY, order_id TEXT NOT NULL, \
         amount_fen INTEGER NOT NULL, status TEXT NOT NULL, transaction_id TEXT, paid_at INTEGER)",
        "CREATE TABLE bench_porders (id TEXT PRIMARY KEY, status TEXT NOT NULL, \
         paid_fen INTEGER NOT NULL, money_version INTEGER NOT NULL, updated_at INTEGER NOT NULL)",
        "CREATE TABLE bench_pevents (id TEXT PRIMARY KEY, order_id TEXT NOT NULL, \
         at INTEGER NOT NULL, action TEXT NOT NULL)",
        "CREATE TABLE bench_pjobs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL, \
         run_at INTEGER NOT NULL, dedupe_key TEXT UNIQUE)",
        "CREATE TABLE bench_postings (entry_id TEXT NOT NULL, line INTEGER NOT NULL, \
         account TEXT NOT NULL, amount INTEGER NOT NULL, PRIMARY KEY (entry_id, line))",
        "CREATE INDEX bench_postings_account ON bench_postings (account)",
        "CREATE TABLE bench_entries (id TEXT PRIMARY KEY, kind TEXT NOT NULL, \
         order_id TEXT, reference TEXT UNIQUE, created_at INTEGER NOT NULL)",
        "CREATE TABLE bench_notes (id TEXT PRIMARY KEY, user_id TEXT NOT NULL, body TEXT NOT NULL, \
         at INTEGER NOT NULL)",
    ] {
        sqlx::query(sqlx::AssertSqlSafe(ddl)).execute(raw).await?;
    }
    Ok(())
}

/// The pending payments and orders the anchor's captures update, written up front.
async fn seed_anchor(raw: &SqlitePool, count: usize) -> Result<()> {
    let mut tx = raw.begin().await?;
    for n in 0..count {
        sqlx::query(
            "INSERT INTO bench_payments (out_trade_no, order_id, amount_fen, status) \
             VALUES ($1, $2, 10000, 'pending')",
        )
        .bind(format!("anchor{n}"))
        .bind(format!("anchor-order-{n}"))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO bench_porders (id, status, paid_fen, money_version, updated_at) \
             VALUES ($1, 'pending_payment', 0, 0, 0)",
        )
        .bind(format!("anchor-order-{n}"))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

async fn subject(addr: SocketAddr, batch: &[Paid], settings: Settings) -> Result<RunStats> {
    // Signed now, so every timestamp is fresh; not timed.
    let keys = Keys::for_tests();
    let now = SystemClock.now().0;
    let mut requests = Vec::with_capacity(batch.len());
    for (i, p) in batch.iter().enumerate() {
        let nonce = format!("bench{now}x{i}");
        let (headers, body) = linli_pay::sign_notification(
            &keys,
            "TRANSACTION.SUCCESS",
            &Notice::Transaction(p.t.clone()),
            now,
            &nonce,
        )
        .map_err(|e| anyhow::anyhow!("signing: {e}"))?;
        let mut req = format!(
            "POST /api/v1/pay/notify HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\n",
            body.len()
        );
        for (k, v) in &headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(&body);
        requests.push(bytes);
    }
    let requests = Arc::new(requests);
    let next = Arc::new(AtomicUsize::new(0));
    let per_conn = batch.len().div_ceil(settings.connections);
    let mut tasks = JoinSet::new();
    let started = Instant::now();
    for _ in 0..settings.connections {
        let (requests, next) = (Arc::clone(&requests), Arc::clone(&next));
        tasks.spawn(async move {
            let mut conn = Conn::open(addr).await?;
            let mut lat = Vec::with_capacity(per_conn);
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(req) = requests.get(i) else { break };
                let t = Instant::now();
                conn.send(req, 200).await?;
                lat.push(t.elapsed());
            }
            anyhow::Ok(lat)
        });
    }
    finish(tasks, started).await
}

async fn anchor(
    raw: booking::RawSqlite,
    paid: Arc<Vec<Paid>>,
    seq: Arc<AtomicUsize>,
    settings: Settings,
) -> Result<RunStats> {
    let per_run = settings.payments.div_ceil(settings.connections) * settings.connections;
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = JoinSet::new();
    let started = Instant::now();
    for _ in 0..settings.connections {
        let (raw, paid, seq, next) = (
            raw.clone(),
            Arc::clone(&paid),
            Arc::clone(&seq),
            Arc::clone(&next),
        );
        tasks.spawn(async move {
            let mut lat = Vec::new();
            while next.fetch_add(1, Ordering::Relaxed) < per_run {
                let n = seq.fetch_add(1, Ordering::Relaxed);
                // The anchor reads the real rows of some order (the reads are keyed lookups).
                let p = &paid[n % paid.len()];
                let t = Instant::now();
                raw_capture(&raw, p, n).await?;
                lat.push(t.elapsed());
            }
            anyhow::Ok(lat)
        });
    }
    finish(tasks, started).await
}

/// The anchor's statements for one notification (see the module documentation).
async fn raw_capture(raw: &booking::RawSqlite, p: &Paid, n: usize) -> Result<()> {
    let now = SystemClock.now().0;
    let no = format!("anchor{n}");
    let order = format!("anchor-order-{n}");
    for (sql, key) in [
        ("SELECT 1 FROM bench_nonces WHERE nonce = $1", no.as_str()),
        (
            "SELECT * FROM payments WHERE out_trade_no = $1",
            p.t.out_trade_no.as_str(),
        ),
        ("SELECT * FROM orders WHERE id = $1", p.order.as_str()),
        ("SELECT * FROM commission_rules WHERE scope <> $1", ""),
        ("SELECT * FROM listings WHERE id = $1", p.listing.as_str()),
        ("SELECT * FROM providers WHERE id = $1", p.provider.as_str()),
    ] {
        sqlx::query(sql).bind(key).fetch_all(&raw.pool).await?;
    }
    let (gate, mut tx) = raw.write_tx().await?;
    sqlx::query(
        "UPDATE bench_payments SET status = 'success', transaction_id = $2, paid_at = $3 \
         WHERE out_trade_no = $1 AND status <> 'success' RETURNING amount_fen",
    )
    .bind(&no)
    .bind(&no)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE bench_porders SET status = 'awaiting_acceptance', paid_fen = paid_fen + $2, \
         money_version = money_version + 1, updated_at = $3 WHERE id = $1 AND status = 'pending_payment'",
    )
    .bind(&order)
    .bind(p.t.amount)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query("INSERT INTO bench_pevents (id, order_id, at, action) VALUES ($1, $2, $3, 'paid')")
        .bind(JobId::new().to_string())
        .bind(&order)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    sqlx::query("SELECT * FROM bench_porders WHERE id = $1")
        .bind(&order)
        .fetch_one(&mut *tx)
        .await?;
    for kind in ["order.reminder", "order.accept_deadline"] {
        sqlx::query(
            "INSERT INTO bench_pjobs (id, kind, payload, run_at, dedupe_key) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(JobId::new().to_string())
        .bind(kind)
        .bind(&order)
        .bind(now)
        .bind(format!("{kind}:{order}"))
        .execute(&mut *tx)
        .await?;
    }
    let entry = JobId::new().to_string();
    for (line, (account, amount)) in [
        ("psp".to_owned(), p.t.amount),
        (format!("escrow:{order}"), -p.t.amount),
    ]
    .into_iter()
    .enumerate()
    {
        sqlx::query(
            "INSERT INTO bench_postings (entry_id, line, account, amount) VALUES ($1, $2, $3, $4)",
        )
        .bind(&entry)
        .bind(i64::try_from(line)?)
        .bind(account)
        .bind(amount)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "INSERT INTO bench_entries (id, kind, order_id, reference, created_at) VALUES ($1, 'capture', $2, $3, $4)",
    )
    .bind(&entry)
    .bind(&order)
    .bind(format!("capture:{no}"))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    raw.commit(gate, tx).await?;
    sqlx::query("SELECT * FROM providers WHERE id = $1")
        .bind(&p.provider)
        .fetch_all(&raw.pool)
        .await?;
    sqlx::query("INSERT INTO bench_notes (id, user_id, body, at) VALUES ($1, $2, '新订单', $3)")
        .bind(JobId::new().to_string())
        .bind(&p.provider)
        .bind(now)
        .execute(&raw.pool)
        .await?;
    sqlx::query("INSERT INTO bench_nonces (nonce, at) VALUES ($1, $2)")
        .bind(&no)
        .bind(now)
        .execute(&raw.pool)
        .await?;
    Ok(())
}

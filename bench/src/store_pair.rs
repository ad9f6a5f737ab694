//! The store pair: what one Linli store write costs next to the same SQLite write transaction
//! issued raw, on the same database file with the same pragmas.
//!
//! - anchor: the statement `put_setting` runs (`INSERT … ON CONFLICT DO UPDATE`, which SQLite
//!   commits as its own write transaction) on a typed `SqlitePool` with the pragmas
//!   `linli_store::sql::connect` sets (WAL, `synchronous=FULL`, busy timeout, foreign keys).
//! - subject: `Store::put_setting` through `Arc<dyn Store>`, as the app calls it (sqlx `Any`
//!   driver, boxed `async_trait` future, the store's pool).
//!
//! The anchor deliberately does not wrap the statement in `BEGIN IMMEDIATE … COMMIT`:
//! `put_setting` does not either, and an anchor doing two more round trips to SQLite's worker
//! thread than its subject lets the ratio exceed 1 without saying anything about the store.
//!
//! Both write a new key per call, one call at a time, so each op is one durable commit; the
//! ratio shows whether the store's layers add anything noticeable on top of the commit.

use std::{
    str::FromStr,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::{Context, Result, ensure};
use linli_store::Store;
use sqlx::{
    SqlitePool,
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

use crate::stats::RunStats;

/// Both sides of the pair over one database.
pub struct StorePair {
    raw: SqlitePool,
    store: Arc<dyn Store>,
    next_key: AtomicU64,
}

impl StorePair {
    /// Opens the anchor's pool on `url` (the store's own database) beside `store`.
    pub async fn open(url: &str, store: Arc<dyn Store>) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .with_context(|| format!("parsing {url}"))?
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let raw = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
            .context("opening the anchor's SQLite pool")?;
        Ok(Self {
            raw,
            store,
            next_key: AtomicU64::new(0),
        })
    }

    fn key(&self, side: &str) -> String {
        format!(
            "bench.{side}.{}",
            self.next_key.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// `ops` raw write transactions, one after another.
    pub async fn run_anchor(&self, ops: usize) -> Result<RunStats> {
        let mut latencies = Vec::with_capacity(ops);
        let started = Instant::now();
        for _ in 0..ops {
            let key = self.key("raw");
            let t = Instant::now();
            let done = sqlx::query(
                "INSERT INTO settings (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(&key)
            .bind("v")
            .execute(&self.raw)
            .await?;
            latencies.push(t.elapsed());
            ensure!(
                done.rows_affected() == 1,
                "raw insert of {key} wrote nothing"
            );
        }
        Ok(RunStats::from_latencies(ops, started.elapsed(), latencies))
    }

    /// `ops` calls of `Store::put_setting`, one after another.
    pub async fn run_subject(&self, ops: usize) -> Result<RunStats> {
        let mut latencies = Vec::with_capacity(ops);
        let started = Instant::now();
        for _ in 0..ops {
            let key = self.key("store");
            let t = Instant::now();
            let wrote = self.store.put_setting(&key, "v", false).await?;
            latencies.push(t.elapsed());
            ensure!(wrote, "put_setting of {key} wrote nothing");
        }
        Ok(RunStats::from_latencies(ops, started.elapsed(), latencies))
    }

    /// Closes the anchor's pool.
    pub async fn close(&self) {
        self.raw.close().await;
    }
}

//! [`SqlStore`]: the [`crate::Store`] adapter over sqlx's `Any` driver. One set of statements
//! runs on both databases; the few backend differences are named here: connection pragmas
//! ([`connect`]), how write transactions begin and commit ([`SqlStore::write_tx`]: on SQLite
//! behind the in-process write gate, on the writer connection, made durable after the lock is
//! let go, [`durable`]), job claiming (`store_impl.rs`, `claim_jobs`) and an order change's
//! timeline entry with its jobs, one statement on PostgreSQL (`bookings.rs`,
//! `add_event_and_jobs`).

mod after_sale;
mod bookings;
mod complaints;
mod decode;
mod deposits;
mod durable;
mod guarantee;
mod listings;
mod money;
mod providers;
mod reviews;
mod store_impl;
mod visits;

use std::{
    ops::{Deref, DerefMut},
    str::FromStr,
    sync::Arc,
};

use sqlx::{
    Any, AnyConnection, AnyPool, Executor, Transaction, any::AnyPoolOptions, migrate::Migrator,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

pub use self::durable::{WalStats, WalSync};
use crate::{Backend, StoreError, StoreResult};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// The SQL adapter. Cheap to clone (the pool is shared).
#[derive(Clone, Debug)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
    /// SQLite has one writer at a time. Writers of this process queue here, in order, instead
    /// of in SQLite's busy handler, which polls with sleeps of up to 100 ms and so turns a
    /// queue of a few milliseconds into a tail of hundreds. (Another process on the same file
    /// still waits in the busy handler.) Unused on PostgreSQL, whose row locks queue fairly.
    write_gate: Arc<Mutex<()>>,
    /// SQLite: the one connection write transactions run on (`synchronous = NORMAL`), and the
    /// WAL sync that makes their commits durable ([`durable`]). `None` on PostgreSQL.
    writer: Option<(AnyPool, Arc<WalSync>)>,
}

/// A write transaction, holding the write gate on SQLite until it commits or is dropped.
/// Dereferences to the connection, like [`Transaction`].
pub(crate) struct WriteTx {
    tx: Transaction<'static, Any>,
    gate: Option<OwnedMutexGuard<()>>,
    wal: Option<Arc<WalSync>>,
}

impl WriteTx {
    /// Commits, lets the next writer in, then (SQLite) waits until the commit is durable.
    pub(crate) async fn commit(self) -> StoreResult<()> {
        let Self { tx, gate, wal } = self;
        tx.commit().await?;
        drop(gate);
        match wal {
            Some(wal) => wal.after_commit().await,
            None => Ok(()),
        }
    }
}

impl Deref for WriteTx {
    type Target = AnyConnection;

    fn deref(&self) -> &AnyConnection {
        &self.tx
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut AnyConnection {
        &mut self.tx
    }
}

/// Which backend a database URL points at.
pub fn backend_of(url: &str) -> StoreResult<Backend> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Backend::Postgres)
    } else {
        Err(StoreError::Corrupt(
            "database url must start with sqlite: or postgres:".into(),
        ))
    }
}

/// How often the background checkpointer copies the SQLite WAL into the database file.
const CHECKPOINT_EVERY: std::time::Duration = std::time::Duration::from_millis(500);

/// Copies committed WAL frames into the database file off the request path. Left to SQLite,
/// the commit that crosses the WAL threshold (1000 pages by default) does the whole checkpoint
/// and its fsync itself, and that order waits for it: about one order in a hundred, the p99.
/// `PASSIVE` never waits for readers or writers. Ends when the pool is closed or the runtime
/// stops.
async fn checkpointer(pool: AnyPool) {
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if pool.is_closed() {
            return;
        }
        if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .execute(&pool)
            .await
        {
            tracing::debug!(error = %e, "background checkpoint skipped");
        }
    }
}

/// A pooled connection idle at least this long is pinged before it is handed out.
const PING_IF_IDLE_FOR: std::time::Duration = std::time::Duration::from_secs(30);

/// Opens a pool for `url` (`sqlite://path?mode=rwc` or `postgres://…`). SQLite connections get
/// WAL, `synchronous=FULL` (money lives here), a busy timeout and foreign keys.
pub async fn connect(url: &str, max_connections: u32) -> StoreResult<SqlStore> {
    sqlx::any::install_default_drivers();
    let backend = backend_of(url)?;
    let options = AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(std::time::Duration::from_secs(10))
        // sqlx pings every connection it hands out by default: one extra round trip per
        // statement outside a transaction, which on PostgreSQL was a third of an order's
        // round trips. Only a connection that sat idle long enough to have been dropped by a
        // firewall or the server is checked; a connection that breaks anyway fails its one
        // statement and is discarded by the pool.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_IF_IDLE_FOR {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        });
    let pool = match backend {
        Backend::Sqlite => options.after_connect(|conn, _meta| {
            Box::pin(async move { sqlite_pragmas(conn, "FULL").await })
        }),
        Backend::Postgres => options,
    }
    .connect(url)
    .await?;
    let writer = match backend {
        Backend::Sqlite => {
            let writer = match sqlite_writer(url).await {
                Ok(writer) => writer,
                Err(e) => {
                    pool.close().await;
                    return Err(e);
                }
            };
            tokio::spawn(checkpointer(pool.clone()));
            Some(writer)
        }
        Backend::Postgres => None,
    };
    Ok(SqlStore {
        pool,
        backend,
        write_gate: Arc::new(Mutex::new(())),
        writer,
    })
}

/// The pragmas of every SQLite connection: WAL, the given `synchronous` level (`FULL` on the
/// pool, `NORMAL` on the writer, whose commits [`WalSync`] makes durable), a busy timeout and
/// foreign keys.
async fn sqlite_pragmas(conn: &mut AnyConnection, synchronous: &str) -> Result<(), sqlx::Error> {
    conn.execute("PRAGMA journal_mode = WAL").await?;
    conn.execute(sqlx::AssertSqlSafe(format!(
        "PRAGMA synchronous = {synchronous}"
    )))
    .await?;
    conn.execute("PRAGMA busy_timeout = 10000").await?;
    conn.execute("PRAGMA foreign_keys = ON").await?;
    // Checkpoints normally run in the background ([`checkpointer`]); a writer only checkpoints
    // itself if the WAL has grown this far without them.
    conn.execute("PRAGMA wal_autocheckpoint = 8000").await?;
    Ok(())
}

/// The SQLite writer: a pool of exactly one connection, kept open (so its transactions own it
/// as a [`Transaction`] does a pooled connection), and the sync of its database's WAL.
///
/// The writer is a second connection to `url`, so the database must be a file: every
/// connection to an in-memory (or temporary) database opens a database of its own, and orders
/// written through the writer would be missing from the pool's reads. Such a URL is refused.
async fn sqlite_writer(url: &str) -> StoreResult<(AnyPool, Arc<WalSync>)> {
    let writer = AnyPoolOptions::new()
        .min_connections(1)
        .max_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .acquire_timeout(std::time::Duration::from_secs(30))
        .test_before_acquire(false)
        .after_connect(|conn, _meta| Box::pin(async move { sqlite_pragmas(conn, "NORMAL").await }))
        .connect(url)
        .await?;
    let file: String = sqlx::Row::try_get(
        &sqlx::query("SELECT file FROM pragma_database_list WHERE name = 'main'")
            .fetch_one(&writer)
            .await?,
        "file",
    )?;
    if file.is_empty() {
        writer.close().await;
        return Err(StoreError::Corrupt(
            "a SQLite database url must name a file (sqlite://path?mode=rwc), not an in-memory \
             database"
                .into(),
        ));
    }
    Ok((writer, Arc::new(WalSync::for_database(file.as_ref()))))
}

impl SqlStore {
    /// Applies the migrations of this backend.
    pub async fn migrate(&self) -> StoreResult<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.pool).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.pool).await?,
        }
        Ok(())
    }

    /// The underlying pool (for tests and benchmarks).
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Closes the pool (and the SQLite writer).
    pub async fn close(&self) {
        if let Some((writer, _)) = &self.writer {
            writer.close().await;
        }
        self.pool.close().await;
    }

    /// SQLite: how many write transactions committed, how many of them are durable and how
    /// many WAL syncs that took ([`durable`]). `None` on PostgreSQL.
    pub fn wal_stats(&self) -> Option<WalStats> {
        self.writer.as_ref().map(|(_, wal)| wal.stats())
    }

    /// Begins a write transaction. SQLite takes the write lock up front (`BEGIN IMMEDIATE`) so
    /// two writers never deadlock upgrading a read lock; PostgreSQL uses row locks.
    ///
    /// On SQLite the write gate is taken before a connection, so queued writers do not hold
    /// connections the readers need.
    async fn write_tx(&self) -> StoreResult<WriteTx> {
        Ok(match &self.writer {
            Some((writer, wal)) => {
                let gate = Arc::clone(&self.write_gate).lock_owned().await;
                WriteTx {
                    tx: writer.begin_with("BEGIN IMMEDIATE").await?,
                    gate: Some(gate),
                    wal: Some(Arc::clone(wal)),
                }
            }
            None => WriteTx {
                tx: self.pool.begin().await?,
                gate: None,
                wal: None,
            },
        })
    }
}

/// Maps unique violations to [`StoreError::Conflict`].
fn map_err(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        // PostgreSQL names the constraint; SQLite only says `UNIQUE constraint failed:
        // table.column, …`, which names it as well.
        let name = db.constraint().map(str::to_owned).unwrap_or_else(|| {
            db.message()
                .split_once(": ")
                .map_or("unique", |(_, cols)| cols)
                .to_owned()
        });
        return StoreError::Conflict(name);
    }
    StoreError::Database(e)
}

/// Parses a stored id column.
fn parse_id<T: FromStr>(s: &str) -> StoreResult<T> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("bad id {s}")))
}

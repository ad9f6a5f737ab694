//! [`SqlStore`]: the [`crate::Store`] adapter over sqlx's `Any` driver. One set of statements
//! runs on both databases; the few backend differences are named here: connection pragmas
//! ([`connect`]), how write transactions begin ([`SqlStore::write_tx`]) and job claiming
//! (`store_impl.rs`, `claim_jobs`).

mod after_sale;
mod bookings;
mod complaints;
mod decode;
mod deposits;
mod guarantee;
mod listings;
mod money;
mod providers;
mod reviews;
mod store_impl;
mod visits;

use std::str::FromStr;

use sqlx::{Any, AnyPool, Executor, Transaction, any::AnyPoolOptions, migrate::Migrator};

use crate::{Backend, StoreError, StoreResult};

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");

/// The SQL adapter. Cheap to clone (the pool is shared).
#[derive(Clone, Debug)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
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

/// Opens a pool for `url` (`sqlite://path?mode=rwc` or `postgres://…`). SQLite connections get
/// WAL, `synchronous=FULL` (money lives here), a busy timeout and foreign keys.
pub async fn connect(url: &str, max_connections: u32) -> StoreResult<SqlStore> {
    sqlx::any::install_default_drivers();
    let backend = backend_of(url)?;
    let options = AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(std::time::Duration::from_secs(10));
    let options = match backend {
        Backend::Sqlite => options.after_connect(|conn, _meta| {
            Box::pin(async move {
                conn.execute("PRAGMA journal_mode = WAL").await?;
                conn.execute("PRAGMA synchronous = FULL").await?;
                conn.execute("PRAGMA busy_timeout = 10000").await?;
                conn.execute("PRAGMA foreign_keys = ON").await?;
                Ok(())
            })
        }),
        Backend::Postgres => options,
    };
    let pool = options.connect(url).await?;
    Ok(SqlStore { pool, backend })
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

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// Begins a write transaction. SQLite takes the write lock up front (`BEGIN IMMEDIATE`) so
    /// two writers never deadlock upgrading a read lock; PostgreSQL uses row locks.
    async fn write_tx(&self) -> StoreResult<Transaction<'static, Any>> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }
}

/// Maps unique violations to [`StoreError::Conflict`].
fn map_err(e: sqlx::Error) -> StoreError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        return StoreError::Conflict(db.constraint().unwrap_or("unique").to_owned());
    }
    StoreError::Database(e)
}

/// Parses a stored id column.
fn parse_id<T: FromStr>(s: &str) -> StoreResult<T> {
    s.parse()
        .map_err(|_| StoreError::Corrupt(format!("bad id {s}")))
}

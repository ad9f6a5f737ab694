//! Test support shared by every crate's tests: a fresh database per test on either backend,
//! a fake clock that tests advance instead of sleeping, and [`backend_test!`] which runs one
//! test body against SQLite always and PostgreSQL when `TEST_DATABASE_URL` is set (mandatory
//! under `CI=true`).

use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

use linli_domain::time::{Clock, Timestamp};
pub use linli_store::Backend;
use linli_store::sql::{self, SqlStore};
use sqlx::{Connection, Executor};

/// A clock that only moves when told to.
#[derive(Debug, Clone)]
pub struct FakeClock(Arc<AtomicI64>);

impl FakeClock {
    /// A clock at 2026-11-25 09:00 Shanghai time.
    pub fn new() -> Self {
        Self::at(Timestamp(1_795_568_400_000))
    }
    /// A clock at `t`.
    pub fn at(t: Timestamp) -> Self {
        Self(Arc::new(AtomicI64::new(t.0)))
    }
    /// Moves time forward.
    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::SeqCst);
    }
    /// The current time plus `ms`.
    pub fn now_plus(&self, ms: i64) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst) + ms)
    }
    /// Moves time forward by seconds.
    pub fn advance_secs(&self, secs: i64) {
        self.advance_ms(secs * 1000);
    }
}

impl Default for FakeClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Timestamp {
        Timestamp(self.0.load(Ordering::SeqCst))
    }
}

/// Whether this run must not skip anything (`CI=true`).
pub fn in_ci() -> bool {
    std::env::var("CI")
        .map(|v| v == "true" || v == "1")
        .unwrap_or(false)
}

/// The PostgreSQL admin URL for tests, if configured. Under CI its absence is a failure.
pub fn postgres_url() -> Option<String> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            assert!(
                !in_ci(),
                "CI=true requires TEST_DATABASE_URL: PostgreSQL tests may not be skipped"
            );
            None
        }
    }
}

/// A fresh, migrated database for one test. SQLite files are removed on drop; PostgreSQL
/// databases are named `linli_t_*` and dropped by the test script before each run.
pub struct TestDb {
    /// The store over the fresh database.
    pub store: SqlStore,
    /// Its URL.
    pub url: String,
    sqlite_path: Option<std::path::PathBuf>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(p) = &self.sqlite_path {
            for suffix in ["", "-wal", "-shm"] {
                let mut f = p.clone().into_os_string();
                f.push(suffix);
                let _ = std::fs::remove_file(f);
            }
        }
    }
}

/// Creates an empty database on `backend` and returns its URL (not migrated).
pub async fn fresh_database_url(backend: Backend) -> Option<(String, Option<std::path::PathBuf>)> {
    let tag = uuid::Uuid::now_v7().simple().to_string();
    match backend {
        Backend::Sqlite => {
            let path = std::env::temp_dir().join(format!("linli-test-{tag}.db"));
            Some((format!("sqlite://{}?mode=rwc", path.display()), Some(path)))
        }
        Backend::Postgres => {
            let admin = postgres_url()?;
            sqlx::any::install_default_drivers();
            let name = format!("linli_t_{tag}");
            let mut conn = sqlx::AnyConnection::connect(&admin)
                .await
                .unwrap_or_else(|e| panic!("connect {admin}: {e}"));
            conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .await
                .unwrap_or_else(|e| panic!("create db: {e}"));
            let _ = conn.close().await;
            Some((replace_db_name(&admin, &name), None))
        }
    }
}

/// Replaces the database name of a PostgreSQL URL.
pub fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let prefix_end = base
        .rfind('/')
        .filter(|&i| i > "postgres://".len())
        .unwrap_or(base.len());
    let mut out = format!("{}/{}", &base[..prefix_end], name);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// A fresh migrated store on `backend`, or `None` when PostgreSQL is not configured outside CI.
pub async fn fresh_db(backend: Backend) -> Option<TestDb> {
    let (url, sqlite_path) = fresh_database_url(backend).await?;
    let store = sql::connect(&url, 8)
        .await
        .unwrap_or_else(|e| panic!("connect {url}: {e}"));
    store
        .migrate()
        .await
        .unwrap_or_else(|e| panic!("migrate: {e}"));
    Some(TestDb {
        store,
        url,
        sqlite_path,
    })
}

/// The search index matching the test database, as the `linli` binary picks it: embedded
/// tantivy (in memory) beside SQLite, the shared PostgreSQL index inside a PostgreSQL test
/// database. jieba's dictionary is loaded once per test process.
pub async fn search_index(db: &TestDb) -> std::sync::Arc<dyn linli_search::SearchIndex> {
    static ANALYZER: std::sync::OnceLock<linli_search::Analyzer> = std::sync::OnceLock::new();
    let analyzer = ANALYZER.get_or_init(linli_search::Analyzer::new).clone();
    if db.url.starts_with("postgres") {
        std::sync::Arc::new(
            linli_search::PgIndex::connect(&db.url, analyzer)
                .await
                .unwrap_or_else(|e| panic!("search index in {}: {e}", db.url)),
        )
    } else {
        std::sync::Arc::new(
            linli_search::TantivyIndex::open_in_ram_with(analyzer)
                .unwrap_or_else(|e| panic!("in-memory search index: {e}")),
        )
    }
}

/// Runs the body once per backend: `backend_test!(name, |db: TestDb| async move { … });`
/// generates `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! backend_test {
    ($name:ident, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = $crate::fresh_db($crate::Backend::Sqlite)
                    .await
                    .expect("sqlite is always available");
                ($body)(db).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(db) = $crate::fresh_db($crate::Backend::Postgres).await else {
                    eprintln!("TEST_DATABASE_URL not set: PostgreSQL variant skipped");
                    return;
                };
                ($body)(db).await;
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_name_is_replaced() {
        assert_eq!(
            replace_db_name("postgres://u@127.0.0.1:5432/test", "x"),
            "postgres://u@127.0.0.1:5432/x"
        );
        assert_eq!(
            replace_db_name("postgres://u@127.0.0.1:5432/test?sslmode=disable", "x"),
            "postgres://u@127.0.0.1:5432/x?sslmode=disable"
        );
    }
}

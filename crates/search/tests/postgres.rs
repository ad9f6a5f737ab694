//! The PostgreSQL adapter: the shared contract suite, each behaviour on a fresh database
//! (`linli_t_search_*`, dropped by `scripts/pg-drop-test-dbs` before the next run), plus what
//! only a shared index has: two nodes on one database see each other's writes and synonyms.
//! Skipped without `TEST_DATABASE_URL` (mandatory under `CI=true`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod contract;

use std::sync::{
    OnceLock,
    atomic::{AtomicU64, Ordering},
};

use linli_search::{Analyzer, PgIndex, SearchIndex, SearchQuery};
use sqlx::{Connection, PgConnection};

fn analyzer() -> Analyzer {
    static ANALYZER: OnceLock<Analyzer> = OnceLock::new();
    ANALYZER.get_or_init(Analyzer::new).clone()
}

/// The admin URL, or `None` (skip) outside CI.
fn admin_url() -> Option<String> {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
            assert!(!ci, "CI=true requires TEST_DATABASE_URL");
            eprintln!("TEST_DATABASE_URL not set: PostgreSQL search tests skipped");
            None
        }
    }
}

/// A fresh database's URL.
async fn fresh_database() -> Option<String> {
    static N: AtomicU64 = AtomicU64::new(0);
    let admin = admin_url()?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let name = format!(
        "linli_t_search_{}_{}_{}",
        std::process::id(),
        nanos % 1_000_000_000,
        N.fetch_add(1, Ordering::Relaxed)
    );
    let mut conn = PgConnection::connect(&admin).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    Some(format!("{base}/{name}"))
}

/// A fresh index, or `None` when PostgreSQL is not configured (outside CI).
async fn fresh() -> Option<PgIndex> {
    let url = fresh_database().await?;
    Some(PgIndex::connect(&url, analyzer()).await.unwrap())
}

contract_tests!(fresh);

/// Two nodes on one database: a write through either is seen by the other's next search,
/// and synonyms set on one reach the other within a second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_share_one_index() {
    let Some(url) = fresh_database().await else {
        return;
    };
    let a = PgIndex::connect(&url, analyzer()).await.unwrap();
    let b = PgIndex::connect(&url, analyzer()).await.unwrap();
    contract::seed(&a).await;
    assert_eq!(b.count().await.unwrap(), contract::fixtures::DOCS as u64);
    b.upsert(&contract::fixtures::doc("X-b", "古筝调音", ""))
        .await
        .unwrap();
    let res = a.search(&SearchQuery::text("古筝")).await.unwrap();
    assert_eq!(res.hits.len(), 1);
    a.delete("X-b").await.unwrap();
    assert_eq!(b.search(&SearchQuery::text("古筝")).await.unwrap().total, 0);

    assert_eq!(b.search(&SearchQuery::text("打扫")).await.unwrap().total, 0);
    a.set_synonyms(vec![vec!["保洁".into(), "打扫".into()]])
        .await
        .unwrap();
    let cleaning = a.search(&SearchQuery::text("保洁")).await.unwrap().total;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    loop {
        let seen = b.search(&SearchQuery::text("打扫")).await.unwrap().total;
        if seen == cleaning {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "node b never saw the synonyms"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

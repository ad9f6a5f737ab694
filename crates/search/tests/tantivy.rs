//! The embedded adapter: the shared contract suite on an in-memory index, plus what only a
//! directory-backed index has (persistence, the single-writer lock).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test

mod contract;

use linli_search::{SearchIndex, SearchQuery, TantivyIndex};

async fn in_ram() -> Option<TantivyIndex> {
    Some(TantivyIndex::open_in_ram().unwrap())
}

contract_tests!(in_ram);

/// A scratch directory removed when dropped.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "linli-search-{name}-{}-{nanos}",
            std::process::id()
        ));
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Documents and synonym groups written to a directory are there after reopening it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_index_keeps_documents_and_synonyms_across_reopening() {
    let dir = Scratch::new("reopen");
    let analyzer = linli_search::Analyzer::new();
    {
        let index = TantivyIndex::open_dir_with(&dir.0, analyzer.clone()).unwrap();
        contract::seed(&index).await;
        index
            .set_synonyms(vec![vec!["保洁".into(), "打扫".into()]])
            .await
            .unwrap();
        index.delete("L0000").await.unwrap();
    }
    let index = TantivyIndex::open_dir_with(&dir.0, analyzer).unwrap();
    assert_eq!(
        index.count().await.unwrap(),
        contract::fixtures::DOCS as u64 - 1
    );
    let swept = index.search(&SearchQuery::text("打扫")).await.unwrap();
    let cleaning = index.search(&SearchQuery::text("保洁")).await.unwrap();
    assert!(swept.total > 0);
    assert_eq!(swept.total, cleaning.total);
}

/// A second index on a directory already open is refused with an error, not a panic, and
/// the directory opens again once the first index is dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directory_has_one_writer_at_a_time() {
    let dir = Scratch::new("lock");
    let analyzer = linli_search::Analyzer::new();
    let first = TantivyIndex::open_dir_with(&dir.0, analyzer.clone()).unwrap();
    first
        .upsert(&contract::fixtures::doc("X-1", "古筝调音", ""))
        .await
        .unwrap();
    assert!(TantivyIndex::open_dir_with(&dir.0, analyzer.clone()).is_err());
    drop(first);
    let again = TantivyIndex::open_dir_with(&dir.0, analyzer).unwrap();
    assert_eq!(again.count().await.unwrap(), 1);
}

//! Service search of Linli (服务搜索): the [`SearchIndex`] port the app talks to, and its
//! embedded adapter [`TantivyIndex`] (tantivy with jieba in-process) and [`PgIndex`]
//! (jieba-segmented `tsvector`s in PostgreSQL, for nodes that must share one index). Both pass
//! the same contract suite (`tests/contract/`).
//!
//! What is backend-neutral lives here so both adapters behave alike: the data types
//! ([`model`]), normalisation and segmentation ([`analysis`]), synonym groups ([`synonyms`]),
//! query planning ([`plan`]), highlighting ([`highlight`]) and coverage/distance ([`geo`]).
//! Only [`embedded`] knows tantivy and only [`postgres`] knows SQL.

pub mod analysis;
pub mod embedded;
pub mod geo;
pub mod highlight;
pub mod model;
pub mod plan;
pub mod postgres;
pub mod synonyms;

use async_trait::async_trait;

pub use analysis::Analyzer;
pub use embedded::TantivyIndex;
pub use model::{Facets, Hit, SearchDoc, SearchQuery, SearchResults, Sort};
pub use postgres::PgIndex;

/// A failure from the search layer. [`SearchError::InvalidQuery`], [`SearchError::InvalidDoc`]
/// and [`SearchError::InvalidSynonyms`] are the caller's mistake (answer 4xx); the rest are
/// the backend's (answer 5xx, retry later).
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The query breaks a limit (page, page size, text length, price or rating range, distance
    /// sort without a place).
    #[error("invalid search: {0}")]
    InvalidQuery(String),
    /// The document cannot be indexed (no id, negative price, rating out of range, …).
    #[error("invalid search document: {0}")]
    InvalidDoc(String),
    /// The synonym configuration breaks a limit.
    #[error("invalid synonyms: {0}")]
    InvalidSynonyms(String),
    /// The index or database failed.
    #[error("search backend error: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl SearchError {
    /// Wraps a backend failure.
    pub fn backend(err: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self::Backend(err.into())
    }
}

/// Result alias for search calls.
pub type Result<T, E = SearchError> = std::result::Result<T, E>;

/// The search port. Every implementation:
/// - makes a write visible to the next search once the call returns (read-your-writes; the
///   product promises "reflected in search within 1 second");
/// - is safe to call from many tasks at once, and loses no concurrent write;
/// - plans text with [`plan::TextPlan`], highlights with [`highlight`], decides coverage with
///   [`geo`], and counts facets as [`Facets`] documents, so results agree across backends up to
///   score values and the order of exact ties.
#[async_trait]
pub trait SearchIndex: Send + Sync {
    /// Adds the document, or replaces the one with the same id.
    async fn upsert(&self, doc: &SearchDoc) -> Result<()>;

    /// Adds or replaces many documents; an adapter may do it in one commit (reindexing).
    /// Stops at the first invalid document, before writing anything.
    async fn upsert_many(&self, docs: &[SearchDoc]) -> Result<()> {
        for doc in docs {
            doc.validate()?;
        }
        for doc in docs {
            self.upsert(doc).await?;
        }
        Ok(())
    }

    /// Removes the document with this id; removing an unknown id is not an error.
    async fn delete(&self, id: &str) -> Result<()>;

    /// One page of results with total and facets.
    async fn search(&self, q: &SearchQuery) -> Result<SearchResults>;

    /// Replaces the synonym groups (persisted with the index, applied from the next search on;
    /// no reindexing). An empty list removes them all.
    async fn set_synonyms(&self, groups: Vec<Vec<String>>) -> Result<()>;

    /// Removes every document (synonyms stay).
    async fn clear(&self) -> Result<()>;

    /// Number of documents in the index.
    async fn count(&self) -> Result<u64>;
}

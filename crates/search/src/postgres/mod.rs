//! The PostgreSQL search index, for deployments where several nodes must see one index. Text
//! is segmented by jieba in Rust (module `text`) and stored as a weighted `tsvector` with a GIN
//! index; a query's [`TextPlan`] becomes a `tsquery`. Coverage, filters, disjunctive facets,
//! the sort and the page are one SQL statement (module `sql`), so `total`, the facets and the
//! pages count the same documents, as in the embedded index.
//!
//! The adapter owns its tables (`search_index_docs`, `search_index_meta`) and creates them on
//! open under an advisory lock, so it can share a database with the store or use its own.
//! Synonym groups live in `search_index_meta`; a node re-reads them at most once a second, so
//! an admin's change reaches every node within a second (and the node that made it at once).
//!
//! Relevance is `ts_rank` with field weights rather than BM25: the same fields count the same
//! way (title 3 : category name 2 : description 1 : provider 1), without corpus statistics.

mod sql;
mod text;

use std::{
    sync::{Arc, Mutex, PoisonError},
    time::{Duration, Instant},
};

use async_trait::async_trait;
use sqlx::{
    Row,
    postgres::{PgPool, PgPoolOptions},
};

use crate::{
    Result, SearchError, SearchIndex,
    analysis::Analyzer,
    highlight::{highlight, snippet},
    model::{
        Facets, Hit, PRICE_BUCKETS, SearchDoc, SearchQuery, SearchResults, price_bucket_label,
        sorted_counts,
    },
    plan::TextPlan,
    synonyms::Synonyms,
};

/// How long a node trusts its copy of the synonym groups before checking the database.
const SYNONYMS_TTL: Duration = Duration::from_secs(1);
/// Connections the index's own pool opens at most.
const POOL_SIZE: u32 = 8;
/// Key of the advisory lock that serialises schema creation across nodes.
const SCHEMA_LOCK: i64 = 0x6c69_6e6c_6973_6561; // "linlisea"

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS search_index_docs (
        id TEXT PRIMARY KEY,
        provider_id TEXT NOT NULL,
        title TEXT NOT NULL,
        description TEXT NOT NULL,
        category TEXT NOT NULL,
        parent_category TEXT NOT NULL,
        price_fen BIGINT NOT NULL,
        rating_x10 BIGINT NOT NULL,
        sales BIGINT NOT NULL,
        districts TEXT[] NOT NULL,
        zone_lat BIGINT[] NOT NULL,
        zone_lng BIGINT[] NOT NULL,
        zone_m BIGINT[] NOT NULL,
        base_lat BIGINT NOT NULL,
        base_lng BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        tsv TSVECTOR NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS search_index_docs_tsv ON search_index_docs USING GIN (tsv)",
    "CREATE INDEX IF NOT EXISTS search_index_docs_districts
        ON search_index_docs USING GIN (districts)",
    "CREATE TABLE IF NOT EXISTS search_index_meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        version BIGINT NOT NULL
    )",
    // Great-circle metres between two points in micro-degrees: the formula of
    // `linli_domain::area::distance_m`, so coverage agrees with the service page. A plain SQL
    // function, inlined by the planner.
    "CREATE OR REPLACE FUNCTION search_index_metres(
        a_lat BIGINT, a_lng BIGINT, b_lat BIGINT, b_lng BIGINT) RETURNS DOUBLE PRECISION
     LANGUAGE SQL IMMUTABLE PARALLEL SAFE AS $$
        SELECT 2.0 * 6371000.0 * asin(sqrt(
            power(sin((radians(b_lat / 1000000.0::float8) - radians(a_lat / 1000000.0::float8)) / 2.0), 2)
            + cos(radians(a_lat / 1000000.0::float8)) * cos(radians(b_lat / 1000000.0::float8))
              * power(sin((radians(b_lng / 1000000.0::float8) - radians(a_lng / 1000000.0::float8)) / 2.0), 2)))
     $$",
];

/// PostgreSQL [`SearchIndex`]. Every node opening the same database shares the index.
pub struct PgIndex {
    pool: PgPool,
    analyzer: Analyzer,
    synonyms: Mutex<CachedSynonyms>,
}

struct CachedSynonyms {
    synonyms: Arc<Synonyms>,
    version: i64,
    checked: Option<Instant>,
}

impl std::fmt::Debug for PgIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgIndex").finish_non_exhaustive()
    }
}

impl PgIndex {
    /// Connects its own small pool to `url` and prepares the tables.
    pub async fn connect(url: &str, analyzer: Analyzer) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(POOL_SIZE)
            .connect(url)
            .await
            .map_err(SearchError::backend)?;
        Self::open(pool, analyzer).await
    }

    /// Uses `pool` and prepares the tables (idempotent; safe with several nodes at once).
    pub async fn open(pool: PgPool, analyzer: Analyzer) -> Result<Self> {
        let mut tx = pool.begin().await.map_err(SearchError::backend)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(SCHEMA_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(SearchError::backend)?;
        for statement in SCHEMA {
            sqlx::query(*statement)
                .execute(&mut *tx)
                .await
                .map_err(SearchError::backend)?;
        }
        tx.commit().await.map_err(SearchError::backend)?;
        Ok(Self {
            pool,
            analyzer,
            synonyms: Mutex::new(CachedSynonyms {
                synonyms: Arc::new(Synonyms::default()),
                version: -1,
                checked: None,
            }),
        })
    }

    /// The synonym groups, re-read from the database when the copy is older than
    /// [`SYNONYMS_TTL`].
    async fn synonyms(&self) -> Result<Arc<Synonyms>> {
        {
            let cached = self.synonyms.lock().unwrap_or_else(PoisonError::into_inner);
            if cached.checked.is_some_and(|t| t.elapsed() < SYNONYMS_TTL) {
                return Ok(Arc::clone(&cached.synonyms));
            }
        }
        let row =
            sqlx::query("SELECT value, version FROM search_index_meta WHERE key = 'synonyms'")
                .fetch_optional(&self.pool)
                .await
                .map_err(SearchError::backend)?;
        let (json, version) = match row {
            Some(r) => (r.get::<String, _>(0), r.get::<i64, _>(1)),
            None => ("[]".to_owned(), 0),
        };
        let mut cached = self.synonyms.lock().unwrap_or_else(PoisonError::into_inner);
        if version > cached.version {
            let groups: Vec<Vec<String>> =
                serde_json::from_str(&json).map_err(SearchError::backend)?;
            cached.synonyms = Arc::new(Synonyms::new(groups)?);
            cached.version = version;
        }
        cached.checked = Some(Instant::now());
        Ok(Arc::clone(&cached.synonyms))
    }
}

#[async_trait]
impl SearchIndex for PgIndex {
    async fn upsert(&self, doc: &SearchDoc) -> Result<()> {
        self.upsert_many(std::slice::from_ref(doc)).await
    }

    async fn upsert_many(&self, docs: &[SearchDoc]) -> Result<()> {
        for doc in docs {
            doc.validate()?;
        }
        if docs.is_empty() {
            return Ok(());
        }
        // Rows are locked in id order, so two batches sharing ids cannot deadlock.
        let mut sorted: Vec<&SearchDoc> = docs.iter().collect();
        sorted.sort_by(|a, b| a.id.cmp(&b.id));
        let rows: Vec<(&SearchDoc, String)> = sorted
            .into_iter()
            .map(|d| (d, text::tsvector(&self.analyzer, d)))
            .collect();
        let mut tx = self.pool.begin().await.map_err(SearchError::backend)?;
        for (d, tsv) in rows {
            let zone = |f: fn(&(i64, i64, i64)) -> i64| -> Vec<i64> {
                d.radius_zones.iter().map(f).collect()
            };
            sqlx::query(sql::UPSERT)
                .bind(&d.id)
                .bind(&d.provider_id)
                .bind(&d.title)
                .bind(&d.description)
                .bind(&d.category)
                .bind(&d.parent_category)
                .bind(d.price_fen)
                .bind(d.rating_x10)
                .bind(d.sales)
                .bind(&d.districts)
                .bind(zone(|z| z.0))
                .bind(zone(|z| z.1))
                .bind(zone(|z| z.2))
                .bind(d.base_lat_micro)
                .bind(d.base_lng_micro)
                .bind(d.updated_at)
                .bind(tsv)
                .execute(&mut *tx)
                .await
                .map_err(SearchError::backend)?;
        }
        tx.commit().await.map_err(SearchError::backend)
    }

    async fn delete(&self, id: &str) -> Result<()> {
        sqlx::query("DELETE FROM search_index_docs WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(SearchError::backend)?;
        Ok(())
    }

    async fn search(&self, q: &SearchQuery) -> Result<SearchResults> {
        q.validate()?;
        let synonyms = self.synonyms().await?;
        let plan = TextPlan::build(&self.analyzer, &synonyms, &q.text);
        let mut statement = sql::search(q, &plan);
        let rows = statement
            .build()
            .fetch_all(&self.pool)
            .await
            .map_err(SearchError::backend)?;

        let terms = plan.terms();
        let mut results = SearchResults::default();
        let mut categories = Vec::new();
        let mut districts = Vec::new();
        let mut buckets = [0u64; PRICE_BUCKETS.len()];
        for row in rows {
            let kind: i32 = row.get("kind");
            let key: Option<String> = row.get("key");
            let n = u64::try_from(row.get::<i64, _>("n")).unwrap_or(0);
            match kind {
                sql::KIND_HIT => {
                    let title: Option<String> = row.get("title");
                    let description: Option<String> = row.get("description");
                    let (title, description) =
                        (title.unwrap_or_default(), description.unwrap_or_default());
                    results.hits.push(Hit {
                        id: key.unwrap_or_default(),
                        score: row.get::<Option<f32>, _>("score").unwrap_or(0.0),
                        title_highlight: highlight(&self.analyzer, &title, &terms),
                        snippet_highlight: snippet(&self.analyzer, &description, &terms),
                        distance_m: row.get("dist"),
                    });
                }
                sql::KIND_CATEGORY => categories.push((key.unwrap_or_default(), n)),
                sql::KIND_DISTRICT => districts.push((key.unwrap_or_default(), n)),
                sql::KIND_PRICE => {
                    let i = key.and_then(|k| k.parse::<usize>().ok()).unwrap_or(0);
                    if let Some(slot) = buckets.get_mut(i) {
                        *slot += n;
                    }
                }
                _ => results.total = n,
            }
        }
        results.facets = Facets {
            categories: sorted_counts(categories),
            districts: sorted_counts(districts),
            price_buckets: (0..PRICE_BUCKETS.len())
                .map(|i| (price_bucket_label(i), buckets[i]))
                .collect(),
        };
        Ok(results)
    }

    async fn set_synonyms(&self, groups: Vec<Vec<String>>) -> Result<()> {
        let synonyms = Synonyms::new(groups)?;
        let json = serde_json::to_string(synonyms.groups()).map_err(SearchError::backend)?;
        let version: i64 = sqlx::query_scalar(
            "INSERT INTO search_index_meta (key, value, version) VALUES ('synonyms', $1, 1)
             ON CONFLICT (key) DO UPDATE
                SET value = EXCLUDED.value, version = search_index_meta.version + 1
             RETURNING version",
        )
        .bind(json)
        .fetch_one(&self.pool)
        .await
        .map_err(SearchError::backend)?;
        let mut cached = self.synonyms.lock().unwrap_or_else(PoisonError::into_inner);
        if version > cached.version {
            cached.synonyms = Arc::new(synonyms);
            cached.version = version;
        }
        cached.checked = Some(Instant::now());
        Ok(())
    }

    async fn clear(&self) -> Result<()> {
        sqlx::query("DELETE FROM search_index_docs")
            .execute(&self.pool)
            .await
            .map_err(SearchError::backend)?;
        Ok(())
    }

    async fn count(&self) -> Result<u64> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM search_index_docs")
            .fetch_one(&self.pool)
            .await
            .map_err(SearchError::backend)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

//! The embedded search index: tantivy with the jieba tokenizer, in-process, in RAM (tests,
//! demos) or in a directory (the embedded default). Writes go through one writer thread that
//! group-commits and reloads the reader before answering (module `writer`); searches run on the
//! blocking pool against the current searcher. Synonym groups live in memory and in a dot-file
//! beside the index (tantivy's garbage collector leaves dot-files alone).

mod collector;
mod query;
mod schema;
mod tokenizer;
mod writer;

use std::{
    path::Path,
    sync::{Arc, Mutex, PoisonError, RwLock},
};

use async_trait::async_trait;
use tantivy::{
    Directory, Index, IndexReader, ReloadPolicy, TantivyDocument,
    directory::{MmapDirectory, error::OpenReadError},
    indexer::IndexWriterOptions,
    schema::Value,
};

use self::{
    collector::{SearchCollector, compare},
    schema::Fields,
    tokenizer::JiebaTokenizer,
    writer::{Op, Writer},
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

/// Where the synonym groups are kept, inside the index directory.
const SYNONYMS_FILE: &str = ".linli-synonyms.json";
/// Indexing memory per writer thread (tantivy's minimum; listings are small).
const WRITER_MEMORY: usize = 15_000_000;

/// Embedded [`SearchIndex`] over tantivy + jieba. Its async methods expect a Tokio runtime
/// (searches run on the blocking pool). Bulk (re)indexing should use
/// [`SearchIndex::upsert_many`], which is one commit; a lone `upsert` is one commit too (about
/// 5 ms in RAM, 50 ms on a disk that syncs), shared with whatever other writes queued meanwhile.
pub struct TantivyIndex {
    inner: Arc<Inner>,
    writer: Writer,
}

struct Inner {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    analyzer: Analyzer,
    synonyms: RwLock<Arc<Synonyms>>,
    /// Serialises synonym updates so the file and memory agree.
    synonyms_update: Mutex<()>,
}

impl std::fmt::Debug for TantivyIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TantivyIndex").finish_non_exhaustive()
    }
}

impl TantivyIndex {
    /// A fresh index in memory (loads jieba's dictionary).
    pub fn open_in_ram() -> Result<Self> {
        Self::open_in_ram_with(Analyzer::new())
    }

    /// A fresh index in memory sharing an already loaded [`Analyzer`].
    pub fn open_in_ram_with(analyzer: Analyzer) -> Result<Self> {
        let (schema, fields) = Fields::schema();
        Self::start(Index::create_in_ram(schema), fields, analyzer)
    }

    /// Opens the index in `path`, creating the directory and the index if needed. Fails if
    /// another process (or another `TantivyIndex`) has it open, or if it was built with a
    /// different schema (delete the directory and reindex).
    pub fn open_dir(path: impl AsRef<Path>) -> Result<Self> {
        Self::open_dir_with(path, Analyzer::new())
    }

    /// [`TantivyIndex::open_dir`] sharing an already loaded [`Analyzer`].
    pub fn open_dir_with(path: impl AsRef<Path>, analyzer: Analyzer) -> Result<Self> {
        std::fs::create_dir_all(path.as_ref()).map_err(SearchError::backend)?;
        let dir = MmapDirectory::open(path.as_ref()).map_err(SearchError::backend)?;
        let (schema, fields) = Fields::schema();
        let index = Index::open_or_create(dir, schema).map_err(SearchError::backend)?;
        Self::start(index, fields, analyzer)
    }

    fn start(index: Index, fields: Fields, analyzer: Analyzer) -> Result<Self> {
        index
            .tokenizers()
            .register(tokenizer::NAME, JiebaTokenizer::new(analyzer.clone()));
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(SearchError::backend)?;
        let options = IndexWriterOptions::builder()
            .num_worker_threads(1)
            .num_merge_threads(1)
            .memory_budget_per_thread(WRITER_MEMORY)
            .build();
        let index_writer = index
            .writer_with_options(options)
            .map_err(SearchError::backend)?;
        let synonyms = load_synonyms(&index)?;
        let writer = Writer::start(index_writer, reader.clone(), fields.id)?;
        Ok(Self {
            inner: Arc::new(Inner {
                index,
                reader,
                fields,
                analyzer,
                synonyms: RwLock::new(Arc::new(synonyms)),
                synonyms_update: Mutex::new(()),
            }),
            writer,
        })
    }

    /// Runs blocking tantivy work off the async threads.
    async fn blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce(&Inner) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || work(&inner))
            .await
            .map_err(SearchError::backend)?
    }
}

fn load_synonyms(index: &Index) -> Result<Synonyms> {
    match index.directory().atomic_read(Path::new(SYNONYMS_FILE)) {
        Ok(bytes) => {
            let groups: Vec<Vec<String>> =
                serde_json::from_slice(&bytes).map_err(SearchError::backend)?;
            Synonyms::new(groups)
        }
        Err(OpenReadError::FileDoesNotExist(_)) => Ok(Synonyms::default()),
        Err(e) => Err(SearchError::backend(e)),
    }
}

#[async_trait]
impl SearchIndex for TantivyIndex {
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
        let ops = docs
            .iter()
            .map(|d| Op::Upsert {
                id: d.id.clone(),
                doc: self.inner.fields.document(d),
            })
            .collect();
        self.writer.apply(ops).await
    }

    async fn delete(&self, id: &str) -> Result<()> {
        self.writer.apply(vec![Op::Delete(id.to_owned())]).await
    }

    async fn search(&self, q: &SearchQuery) -> Result<SearchResults> {
        q.validate()?;
        let q = Arc::new(q.clone());
        self.blocking(move |inner| inner.search(q)).await
    }

    async fn set_synonyms(&self, groups: Vec<Vec<String>>) -> Result<()> {
        let synonyms = Synonyms::new(groups)?;
        self.blocking(move |inner| {
            let _one_at_a_time = inner
                .synonyms_update
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            let json = serde_json::to_vec(synonyms.groups()).map_err(SearchError::backend)?;
            inner
                .index
                .directory()
                .atomic_write(Path::new(SYNONYMS_FILE), &json)
                .map_err(SearchError::backend)?;
            *inner
                .synonyms
                .write()
                .unwrap_or_else(PoisonError::into_inner) = Arc::new(synonyms);
            Ok(())
        })
        .await
    }

    async fn clear(&self) -> Result<()> {
        self.writer.apply(vec![Op::Clear]).await
    }

    async fn count(&self) -> Result<u64> {
        Ok(self.inner.reader.searcher().num_docs())
    }
}

impl Inner {
    fn search(&self, q: Arc<SearchQuery>) -> Result<SearchResults> {
        let synonyms = Arc::clone(&self.synonyms.read().unwrap_or_else(PoisonError::into_inner));
        let plan = TextPlan::build(&self.analyzer, &synonyms, &q.text);
        let tantivy_query = query::build(&self.fields, &plan);
        let searcher = self.reader.searcher();
        let collector = SearchCollector::new(Arc::clone(&q), !plan.is_empty());
        let mut found = searcher
            .search(&*tantivy_query, &collector)
            .map_err(SearchError::backend)?;

        let total = found.candidates.len() as u64;
        let offset = usize::try_from(q.offset()).unwrap_or(usize::MAX);
        let end = offset.saturating_add(q.per_page as usize);
        let by_sort = |a: &_, b: &_| compare(q.sort, a, b);
        if end < found.candidates.len() {
            found.candidates.select_nth_unstable_by(end, by_sort);
            found.candidates.truncate(end);
        }
        found.candidates.sort_unstable_by(by_sort);

        let terms = plan.terms();
        let mut hits = Vec::new();
        for c in found.candidates.iter().skip(offset) {
            let doc: TantivyDocument = searcher.doc(c.addr).map_err(SearchError::backend)?;
            let text = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or("");
            hits.push(Hit {
                id: text(self.fields.id).to_owned(),
                score: c.score,
                title_highlight: highlight(&self.analyzer, text(self.fields.title), &terms),
                snippet_highlight: snippet(&self.analyzer, text(self.fields.description), &terms),
                distance_m: c.distance_m,
            });
        }

        Ok(SearchResults {
            total,
            hits,
            facets: Facets {
                categories: sorted_counts(found.categories),
                districts: sorted_counts(found.districts),
                price_buckets: (0..PRICE_BUCKETS.len())
                    .map(|i| (price_bucket_label(i), found.price_buckets[i]))
                    .collect(),
            },
        })
    }
}

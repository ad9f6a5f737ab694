//! Service search use cases: keeping the index in step with published listings (fed by the
//! outbox, within a second of a change), full reindexing, and the customer-facing query with
//! its filters, facets, sorts and highlights.

use std::collections::BTreeSet;

use linli_domain::{district, ids::ListingId};
use linli_search::{SearchDoc, SearchQuery, SearchResults, Sort};
use linli_store::ListingRow;

use crate::{Actor, App, AppError, AppResult, listings::ListingView};

/// A search request as customers make it (prices in yuan as typed).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema, utoipa::IntoParams))]
#[serde(deny_unknown_fields)]
pub struct SearchForm {
    /// Words, e.g. `保洁`, `空调清洗`.
    #[serde(default)]
    pub q: String,
    /// Category slug (a top-level slug includes its children).
    pub category: Option<String>,
    /// District code.
    pub district: Option<String>,
    /// Lowest price, yuan.
    pub price_min: Option<i64>,
    /// Highest price, yuan.
    pub price_max: Option<i64>,
    /// Minimum rating ×10 (45 = 4.5 stars).
    pub min_rating: Option<i64>,
    /// `relevance` (default), `distance`, `rating`, `price_asc`, `price_desc`, `sales`.
    pub sort: Option<String>,
    /// One of the caller's addresses: only services covering it, and distance sort from it.
    pub address: Option<String>,
    /// Page from 1 (20 per page).
    pub page: Option<u32>,
}

/// One result: the listing plus highlighted text.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchHit {
    /// The listing.
    pub listing: ListingView,
    /// Title with matches wrapped in `<em>` (HTML-escaped otherwise).
    pub title_html: String,
    /// A snippet of the description, highlighted the same way.
    pub snippet_html: String,
    /// Distance from the chosen address, metres.
    pub distance_m: Option<i64>,
}

/// A facet value.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FacetCount {
    /// Value (category slug, district code or price bucket key).
    pub value: String,
    /// Display label (zh-CN).
    pub label: String,
    /// Matching services.
    pub count: u64,
}

/// A page of results.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SearchPage {
    /// Total matches.
    pub total: u64,
    /// Page number.
    pub page: u32,
    /// Number of pages.
    pub pages: u32,
    /// Hits.
    pub hits: Vec<SearchHit>,
    /// Counts by category.
    pub categories: Vec<FacetCount>,
    /// Counts by district.
    pub districts: Vec<FacetCount>,
    /// Counts by price range.
    pub prices: Vec<FacetCount>,
}

fn sort_of(s: Option<&str>) -> AppResult<Sort> {
    Ok(match s.unwrap_or("relevance") {
        "relevance" | "" => Sort::Relevance,
        "distance" => Sort::Distance,
        "rating" => Sort::Rating,
        "price_asc" => Sort::PriceAsc,
        "price_desc" => Sort::PriceDesc,
        "sales" => Sort::Sales,
        _ => return Err(linli_domain::DomainError::Invalid("sort").into()),
    })
}

fn search_error(e: linli_search::SearchError) -> AppError {
    match e {
        linli_search::SearchError::InvalidQuery(_) => {
            linli_domain::DomainError::Invalid("search query").into()
        }
        other => AppError::Internal(other.to_string()),
    }
}

/// Listings read per step of a full reindex.
const REINDEX_BATCH: i64 = 500;
/// Documents written per index commit of a full reindex.
const REINDEX_COMMIT: usize = 5_000;

/// What building documents for a batch of listings reads once: the categories, and per
/// provider its row and service areas (`None` when its listings are not findable).
#[derive(Default)]
struct DocCache {
    categories: Option<Vec<linli_store::CategoryRow>>,
    providers: std::collections::HashMap<
        linli_domain::ids::ProviderId,
        Option<(linli_store::ProviderRow, Vec<linli_store::AreaRow>)>,
    >,
}

/// The lease that makes one node the search indexer.
const INDEXER_LEASE: &str = "search-indexer";
/// How long the indexer lease lasts without renewal (the pump renews it several times a
/// second, so a stopped node hands over within this time).
const INDEXER_LEASE_MS: i64 = 10_000;

impl App {
    fn index(&self) -> AppResult<&dyn linli_search::SearchIndex> {
        self.search
            .as_deref()
            .ok_or_else(|| AppError::Internal("search is not configured".into()))
    }

    /// The document for a listing if it should be findable (published, provider approved
    /// and not suspended), else `None`. `cache` carries the categories and each provider's
    /// row and areas across the listings of one batch.
    async fn search_doc(
        &self,
        cache: &mut DocCache,
        l: &ListingRow,
    ) -> AppResult<Option<SearchDoc>> {
        if l.status != "published" {
            return Ok(None);
        }
        if cache.categories.is_none() {
            cache.categories = Some(self.store.categories().await?);
        }
        if let std::collections::hash_map::Entry::Vacant(slot) =
            cache.providers.entry(l.provider_id)
        {
            let entry = match self
                .store
                .provider(l.provider_id)
                .await?
                .filter(|p| p.status == "approved" && !p.suspended)
            {
                Some(p) => {
                    let areas = self.store.service_areas(p.id).await?;
                    Some((p, areas))
                }
                None => None,
            };
            slot.insert(entry);
        }
        let Some(Some((p, areas))) = cache.providers.get(&l.provider_id) else {
            return Ok(None);
        };
        let cats = cache.categories.as_deref().unwrap_or_default();
        let cat = cats.iter().find(|c| c.slug == l.category);
        let parent = cat
            .and_then(|c| c.parent_id.as_ref())
            .and_then(|pid| cats.iter().find(|c| &c.id == pid));
        let mut districts = BTreeSet::new();
        let mut radius = Vec::new();
        for a in areas {
            if a.kind == "radius" {
                radius.push((a.lat_micro, a.lng_micro, a.radius_m));
            } else {
                districts.extend(a.districts.iter().cloned());
            }
        }
        // A representative point for distance sorting: the first district's centre.
        let base = districts
            .iter()
            .next()
            .and_then(|c| district::by_code(c))
            .map(|d| {
                (
                    district::to_micro_degrees(d.lat),
                    district::to_micro_degrees(d.lng),
                )
            });
        let base = base
            .or_else(|| radius.first().map(|r| (r.0, r.1)))
            .unwrap_or((0, 0));
        Ok(Some(SearchDoc {
            id: l.id.to_string(),
            provider_id: p.id.to_string(),
            title: l.title.clone(),
            description: l.description.clone(),
            category: l.category.clone(),
            parent_category: parent.map(|c| c.slug.clone()).unwrap_or_default(),
            category_name: cat.map(|c| c.name_zh.clone()).unwrap_or_default(),
            provider_name: p.display_name.clone(),
            price_fen: l.price_fen,
            rating_x10: linli_domain::review::bayesian_x10(p.rating_sum, p.rating_count)
                .unwrap_or(0),
            sales: l.sales,
            districts: districts.into_iter().collect(),
            radius_zones: radius,
            base_lat_micro: base.0,
            base_lng_micro: base.1,
            updated_at: l.updated_at.millis(),
        }))
    }

    /// Applies pending outbox events to the index (one commit for the batch) and returns how
    /// many events were handled. Safe to repeat: an event re-applied leaves the same index.
    ///
    /// Only the node holding the indexer lease does the work (the index is shared in
    /// PostgreSQL mode, and two nodes applying the same events in different orders could leave
    /// an older version of a listing last); the others return 0 and take over when the holder
    /// stops renewing it.
    pub async fn index_pending(&self) -> AppResult<usize> {
        let index = self.index()?;
        if !self
            .store
            .try_lease(INDEXER_LEASE, &self.node, self.now(), INDEXER_LEASE_MS)
            .await?
        {
            return Ok(0);
        }
        let events = self.store.pending_events(500).await?;
        if events.is_empty() {
            return Ok(0);
        }
        let mut ids = BTreeSet::new();
        for (_, topic, payload) in &events {
            if topic == "listing.changed"
                && let Some(id) = serde_json::from_str::<serde_json::Value>(payload)
                    .ok()
                    .and_then(|v| v["listing"].as_str().map(str::to_owned))
            {
                ids.insert(id);
            }
        }
        let mut upserts = Vec::new();
        let mut cache = DocCache::default();
        for id in &ids {
            let Ok(lid) = id.parse::<ListingId>() else {
                continue;
            };
            match self.store.listing(lid).await? {
                Some(l) => match self.search_doc(&mut cache, &l).await? {
                    Some(doc) => upserts.push(doc),
                    None => index.delete(id).await.map_err(search_error)?,
                },
                None => index.delete(id).await.map_err(search_error)?,
            }
        }
        if !upserts.is_empty() {
            index.upsert_many(&upserts).await.map_err(search_error)?;
        }
        let done: Vec<String> = events.into_iter().map(|(id, _, _)| id).collect();
        self.store.mark_events_processed(&done, self.now()).await?;
        Ok(done.len())
    }

    /// Rebuilds the index from the database (first start, or after an index format change):
    /// a key-set walk over published listings, 500 a read, one index commit per 5,000 documents.
    pub async fn reindex_all(&self) -> AppResult<usize> {
        let index = self.index()?;
        index.clear().await.map_err(search_error)?;
        let mut cache = DocCache::default();
        let mut after = None;
        let mut n = 0;
        let mut docs = Vec::with_capacity(REINDEX_COMMIT);
        loop {
            let rows = self.store.published_after(after, REINDEX_BATCH).await?;
            let Some(last) = rows.last() else {
                break;
            };
            after = Some(last.id);
            for l in &rows {
                if let Some(d) = self.search_doc(&mut cache, l).await? {
                    docs.push(d);
                }
            }
            if docs.len() >= REINDEX_COMMIT {
                n += docs.len();
                index.upsert_many(&docs).await.map_err(search_error)?;
                docs.clear();
            }
        }
        n += docs.len();
        index.upsert_many(&docs).await.map_err(search_error)?;
        Ok(n)
    }

    /// Re-indexes a provider's listings (after its service areas changed).
    pub async fn reindex_provider(&self, provider: linli_domain::ids::ProviderId) -> AppResult<()> {
        let Ok(index) = self.index() else {
            return Ok(());
        };
        let mut docs = Vec::new();
        let mut cache = DocCache::default();
        for l in self.store.listings_of(provider).await? {
            if let Some(d) = self.search_doc(&mut cache, &l).await? {
                docs.push(d);
            }
        }
        index.upsert_many(&docs).await.map_err(search_error)
    }

    /// Searches published services.
    pub async fn search(&self, actor: &Actor, f: &SearchForm) -> AppResult<SearchPage> {
        let index = self.index()?;
        let place = match f.address.as_deref().filter(|a| !a.is_empty()) {
            Some(a) => {
                let id = a.parse().map_err(AppError::from)?;
                let m = actor.member()?;
                let a = self
                    .store
                    .address(m.id, id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                Some((a.district_code, a.lat_micro, a.lng_micro))
            }
            None => None,
        };
        let per_page = 20u32;
        let q = SearchQuery {
            text: f.q.trim().to_owned(),
            category: f.category.clone().filter(|c| !c.is_empty()),
            price_min_fen: f.price_min.map(|y| y.saturating_mul(100)),
            price_max_fen: f.price_max.map(|y| y.saturating_mul(100)),
            min_rating_x10: f.min_rating,
            district: f.district.clone().filter(|d| !d.is_empty()),
            sort: sort_of(f.sort.as_deref())?,
            place,
            page: f.page.unwrap_or(1).max(1),
            per_page,
        };
        let results: SearchResults = index.search(&q).await.map_err(search_error)?;
        if q.page == 1 {
            self.log_search(actor, &q.text).await?;
        }
        // The catalogue is read once per page, not once per hit.
        let cats = self.store.categories().await?;
        let mut hits = Vec::with_capacity(results.hits.len());
        for h in results.hits {
            let Ok(id) = h.id.parse::<ListingId>() else {
                continue;
            };
            // The index may briefly lag a listing that just went offline: skip it.
            let Some(l) = self
                .store
                .listing(id)
                .await?
                .filter(|l| l.status == "published")
            else {
                continue;
            };
            hits.push(SearchHit {
                listing: self.listing_view_with(&l, &cats).await?,
                title_html: h.title_highlight,
                snippet_html: h.snippet_highlight,
                distance_m: h.distance_m,
            });
        }
        let label_cat = |slug: &str| {
            cats.iter()
                .find(|c| c.slug == slug)
                .map(|c| c.name_zh.clone())
                .unwrap_or_else(|| slug.to_owned())
        };
        let pages = u32::try_from(results.total.div_ceil(u64::from(per_page)))
            .unwrap_or(u32::MAX)
            .max(1);
        Ok(SearchPage {
            total: results.total,
            page: q.page,
            pages,
            hits,
            categories: results
                .facets
                .categories
                .iter()
                .map(|(v, n)| FacetCount {
                    label: label_cat(v),
                    value: v.clone(),
                    count: *n,
                })
                .collect(),
            districts: results
                .facets
                .districts
                .iter()
                .map(|(v, n)| FacetCount {
                    label: district::by_code(v)
                        .map(|d| d.name.to_owned())
                        .unwrap_or_else(|| v.clone()),
                    value: v.clone(),
                    count: *n,
                })
                .collect(),
            prices: results
                .facets
                .price_buckets
                .iter()
                .map(|(v, n)| FacetCount {
                    label: price_label(v),
                    value: v.clone(),
                    count: *n,
                })
                .collect(),
        })
    }
}

/// `5000-10000` (分) → `¥50–100`.
fn price_label(key: &str) -> String {
    let yuan = |s: &str| {
        s.parse::<i64>()
            .map(|f| (f / 100).to_string())
            .unwrap_or_default()
    };
    match key.split_once('-') {
        Some((lo, "")) => format!("¥{}+", yuan(lo)),
        Some((lo, hi)) => format!("¥{}–{}", yuan(lo), yuan(hi)),
        None => key.to_owned(),
    }
}

/// What the search box suggests before anything is typed.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Suggestions {
    /// Words pinned by operators (the first is the box's placeholder).
    pub pinned: Vec<String>,
    /// The most searched words of the last 7 days.
    pub hot: Vec<String>,
    /// The caller's own recent searches (empty for guests).
    pub history: Vec<String>,
}

/// A synonym group as operators see it.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SynonymGroup {
    /// Id.
    pub id: String,
    /// Words that mean the same (e.g. 保洁, 清洁, 打扫).
    pub words: Vec<String>,
}

const PINNED_KEY: &str = "search.pinned";

fn clean_words(raw: &[String], max: usize) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for w in raw
        .iter()
        .flat_map(|w| w.split([',', '，', ' ', '、', '\n']))
    {
        let w = w.trim();
        if w.is_empty() {
            continue;
        }
        if w.chars().count() > 20 || w.chars().any(char::is_control) {
            return Err(linli_domain::DomainError::TextLength {
                field: "word",
                min: 1,
                max: 20,
            }
            .into());
        }
        if !out.iter().any(|x| x == w) {
            out.push(w.to_owned());
        }
    }
    if out.len() > max {
        return Err(linli_domain::DomainError::Invalid("too many words").into());
    }
    Ok(out)
}

impl App {
    /// Records a search for the caller's history and the hot words (text only, capped).
    pub(crate) async fn log_search(&self, actor: &Actor, q: &str) -> AppResult<()> {
        let q: String = q.trim().chars().take(30).collect();
        if q.is_empty() {
            return Ok(());
        }
        let user = match actor {
            Actor::Member(m) => Some(m.id),
            Actor::Guest => None,
        };
        Ok(self.store.log_search(user, &q, self.now()).await?)
    }

    /// Pinned words, hot words of the last 7 days and the caller's history.
    pub async fn search_suggestions(&self, actor: &Actor) -> AppResult<Suggestions> {
        let pinned = self
            .store
            .setting(PINNED_KEY)
            .await?
            .map(|s| {
                s.split(',')
                    .filter(|w| !w.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let since = self.now().minus_ms(7 * linli_domain::time::DAY_MS);
        let hot = self
            .store
            .hot_searches(since, 10)
            .await?
            .into_iter()
            .map(|(q, _)| q)
            .collect();
        let history = match actor {
            Actor::Member(m) => self.store.search_history(m.id, 10).await?,
            Actor::Guest => Vec::new(),
        };
        Ok(Suggestions {
            pinned,
            hot,
            history,
        })
    }

    /// Clears the caller's search history.
    pub async fn clear_search_history(&self, actor: &Actor) -> AppResult<()> {
        let m = actor.member()?;
        Ok(self.store.clear_search_history(m.id).await?)
    }

    /// Sets the pinned words (operators).
    pub async fn admin_set_pinned(
        &self,
        actor: &Actor,
        words: &[String],
    ) -> AppResult<Vec<String>> {
        actor.require(linli_domain::permission::Permission::ContentReview)?;
        let words = clean_words(words, 10)?;
        self.store
            .put_setting(PINNED_KEY, &words.join(","), false)
            .await?;
        Ok(words)
    }

    /// Synonym groups (operators).
    pub async fn admin_synonyms(&self, actor: &Actor) -> AppResult<Vec<SynonymGroup>> {
        actor.require(linli_domain::permission::Permission::ContentReview)?;
        Ok(self
            .store
            .synonym_groups()
            .await?
            .into_iter()
            .map(|(id, words)| SynonymGroup { id, words })
            .collect())
    }

    /// Adds a synonym group and applies all groups to the index at once.
    pub async fn admin_add_synonyms(
        &self,
        actor: &Actor,
        words: &[String],
    ) -> AppResult<SynonymGroup> {
        actor.require(linli_domain::permission::Permission::ContentReview)?;
        let words = clean_words(words, 20)?;
        if words.len() < 2 {
            return Err(
                linli_domain::DomainError::Invalid("a synonym group needs two words").into(),
            );
        }
        let id = linli_domain::ids::JobId::new().to_string();
        self.store
            .add_synonym_group(&id, &words, self.now())
            .await?;
        self.load_synonyms().await?;
        Ok(SynonymGroup { id, words })
    }

    /// Removes a synonym group.
    pub async fn admin_delete_synonyms(&self, actor: &Actor, id: &str) -> AppResult<()> {
        actor.require(linli_domain::permission::Permission::ContentReview)?;
        self.store.delete_synonym_group(id).await?;
        self.load_synonyms().await
    }

    /// Hands the stored synonym groups to the index (at startup and after changes).
    pub async fn load_synonyms(&self) -> AppResult<()> {
        let index = self.index()?;
        let groups = self
            .store
            .synonym_groups()
            .await?
            .into_iter()
            .map(|(_, w)| w)
            .collect();
        index.set_synonyms(groups).await.map_err(search_error)
    }
}

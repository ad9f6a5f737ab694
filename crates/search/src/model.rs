//! The documents, queries and results the search port speaks: plain data shared by every
//! backend, with the validation that turns a bad query into [`SearchError::InvalidQuery`]
//! (a 4xx for the caller) before any backend sees it.

use serde::{Deserialize, Serialize};

use crate::SearchError;

/// Largest page a caller may ask for.
pub const MAX_PER_PAGE: u32 = 50;
/// Page size of [`SearchQuery::default`].
pub const DEFAULT_PER_PAGE: u32 = 20;
/// Longest query text, in characters.
pub const MAX_QUERY_CHARS: usize = 100;
/// Largest rating, ×10 (5.0 stars).
pub const MAX_RATING_X10: i64 = 50;

/// Price facet buckets in 分: `[min, max)`, the last one open-ended. The facet labels are
/// machine keys (`"0-5000"`, …, `"50000-"`) that the web layer renders (`¥0–50`) and turns back
/// into `price_min_fen = min`, `price_max_fen = max - 1` with [`price_bucket_range`].
pub const PRICE_BUCKETS: [(i64, Option<i64>); 5] = [
    (0, Some(5_000)),
    (5_000, Some(10_000)),
    (10_000, Some(20_000)),
    (20_000, Some(50_000)),
    (50_000, None),
];

/// What the app indexes for one published listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchDoc {
    /// Listing id; upserting the same id replaces the document.
    pub id: String,
    /// Provider id (not searched; kept for the app's own bookkeeping).
    pub provider_id: String,
    /// Listing title (searched, highlighted).
    pub title: String,
    /// Listing description (searched, source of the snippet).
    pub description: String,
    /// Second-level category slug, e.g. `home-cleaning`.
    pub category: String,
    /// First-level (parent) category slug, e.g. `housekeeping`.
    pub parent_category: String,
    /// Category name in Chinese (searched: 保洁 finds listings filed under 日常保洁).
    pub category_name: String,
    /// Provider display name (searched).
    pub provider_name: String,
    /// Starting price in 分.
    pub price_fen: i64,
    /// Average rating ×10 (48 = 4.8 stars); 0 = not rated yet.
    pub rating_x10: i64,
    /// Completed orders, for the sales sort.
    pub sales: i64,
    /// District codes covered by the provider's district zones.
    pub districts: Vec<String>,
    /// Radius zones: (latitude ×10⁶, longitude ×10⁶, radius in metres).
    pub radius_zones: Vec<(i64, i64, i64)>,
    /// Representative point for the distance sort (latitude ×10⁶); `(0, 0)` means none.
    pub base_lat_micro: i64,
    /// Representative point for the distance sort (longitude ×10⁶).
    pub base_lng_micro: i64,
    /// Last change, unix milliseconds; newer wins ties in every sort.
    pub updated_at: i64,
}

impl SearchDoc {
    /// Checks what a backend relies on: an id, no negative numbers, a rating within 0–5.0.
    pub fn validate(&self) -> Result<(), SearchError> {
        let bad = |what: &str| {
            Err(SearchError::InvalidDoc(format!(
                "{what} (doc {:?})",
                self.id
            )))
        };
        if self.id.trim().is_empty() || self.id.chars().count() > 128 {
            return bad("id must be 1–128 characters");
        }
        if self.price_fen < 0 || self.sales < 0 {
            return bad("price and sales must not be negative");
        }
        if !(0..=MAX_RATING_X10).contains(&self.rating_x10) {
            return bad("rating_x10 must be within 0–50");
        }
        if self.radius_zones.iter().any(|&(_, _, m)| m <= 0) {
            return bad("radius zones need a positive radius");
        }
        Ok(())
    }

    /// Whether the document has a representative point (distance sort puts it last if not).
    pub fn has_base_point(&self) -> bool {
        has_point(self.base_lat_micro, self.base_lng_micro)
    }
}

/// Result order. Ties, in every order, go to more sales, then higher rating, then the newer
/// `updated_at`, then a fixed per-id order (the embedded index uses a hash of the id), so the
/// order is total and pages never overlap or skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Best text match first (BM25 over title ×3, category name ×2, description, provider).
    /// Without query text every score is equal and the tie-breakers decide.
    #[default]
    Relevance,
    /// Nearest base point to the query's place first; documents without a point last.
    /// Needs [`SearchQuery::place`].
    Distance,
    /// Highest rating first; unrated (0) last.
    Rating,
    /// Cheapest first.
    PriceAsc,
    /// Most expensive first.
    PriceDesc,
    /// Most sales first.
    Sales,
}

/// A search request. Every filter is optional; see [`SearchQuery::validate`] for the limits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchQuery {
    /// Free text; empty browses everything that passes the filters.
    pub text: String,
    /// Category slug; matches a document's `category` or its `parent_category`.
    pub category: Option<String>,
    /// Lowest price in 分, inclusive.
    pub price_min_fen: Option<i64>,
    /// Highest price in 分, inclusive.
    pub price_max_fen: Option<i64>,
    /// Lowest rating ×10, inclusive (unrated documents have 0).
    pub min_rating_x10: Option<i64>,
    /// District code the document's district zones must contain (radius zones are not
    /// consulted: a district alone has no point to measure from).
    pub district: Option<String>,
    /// The customer's chosen address: (district code, latitude ×10⁶, longitude ×10⁶). Only
    /// documents covering it (district list contains the district, or a radius zone contains
    /// the point) are returned, and hits carry their distance.
    pub place: Option<(String, i64, i64)>,
    /// Result order.
    pub sort: Sort,
    /// 1-based page number.
    pub page: u32,
    /// Hits per page, 1–[`MAX_PER_PAGE`].
    pub per_page: u32,
}

impl Default for SearchQuery {
    fn default() -> Self {
        Self {
            text: String::new(),
            category: None,
            price_min_fen: None,
            price_max_fen: None,
            min_rating_x10: None,
            district: None,
            place: None,
            sort: Sort::Relevance,
            page: 1,
            per_page: DEFAULT_PER_PAGE,
        }
    }
}

impl SearchQuery {
    /// A first-page query for `text` with no filters.
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            ..Self::default()
        }
    }

    /// Rejects what no backend should try: page 0, pages over [`MAX_PER_PAGE`], text over
    /// [`MAX_QUERY_CHARS`] characters, negative or inverted price ranges, ratings outside
    /// 0–5.0, and the distance sort without a place.
    pub fn validate(&self) -> Result<(), SearchError> {
        let bad = |msg: &str| Err(SearchError::InvalidQuery(msg.to_owned()));
        if self.page == 0 {
            return bad("page starts at 1");
        }
        if self.per_page == 0 || self.per_page > MAX_PER_PAGE {
            return bad("per_page must be 1–50");
        }
        if self.text.chars().count() > MAX_QUERY_CHARS {
            return bad("query text is longer than 100 characters");
        }
        if self.price_min_fen.is_some_and(|p| p < 0) || self.price_max_fen.is_some_and(|p| p < 0) {
            return bad("prices must not be negative");
        }
        if let (Some(lo), Some(hi)) = (self.price_min_fen, self.price_max_fen)
            && lo > hi
        {
            return bad("price_min_fen is above price_max_fen");
        }
        if self
            .min_rating_x10
            .is_some_and(|r| !(0..=MAX_RATING_X10).contains(&r))
        {
            return bad("min_rating_x10 must be within 0–50");
        }
        if self.sort == Sort::Distance && self.place.is_none() {
            return bad("sorting by distance needs an address");
        }
        Ok(())
    }

    /// How many hits precede this page.
    pub fn offset(&self) -> u64 {
        u64::from(self.page.saturating_sub(1)) * u64::from(self.per_page)
    }

    /// Whether a price passes the price filter.
    pub fn price_ok(&self, price_fen: i64) -> bool {
        self.price_min_fen.is_none_or(|lo| price_fen >= lo)
            && self.price_max_fen.is_none_or(|hi| price_fen <= hi)
    }

    /// Whether a rating passes the rating filter.
    pub fn rating_ok(&self, rating_x10: i64) -> bool {
        self.min_rating_x10.is_none_or(|min| rating_x10 >= min)
    }
}

/// One page of results.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SearchResults {
    /// Documents matching the text, the place and every filter (all pages).
    pub total: u64,
    /// This page's hits, in the requested order.
    pub hits: Vec<Hit>,
    /// Counts for refining the search; see [`Facets`].
    pub facets: Facets,
}

/// One result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hit {
    /// Listing id.
    pub id: String,
    /// Text relevance score (0 without query text); comparable only within one result set.
    pub score: f32,
    /// The whole title, HTML-escaped, matched words wrapped in `<em>…</em>`.
    pub title_highlight: String,
    /// A short piece of the description around the first match, escaped and marked the same
    /// way, `…` where it was cut.
    pub snippet_highlight: String,
    /// Metres from the query's place to the document's base point, when both exist.
    pub distance_m: Option<i64>,
}

/// Facet counts over the whole result set, not just the page.
///
/// Each dimension is counted "disjunctively", as shops do it: a facet counts the documents that
/// match the text, the place and every filter **except its own**, so choosing a category still
/// shows how many hits the other categories would have. Concretely:
/// - `categories`: second-level slugs, ignoring the category filter;
/// - `districts`: district codes from the documents' district zones, ignoring the district
///   filter (a document covering three districts counts in each);
/// - `price_buckets`: [`PRICE_BUCKETS`] by label, ignoring the price filter.
///
/// `categories` and `districts` omit zero counts and are sorted by count (high first), then
/// key; `price_buckets` always lists every bucket in ascending order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Facets {
    /// (category slug, count).
    pub categories: Vec<(String, u64)>,
    /// (district code, count).
    pub districts: Vec<(String, u64)>,
    /// (price bucket label, count).
    pub price_buckets: Vec<(String, u64)>,
}

/// Label of the price bucket `i` of [`PRICE_BUCKETS`].
pub fn price_bucket_label(i: usize) -> String {
    match PRICE_BUCKETS.get(i) {
        Some((lo, Some(hi))) => format!("{lo}-{hi}"),
        Some((lo, None)) => format!("{lo}-"),
        None => String::new(),
    }
}

/// Index into [`PRICE_BUCKETS`] of a price (negative prices fall in the first bucket).
pub fn price_bucket(price_fen: i64) -> usize {
    PRICE_BUCKETS
        .iter()
        .position(|(_, hi)| hi.is_none_or(|hi| price_fen < hi))
        .unwrap_or(PRICE_BUCKETS.len() - 1)
}

/// The inclusive `(price_min_fen, price_max_fen)` filter for a bucket label.
pub fn price_bucket_range(label: &str) -> Option<(i64, Option<i64>)> {
    (0..PRICE_BUCKETS.len())
        .find(|&i| price_bucket_label(i) == label)
        .map(|i| {
            let (lo, hi) = PRICE_BUCKETS[i];
            (lo, hi.map(|hi| hi - 1))
        })
}

/// Builds sorted facet lists from counts: count descending, then key ascending, zeros dropped.
pub fn sorted_counts(counts: impl IntoIterator<Item = (String, u64)>) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = counts.into_iter().filter(|(_, n)| *n > 0).collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

/// `(0, 0)` is "no point" (Null Island is not in any service area).
pub fn has_point(lat_micro: i64, lng_micro: i64) -> bool {
    lat_micro != 0 || lng_micro != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_buckets_cover_every_price_once() {
        assert_eq!(price_bucket(0), 0);
        assert_eq!(price_bucket(4_999), 0);
        assert_eq!(price_bucket(5_000), 1);
        assert_eq!(price_bucket(49_999), 3);
        assert_eq!(price_bucket(50_000), 4);
        assert_eq!(price_bucket(i64::MAX), 4);
        assert_eq!(price_bucket_label(0), "0-5000");
        assert_eq!(price_bucket_label(4), "50000-");
        assert_eq!(price_bucket_range("5000-10000"), Some((5_000, Some(9_999))));
        assert_eq!(price_bucket_range("50000-"), Some((50_000, None)));
        assert_eq!(price_bucket_range("nope"), None);
    }

    #[test]
    fn bad_queries_are_refused_before_any_backend() {
        let ok = SearchQuery::text("保洁");
        assert!(ok.validate().is_ok());
        for q in [
            SearchQuery {
                page: 0,
                ..ok.clone()
            },
            SearchQuery {
                per_page: 0,
                ..ok.clone()
            },
            SearchQuery {
                per_page: 51,
                ..ok.clone()
            },
            SearchQuery {
                text: "保".repeat(101),
                ..ok.clone()
            },
            SearchQuery {
                price_min_fen: Some(-1),
                ..ok.clone()
            },
            SearchQuery {
                price_min_fen: Some(10),
                price_max_fen: Some(9),
                ..ok.clone()
            },
            SearchQuery {
                min_rating_x10: Some(51),
                ..ok.clone()
            },
            SearchQuery {
                sort: Sort::Distance,
                ..ok.clone()
            },
        ] {
            assert!(
                matches!(q.validate(), Err(SearchError::InvalidQuery(_))),
                "{q:?}"
            );
        }
        assert_eq!(
            SearchQuery {
                page: 3,
                per_page: 20,
                ..ok
            }
            .offset(),
            40
        );
    }
}

//! One pass over the documents matching the text: decides place coverage (district list, then
//! radius zones), applies the filters, counts the facets (each ignoring its own filter, see
//! [`crate::model::Facets`]) and keeps what sorting needs, all from fast fields. Because
//! coverage is decided here rather than after the top-k, `total` and the facets count exactly
//! the documents that pages return.

use std::{cmp::Ordering, collections::HashMap, sync::Arc};

use tantivy::{
    DocAddress, DocId, Score, SegmentOrdinal, SegmentReader,
    collector::{Collector, SegmentCollector},
    columnar::{BytesColumn, Column, StrColumn},
};

use super::schema::{decode_zones, name};
use crate::{
    geo,
    model::{PRICE_BUCKETS, SearchQuery, Sort, price_bucket},
};

/// A document that passed every filter, with what sorting needs.
#[derive(Debug, Clone)]
pub(crate) struct Candidate {
    pub addr: DocAddress,
    pub score: Score,
    pub distance_m: Option<i64>,
    price: i64,
    rating: i64,
    sales: i64,
    updated_at: i64,
    id_hash: u64,
}

/// Everything one search learned.
#[derive(Debug, Default)]
pub(crate) struct Collected {
    pub candidates: Vec<Candidate>,
    pub categories: HashMap<String, u64>,
    pub districts: HashMap<String, u64>,
    pub price_buckets: [u64; PRICE_BUCKETS.len()],
}

/// The collector for one query.
pub(crate) struct SearchCollector {
    query: Arc<SearchQuery>,
    scored: bool,
}

impl SearchCollector {
    pub(crate) fn new(query: Arc<SearchQuery>, scored: bool) -> Self {
        Self { query, scored }
    }
}

/// Orders candidates for a sort: the sort's own key, then more sales, higher rating, newer,
/// and finally the id hash, so the order is total and pages never overlap.
pub(crate) fn compare(sort: Sort, a: &Candidate, b: &Candidate) -> Ordering {
    let primary = match sort {
        Sort::Relevance => b.score.total_cmp(&a.score),
        Sort::Distance => match (a.distance_m, b.distance_m) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        },
        Sort::Rating => b.rating.cmp(&a.rating),
        Sort::PriceAsc => a.price.cmp(&b.price),
        Sort::PriceDesc => b.price.cmp(&a.price),
        Sort::Sales => b.sales.cmp(&a.sales),
    };
    primary
        .then_with(|| b.sales.cmp(&a.sales))
        .then_with(|| b.rating.cmp(&a.rating))
        .then_with(|| b.updated_at.cmp(&a.updated_at))
        .then_with(|| a.id_hash.cmp(&b.id_hash))
}

impl Collector for SearchCollector {
    type Fruit = Collected;
    type Child = SegmentSearch;

    fn for_segment(
        &self,
        segment_ord: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentSearch> {
        SegmentSearch::new(Arc::clone(&self.query), segment_ord, reader)
    }

    fn requires_scoring(&self) -> bool {
        self.scored
    }

    fn merge_fruits(&self, fruits: Vec<Collected>) -> tantivy::Result<Collected> {
        let mut all = Collected::default();
        for fruit in fruits {
            all.candidates.extend(fruit.candidates);
            for (k, n) in fruit.categories {
                *all.categories.entry(k).or_default() += n;
            }
            for (k, n) in fruit.districts {
                *all.districts.entry(k).or_default() += n;
            }
            for (total, n) in all.price_buckets.iter_mut().zip(fruit.price_buckets) {
                *total += n;
            }
        }
        Ok(all)
    }
}

/// A keyword filter resolved against one segment's dictionary: `None` inside means the value
/// does not occur in this segment, so nothing there matches it.
type OrdFilter = Option<Option<u64>>;

/// Per-segment state: the columns, the filters as term ordinals, and the counts by ordinal
/// (turned into strings once, at harvest).
pub(crate) struct SegmentSearch {
    query: Arc<SearchQuery>,
    segment_ord: SegmentOrdinal,
    category: Option<StrColumn>,
    parent: Option<StrColumn>,
    districts: Option<StrColumn>,
    zones: Option<BytesColumn>,
    price: Column<i64>,
    rating: Column<i64>,
    sales: Column<i64>,
    lat: Column<i64>,
    lng: Column<i64>,
    updated_at: Column<i64>,
    id_hash: Column<u64>,
    category_filter: OrdFilter,
    parent_filter: OrdFilter,
    district_filter: OrdFilter,
    place_district: Option<u64>,
    candidates: Vec<Candidate>,
    category_counts: Vec<u64>,
    district_counts: Vec<u64>,
    price_counts: [u64; PRICE_BUCKETS.len()],
    ords: Vec<u64>,
    bytes: Vec<u8>,
}

fn ord_of(column: Option<&StrColumn>, value: &str) -> tantivy::Result<Option<u64>> {
    match column {
        Some(c) => Ok(c.dictionary().term_ord(value)?),
        None => Ok(None),
    }
}

fn num_terms(column: Option<&StrColumn>) -> usize {
    column.map_or(0, |c| c.num_terms())
}

impl SegmentSearch {
    fn new(
        query: Arc<SearchQuery>,
        segment_ord: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<Self> {
        let ff = reader.fast_fields();
        let category = ff.str(name::CATEGORY)?;
        let parent = ff.str(name::PARENT_CATEGORY)?;
        let districts = ff.str(name::DISTRICTS)?;
        let (category_filter, parent_filter) = match &query.category {
            Some(slug) => (
                Some(ord_of(category.as_ref(), slug)?),
                Some(ord_of(parent.as_ref(), slug)?),
            ),
            None => (None, None),
        };
        let district_filter = match &query.district {
            Some(code) => Some(ord_of(districts.as_ref(), code)?),
            None => None,
        };
        let place_district = match &query.place {
            Some((code, _, _)) => ord_of(districts.as_ref(), code)?,
            None => None,
        };
        Ok(Self {
            segment_ord,
            category_counts: vec![0; num_terms(category.as_ref())],
            district_counts: vec![0; num_terms(districts.as_ref())],
            zones: ff.bytes(name::ZONES)?,
            price: ff.i64(name::PRICE)?,
            rating: ff.i64(name::RATING)?,
            sales: ff.i64(name::SALES)?,
            lat: ff.i64(name::LAT)?,
            lng: ff.i64(name::LNG)?,
            updated_at: ff.i64(name::UPDATED_AT)?,
            id_hash: ff.u64(name::ID_HASH)?,
            category,
            parent,
            districts,
            category_filter,
            parent_filter,
            district_filter,
            place_district,
            query,
            candidates: Vec::new(),
            price_counts: [0; PRICE_BUCKETS.len()],
            ords: Vec::new(),
            bytes: Vec::new(),
        })
    }

    fn first_ord(column: Option<&StrColumn>, doc: DocId) -> Option<u64> {
        column.and_then(|c| c.ords().first(doc))
    }

    /// Whether one of the document's radius zones contains the point.
    fn zones_cover(&mut self, doc: DocId, lat: i64, lng: i64) -> bool {
        let Some(zones) = &self.zones else {
            return false;
        };
        for ord in zones.term_ords(doc) {
            self.bytes.clear();
            // An unreadable blob counts as "no zone": the document is skipped, not the search.
            if zones.ord_to_bytes(ord, &mut self.bytes).unwrap_or(false)
                && geo::radius_zones_cover(&decode_zones(&self.bytes), lat, lng)
            {
                return true;
            }
        }
        false
    }
}

impl SegmentCollector for SegmentSearch {
    type Fruit = Collected;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.ords.clear();
        if let Some(d) = &self.districts {
            self.ords.extend(d.term_ords(doc));
        }
        let query = Arc::clone(&self.query);
        let mut distance_m = None;
        if let Some((_, lat, lng)) = &query.place {
            let by_district = self.place_district.is_some_and(|o| self.ords.contains(&o));
            if !by_district && !self.zones_cover(doc, *lat, *lng) {
                return;
            }
            let base = (
                self.lat.first(doc).unwrap_or(0),
                self.lng.first(doc).unwrap_or(0),
            );
            distance_m = geo::distance_to(*lat, *lng, base.0, base.1);
        }

        let category = Self::first_ord(self.category.as_ref(), doc);
        let parent = Self::first_ord(self.parent.as_ref(), doc);
        let category_ok = match (self.category_filter, self.parent_filter) {
            (Some(c), Some(p)) => (c.is_some() && c == category) || (p.is_some() && p == parent),
            _ => true,
        };
        let price = self.price.first(doc).unwrap_or(0);
        let price_ok = query.price_ok(price);
        let rating = self.rating.first(doc).unwrap_or(0);
        let rating_ok = query.rating_ok(rating);
        let district_ok = match self.district_filter {
            Some(wanted) => wanted.is_some_and(|o| self.ords.contains(&o)),
            None => true,
        };

        if price_ok
            && rating_ok
            && district_ok
            && let Some(slot) = category.and_then(|c| self.category_counts.get_mut(c as usize))
        {
            *slot += 1;
        }
        if category_ok && price_ok && rating_ok {
            for &o in &self.ords {
                if let Some(slot) = self.district_counts.get_mut(o as usize) {
                    *slot += 1;
                }
            }
        }
        if category_ok && rating_ok && district_ok {
            self.price_counts[price_bucket(price)] += 1;
        }
        if category_ok && price_ok && rating_ok && district_ok {
            self.candidates.push(Candidate {
                addr: DocAddress::new(self.segment_ord, doc),
                score,
                distance_m,
                price,
                rating,
                sales: self.sales.first(doc).unwrap_or(0),
                updated_at: self.updated_at.first(doc).unwrap_or(0),
                id_hash: self.id_hash.first(doc).unwrap_or(0),
            });
        }
    }

    fn harvest(self) -> Collected {
        Collected {
            categories: named_counts(self.category.as_ref(), &self.category_counts),
            districts: named_counts(self.districts.as_ref(), &self.district_counts),
            price_buckets: self.price_counts,
            candidates: self.candidates,
        }
    }
}

/// Non-zero counts by ordinal, keyed by the term they stand for.
fn named_counts(column: Option<&StrColumn>, counts: &[u64]) -> HashMap<String, u64> {
    let mut out = HashMap::new();
    let Some(column) = column else {
        return out;
    };
    for (ord, &n) in counts.iter().enumerate() {
        let mut term = String::new();
        if n > 0 && column.ord_to_str(ord as u64, &mut term).unwrap_or(false) {
            out.insert(term, n);
        }
    }
    out
}

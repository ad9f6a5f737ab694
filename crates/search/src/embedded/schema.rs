//! The tantivy schema: searched text fields cut by jieba (term frequencies, no positions:
//! queries never need phrases), and fast fields for everything filtered, faceted or sorted on,
//! all read by the collector rather than queried, so one pass decides coverage, filters and
//! facets together.

use tantivy::{
    TantivyDocument,
    schema::{
        FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
    },
};

use super::tokenizer;
use crate::model::SearchDoc;

/// Fast-field names, read by name in the collector.
pub(crate) mod name {
    pub const ID_HASH: &str = "id_hash";
    pub const CATEGORY: &str = "category";
    pub const PARENT_CATEGORY: &str = "parent_category";
    pub const DISTRICTS: &str = "districts";
    pub const ZONES: &str = "radius_zones";
    pub const PRICE: &str = "price_fen";
    pub const RATING: &str = "rating_x10";
    pub const SALES: &str = "sales";
    pub const LAT: &str = "base_lat_micro";
    pub const LNG: &str = "base_lng_micro";
    pub const UPDATED_AT: &str = "updated_at";
}

/// Handles of every field.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fields {
    pub id: Field,
    pub title: Field,
    pub description: Field,
    pub category_name: Field,
    pub provider_name: Field,
    id_hash: Field,
    category: Field,
    parent_category: Field,
    districts: Field,
    zones: Field,
    price: Field,
    rating: Field,
    sales: Field,
    lat: Field,
    lng: Field,
    updated_at: Field,
}

/// Searched fields and their BM25 boosts.
pub(crate) fn searched(fields: &Fields) -> [(Field, f32); 4] {
    [
        (fields.title, 3.0),
        (fields.category_name, 2.0),
        (fields.description, 1.0),
        (fields.provider_name, 1.0),
    ]
}

impl Fields {
    /// The schema and its field handles.
    pub(crate) fn schema() -> (Schema, Fields) {
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer::NAME)
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let keyword = TextOptions::default().set_fast("raw");
        let mut b = Schema::builder();
        let fields = Fields {
            id: b.add_text_field("id", STRING | STORED),
            title: b.add_text_field("title", text.clone().set_stored()),
            description: b.add_text_field("description", text.clone().set_stored()),
            category_name: b.add_text_field("category_name", text.clone()),
            provider_name: b.add_text_field("provider_name", text),
            id_hash: b.add_u64_field(name::ID_HASH, FAST),
            category: b.add_text_field(name::CATEGORY, keyword.clone()),
            parent_category: b.add_text_field(name::PARENT_CATEGORY, keyword.clone()),
            districts: b.add_text_field(name::DISTRICTS, keyword),
            zones: b.add_bytes_field(name::ZONES, FAST),
            price: b.add_i64_field(name::PRICE, FAST),
            rating: b.add_i64_field(name::RATING, FAST),
            sales: b.add_i64_field(name::SALES, FAST),
            lat: b.add_i64_field(name::LAT, FAST),
            lng: b.add_i64_field(name::LNG, FAST),
            updated_at: b.add_i64_field(name::UPDATED_AT, FAST),
        };
        (b.build(), fields)
    }

    /// The tantivy document for a listing.
    pub(crate) fn document(&self, doc: &SearchDoc) -> TantivyDocument {
        let mut d = TantivyDocument::new();
        d.add_text(self.id, &doc.id);
        d.add_u64(self.id_hash, id_hash(&doc.id));
        d.add_text(self.title, &doc.title);
        d.add_text(self.description, &doc.description);
        d.add_text(self.category_name, &doc.category_name);
        d.add_text(self.provider_name, &doc.provider_name);
        d.add_text(self.category, &doc.category);
        d.add_text(self.parent_category, &doc.parent_category);
        for district in &doc.districts {
            d.add_text(self.districts, district);
        }
        if !doc.radius_zones.is_empty() {
            d.add_bytes(self.zones, &encode_zones(&doc.radius_zones));
        }
        d.add_i64(self.price, doc.price_fen);
        d.add_i64(self.rating, doc.rating_x10);
        d.add_i64(self.sales, doc.sales);
        d.add_i64(self.lat, doc.base_lat_micro);
        d.add_i64(self.lng, doc.base_lng_micro);
        d.add_i64(self.updated_at, doc.updated_at);
        d
    }
}

/// Final tie-breaker of every sort: FNV-1a of the id, stable across processes and merges.
pub(crate) fn id_hash(id: &str) -> u64 {
    id.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Radius zones as one blob: 24 bytes (lat, lng, metres as little-endian i64) per zone.
pub(crate) fn encode_zones(zones: &[(i64, i64, i64)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(zones.len() * 24);
    for &(lat, lng, metres) in zones {
        out.extend_from_slice(&lat.to_le_bytes());
        out.extend_from_slice(&lng.to_le_bytes());
        out.extend_from_slice(&metres.to_le_bytes());
    }
    out
}

/// Inverse of [`encode_zones`]; a truncated tail is ignored.
pub(crate) fn decode_zones(bytes: &[u8]) -> Vec<(i64, i64, i64)> {
    let num = |b: &[u8]| b.try_into().map(i64::from_le_bytes).unwrap_or(0);
    bytes
        .chunks_exact(24)
        .map(|z| (num(&z[..8]), num(&z[8..16]), num(&z[16..])))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zones_round_trip_and_hash_is_stable() {
        let zones = vec![(31_230_400, 121_473_700, 3_000), (-1, i64::MAX, 1)];
        assert_eq!(decode_zones(&encode_zones(&zones)), zones);
        assert_eq!(id_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_ne!(id_hash("a"), id_hash("b"));
    }
}

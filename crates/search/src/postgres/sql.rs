//! The statements of the PostgreSQL index. A search is one statement: CTE `m` holds the
//! documents matching the text and covering the place, with a flag per filter; the page, the
//! total and each facet (ignoring its own filter) are read from it and returned as rows tagged
//! by `kind`, so one round trip answers everything from one snapshot.

use sqlx::{Postgres, QueryBuilder};

use crate::{
    model::{PRICE_BUCKETS, SearchQuery, Sort},
    plan::TextPlan,
};

use super::text::{RANK_WEIGHTS, match_query, rank_query};

/// A row of the page: `key` is the id, with `title`, `description`, `score`, `dist`.
pub(crate) const KIND_HIT: i32 = 0;
/// A category facet row: `key` the slug, `n` the count.
pub(crate) const KIND_CATEGORY: i32 = 1;
/// A district facet row.
pub(crate) const KIND_DISTRICT: i32 = 2;
/// A price facet row: `key` the bucket's index in [`PRICE_BUCKETS`].
pub(crate) const KIND_PRICE: i32 = 3;
/// The total row: `n`.
pub(crate) const KIND_TOTAL: i32 = 4;

pub(crate) const UPSERT: &str = "
    INSERT INTO search_index_docs (id, provider_id, title, description, category,
        parent_category, price_fen, rating_x10, sales, districts, zone_lat, zone_lng, zone_m,
        base_lat, base_lng, updated_at, tsv)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
        $17::tsvector)
    ON CONFLICT (id) DO UPDATE SET provider_id = EXCLUDED.provider_id,
        title = EXCLUDED.title, description = EXCLUDED.description,
        category = EXCLUDED.category, parent_category = EXCLUDED.parent_category,
        price_fen = EXCLUDED.price_fen, rating_x10 = EXCLUDED.rating_x10,
        sales = EXCLUDED.sales, districts = EXCLUDED.districts, zone_lat = EXCLUDED.zone_lat,
        zone_lng = EXCLUDED.zone_lng, zone_m = EXCLUDED.zone_m, base_lat = EXCLUDED.base_lat,
        base_lng = EXCLUDED.base_lng, updated_at = EXCLUDED.updated_at, tsv = EXCLUDED.tsv";

/// The search statement for a validated query and its text plan.
pub(crate) fn search(q: &SearchQuery, plan: &TextPlan) -> QueryBuilder<Postgres> {
    let mut b = QueryBuilder::<Postgres>::new(
        "WITH m AS MATERIALIZED (SELECT id, title, description, category, districts, price_fen, rating_x10, sales, updated_at, ",
    );

    // Score.
    match rank_query(plan) {
        Some(rank) => {
            b.push(format!("ts_rank('{RANK_WEIGHTS}'::float4[], tsv, "));
            b.push_bind(rank);
            b.push("::tsquery) AS score, ");
        }
        None => {
            b.push("0::float4 AS score, ");
        }
    }

    // Distance (whole metres, rounded half up) from the place to the base point.
    match &q.place {
        Some((_, lat, lng)) => {
            b.push(
                "CASE WHEN base_lat = 0 AND base_lng = 0 THEN NULL ELSE floor(search_index_metres(",
            );
            b.push_bind(*lat);
            b.push(", ");
            b.push_bind(*lng);
            b.push(", base_lat, base_lng) + 0.5)::bigint END AS dist, ");
        }
        None => {
            b.push("NULL::bigint AS dist, ");
        }
    }

    // One flag per filter.
    match &q.category {
        Some(slug) => {
            b.push("(category = ");
            b.push_bind(slug.clone());
            b.push(" OR parent_category = ");
            b.push_bind(slug.clone());
            b.push(") AS c_ok, ");
        }
        None => {
            b.push("TRUE AS c_ok, ");
        }
    }
    b.push("(TRUE");
    if let Some(lo) = q.price_min_fen {
        b.push(" AND price_fen >= ");
        b.push_bind(lo);
    }
    if let Some(hi) = q.price_max_fen {
        b.push(" AND price_fen <= ");
        b.push_bind(hi);
    }
    b.push(") AS p_ok, ");
    match q.min_rating_x10 {
        Some(min) => {
            b.push("rating_x10 >= ");
            b.push_bind(min);
            b.push(" AS r_ok, ");
        }
        None => {
            b.push("TRUE AS r_ok, ");
        }
    }
    match &q.district {
        Some(code) => {
            b.push("districts @> ARRAY[");
            b.push_bind(code.clone());
            b.push("::text] AS d_ok ");
        }
        None => {
            b.push("TRUE AS d_ok ");
        }
    }

    // Text and place decide membership.
    b.push("FROM search_index_docs WHERE TRUE");
    if let Some(matched) = match_query(plan) {
        b.push(" AND tsv @@ ");
        b.push_bind(matched);
        b.push("::tsquery");
    }
    if let Some((code, lat, lng)) = &q.place {
        b.push(" AND (districts @> ARRAY[");
        b.push_bind(code.clone());
        b.push("::text] OR EXISTS (SELECT 1 FROM unnest(zone_lat, zone_lng, zone_m) AS z(lat, lng, m) WHERE search_index_metres(z.lat, z.lng, ");
        b.push_bind(*lat);
        b.push(", ");
        b.push_bind(*lng);
        b.push(") <= z.m))");
    }
    b.push("), ");

    // The page, in the sort's order with the shared tie-breakers.
    b.push("page AS (SELECT id, title, description, score, dist, row_number() OVER (ORDER BY ");
    b.push(order_by(q.sort));
    b.push(") AS ord FROM m WHERE c_ok AND p_ok AND r_ok AND d_ok ORDER BY ");
    b.push(order_by(q.sort));
    b.push(" LIMIT ");
    b.push_bind(i64::from(q.per_page));
    b.push(" OFFSET ");
    b.push_bind(i64::try_from(q.offset()).unwrap_or(i64::MAX));
    b.push(") ");

    let thresholds: Vec<String> = PRICE_BUCKETS
        .iter()
        .filter_map(|(_, hi)| hi.map(|h| h.to_string()))
        .collect();
    b.push(format!(
        "SELECT {KIND_HIT} AS kind, id AS key, 0::bigint AS n, title, description, score, dist, ord FROM page \
         UNION ALL SELECT {KIND_TOTAL}, NULL, count(*), NULL, NULL, NULL, NULL, 0 FROM m WHERE c_ok AND p_ok AND r_ok AND d_ok \
         UNION ALL SELECT {KIND_CATEGORY}, category, count(*), NULL, NULL, NULL, NULL, 0 FROM m WHERE p_ok AND r_ok AND d_ok GROUP BY category \
         UNION ALL SELECT {KIND_DISTRICT}, d, count(*), NULL, NULL, NULL, NULL, 0 FROM m CROSS JOIN LATERAL unnest(m.districts) AS d WHERE c_ok AND p_ok AND r_ok GROUP BY d \
         UNION ALL SELECT {KIND_PRICE}, width_bucket(price_fen, ARRAY[{}]::bigint[])::text, count(*), NULL, NULL, NULL, NULL, 0 FROM m WHERE c_ok AND r_ok AND d_ok GROUP BY 2 \
         ORDER BY kind, ord",
        thresholds.join(",")
    ));
    b
}

/// `ORDER BY` for a sort: its own key, then more sales, higher rating, newer, and the id.
fn order_by(sort: Sort) -> &'static str {
    match sort {
        Sort::Relevance => "score DESC, sales DESC, rating_x10 DESC, updated_at DESC, id",
        Sort::Distance => "dist ASC NULLS LAST, sales DESC, rating_x10 DESC, updated_at DESC, id",
        Sort::Rating => "rating_x10 DESC, sales DESC, updated_at DESC, id",
        Sort::PriceAsc => "price_fen ASC, sales DESC, rating_x10 DESC, updated_at DESC, id",
        Sort::PriceDesc => "price_fen DESC, sales DESC, rating_x10 DESC, updated_at DESC, id",
        Sort::Sales => "sales DESC, rating_x10 DESC, updated_at DESC, id",
    }
}

//! The behaviour every `SearchIndex` must show, written once against `&dyn SearchIndex`.
//! A backend's test file (`tests/tantivy.rs`, later `tests/postgres.rs`) brings it in with
//! `mod contract;` and instantiates every behaviour with `contract_tests!(make_index);`, where
//! `make_index` is an `async fn` returning a fresh, empty index, or `None` when the backend
//! is not available here (a skipped test; the backend's file decides when that is allowed). The helpers (`seed`,
//! `all_hits`) and `fixtures` (generated listings and the oracle) are there for a backend's own
//! extra tests.

#![allow(dead_code)] // a backend file may add only some behaviours of its own

pub mod fixtures;

use std::{collections::BTreeSet, sync::Arc};

use fixtures::{DOCS, contains, covers, doc, docs, expected_facets, passes, place_in};
use linli_search::{Hit, SearchDoc, SearchError, SearchIndex, SearchQuery, Sort};

/// Expands to one `#[tokio::test]` per behaviour, each on a fresh index from `$make`.
#[macro_export]
macro_rules! contract_tests {
    ($make:path) => {
        $crate::contract_tests!(@each $make;
            seeded_index_counts_every_listing,
            two_character_queries_find_exactly_the_listings_containing_them,
            longer_phrases_need_every_meaningful_word,
            synonyms_apply_from_the_next_search_and_can_be_removed,
            every_filter_keeps_exactly_the_listings_passing_it,
            facets_count_all_pages_each_ignoring_its_own_filter,
            every_sort_order_is_followed,
            distance_sort_measures_from_the_chosen_place,
            pages_partition_the_results_and_total_holds_still,
            highlights_mark_matches_and_escape_html,
            a_place_limits_results_to_listings_serving_it,
            upsert_replaces_the_listing_with_the_same_id,
            delete_removes_the_listing_and_tolerates_unknown_ids,
            a_write_is_visible_to_the_very_next_search,
            clear_empties_the_index_but_keeps_synonyms,
            bad_input_is_refused_and_changes_nothing,
            title_matches_outrank_description_matches,
        );
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn concurrent_writers_lose_nothing() {
            let Some(index) = $make().await else { return };
            let index: std::sync::Arc<dyn linli_search::SearchIndex> = std::sync::Arc::new(index);
            contract::concurrent_writers_lose_nothing(index).await;
        }
    };
    (@each $make:path; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let Some(index) = $make().await else { return };
                contract::$name(&index).await;
            }
        )*
    };
}

// ---------------------------------------------------------------- helpers

/// Indexes the generated listings and returns them.
pub async fn seed(index: &dyn SearchIndex) -> Vec<SearchDoc> {
    let all = docs();
    index.upsert_many(&all).await.unwrap();
    all
}

/// Every hit of a query, walking the pages (50 a page); checks `total` on every page.
pub async fn all_hits(index: &dyn SearchIndex, q: &SearchQuery) -> (u64, Vec<Hit>) {
    let mut q = SearchQuery {
        page: 1,
        per_page: 50,
        ..q.clone()
    };
    let first = index.search(&q).await.unwrap();
    let total = first.total;
    let mut hits = first.hits;
    loop {
        q.page += 1;
        let page = index.search(&q).await.unwrap();
        assert_eq!(page.total, total, "total changed between pages of {q:?}");
        if page.hits.is_empty() {
            break;
        }
        hits.extend(page.hits);
    }
    assert_eq!(
        hits.len() as u64,
        total,
        "pages do not add up to total for {q:?}"
    );
    (total, hits)
}

fn id_set(hits: &[Hit]) -> BTreeSet<String> {
    let ids: BTreeSet<String> = hits.iter().map(|h| h.id.clone()).collect();
    assert_eq!(ids.len(), hits.len(), "a listing came back twice");
    ids
}

fn ids_where(docs: &[SearchDoc], keep: impl Fn(&SearchDoc) -> bool) -> BTreeSet<String> {
    docs.iter()
        .filter(|d| keep(d))
        .map(|d| d.id.clone())
        .collect()
}

async fn ids_for(index: &dyn SearchIndex, q: &SearchQuery) -> BTreeSet<String> {
    let (_, hits) = all_hits(index, q).await;
    id_set(&hits)
}

fn groups(g: &[&[&str]]) -> Vec<Vec<String>> {
    g.iter()
        .map(|g| g.iter().map(|w| (*w).to_owned()).collect())
        .collect()
}

// ---------------------------------------------------------------- behaviours

/// Seeding 240 listings leaves 240 documents, and an empty query browses them all.
pub async fn seeded_index_counts_every_listing(index: &dyn SearchIndex) {
    seed(index).await;
    assert_eq!(index.count().await.unwrap(), DOCS as u64);
    let all = index.search(&SearchQuery::default()).await.unwrap();
    assert_eq!(all.total, DOCS as u64);
    assert_eq!(all.hits.len(), 20);
}

/// 保洁, 空调, 开锁 (and other two-character words) find every listing that contains them in
/// a searched field, and nothing else: 保洁 does not bring up 空调清洗.
pub async fn two_character_queries_find_exactly_the_listings_containing_them(
    index: &dyn SearchIndex,
) {
    let all = seed(index).await;
    for word in [
        "保洁", "空调", "开锁", "维修", "清洗", "搬家", "疏通", "家教", "喂养",
    ] {
        let expected = ids_where(&all, |d| contains(d, word));
        assert!(!expected.is_empty(), "fixture has no {word}");
        let (total, hits) = all_hits(index, &SearchQuery::text(word)).await;
        assert_eq!(id_set(&hits), expected, "query {word}");
        assert_eq!(total, expected.len() as u64);
    }
    let cleaning = ids_for(index, &SearchQuery::text("保洁")).await;
    assert!(
        all.iter()
            .filter(|d| cleaning.contains(&d.id))
            .all(|d| d.category == "home-cleaning")
    );
    let locks = ids_for(index, &SearchQuery::text("开锁")).await;
    assert!(
        all.iter()
            .filter(|d| locks.contains(&d.id))
            .all(|d| d.category == "locksmith")
    );
}

/// A longer phrase finds the listings having all its words (空调清洗 → 空调 and 清洗);
/// filler (上门, 服务), punctuation and full-width letters do not get in the way.
pub async fn longer_phrases_need_every_meaningful_word(index: &dyn SearchIndex) {
    let all = seed(index).await;
    let cases: [(&str, &[&str]); 7] = [
        ("空调清洗", &["空调", "清洗"]),
        ("挂机空调深度清洗", &["挂机", "空调", "深度", "清洗"]),
        ("油烟机 清洁", &["油烟机", "清洁"]),
        ("我要找上门开锁服务！", &["开锁"]),
        ("ＴＣＬ空调", &["tcl", "空调"]),
        ("防盗门换锁芯", &["防盗门", "换锁"]),
        ("修空调", &["空调"]),
    ];
    for (text, words) in cases {
        let expected = ids_where(&all, |d| words.iter().all(|w| contains(d, w)));
        assert!(!expected.is_empty(), "fixture has nothing for {text}");
        assert_eq!(
            ids_for(index, &SearchQuery::text(text)).await,
            expected,
            "query {text}"
        );
    }
    assert!(
        index
            .search(&SearchQuery::text("空调 钢琴"))
            .await
            .unwrap()
            .hits
            .is_empty()
    );
}

/// With 保洁/清洁/打扫 and 维修/修理 configured, 打扫 finds 保洁 and 清洁 listings and 修理
/// finds 维修 listings, from the next search on; removing the groups undoes it.
pub async fn synonyms_apply_from_the_next_search_and_can_be_removed(index: &dyn SearchIndex) {
    let all = seed(index).await;
    assert_eq!(
        index
            .search(&SearchQuery::text("打扫"))
            .await
            .unwrap()
            .total,
        0
    );
    let only_xiuli = ids_where(&all, |d| contains(d, "修理"));
    assert_eq!(ids_for(index, &SearchQuery::text("修理")).await, only_xiuli);

    index
        .set_synonyms(groups(&[&["保洁", "清洁", "打扫"], &["维修", "修理"]]))
        .await
        .unwrap();
    let cleaning = ids_where(&all, |d| {
        ["保洁", "清洁", "打扫"].iter().any(|w| contains(d, w))
    });
    assert!(cleaning.len() > ids_where(&all, |d| contains(d, "保洁")).len());
    assert_eq!(ids_for(index, &SearchQuery::text("打扫")).await, cleaning);
    assert_eq!(ids_for(index, &SearchQuery::text("保洁")).await, cleaning);
    let repair = ids_where(&all, |d| contains(d, "维修") || contains(d, "修理"));
    assert_eq!(ids_for(index, &SearchQuery::text("修理")).await, repair);
    let ac_repair = ids_where(&all, |d| {
        contains(d, "空调") && (contains(d, "维修") || contains(d, "修理"))
    });
    assert_eq!(
        ids_for(index, &SearchQuery::text("空调修理")).await,
        ac_repair
    );

    index.set_synonyms(Vec::new()).await.unwrap();
    assert_eq!(
        index
            .search(&SearchQuery::text("打扫"))
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(ids_for(index, &SearchQuery::text("修理")).await, only_xiuli);
}

/// Category (slug or parent), price range, minimum rating and district each keep exactly the
/// listings passing them, alone and combined, with and without text.
pub async fn every_filter_keeps_exactly_the_listings_passing_it(index: &dyn SearchIndex) {
    let all = seed(index).await;
    let base = SearchQuery::default();
    let cases = [
        SearchQuery {
            category: Some("home-cleaning".into()),
            ..base.clone()
        },
        SearchQuery {
            category: Some("repair".into()),
            ..base.clone()
        },
        SearchQuery {
            category: Some("no-such-category".into()),
            ..base.clone()
        },
        SearchQuery {
            price_min_fen: Some(10_000),
            ..base.clone()
        },
        SearchQuery {
            price_max_fen: Some(20_000),
            ..base.clone()
        },
        SearchQuery {
            price_min_fen: Some(10_000),
            price_max_fen: Some(20_000),
            ..base.clone()
        },
        SearchQuery {
            min_rating_x10: Some(45),
            ..base.clone()
        },
        SearchQuery {
            min_rating_x10: Some(0),
            ..base.clone()
        },
        SearchQuery {
            district: Some("310104".into()),
            ..base.clone()
        },
        SearchQuery {
            category: Some("repair".into()),
            price_max_fen: Some(40_000),
            min_rating_x10: Some(40),
            district: Some("310115".into()),
            ..base.clone()
        },
    ];
    for q in cases {
        for text in ["", "空调"] {
            let q = SearchQuery {
                text: text.to_owned(),
                ..q.clone()
            };
            let expected = ids_where(&all, |d| {
                (text.is_empty() || contains(d, text)) && passes(d, &q, None)
            });
            let (total, hits) = all_hits(index, &q).await;
            assert_eq!(id_set(&hits), expected, "{q:?}");
            assert_eq!(total, expected.len() as u64);
        }
    }
}

/// Facets count the whole result set, not the page: each dimension counts the listings
/// matching the text, the place and every other filter.
pub async fn facets_count_all_pages_each_ignoring_its_own_filter(index: &dyn SearchIndex) {
    let all = seed(index).await;
    let one_per_page = SearchQuery {
        per_page: 1,
        ..SearchQuery::default()
    };
    let cases = [
        one_per_page.clone(),
        SearchQuery {
            category: Some("housekeeping".into()),
            ..one_per_page.clone()
        },
        SearchQuery {
            district: Some("310106".into()),
            price_min_fen: Some(5_000),
            price_max_fen: Some(19_999),
            ..one_per_page.clone()
        },
        SearchQuery {
            text: "空调".into(),
            category: Some("ac-repair".into()),
            min_rating_x10: Some(35),
            place: Some(place_in("310115")),
            ..one_per_page.clone()
        },
    ];
    for q in cases {
        let text = q.text.clone();
        let got = index.search(&q).await.unwrap();
        let want = expected_facets(&all, &q, |d| text.is_empty() || contains(d, &text));
        assert_eq!(got.facets, want, "{q:?}");
        assert!(got.hits.len() <= 1);
    }
}

/// Relevance, rating, price (both ways) and sales orders hold across all pages.
pub async fn every_sort_order_is_followed(index: &dyn SearchIndex) {
    let all = seed(index).await;
    let by_id = |id: &str| all.iter().find(|d| d.id == id).unwrap().clone();
    for sort in [
        Sort::Relevance,
        Sort::Rating,
        Sort::PriceAsc,
        Sort::PriceDesc,
        Sort::Sales,
    ] {
        for text in ["", "维修"] {
            let q = SearchQuery {
                text: text.into(),
                sort,
                ..SearchQuery::default()
            };
            let (_, hits) = all_hits(index, &q).await;
            let docs: Vec<SearchDoc> = hits.iter().map(|h| by_id(&h.id)).collect();
            for (pair, hit_pair) in docs.windows(2).zip(hits.windows(2)) {
                let (a, b) = (&pair[0], &pair[1]);
                let ok = match sort {
                    Sort::Relevance => hit_pair[0].score >= hit_pair[1].score,
                    Sort::Rating => a.rating_x10 >= b.rating_x10,
                    Sort::PriceAsc => a.price_fen <= b.price_fen,
                    Sort::PriceDesc => a.price_fen >= b.price_fen,
                    Sort::Sales => a.sales >= b.sales,
                    Sort::Distance => unreachable!(),
                };
                assert!(ok, "{sort:?} {text:?}: {} before {}", a.id, b.id);
            }
            if text.is_empty() {
                assert_eq!(hits.len(), DOCS);
            }
        }
    }
}

/// With a place, the distance sort puts the nearest base point first, reports each distance
/// in metres, and puts listings without a base point last.
pub async fn distance_sort_measures_from_the_chosen_place(index: &dyn SearchIndex) {
    let all = seed(index).await;
    let place = place_in("310106");
    let q = SearchQuery {
        place: Some(place.clone()),
        sort: Sort::Distance,
        ..SearchQuery::default()
    };
    let (_, hits) = all_hits(index, &q).await;
    assert_eq!(id_set(&hits), ids_where(&all, |d| covers(d, &place)));
    let mut seen_none = false;
    let mut last = 0;
    for h in &hits {
        let d = all.iter().find(|d| d.id == h.id).unwrap();
        match h.distance_m {
            Some(m) => {
                assert!(!seen_none, "{} has a distance after one without", h.id);
                assert!(m >= last, "{} is nearer than the hit before it", h.id);
                let want =
                    fixtures::metres((place.1, place.2), (d.base_lat_micro, d.base_lng_micro));
                assert!(
                    (m as f64 - want).abs() <= 1.0,
                    "{}: {m} m, expected {want}",
                    h.id
                );
                last = m;
            }
            None => {
                assert_eq!((d.base_lat_micro, d.base_lng_micro), (0, 0));
                seen_none = true;
            }
        }
    }
    assert!(
        seen_none,
        "fixture should cover listings without a base point"
    );
    let no_place = SearchQuery {
        sort: Sort::Distance,
        ..SearchQuery::default()
    };
    assert!(matches!(
        index.search(&no_place).await,
        Err(SearchError::InvalidQuery(_))
    ));
}

/// Small pages walk the result set without gaps or repeats, in the same order as big pages,
/// the same every time; past the end is empty with the same total.
pub async fn pages_partition_the_results_and_total_holds_still(index: &dyn SearchIndex) {
    seed(index).await;
    for (text, sort) in [
        ("", Sort::Sales),
        ("空调", Sort::Relevance),
        ("", Sort::Rating),
    ] {
        let big = SearchQuery {
            text: text.into(),
            sort,
            ..SearchQuery::default()
        };
        let (total, reference) = all_hits(index, &big).await;
        let mut walked = Vec::new();
        let mut page = 1;
        loop {
            let q = SearchQuery {
                page,
                per_page: 7,
                ..big.clone()
            };
            let res = index.search(&q).await.unwrap();
            assert_eq!(res.total, total);
            assert_eq!(
                index.search(&q).await.unwrap().hits,
                res.hits,
                "page {page} is not stable"
            );
            if res.hits.is_empty() {
                break;
            }
            assert!(res.hits.len() <= 7);
            walked.extend(res.hits.into_iter().map(|h| h.id));
            page += 1;
        }
        let reference: Vec<String> = reference.into_iter().map(|h| h.id).collect();
        assert_eq!(walked, reference, "{text:?} {sort:?}");
        let far = SearchQuery {
            page: 10_000,
            per_page: 50,
            ..big
        };
        let res = index.search(&far).await.unwrap();
        assert!(res.hits.is_empty());
        assert_eq!(res.total, total);
    }
}

/// Titles come back whole and HTML-escaped with matched words in `<em>`; snippets are a piece
/// of the description around the match, escaped the same way; synonyms are marked too.
pub async fn highlights_mark_matches_and_escape_html(index: &dyn SearchIndex) {
    seed(index).await;
    let long = format!(
        "{}我们提供<b>专业</b>保洁，擦窗拖地。{}",
        "本店开业多年，口碑良好。".repeat(6),
        "欢迎预约。".repeat(20)
    );
    index
        .upsert(&doc("X-html", "<script>alert(1)</script>专业保洁", &long))
        .await
        .unwrap();
    let (_, hits) = all_hits(index, &SearchQuery::text("保洁")).await;
    let hit = hits.iter().find(|h| h.id == "X-html").unwrap();
    assert_eq!(
        hit.title_highlight,
        "&lt;script&gt;alert(1)&lt;/script&gt;专业<em>保洁</em>"
    );
    assert!(
        hit.snippet_highlight
            .contains("&lt;b&gt;专业&lt;/b&gt;<em>保洁</em>"),
        "{}",
        hit.snippet_highlight
    );
    assert!(hit.snippet_highlight.starts_with('…') && hit.snippet_highlight.ends_with('…'));
    assert!(hit.snippet_highlight.chars().count() < long.chars().count());
    assert!(!hits.iter().any(|h| h.title_highlight.contains("<script")));

    let (_, ac) = all_hits(index, &SearchQuery::text("空调清洗")).await;
    assert!(
        ac.iter()
            .any(|h| h.title_highlight.contains("<em>空调清洗</em>")
                || (h.title_highlight.contains("<em>空调</em>")
                    && h.title_highlight.contains("<em>清洗</em>")))
    );

    index
        .set_synonyms(groups(&[&["保洁", "清洁", "打扫"]]))
        .await
        .unwrap();
    let (_, swept) = all_hits(index, &SearchQuery::text("打扫")).await;
    assert!(
        swept
            .iter()
            .any(|h| h.title_highlight.contains("<em>清洁</em>"))
    );
    assert!(
        swept
            .iter()
            .any(|h| h.title_highlight.contains("<em>保洁</em>"))
    );

    let browse = index.search(&SearchQuery::default()).await.unwrap();
    assert!(
        browse
            .hits
            .iter()
            .all(|h| !h.title_highlight.contains("<em>"))
    );
}

/// A listing serving only 310115 by district is hidden for an address in 310151 and shown for
/// one in 310115; a 3 km radius zone shows for a point 1 km away and hides for one 11 km away;
/// across the generated listings, a place returns exactly the listings covering it.
pub async fn a_place_limits_results_to_listings_serving_it(index: &dyn SearchIndex) {
    let mut all = seed(index).await;
    let mut pudong = doc("X-pudong", "专属测试浦东", "");
    pudong.districts = vec!["310115".into()];
    let mut circle = doc("X-circle", "专属测试半径", "");
    circle.districts = Vec::new();
    circle.radius_zones = vec![(31_230_400, 121_473_700, 3_000)];
    index
        .upsert_many(&[pudong.clone(), circle.clone()])
        .await
        .unwrap();
    all.extend([pudong, circle]);

    let found = |place: (&str, i64, i64)| {
        let q = SearchQuery {
            text: "专属测试".into(),
            place: Some((place.0.to_owned(), place.1, place.2)),
            ..SearchQuery::default()
        };
        async move { ids_for(index, &q).await.into_iter().collect::<Vec<_>>() }
    };
    assert_eq!(
        found(("310151", 31_622_900, 121_397_200)).await,
        Vec::<String>::new()
    );
    assert_eq!(
        found(("310115", 31_221_400, 121_544_700)).await,
        vec!["X-pudong"]
    );
    assert_eq!(
        found(("310101", 31_239_400, 121_473_700)).await,
        vec!["X-circle"]
    );
    assert_eq!(
        found(("310151", 31_330_400, 121_473_700)).await,
        Vec::<String>::new()
    );
    assert_eq!(
        found(("310115", 31_232_000, 121_475_000)).await,
        vec!["X-circle", "X-pudong"]
    );
    let anywhere = SearchQuery::text("专属测试");
    assert_eq!(index.search(&anywhere).await.unwrap().total, 2);

    for code in ["310101", "310112", "310151"] {
        let place = place_in(code);
        let q = SearchQuery {
            place: Some(place.clone()),
            ..SearchQuery::default()
        };
        let expected = ids_where(&all, |d| covers(d, &place));
        assert!(!expected.is_empty() && expected.len() < DOCS);
        let (total, hits) = all_hits(index, &q).await;
        assert_eq!(id_set(&hits), expected, "place {code}");
        assert_eq!(total, expected.len() as u64);
        assert!(
            hits.iter().all(|h| h.distance_m.is_some()
                || all.iter().any(|d| d.id == h.id && d.base_lat_micro == 0))
        );
    }
}

/// Upserting an existing id replaces it: the count stays, the old words stop matching, the
/// new ones match.
pub async fn upsert_replaces_the_listing_with_the_same_id(index: &dyn SearchIndex) {
    seed(index).await;
    index.upsert(&doc("X-1", "钢琴调音", "")).await.unwrap();
    assert_eq!(index.count().await.unwrap(), DOCS as u64 + 1);
    let mut changed = doc("X-1", "古筝教学", "");
    changed.price_fen = 123_400;
    index.upsert(&changed).await.unwrap();
    index.upsert(&changed).await.unwrap();
    assert_eq!(index.count().await.unwrap(), DOCS as u64 + 1);
    assert_eq!(
        index
            .search(&SearchQuery::text("调音"))
            .await
            .unwrap()
            .total,
        0
    );
    let res = index.search(&SearchQuery::text("古筝")).await.unwrap();
    assert_eq!(
        res.hits.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
        vec!["X-1"]
    );
    let pricey = SearchQuery {
        price_min_fen: Some(100_000),
        ..SearchQuery::default()
    };
    assert_eq!(
        ids_for(index, &pricey).await,
        BTreeSet::from(["X-1".to_owned()])
    );
}

/// Delete removes the listing from results and the count; unknown or repeated ids are fine.
pub async fn delete_removes_the_listing_and_tolerates_unknown_ids(index: &dyn SearchIndex) {
    let all = seed(index).await;
    let victim = all.iter().find(|d| contains(d, "开锁")).unwrap();
    let before = ids_for(index, &SearchQuery::text("开锁")).await;
    assert!(before.contains(&victim.id));
    index.delete(&victim.id).await.unwrap();
    index.delete(&victim.id).await.unwrap();
    index.delete("no-such-listing").await.unwrap();
    assert_eq!(index.count().await.unwrap(), DOCS as u64 - 1);
    let after = ids_for(index, &SearchQuery::text("开锁")).await;
    assert_eq!(after.len(), before.len() - 1);
    assert!(!after.contains(&victim.id));
}

/// Each write is searchable by the search right after it returns (read-your-writes).
pub async fn a_write_is_visible_to_the_very_next_search(index: &dyn SearchIndex) {
    seed(index).await;
    for (i, word) in ["古筝", "二胡", "琵琶", "唢呐", "竹笛"].iter().enumerate() {
        let id = format!("X-now-{i}");
        index
            .upsert(&doc(&id, &format!("{word}上门教学"), ""))
            .await
            .unwrap();
        let res = index.search(&SearchQuery::text(*word)).await.unwrap();
        assert_eq!(
            res.hits.iter().map(|h| h.id.clone()).collect::<Vec<_>>(),
            vec![id.clone()]
        );
        index.delete(&id).await.unwrap();
        assert_eq!(
            index.search(&SearchQuery::text(*word)).await.unwrap().total,
            0
        );
    }
}

/// Eight tasks upserting at once (some of them the same ids) lose nothing and duplicate
/// nothing, while a reader watching the count never sees it go down.
pub async fn concurrent_writers_lose_nothing(index: Arc<dyn SearchIndex>) {
    let reader = {
        let index = Arc::clone(&index);
        tokio::spawn(async move {
            let mut last = 0;
            for _ in 0..60 {
                let n = index.search(&SearchQuery::default()).await.unwrap().total;
                assert!(n >= last, "count went from {last} to {n}");
                last = n;
                tokio::task::yield_now().await;
            }
        })
    };
    let mut tasks = Vec::new();
    for t in 0..8 {
        let index = Arc::clone(&index);
        tasks.push(tokio::spawn(async move {
            for n in 0..25 {
                let mut d = doc(&format!("T{t}-{n}"), &format!("并发测试任务{t}"), "");
                d.sales = n;
                index.upsert(&d).await.unwrap();
                if n % 5 == 0 {
                    index
                        .upsert(&doc(&format!("shared-{n}"), "共享条目", ""))
                        .await
                        .unwrap();
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    reader.await.unwrap();
    assert_eq!(index.count().await.unwrap(), 8 * 25 + 5);
    let (total, hits) = all_hits(&*index, &SearchQuery::text("并发测试")).await;
    assert_eq!(total, 200);
    assert_eq!(id_set(&hits).len(), 200);
    assert_eq!(
        index
            .search(&SearchQuery::text("共享条目"))
            .await
            .unwrap()
            .total,
        5
    );
}

/// Clear removes every listing; the synonym groups survive it.
pub async fn clear_empties_the_index_but_keeps_synonyms(index: &dyn SearchIndex) {
    seed(index).await;
    index
        .set_synonyms(groups(&[&["保洁", "清洁", "打扫"]]))
        .await
        .unwrap();
    index.clear().await.unwrap();
    assert_eq!(index.count().await.unwrap(), 0);
    let res = index.search(&SearchQuery::default()).await.unwrap();
    assert_eq!(res.total, 0);
    assert!(res.facets.categories.is_empty());
    index.upsert(&doc("X-after", "玻璃清洁", "")).await.unwrap();
    let res = index.search(&SearchQuery::text("打扫")).await.unwrap();
    assert_eq!(
        res.hits.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
        vec!["X-after"]
    );
}

/// Bad queries, documents and synonym groups are refused with the caller's error, and the
/// index is unchanged.
pub async fn bad_input_is_refused_and_changes_nothing(index: &dyn SearchIndex) {
    seed(index).await;
    for q in [
        SearchQuery {
            page: 0,
            ..SearchQuery::default()
        },
        SearchQuery {
            per_page: 51,
            ..SearchQuery::default()
        },
        SearchQuery::text("长".repeat(101)),
        SearchQuery {
            price_min_fen: Some(500),
            price_max_fen: Some(100),
            ..SearchQuery::default()
        },
    ] {
        assert!(
            matches!(index.search(&q).await, Err(SearchError::InvalidQuery(_))),
            "{q:?}"
        );
    }
    let mut bad = doc("", "无名", "");
    assert!(matches!(
        index.upsert(&bad).await,
        Err(SearchError::InvalidDoc(_))
    ));
    bad.id = "X-bad".into();
    bad.rating_x10 = 60;
    let good = doc("X-good", "好的", "");
    assert!(matches!(
        index.upsert_many(&[good, bad]).await,
        Err(SearchError::InvalidDoc(_))
    ));
    assert!(matches!(
        index
            .set_synonyms(groups(&[&["保洁", &"长".repeat(21)]]))
            .await,
        Err(SearchError::InvalidSynonyms(_))
    ));
    assert_eq!(index.count().await.unwrap(), DOCS as u64);
    assert_eq!(
        index
            .search(&SearchQuery::text("好的"))
            .await
            .unwrap()
            .total,
        0
    );
    let odd = SearchQuery::text("<>&\"' ，。！？");
    assert_eq!(index.search(&odd).await.unwrap().total, DOCS as u64);
}

/// A listing with the word in its title ranks above one that has it only in the description.
pub async fn title_matches_outrank_description_matches(index: &dyn SearchIndex) {
    seed(index).await;
    index
        .upsert_many(&[
            doc(
                "X-desc",
                "乐器保养",
                "擅长古筝、钢琴等多种乐器的日常保养与调试。",
            ),
            doc("X-title", "古筝调音", "上门服务。"),
        ])
        .await
        .unwrap();
    let res = index.search(&SearchQuery::text("古筝")).await.unwrap();
    let ids: Vec<&str> = res.hits.iter().map(|h| h.id.as_str()).collect();
    assert_eq!(ids, vec!["X-title", "X-desc"]);
    assert!(res.hits[0].score > res.hits[1].score);
}

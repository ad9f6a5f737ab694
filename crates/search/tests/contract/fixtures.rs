//! Generated listings (240, across ten categories, eleven Shanghai districts and every price
//! bucket) and an oracle that decides from the plain data what a search must return: text by
//! substring over the searched fields, coverage by its own haversine, filters and disjunctive
//! facets as `Facets` documents them. The titles are chosen so jieba cuts every query word
//! out of them, which makes "contains the word" the exact expected answer.

#![allow(dead_code)] // each backend's test file uses the suite, not every helper directly

use linli_search::{
    SearchDoc, SearchQuery,
    model::{Facets, PRICE_BUCKETS, price_bucket, price_bucket_label},
};

/// How many listings [`docs`] makes.
pub const DOCS: usize = 240;

/// (slug, parent, name, titles, descriptions)
type Category = (
    &'static str,
    &'static str,
    &'static str,
    [&'static str; 4],
    [&'static str; 2],
);

pub const CATEGORIES: [Category; 10] = [
    (
        "home-cleaning",
        "housekeeping",
        "日常保洁",
        [
            "家庭日常保洁",
            "新居开荒保洁",
            "深度保洁四小时",
            "全屋大扫除",
        ],
        [
            "专业阿姨上门，自带工具，擦窗拖地一站搞定。",
            "钟点工按小时计费，厨房卫生间重点处理。",
        ],
    ),
    (
        "appliance-cleaning",
        "housekeeping",
        "家电清洁",
        [
            "油烟机深度清洁",
            "洗衣机清洁消毒",
            "冰箱除味清洁",
            "热水器除垢",
        ],
        ["拆洗内部部件，高温蒸汽消毒。", "专用药剂，不伤机器。"],
    ),
    (
        "ac-cleaning",
        "housekeeping",
        "空调清洗",
        [
            "挂机空调深度清洗",
            "柜机空调清洗除菌",
            "TCL空调清洗",
            "中央空调清洗",
        ],
        ["拆洗滤网与蒸发器，去除异味。", "高温蒸汽杀菌，出风更干净。"],
    ),
    (
        "ac-repair",
        "repair",
        "空调维修",
        [
            "空调不制冷维修",
            "空调加氟",
            "空调移机安装",
            "变频空调故障检测",
        ],
        ["持证上岗，故障检测免费。", "原厂配件，售后无忧。"],
    ),
    (
        "locksmith",
        "repair",
        "开锁换锁",
        ["24小时开锁", "防盗门换锁芯", "汽车开锁", "保险柜开锁"],
        ["公安备案，身份核验后开锁。", "三十分钟到达，明码标价。"],
    ),
    (
        "appliance-repair",
        "repair",
        "家电维修",
        ["洗衣机修理", "冰箱维修", "热水器修理", "电视机维修"],
        ["十年经验，先检测后报价。", "价格实惠，师傅准时，售后无忧。"],
    ),
    (
        "plumbing",
        "repair",
        "管道疏通",
        ["马桶疏通", "下水道疏通", "水管漏水处理", "水龙头更换"],
        ["专业设备，不砸地砖。", "夜间也可预约。"],
    ),
    (
        "moving",
        "moving",
        "搬家",
        ["同城搬家", "小件搬运", "钢琴搬运", "公司搬迁"],
        ["家具拆装，全程保护。", "车型齐全，按距离计价。"],
    ),
    (
        "pet-care",
        "pets",
        "宠物上门",
        ["猫咪上门喂养", "上门遛狗", "金毛洗澡美容", "宠物寄养"],
        ["拍照反馈，每日打卡。", "熟悉猫狗习性，耐心细致。"],
    ),
    (
        "tutoring",
        "education",
        "家教",
        ["一对一家教辅导", "英语家教", "初中物理家教", "小学作业辅导"],
        ["名校老师，试课满意再付费。", "每周反馈学习进度。"],
    ),
];

const PROVIDERS: [&str; 7] = [
    "邻里家政",
    "安心到家",
    "好帮手",
    "优家生活",
    "金牌师傅",
    "阳光小哥",
    "快乐蜜蜂",
];

/// Shanghai district codes and centres (micro-degrees).
pub const DISTRICTS: [(&str, i64, i64); 11] = [
    ("310101", 31_231_700, 121_484_600),
    ("310104", 31_188_500, 121_436_500),
    ("310105", 31_220_400, 121_424_100),
    ("310106", 31_229_000, 121_448_000),
    ("310107", 31_249_600, 121_397_200),
    ("310109", 31_264_600, 121_505_400),
    ("310110", 31_259_500, 121_526_000),
    ("310112", 31_112_800, 121_381_700),
    ("310113", 31_405_000, 121_489_000),
    ("310115", 31_221_400, 121_544_700),
    ("310151", 31_622_900, 121_397_200),
];

/// A place at a district's centre.
pub fn place_in(code: &str) -> (String, i64, i64) {
    let (c, lat, lng) = DISTRICTS
        .iter()
        .find(|d| d.0 == code)
        .copied()
        .unwrap_or(DISTRICTS[0]);
    (c.to_owned(), lat, lng)
}

/// A minimal listing for tests that need one of their own.
pub fn doc(id: &str, title: &str, description: &str) -> SearchDoc {
    SearchDoc {
        id: id.to_owned(),
        provider_id: "P-test".to_owned(),
        title: title.to_owned(),
        description: description.to_owned(),
        category: "misc".to_owned(),
        parent_category: "other".to_owned(),
        category_name: "其他".to_owned(),
        provider_name: "测评工作室".to_owned(),
        price_fen: 9_900,
        rating_x10: 45,
        sales: 10,
        districts: vec!["310101".to_owned()],
        radius_zones: Vec::new(),
        base_lat_micro: DISTRICTS[0].1,
        base_lng_micro: DISTRICTS[0].2,
        updated_at: 1_760_000_000_000,
    }
}

/// The generated listings, deterministic.
pub fn docs() -> Vec<SearchDoc> {
    (0..DOCS).map(generated).collect()
}

fn generated(i: usize) -> SearchDoc {
    let (slug, parent, name, titles, descriptions) = CATEGORIES[i % CATEGORIES.len()];
    let round = i / CATEGORIES.len();
    let home = DISTRICTS[i % DISTRICTS.len()];
    let mut districts = vec![home.0.to_owned()];
    if i.is_multiple_of(3) {
        districts.push(DISTRICTS[(i * 3 + 1) % DISTRICTS.len()].0.to_owned());
    }
    if i.is_multiple_of(4) {
        districts.push(DISTRICTS[(i * 5 + 2) % DISTRICTS.len()].0.to_owned());
    }
    districts.sort();
    districts.dedup();
    let mut radius_zones = Vec::new();
    match i % 10 {
        // Radius only: no district list at all.
        7 => {
            districts.clear();
            radius_zones.push((home.1, home.2, 3_000 + (i as i64 % 5) * 1_000));
        }
        3 => radius_zones.push((home.1, home.2, 5_000)),
        _ => {}
    }
    let (base_lat, base_lng) = if i.is_multiple_of(25) {
        (0, 0)
    } else {
        (
            home.1 + (i as i64 % 7) * 1_500,
            home.2 - (i as i64 % 5) * 1_200,
        )
    };
    let i64i = i as i64;
    SearchDoc {
        id: format!("L{i:04}"),
        provider_id: format!("P{:02}", i % 17),
        title: titles[round % titles.len()].to_owned(),
        description: descriptions[round % descriptions.len()].to_owned(),
        category: slug.to_owned(),
        parent_category: parent.to_owned(),
        category_name: name.to_owned(),
        provider_name: PROVIDERS[i % PROVIDERS.len()].to_owned(),
        price_fen: ((i64i * 7_919) % 700 + 10) * 100,
        rating_x10: if i.is_multiple_of(9) {
            0
        } else {
            30 + (i64i * 13) % 21
        },
        sales: (i64i * 389) % 1_000,
        districts,
        radius_zones,
        base_lat_micro: base_lat,
        base_lng_micro: base_lng,
        updated_at: 1_760_000_000_000 + i64i * 60_000,
    }
}

/// The searched fields of a listing.
pub fn searched_text(d: &SearchDoc) -> [&str; 4] {
    [&d.title, &d.description, &d.category_name, &d.provider_name]
}

/// Whether any searched field contains the word (case-insensitively for Latin letters).
pub fn contains(d: &SearchDoc, word: &str) -> bool {
    let word = word.to_lowercase();
    searched_text(d)
        .iter()
        .any(|t| t.to_lowercase().contains(&word))
}

/// Metres between two points, computed independently of the crate.
pub fn metres(a: (i64, i64), b: (i64, i64)) -> f64 {
    let rad = |m: i64| (m as f64 / 1e6).to_radians();
    let (la1, lo1, la2, lo2) = (rad(a.0), rad(a.1), rad(b.0), rad(b.1));
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * h.sqrt().asin()
}

/// Whether a listing serves the place.
pub fn covers(d: &SearchDoc, place: &(String, i64, i64)) -> bool {
    d.districts.contains(&place.0)
        || d.radius_zones
            .iter()
            .any(|&(lat, lng, m)| metres((lat, lng), (place.1, place.2)) <= m as f64)
}

/// A filter dimension, for facets that ignore their own filter.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    Category,
    Price,
    District,
}

/// Whether the listing passes the query's place and filters, except `skip`.
pub fn passes(d: &SearchDoc, q: &SearchQuery, skip: Option<Dim>) -> bool {
    let category = skip == Some(Dim::Category)
        || q.category
            .as_ref()
            .is_none_or(|c| &d.category == c || &d.parent_category == c);
    let price = skip == Some(Dim::Price)
        || (q.price_min_fen.is_none_or(|lo| d.price_fen >= lo)
            && q.price_max_fen.is_none_or(|hi| d.price_fen <= hi));
    let rating = q.min_rating_x10.is_none_or(|r| d.rating_x10 >= r);
    let district =
        skip == Some(Dim::District) || q.district.as_ref().is_none_or(|c| d.districts.contains(c));
    let place = q.place.as_ref().is_none_or(|p| covers(d, p));
    category && price && rating && district && place
}

/// The facets a search must report, given which listings match its text.
pub fn expected_facets(
    docs: &[SearchDoc],
    q: &SearchQuery,
    text: impl Fn(&SearchDoc) -> bool,
) -> Facets {
    let mut categories = std::collections::BTreeMap::<String, u64>::new();
    for d in docs
        .iter()
        .filter(|d| text(d) && passes(d, q, Some(Dim::Category)))
    {
        *categories.entry(d.category.clone()).or_default() += 1;
    }
    let mut districts = std::collections::BTreeMap::<String, u64>::new();
    for d in docs
        .iter()
        .filter(|d| text(d) && passes(d, q, Some(Dim::District)))
    {
        for code in &d.districts {
            *districts.entry(code.clone()).or_default() += 1;
        }
    }
    let mut prices = [0u64; PRICE_BUCKETS.len()];
    for d in docs
        .iter()
        .filter(|d| text(d) && passes(d, q, Some(Dim::Price)))
    {
        prices[price_bucket(d.price_fen)] += 1;
    }
    let by_count = |m: std::collections::BTreeMap<String, u64>| {
        let mut v: Vec<(String, u64)> = m.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v
    };
    Facets {
        categories: by_count(categories),
        districts: by_count(districts),
        price_buckets: (0..PRICE_BUCKETS.len())
            .map(|i| (price_bucket_label(i), prices[i]))
            .collect(),
    }
}

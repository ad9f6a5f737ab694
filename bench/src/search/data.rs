//! The synthetic marketplace the search section measures: the seeded categories, one operator,
//! a handful of approved providers with service areas (through the store port, as the app
//! writes them), and `n` published listings written in bulk with raw SQL inside one
//! transaction (through `save_listing` 100,000 listings would take minutes).
//!
//! Titles and descriptions are Chinese, built from each category's name and service words
//! (保洁, 空调, 开锁, 搬家, 维修, 清洗 …) plus filler sentences, from a fixed-seed generator, so
//! every run indexes the same text and a two-character query hits a realistic few percent.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use linli_app::App;
use linli_domain::{
    district::{self, DISTRICTS},
    ids::{DocumentId, ListingId, ProviderId, UserId},
    provider::ReviewAction,
    time::Timestamp,
};
use linli_store::{AreaRow, CategoryRow, NewUser, ProviderRow};
use sqlx::{AnyPool, Row};

/// Approved providers the listings are spread over.
const PROVIDERS: usize = 12;
/// Listings per multi-row `INSERT` (14 columns each, well under SQLite's variable limit).
const ROWS_PER_INSERT: usize = 64;
/// Columns written per listing; the rest take their defaults.
const COLUMNS: &str = "id, provider_id, category, title, description, unit, price_fen, min_units, \
                       minutes, status, sales, created_at, updated_at, published_at";
const COLUMN_COUNT: usize = 14;

/// Service words per top-level category slug: what customers type and listings say.
const WORDS: &[(&str, &[&str])] = &[
    (
        "cleaning",
        &["保洁", "清洁", "擦玻璃", "除螨", "厨房", "卫生间", "打扫"],
    ),
    (
        "appliance",
        &[
            "空调",
            "清洗",
            "维修",
            "加氟",
            "洗衣机",
            "冰箱",
            "油烟机",
            "热水器",
        ],
    ),
    ("moving", &["搬家", "搬运", "打包", "拆装", "家具", "货车"]),
    ("nanny", &["月嫂", "育儿", "陪护", "做饭", "住家", "护理"]),
    ("pet", &["喂猫", "遛狗", "洗澡", "美容", "宠物", "驱虫"]),
    (
        "plumbing",
        &["疏通", "马桶", "下水道", "水管", "维修", "漏水"],
    ),
    (
        "locksmith",
        &["开锁", "换锁", "锁芯", "智能锁", "安装", "保险柜"],
    ),
    ("massage", &["推拿", "按摩", "足疗", "肩颈", "理疗", "放松"]),
    (
        "tutoring",
        &["数学", "英语", "钢琴", "辅导", "作业", "小学"],
    ),
    ("laundry", &["洗衣", "洗鞋", "窗帘", "清洗", "熨烫", "干洗"]),
];
/// Used when a category has no entry in [`WORDS`] (the seed grew a category).
const GENERIC_WORDS: &[&str] = &["上门", "维修", "清洗", "安装", "保养"];

const TITLE_PREFIXES: &[&str] = &[
    "",
    "专业",
    "正规",
    "品质",
    "快速",
    "金牌",
    "放心",
    "24小时",
    "老师傅",
    "口碑",
];
const TITLE_SUFFIXES: &[&str] = &[
    "",
    "·师傅上门",
    "·当天可约",
    "（不满意重做）",
    "套餐",
    "特惠",
    "·明码标价",
    "服务",
];
const FILLERS: &[&str] = &[
    "持证上岗，价格透明，不乱收费。",
    "平台担保交易，完工确认后才付款。",
    "工具自带，服务完成后清理现场。",
    "可提前预约，准时到达，超时有赔付。",
    "十年经验团队，服务过上千户家庭。",
    "节假日正常服务，夜间可加急。",
    "使用环保材料，家里有老人小孩也放心。",
    "服务全程规范操作，注意保护家具地面。",
    "老客户回头率高，欢迎查看评价。",
    "如有问题七天内免费返修。",
];
const PROVIDER_NAMES: &[&str] = &[
    "张阿姨家政",
    "顺心到家",
    "邻里帮",
    "快修侠",
    "安家服务",
    "小蜜蜂保洁",
    "速达搬家",
    "金钥匙开锁",
    "暖心月嫂",
    "萌宠之家",
    "名师家教",
    "净衣坊",
];

/// A small fixed-seed generator (SplitMix64): the same text in every run, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        // Modulo bias is irrelevant for picking words.
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    fn word(&mut self, words: &[&'static str]) -> &'static str {
        words[self.below(words.len())]
    }

    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo) as u64) as i64
    }
}

/// A second-level category as the generator uses it.
struct Category {
    slug: String,
    name: String,
    words: &'static [&'static str],
}

/// What was generated.
pub struct Market {
    /// Published listings written.
    pub listings: usize,
    /// Approved providers.
    pub providers: usize,
    /// Second-level categories the listings are spread over.
    pub categories: usize,
    /// How long categories, accounts and providers took.
    pub setup_time: Duration,
    /// How long the bulk insert of the listings took.
    pub insert_time: Duration,
}

/// Seeds categories, an operator and [`PROVIDERS`] approved providers through the app's
/// store, then writes `n` published listings with raw SQL in one transaction on `pool`.
pub async fn populate(app: &App, pool: &AnyPool, n: usize) -> Result<Market> {
    let started = Instant::now();
    linli_app::seed::seed_categories(app).await?;
    let categories = leaf_categories(&app.store.categories().await?);
    ensure!(!categories.is_empty(), "the seed created no categories");
    let providers = approved_providers(app).await?;
    let setup_time = started.elapsed();

    let started = Instant::now();
    insert_listings(pool, &categories, &providers, n, app.now()).await?;
    let insert_time = started.elapsed();
    let stored: i64 = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM listings WHERE status = 'published'",
    )
    .fetch_one(pool)
    .await?
    .try_get("n")?;
    ensure!(
        usize::try_from(stored).ok() == Some(n),
        "{stored} published listings stored, {n} written"
    );
    Ok(Market {
        listings: n,
        providers: providers.len(),
        categories: categories.len(),
        setup_time,
        insert_time,
    })
}

fn leaf_categories(rows: &[CategoryRow]) -> Vec<Category> {
    rows.iter()
        .filter_map(|c| {
            let parent_id = c.parent_id.as_ref()?;
            let parent = rows.iter().find(|p| &p.id == parent_id)?;
            let words = WORDS
                .iter()
                .find(|(slug, _)| *slug == parent.slug)
                .map_or(GENERIC_WORDS, |(_, w)| *w);
            Some(Category {
                slug: c.slug.clone(),
                name: c.name_zh.clone(),
                words,
            })
        })
        .collect()
}

/// The district codes provider `p` covers: two or three of the city's sixteen, so a district
/// filter keeps a fraction of the listings.
pub fn provider_districts(p: usize) -> Vec<String> {
    let mut codes = vec![p % DISTRICTS.len(), (p * 5 + 3) % DISTRICTS.len()];
    if p.is_multiple_of(2) {
        codes.push((p * 7 + 1) % DISTRICTS.len());
    }
    codes.sort_unstable();
    codes.dedup();
    codes
        .into_iter()
        .map(|i| DISTRICTS[i].code.to_owned())
        .collect()
}

/// Creates the operator and the providers (application, approval — which turns the
/// application's districts into the first service area — and, for every third provider, a
/// 5 km radius zone too). Returns the providers' ids.
async fn approved_providers(app: &App) -> Result<Vec<ProviderId>> {
    let now = app.now();
    let operator = UserId::new();
    app.store
        .create_user(&NewUser {
            id: operator,
            phone: "13700000000".into(),
            password_hash: None,
            nickname: "bench operator".into(),
            now,
        })
        .await?;
    let mut ids = Vec::with_capacity(PROVIDERS);
    for p in 0..PROVIDERS {
        let user = UserId::new();
        app.store
            .create_user(&NewUser {
                id: user,
                phone: format!("1370000{:04}", p + 1),
                password_hash: None,
                nickname: format!("provider {p}"),
                now,
            })
            .await?;
        let row = ProviderRow {
            id: ProviderId::new(),
            user_id: user,
            kind: "company".into(),
            display_name: PROVIDER_NAMES[p % PROVIDER_NAMES.len()].into(),
            real_name_masked: "张*".into(),
            real_name_enc: "bench".into(),
            id_number_masked: "3101**********0000".into(),
            id_number_enc: "bench".into(),
            categories: Vec::new(),
            districts: provider_districts(p),
            intro: "专业团队，服务周到。".into(),
            status: "pending".into(),
            review_note: None,
            submitted_at: now,
            reviewed_at: None,
            approved_at: None,
            suspended: false,
            completed_orders: 0,
            rating_sum: 0,
            rating_count: 0,
        };
        let id = app.store.submit_application(&row, &[], now).await?;
        app.store
            .review_application(id, ReviewAction::Approve, None, operator, now)
            .await?;
        if p.is_multiple_of(3) {
            let centre = &DISTRICTS[(p + 8) % DISTRICTS.len()];
            app.store
                .add_service_area(
                    &AreaRow {
                        id: DocumentId::new().to_string(),
                        provider_id: id,
                        kind: "radius".into(),
                        districts: Vec::new(),
                        lat_micro: district::to_micro_degrees(centre.lat),
                        lng_micro: district::to_micro_degrees(centre.lng),
                        radius_m: 5_000,
                        surcharge_fen: 1_000,
                    },
                    now,
                )
                .await?;
        }
        ids.push(id);
    }
    Ok(ids)
}

/// One listing's values, in [`COLUMNS`] order.
struct Listing {
    id: String,
    provider_id: String,
    category: String,
    title: String,
    description: String,
    unit: &'static str,
    price_fen: i64,
    minutes: i64,
    sales: i64,
    at: i64,
}

fn listing(rng: &mut Rng, cats: &[Category], providers: &[ProviderId], at: i64) -> Listing {
    let cat = rng.pick(cats);
    let w1 = rng.word(cat.words);
    let w2 = rng.word(cat.words);
    let w3 = rng.word(cat.words);
    let title = format!(
        "{}{}·{}{}",
        rng.word(TITLE_PREFIXES),
        cat.name,
        w1,
        rng.word(TITLE_SUFFIXES)
    );
    let place = rng.pick(DISTRICTS).name;
    let mut description = format!("{place}{}，{w1}、{w2}、{w3}都能做。", cat.name);
    for _ in 0..rng.range(2, 5) {
        description.push_str(rng.word(FILLERS));
    }
    // Some listings mention a neighbouring trade, as real ones do (保洁 + 家电清洗).
    if rng.below(10) == 0 {
        let other = rng.pick(cats);
        description.push_str(&format!("也可加约{}。", other.name));
    }
    Listing {
        id: ListingId::new().to_string(),
        provider_id: rng.pick(providers).to_string(),
        category: cat.slug.clone(),
        title,
        description,
        unit: rng.word(&["fixed", "hour", "sqm", "item"]),
        price_fen: rng.range(30, 800) * 100,
        minutes: rng.range(1, 9) * 30,
        sales: rng.range(0, 5_000),
        at,
    }
}

/// `INSERT INTO listings (…) VALUES (…), (…)` for `rows` rows with `$n` placeholders.
fn insert_sql(rows: usize) -> String {
    let groups: Vec<String> = (0..rows)
        .map(|r| {
            let marks: Vec<String> = (1..=COLUMN_COUNT)
                .map(|c| format!("${}", r * COLUMN_COUNT + c))
                .collect();
            format!("({})", marks.join(", "))
        })
        .collect();
    format!(
        "INSERT INTO listings ({COLUMNS}) VALUES {}",
        groups.join(", ")
    )
}

async fn insert_listings(
    pool: &AnyPool,
    cats: &[Category],
    providers: &[ProviderId],
    n: usize,
    now: Timestamp,
) -> Result<()> {
    let mut rng = Rng(0x11_4E11);
    let full_chunk = insert_sql(ROWS_PER_INSERT);
    let mut tx = pool
        .begin_with("BEGIN IMMEDIATE")
        .await
        .context("starting the bulk insert")?;
    let mut written = 0;
    while written < n {
        let rows = (n - written).min(ROWS_PER_INSERT);
        let sql = if rows == ROWS_PER_INSERT {
            full_chunk.clone()
        } else {
            insert_sql(rows)
        };
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for k in 0..rows {
            // Distinct change times, newest first, so every sort has a stable order.
            let at = now.0 - i64::try_from(written + k).unwrap_or(0);
            let l = listing(&mut rng, cats, providers, at);
            q = q
                .bind(l.id)
                .bind(l.provider_id)
                .bind(l.category)
                .bind(l.title)
                .bind(l.description)
                .bind(l.unit)
                .bind(l.price_fen)
                .bind(1_i64)
                .bind(l.minutes)
                .bind("published")
                .bind(l.sales)
                .bind(l.at)
                .bind(l.at)
                .bind(l.at);
        }
        q.execute(&mut *tx)
            .await
            .context("bulk insert of listings")?;
        written += rows;
    }
    tx.commit().await.context("committing the listings")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_insert_has_one_placeholder_per_value() {
        let sql = insert_sql(2);
        assert!(sql.ends_with(&format!(
            "${}, ${})",
            2 * COLUMN_COUNT - 1,
            2 * COLUMN_COUNT
        )));
        assert_eq!(COLUMNS.split(',').count(), COLUMN_COUNT);
        assert_eq!(sql.matches('$').count(), 2 * COLUMN_COUNT);
    }

    #[test]
    fn every_provider_covers_two_or_three_known_districts() {
        for p in 0..PROVIDERS {
            let d = provider_districts(p);
            assert!((2..=3).contains(&d.len()), "{p}: {d:?}");
            assert!(d.iter().all(|c| district::by_code(c).is_some()));
        }
    }
}

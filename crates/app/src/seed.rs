//! Demo data: two-level service categories, demo customers and an operator. Runs once per
//! database (guarded by a setting); later issues add providers and listings here.

use linli_store::CategoryRow;

use crate::{App, AppResult};

/// Password of every demo account (shown in the startup banner; demo only).
pub const DEMO_PASSWORD: &str = "Linli2026";
/// Phone of the demo operator.
pub const DEMO_ADMIN_PHONE: &str = "13800000000";
/// Phones of the demo customers.
pub const DEMO_CUSTOMERS: [(&str, &str); 3] = [
    ("13900000001", "小王"),
    ("13900000002", "李阿姨"),
    ("13900000003", "Tom"),
];

/// Top-level categories with their children: (slug, 中文, English, icon, children).
type Cat = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str, &'static str)],
);
const CATEGORIES: &[Cat] = &[
    (
        "cleaning",
        "家庭保洁",
        "Home cleaning",
        "🧹",
        &[
            ("cleaning-daily", "日常保洁", "Daily cleaning"),
            ("cleaning-deep", "深度保洁", "Deep cleaning"),
            ("cleaning-move", "开荒保洁", "Move-in cleaning"),
            ("cleaning-glass", "擦玻璃", "Window cleaning"),
        ],
    ),
    (
        "appliance",
        "家电维修",
        "Appliance repair",
        "🔧",
        &[
            ("appliance-ac", "空调维修", "Air conditioner"),
            ("appliance-washer", "洗衣机维修", "Washing machine"),
            ("appliance-fridge", "冰箱维修", "Refrigerator"),
            ("appliance-clean", "家电清洗", "Appliance cleaning"),
        ],
    ),
    (
        "moving",
        "搬家",
        "Moving",
        "🚚",
        &[
            ("moving-home", "居民搬家", "Home moving"),
            ("moving-small", "小件搬运", "Small items"),
            ("moving-office", "公司搬迁", "Office moving"),
        ],
    ),
    (
        "nanny",
        "保姆月嫂",
        "Nanny & maternity",
        "👶",
        &[
            ("nanny-yuesao", "月嫂", "Maternity nurse"),
            ("nanny-yuersao", "育儿嫂", "Childcare nanny"),
            ("nanny-elder", "老人陪护", "Elder care"),
        ],
    ),
    (
        "pet",
        "宠物服务",
        "Pet care",
        "🐾",
        &[
            ("pet-feeding", "上门喂猫", "Cat sitting"),
            ("pet-walking", "遛狗", "Dog walking"),
            ("pet-grooming", "宠物洗护", "Pet grooming"),
        ],
    ),
    (
        "plumbing",
        "管道疏通",
        "Plumbing",
        "🚰",
        &[
            ("plumbing-toilet", "马桶疏通", "Toilet unclogging"),
            ("plumbing-sink", "下水道疏通", "Drain unclogging"),
            ("plumbing-leak", "水管维修", "Pipe repair"),
        ],
    ),
    (
        "locksmith",
        "开锁换锁",
        "Locksmith",
        "🔑",
        &[
            ("locksmith-open", "开锁", "Unlocking"),
            ("locksmith-change", "换锁芯", "Lock change"),
            ("locksmith-smart", "智能锁安装", "Smart lock install"),
        ],
    ),
    (
        "massage",
        "上门按摩",
        "Massage at home",
        "💆",
        &[
            ("massage-body", "全身推拿", "Full body"),
            ("massage-foot", "足疗", "Foot massage"),
        ],
    ),
    (
        "tutoring",
        "家教",
        "Tutoring",
        "📚",
        &[
            ("tutoring-math", "数学", "Math"),
            ("tutoring-english", "英语", "English"),
            ("tutoring-piano", "钢琴", "Piano"),
        ],
    ),
    (
        "laundry",
        "洗衣洗鞋",
        "Laundry & shoes",
        "👟",
        &[
            ("laundry-clothes", "洗衣", "Clothes"),
            ("laundry-shoes", "洗鞋", "Shoes"),
            ("laundry-curtain", "窗帘清洗", "Curtains"),
        ],
    ),
];

/// Inserts the categories (idempotent by slug).
pub async fn seed_categories(app: &App) -> AppResult<usize> {
    let mut n = 0;
    for (i, (slug, zh, en, icon, children)) in CATEGORIES.iter().enumerate() {
        let parent = format!("cat-{slug}");
        let sort = i64::try_from(i).unwrap_or(0);
        app.store
            .upsert_category(&CategoryRow {
                id: parent.clone(),
                parent_id: None,
                slug: (*slug).into(),
                name_zh: (*zh).into(),
                name_en: (*en).into(),
                icon: (*icon).into(),
                sort,
            })
            .await?;
        n += 1;
        for (j, (cslug, czh, cen)) in children.iter().enumerate() {
            app.store
                .upsert_category(&CategoryRow {
                    id: format!("cat-{cslug}"),
                    parent_id: Some(parent.clone()),
                    slug: (*cslug).into(),
                    name_zh: (*czh).into(),
                    name_en: (*cen).into(),
                    icon: String::new(),
                    sort: i64::try_from(j).unwrap_or(0),
                })
                .await?;
            n += 1;
        }
    }
    Ok(n)
}

/// Seeds the demo data once. Returns false when it was already seeded.
pub async fn seed_demo(app: &App) -> AppResult<bool> {
    seed_categories(app).await?;
    if app.store.setting("demo_seeded").await?.is_some() {
        return Ok(false);
    }
    app.bootstrap_admin(DEMO_ADMIN_PHONE, DEMO_PASSWORD).await?;
    for (phone, name) in DEMO_CUSTOMERS {
        if app.store.user_by_phone(phone).await?.is_none() {
            app.register(phone, DEMO_PASSWORD, Some(name)).await?;
        }
    }
    app.store.put_setting("demo_seeded", "1", true).await?;
    Ok(true)
}

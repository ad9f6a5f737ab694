//! Demo data, so that a newcomer opening a fresh install sees a living marketplace: two-level
//! service categories, a demo operator, three demo customers, and 35 approved providers spread
//! over all sixteen districts with five published services in every second-level category, each
//! with generated photos.
//!
//! Everything goes through the real use cases (application, operator review, listing
//! validation, the automatic text filter, publication), so the demo data obeys the same rules as
//! real data and the audit rows, notifications and outbox events exist. Two shortcuts keep the
//! seed fast in debug builds, where the browser suite starts about ten servers that each seed on
//! first start (see [`seed_demo`]): the demo password is hashed once for the customer and
//! provider accounts, and each distinct demo picture is processed once and stored as a copy per
//! listing.
//!
//! The seed runs once per database (guarded by the `demo_seeded` setting) and can resume after
//! an interruption: every step first looks for what an earlier run already created.

use std::collections::HashMap;

use linli_domain::{
    district,
    ids::{ListingId, UserId},
    listing::{PriceOption, SopItem},
    provider::ReviewAction,
    time::Day,
};
use linli_store::{CategoryRow, NewUser, PhotoRef, TokenKind};

use crate::{
    Actor, App, AppError, AppResult, crypto,
    files::{self, ProcessedPhoto},
    listings::ListingForm,
    providers::{ApplicationForm, DocumentUpload},
};

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
/// Phone of a demo provider (password [`DEMO_PASSWORD`]) for trying the provider console: the
/// first seeded provider, [`DEMO_PROVIDER_NAME`], with six published cleaning services.
pub const DEMO_PROVIDER_PHONE: &str = "13600000001";
/// Shop name of the provider behind [`DEMO_PROVIDER_PHONE`].
pub const DEMO_PROVIDER_NAME: &str = "张阿姨家政";
/// Number of approved demo providers (each with its own account, phones `136000000NN`).
pub const DEMO_PROVIDER_COUNT: usize = PROVIDERS.len();
/// Number of published demo listings.
pub const DEMO_LISTING_COUNT: usize = {
    let mut n = 0;
    let mut i = 0;
    while i < SHELVES.len() {
        n += SHELVES[i].offers.len();
        i += 1;
    }
    n
};
// What the product asks of the demo marketplace, checked when compiling.
const _: () = assert!(DEMO_PROVIDER_COUNT >= 30 && DEMO_LISTING_COUNT >= 150);

/// Every demo account: the operator, the customers and the providers.
pub const DEMO_ACCOUNT_COUNT: usize = 1 + DEMO_CUSTOMERS.len() + DEMO_PROVIDER_COUNT;

/// Phone of the `i`-th demo provider (0-based): `13600000001`, `13600000002`, …
fn provider_phone(i: usize) -> String {
    format!("1360000{:04}", i + 1)
}

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
                deposit_fen: 0,
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
                    deposit_fen: 0,
                })
                .await?;
            n += 1;
        }
    }
    Ok(n)
}

// District codes, named so the provider table below reads like a map.
const HUANGPU: &str = "310101";
const XUHUI: &str = "310104";
const CHANGNING: &str = "310105";
const JINGAN: &str = "310106";
const PUTUO: &str = "310107";
const HONGKOU: &str = "310109";
const YANGPU: &str = "310110";
const MINHANG: &str = "310112";
const BAOSHAN: &str = "310113";
const JIADING: &str = "310114";
const PUDONG: &str = "310115";
const JINSHAN: &str = "310116";
const SONGJIANG: &str = "310117";
const QINGPU: &str = "310118";
const FENGXIAN: &str = "310120";
const CHONGMING: &str = "310151";

/// A demo provider. Its top-level categories are the parents of `focus`; the services of each
/// second-level category are shared out among the providers focusing on it.
struct DemoProvider {
    /// Shop name shown to customers (also the account's nickname).
    shop: &'static str,
    /// A registered company (uploads a business licence) rather than an individual (uploads a
    /// qualification certificate).
    company: bool,
    /// Legal name of the person or the company's representative.
    real_name: &'static str,
    /// Sex, for the parity digit of the identity number.
    female: bool,
    /// Birth date `YYYYMMDD` (1970–1995), for the identity number.
    born: &'static str,
    /// Second-level categories this shop publishes services in.
    focus: &'static [&'static str],
    /// District codes served; the first is also the home district in the identity number.
    districts: &'static [&'static str],
    /// Introduction on the public profile.
    intro: &'static str,
}

const fn shop(
    shop: &'static str,
    company: bool,
    person: (&'static str, bool, &'static str),
    focus: &'static [&'static str],
    districts: &'static [&'static str],
    intro: &'static str,
) -> DemoProvider {
    DemoProvider {
        shop,
        company,
        real_name: person.0,
        female: person.1,
        born: person.2,
        focus,
        districts,
        intro,
    }
}

const COMPANY: bool = true;
const INDIVIDUAL: bool = false;
const F: bool = true;
const M: bool = false;

/// The demo providers. The first one is [`DEMO_PROVIDER_NAME`].
const PROVIDERS: &[DemoProvider] = &[
    shop(
        DEMO_PROVIDER_NAME,
        INDIVIDUAL,
        ("张秀英", F, "19720415"),
        &["cleaning-daily", "cleaning-deep", "cleaning-glass"],
        &[HUANGPU, JINGAN, XUHUI],
        "做家政十五年，擅长日常保洁和厨卫深度清洁，做事细心，老客户都叫我张阿姨。",
    ),
    shop(
        "李师傅空调维修",
        INDIVIDUAL,
        ("李建国", M, "19750822"),
        &["appliance-ac", "appliance-clean"],
        &[MINHANG, XUHUI, CHANGNING],
        "持制冷设备维修证，专修各品牌家用空调，先检测后报价，不乱收费。",
    ),
    shop(
        "快捷开锁",
        COMPANY,
        ("王志强", M, "19800109"),
        &["locksmith-open", "locksmith-change", "locksmith-smart"],
        &[PUDONG, HUANGPU, HONGKOU, YANGPU],
        "公安备案开锁公司，开锁前核验身份，换锁芯、装智能锁一站搞定，夜间也能预约。",
    ),
    shop(
        "爱宠上门喂养",
        INDIVIDUAL,
        ("陈晓雯", F, "19930617"),
        &["pet-feeding", "pet-walking"],
        &[JINGAN, CHANGNING, PUTUO],
        "自己养了三只猫一只狗，出差旅行把毛孩子交给我，每次上门都发照片和视频。",
    ),
    shop(
        "洁净家保洁服务",
        COMPANY,
        ("刘伟", M, "19780930"),
        &[
            "cleaning-deep",
            "cleaning-move",
            "cleaning-glass",
            "laundry-curtain",
        ],
        &[PUDONG, MINHANG, FENGXIAN],
        "专业保洁团队，承接深度保洁、新房开荒和擦玻璃，保洁师统一培训、统一着装。",
    ),
    shop(
        "通达管道疏通",
        COMPANY,
        ("赵德明", M, "19710304"),
        &["plumbing-toilet", "plumbing-sink", "plumbing-leak"],
        &[BAOSHAN, PUTUO, JIADING],
        "二十年管道疏通经验，马桶、下水道、主管道疏通和水管维修，不通不收费。",
    ),
    shop(
        "顺风搬家",
        COMPANY,
        ("孙海涛", M, "19820711"),
        &["moving-home", "moving-small", "moving-office"],
        &[PUDONG, MINHANG, XUHUI, SONGJIANG],
        "自有厢式货车车队，居民搬家、公司搬迁和小件搬运，明码标价，无隐形收费。",
    ),
    shop(
        "周师傅家电维修",
        INDIVIDUAL,
        ("周国平", M, "19700126"),
        &["appliance-washer", "appliance-fridge"],
        &[YANGPU, HONGKOU, BAOSHAN],
        "国营厂出来的老师傅，修了三十年洗衣机冰箱，能修的绝不让你换新的。",
    ),
    shop(
        "贴心月嫂",
        COMPANY,
        ("吴丽娟", F, "19790505"),
        &["nanny-yuesao", "nanny-yuersao"],
        &[XUHUI, CHANGNING, MINHANG, PUDONG, JINGAN],
        "母婴护理机构，月嫂和育儿嫂均持证上岗，上户前体检和背景核查，服务全程有督导回访。",
    ),
    shop(
        "乐学家教工作室",
        COMPANY,
        ("郑文博", M, "19880918"),
        &["tutoring-math", "tutoring-english"],
        &[YANGPU, HONGKOU, JINGAN, HUANGPU],
        "由重点大学毕业的老师组成，专注中小学数学和英语一对一辅导，按孩子情况定制计划。",
    ),
    shop(
        "琴韵钢琴教室",
        INDIVIDUAL,
        ("林雅琴", F, "19900223"),
        &["tutoring-piano"],
        &[XUHUI, CHANGNING, MINHANG],
        "音乐学院钢琴专业毕业，教琴十年，启蒙、考级和成人入门都带过，也会上门调音。",
    ),
    shop(
        "安心护老陪护",
        COMPANY,
        ("黄淑芬", F, "19730812"),
        &["nanny-elder"],
        &[PUTUO, BAOSHAN, JIADING, JINGAN],
        "专业养老护理团队，护理员持养老护理员证，居家陪护、医院陪护和助浴都能做。",
    ),
    shop(
        "净衣坊洗衣",
        COMPANY,
        ("何建华", M, "19811120"),
        &["laundry-clothes", "laundry-shoes", "laundry-curtain"],
        &[SONGJIANG, QINGPU, MINHANG],
        "中央洗衣工厂，衣物、鞋子、窗帘上门取送，逐件登记拍照，洗护流程可追溯。",
    ),
    shop(
        "小马哥搬运",
        INDIVIDUAL,
        ("马小军", M, "19910402"),
        &["moving-small", "moving-home"],
        &[JIADING, QINGPU, BAOSHAN],
        "自己开一辆金杯车，小件搬运、单身搬家随叫随到，力气大、手脚轻。",
    ),
    shop(
        "舒心推拿",
        INDIVIDUAL,
        ("高明", M, "19850614"),
        &["massage-body", "massage-foot"],
        &[HUANGPU, JINGAN, HONGKOU],
        "中医推拿专业出身，持保健按摩师证，擅长肩颈腰背调理，力度可随时调整。",
    ),
    shop(
        "足道养生",
        COMPANY,
        ("罗志勇", M, "19830227"),
        &["massage-foot", "massage-body"],
        &[PUDONG, MINHANG, FENGXIAN],
        "连锁足疗品牌的上门服务，技师统一培训，自带泡脚桶和一次性用品。",
    ),
    shop(
        "萌宠美容屋",
        INDIVIDUAL,
        ("许静", F, "19940708"),
        &["pet-grooming", "pet-feeding"],
        &[PUDONG, YANGPU, HONGKOU],
        "持宠物美容师证，带着全套洗护设备上门，猫狗洗澡、美容造型都可以。",
    ),
    shop(
        "崇明阿婆家政",
        INDIVIDUAL,
        ("施桂兰", F, "19700919"),
        &["cleaning-daily", "cleaning-deep", "nanny-elder"],
        &[CHONGMING, BAOSHAN],
        "土生土长的崇明人，做保洁也照顾老人，手脚勤快，乡里乡亲都放心。",
    ),
    shop(
        "金山快修",
        INDIVIDUAL,
        ("沈卫东", M, "19760103"),
        &["plumbing-leak", "plumbing-toilet", "locksmith-change"],
        &[JINSHAN, FENGXIAN, SONGJIANG],
        "水电维修、马桶疏通、换锁芯，家里的小毛病找我，郊区也按时上门。",
    ),
    shop(
        "亮洁保洁",
        COMPANY,
        ("朱丽萍", F, "19840416"),
        &["cleaning-daily", "cleaning-move", "cleaning-glass"],
        &[SONGJIANG, QINGPU, JINSHAN],
        "松江本地保洁公司，日常保洁、开荒保洁和擦玻璃，新小区开荒经验丰富。",
    ),
    shop(
        "王师傅水电维修",
        INDIVIDUAL,
        ("王建军", M, "19770528"),
        &["plumbing-sink", "plumbing-leak", "appliance-washer"],
        &[QINGPU, JIADING, SONGJIANG],
        "持电工证和管道工证，下水道疏通、水管漏水、洗衣机维修都拿手。",
    ),
    shop(
        "清新家电清洗",
        COMPANY,
        ("曹永刚", M, "19861011"),
        &["appliance-clean", "appliance-ac", "appliance-fridge"],
        &[FENGXIAN, JINSHAN, PUDONG],
        "专业家电清洗和维修，高温蒸汽清洗不留残留，清洗前后拍照对比。",
    ),
    shop(
        "邻家保洁",
        INDIVIDUAL,
        ("钱美华", F, "19740630"),
        &["cleaning-daily", "cleaning-glass", "laundry-clothes"],
        &[JIADING, BAOSHAN, PUTUO],
        "嘉定本地阿姨，日常保洁、擦窗和衣物收洗，周边小区很多老顾客。",
    ),
    shop(
        "智能锁专家",
        COMPANY,
        ("邓磊", M, "19890321"),
        &["locksmith-smart", "locksmith-change"],
        &[MINHANG, XUHUI, PUDONG, CHANGNING, SONGJIANG],
        "多个智能锁品牌的授权安装服务商，安装、维修和锁芯升级，师傅均经过厂家培训。",
    ),
    shop(
        "遛遛狗宠物服务",
        INDIVIDUAL,
        ("唐欣", F, "19950812"),
        &["pet-walking", "pet-feeding"],
        &[HUANGPU, XUHUI, JINGAN],
        "动物医学专业毕业，懂狗狗习性和基础护理，遛狗、喂养都细心负责。",
    ),
    shop(
        "恒通疏通",
        INDIVIDUAL,
        ("冯志刚", M, "19781215"),
        &["plumbing-toilet", "plumbing-sink"],
        &[BAOSHAN, YANGPU, HONGKOU, PUTUO],
        "专注马桶和下水道疏通，设备齐全，老小区管道情况很熟悉。",
    ),
    shop(
        "蓝天英语私教",
        INDIVIDUAL,
        ("蒋晓燕", F, "19870901"),
        &["tutoring-english", "tutoring-math"],
        &[MINHANG, CHANGNING, PUDONG],
        "英语专业八级，海外留学归来，擅长口语和阅读写作，也带小学数学。",
    ),
    shop(
        "育儿嫂之家",
        COMPANY,
        ("韩秀兰", F, "19750317"),
        &["nanny-yuersao", "nanny-elder", "nanny-yuesao"],
        &[JIADING, QINGPU, BAOSHAN, PUTUO],
        "育儿嫂、月嫂和老人陪护，阿姨均持健康证和职业技能证书，可随时申请更换。",
    ),
    shop(
        "鞋匠工坊",
        INDIVIDUAL,
        ("杨帆", M, "19920125"),
        &["laundry-shoes", "laundry-clothes"],
        &[JINGAN, HUANGPU, HONGKOU, YANGPU],
        "专业洗鞋护鞋工作室，球鞋翻新、皮具护理，每双鞋洗前洗后都拍照。",
    ),
    shop(
        "大众搬家",
        COMPANY,
        ("徐国强", M, "19720808"),
        &["moving-home", "moving-office"],
        &[PUDONG, FENGXIAN, CHONGMING],
        "老牌搬家公司，居民搬家和公司搬迁，跨区长途也能做，车辆齐全。",
    ),
    shop(
        "老陈家电维修",
        INDIVIDUAL,
        ("陈福生", M, "19710714"),
        &["appliance-fridge", "appliance-washer", "appliance-ac"],
        &[HONGKOU, YANGPU, JINGAN, HUANGPU],
        "虹口老牌维修铺，冰箱、洗衣机、空调都修，配件明码标价，修好再付钱。",
    ),
    shop(
        "优家保洁",
        COMPANY,
        ("秦慧", F, "19850504"),
        &["cleaning-deep", "cleaning-move", "appliance-clean"],
        &[YANGPU, HONGKOU, BAOSHAN, CHONGMING],
        "深度保洁和家电清洗一站式服务，保洁师平均从业五年以上。",
    ),
    shop(
        "康乐居家推拿",
        INDIVIDUAL,
        ("彭健", M, "19800811"),
        &["massage-body"],
        &[PUTUO, CHANGNING, JIADING, QINGPU],
        "康复理疗背景的推拿师，擅长运动后放松和腰背调理。",
    ),
    shop(
        "金牌数学辅导",
        INDIVIDUAL,
        ("谢宇", M, "19900606"),
        &["tutoring-math"],
        &[SONGJIANG, JINSHAN, FENGXIAN, MINHANG],
        "数学系毕业，带过多届初高中毕业班，讲题思路清晰，善于找出孩子的薄弱点。",
    ),
    shop(
        "开心锁业",
        INDIVIDUAL,
        ("董强", M, "19830917"),
        &["locksmith-open", "locksmith-change"],
        &[JIADING, QINGPU, JINSHAN, CHONGMING],
        "公安备案锁匠，开锁换锁十几年，郊区上门也快，收费透明。",
    ),
];

/// A valid resident identity number (GB 11643): area code, birth date, a three-digit sequence
/// whose last digit is odd for men and even for women, and the checksum character.
fn id_number(area: &str, born: &str, index: usize, female: bool) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: &[u8; 11] = b"10X98765432";
    let mut seq = 100 + (index * 37) % 800;
    if seq.is_multiple_of(2) != female {
        seq += 1;
    }
    let body = format!("{area}{born}{seq:03}");
    let sum: u32 = body
        .bytes()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d.wrapping_sub(b'0')) * w)
        .sum();
    let check = char::from(CHECK[(sum % 11) as usize]);
    format!("{body}{check}")
}

/// How a demo service is priced: unit, base price in yuan, minimum units, minutes.
#[derive(Clone, Copy)]
struct Pricing {
    unit: &'static str,
    price: &'static str,
    min_units: i64,
    minutes: i64,
}

/// One price for the job.
const fn fixed(price: &'static str, minutes: i64) -> Pricing {
    Pricing {
        unit: "fixed",
        price,
        min_units: 1,
        minutes,
    }
}

/// Per hour with a minimum number of hours (the duration is the minimum).
const fn hourly(price: &'static str, min_hours: i64) -> Pricing {
    Pricing {
        unit: "hour",
        price,
        min_units: min_hours,
        minutes: min_hours * 60,
    }
}

/// Per square metre with a minimum area.
const fn per_sqm(price: &'static str, min_sqm: i64, minutes: i64) -> Pricing {
    Pricing {
        unit: "sqm",
        price,
        min_units: min_sqm,
        minutes,
    }
}

/// Per item with a minimum count.
const fn per_item(price: &'static str, min_items: i64, minutes: i64) -> Pricing {
    Pricing {
        unit: "item",
        price,
        min_units: min_items,
        minutes,
    }
}

/// A priced option: (`variant` or `addon`, name, price in 分, minutes).
type Opt = (&'static str, &'static str, i64, i64);

/// A variant: replaces the base price (两室 vs 三室).
const fn var(name: &'static str, fen: i64, minutes: i64) -> Opt {
    ("variant", name, fen, minutes)
}

/// An add-on: adds to the base price (+擦玻璃).
const fn add(name: &'static str, fen: i64, minutes: i64) -> Opt {
    ("addon", name, fen, minutes)
}

/// One demo service.
struct Offer {
    title: &'static str,
    pricing: Pricing,
    /// The service's own paragraph; the seed appends the category's promise and the shop's
    /// districts.
    desc: &'static str,
    options: &'static [Opt],
}

const fn o(
    title: &'static str,
    pricing: Pricing,
    desc: &'static str,
    options: &'static [Opt],
) -> Offer {
    Offer {
        title,
        pricing,
        desc,
        options,
    }
}

/// The demo services of one second-level category with its service standard: six steps in
/// order (text, photo required); a service uses the first two to five steps and the last.
struct Shelf {
    category: &'static str,
    sop: [(&'static str, bool); 6],
    offers: &'static [Offer],
}

/// What every service of a top-level category promises (appended to descriptions).
const PROMISES: &[(&str, &str)] = &[
    (
        "cleaning",
        "保洁师均经实名认证和岗前培训，自带工具与环保清洁剂；验收不满意，24 小时内免费返工。",
    ),
    (
        "appliance",
        "师傅持证上门，先检测后报价，配件明码标价，维修后保修 90 天。",
    ),
    (
        "moving",
        "车辆与师傅统一调度，打包材料免费提供，搬运中如有磕碰按平台规则先行赔付。",
    ),
    (
        "nanny",
        "阿姨均持健康证与职业技能证书，上岗前经过背景核查；服务期间可随时申请更换。",
    ),
    (
        "pet",
        "服务前先了解宠物的习惯和禁忌，全程拍照或视频反馈，不使用刺激性用品。",
    ),
    (
        "plumbing",
        "师傅自带专业疏通与检测工具，不通不收费，施工后清理现场。",
    ),
    (
        "locksmith",
        "公安备案锁匠上门，开锁换锁前核验住户身份并登记，收费透明。",
    ),
    (
        "massage",
        "技师持证上岗，自带一次性床单和用品；孕妇及有严重疾病者请提前告知。",
    ),
    (
        "tutoring",
        "老师均经过学历与试讲审核，首次课后不满意可申请更换老师。",
    ),
    (
        "laundry",
        "上门取送，逐件登记拍照，洗后专业包装送回；如有损坏按平台规则赔付。",
    ),
];

/// The demo services: five in every second-level category.
const SHELVES: &[Shelf] = &[
    Shelf {
        category: "cleaning-daily",
        sop: [
            ("上门穿鞋套，确认清洁重点", false),
            ("厨房台面、灶台除油污", true),
            ("卫生间洁具清洁消毒", true),
            ("客厅卧室除尘、擦拭家具", false),
            ("地面吸尘拖地", false),
            ("完工后与客户逐项验收", true),
        ],
        offers: &[
            o(
                "日常保洁 3 小时",
                hourly("45", 3),
                "适合日常维护的家庭：厨房、卫生间、客厅和卧室的常规清洁，按小时计费，可按需增加时长。",
                &[add("擦玻璃", 3000, 30), add("冰箱内部清洁", 4000, 30)],
            ),
            o(
                "小户型日常保洁 2 小时",
                hourly("48", 2),
                "一室户或两室小户型的轻量保洁，重点处理厨房台面和卫生间，适合上班族每周一次。",
                &[],
            ),
            o(
                "大户型家庭保洁 4 小时",
                hourly("42", 4),
                "经验丰富的保洁师上门，全屋除尘、厨卫清洁、整理收纳，适合三室及以上户型。",
                &[add("衣物整理", 3000, 30)],
            ),
            o(
                "每周定期保洁 固定阿姨",
                fixed("150", 180),
                "每周同一时间、同一位阿姨上门，熟悉你家的习惯，省去每次交代的麻烦。单次价格，可长期预约。",
                &[var("两室一厅", 15000, 180), var("三室两厅", 21000, 240)],
            ),
            o(
                "钟点工 收纳整理",
                hourly("55", 3),
                "衣柜、橱柜、儿童玩具分类收纳，按使用频率重新规划，让家里清爽好找。",
                &[add("收纳盒套装", 8000, 0)],
            ),
        ],
    },
    Shelf {
        category: "cleaning-deep",
        sop: [
            ("上门评估房屋状况，确认重点区域", false),
            ("油烟机表面与灶台深度去油", true),
            ("卫生间除水垢、去霉斑", true),
            ("门窗轨道、踢脚线清理", false),
            ("柜体内外擦拭与整理", false),
            ("完工拍照并与客户验收", true),
        ],
        offers: &[
            o(
                "深度保洁 两室一厅",
                fixed("399", 300),
                "适合半年以上没做过大扫除的家庭：厨房重油污、卫生间水垢、门窗轨道一次清理到位。",
                &[
                    var("三室两厅", 52900, 420),
                    add("油烟机拆洗", 12000, 60),
                    add("冰箱内部清洁", 4000, 30),
                ],
            ),
            o(
                "全屋深度保洁 按面积",
                per_sqm("9", 60, 360),
                "按建筑面积计费，六十平起，包含厨卫深度去污、全屋擦拭除尘和地面清洁。",
                &[add("阳台清洁", 5000, 40)],
            ),
            o(
                "厨房深度去油污",
                fixed("259", 240),
                "灶台、墙面瓷砖、橱柜门板、水槽和油烟机外壳全面去油，使用食品级清洁剂。",
                &[add("油烟机拆洗", 12000, 60), add("冰箱内部清洁", 4000, 30)],
            ),
            o(
                "卫生间深度除垢消毒",
                fixed("199", 180),
                "玻璃隔断水垢、地漏异味、马桶黄渍、瓷砖缝发黑，一次处理干净并全面消毒。",
                &[add("瓷砖美缝修补", 8000, 60)],
            ),
            o(
                "年前大扫除套餐",
                fixed("599", 480),
                "春节前全家大扫除：深度保洁加擦玻璃，两位保洁师一天完成，适合三室以内户型。",
                &[var("四室及以上", 79900, 600), add("窗帘拆装", 5000, 30)],
            ),
        ],
    },
    Shelf {
        category: "cleaning-move",
        sop: [
            ("检查房屋并做好成品保护", false),
            ("铲除地面与窗框残留胶渍涂料", true),
            ("门窗玻璃内外擦洗", false),
            ("厨卫墙面地面全面清洗", true),
            ("全屋除尘、吸尘拖地", false),
            ("完工拍照交付验收", true),
        ],
        offers: &[
            o(
                "新房开荒保洁",
                per_sqm("12", 60, 480),
                "装修完工后的首次清洁：去除地面胶渍、玻璃涂料和墙面粉尘，达到拎包入住标准。",
                &[add("甲醛检测", 20000, 30)],
            ),
            o(
                "精装房开荒 小户型",
                fixed("699", 420),
                "九十平以内的精装修交付房，全屋除尘、厨卫清洗、门窗玻璃擦洗，一天完成。",
                &[var("一百二十平以内", 89900, 540)],
            ),
            o(
                "二手房入住前清洁",
                per_sqm("10", 50, 360),
                "搬入前彻底清理前任住户留下的油污和灰尘，重点消毒厨房与卫生间。",
                &[add("全屋除螨", 15000, 60)],
            ),
            o(
                "商铺开荒保洁",
                per_sqm("8", 80, 480),
                "店铺装修后开业前清洁，含玻璃门窗、地面、货架和卫生间，可夜间施工，不耽误开业筹备。",
                &[],
            ),
            o(
                "别墅开荒保洁",
                per_sqm("11", 200, 1200),
                "多层别墅与大平层开荒，团队分区作业，楼梯扶手、露台和地下室一并清理。",
                &[add("外立面玻璃", 60000, 240)],
            ),
        ],
    },
    Shelf {
        category: "cleaning-glass",
        sop: [
            ("检查窗户结构与安全条件", false),
            ("系好安全绳，做好防护", true),
            ("玻璃内外擦洗刮净", false),
            ("窗框窗台与轨道清理", false),
            ("纱窗拆洗或除尘", false),
            ("完工拍照验收", true),
        ],
        offers: &[
            o(
                "擦玻璃 按面积计费",
                per_sqm("6", 20, 120),
                "家庭门窗玻璃内外擦洗，含窗框和窗台清理，高层外侧需满足安全作业条件。",
                &[add("纱窗拆洗", 1500, 10)],
            ),
            o(
                "阳台落地窗清洗",
                fixed("129", 120),
                "封闭阳台整面落地玻璃内外清洗，去除雨痕与灰尘，轨道缝隙一并清理。",
                &[var("双阳台", 21900, 180)],
            ),
            o(
                "全屋擦窗 两室一厅",
                fixed("199", 180),
                "两室一厅常规窗户全部擦洗，室内室外兼顾，擦完透亮无水痕。",
                &[var("三室两厅", 28900, 240), add("纱窗拆洗", 1500, 10)],
            ),
            o(
                "高层外窗清洗",
                per_sqm("9", 15, 150),
                "使用安全绳和专业伸缩工具清洗高层外窗，作业前先检查窗户结构是否牢固。",
                &[],
            ),
            o(
                "店铺橱窗玻璃清洗",
                per_sqm("5", 30, 120),
                "沿街店铺橱窗与玻璃门清洗，可约在早上开门前完成，不影响营业。",
                &[add("门头招牌除尘", 5000, 30)],
            ),
        ],
    },
    Shelf {
        category: "appliance-ac",
        sop: [
            ("上门检测故障并说明原因", true),
            ("报价确认后再开始维修", false),
            ("更换配件并保留旧件", true),
            ("试机运行半小时检查制冷", false),
            ("清理现场，告知使用注意事项", false),
            ("开具保修凭证", true),
        ],
        offers: &[
            o(
                "空调不制冷上门检测",
                fixed("60", 60),
                "挂机、柜机不制冷、漏水、异响上门检测，检测后给出维修方案，确认维修则免检测费。",
                &[],
            ),
            o(
                "空调加氟 挂机",
                per_item("150", 1, 60),
                "压力检测后按需补充冷媒，含检漏，适合用了几年制冷变弱的挂机。",
                &[var("柜机加氟", 25000, 90)],
            ),
            o(
                "空调移机安装",
                fixed("280", 150),
                "搬家或换房间时的空调移机，含拆机、回收冷媒、重新安装和试机，铜管加长另计。",
                &[add("铜管加长每米", 6000, 0)],
            ),
            o(
                "空调电路板维修",
                fixed("220", 120),
                "空调不开机、频繁报故障代码时检测维修电路板，原厂或同规格配件可选。",
                &[var("柜机电路板", 32000, 150)],
            ),
            o(
                "新空调安装 挂机",
                per_item("180", 1, 90),
                "新购空调上门安装，含打孔、固定外机支架和抽真空，高空作业师傅持证上岗。",
                &[add("外机支架", 8000, 0), add("墙面打孔", 3000, 0)],
            ),
        ],
    },
    Shelf {
        category: "appliance-washer",
        sop: [
            ("上门检测故障并说明原因", true),
            ("报价确认后再开始维修", false),
            ("拆机维修，更换损坏配件", true),
            ("通电试运行全部程序", false),
            ("清理现场与排水管路", false),
            ("开具保修凭证", true),
        ],
        offers: &[
            o(
                "洗衣机不脱水维修",
                fixed("120", 90),
                "滚筒与波轮洗衣机不脱水、不排水、异响检测维修，配件费用另计。",
                &[],
            ),
            o(
                "洗衣机上门检测",
                fixed("50", 45),
                "说不清哪里坏了？师傅上门检测并说明原因，确认维修后检测费可抵扣。",
                &[],
            ),
            o(
                "洗衣机漏水维修",
                fixed("150", 90),
                "门封圈老化、进水阀或排水管漏水维修，更换配件前先报价。",
                &[add("门封圈更换", 8000, 30)],
            ),
            o(
                "滚筒洗衣机更换轴承",
                fixed("320", 180),
                "高速脱水时轰鸣异响多半是轴承损坏，拆机更换轴承和油封，修后保修半年。",
                &[],
            ),
            o(
                "洗衣机电机维修",
                fixed("260", 150),
                "洗衣机不转或转速异常时检测电机与电容，能修不换，省钱省心。",
                &[var("变频电机", 42000, 180)],
            ),
        ],
    },
    Shelf {
        category: "appliance-fridge",
        sop: [
            ("检测制冷与温控状况", true),
            ("说明故障原因与报价", false),
            ("维修或更换配件", true),
            ("通电观察降温效果", false),
            ("擦拭机身，清理现场", false),
            ("开具保修凭证", true),
        ],
        offers: &[
            o(
                "冰箱不制冷维修",
                fixed("180", 120),
                "冷藏室或冷冻室温度降不下来，检测压缩机、温控器和制冷管路，对症维修。",
                &[add("冷媒补充", 12000, 30)],
            ),
            o(
                "冰箱结冰除霜维修",
                fixed("140", 90),
                "冷藏室结冰、风冷冰箱不化霜，检测化霜加热器与传感器，解决反复结冰。",
                &[],
            ),
            o(
                "冰箱异响检测",
                fixed("60", 60),
                "冰箱嗡嗡声大或咔咔作响，上门判断是风扇、压缩机还是摆放的问题。",
                &[],
            ),
            o(
                "冰箱门封条更换",
                fixed("120", 60),
                "门封条老化导致关不严、漏冷和耗电，按型号更换同规格门封条。",
                &[var("对开门冰箱", 22000, 90)],
            ),
            o(
                "冰柜与酒柜维修",
                fixed("200", 120),
                "家用冰柜、酒柜不制冷或温度不稳定维修，也接小型商用冷柜。",
                &[],
            ),
        ],
    },
    Shelf {
        category: "appliance-clean",
        sop: [
            ("铺设防护膜，保护周边家具", false),
            ("拆卸可拆部件，拍照记录", true),
            ("高温蒸汽与专用清洁剂清洗", false),
            ("部件冲洗晾干后复装", false),
            ("通电试机确认运行正常", false),
            ("清洗前后对比照片反馈", true),
        ],
        offers: &[
            o(
                "油烟机深度清洗",
                per_item("150", 1, 90),
                "拆下涡轮和油网高温浸泡清洗，去除顽固油垢，吸力恢复如新。",
                &[var("侧吸式油烟机", 13000, 80), add("灶台清洁", 3000, 20)],
            ),
            o(
                "空调清洗 挂机",
                per_item("90", 1, 60),
                "蒸汽清洗蒸发器和滤网，去除异味与霉菌，开机不再有灰尘味。",
                &[
                    var("柜机清洗", 15000, 90),
                    add("外机清洗", 4000, 20),
                    add("除菌消毒", 3000, 10),
                ],
            ),
            o(
                "洗衣机内筒清洗",
                per_item("120", 1, 90),
                "拆开内筒清除夹层污垢和霉斑，告别衣服上的黑色絮状物。",
                &[var("滚筒洗衣机", 16000, 120)],
            ),
            o(
                "冰箱清洗除味",
                per_item("100", 1, 60),
                "清空后拆洗隔板和抽屉，除菌除味，并检查门封条是否老化。",
                &[],
            ),
            o(
                "家电清洗三件套",
                fixed("299", 240),
                "油烟机、空调挂机、洗衣机各清洗一台，一次上门全部搞定，比单独预约更划算。",
                &[add("加洗一台空调", 7000, 50)],
            ),
        ],
    },
    Shelf {
        category: "moving-home",
        sop: [
            ("出发前与客户确认物品清单", false),
            ("家具拆卸并做好包装保护", true),
            ("物品装车，易碎品单独放置", false),
            ("到达后按客户指定位置摆放", false),
            ("家具复装与现场清理", false),
            ("与客户核对物品完好", true),
        ],
        offers: &[
            o(
                "居民搬家 金杯车",
                fixed("300", 180),
                "适合一室户或单身公寓搬家，一车两位师傅，含装卸搬运，无电梯楼层另计。",
                &[
                    var("厢式货车", 50000, 240),
                    add("家具拆装", 10000, 60),
                    add("无电梯楼层费", 3000, 0),
                ],
            ),
            o(
                "两室搬家套餐",
                fixed("680", 300),
                "两室一厅常规家具家电，厢式货车加三位师傅，提供纸箱与打包材料。",
                &[add("钢琴搬运", 40000, 60), add("空调拆装", 20000, 90)],
            ),
            o(
                "三室大户型搬家",
                fixed("1280", 480),
                "大户型整屋搬家，两辆货车，专人负责易碎品与贵重物品打包。",
                &[var("跨区长途", 168000, 600)],
            ),
            o(
                "搬家按小时计费",
                hourly("150", 3),
                "东西不多又说不准搬多久？按小时计费，一车两人，师傅到达后开始计时。",
                &[],
            ),
            o(
                "学生宿舍搬家",
                fixed("200", 120),
                "毕业季、开学季宿舍搬运，行李箱和书籍打包运送，同校区或跨校区均可。",
                &[],
            ),
        ],
    },
    Shelf {
        category: "moving-small",
        sop: [
            ("确认物品尺寸与楼层", false),
            ("包装保护易损物品", true),
            ("搬运装车并固定", false),
            ("送达指定位置", false),
            ("清理包装材料", false),
            ("客户签收确认", true),
        ],
        offers: &[
            o(
                "小件搬运 单件家具",
                per_item("60", 1, 60),
                "沙发、床垫、衣柜等单件家具搬运，同小区或同城均可，按件计费。",
                &[add("无电梯楼层费", 2000, 0)],
            ),
            o(
                "家电搬运",
                per_item("80", 1, 60),
                "冰箱、洗衣机、电视等家电搬运，搬运途中做好包装防护。",
                &[],
            ),
            o(
                "同城跑腿搬运",
                fixed("99", 90),
                "少量行李、纸箱和小家电同城运送，小面包车一位师傅，适合短距离。",
                &[add("多一个装货点", 3000, 30)],
            ),
            o(
                "钢琴搬运",
                fixed("500", 120),
                "立式钢琴专业搬运，使用钢琴专用搬运带和防护罩，搬完建议调音。",
                &[var("三角钢琴", 150000, 240)],
            ),
            o(
                "旧家具拆卸清运",
                per_item("50", 2, 90),
                "旧沙发、旧床等大件拆卸后搬下楼清运，保持楼道整洁。",
                &[],
            ),
        ],
    },
    Shelf {
        category: "moving-office",
        sop: [
            ("提前勘察现场，制定搬迁方案", false),
            ("文件与电脑分类编号装箱", true),
            ("办公家具拆卸打包", false),
            ("分批运输，专人押车", false),
            ("按工位图复原摆放", true),
            ("与负责人逐项验收", true),
        ],
        offers: &[
            o(
                "小型办公室搬迁",
                fixed("1500", 480),
                "二十人以内办公室整体搬迁，含办公桌椅、文件柜与电脑打包。",
                &[var("五十人以内", 380000, 900)],
            ),
            o(
                "办公室搬迁 按工位",
                per_item("80", 10, 480),
                "按工位计费，十个工位起，含桌椅拆装与电脑设备打包运输。",
                &[add("周末夜间作业", 50000, 0)],
            ),
            o(
                "档案文件搬运",
                fixed("600", 240),
                "档案柜与文件资料按编号装箱搬运，全程封箱，专人押运不丢失。",
                &[],
            ),
            o(
                "服务器机柜搬迁",
                fixed("1800", 360),
                "机房设备下架、防震包装、运输和上架摆放，可配合贵方工程师联调。",
                &[],
            ),
            o(
                "商铺搬迁",
                fixed("1200", 420),
                "门店货架、展柜与库存搬迁，可分批搬运，尽量减少停业时间。",
                &[add("货架拆装", 30000, 120)],
            ),
        ],
    },
    Shelf {
        category: "nanny-yuesao",
        sop: [
            ("上岗前沟通家庭作息和饮食习惯", false),
            ("新生儿洗澡、抚触与脐带护理", false),
            ("产妇月子餐制作", true),
            ("指导母乳喂养与乳房护理", false),
            ("记录宝宝吃睡与排便情况", true),
            ("每日服务小结反馈", false),
        ],
        offers: &[
            o(
                "金牌月嫂 住家一天",
                fixed("580", 1440),
                "从业多年的金牌月嫂，照顾新生儿与产妇，月子餐营养搭配，可先预约一天试用。",
                &[],
            ),
            o(
                "月嫂白班 按小时",
                hourly("65", 4),
                "白天上门照顾宝宝和妈妈，晚上家人接手，适合有老人帮忙的家庭。",
                &[],
            ),
            o(
                "产后催乳与哺乳指导",
                fixed("300", 120),
                "持证催乳师上门，缓解涨奶和堵奶，指导正确的哺乳姿势。",
                &[var("三次套餐", 80000, 120)],
            ),
            o(
                "新生儿护理体验课",
                fixed("200", 120),
                "准爸妈在家学习新生儿洗澡、抚触、换尿布和拍嗝，月嫂一对一示范。",
                &[],
            ),
            o(
                "双胞胎月嫂 住家一天",
                fixed("880", 1440),
                "双胞胎家庭专属，两位月嫂轮班照护，喂养和睡眠记录细致。",
                &[],
            ),
        ],
    },
    Shelf {
        category: "nanny-yuersao",
        sop: [
            ("了解宝宝月龄与作息", false),
            ("辅食制作与喂养", true),
            ("洗澡、换洗与日常护理", false),
            ("早教游戏与户外活动陪伴", false),
            ("宝宝衣物清洗消毒", false),
            ("当日情况记录反馈", true),
        ],
        offers: &[
            o(
                "育儿嫂白班 按小时",
                hourly("45", 4),
                "照顾一到三岁宝宝的日常起居，辅食制作与早教陪伴。",
                &[],
            ),
            o(
                "育儿嫂 住家一天",
                fixed("360", 1440),
                "住家育儿嫂全天照护宝宝，兼顾宝宝衣物清洗和辅食制作。",
                &[],
            ),
            o(
                "临时托管 宝宝看护",
                hourly("55", 3),
                "父母临时外出时上门看护宝宝，按小时计费，可当天预约。",
                &[add("加一个宝宝", 3000, 0)],
            ),
            o(
                "辅食制作上门",
                fixed("120", 120),
                "按宝宝月龄制作一周的辅食并分装冷冻，附喂养建议。",
                &[],
            ),
            o(
                "放学接送与陪伴",
                hourly("50", 2),
                "接孩子放学、陪写作业、准备晚餐，直到家长下班回家。",
                &[],
            ),
        ],
    },
    Shelf {
        category: "nanny-elder",
        sop: [
            ("了解老人身体状况与用药情况", false),
            ("协助起居、洗漱与翻身", false),
            ("按时提醒用药并记录", true),
            ("陪同散步或就医", false),
            ("清淡饮食制作", false),
            ("当日护理记录反馈家属", true),
        ],
        offers: &[
            o(
                "老人陪护 按小时",
                hourly("50", 4),
                "陪伴聊天、协助起居和用餐，提醒用药，让子女上班更安心。",
                &[],
            ),
            o(
                "医院陪护 全天",
                fixed("320", 1440),
                "住院期间全天陪护：协助洗漱翻身、打饭喂饭、陪同检查，随时向家属反馈。",
                &[],
            ),
            o(
                "陪同就医",
                hourly("60", 3),
                "陪老人去医院挂号、候诊、取药，全程陪同并把医嘱转告家属。",
                &[add("代取检查报告", 3000, 30)],
            ),
            o(
                "失能老人居家护理",
                hourly("70", 4),
                "卧床老人翻身、擦浴、更换护理垫和防压疮护理，护理员持证上岗。",
                &[],
            ),
            o(
                "老人助浴服务",
                fixed("180", 90),
                "两位护理员上门协助老人安全洗浴，自带防滑垫和助浴椅。",
                &[],
            ),
        ],
    },
    Shelf {
        category: "pet-feeding",
        sop: [
            ("核对宠物信息与钥匙交接方式", false),
            ("添粮换水，清洗食盆水盆", true),
            ("铲猫砂并清理周边", true),
            ("陪玩互动，观察精神状态", false),
            ("离开前检查门窗安全", false),
            ("发送照片视频反馈", true),
        ],
        offers: &[
            o(
                "上门喂猫 单次",
                fixed("50", 30),
                "主人出差旅行时上门添粮换水、铲屎陪玩，每次发照片和视频反馈。",
                &[var("两只猫", 6000, 40), add("喂药", 1000, 5)],
            ),
            o(
                "节假日上门喂猫",
                fixed("60", 40),
                "春节、国庆等长假期间照常上门喂猫，建议提前预约锁定档期。",
                &[],
            ),
            o(
                "上门喂狗加遛狗",
                fixed("80", 60),
                "喂食换水后带狗狗出门散步半小时，适合主人加班或短期外出。",
                &[var("大型犬", 10000, 60)],
            ),
            o(
                "小宠上门照顾",
                fixed("40", 30),
                "仓鼠、兔子、鹦鹉等小宠物上门换粮换水、清理笼舍。",
                &[],
            ),
            o(
                "上门喂猫 每日两次",
                fixed("90", 60),
                "早晚各上门一次，适合幼猫或需要按时喂药的猫咪。",
                &[add("清洗猫砂盆", 2000, 15)],
            ),
        ],
    },
    Shelf {
        category: "pet-walking",
        sop: [
            ("上门核对狗狗信息与牵引绳", false),
            ("出门前检查胸背带是否牢固", false),
            ("按约定路线遛狗", true),
            ("及时清理粪便", false),
            ("回家擦脚、补充饮水", true),
            ("发送遛狗轨迹与照片", true),
        ],
        offers: &[
            o(
                "遛狗 半小时",
                fixed("35", 30),
                "小型犬和中型犬上门遛狗，走固定安全路线，回家擦脚补水。",
                &[var("一小时", 6000, 60)],
            ),
            o(
                "大型犬遛狗",
                fixed("60", 45),
                "金毛、拉布拉多等大型犬专人遛狗，熟悉大狗习性，牵引稳当。",
                &[],
            ),
            o(
                "工作日遛狗 固定时段",
                fixed("40", 40),
                "每个工作日固定时间上门遛狗，同一位遛狗师，狗狗更熟悉也更放松。",
                &[],
            ),
            o(
                "遛狗加陪玩",
                hourly("60", 2),
                "遛狗之后在家陪玩和简单训练，适合精力旺盛的年轻狗狗。",
                &[],
            ),
            o(
                "双狗同遛",
                fixed("55", 40),
                "家里两只狗狗一起遛，遛狗师经验丰富，能同时照看好两只。",
                &[],
            ),
        ],
    },
    Shelf {
        category: "pet-grooming",
        sop: [
            ("检查皮肤与毛发状况", true),
            ("修剪指甲、清理耳道", false),
            ("沐浴与护毛", false),
            ("吹干梳毛", false),
            ("造型修剪", true),
            ("清理现场毛发", false),
        ],
        offers: &[
            o(
                "上门宠物洗澡 小型犬",
                fixed("80", 60),
                "自带洗护设备上门，泰迪、比熊等小型犬洗澡吹干，减少狗狗外出的应激。",
                &[
                    var("中型犬", 12000, 90),
                    var("大型犬", 18000, 120),
                    add("修剪指甲", 1000, 10),
                ],
            ),
            o(
                "猫咪上门洗护",
                fixed("120", 90),
                "猫咪专用洗护，动作轻柔，吹干梳毛，怕水的猫咪也能安心完成。",
                &[add("修剪指甲", 1000, 10)],
            ),
            o(
                "宠物美容造型",
                fixed("180", 150),
                "洗护加造型修剪，泰迪熊猫脸、比熊圆头等造型可选。",
                &[],
            ),
            o(
                "宠物除蚤驱虫洗护",
                fixed("150", 90),
                "药浴除蚤，配合体外驱虫，洗后梳理并检查皮肤状况。",
                &[],
            ),
            o(
                "宠物剃毛",
                fixed("100", 90),
                "夏季剃毛降温或毛发打结严重时整体剃毛，保留安全长度。",
                &[var("长毛猫剃毛", 16000, 90)],
            ),
        ],
    },
    Shelf {
        category: "plumbing-toilet",
        sop: [
            ("上门查看堵塞情况", true),
            ("铺设防护垫，保护地面", false),
            ("使用专业工具疏通", false),
            ("放水测试排水顺畅", false),
            ("清洁马桶与周边地面", false),
            ("完工拍照确认", true),
        ],
        offers: &[
            o(
                "马桶疏通",
                fixed("100", 60),
                "马桶堵塞、下水慢上门疏通，不通不收费，疏通后当面放水测试。",
                &[add("拆装马桶", 10000, 60)],
            ),
            o(
                "蹲坑疏通",
                fixed("120", 60),
                "蹲便器堵塞疏通，使用专业疏通机，不损坏瓷面。",
                &[],
            ),
            o(
                "马桶漏水维修",
                fixed("90", 60),
                "马桶水箱漏水、长流水、按键失灵维修，更换进水阀或排水阀。",
                &[add("更换水箱配件", 5000, 0)],
            ),
            o(
                "马桶安装",
                fixed("150", 90),
                "新马桶上门安装，含拆除旧马桶、打胶密封和试水，确保不漏不晃。",
                &[],
            ),
            o(
                "马桶移位改造",
                fixed("600", 360),
                "装修或改造时马桶移位，预埋移位器并重新铺设排污管。",
                &[],
            ),
        ],
    },
    Shelf {
        category: "plumbing-sink",
        sop: [
            ("判断堵塞位置与原因", true),
            ("做好地面与橱柜防护", false),
            ("电动疏通机清理管道", false),
            ("清理存水弯与下水口", false),
            ("注水测试排水速度", false),
            ("完工拍照确认", true),
        ],
        offers: &[
            o(
                "厨房下水道疏通",
                fixed("120", 60),
                "厨房水槽下水慢或完全堵死，清除油脂堵塞，疏通后注水测试。",
                &[],
            ),
            o(
                "地漏疏通",
                fixed("80", 45),
                "卫生间和阳台地漏堵塞、返臭疏通，可加装防臭地漏芯。",
                &[add("防臭地漏芯", 3000, 10)],
            ),
            o(
                "主管道疏通",
                fixed("300", 120),
                "楼栋排水主管道堵塞疏通，电动疏通机加高压清洗。",
                &[],
            ),
            o(
                "洗手盆疏通",
                fixed("80", 45),
                "洗手盆下水慢、存水弯被头发堵塞，清理疏通，必要时更换下水管。",
                &[add("更换下水管", 4000, 15)],
            ),
            o(
                "管道高压清洗",
                fixed("400", 180),
                "使用高压清洗设备冲洗管壁油垢，适合长期排水不畅的老小区。",
                &[],
            ),
        ],
    },
    Shelf {
        category: "plumbing-leak",
        sop: [
            ("关闭总阀，排查漏点", true),
            ("说明维修方案与报价", false),
            ("更换水管、阀门或接头", false),
            ("打压测试确认不漏水", true),
            ("清理施工现场", false),
            ("完工拍照确认", true),
        ],
        offers: &[
            o(
                "水管漏水维修",
                fixed("150", 90),
                "明管、暗管漏水检测与维修，更换破损管段和接头。",
                &[],
            ),
            o(
                "水龙头更换",
                fixed("80", 45),
                "水龙头滴水或损坏上门更换，可代购同款，也可使用自备龙头。",
                &[add("代购龙头", 12000, 0)],
            ),
            o(
                "角阀更换",
                per_item("40", 2, 45),
                "老化角阀拧不紧或漏水，全屋角阀批量更换更省心。",
                &[],
            ),
            o(
                "电热水器安装",
                fixed("200", 120),
                "电热水器上门安装，含墙面固定、接水管、安装安全阀和试机。",
                &[],
            ),
            o(
                "暗管漏水检测",
                fixed("300", 120),
                "楼下渗水却找不到原因？仪器检测暗管漏点，精准定位，少开挖。",
                &[add("开槽修复", 20000, 120)],
            ),
        ],
    },
    Shelf {
        category: "locksmith-open",
        sop: [
            ("核验住户身份证件与居住证明", true),
            ("登记开锁信息备案", false),
            ("技术开锁，尽量不损坏锁具", false),
            ("检查锁具功能是否正常", false),
            ("告知防盗注意事项", false),
            ("完工拍照留存", true),
        ],
        offers: &[
            o(
                "家门开锁",
                fixed("80", 30),
                "钥匙丢了或被反锁在门外，核验身份后技术开锁，不破坏门锁。",
                &[var("防盗门开锁", 15000, 45)],
            ),
            o(
                "保险柜开锁",
                fixed("200", 60),
                "家用保险柜忘记密码或钥匙丢失，出示购买凭证或身份证明后开启。",
                &[],
            ),
            o(
                "汽车开锁",
                fixed("150", 30),
                "车钥匙锁在车内，核验行驶证与身份信息后开锁。",
                &[],
            ),
            o(
                "夜间开锁",
                fixed("120", 30),
                "晚上也能上门开锁，核验身份后尽快处理，收费透明不乱加价。",
                &[],
            ),
            o(
                "抽屉柜门开锁",
                per_item("50", 1, 20),
                "办公桌抽屉、文件柜、衣柜等小锁开启，可顺带配钥匙。",
                &[add("配钥匙", 1000, 0)],
            ),
        ],
    },
    Shelf {
        category: "locksmith-change",
        sop: [
            ("核验住户身份证件", true),
            ("测量锁体尺寸，确认锁芯型号", false),
            ("拆除旧锁芯", false),
            ("安装新锁芯并调试", true),
            ("交付新钥匙并当面测试", false),
            ("旧锁芯交还客户", false),
        ],
        offers: &[
            o(
                "换锁芯 B级",
                fixed("150", 45),
                "含B级锁芯一个，换后旧钥匙全部失效，租房入住首选。",
                &[var("超B级锁芯", 28000, 45)],
            ),
            o(
                "防盗门锁体更换",
                fixed("300", 90),
                "锁体损坏、反锁失灵时更换整套锁体，按门型匹配规格。",
                &[],
            ),
            o(
                "租房换锁",
                fixed("130", 40),
                "新租房入住第一件事，换掉前租客可能保留的钥匙，当天可上门。",
                &[],
            ),
            o(
                "换锁芯 C级防技术开启",
                fixed("260", 45),
                "C级锁芯防技术开启能力更强，适合长期无人居住或重视安全的家庭。",
                &[],
            ),
            o(
                "室内门把手更换",
                per_item("80", 1, 30),
                "室内门把手松动或损坏更换，卧室、卫生间门锁均可。",
                &[],
            ),
        ],
    },
    Shelf {
        category: "locksmith-smart",
        sop: [
            ("核验身份并测量门体开孔", false),
            ("拆除原有门锁", false),
            ("安装智能锁并调整把手方向", true),
            ("录入指纹和密码", false),
            ("讲解使用方法与电池更换", false),
            ("完工拍照确认", true),
        ],
        offers: &[
            o(
                "智能锁安装",
                fixed("150", 90),
                "已购智能锁上门安装，按门体开孔调整，录入指纹并讲解使用方法。",
                &[add("门体扩孔", 5000, 30)],
            ),
            o(
                "智能锁含锁安装",
                fixed("1299", 90),
                "指纹、密码、门卡三合一智能锁，含锁具和安装，保修两年。",
                &[var("人脸识别款", 229900, 90)],
            ),
            o(
                "智能锁故障维修",
                fixed("120", 60),
                "指纹识别失灵、电机不转、面板不亮等故障检测维修。",
                &[],
            ),
            o(
                "智能锁应急开启",
                fixed("150", 40),
                "智能锁没电或故障打不开时，核验身份后应急开启。",
                &[],
            ),
            o(
                "机械锁升级指纹锁",
                fixed("200", 90),
                "把传统机械锁换成指纹锁，拆除旧锁、适配锁体并调试。",
                &[],
            ),
        ],
    },
    Shelf {
        category: "massage-body",
        sop: [
            ("了解身体状况与重点部位", false),
            ("铺设一次性床单，准备用品", true),
            ("肩颈背部推拿放松", false),
            ("腰部与四肢按揉", false),
            ("按力度反馈随时调整", false),
            ("服务后给出日常保养建议", false),
        ],
        offers: &[
            o(
                "全身推拿 60 分钟",
                fixed("168", 60),
                "中医推拿手法放松肩颈腰背，缓解久坐带来的酸痛和僵硬。",
                &[var("90 分钟", 23800, 90)],
            ),
            o(
                "肩颈调理",
                fixed("128", 45),
                "针对低头族和电脑族的肩颈专项调理，放松斜方肌，改善颈部僵硬。",
                &[],
            ),
            o(
                "腰背放松推拿",
                fixed("148", 60),
                "久坐久站腰背酸痛，手法推拿结合热敷，力度可随时调整。",
                &[add("热敷", 2000, 10)],
            ),
            o(
                "运动后肌肉放松",
                fixed("198", 75),
                "跑步、健身后的深层肌肉放松，帮助恢复，减少酸痛。",
                &[],
            ),
            o(
                "推拿按小时计费",
                hourly("138", 2),
                "想要更长时间的全身放松，或家人轮流推拿，按小时计费。",
                &[],
            ),
        ],
    },
    Shelf {
        category: "massage-foot",
        sop: [
            ("询问足部与身体状况", false),
            ("准备泡脚桶与一次性药包", true),
            ("中药泡脚", false),
            ("足底穴位按摩", false),
            ("小腿放松", false),
            ("整理用品，清理现场", false),
        ],
        offers: &[
            o(
                "中药泡脚足疗 60 分钟",
                fixed("128", 60),
                "中药泡脚后足底穴位按摩，舒缓疲劳，帮助睡眠。",
                &[var("90 分钟", 18800, 90)],
            ),
            o(
                "足底按摩",
                fixed("98", 45),
                "专注足底反射区按摩，力度适中，适合下班后放松。",
                &[],
            ),
            o(
                "足疗加肩颈放松",
                fixed("188", 90),
                "足疗搭配肩颈放松，一次缓解全身疲劳。",
                &[],
            ),
            o(
                "上门修脚",
                fixed("80", 40),
                "修剪趾甲、去除老茧，器械一人一消毒。",
                &[add("嵌甲处理", 5000, 20)],
            ),
            o(
                "老人足部保健",
                fixed("108", 60),
                "为老人设计的温和足部按摩，配合泡脚改善手脚冰凉。",
                &[],
            ),
        ],
    },
    Shelf {
        category: "tutoring-math",
        sop: [
            ("首课测评，了解学习情况", true),
            ("制定阶段学习计划", false),
            ("讲解知识点与典型例题", false),
            ("当堂练习与错题订正", true),
            ("布置课后练习", false),
            ("课后向家长反馈学习情况", false),
        ],
        offers: &[
            o(
                "小学数学一对一",
                hourly("150", 2),
                "同步课内进度，查漏补缺，重点培养计算能力和应用题思路。",
                &[],
            ),
            o(
                "初中数学提分辅导",
                hourly("200", 2),
                "针对中考题型系统梳理代数与几何，错题本跟踪，阶段测评看得见进步。",
                &[],
            ),
            o(
                "高中数学一对一",
                hourly("260", 2),
                "函数、导数、数列等重难点专项突破，帮助建立解题方法体系。",
                &[],
            ),
            o(
                "数学思维启蒙",
                hourly("180", 2),
                "通过趣味题目培养孩子的逻辑思维，适合学有余力的小学生。",
                &[],
            ),
            o(
                "数学作业辅导",
                hourly("100", 2),
                "晚间上门陪写数学作业，讲清错题，培养独立完成作业的习惯。",
                &[],
            ),
        ],
    },
    Shelf {
        category: "tutoring-english",
        sop: [
            ("口语与词汇水平测评", false),
            ("制定学习计划", false),
            ("教材精讲与情景对话", false),
            ("听写与发音纠正", true),
            ("布置课后作业", false),
            ("向家长反馈学习情况", true),
        ],
        offers: &[
            o(
                "小学英语一对一",
                hourly("150", 2),
                "自然拼读入门，结合绘本和歌曲，让孩子敢说、爱说。",
                &[],
            ),
            o(
                "初中英语语法提升",
                hourly("200", 2),
                "系统梳理语法知识点，结合阅读和写作训练，稳步提分。",
                &[],
            ),
            o(
                "英语口语陪练",
                hourly("180", 2),
                "情景对话练习口语表达，纠正发音，适合学生和职场人士。",
                &[],
            ),
            o(
                "雅思口语辅导",
                hourly("300", 2),
                "按雅思口语评分标准训练，话题逐个突破，模拟真实考试。",
                &[],
            ),
            o(
                "英语阅读与写作",
                hourly("220", 2),
                "精读与泛读结合，培养阅读速度和写作表达能力。",
                &[],
            ),
        ],
    },
    Shelf {
        category: "tutoring-piano",
        sop: [
            ("检查钢琴状况与坐姿", false),
            ("基本功与指法练习", false),
            ("新曲目讲解示范", false),
            ("学生回课与纠错", true),
            ("布置每日练琴任务", false),
            ("课后反馈学习进度", false),
        ],
        offers: &[
            o(
                "钢琴启蒙课 一对一",
                fixed("200", 45),
                "适合四到六岁孩子的钢琴启蒙，认识五线谱、培养手型，课堂轻松有趣。",
                &[var("60 分钟课", 26000, 60)],
            ),
            o(
                "钢琴考级辅导",
                fixed("300", 60),
                "按考级曲目针对性训练，技巧、乐理和视奏全面准备。",
                &[],
            ),
            o(
                "成人钢琴入门",
                fixed("260", 60),
                "零基础成人学琴，从喜欢的流行曲目入手，轻松弹出第一首曲子。",
                &[],
            ),
            o(
                "钢琴陪练",
                fixed("150", 45),
                "按老师布置的作业陪练，纠正错音和节奏，提高练琴效率。",
                &[],
            ),
            o(
                "钢琴上门调音",
                fixed("280", 90),
                "立式钢琴上门调音，检查琴键与击弦机，建议每年调音一到两次。",
                &[add("琴键维修", 10000, 30)],
            ),
        ],
    },
    Shelf {
        category: "laundry-clothes",
        sop: [
            ("上门取件，逐件核对登记", true),
            ("检查污渍与破损并告知", false),
            ("分类洗涤与去渍处理", false),
            ("熨烫定型", false),
            ("独立包装", false),
            ("送回后当面核对", true),
        ],
        offers: &[
            o(
                "上门取送洗衣 按件",
                per_item("25", 3, 30),
                "衬衫、外套、毛衣上门取件，专业洗涤熨烫后送回，三件起收。",
                &[add("加急当日取送", 3000, 0)],
            ),
            o(
                "羽绒服清洗",
                per_item("45", 1, 30),
                "羽绒服专用洗护，恢复蓬松度，不跑绒、不结块。",
                &[],
            ),
            o(
                "大衣干洗",
                per_item("55", 1, 30),
                "羊毛大衣、羊绒大衣干洗护理，熨烫定型，防虫包装。",
                &[],
            ),
            o(
                "床品四件套清洗",
                per_item("40", 1, 30),
                "被套、床单、枕套高温洗涤除螨，烘干后折叠送回。",
                &[var("被子清洗", 6000, 30)],
            ),
            o(
                "皮衣清洁护理",
                per_item("180", 1, 30),
                "真皮外套清洁、补色与保养，护理前拍照确认衣物状况。",
                &[],
            ),
        ],
    },
    Shelf {
        category: "laundry-shoes",
        sop: [
            ("上门取鞋并拍照记录", true),
            ("按鞋材选择清洗方式", false),
            ("刷洗鞋面与鞋底", false),
            ("鞋内除菌除臭", false),
            ("自然晾干，鞋面护理", false),
            ("洗后拍照并送回", true),
        ],
        offers: &[
            o(
                "运动鞋清洗",
                per_item("29", 2, 30),
                "跑鞋、篮球鞋、帆布鞋深度清洗，去黄增白，两双起收。",
                &[add("鞋底去黄", 1500, 0)],
            ),
            o(
                "皮鞋护理",
                per_item("39", 1, 30),
                "皮鞋清洁、上油、抛光，修复轻微划痕。",
                &[],
            ),
            o(
                "小白鞋清洗",
                per_item("35", 2, 30),
                "小白鞋专项清洗，鞋面鞋边去污，晾干后不发黄。",
                &[],
            ),
            o(
                "雪地靴清洗",
                per_item("59", 1, 30),
                "雪地靴和绒面鞋专业清洗，去渍护毛，保持柔软。",
                &[],
            ),
            o(
                "球鞋翻新",
                per_item("99", 1, 30),
                "鞋面补色、鞋底翻白，让心爱的球鞋焕然一新。",
                &[],
            ),
        ],
    },
    Shelf {
        category: "laundry-curtain",
        sop: [
            ("上门测量窗帘尺寸", false),
            ("拆卸窗帘与挂钩", true),
            ("除尘清洗与低温烘干", false),
            ("熨烫整理", false),
            ("上门重新挂装", false),
            ("挂好后拍照确认", true),
        ],
        offers: &[
            o(
                "窗帘清洗 含拆装",
                per_sqm("12", 10, 120),
                "上门拆卸窗帘送洗，低温烘干后熨烫挂装，按窗帘面积计费。",
                &[add("窗纱清洗", 3000, 0)],
            ),
            o(
                "遮光窗帘清洗",
                per_sqm("15", 10, 120),
                "遮光涂层窗帘手工清洗，避免涂层开裂脱落。",
                &[],
            ),
            o(
                "百叶帘清洗",
                per_sqm("18", 5, 90),
                "铝合金和木质百叶帘逐片清洁，去除油污和灰尘。",
                &[],
            ),
            o(
                "卷帘罗马帘清洗",
                per_sqm("16", 5, 90),
                "卷帘和罗马帘上门拆装清洗，去除积灰与霉点。",
                &[],
            ),
            o(
                "窗帘上门安装",
                fixed("100", 60),
                "新购窗帘上门安装，含轨道或罗马杆固定与调试。",
                &[var("电动窗帘安装", 30000, 120)],
            ),
        ],
    },
];

/// An sRGB colour.
type Rgb = [u8; 3];

/// Picture colours per top-level category: gradient start, gradient end, accent.
const PALETTES: &[(&str, Rgb, Rgb, Rgb)] = &[
    ("cleaning", [79, 195, 247], [225, 245, 254], [2, 119, 189]),
    ("appliance", [255, 138, 101], [255, 224, 178], [191, 54, 12]),
    ("moving", [129, 199, 132], [241, 248, 233], [46, 125, 50]),
    ("nanny", [244, 143, 177], [252, 228, 236], [173, 20, 87]),
    ("pet", [255, 213, 79], [255, 248, 225], [230, 81, 0]),
    ("plumbing", [77, 182, 172], [224, 242, 241], [0, 105, 92]),
    ("locksmith", [149, 117, 205], [237, 231, 246], [69, 39, 160]),
    ("massage", [161, 136, 127], [239, 235, 233], [78, 52, 46]),
    ("tutoring", [121, 134, 203], [232, 234, 246], [40, 53, 147]),
    ("laundry", [100, 181, 246], [250, 250, 250], [21, 101, 192]),
];

/// Size of the demo pictures: 4:3 and no larger than a thumbnail (400 px), so processing them
/// only re-encodes and never resamples.
const PICTURE_W: i32 = 400;
const PICTURE_H: i32 = 300;
/// Size of the demo licence and certificate photos (only reviewers see them).
const DOCUMENT_W: i32 = 240;
const DOCUMENT_H: i32 = 160;

/// How many photos the `k`-th service of a category gets (1–3, cycling).
const PHOTO_COUNTS: [usize; 5] = [2, 1, 3, 1, 2];

/// An RGB raster that draws by copying whole spans of bytes, so it stays fast in unoptimised
/// debug builds (per-pixel loops there cost several milliseconds per picture).
struct Canvas {
    w: i32,
    h: i32,
    px: Vec<u8>,
}

fn mix(a: Rgb, b: Rgb, num: i32, den: i32) -> Rgb {
    let den = den.max(1);
    let m = |x: u8, y: u8| {
        let v = i32::from(x) + (i32::from(y) - i32::from(x)) * num / den;
        u8::try_from(v.clamp(0, 255)).unwrap_or(u8::MAX)
    };
    [m(a[0], b[0]), m(a[1], b[1]), m(a[2], b[2])]
}

impl Canvas {
    /// A diagonal gradient: pixel (x, y) takes the colour at `x + y` of one precomputed strip,
    /// so every row is a single copy.
    fn gradient(w: i32, h: i32, from: Rgb, to: Rgb) -> Self {
        let len = w + h;
        let mut strip = Vec::with_capacity(len as usize * 3);
        for i in 0..len {
            strip.extend_from_slice(&mix(from, to, i, len - 1));
        }
        let mut px = Vec::with_capacity((w * h * 3) as usize);
        for y in 0..h {
            px.extend_from_slice(&strip[(y * 3) as usize..((y + w) * 3) as usize]);
        }
        Self { w, h, px }
    }

    /// Fills `[x0, x1)` of row `y` (clipped) from a row of solid colour.
    fn span(&mut self, y: i32, x0: i32, x1: i32, solid: &[u8]) {
        let (x0, x1) = (x0.max(0), x1.min(self.w));
        if y < 0 || y >= self.h || x0 >= x1 {
            return;
        }
        let start = ((y * self.w + x0) * 3) as usize;
        let n = ((x1 - x0) * 3) as usize;
        self.px[start..start + n].copy_from_slice(&solid[..n]);
    }

    fn solid(&self, c: Rgb) -> Vec<u8> {
        c.repeat(self.w as usize)
    }

    fn rect(&mut self, x0: i32, y0: i32, x1: i32, y1: i32, c: Rgb) {
        let solid = self.solid(c);
        for y in y0..y1 {
            self.span(y, x0, x1, &solid);
        }
    }

    fn ellipse(&mut self, cx: i32, cy: i32, rx: i32, ry: i32, c: Rgb) {
        let solid = self.solid(c);
        let ry = ry.max(1);
        for dy in -ry..=ry {
            let dx = ((rx * rx) as f32 * (1.0 - (dy * dy) as f32 / (ry * ry) as f32))
                .max(0.0)
                .sqrt() as i32;
            self.span(cy + dy, cx - dx, cx + dx + 1, &solid);
        }
    }

    fn diamond(&mut self, cx: i32, cy: i32, r: i32, c: Rgb) {
        let solid = self.solid(c);
        for dy in -r..=r {
            let dx = r - dy.abs();
            self.span(cy + dy, cx - dx, cx + dx + 1, &solid);
        }
    }

    /// Lossless PNG: cheaper to encode and decode than JPEG here, and the upload pipeline
    /// stores opaque pictures as JPEG anyway.
    fn png(self) -> AppResult<Vec<u8>> {
        let img = image::RgbImage::from_raw(self.w as u32, self.h as u32, self.px)
            .ok_or_else(|| AppError::Internal("demo picture buffer size".into()))?;
        let mut out = std::io::Cursor::new(Vec::new());
        img.write_to(&mut out, image::ImageFormat::Png)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(out.into_inner())
    }
}

/// Draws a motif on a canvas, moved by (`dx`, `dy`) and optionally mirrored left to right, so
/// one motif gives several different-looking pictures.
struct Painter {
    canvas: Canvas,
    dx: i32,
    dy: i32,
    mirror: bool,
}

impl Painter {
    fn x(&self, x: i32) -> i32 {
        if self.mirror {
            self.canvas.w - x + self.dx
        } else {
            x + self.dx
        }
    }
    fn rect(&mut self, x0: i32, y0: i32, x1: i32, y1: i32, c: Rgb) {
        let (a, b) = (self.x(x0), self.x(x1));
        let (dy, l, r) = (self.dy, a.min(b), a.max(b));
        self.canvas.rect(l, y0 + dy, r, y1 + dy, c);
    }
    fn disc(&mut self, cx: i32, cy: i32, r: i32, c: Rgb) {
        self.ellipse(cx, cy, r, r, c);
    }
    fn ellipse(&mut self, cx: i32, cy: i32, rx: i32, ry: i32, c: Rgb) {
        let (x, y) = (self.x(cx), cy + self.dy);
        self.canvas.ellipse(x, y, rx, ry, c);
    }
    fn diamond(&mut self, cx: i32, cy: i32, r: i32, c: Rgb) {
        let (x, y) = (self.x(cx), cy + self.dy);
        self.canvas.diamond(x, y, r, c);
    }
}

/// One demo picture: the motif of a top-level category in one of several arrangements.
#[derive(Debug, Clone, Copy)]
struct Picture {
    /// Index into [`PALETTES`] (and the motif drawn).
    motif: usize,
    /// Arrangement and shade: 0–4 for the second-level categories, 5–6 for detail pictures.
    variant: i32,
}

/// Where each arrangement puts the motif: offset and mirroring.
const LAYOUTS: [(i32, i32, bool); 7] = [
    (0, 0, false),
    (30, -10, true),
    (-25, 15, false),
    (20, 20, true),
    (-30, -15, true),
    (15, -20, false),
    (-20, 10, true),
];

fn draw_picture(p: Picture) -> AppResult<Vec<u8>> {
    let (_, start, end, accent) = PALETTES[p.motif % PALETTES.len()];
    let v = p.variant.clamp(0, 6);
    // Sibling categories get darker shades; detail pictures run the gradient the other way.
    let (from, to) = if v >= 5 {
        (end, mix(start, accent, 1, 3))
    } else {
        (mix(start, accent, v, 8), mix(end, start, v, 6))
    };
    let accent = mix(accent, [0, 0, 0], v, 12);
    let light = mix(accent, [255, 255, 255], 4, 5);
    let mid = mix(accent, [255, 255, 255], 2, 5);
    let (dx, dy, mirror) = LAYOUTS[v as usize];
    let mut pt = Painter {
        canvas: Canvas::gradient(PICTURE_W, PICTURE_H, from, to),
        dx,
        dy,
        mirror,
    };
    let (a, l, m) = (accent, light, mid);
    match p.motif {
        // Cleaning: soap bubbles.
        0 => {
            pt.disc(140, 160, 80, m);
            pt.disc(112, 128, 22, l);
            pt.disc(270, 100, 48, a);
            pt.disc(256, 84, 12, l);
            pt.disc(300, 222, 30, m);
            pt.disc(212, 252, 16, a);
        }
        // Appliances: a washing machine.
        1 => {
            pt.rect(120, 50, 280, 262, l);
            pt.rect(120, 50, 280, 86, a);
            pt.disc(150, 68, 9, l);
            pt.rect(200, 62, 260, 74, m);
            pt.disc(200, 172, 64, a);
            pt.disc(200, 172, 46, m);
            pt.disc(182, 152, 10, l);
        }
        // Moving: stacked boxes with tape.
        2 => {
            pt.rect(70, 150, 190, 262, m);
            pt.rect(124, 150, 136, 262, l);
            pt.rect(200, 150, 320, 262, a);
            pt.rect(254, 150, 266, 262, l);
            pt.rect(130, 60, 260, 150, m);
            pt.rect(189, 60, 201, 150, l);
        }
        // Nanny and care: a heart.
        3 => {
            pt.disc(160, 125, 56, a);
            pt.disc(240, 125, 56, a);
            pt.diamond(200, 176, 100, a);
            pt.disc(146, 108, 14, l);
        }
        // Pets: a paw.
        4 => {
            pt.ellipse(200, 200, 68, 58, a);
            pt.disc(118, 128, 28, a);
            pt.disc(168, 84, 28, a);
            pt.disc(232, 84, 28, a);
            pt.disc(282, 128, 28, a);
        }
        // Plumbing: pipes with a joint.
        5 => {
            pt.rect(0, 110, 250, 150, a);
            pt.rect(210, 110, 250, 300, a);
            pt.disc(230, 130, 34, m);
            pt.rect(40, 98, 62, 162, m);
            pt.rect(198, 246, 262, 266, m);
        }
        // Locksmith: a key.
        6 => {
            pt.disc(130, 150, 64, a);
            pt.disc(130, 150, 30, l);
            pt.rect(186, 138, 350, 162, a);
            pt.rect(300, 162, 318, 200, a);
            pt.rect(330, 162, 348, 190, a);
        }
        // Massage: balanced stones.
        7 => {
            pt.ellipse(200, 250, 110, 36, a);
            pt.ellipse(200, 190, 84, 30, m);
            pt.ellipse(200, 138, 62, 24, a);
            pt.ellipse(200, 96, 40, 18, m);
        }
        // Tutoring: an open book.
        8 => {
            pt.rect(90, 80, 196, 232, l);
            pt.rect(204, 80, 310, 232, l);
            pt.rect(196, 74, 204, 238, a);
            for i in 0..5 {
                let y = 104 + i * 24;
                pt.rect(110, y, 180, y + 6, m);
                pt.rect(222, y, 292, y + 6, m);
            }
        }
        // Laundry: a shirt.
        _ => {
            pt.rect(140, 90, 260, 262, a);
            pt.rect(96, 90, 140, 166, a);
            pt.rect(260, 90, 304, 166, a);
            pt.diamond(200, 92, 26, l);
            for y in [140, 176, 212] {
                pt.disc(200, y, 5, l);
            }
        }
    }
    // A few confetti dots in a corner that moves with the arrangement.
    for i in 0..3 {
        let (x, y) = (24 + 18 * i + 40 * (v % 3), 24 + 14 * (v % 2));
        pt.canvas.ellipse(x, y, 6, 6, l);
    }
    pt.canvas.png()
}

/// A plain licence or certificate: paper, a coloured frame and heading, text lines, a seal.
fn draw_document(licence: bool) -> AppResult<Vec<u8>> {
    let (w, h) = (DOCUMENT_W, DOCUMENT_H);
    let frame = if licence {
        [178, 34, 34]
    } else {
        [30, 90, 160]
    };
    let paper = [252, 250, 244];
    let mut c = Canvas::gradient(w, h, paper, [236, 230, 214]);
    c.rect(8, 8, w - 8, 13, frame);
    c.rect(8, h - 13, w - 8, h - 8, frame);
    c.rect(8, 8, 13, h - 8, frame);
    c.rect(w - 13, 8, w - 8, h - 8, frame);
    c.rect(w / 2 - 40, 24, w / 2 + 40, 34, frame);
    for i in 0..5 {
        c.rect(
            28,
            50 + i * 18,
            w / 2 + 20 - 10 * i,
            55 + i * 18,
            [150, 150, 150],
        );
    }
    let (sx, sy) = (w - 56, h - 52);
    c.ellipse(sx, sy, 28, 28, [200, 30, 30]);
    c.ellipse(sx, sy, 23, 23, paper);
    c.diamond(sx, sy, 10, [200, 30, 30]);
    c.png()
}

/// The demo pictures and, per second-level category, which of them its services show: the
/// category's own picture and two detail pictures of its top-level category.
fn picture_plan() -> (Vec<Picture>, HashMap<&'static str, [usize; 3]>) {
    let mut pictures = Vec::new();
    let mut pools = HashMap::new();
    for (k, (_, _, _, _, children)) in CATEGORIES.iter().enumerate() {
        let details = [pictures.len(), pictures.len() + 1];
        pictures.push(Picture {
            motif: k,
            variant: 5,
        });
        pictures.push(Picture {
            motif: k,
            variant: 6,
        });
        for (j, (slug, _, _)) in children.iter().enumerate() {
            pools.insert(*slug, [pictures.len(), details[0], details[1]]);
            pictures.push(Picture {
                motif: k,
                variant: i32::try_from(j).unwrap_or(0),
            });
        }
    }
    (pictures, pools)
}

/// Draws and processes pictures on blocking threads, one batch per core: this is the
/// CPU-heavy part of the seed, so it runs while the accounts and applications are written.
/// Processing is the upload pipeline's own ([`files::process_photo`]).
fn spawn_pictures(
    pictures: Vec<Picture>,
) -> Vec<tokio::task::JoinHandle<AppResult<Vec<ProcessedPhoto>>>> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4));
    let per_batch = pictures.len().div_ceil(cores).max(1);
    pictures
        .chunks(per_batch)
        .map(|batch| {
            let batch = batch.to_vec();
            tokio::task::spawn_blocking(move || {
                batch
                    .into_iter()
                    .map(|p| {
                        files::process_photo(
                            &draw_picture(p)?,
                            &files::PHOTO,
                            files::PHOTO_SIDE,
                            files::THUMB_SIDE,
                        )
                    })
                    .collect()
            })
        })
        .collect()
}

async fn join_pictures(
    batches: Vec<tokio::task::JoinHandle<AppResult<Vec<ProcessedPhoto>>>>,
) -> AppResult<Vec<ProcessedPhoto>> {
    let mut out = Vec::new();
    for batch in batches {
        out.extend(
            batch
                .await
                .map_err(|e| AppError::Internal(e.to_string()))??,
        );
    }
    Ok(out)
}

/// The top-level category of a second-level one.
fn parent_of(child: &str) -> Option<&'static str> {
    CATEGORIES
        .iter()
        .find(|(_, _, _, _, children)| children.iter().any(|(slug, _, _)| *slug == child))
        .map(|(slug, _, _, _, _)| *slug)
}

/// The top-level categories a provider serves, in the order of its focus.
fn categories_of(p: &DemoProvider) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for parent in p.focus.iter().filter_map(|c| parent_of(c)) {
        if !out.iter().any(|c| c == parent) {
            out.push(parent.to_owned());
        }
    }
    out
}

/// Who publishes which service, as (shelf, offer, provider) indices. Services are shared out
/// round-robin among the providers focusing on a category, and ordered round by round over
/// all categories so that the newest listings span the whole catalogue.
fn assignments() -> Vec<(usize, usize, usize)> {
    let rounds = SHELVES.iter().map(|s| s.offers.len()).max().unwrap_or(0);
    let mut out = Vec::new();
    for k in 0..rounds {
        for (s, shelf) in SHELVES.iter().enumerate() {
            if k >= shelf.offers.len() {
                continue;
            }
            let makers: Vec<usize> = PROVIDERS
                .iter()
                .enumerate()
                .filter(|(_, p)| p.focus.contains(&shelf.category))
                .map(|(i, _)| i)
                .collect();
            if let Some(&who) = makers.get(k % makers.len().max(1)) {
                out.push((s, k, who));
            }
        }
    }
    out
}

/// The application form of the `i`-th demo provider.
fn application_form(i: usize, p: &DemoProvider) -> ApplicationForm {
    let home = p.districts.first().copied().unwrap_or(HUANGPU);
    ApplicationForm {
        kind: if p.company { "company" } else { "individual" }.into(),
        display_name: p.shop.into(),
        real_name: p.real_name.into(),
        id_number: id_number(home, p.born, i, p.female),
        categories: categories_of(p),
        districts: p.districts.iter().map(|d| (*d).to_owned()).collect(),
        intro: p.intro.into(),
    }
}

/// The listing form of offer `k` of a shelf, published by `p`.
fn listing_form(shelf: &Shelf, k: usize, p: &DemoProvider) -> AppResult<ListingForm> {
    let offer = shelf
        .offers
        .get(k)
        .ok_or_else(|| AppError::Internal("demo offer index".into()))?;
    let promise = parent_of(shelf.category)
        .and_then(|parent| PROMISES.iter().find(|(c, _)| *c == parent))
        .map_or("", |(_, text)| *text);
    let districts: Vec<&str> = p
        .districts
        .iter()
        .filter_map(|c| district::by_code(c))
        .map(|d| d.name)
        .collect();
    // Three to six steps of the category's standard: the first ones and always the last.
    let steps = 3 + k % 4;
    let sop = shelf.sop[..steps - 1]
        .iter()
        .chain(shelf.sop.last())
        .map(|(text, photo)| SopItem {
            text: (*text).into(),
            photo: *photo,
        })
        .collect();
    Ok(ListingForm {
        category: shelf.category.into(),
        title: offer.title.into(),
        description: format!(
            "{}\n\n{}\n服务区域：{}",
            offer.desc,
            promise,
            districts.join("、")
        ),
        unit: offer.pricing.unit.into(),
        price: offer.pricing.price.into(),
        min_units: offer.pricing.min_units,
        minutes: offer.pricing.minutes,
        options: offer
            .options
            .iter()
            .map(|(kind, name, fen, minutes)| PriceOption {
                kind: (*kind).into(),
                name: (*name).into(),
                price_fen: *fen,
                minutes: *minutes,
            })
            .collect(),
        sop,
        attributes: Vec::new(),
        // A mix of policies, and about a third of the services instant-book (by title, so each
        // provider gets a mix).
        cancel_policy: Some(
            linli_domain::booking::CancelPolicy::ALL[(k + offer.title.chars().count()) % 3]
                .as_str()
                .to_owned(),
        ),
        instant_book: offer.title.chars().count().is_multiple_of(3),
    })
}

/// Acts as an account through a real page session, as the web layer does after a login.
async fn act_as(app: &App, user: UserId) -> AppResult<Actor> {
    let session = app.start_web_session(user).await?;
    app.authenticate(&session.secret, TokenKind::Session).await
}

/// Creates (or finds) a demo account with the demo password, given as its Argon2id hash.
///
/// `register` would hash the same password once per account (tens of milliseconds each in a
/// debug build, for almost forty accounts); one hash is an equally valid PHC string, so signing
/// in works exactly as for a registered account. Phone and nickname are checked as `register`
/// checks them.
async fn demo_account(
    app: &App,
    phone: &str,
    nickname: &str,
    password_hash: &str,
) -> AppResult<UserId> {
    let phone = linli_domain::phone::Phone::parse(phone)?;
    if let Some(u) = app.store.user_by_phone(phone.as_str()).await? {
        return Ok(u.id);
    }
    let id = UserId::new();
    app.store
        .create_user(&NewUser {
            id,
            phone: phone.as_str().to_owned(),
            password_hash: Some(password_hash.to_owned()),
            nickname: linli_domain::account::Nickname::parse(nickname)?
                .as_str()
                .to_owned(),
            now: app.now(),
        })
        .await?;
    Ok(id)
}

/// Creates (or finds) the account of the `i`-th demo provider, applies and has the operator
/// approve it. Returns the provider acting in a session.
async fn seed_provider(
    app: &App,
    operator: &Actor,
    i: usize,
    p: &DemoProvider,
    password_hash: &str,
    documents: &(Vec<u8>, Vec<u8>),
) -> AppResult<Actor> {
    let user = demo_account(app, &provider_phone(i), p.shop, password_hash).await?;
    let actor = act_as(app, user).await?;
    let id = match app.store.provider_by_user(user).await? {
        Some(existing) if existing.status == "approved" => return Ok(actor),
        Some(existing) if existing.status == "pending" => existing.id,
        _ => {
            let (licence, certificate) = documents;
            let years = 2 + i64::try_from(i % 3).unwrap_or(0);
            let upload = DocumentUpload {
                kind: if p.company {
                    "licence"
                } else {
                    "qualification"
                }
                .into(),
                expires_on: Day::of(app.now()).plus_days(365 * years).to_string(),
                bytes: if p.company { licence } else { certificate }.clone(),
            };
            let view = app
                .submit_application(&actor, &application_form(i, p), vec![upload])
                .await?;
            view.id.parse()?
        }
    };
    app.admin_review(operator, id, ReviewAction::Approve, None)
        .await?;
    Ok(actor)
}

/// Saves, illustrates and submits one demo service; it must come out published.
async fn publish(
    app: &App,
    actor: &Actor,
    form: &ListingForm,
    existing: Option<&linli_store::ListingRow>,
    photos: &[&ProcessedPhoto],
) -> AppResult<()> {
    let id: ListingId = match existing {
        Some(l) if l.status == "published" => return Ok(()),
        Some(l) => l.id,
        // Validation (lengths, prices, units, options, checklist, category) is the use case's.
        None => app
            .save_listing(actor, None, form, Vec::new())
            .await?
            .id
            .parse()?,
    };
    let mut row = app.store.listing(id).await?.ok_or(AppError::NotFound)?;
    if row.photos.is_empty() {
        // Each distinct picture was processed once by the upload pipeline; every listing gets
        // its own stored copy, so changing one listing's photos never touches another's.
        // Passing the bytes to `save_listing` would re-encode about 280 photos, several
        // seconds in a debug build.
        for photo in photos {
            let stored = files::store_photo(&*app.files, "listings", photo).await?;
            row.photos.push(PhotoRef {
                photo: stored.name,
                thumb: stored.thumb_name,
            });
        }
        app.store.save_listing(&row, app.now()).await?;
    }
    let view = app
        .submit_listing(actor, id)
        .await
        .map_err(|e| AppError::Internal(format!("demo listing {:?}: {e}", form.title)))?;
    if view.status != "published" {
        return Err(AppError::Internal(format!(
            "demo listing {:?} was not published but {} (filter: {})",
            form.title, view.status, view.flags
        )));
    }
    Ok(())
}

/// Synonym groups of the demo (admins edit them at `/admin/search`).
pub const DEMO_SYNONYMS: [&[&str]; 4] = [
    &["保洁", "清洁", "打扫"],
    &["维修", "修理"],
    &["开锁", "开门"],
    &["搬家", "搬运"],
];
/// Words pinned in the search box.
pub const DEMO_PINNED: [&str; 4] = ["保洁", "空调清洗", "开锁", "搬家"];

/// Seeds the demo data once. Returns false when it was already seeded.
///
/// Takes under two seconds in a debug build (about 1.7 s on SQLite, 2.2 s on PostgreSQL, on two
/// cores). The costly parts are Argon2id (the demo password is hashed once for the customer and
/// provider accounts) and photo processing (each of the 51 distinct pictures is processed once,
/// on all cores, while the accounts and applications are written).
pub async fn seed_demo(app: &App) -> AppResult<bool> {
    seed_categories(app).await?;
    if app.store.setting("demo_seeded").await?.is_some() {
        return Ok(false);
    }
    let (pictures, pools) = picture_plan();
    let pictures = spawn_pictures(pictures);
    let documents = tokio::task::spawn_blocking(|| -> AppResult<(Vec<u8>, Vec<u8>)> {
        Ok((draw_document(true)?, draw_document(false)?))
    });
    let password_hash = tokio::task::spawn_blocking(|| crypto::hash_password(DEMO_PASSWORD));

    let admin = app.bootstrap_admin(DEMO_ADMIN_PHONE, DEMO_PASSWORD).await?;
    let joined = |e: tokio::task::JoinError| AppError::Internal(e.to_string());
    let password_hash = password_hash.await.map_err(joined)??;
    for (phone, name) in DEMO_CUSTOMERS {
        demo_account(app, phone, name, &password_hash).await?;
    }
    let documents = documents.await.map_err(joined)??;
    let operator = act_as(app, admin).await?;
    let mut providers = Vec::with_capacity(PROVIDERS.len());
    for (i, p) in PROVIDERS.iter().enumerate() {
        providers.push(seed_provider(app, &operator, i, p, &password_hash, &documents).await?);
    }

    let photos = join_pictures(pictures).await?;
    // A resumed run finds what an interrupted one already wrote, by title.
    let mut existing = HashMap::new();
    for actor in &providers {
        let user = actor.member()?.id;
        if let Some(p) = app.store.provider_by_user(user).await? {
            for l in app.store.listings_of(p.id).await? {
                existing.insert((user, l.title.clone()), l);
            }
        }
    }
    for (s, k, who) in assignments() {
        let (shelf, p, actor) = (&SHELVES[s], &PROVIDERS[who], &providers[who]);
        let form = listing_form(shelf, k, p)?;
        let pool = pools
            .get(shelf.category)
            .ok_or_else(|| AppError::Internal(format!("no pictures for {}", shelf.category)))?;
        let chosen: Vec<&ProcessedPhoto> = pool
            .iter()
            .take(PHOTO_COUNTS[k % PHOTO_COUNTS.len()])
            .filter_map(|&i| photos.get(i))
            .collect();
        let done = existing.get(&(actor.member()?.id, form.title.clone()));
        publish(app, actor, &form, done, &chosen).await?;
    }

    // Search: synonym groups customers expect, and the words pinned in the search box.
    if app.store.synonym_groups().await?.is_empty() {
        for (i, group) in DEMO_SYNONYMS.iter().enumerate() {
            let words: Vec<String> = group.iter().map(|w| (*w).to_owned()).collect();
            app.store
                .add_synonym_group(&format!("demo-synonyms-{i}"), &words, app.now())
                .await?;
        }
    }
    app.admin_set_pinned(
        &operator,
        &DEMO_PINNED
            .iter()
            .map(|w| (*w).to_owned())
            .collect::<Vec<_>>(),
    )
    .await?;
    if app.search.is_some() {
        app.load_synonyms().await?;
    }

    // The seed's own sessions are not needed any more.
    for actor in providers.iter().chain([&operator]) {
        app.logout(actor).await?;
    }
    app.store.put_setting("demo_seeded", "1", true).await?;
    tracing::info!(
        providers = DEMO_PROVIDER_COUNT,
        listings = DEMO_LISTING_COUNT,
        "demo marketplace seeded"
    );
    Ok(true)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use linli_domain::{
        listing::ListingInput,
        moderation::{self, Verdict, WordList},
        phone::Phone,
        provider::{ApplicationInput, IdNumber},
    };

    use super::*;

    fn children() -> Vec<&'static str> {
        CATEGORIES
            .iter()
            .flat_map(|(_, _, _, _, c)| c.iter().map(|(slug, _, _)| *slug))
            .collect()
    }

    #[test]
    fn the_demo_provider_constants_match_the_table() {
        assert_eq!(provider_phone(0), DEMO_PROVIDER_PHONE);
        assert_eq!(PROVIDERS[0].shop, DEMO_PROVIDER_NAME);
        assert_eq!(DEMO_LISTING_COUNT, assignments().len());
        let demo_provider_services = assignments().iter().filter(|a| a.2 == 0).count();
        assert_eq!(
            demo_provider_services, 6,
            "as DEMO_PROVIDER_PHONE's docs say"
        );
    }

    #[test]
    fn every_application_is_valid_and_the_phones_are_fresh() {
        let mut phones = HashSet::new();
        phones.insert(DEMO_ADMIN_PHONE.to_owned());
        phones.extend(DEMO_CUSTOMERS.iter().map(|(p, _)| (*p).to_owned()));
        for (i, p) in PROVIDERS.iter().enumerate() {
            let phone = Phone::parse(&provider_phone(i)).unwrap();
            assert!(phones.insert(phone.as_str().to_owned()), "{phone:?} reused");
            let f = application_form(i, p);
            assert!(IdNumber::parse(&f.id_number).is_ok(), "{}", f.id_number);
            let born: u32 = p.born[..4].parse().unwrap();
            assert!((1970..=1995).contains(&born), "{}", p.shop);
            assert!(f.id_number.starts_with("3101"));
            let sex_digit = f.id_number.as_bytes()[16] - b'0';
            assert_eq!(sex_digit.is_multiple_of(2), p.female, "{}", p.shop);
            let parsed = ApplicationInput::parse(
                &f.kind,
                &f.display_name,
                &f.real_name,
                &f.id_number,
                &f.categories,
                &f.districts,
                &f.intro,
            )
            .unwrap_or_else(|e| panic!("{}: {e:?}", p.shop));
            assert!((1..=3).contains(&parsed.categories.len()), "{}", p.shop);
            assert!((2..=5).contains(&parsed.districts.len()), "{}", p.shop);
            linli_domain::account::Nickname::parse(p.shop).unwrap();
        }
    }

    #[test]
    fn every_district_has_several_providers_and_every_provider_publishes() {
        for d in district::DISTRICTS {
            let n = PROVIDERS
                .iter()
                .filter(|p| p.districts.contains(&d.code))
                .count();
            assert!(n >= 3, "{} has {n} providers", d.name);
        }
        let publishing: HashSet<usize> = assignments().iter().map(|a| a.2).collect();
        assert_eq!(
            publishing.len(),
            PROVIDERS.len(),
            "a provider without services"
        );
        for (s, _, who) in assignments() {
            let p = &PROVIDERS[who];
            assert!(
                categories_of(p)
                    .iter()
                    .any(|c| Some(c.as_str()) == parent_of(SHELVES[s].category))
            );
        }
    }

    #[test]
    fn every_second_level_category_has_at_least_three_services_with_pictures() {
        let (pictures, pools) = picture_plan();
        for child in children() {
            let shelf = SHELVES.iter().find(|s| s.category == child);
            let n = shelf.map_or(0, |s| s.offers.len());
            assert!(n >= 3, "{child} has {n} services");
            let pool = pools.get(child).unwrap();
            assert!(pool.iter().all(|&i| i < pictures.len()));
        }
        assert_eq!(
            SHELVES.len(),
            children().len(),
            "a shelf for an unknown category"
        );
    }

    #[test]
    fn every_demo_service_is_valid_and_passes_the_automatic_filter() {
        let words = WordList::default();
        let mut titles = HashSet::new();
        let mut units = HashSet::new();
        let mut option_counts = HashSet::new();
        for (s, k, who) in assignments() {
            let f = listing_form(&SHELVES[s], k, &PROVIDERS[who]).unwrap();
            assert!(titles.insert(f.title.clone()), "{} twice", f.title);
            units.insert(f.unit.clone());
            assert!(f.options.len() <= 3 && (3..=6).contains(&f.sop.len()));
            option_counts.insert(f.options.len());
            let input = ListingInput::parse(
                &f.category,
                &f.title,
                &f.description,
                &f.unit,
                &f.price,
                f.min_units,
                f.minutes,
                f.options.clone(),
                f.sop.clone(),
            )
            .unwrap_or_else(|e| panic!("{}: {e:?}", f.title));
            let verdict = moderation::check(&input.all_text(), &words);
            assert!(
                matches!(verdict, Verdict::Pass),
                "{}: {:?}",
                f.title,
                verdict.findings()
            );
        }
        assert_eq!(units.len(), 4, "every pricing unit is shown");
        assert_eq!(option_counts.len(), 4, "zero to three options");
    }

    #[test]
    fn the_pictures_differ_per_category_and_decode() {
        let (pictures, _) = picture_plan();
        let mut seen = HashSet::new();
        for p in pictures.iter().take(8) {
            let png = draw_picture(*p).unwrap();
            let img = image::load_from_memory(&png).unwrap();
            assert_eq!((img.width(), img.height()), (400, 300));
            assert!(seen.insert(png), "{p:?} looks like another picture");
        }
        for licence in [true, false] {
            assert!(image::load_from_memory(&draw_document(licence).unwrap()).is_ok());
        }
    }
}

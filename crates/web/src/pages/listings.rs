//! Service listings in the provider console (`/pro/listings`), the public service page
//! (`/services/{id}`), and the content review pages of the admin console.

use askama::Template;
use axum::{
    extract::{Multipart, Query, State},
    http::{Method, StatusCode},
    response::Response,
};
use linli_app::{AppError, listings::ListingView};
use linli_domain::{ids::ListingId, permission::Permission};

use super::{Page, redirect_error, redirect_flash, render};
use crate::{
    AppState,
    access::{Access, Routes},
    extract::{PageForm, PagePath},
    listing_form::{self, LISTING_LIMIT},
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/pro/listings", Access::Member, mine)
        .get("/pro/listings/new", Access::Member, new_form)
        .upload(
            Method::POST,
            "/pro/listings",
            Access::Member,
            LISTING_LIMIT,
            create,
        )
        .get("/pro/listings/{id}/edit", Access::Member, edit_form)
        .get("/pro/listings/attributes", Access::Member, attribute_fields)
        .get(
            "/admin/categories",
            Access::Staff(Permission::ContentReview),
            categories_admin,
        )
        .post(
            "/admin/categories",
            Access::Staff(Permission::ContentReview),
            add_category,
        )
        .post(
            "/admin/categories/rename",
            Access::Staff(Permission::ContentReview),
            rename_category,
        )
        .post(
            "/admin/categories/attributes",
            Access::Staff(Permission::ContentReview),
            add_attribute,
        )
        .post(
            "/admin/categories/attributes/delete",
            Access::Staff(Permission::ContentReview),
            delete_attribute,
        )
        .upload(
            Method::POST,
            "/pro/listings/{id}",
            Access::Member,
            LISTING_LIMIT,
            update,
        )
        .post("/pro/listings/{id}/offline", Access::Member, offline)
        .get("/services/{id}", Access::Public, detail)
        .get(
            "/admin/listings",
            Access::Staff(Permission::ContentReview),
            queue,
        )
        .post(
            "/admin/listings/{id}/review",
            Access::Staff(Permission::ContentReview),
            review,
        )
        .get(
            "/admin/words",
            Access::Staff(Permission::ContentReview),
            words,
        )
        .post(
            "/admin/words",
            Access::Staff(Permission::ContentReview),
            add_word,
        )
        .post(
            "/admin/words/delete",
            Access::Staff(Permission::ContentReview),
            delete_word,
        )
}

#[derive(Template)]
#[template(path = "pro_listings.html")]
struct Mine {
    p: Page,
    listings: Vec<ListingView>,
}

async fn mine(State(state): State<AppState>, p: Page) -> Response {
    match state.app.my_listings(&p.actor()).await {
        Ok(listings) => render(&Mine { p, listings }),
        Err(e) => redirect_error(&state, "/pro", &e),
    }
}

/// A category option (second level, labelled with its parent).
pub struct CategoryOption {
    /// Slug.
    pub slug: String,
    /// `家庭保洁 · 日常保洁`.
    pub label: String,
}

#[derive(Template)]
#[template(path = "pro_listing_form.html")]
struct ListingFormPage {
    p: Page,
    action: String,
    categories: Vec<CategoryOption>,
    l: Option<ListingView>,
    variants: String,
    addons: String,
    sop: String,
    attributes: Vec<linli_app::listings::AttributeView>,
}

impl ListingFormPage {
    fn value(&self, name: &str) -> String {
        self.l
            .as_ref()
            .and_then(|l| l.attributes.iter().find(|(n, _)| n == name))
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

async fn category_options(state: &AppState, en: bool) -> Vec<CategoryOption> {
    let cats = state.app.categories().await.unwrap_or_default();
    cats.iter()
        .filter(|c| c.parent_id.is_some())
        .map(|c| {
            let parent = cats.iter().find(|p| Some(&p.id) == c.parent_id.as_ref());
            let name = |x: &linli_store::CategoryRow| {
                if en {
                    x.name_en.clone()
                } else {
                    x.name_zh.clone()
                }
            };
            CategoryOption {
                slug: c.slug.clone(),
                label: format!("{} · {}", parent.map(name).unwrap_or_default(), name(c)),
            }
        })
        .collect()
}

fn lines(l: &ListingView, kind: &str) -> String {
    l.options
        .iter()
        .filter(|o| o.kind == kind)
        .map(|o| {
            format!(
                "{}|{}|{}",
                o.name,
                linli_domain::money::Money::from_fen(o.price_fen).yuan_string(),
                o.minutes
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

async fn new_form(State(state): State<AppState>, p: Page) -> Response {
    let categories = category_options(&state, p.is_en()).await;
    let attributes = match categories.first() {
        Some(c) => state
            .app
            .category_attributes(&c.slug)
            .await
            .unwrap_or_default(),
        None => Vec::new(),
    };
    render(&ListingFormPage {
        p,
        action: "/pro/listings".into(),
        attributes,
        categories,
        l: None,
        variants: String::new(),
        addons: String::new(),
        sop: "上门前电话确认时间\n穿鞋套、铺工作垫\n*完成后拍照确认".into(),
    })
}

async fn edit_form(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<ListingId>,
) -> Response {
    let l = match state.app.listing(&p.actor(), id).await {
        Ok(l) => l,
        Err(_) => return super::errors::page_with(p, StatusCode::NOT_FOUND),
    };
    let mine = state
        .app
        .my_listings(&p.actor())
        .await
        .unwrap_or_default()
        .iter()
        .any(|m| m.id == l.id);
    if !mine {
        return super::errors::page_with(p, StatusCode::NOT_FOUND);
    }
    let categories = category_options(&state, p.is_en()).await;
    let (variants, addons) = (lines(&l, "variant"), lines(&l, "addon"));
    let sop = l
        .sop
        .iter()
        .map(|s| {
            if s.photo {
                format!("*{}", s.text)
            } else {
                s.text.clone()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let attributes = state
        .app
        .category_attributes(&l.category)
        .await
        .unwrap_or_default();
    render(&ListingFormPage {
        p,
        action: format!("/pro/listings/{id}"),
        attributes,
        categories,
        l: Some(l),
        variants,
        addons,
        sop,
    })
}

async fn save(
    state: &AppState,
    p: &Page,
    id: Option<ListingId>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let back = id
        .map(|i| format!("/pro/listings/{i}/edit"))
        .unwrap_or_else(|| "/pro/listings/new".into());
    let Ok(mp) = mp else {
        return redirect_error(state, &back, &AppError::BadUpload("not a file upload"));
    };
    let sub = match listing_form::read(mp).await {
        Ok(s) => s,
        Err(e) => return redirect_error(state, &back, &e),
    };
    let actor = p.actor();
    let saved = match state
        .app
        .save_listing(&actor, id, &sub.form, sub.photos)
        .await
    {
        Ok(l) => l,
        Err(e) => return redirect_error(state, &back, &e),
    };
    let edit = format!("/pro/listings/{}/edit", saved.id);
    if sub.action != "publish" {
        return redirect_flash(state, &edit, false, "flash.saved");
    }
    let Ok(lid) = saved.id.parse::<ListingId>() else {
        return redirect_error(state, &edit, &AppError::NotFound);
    };
    match state.app.submit_listing(&actor, lid).await {
        Ok(l) if l.status == "published" => {
            redirect_flash(state, "/pro/listings", false, "flash.listing_published")
        }
        Ok(_) => redirect_flash(state, "/pro/listings", false, "flash.listing_pending"),
        Err(e) => redirect_error(state, &edit, &e),
    }
}

async fn create(
    State(state): State<AppState>,
    p: Page,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    save(&state, &p, None, mp).await
}

async fn update(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<ListingId>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    save(&state, &p, Some(id), mp).await
}

async fn offline(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<ListingId>,
) -> Response {
    match state.app.take_listing_offline(&p.actor(), id).await {
        Ok(_) => redirect_flash(&state, "/pro/listings", false, "flash.saved"),
        Err(e) => redirect_error(&state, "/pro/listings", &e),
    }
}

#[derive(Template)]
#[template(path = "service.html")]
struct Detail {
    p: Page,
    l: ListingView,
    areas: Vec<linli_app::areas::AreaView>,
    addresses: Vec<linli_app::profile::AddressView>,
    districts: Vec<(&'static str, &'static str)>,
    chosen: String,
    coverage: Option<linli_app::areas::Coverage>,
    favourite: bool,
    rl: super::reviews::ReviewList,
    /// The provider holds less deposit than the category requires: not bookable for now.
    deposit_short: bool,
}

#[derive(serde::Deserialize, Default)]
struct PlaceQuery {
    address: Option<String>,
    district: Option<String>,
}

async fn detail(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<ListingId>,
    Query(q): Query<PlaceQuery>,
    Query(rq): Query<super::reviews::ReviewParams>,
) -> Response {
    let rq = rq.query();
    let actor = p.actor();
    let l = match state.app.listing(&actor, id).await {
        Ok(l) => l,
        Err(_) => return super::errors::page_with(p, StatusCode::NOT_FOUND),
    };
    let areas = match l.provider_id.parse() {
        Ok(pid) => state.app.provider_areas(pid).await.unwrap_or_default(),
        Err(_) => Vec::new(),
    };
    let addresses = if p.signed_in() {
        state.app.addresses(&actor).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    // The place to check: the chosen district, else the chosen address, else the default one.
    let address = q
        .address
        .as_deref()
        .and_then(|a| a.parse().ok())
        .or_else(|| addresses.first().and_then(|a| a.id.parse().ok()));
    let district = q.district.as_deref().filter(|d| !d.is_empty());
    let (coverage, chosen) = match (address, district) {
        (_, Some(d)) => (
            state.app.coverage(&actor, id, None, Some(d)).await.ok(),
            d.to_owned(),
        ),
        (Some(a), None) => (
            state.app.coverage(&actor, id, Some(a), None).await.ok(),
            a.to_string(),
        ),
        (None, None) => (None, String::new()),
    };
    let districts = linli_domain::district::DISTRICTS
        .iter()
        .map(|d| (d.code, if p.is_en() { d.name_en } else { d.name }))
        .collect();
    let favourite = state.app.is_favourite(&actor, id).await.unwrap_or(false);
    let Ok(rv) = state.app.listing_reviews(id, &rq).await else {
        return super::errors::page_with(p, StatusCode::NOT_FOUND);
    };
    let rl = super::reviews::ReviewList::new(rv, format!("/services/{id}"), &rq);
    let deposit_short = state
        .app
        .listing_deposit_shortfall_fen(id)
        .await
        .unwrap_or(0)
        > 0;
    render(&Detail {
        p,
        l,
        areas,
        addresses,
        districts,
        chosen,
        coverage,
        favourite,
        rl,
        deposit_short,
    })
}

#[derive(serde::Deserialize, Default)]
struct QueueQuery {
    status: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_listings.html")]
struct Queue {
    p: Page,
    items: Vec<ListingView>,
    status: String,
    total: i64,
}

async fn queue(State(state): State<AppState>, p: Page, Query(q): Query<QueueQuery>) -> Response {
    let status = q.status.unwrap_or_else(|| "pending".into());
    match state.app.admin_listings(&p.actor(), &status, 1).await {
        Ok((items, total)) => render(&Queue {
            p,
            items,
            status,
            total,
        }),
        Err(e) => redirect_error(&state, "/admin", &e),
    }
}

#[derive(serde::Deserialize)]
struct ReviewForm {
    action: String,
    #[serde(default)]
    note: String,
}

async fn review(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<ListingId>,
    PageForm(f): PageForm<ReviewForm>,
) -> Response {
    match state
        .app
        .admin_review_listing(&p.actor(), id, f.action == "approve", Some(&f.note))
        .await
    {
        Ok(_) => redirect_flash(&state, "/admin/listings", false, "flash.saved"),
        Err(e) => redirect_error(&state, "/admin/listings", &e),
    }
}

#[derive(Template)]
#[template(path = "admin_words.html")]
struct Words {
    p: Page,
    words: Vec<(String, String)>,
}

async fn words(State(state): State<AppState>, p: Page) -> Response {
    match state.app.admin_words(&p.actor()).await {
        Ok(words) => render(&Words { p, words }),
        Err(e) => redirect_error(&state, "/admin", &e),
    }
}

#[derive(serde::Deserialize)]
struct WordForm {
    word: String,
    #[serde(default)]
    severity: String,
}

async fn add_word(
    State(state): State<AppState>,
    p: Page,
    PageForm(f): PageForm<WordForm>,
) -> Response {
    match state
        .app
        .admin_put_word(&p.actor(), &f.word, &f.severity)
        .await
    {
        Ok(()) => redirect_flash(&state, "/admin/words", false, "flash.saved"),
        Err(e) => redirect_error(&state, "/admin/words", &e),
    }
}

async fn delete_word(
    State(state): State<AppState>,
    p: Page,
    PageForm(f): PageForm<WordForm>,
) -> Response {
    match state.app.admin_delete_word(&p.actor(), &f.word).await {
        Ok(()) => redirect_flash(&state, "/admin/words", false, "flash.deleted"),
        Err(e) => redirect_error(&state, "/admin/words", &e),
    }
}

#[derive(Template)]
#[template(path = "attribute_fields.html")]
struct AttributeFields {
    attributes: Vec<linli_app::listings::AttributeView>,
    values: Vec<(String, String)>,
}

impl AttributeFields {
    fn value(&self, name: &str) -> String {
        self.values
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

#[derive(serde::Deserialize, Default)]
struct AttrQuery {
    category: Option<String>,
}

/// The attribute inputs of a category (an htmx fragment for the listing form).
async fn attribute_fields(State(state): State<AppState>, Query(q): Query<AttrQuery>) -> Response {
    let attributes = state
        .app
        .category_attributes(q.category.as_deref().unwrap_or(""))
        .await
        .unwrap_or_default();
    render(&AttributeFields {
        attributes,
        values: Vec::new(),
    })
}

#[derive(Template)]
#[template(path = "admin_categories.html")]
struct CategoriesAdmin {
    p: Page,
    tree: Vec<(linli_store::CategoryRow, Vec<ChildCategory>)>,
}

impl CategoriesAdmin {
    /// A deposit in yuan for the form field (`500.00`).
    fn yuan(&self, fen: &i64) -> String {
        linli_domain::money::Money::from_fen(*fen).yuan_string()
    }
}

/// A second-level category with its attributes.
type ChildCategory = (
    linli_store::CategoryRow,
    Vec<linli_app::listings::AttributeView>,
);

async fn categories_admin(State(state): State<AppState>, p: Page) -> Response {
    let cats = state.app.categories().await.unwrap_or_default();
    let mut tree = Vec::new();
    for top in cats.iter().filter(|c| c.parent_id.is_none()) {
        let mut children = Vec::new();
        for c in cats
            .iter()
            .filter(|c| c.parent_id.as_deref() == Some(top.id.as_str()))
        {
            let attrs = state
                .app
                .category_attributes(&c.slug)
                .await
                .unwrap_or_default();
            children.push((c.clone(), attrs));
        }
        tree.push((top.clone(), children));
    }
    render(&CategoriesAdmin { p, tree })
}

#[derive(serde::Deserialize)]
struct CategoryForm {
    #[serde(default)]
    parent: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    name_zh: String,
    #[serde(default)]
    name_en: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    options: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    required: Option<String>,
    #[serde(default)]
    id: String,
}

async fn add_category(
    State(state): State<AppState>,
    p: Page,
    PageForm(f): PageForm<CategoryForm>,
) -> Response {
    match state
        .app
        .admin_add_category(&p.actor(), Some(&f.parent), &f.slug, &f.name_zh, &f.name_en)
        .await
    {
        Ok(()) => redirect_flash(&state, "/admin/categories", false, "flash.saved"),
        Err(e) => redirect_error(&state, "/admin/categories", &e),
    }
}

async fn rename_category(
    State(state): State<AppState>,
    p: Page,
    PageForm(f): PageForm<CategoryForm>,
) -> Response {
    match state
        .app
        .admin_rename_category(&p.actor(), &f.slug, &f.name_zh, &f.name_en)
        .await
    {
        Ok(()) => redirect_flash(&state, "/admin/categories", false, "flash.saved"),
        Err(e) => redirect_error(&state, "/admin/categories", &e),
    }
}

async fn add_attribute(
    State(state): State<AppState>,
    p: Page,
    PageForm(f): PageForm<CategoryForm>,
) -> Response {
    let form = linli_app::listings::AttributeForm {
        name: f.name,
        kind: f.kind,
        options: vec![f.options],
        unit: f.unit,
        required: f.required.is_some(),
    };
    match state
        .app
        .admin_add_attribute(&p.actor(), &f.slug, &form)
        .await
    {
        Ok(_) => redirect_flash(&state, "/admin/categories", false, "flash.saved"),
        Err(e) => redirect_error(&state, "/admin/categories", &e),
    }
}

async fn delete_attribute(
    State(state): State<AppState>,
    p: Page,
    PageForm(f): PageForm<CategoryForm>,
) -> Response {
    match state.app.admin_delete_attribute(&p.actor(), &f.id).await {
        Ok(()) => redirect_flash(&state, "/admin/categories", false, "flash.deleted"),
        Err(e) => redirect_error(&state, "/admin/categories", &e),
    }
}

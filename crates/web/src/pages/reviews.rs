//! Review pages: the review panel of an order (`/orders/{id}/review`, also loaded into the
//! order page by htmx) with the customer's review form, the provider's reply and customer
//! rating forms; reporting; the review lists on provider and service pages; and the
//! operators' queue at `/admin/reviews`.

use std::borrow::Borrow;

use askama::Template;
use axum::{
    extract::{Multipart, State},
    http::HeaderMap,
    response::Response,
};
use linli_app::{
    AppError,
    reviews::{CustomerRatingForm, OrderReviewPanel, QueuedReview, ReviewPage, ReviewQuery},
};
use linli_domain::ids::{OrderId, ReviewId};

use super::{Page, local_next, redirect_error, redirect_flash, render};
use crate::{
    AppState,
    access::{Access, Routes},
    api::reviews::{REVIEW_LIMIT, read_form},
    extract::{PageForm, PagePath},
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/orders/{id}/review", Access::Member, panel)
        .upload(
            axum::http::Method::POST,
            "/orders/{id}/review",
            Access::Member,
            REVIEW_LIMIT,
            create,
        )
        .post("/reviews/{id}/reply", Access::Member, reply)
        .post("/reviews/{id}/report", Access::Member, report)
        .post(
            "/pro/orders/{id}/rate-customer",
            Access::Member,
            rate_customer,
        )
        .get(
            "/admin/reviews",
            Access::Staff(linli_domain::permission::Permission::ContentReview),
            queue,
        )
        .post(
            "/admin/reviews/{id}/decision",
            Access::Staff(linli_domain::permission::Permission::ContentReview),
            decide,
        )
}

/// Review filters from a page's query string, read leniently (a bad value is ignored).
#[derive(Debug, Default, serde::Deserialize)]
pub struct ReviewParams {
    with_photos: Option<String>,
    stars: Option<String>,
    page: Option<String>,
}

impl ReviewParams {
    /// The use-case query.
    pub fn query(&self) -> ReviewQuery {
        ReviewQuery {
            with_photos: Some(matches!(
                self.with_photos.as_deref(),
                Some("1" | "true" | "on")
            )),
            stars: self
                .stars
                .as_deref()
                .and_then(|s| s.parse().ok())
                .filter(|s| (1..=5).contains(s)),
            page: self.page.as_deref().and_then(|s| s.parse().ok()),
        }
    }
}

/// A review list with its filter links, for provider and service pages.
pub struct ReviewList {
    /// The page of reviews.
    pub rv: ReviewPage,
    /// The page's own path (`/providers/{id}`).
    pub base: String,
    /// Only with photos.
    pub with_photos: bool,
    /// Only these stars.
    pub stars: Option<i64>,
}

impl ReviewList {
    /// Loads a list; an error shows an empty one.
    pub fn new(rv: ReviewPage, base: String, q: &ReviewQuery) -> Self {
        Self {
            rv,
            base,
            with_photos: q.with_photos.unwrap_or(false),
            stars: q.stars,
        }
    }

    /// A link to this list with other filters (anchored at the list).
    pub fn href(
        &self,
        with_photos: impl Borrow<bool>,
        stars: impl Borrow<i64>,
        page: impl Borrow<i64>,
    ) -> String {
        let (with_photos, stars, page) = (*with_photos.borrow(), *stars.borrow(), *page.borrow());
        let mut q = Vec::new();
        if with_photos {
            q.push("with_photos=1".to_owned());
        }
        if stars > 0 {
            q.push(format!("stars={stars}"));
        }
        if page > 1 {
            q.push(format!("page={page}"));
        }
        format!("{}?{}#reviews", self.base, q.join("&"))
    }

    /// Whether the star filter is `s` (0: all).
    pub fn is_stars(&self, s: &i64) -> bool {
        self.stars.unwrap_or(0) == *s
    }

    /// The current star filter (0: all).
    pub fn star_filter(&self) -> i64 {
        self.stars.unwrap_or(0)
    }
}

#[derive(Template)]
#[template(path = "review_panel.html")]
struct PanelPage {
    p: Page,
    order: String,
    panel: OrderReviewPanel,
}

/// The same panel alone, loaded into the order page by htmx.
#[derive(Template)]
#[template(path = "review_panel_body.html")]
struct PanelFragment {
    p: Page,
    order: String,
    panel: OrderReviewPanel,
}

async fn panel(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<OrderId>,
    headers: HeaderMap,
) -> Response {
    match state.app.order_review_panel(&p.actor(), id).await {
        Ok(panel) if headers.contains_key("hx-request") => render(&PanelFragment {
            p,
            order: id.to_string(),
            panel,
        }),
        Ok(panel) => render(&PanelPage {
            p,
            order: id.to_string(),
            panel,
        }),
        Err(_) => super::errors::page_with(p, axum::http::StatusCode::NOT_FOUND),
    }
}

async fn create(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<OrderId>,
    mp: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let back = format!("/orders/{id}");
    let Ok(mp) = mp else {
        return redirect_error(&state, &back, &AppError::BadUpload("not a file upload"));
    };
    let (form, photos) = match read_form(mp).await {
        Ok(f) => f,
        Err(e) => return redirect_error(&state, &back, &e),
    };
    match state.app.review_order(&p.actor(), id, &form, photos).await {
        Ok(r) if r.status == "pending" => {
            redirect_flash(&state, &back, false, "review.flash_pending")
        }
        Ok(_) => redirect_flash(&state, &back, false, "review.flash_saved"),
        Err(e) => redirect_error(&state, &back, &e),
    }
}

#[derive(serde::Deserialize)]
struct TextForm {
    #[serde(default)]
    text: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    back: Option<String>,
}

async fn reply(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<ReviewId>,
    PageForm(f): PageForm<TextForm>,
) -> Response {
    let back = local_next(f.back.as_deref());
    match state.app.reply_review(&p.actor(), id, &f.text).await {
        Ok(_) => redirect_flash(&state, &back, false, "review.flash_replied"),
        Err(e) => redirect_error(&state, &back, &e),
    }
}

async fn report(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<ReviewId>,
    PageForm(f): PageForm<TextForm>,
) -> Response {
    let back = local_next(f.back.as_deref());
    match state.app.report_review(&p.actor(), id, &f.reason).await {
        Ok(()) => redirect_flash(&state, &back, false, "review.flash_reported"),
        Err(e) => redirect_error(&state, &back, &e),
    }
}

#[derive(serde::Deserialize)]
struct RateForm {
    #[serde(default)]
    stars: String,
    #[serde(default)]
    text: String,
}

async fn rate_customer(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<OrderId>,
    PageForm(f): PageForm<RateForm>,
) -> Response {
    let back = format!("/orders/{id}");
    let form = CustomerRatingForm {
        stars: f.stars.trim().parse().unwrap_or(0),
        text: f.text,
    };
    match state.app.rate_customer(&p.actor(), id, &form).await {
        Ok(()) => redirect_flash(&state, &back, false, "review.flash_rated"),
        Err(e) => redirect_error(&state, &back, &e),
    }
}

#[derive(Template)]
#[template(path = "admin_reviews.html")]
struct Queue {
    p: Page,
    items: Vec<QueuedReview>,
}

async fn queue(State(state): State<AppState>, p: Page) -> Response {
    match state.app.review_queue(&p.actor()).await {
        Ok(items) => render(&Queue { p, items }),
        Err(e) => redirect_error(&state, "/admin", &e),
    }
}

#[derive(serde::Deserialize)]
struct DecisionForm {
    action: String,
}

async fn decide(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<ReviewId>,
    PageForm(f): PageForm<DecisionForm>,
) -> Response {
    let back = "/admin/reviews";
    match state
        .app
        .decide_review(&p.actor(), id, f.action == "hide")
        .await
    {
        Ok(_) => redirect_flash(&state, back, false, "flash.saved"),
        Err(e) => redirect_error(&state, back, &e),
    }
}

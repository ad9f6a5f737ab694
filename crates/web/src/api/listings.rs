//! Service listings over the API: providers manage theirs, everyone reads published ones,
//! operators review flagged ones and edit the word list.

use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use linli_app::listings::{ListingForm, ListingView};
use linli_domain::{ids::ListingId, permission::Permission};
use utoipa::ToSchema;

use crate::{
    AppState,
    access::{Access, Routes},
    error::{ApiError, ApiResult, ErrorBody},
    extract::{ApiJson, ApiPath, ApiQuery},
    session::CurrentActor,
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/provider/listings", Access::Member, mine)
        .post("/api/v1/provider/listings", Access::Member, create)
        .put("/api/v1/provider/listings/{id}", Access::Member, update)
        .upload(
            axum::http::Method::POST,
            "/api/v1/provider/listings/{id}/photos",
            Access::Member,
            linli_app::files::PHOTO.max_bytes + 1024,
            add_photo,
        )
        .post(
            "/api/v1/provider/listings/{id}/submit",
            Access::Member,
            submit,
        )
        .post(
            "/api/v1/provider/listings/{id}/offline",
            Access::Member,
            offline,
        )
        .get("/api/v1/listings/{id}", Access::Public, get)
        .get(
            "/api/v1/admin/listings",
            Access::Staff(Permission::ContentReview),
            queue,
        )
        .post(
            "/api/v1/admin/listings/{id}/review",
            Access::Staff(Permission::ContentReview),
            review,
        )
        .get(
            "/api/v1/admin/moderation/words",
            Access::Staff(Permission::ContentReview),
            words,
        )
        .post(
            "/api/v1/admin/moderation/words",
            Access::Staff(Permission::ContentReview),
            put_word,
        )
        .delete(
            "/api/v1/admin/moderation/words/{word}",
            Access::Staff(Permission::ContentReview),
            delete_word,
        )
}

/// The caller's listings.
#[utoipa::path(get, path = "/api/v1/provider/listings", tag = "listings", security(("bearer" = [])), responses((status = 200, body = Vec<ListingView>)))]
pub async fn mine(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Vec<ListingView>>> {
    Ok(Json(state.app.my_listings(&actor).await?))
}

/// Create a draft listing (add photos, then submit).
#[utoipa::path(post, path = "/api/v1/provider/listings", tag = "listings", security(("bearer" = [])), request_body = ListingForm,
    responses((status = 201, body = ListingView), (status = 409, description = "provider_not_approved", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(form): ApiJson<ListingForm>,
) -> ApiResult<Response> {
    let l = state
        .app
        .save_listing(&actor, None, &form, Vec::new())
        .await?;
    Ok((StatusCode::CREATED, Json(l)).into_response())
}

/// Replace a listing's content (not while it is under review).
#[utoipa::path(put, path = "/api/v1/provider/listings/{id}", tag = "listings", security(("bearer" = [])), params(("id" = String, Path)), request_body = ListingForm,
    responses((status = 200, body = ListingView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<ListingId>,
    ApiJson(form): ApiJson<ListingForm>,
) -> ApiResult<Json<ListingView>> {
    Ok(Json(
        state
            .app
            .save_listing(&actor, Some(id), &form, Vec::new())
            .await?,
    ))
}

/// Add a photo: the raw JPEG, PNG or WebP bytes as the body (max 10 MB, 9 photos a listing).
#[utoipa::path(post, path = "/api/v1/provider/listings/{id}/photos", tag = "listings", security(("bearer" = [])), params(("id" = String, Path)),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 200, body = ListingView), (status = 400, description = "bad_upload", body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn add_photo(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<ListingId>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Json<ListingView>> {
    let body = body.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "the photo is too large",
        )
    })?;
    let current = state.app.listing(&actor, id).await?;
    let form = ListingForm {
        category: current.category.clone(),
        title: current.title.clone(),
        description: current.description.clone(),
        unit: current.unit.clone(),
        price: linli_domain::money::Money::from_fen(current.price_fen).yuan_string(),
        min_units: current.min_units,
        minutes: current.minutes,
        options: current.options.clone(),
        sop: current.sop.clone(),
        attributes: current.attributes.clone(),
        cancel_policy: Some(current.cancel_policy.clone()),
        instant_book: current.instant_book,
    };
    Ok(Json(
        state
            .app
            .save_listing(&actor, Some(id), &form, vec![body.to_vec()])
            .await?,
    ))
}

/// Submit: clean text goes live at once, flagged text waits for an operator, prohibited text
/// is refused (409 `content_rejected`).
#[utoipa::path(post, path = "/api/v1/provider/listings/{id}/submit", tag = "listings", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ListingView), (status = 409, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn submit(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<ListingId>,
) -> ApiResult<Json<ListingView>> {
    Ok(Json(state.app.submit_listing(&actor, id).await?))
}

/// Take a listing offline.
#[utoipa::path(post, path = "/api/v1/provider/listings/{id}/offline", tag = "listings", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ListingView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn offline(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<ListingId>,
) -> ApiResult<Json<ListingView>> {
    Ok(Json(state.app.take_listing_offline(&actor, id).await?))
}

/// A published listing (drafts and others only for their owner and reviewers).
#[utoipa::path(get, path = "/api/v1/listings/{id}", tag = "listings", params(("id" = String, Path)),
    responses((status = 200, body = ListingView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<ListingId>,
) -> ApiResult<Json<ListingView>> {
    Ok(Json(state.app.listing(&actor, id).await?))
}

/// Queue query.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ListingQueueQuery {
    /// `pending` (default), `published`, `rejected`, `offline` or `draft`.
    pub status: Option<String>,
    /// Page, from 1.
    pub page: Option<i64>,
}

/// A page of listings for review.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct ListingQueue {
    /// Listings, oldest change first, with what the filter flagged.
    pub items: Vec<ListingView>,
    /// Total.
    pub total: i64,
}

/// Listings by status (the review queue by default).
#[utoipa::path(get, path = "/api/v1/admin/listings", tag = "admin", security(("bearer" = [])), params(ListingQueueQuery),
    responses((status = 200, body = ListingQueue), (status = 403, body = ErrorBody)))]
pub async fn queue(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<ListingQueueQuery>,
) -> ApiResult<Json<ListingQueue>> {
    let (items, total) = state
        .app
        .admin_listings(
            &actor,
            q.status.as_deref().unwrap_or("pending"),
            q.page.unwrap_or(1),
        )
        .await?;
    Ok(Json(ListingQueue { items, total }))
}

/// A review decision.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListingReview {
    /// Approve (true) or reject (false).
    pub approve: bool,
    /// Reason, required to reject.
    pub note: Option<String>,
}

/// Approve or reject a pending listing.
#[utoipa::path(post, path = "/api/v1/admin/listings/{id}/review", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), request_body = ListingReview,
    responses((status = 200, body = ListingView), (status = 422, body = ErrorBody)))]
pub async fn review(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<ListingId>,
    ApiJson(req): ApiJson<ListingReview>,
) -> ApiResult<Json<ListingView>> {
    Ok(Json(
        state
            .app
            .admin_review_listing(&actor, id, req.approve, req.note.as_deref())
            .await?,
    ))
}

/// A word of the automatic filter.
#[derive(Debug, serde::Serialize, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Word {
    /// The word (stored normalised).
    pub word: String,
    /// `review` or `reject`.
    pub severity: String,
}

/// The word list.
#[utoipa::path(get, path = "/api/v1/admin/moderation/words", tag = "admin", security(("bearer" = [])), responses((status = 200, body = Vec<Word>)))]
pub async fn words(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Vec<Word>>> {
    Ok(Json(
        state
            .app
            .admin_words(&actor)
            .await?
            .into_iter()
            .map(|(word, severity)| Word { word, severity })
            .collect(),
    ))
}

/// Add or update a word.
#[utoipa::path(post, path = "/api/v1/admin/moderation/words", tag = "admin", security(("bearer" = [])), request_body = Word,
    responses((status = 204), (status = 422, body = ErrorBody)))]
pub async fn put_word(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(w): ApiJson<Word>,
) -> ApiResult<StatusCode> {
    state
        .app
        .admin_put_word(&actor, &w.word, &w.severity)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a word.
#[utoipa::path(delete, path = "/api/v1/admin/moderation/words/{word}", tag = "admin", security(("bearer" = [])), params(("word" = String, Path)),
    responses((status = 204)))]
pub async fn delete_word(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(word): ApiPath<String>,
) -> ApiResult<StatusCode> {
    state.app.admin_delete_word(&actor, &word).await?;
    Ok(StatusCode::NO_CONTENT)
}

//! Reviews over the API: a customer reviews a confirmed order (multipart with photos, or JSON
//! without), providers reply and rate customers, anyone signed in reports, review lists of
//! providers and services with filters, and the operators' queue.

use axum::{
    Json,
    extract::{FromRequest, Multipart, Request, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use linli_app::{
    AppError,
    reviews::{
        CustomerRatingForm, OrderReviewPanel, QueuedReview, ReplyForm, ReportForm, ReviewForm,
        ReviewPage, ReviewQuery, ReviewView,
    },
};
use linli_domain::{
    ids::{ListingId, OrderId, ProviderId, ReviewId},
    permission::Permission,
};

use crate::{
    AppState,
    access::{Access, Routes},
    error::{ApiError, ApiResult, ErrorBody},
    extract::{ApiJson, ApiPath, ApiQuery},
    session::CurrentActor,
};

/// Largest review upload: nine photos from a phone, compressed.
pub const REVIEW_LIMIT: usize = 40 * 1024 * 1024;

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.upload(
        axum::http::Method::POST,
        "/api/v1/orders/{id}/review",
        Access::Member,
        REVIEW_LIMIT,
        create,
    )
    .get("/api/v1/orders/{id}/review", Access::Member, panel)
    .post("/api/v1/reviews/{id}/reply", Access::Member, reply)
    .post("/api/v1/reviews/{id}/report", Access::Member, report)
    .get(
        "/api/v1/providers/{id}/reviews",
        Access::Public,
        provider_reviews,
    )
    .get(
        "/api/v1/listings/{id}/reviews",
        Access::Public,
        listing_reviews,
    )
    .post(
        "/api/v1/provider/orders/{id}/rate-customer",
        Access::Member,
        rate_customer,
    )
    .get(
        "/api/v1/admin/reviews",
        Access::Staff(Permission::ContentReview),
        queue,
    )
    .post(
        "/api/v1/admin/reviews/{id}/decision",
        Access::Staff(Permission::ContentReview),
        decide,
    )
}

/// Reads a review form from `multipart/form-data`: `stars`, `punctual`, `professional`,
/// `attitude`, `text`, `anonymous` (`1`/`on`/`true`) and up to nine `photos` files.
pub async fn read_form(mut mp: Multipart) -> Result<(ReviewForm, Vec<Vec<u8>>), AppError> {
    let mut form = ReviewForm::default();
    let mut photos = Vec::new();
    let number = |t: &str| -> Result<i64, AppError> {
        let t = t.trim();
        if t.is_empty() {
            return Ok(0);
        }
        t.parse()
            .map_err(|_| linli_domain::DomainError::Invalid("stars").into())
    };
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                return Err(AppError::BadUpload(
                    "the upload is too large or the form could not be read",
                ));
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "photos" {
            let bytes = field.bytes().await.map_err(|_| {
                AppError::BadUpload("the upload is too large (max 10 MB per photo)")
            })?;
            if !bytes.is_empty() {
                photos.push(bytes.to_vec());
            }
            continue;
        }
        let text = field
            .text()
            .await
            .map_err(|_| AppError::BadUpload("the form could not be read"))?;
        match name.as_str() {
            "stars" => form.stars = number(&text)?,
            "punctual" => form.punctual = number(&text)?,
            "professional" => form.professional = number(&text)?,
            "attitude" => form.attitude = number(&text)?,
            "text" => form.text = text,
            "anonymous" => form.anonymous = matches!(text.as_str(), "1" | "on" | "true"),
            _ => {}
        }
    }
    Ok((form, photos))
}

/// Review a confirmed order of the caller, once: `multipart/form-data` with the fields of
/// `ReviewForm` and up to nine `photos`, or JSON `ReviewForm` without photos.
#[utoipa::path(post, path = "/api/v1/orders/{id}/review", tag = "reviews", security(("bearer" = [])), params(("id" = String, Path)),
    request_body(content = ReviewForm, content_type = "multipart/form-data"),
    responses((status = 201, body = ReviewView), (status = 400, description = "bad_upload", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "already_reviewed, not_confirmed", body = ErrorBody),
        (status = 422, description = "stars, text length, photos, content_rejected", body = ErrorBody)))]
pub async fn create(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
    req: Request,
) -> ApiResult<Response> {
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let (form, photos) = if multipart {
        let mp = Multipart::from_request(req, &state).await.map_err(|_| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                "bad_upload",
                "the form could not be read",
            )
        })?;
        read_form(mp).await?
    } else {
        let ApiJson(form) = ApiJson::<ReviewForm>::from_request(req, &state).await?;
        (form, Vec::new())
    };
    let view = state.app.review_order(&actor, id, &form, photos).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// The review part of an order for its customer or provider.
#[utoipa::path(get, path = "/api/v1/orders/{id}/review", tag = "reviews", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = OrderReviewPanel), (status = 404, body = ErrorBody)))]
pub async fn panel(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
) -> ApiResult<Json<OrderReviewPanel>> {
    Ok(Json(state.app.order_review_panel(&actor, id).await?))
}

/// The reviewed provider replies, once.
#[utoipa::path(post, path = "/api/v1/reviews/{id}/reply", tag = "reviews", security(("bearer" = [])), params(("id" = String, Path)), request_body = ReplyForm,
    responses((status = 200, body = ReviewView), (status = 404, body = ErrorBody), (status = 409, description = "already_replied", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reply(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<ReviewId>,
    ApiJson(f): ApiJson<ReplyForm>,
) -> ApiResult<Json<ReviewView>> {
    Ok(Json(state.app.reply_review(&actor, id, &f.text).await?))
}

/// Report a review to the operators (once per account).
#[utoipa::path(post, path = "/api/v1/reviews/{id}/report", tag = "reviews", security(("bearer" = [])), params(("id" = String, Path)), request_body = ReportForm,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn report(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<ReviewId>,
    ApiJson(f): ApiJson<ReportForm>,
) -> ApiResult<StatusCode> {
    state.app.report_review(&actor, id, &f.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Published reviews of a provider, with its Bayesian rating; filter `with_photos`, `stars`.
#[utoipa::path(get, path = "/api/v1/providers/{id}/reviews", tag = "reviews", params(("id" = String, Path), ReviewQuery),
    responses((status = 200, body = ReviewPage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn provider_reviews(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<ProviderId>,
    ApiQuery(q): ApiQuery<ReviewQuery>,
) -> ApiResult<Json<ReviewPage>> {
    Ok(Json(state.app.provider_reviews(id, &q).await?))
}

/// Published reviews of a service, with its Bayesian rating; filter `with_photos`, `stars`.
#[utoipa::path(get, path = "/api/v1/listings/{id}/reviews", tag = "reviews", params(("id" = String, Path), ReviewQuery),
    responses((status = 200, body = ReviewPage), (status = 422, body = ErrorBody)))]
pub async fn listing_reviews(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<ListingId>,
    ApiQuery(q): ApiQuery<ReviewQuery>,
) -> ApiResult<Json<ReviewPage>> {
    Ok(Json(state.app.listing_reviews(id, &q).await?))
}

/// The provider rates the customer of a confirmed order (seen only by providers), once.
#[utoipa::path(post, path = "/api/v1/provider/orders/{id}/rate-customer", tag = "reviews", security(("bearer" = [])), params(("id" = String, Path)), request_body = CustomerRatingForm,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, description = "already_rated, not_confirmed", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rate_customer(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
    ApiJson(f): ApiJson<CustomerRatingForm>,
) -> ApiResult<StatusCode> {
    state.app.rate_customer(&actor, id, &f).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The operators' queue: filtered and reported reviews (content.review).
#[utoipa::path(get, path = "/api/v1/admin/reviews", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = Vec<QueuedReview>), (status = 403, body = ErrorBody)))]
pub async fn queue(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Vec<QueuedReview>>> {
    Ok(Json(state.app.review_queue(&actor).await?))
}

/// An operator's decision on a queued review.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decision {
    /// `keep` (publish) or `hide`.
    pub action: String,
}

/// Keep or hide a queued review (content.review).
#[utoipa::path(post, path = "/api/v1/admin/reviews/{id}/decision", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), request_body = Decision,
    responses((status = 200, body = ReviewView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<ReviewId>,
    ApiJson(d): ApiJson<Decision>,
) -> ApiResult<Json<ReviewView>> {
    let hide = match d.action.as_str() {
        "hide" => true,
        "keep" => false,
        _ => return Err(AppError::from(linli_domain::DomainError::Invalid("action")).into()),
    };
    Ok(Json(state.app.decide_review(&actor, id, hide).await?))
}

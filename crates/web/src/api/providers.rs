//! Provider onboarding over the API: apply, follow the application, public profiles, private
//! document images, and the operators' review queue.

use axum::{
    Json,
    extract::{Multipart, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use linli_app::providers::{ApplicationForm, ApplicationView, ProviderProfile, RevealedIdentity};
use linli_domain::{
    ids::{DocumentId, ProviderId},
    permission::Permission,
    provider::ReviewAction,
};
use utoipa::ToSchema;

use crate::{
    AppState,
    access::{Access, Routes},
    error::{ApiError, ApiResult, ErrorBody},
    extract::{ApiJson, ApiPath, ApiQuery},
    providers_form::{self, APPLICATION_LIMIT},
    session::CurrentActor,
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get(
        "/api/v1/provider/application",
        Access::Member,
        my_application,
    )
    .upload(
        axum::http::Method::POST,
        "/api/v1/provider/application",
        Access::Member,
        APPLICATION_LIMIT,
        apply,
    )
    .get("/api/v1/providers/{id}", Access::Public, profile)
    .get("/api/v1/documents/{id}", Access::Member, document)
    .get(
        "/api/v1/admin/providers",
        Access::Staff(Permission::ProvidersReview),
        queue,
    )
    .get(
        "/api/v1/admin/providers/{id}",
        Access::Staff(Permission::ProvidersReview),
        application,
    )
    .post(
        "/api/v1/admin/providers/{id}/review",
        Access::Staff(Permission::ProvidersReview),
        review,
    )
    .post(
        "/api/v1/admin/providers/{id}/reveal",
        Access::Staff(Permission::IdentityReveal),
        reveal,
    )
}

/// The caller's application (404 when they have not applied).
#[utoipa::path(get, path = "/api/v1/provider/application", tag = "providers", security(("bearer" = [])),
    responses((status = 200, body = ApplicationView), (status = 404, body = ErrorBody)))]
pub async fn my_application(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<ApplicationView>> {
    state
        .app
        .my_application(&actor)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no application yet"))
}

/// Apply or resubmit, as `multipart/form-data`: the text fields of `ApplicationForm`
/// (`categories` and `districts` repeated), and photos `licence` / `qualification` with
/// `licence_expires_on` / `qualification_expires_on` (`YYYY-MM-DD`).
#[utoipa::path(post, path = "/api/v1/provider/application", tag = "providers", security(("bearer" = [])),
    request_body(content = ApplicationForm, content_type = "multipart/form-data"),
    responses((status = 201, body = ApplicationView), (status = 400, description = "bad_upload", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn apply(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> ApiResult<Response> {
    let form = form.map_err(|_| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send multipart/form-data",
        )
    })?;
    let (fields, uploads) = providers_form::read(form).await?;
    let view = state
        .app
        .submit_application(&actor, &fields, uploads)
        .await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// The public profile of an approved provider.
#[utoipa::path(get, path = "/api/v1/providers/{id}", tag = "providers", params(("id" = String, Path)),
    responses((status = 200, body = ProviderProfile), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn profile(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<ProviderId>,
) -> ApiResult<Json<ProviderProfile>> {
    Ok(Json(state.app.provider_profile(id).await?))
}

/// Document query.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct DocumentQuery {
    /// `true` for the thumbnail.
    pub thumb: Option<bool>,
}

/// A document image, for its owner or a reviewer (anyone else: 404).
#[utoipa::path(get, path = "/api/v1/documents/{id}", tag = "providers", security(("bearer" = [])), params(("id" = String, Path), DocumentQuery),
    responses((status = 200, description = "the image", content_type = "image/jpeg"), (status = 404, body = ErrorBody)))]
pub async fn document(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<DocumentId>,
    ApiQuery(q): ApiQuery<DocumentQuery>,
) -> ApiResult<Response> {
    let (bytes, mime) = state
        .app
        .document_image(&actor, id, q.thumb.unwrap_or(false))
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, mime),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        bytes,
    )
        .into_response())
}

/// Queue query.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    /// `pending` (default), `needs_info`, `approved`, `rejected` or `all`.
    pub status: Option<String>,
    /// Page, from 1 (20 per page).
    pub page: Option<i64>,
}

/// A page of the review queue.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct QueuePage {
    /// Applications, oldest submission first (identities masked).
    pub items: Vec<ApplicationView>,
    /// Total matching.
    pub total: i64,
}

/// The review queue.
#[utoipa::path(get, path = "/api/v1/admin/providers", tag = "admin", security(("bearer" = [])), params(QueueQuery),
    responses((status = 200, body = QueuePage), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn queue(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> ApiResult<Json<QueuePage>> {
    let status = q.status.unwrap_or_else(|| "pending".into());
    let filter = (status != "all").then_some(status.as_str());
    let (items, total) = state
        .app
        .admin_applications(&actor, filter, q.page.unwrap_or(1))
        .await?;
    Ok(Json(QueuePage { items, total }))
}

/// One application with its documents.
#[utoipa::path(get, path = "/api/v1/admin/providers/{id}", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ApplicationView), (status = 404, body = ErrorBody)))]
pub async fn application(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<ProviderId>,
) -> ApiResult<Json<ApplicationView>> {
    Ok(Json(state.app.admin_application(&actor, id).await?))
}

/// An operator's decision.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    /// `approve`, `reject` or `request_info`.
    pub action: String,
    /// Reason; required to reject or to ask for more (2–200 characters).
    pub note: Option<String>,
}

/// Approve, reject or ask for more information.
#[utoipa::path(post, path = "/api/v1/admin/providers/{id}/review", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = ReviewRequest, responses((status = 200, body = ApplicationView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn review(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<ProviderId>,
    ApiJson(req): ApiJson<ReviewRequest>,
) -> ApiResult<Json<ApplicationView>> {
    let action = ReviewAction::parse_decision(&req.action).map_err(linli_app::AppError::from)?;
    Ok(Json(
        state
            .app
            .admin_review(&actor, id, action, req.note.as_deref())
            .await?,
    ))
}

/// The full legal name and identity number (audited; needs `identity.reveal`).
#[utoipa::path(post, path = "/api/v1/admin/providers/{id}/reveal", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = RevealedIdentity), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn reveal(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<ProviderId>,
) -> ApiResult<Json<RevealedIdentity>> {
    Ok(Json(state.app.admin_reveal_identity(&actor, id).await?))
}

//! The verified visit over the API: check-in with a position, the customer's service code,
//! checklist items with photos, check-out; and the visit as either side sees it.

use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{Method, StatusCode},
};
use linli_app::{
    orders::OrderView,
    visits::{CheckInForm, ServiceCodeForm, VisitView},
};
use linli_domain::ids::OrderId;

use crate::{
    AppState,
    access::{Access, Routes},
    error::{ApiError, ApiResult, ErrorBody},
    extract::{ApiJson, ApiPath},
    session::CurrentActor,
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/orders/{id}/visit", Access::Member, visit)
        .post(
            "/api/v1/provider/orders/{id}/check-in",
            Access::Member,
            check_in,
        )
        .post(
            "/api/v1/provider/orders/{id}/service-code",
            Access::Member,
            service_code,
        )
        .upload(
            Method::POST,
            "/api/v1/provider/orders/{id}/checklist/{index}",
            Access::Member,
            linli_app::files::PHOTO.max_bytes + 1024,
            tick,
        )
        .post(
            "/api/v1/provider/orders/{id}/check-out",
            Access::Member,
            check_out,
        )
        .get(
            "/api/v1/orders/{id}/visit-photos/{file}",
            Access::Member,
            photo,
        )
}

/// A checklist photo or thumbnail of the order's visit (its `photo_url` / `thumb_url` under
/// `/api/v1`), to the order's two sides only.
#[utoipa::path(get, path = "/api/v1/orders/{id}/visit-photos/{file}", tag = "orders", security(("bearer" = [])),
    params(("id" = String, Path), ("file" = String, Path)),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 404, body = ErrorBody)))]
pub async fn photo(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath((id, file)): ApiPath<(OrderId, String)>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let (bytes, kind) = state.app.visit_photo(&actor, id, &file).await?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, kind.mime()),
            (axum::http::header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        bytes,
    )
        .into_response())
}

/// The order's visit: check-in, service code (the customer's, until it is used), checklist
/// with photos, actual duration and final price.
#[utoipa::path(get, path = "/api/v1/orders/{id}/visit", tag = "orders", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = VisitView), (status = 404, body = ErrorBody)))]
pub async fn visit(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
) -> ApiResult<Json<VisitView>> {
    Ok(Json(state.app.visit_view(&actor, id).await?))
}

/// The provider checks in with the phone's position (from an hour before the start). Farther
/// than 200 m from the address needs a `reason` (422 `too_far` without one); the order goes
/// into service.
#[utoipa::path(post, path = "/api/v1/provider/orders/{id}/check-in", tag = "orders", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = CheckInForm,
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody), (status = 422, description = "too_far, position_required, invalid_transition", body = ErrorBody)))]
pub async fn check_in(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
    ApiJson(form): ApiJson<CheckInForm>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(state.app.start_service(&actor, id, &form).await?))
}

/// The provider enters the customer's 6-digit service code (422 `wrong_service_code`; after
/// five wrong codes 422 `service_code_locked`).
#[utoipa::path(post, path = "/api/v1/provider/orders/{id}/service-code", tag = "orders", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = ServiceCodeForm,
    responses((status = 200, body = VisitView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn service_code(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
    ApiJson(form): ApiJson<ServiceCodeForm>,
) -> ApiResult<Json<VisitView>> {
    Ok(Json(state.app.enter_service_code(&actor, id, &form).await?))
}

/// The provider ticks checklist item `index`; the body is the photo (raw JPEG, PNG or WebP,
/// max 10 MB), empty for items without one (422 `photo_required` for items that need one).
#[utoipa::path(post, path = "/api/v1/provider/orders/{id}/checklist/{index}", tag = "orders", security(("bearer" = [])),
    params(("id" = String, Path), ("index" = i64, Path)),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 200, body = VisitView), (status = 400, description = "bad_upload", body = ErrorBody), (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn tick(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath((id, index)): ApiPath<(OrderId, i64)>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Json<VisitView>> {
    let body = body.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "the photo is too large",
        )
    })?;
    let photo = (!body.is_empty()).then(|| body.to_vec());
    Ok(Json(
        state.app.tick_checklist(&actor, id, index, photo).await?,
    ))
}

/// The provider checks out and completes the job: 422 `checklist_incomplete` while a
/// checklist item or its photo is missing, `service_code_required` before the code was
/// entered. Records the actual duration (and, for hourly services, the final price).
#[utoipa::path(post, path = "/api/v1/provider/orders/{id}/check-out", tag = "orders", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody), (status = 422, description = "checklist_incomplete, service_code_required, not_checked_in", body = ErrorBody)))]
pub async fn check_out(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(state.app.complete_order(&actor, id).await?))
}

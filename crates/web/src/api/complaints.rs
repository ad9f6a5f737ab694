//! Complaints (投诉) and provider reliability over the API: customers file and follow their
//! tickets, operators with `complaints.handle` work the queue (internal notes, public replies,
//! status), and a provider reads its reliability score with its parts.

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use linli_app::{
    complaints::{ComplaintForm, ComplaintView, NoteForm, StatusForm},
    reliability::Reliability,
};
use linli_domain::{ids::ComplaintId, permission::Permission};

use crate::{
    AppState,
    access::{Access, Routes},
    error::{ApiResult, ErrorBody},
    extract::{ApiJson, ApiPath, ApiQuery},
    session::CurrentActor,
};

const HANDLE: Access = Access::Staff(Permission::ComplaintsHandle);

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/complaints", Access::Member, mine)
        .post("/api/v1/complaints", Access::Member, file)
        .get("/api/v1/complaints/{id}", Access::Member, get)
        .get("/api/v1/admin/complaints", HANDLE, queue)
        .get("/api/v1/admin/complaints/{id}", HANDLE, admin_get)
        .post("/api/v1/admin/complaints/{id}/notes", HANDLE, note)
        .post("/api/v1/admin/complaints/{id}/status", HANDLE, status)
        .get("/api/v1/provider/reliability", Access::Member, reliability)
}

/// Filters of the operators' queue.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct QueueQuery {
    /// `open`, `in_progress`, `resolved` or `closed`; absent: all.
    #[serde(default)]
    pub status: Option<String>,
    /// Only tickets past their first-response deadline without a reply.
    #[serde(default)]
    pub overdue: Option<bool>,
}

/// File a complaint against a provider (directly or through one of the caller's orders) or the
/// platform.
#[utoipa::path(post, path = "/api/v1/complaints", tag = "complaints", security(("bearer" = [])), request_body = ComplaintForm,
    responses((status = 201, body = ComplaintView), (status = 400, description = "malformed_id", body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, description = "order or provider not found", body = ErrorBody),
        (status = 422, description = "text length, unknown category, content_rejected", body = ErrorBody)))]
pub async fn file(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(f): ApiJson<ComplaintForm>,
) -> ApiResult<Response> {
    let v = state.app.file_complaint(&actor, &f).await?;
    Ok((StatusCode::CREATED, Json(v)).into_response())
}

/// The caller's complaints, newest first.
#[utoipa::path(get, path = "/api/v1/complaints", tag = "complaints", security(("bearer" = [])),
    responses((status = 200, body = Vec<ComplaintView>), (status = 401, body = ErrorBody)))]
pub async fn mine(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Vec<ComplaintView>>> {
    Ok(Json(state.app.my_complaints(&actor).await?))
}

/// One of the caller's complaints with public replies and status changes (never internal
/// notes); another's answers 404.
#[utoipa::path(get, path = "/api/v1/complaints/{id}", tag = "complaints", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ComplaintView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<ComplaintId>,
) -> ApiResult<Json<ComplaintView>> {
    Ok(Json(state.app.my_complaint(&actor, id).await?))
}

/// The operators' queue, oldest deadline first (complaints.handle).
#[utoipa::path(get, path = "/api/v1/admin/complaints", tag = "complaints", security(("bearer" = [])), params(QueueQuery),
    responses((status = 200, body = Vec<ComplaintView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn queue(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> ApiResult<Json<Vec<ComplaintView>>> {
    Ok(Json(
        state
            .app
            .complaint_queue(&actor, q.status.as_deref(), q.overdue.unwrap_or(false))
            .await?,
    ))
}

/// One ticket with its whole thread, internal notes included (complaints.handle).
#[utoipa::path(get, path = "/api/v1/admin/complaints/{id}", tag = "complaints", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ComplaintView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn admin_get(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<ComplaintId>,
) -> ApiResult<Json<ComplaintView>> {
    Ok(Json(state.app.complaint_for_operator(&actor, id).await?))
}

/// Add an internal note or a public reply (complaints.handle). The first reply moves an open
/// ticket to in_progress.
#[utoipa::path(post, path = "/api/v1/admin/complaints/{id}/notes", tag = "complaints", security(("bearer" = [])), params(("id" = String, Path)), request_body = NoteForm,
    responses((status = 200, body = ComplaintView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "complaint_finished", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn note(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<ComplaintId>,
    ApiJson(f): ApiJson<NoteForm>,
) -> ApiResult<Json<ComplaintView>> {
    Ok(Json(state.app.add_complaint_note(&actor, id, &f).await?))
}

/// Change a ticket's status (complaints.handle): open → in_progress → resolved / closed.
#[utoipa::path(post, path = "/api/v1/admin/complaints/{id}/status", tag = "complaints", security(("bearer" = [])), params(("id" = String, Path)), request_body = StatusForm,
    responses((status = 200, body = ComplaintView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn status(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<ComplaintId>,
    ApiJson(f): ApiJson<StatusForm>,
) -> ApiResult<Json<ComplaintView>> {
    Ok(Json(state.app.set_complaint_status(&actor, id, &f).await?))
}

/// The signed-in provider's reliability score (0–100) with its parts.
#[utoipa::path(get, path = "/api/v1/provider/reliability", tag = "complaints", security(("bearer" = [])),
    responses((status = 200, body = Reliability), (status = 401, body = ErrorBody), (status = 403, description = "not a provider", body = ErrorBody)))]
pub async fn reliability(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Reliability>> {
    Ok(Json(state.app.my_reliability(&actor).await?))
}

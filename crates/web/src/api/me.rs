//! `/api/v1/me`: the signed-in account's profile, password, avatar and addresses.

use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use linli_app::profile::{AddressFields, AddressView, Profile};
use linli_domain::ids::AddressId;
use utoipa::ToSchema;

use crate::{
    AppState,
    access::{Access, Routes},
    error::{ApiResult, ErrorBody},
    extract::{ApiJson, ApiPath},
    session::CurrentActor,
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/me", Access::Member, get_me)
        .patch("/api/v1/me", Access::Member, patch_me)
        .post("/api/v1/me/password", Access::Member, change_password)
        .upload(
            axum::http::Method::PUT,
            "/api/v1/me/avatar",
            Access::Member,
            crate::pages::account::UPLOAD_LIMIT,
            put_avatar,
        )
        .get("/api/v1/me/addresses", Access::Member, list_addresses)
        .post("/api/v1/me/addresses", Access::Member, create_address)
        .get("/api/v1/me/addresses/{id}", Access::Member, get_address)
        .put("/api/v1/me/addresses/{id}", Access::Member, update_address)
        .delete("/api/v1/me/addresses/{id}", Access::Member, delete_address)
}

/// Profile changes.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchMe {
    /// New display name (1–20 characters).
    pub nickname: String,
}

/// Password change; ends every other login.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    /// Current password (omit if the account has none yet).
    pub old_password: Option<String>,
    /// New password.
    pub new_password: String,
}

/// The caller's profile (the only response that shows the full phone number).
#[utoipa::path(get, path = "/api/v1/me", tag = "me", security(("bearer" = [])), responses((status = 200, body = Profile), (status = 401, body = ErrorBody)))]
pub async fn get_me(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Profile>> {
    Ok(Json(state.app.profile(&actor).await?))
}

/// Change the nickname.
#[utoipa::path(patch, path = "/api/v1/me", tag = "me", security(("bearer" = [])), request_body = PatchMe,
    responses((status = 200, body = Profile), (status = 422, body = ErrorBody)))]
pub async fn patch_me(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(req): ApiJson<PatchMe>,
) -> ApiResult<Json<Profile>> {
    state.app.update_nickname(&actor, &req.nickname).await?;
    Ok(Json(state.app.profile(&actor).await?))
}

/// Change the password; every other session and token is revoked.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "me", security(("bearer" = [])), request_body = ChangePassword,
    responses((status = 204), (status = 401, description = "bad_credentials", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn change_password(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(req): ApiJson<ChangePassword>,
) -> ApiResult<StatusCode> {
    state
        .app
        .change_password(&actor, req.old_password.as_deref(), &req.new_password)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Upload an avatar: the raw JPEG, PNG or WebP bytes as the body (max 2 MB).
#[utoipa::path(put, path = "/api/v1/me/avatar", tag = "me", security(("bearer" = [])), request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 200, description = "stored; body has avatar_url"), (status = 400, description = "bad_upload", body = ErrorBody), (status = 413, body = ErrorBody)))]
pub async fn put_avatar(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Response> {
    let body = body.map_err(|_| {
        crate::error::ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            "the file is too large",
        )
    })?;
    let url = state.app.upload_avatar(&actor, &body).await?;
    Ok(Json(serde_json::json!({"avatar_url": url})).into_response())
}

/// The caller's saved addresses, default first.
#[utoipa::path(get, path = "/api/v1/me/addresses", tag = "me", security(("bearer" = [])), responses((status = 200, body = Vec<AddressView>)))]
pub async fn list_addresses(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Vec<AddressView>>> {
    Ok(Json(state.app.addresses(&actor).await?))
}

/// Add an address; coordinates come from the district table.
#[utoipa::path(post, path = "/api/v1/me/addresses", tag = "me", security(("bearer" = [])), request_body = AddressFields,
    responses((status = 201, body = AddressView), (status = 422, body = ErrorBody)))]
pub async fn create_address(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(f): ApiJson<AddressFields>,
) -> ApiResult<Response> {
    let a = state.app.save_address(&actor, None, &f).await?;
    Ok((StatusCode::CREATED, Json(a)).into_response())
}

/// One address of the caller (another user's answers 404).
#[utoipa::path(get, path = "/api/v1/me/addresses/{id}", tag = "me", security(("bearer" = [])), params(("id" = String, Path, description = "address id")),
    responses((status = 200, body = AddressView), (status = 400, description = "malformed_id", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_address(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<AddressId>,
) -> ApiResult<Json<AddressView>> {
    Ok(Json(state.app.address(&actor, id).await?))
}

/// Replace an address.
#[utoipa::path(put, path = "/api/v1/me/addresses/{id}", tag = "me", security(("bearer" = [])), params(("id" = String, Path, description = "address id")), request_body = AddressFields,
    responses((status = 200, body = AddressView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_address(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<AddressId>,
    ApiJson(f): ApiJson<AddressFields>,
) -> ApiResult<Json<AddressView>> {
    Ok(Json(state.app.save_address(&actor, Some(id), &f).await?))
}

/// Delete an address.
#[utoipa::path(delete, path = "/api/v1/me/addresses/{id}", tag = "me", security(("bearer" = [])), params(("id" = String, Path, description = "address id")),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_address(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<AddressId>,
) -> ApiResult<StatusCode> {
    state.app.delete_address(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

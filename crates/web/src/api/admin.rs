//! `/api/v1/admin`: accounts, roles and staff for operators. Each route requires a permission.

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use linli_app::admin::{RoleView, StaffView, UserSummary};
use linli_domain::{
    ids::{RoleId, UserId},
    permission::Permission,
};
use utoipa::ToSchema;

use crate::{
    AppState,
    access::{Access, Routes},
    error::{ApiResult, ErrorBody},
    extract::{ApiJson, ApiPath, ApiQuery},
    session::CurrentActor,
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get(
        "/api/v1/admin/users",
        Access::Staff(Permission::UsersView),
        users,
    )
    .post(
        "/api/v1/admin/users/{id}/status",
        Access::Staff(Permission::UsersManage),
        set_status,
    )
    .get(
        "/api/v1/admin/roles",
        Access::Staff(Permission::RolesManage),
        roles,
    )
    .post(
        "/api/v1/admin/roles",
        Access::Staff(Permission::RolesManage),
        create_role,
    )
    .put(
        "/api/v1/admin/roles/{id}/permissions",
        Access::Staff(Permission::RolesManage),
        set_permissions,
    )
    .get(
        "/api/v1/admin/staff",
        Access::Staff(Permission::RolesManage),
        staff,
    )
    .post(
        "/api/v1/admin/staff",
        Access::Staff(Permission::RolesManage),
        grant,
    )
    .delete(
        "/api/v1/admin/staff/{user_id}/roles/{role_id}",
        Access::Staff(Permission::RolesManage),
        revoke,
    )
}

/// Account list query.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct UsersQuery {
    /// Digits the phone contains.
    pub phone: Option<String>,
    /// Page (20 per page), from 1.
    pub page: Option<i64>,
}

/// A page of accounts.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct UsersPage {
    /// Accounts (phones masked).
    pub users: Vec<UserSummary>,
    /// Total matching.
    pub total: i64,
}

/// Enable or disable an account.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    /// `true` to enable, `false` to disable (revokes its sessions).
    pub active: bool,
}

/// A new role.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    /// Unique name.
    pub name: String,
    /// Permission names, e.g. `users.view`.
    pub permissions: Vec<String>,
}

/// A role's permissions.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PermissionsRequest {
    /// Permission names.
    pub permissions: Vec<String>,
}

/// Give a role to an account.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantRequest {
    /// Phone of the account.
    pub phone: String,
    /// Role id.
    pub role_id: String,
}

/// Accounts, newest first.
#[utoipa::path(get, path = "/api/v1/admin/users", tag = "admin", security(("bearer" = [])), params(UsersQuery),
    responses((status = 200, body = UsersPage), (status = 403, body = ErrorBody)))]
pub async fn users(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<UsersQuery>,
) -> ApiResult<Json<UsersPage>> {
    let (users, total) = state
        .app
        .admin_users(&actor, q.phone.as_deref(), q.page.unwrap_or(1))
        .await?;
    Ok(Json(UsersPage { users, total }))
}

/// Enable or disable an account.
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/status", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), request_body = StatusRequest,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn set_status(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<UserId>,
    ApiJson(req): ApiJson<StatusRequest>,
) -> ApiResult<StatusCode> {
    state.app.admin_set_status(&actor, id, req.active).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// All roles.
#[utoipa::path(get, path = "/api/v1/admin/roles", tag = "admin", security(("bearer" = [])), responses((status = 200, body = Vec<RoleView>)))]
pub async fn roles(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Vec<RoleView>>> {
    Ok(Json(state.app.admin_roles(&actor).await?))
}

/// Create a role.
#[utoipa::path(post, path = "/api/v1/admin/roles", tag = "admin", security(("bearer" = [])), request_body = RoleRequest,
    responses((status = 201, body = RoleView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_role(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(req): ApiJson<RoleRequest>,
) -> ApiResult<Response> {
    let role = state
        .app
        .admin_create_role(&actor, &req.name, &req.permissions)
        .await?;
    Ok((StatusCode::CREATED, Json(role)).into_response())
}

/// Replace a role's permissions (built-in roles are fixed).
#[utoipa::path(put, path = "/api/v1/admin/roles/{id}/permissions", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), request_body = PermissionsRequest,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn set_permissions(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<RoleId>,
    ApiJson(req): ApiJson<PermissionsRequest>,
) -> ApiResult<StatusCode> {
    state
        .app
        .admin_set_role_permissions(&actor, id, &req.permissions)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Staff members and their roles.
#[utoipa::path(get, path = "/api/v1/admin/staff", tag = "admin", security(("bearer" = [])), responses((status = 200, body = Vec<StaffView>)))]
pub async fn staff(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Vec<StaffView>>> {
    Ok(Json(state.app.admin_staff(&actor).await?))
}

/// Give a role to an account by phone.
#[utoipa::path(post, path = "/api/v1/admin/staff", tag = "admin", security(("bearer" = [])), request_body = GrantRequest,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn grant(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(req): ApiJson<GrantRequest>,
) -> ApiResult<StatusCode> {
    let role: RoleId = req.role_id.parse().map_err(linli_app::AppError::from)?;
    state.app.admin_grant_role(&actor, &req.phone, role).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Take a role away.
#[utoipa::path(delete, path = "/api/v1/admin/staff/{user_id}/roles/{role_id}", tag = "admin", security(("bearer" = [])),
    params(("user_id" = String, Path), ("role_id" = String, Path)), responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn revoke(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath((user, role)): ApiPath<(UserId, RoleId)>,
) -> ApiResult<StatusCode> {
    state.app.admin_revoke_role(&actor, user, role).await?;
    Ok(StatusCode::NO_CONTENT)
}

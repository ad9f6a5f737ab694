//! Category management over the API: attributes per category (public) and the operators'
//! category and attribute editing.

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use linli_app::listings::{AttributeForm, AttributeView};
use linli_domain::permission::Permission;
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
    r.get(
        "/api/v1/categories/{slug}/attributes",
        Access::Public,
        attributes,
    )
    .post(
        "/api/v1/admin/categories",
        Access::Staff(Permission::ContentReview),
        add,
    )
    .put(
        "/api/v1/admin/categories/{slug}",
        Access::Staff(Permission::ContentReview),
        rename,
    )
    .post(
        "/api/v1/admin/categories/{slug}/attributes",
        Access::Staff(Permission::ContentReview),
        add_attribute,
    )
    .delete(
        "/api/v1/admin/attributes/{id}",
        Access::Staff(Permission::ContentReview),
        delete_attribute,
    )
}

/// The attributes listings of a category fill in (e.g. 面积, 房间数, 品牌).
#[utoipa::path(get, path = "/api/v1/categories/{slug}/attributes", tag = "catalog", params(("slug" = String, Path)),
    responses((status = 200, body = Vec<AttributeView>), (status = 404, body = ErrorBody)))]
pub async fn attributes(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
) -> ApiResult<Json<Vec<AttributeView>>> {
    Ok(Json(state.app.category_attributes(&slug).await?))
}

/// A new category.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCategory {
    /// Parent slug (absent for a top-level category).
    pub parent: Option<String>,
    /// Slug: lowercase letters, digits and `-`.
    pub slug: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
}

/// New names.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Names {
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
}

/// Add a category (two levels at most).
#[utoipa::path(post, path = "/api/v1/admin/categories", tag = "admin", security(("bearer" = [])), request_body = NewCategory,
    responses((status = 201), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(c): ApiJson<NewCategory>,
) -> ApiResult<StatusCode> {
    state
        .app
        .admin_add_category(&actor, c.parent.as_deref(), &c.slug, &c.name_zh, &c.name_en)
        .await?;
    Ok(StatusCode::CREATED)
}

/// Rename a category.
#[utoipa::path(put, path = "/api/v1/admin/categories/{slug}", tag = "admin", security(("bearer" = [])), params(("slug" = String, Path)), request_body = Names,
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn rename(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(slug): ApiPath<String>,
    ApiJson(n): ApiJson<Names>,
) -> ApiResult<StatusCode> {
    state
        .app
        .admin_rename_category(&actor, &slug, &n.name_zh, &n.name_en)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add an attribute to a category.
#[utoipa::path(post, path = "/api/v1/admin/categories/{slug}/attributes", tag = "admin", security(("bearer" = [])), params(("slug" = String, Path)), request_body = AttributeForm,
    responses((status = 201, body = AttributeView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_attribute(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(slug): ApiPath<String>,
    ApiJson(f): ApiJson<AttributeForm>,
) -> ApiResult<Response> {
    Ok((
        StatusCode::CREATED,
        Json(state.app.admin_add_attribute(&actor, &slug, &f).await?),
    )
        .into_response())
}

/// Remove an attribute.
#[utoipa::path(delete, path = "/api/v1/admin/attributes/{id}", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 204)))]
pub async fn delete_attribute(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    state.app.admin_delete_attribute(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

//! Discovery over the API: category listings, favourites and follows.

use axum::{Json, extract::State, http::StatusCode};
use linli_app::listings::{CategoryPage, ListingView};
use linli_domain::ids::{ListingId, ProviderId};

use crate::{
    AppState,
    access::{Access, Routes},
    error::{ApiResult, ErrorBody},
    extract::{ApiPath, ApiQuery},
    session::CurrentActor,
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get(
        "/api/v1/categories/{slug}/listings",
        Access::Public,
        category,
    )
    .get("/api/v1/me/favourites", Access::Member, favourites)
    .put("/api/v1/me/favourites/{id}", Access::Member, add_favourite)
    .delete(
        "/api/v1/me/favourites/{id}",
        Access::Member,
        remove_favourite,
    )
    .get("/api/v1/me/follows", Access::Member, follows)
    .put("/api/v1/me/follows/{id}", Access::Member, follow)
    .delete("/api/v1/me/follows/{id}", Access::Member, unfollow)
}

/// Page query.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// Page, from 1 (20 per page).
    pub page: Option<i64>,
}

/// Published listings of a category (a top-level category includes its children).
#[utoipa::path(get, path = "/api/v1/categories/{slug}/listings", tag = "catalog", params(("slug" = String, Path), PageQuery),
    responses((status = 200, body = CategoryPage), (status = 404, body = ErrorBody)))]
pub async fn category(
    State(state): State<AppState>,
    ApiPath(slug): ApiPath<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<CategoryPage>> {
    Ok(Json(
        state.app.category_page(&slug, q.page.unwrap_or(1)).await?,
    ))
}

/// The caller's saved services.
#[utoipa::path(get, path = "/api/v1/me/favourites", tag = "me", security(("bearer" = [])), responses((status = 200, body = Vec<ListingView>)))]
pub async fn favourites(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Vec<ListingView>>> {
    Ok(Json(state.app.my_favourites(&actor).await?))
}

/// Save a published service (idempotent).
#[utoipa::path(put, path = "/api/v1/me/favourites/{id}", tag = "me", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn add_favourite(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<ListingId>,
) -> ApiResult<StatusCode> {
    state.app.set_favourite(&actor, id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Remove a saved service (idempotent).
#[utoipa::path(delete, path = "/api/v1/me/favourites/{id}", tag = "me", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 204)))]
pub async fn remove_favourite(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<ListingId>,
) -> ApiResult<StatusCode> {
    state.app.set_favourite(&actor, id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A followed provider.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Followed {
    /// Provider id.
    pub id: String,
    /// Display name.
    pub name: String,
}

/// Providers the caller follows.
#[utoipa::path(get, path = "/api/v1/me/follows", tag = "me", security(("bearer" = [])), responses((status = 200, body = Vec<Followed>)))]
pub async fn follows(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Vec<Followed>>> {
    Ok(Json(
        state
            .app
            .my_follows(&actor)
            .await?
            .into_iter()
            .map(|(id, name)| Followed { id, name })
            .collect(),
    ))
}

/// Follow an approved provider (idempotent).
#[utoipa::path(put, path = "/api/v1/me/follows/{id}", tag = "me", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn follow(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<ProviderId>,
) -> ApiResult<StatusCode> {
    state.app.set_follow(&actor, id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unfollow (idempotent).
#[utoipa::path(delete, path = "/api/v1/me/follows/{id}", tag = "me", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 204)))]
pub async fn unfollow(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<ProviderId>,
) -> ApiResult<StatusCode> {
    state.app.set_follow(&actor, id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

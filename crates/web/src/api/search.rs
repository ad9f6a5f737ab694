//! Service search over the API.

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use linli_app::search::{SearchForm, SearchPage, Suggestions, SynonymGroup};
use linli_domain::permission::Permission;
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
    r.get("/api/v1/search", Access::Public, search)
        .get("/api/v1/search/suggestions", Access::Public, suggestions)
        .delete("/api/v1/me/search-history", Access::Member, clear_history)
        .put(
            "/api/v1/admin/search/pinned",
            Access::Staff(Permission::ContentReview),
            set_pinned,
        )
        .get(
            "/api/v1/admin/search/synonyms",
            Access::Staff(Permission::ContentReview),
            synonyms,
        )
        .post(
            "/api/v1/admin/search/synonyms",
            Access::Staff(Permission::ContentReview),
            add_synonyms,
        )
        .delete(
            "/api/v1/admin/search/synonyms/{id}",
            Access::Staff(Permission::ContentReview),
            delete_synonyms,
        )
}

/// Search published services: Chinese words (segmented with jieba, synonyms applied), filters,
/// facets with counts, sorts and pagination. `title_html` / `snippet_html` are HTML-escaped
/// text with matches in `<em>`.
#[utoipa::path(get, path = "/api/v1/search", tag = "catalog", params(SearchForm),
    responses((status = 200, body = SearchPage), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(f): ApiQuery<SearchForm>,
) -> ApiResult<Json<SearchPage>> {
    Ok(Json(state.app.search(&actor, &f).await?))
}

/// Pinned words, hot words of the last 7 days and (signed in) the caller's history.
#[utoipa::path(get, path = "/api/v1/search/suggestions", tag = "catalog", responses((status = 200, body = Suggestions)))]
pub async fn suggestions(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Suggestions>> {
    Ok(Json(state.app.search_suggestions(&actor).await?))
}

/// Clear the caller's search history.
#[utoipa::path(delete, path = "/api/v1/me/search-history", tag = "me", security(("bearer" = [])), responses((status = 204)))]
pub async fn clear_history(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<StatusCode> {
    state.app.clear_search_history(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A list of words.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Words {
    /// Words (each 1–20 characters).
    pub words: Vec<String>,
}

/// Set the words pinned in the search box (up to 10).
#[utoipa::path(put, path = "/api/v1/admin/search/pinned", tag = "admin", security(("bearer" = [])), request_body = Words,
    responses((status = 200, body = Vec<String>), (status = 422, body = ErrorBody)))]
pub async fn set_pinned(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(w): ApiJson<Words>,
) -> ApiResult<Json<Vec<String>>> {
    Ok(Json(state.app.admin_set_pinned(&actor, &w.words).await?))
}

/// Synonym groups.
#[utoipa::path(get, path = "/api/v1/admin/search/synonyms", tag = "admin", security(("bearer" = [])), responses((status = 200, body = Vec<SynonymGroup>)))]
pub async fn synonyms(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Vec<SynonymGroup>>> {
    Ok(Json(state.app.admin_synonyms(&actor).await?))
}

/// Add a synonym group (applies to searches at once, no reindex needed).
#[utoipa::path(post, path = "/api/v1/admin/search/synonyms", tag = "admin", security(("bearer" = [])), request_body = Words,
    responses((status = 201, body = SynonymGroup), (status = 422, body = ErrorBody)))]
pub async fn add_synonyms(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(w): ApiJson<Words>,
) -> ApiResult<Response> {
    Ok((
        StatusCode::CREATED,
        Json(state.app.admin_add_synonyms(&actor, &w.words).await?),
    )
        .into_response())
}

/// Remove a synonym group.
#[utoipa::path(delete, path = "/api/v1/admin/search/synonyms/{id}", tag = "admin", security(("bearer" = [])), params(("id" = String, Path)), responses((status = 204)))]
pub async fn delete_synonyms(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    state.app.admin_delete_synonyms(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

//! Service search over the API.

use axum::{Json, extract::State};
use linli_app::search::{SearchForm, SearchPage};

use crate::{
    AppState,
    access::{Access, Routes},
    error::{ApiResult, ErrorBody},
    extract::ApiQuery,
    session::CurrentActor,
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/search", Access::Public, search)
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

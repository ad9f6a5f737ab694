//! Service areas over the API, and the coverage check customers see before booking.

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use linli_app::areas::{AreaForm, AreaView, Coverage};
use linli_domain::ids::{AddressId, ListingId};

use crate::{
    AppState,
    access::{Access, Routes},
    error::{ApiResult, ErrorBody},
    extract::{ApiJson, ApiPath, ApiQuery},
    session::CurrentActor,
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/provider/areas", Access::Member, mine)
        .post("/api/v1/provider/areas", Access::Member, add)
        .delete("/api/v1/provider/areas/{id}", Access::Member, delete)
        .get("/api/v1/listings/{id}/coverage", Access::Public, coverage)
}

/// The caller's service areas.
#[utoipa::path(get, path = "/api/v1/provider/areas", tag = "listings", security(("bearer" = [])), responses((status = 200, body = Vec<AreaView>), (status = 409, body = ErrorBody)))]
pub async fn mine(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Vec<AreaView>>> {
    Ok(Json(state.app.my_areas(&actor).await?))
}

/// Add a zone: districts, or a radius (km) around a district's centre, with a surcharge.
#[utoipa::path(post, path = "/api/v1/provider/areas", tag = "listings", security(("bearer" = [])), request_body = AreaForm,
    responses((status = 201, body = AreaView), (status = 422, body = ErrorBody)))]
pub async fn add(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(f): ApiJson<AreaForm>,
) -> ApiResult<Response> {
    Ok((
        StatusCode::CREATED,
        Json(state.app.add_area(&actor, &f).await?),
    )
        .into_response())
}

/// Remove a zone (not the last one).
#[utoipa::path(delete, path = "/api/v1/provider/areas/{id}", tag = "listings", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<StatusCode> {
    state.app.delete_area(&actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Where to check.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct PlaceQuery {
    /// One of the caller's saved addresses.
    pub address: Option<String>,
    /// Or a district code.
    pub district: Option<String>,
}

/// Whether the listing serves an address (or district), and the zone surcharge.
#[utoipa::path(get, path = "/api/v1/listings/{id}/coverage", tag = "listings", params(("id" = String, Path), PlaceQuery),
    responses((status = 200, body = Coverage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn coverage(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<ListingId>,
    ApiQuery(q): ApiQuery<PlaceQuery>,
) -> ApiResult<Json<Coverage>> {
    let address = match q.address.as_deref() {
        Some(a) => Some(a.parse::<AddressId>().map_err(linli_app::AppError::from)?),
        None => None,
    };
    Ok(Json(
        state
            .app
            .coverage(&actor, id, address, q.district.as_deref())
            .await?,
    ))
}

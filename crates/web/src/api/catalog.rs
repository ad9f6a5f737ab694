//! Public reference data: service categories and the districts of the served city.

use axum::{Json, extract::State};
use utoipa::ToSchema;

use crate::{
    AppState,
    access::{Access, Routes},
    error::ApiResult,
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/categories", Access::Public, categories).get(
        "/api/v1/districts",
        Access::Public,
        districts,
    )
}

/// A service category.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct Category {
    /// Id.
    pub id: String,
    /// Parent id (absent for top level).
    pub parent_id: Option<String>,
    /// Stable slug.
    pub slug: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Icon.
    pub icon: String,
}

/// A district with its centre.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct District {
    /// Division code.
    pub code: &'static str,
    /// City.
    pub city: &'static str,
    /// Chinese name.
    pub name: &'static str,
    /// English name.
    pub name_en: &'static str,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lng: f64,
}

/// All categories (two levels).
#[utoipa::path(get, path = "/api/v1/categories", tag = "catalog", responses((status = 200, body = Vec<Category>)))]
pub async fn categories(State(state): State<AppState>) -> ApiResult<Json<Vec<Category>>> {
    let rows = state.app.categories().await?;
    Ok(Json(
        rows.into_iter()
            .map(|c| Category {
                id: c.id,
                parent_id: c.parent_id,
                slug: c.slug,
                name_zh: c.name_zh,
                name_en: c.name_en,
                icon: c.icon,
            })
            .collect(),
    ))
}

/// Districts of the served city.
#[utoipa::path(get, path = "/api/v1/districts", tag = "catalog", responses((status = 200, body = Vec<District>)))]
pub async fn districts() -> Json<Vec<District>> {
    Json(
        linli_domain::district::DISTRICTS
            .iter()
            .map(|d| District {
                code: d.code,
                city: d.city,
                name: d.name,
                name_en: d.name_en,
                lat: d.lat,
                lng: d.lng,
            })
            .collect(),
    )
}

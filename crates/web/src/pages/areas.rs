//! Service areas in the provider console (`/pro/areas`).

use askama::Template;
use axum::{extract::State, response::Response};
use linli_app::areas::{AreaForm, AreaView};
use linli_domain::district::DISTRICTS;

use super::{Page, pro::Choice, redirect_error, redirect_flash, render};
use crate::{
    AppState,
    access::{Access, Routes},
    extract::PageForm,
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/pro/areas", Access::Member, page)
        .post("/pro/areas", Access::Member, add)
        .post("/pro/areas/delete", Access::Member, delete)
}

#[derive(Template)]
#[template(path = "pro_areas.html")]
struct Areas {
    p: Page,
    areas: Vec<AreaView>,
    districts: Vec<Choice>,
}

async fn page(State(state): State<AppState>, p: Page) -> Response {
    match state.app.my_areas(&p.actor()).await {
        Ok(areas) => {
            let districts = DISTRICTS
                .iter()
                .map(|d| Choice {
                    value: d.code.to_owned(),
                    label: (if p.is_en() { d.name_en } else { d.name }).to_owned(),
                    checked: false,
                })
                .collect();
            render(&Areas {
                p,
                areas,
                districts,
            })
        }
        Err(e) => redirect_error(&state, "/pro", &e),
    }
}

/// The form, with repeated `districts` checkboxes read from the raw pairs.
#[derive(serde::Deserialize)]
#[serde(transparent)]
struct RawForm(Vec<(String, String)>);

impl RawForm {
    fn get(&self, k: &str) -> String {
        self.0
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

async fn add(State(state): State<AppState>, p: Page, PageForm(f): PageForm<RawForm>) -> Response {
    let form = AreaForm {
        kind: f.get("kind"),
        districts: f
            .0
            .iter()
            .filter(|(k, _)| k == "districts")
            .map(|(_, v)| v.clone())
            .collect(),
        center: f.get("center"),
        km: f.get("km").trim().parse().unwrap_or(0),
        surcharge: f.get("surcharge"),
    };
    match state.app.add_area(&p.actor(), &form).await {
        Ok(_) => redirect_flash(&state, "/pro/areas", false, "flash.saved"),
        Err(e) => redirect_error(&state, "/pro/areas", &e),
    }
}

async fn delete(
    State(state): State<AppState>,
    p: Page,
    PageForm(f): PageForm<RawForm>,
) -> Response {
    match state.app.delete_area(&p.actor(), &f.get("id")).await {
        Ok(()) => redirect_flash(&state, "/pro/areas", false, "flash.deleted"),
        Err(e) => redirect_error(&state, "/pro/areas", &e),
    }
}

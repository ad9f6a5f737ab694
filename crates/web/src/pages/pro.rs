//! The provider console (`/pro`): apply to become a provider (入驻), follow the review, and
//! once approved see documents, notifications and the public profile link.

use askama::Template;
use axum::{
    extract::{Multipart, Path, Query, State},
    http::{Method, header},
    response::{IntoResponse, Response},
};
use linli_app::{AppError, providers::ApplicationView};
use linli_domain::{district::DISTRICTS, ids::DocumentId};

use super::{Page, redirect_error, redirect_flash, render};
use crate::{
    AppState,
    access::{Access, Routes},
    providers_form::{self, APPLICATION_LIMIT},
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/pro", Access::Member, dashboard)
        .upload(
            Method::POST,
            "/pro/apply",
            Access::Member,
            APPLICATION_LIMIT,
            apply,
        )
        .get("/documents/{id}", Access::Member, document)
}

/// A checkbox option.
pub struct Choice {
    /// Submitted value.
    pub value: String,
    /// Label in the page language.
    pub label: String,
    /// Checked.
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "pro_home.html")]
struct Dashboard {
    p: Page,
    app: Option<ApplicationView>,
    editable: bool,
    categories: Vec<Choice>,
    districts: Vec<Choice>,
    notifications: Vec<(String, String)>,
}

async fn dashboard(State(state): State<AppState>, p: Page) -> Response {
    let actor = p.actor();
    let app = match state.app.my_application(&actor).await {
        Ok(a) => a,
        Err(e) => return redirect_error(&state, "/", &e),
    };
    let editable = app
        .as_ref()
        .is_none_or(|a| a.suspended || matches!(a.status.as_str(), "needs_info" | "rejected"));
    let chosen_cats = app
        .as_ref()
        .map(|a| a.categories.clone())
        .unwrap_or_default();
    let chosen_districts = app
        .as_ref()
        .map(|a| a.districts.clone())
        .unwrap_or_default();
    let categories = state
        .app
        .categories()
        .await
        .unwrap_or_default()
        .into_iter()
        .filter(|c| c.parent_id.is_none())
        .map(|c| Choice {
            checked: chosen_cats.contains(&c.slug),
            label: if p.is_en() { c.name_en } else { c.name_zh },
            value: c.slug,
        })
        .collect();
    let districts = DISTRICTS
        .iter()
        .map(|d| Choice {
            value: d.code.to_owned(),
            label: (if p.is_en() { d.name_en } else { d.name }).to_owned(),
            checked: chosen_districts.iter().any(|c| c == d.code),
        })
        .collect();
    let notifications = state.app.my_notifications(&actor).await.unwrap_or_default();
    render(&Dashboard {
        p,
        app,
        editable,
        categories,
        districts,
        notifications,
    })
}

async fn apply(
    State(state): State<AppState>,
    p: Page,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let Ok(form) = form else {
        return redirect_error(&state, "/pro", &AppError::BadUpload("not a file upload"));
    };
    let (fields, uploads) = match providers_form::read(form).await {
        Ok(v) => v,
        Err(e) => return redirect_error(&state, "/pro", &e),
    };
    match state
        .app
        .submit_application(&p.actor(), &fields, uploads)
        .await
    {
        Ok(_) => redirect_flash(&state, "/pro", false, "flash.application_submitted"),
        Err(e) => redirect_error(&state, "/pro", &e),
    }
}

#[derive(serde::Deserialize)]
struct DocQuery {
    thumb: Option<String>,
}

async fn document(
    State(state): State<AppState>,
    p: Page,
    Path(id): Path<String>,
    Query(q): Query<DocQuery>,
) -> Response {
    let Ok(id) = id.parse::<DocumentId>() else {
        return super::errors::page_with(p, axum::http::StatusCode::NOT_FOUND);
    };
    match state
        .app
        .document_image(&p.actor(), id, q.thumb.is_some())
        .await
    {
        // Private: never cached by shared caches.
        Ok((bytes, mime)) => (
            [
                (header::CONTENT_TYPE, mime),
                (header::CACHE_CONTROL, "private, no-store"),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => super::errors::page_with(p, axum::http::StatusCode::NOT_FOUND),
    }
}

//! The search page (`/search`): words, filters, facets with counts, sorts, pagination and
//! highlighted matches; signed-in customers can limit results to services covering an address.

use askama::Template;
use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::Response,
};
use linli_app::{
    profile::AddressView,
    search::{SearchForm, SearchPage},
};

use super::{Page, render};
use crate::{
    AppState,
    access::{Access, Routes},
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/search", Access::Public, search)
        .post("/search/history/clear", Access::Member, clear_history)
        .get(
            "/admin/search",
            Access::Staff(linli_domain::permission::Permission::ContentReview),
            admin,
        )
        .post(
            "/admin/search/pinned",
            Access::Staff(linli_domain::permission::Permission::ContentReview),
            set_pinned,
        )
        .post(
            "/admin/search/synonyms",
            Access::Staff(linli_domain::permission::Permission::ContentReview),
            add_synonyms,
        )
        .post(
            "/admin/search/synonyms/delete",
            Access::Staff(linli_domain::permission::Permission::ContentReview),
            delete_synonyms,
        )
}

#[derive(Template)]
#[template(path = "search.html")]
struct Search {
    p: Page,
    f: SearchForm,
    r: Option<SearchPage>,
    error: Option<String>,
    addresses: Vec<AddressView>,
    sorts: Vec<&'static str>,
    suggestions: Option<linli_app::search::Suggestions>,
}

impl Search {
    /// The query string for the same search with one parameter changed (facet links, pages).
    fn link(&self, key: &str, value: impl std::fmt::Display) -> String {
        let value = value.to_string();
        let f = &self.f;
        let mut pairs: Vec<(&str, String)> = vec![
            ("q", f.q.clone()),
            ("category", f.category.clone().unwrap_or_default()),
            ("district", f.district.clone().unwrap_or_default()),
            ("sort", f.sort.clone().unwrap_or_default()),
            ("address", f.address.clone().unwrap_or_default()),
        ];
        if let Some(v) = f.price_min {
            pairs.push(("price_min", v.to_string()));
        }
        if let Some(v) = f.price_max {
            pairs.push(("price_max", v.to_string()));
        }
        for p in &mut pairs {
            if p.0 == key {
                p.1 = value.clone();
            }
        }
        if !pairs.iter().any(|p| p.0 == key) {
            pairs.push((key, value));
        }
        let q: Vec<String> = pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| format!("{k}={}", super::urlencode(v)))
            .collect();
        format!("/search?{}", q.join("&"))
    }
}

async fn search(
    State(state): State<AppState>,
    p: Page,
    q: Result<Query<SearchForm>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let actor = p.actor();
    let addresses = if p.signed_in() {
        state.app.addresses(&actor).await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let sorts = vec![
        "relevance",
        "distance",
        "rating",
        "price_asc",
        "price_desc",
        "sales",
    ];
    let Ok(Query(mut f)) = q else {
        let mut res = render(&Search {
            error: Some(p.t("err.invalid_value").to_owned()),
            p,
            f: SearchForm::default(),
            r: None,
            addresses,
            sorts,
            suggestions: None,
        });
        *res.status_mut() = StatusCode::BAD_REQUEST;
        return res;
    };
    // Nearest-first needs a point: without a chosen address, use the default one.
    if f.sort.as_deref() == Some("distance") && f.address.as_deref().is_none_or(str::is_empty) {
        f.address = addresses.first().map(|a| a.id.clone());
    }
    let (r, error) = match state.app.search(&actor, &f).await {
        Ok(r) => (Some(r), None),
        Err(e) => (None, Some(p.error_text(&e))),
    };
    // Before anything is typed: pinned words, hot words and the caller's history.
    let suggestions = if f.q.trim().is_empty() {
        state.app.search_suggestions(&actor).await.ok()
    } else {
        None
    };
    render(&Search {
        p,
        f,
        r,
        error,
        addresses,
        sorts,
        suggestions,
    })
}

async fn clear_history(State(state): State<AppState>, p: Page) -> Response {
    match state.app.clear_search_history(&p.actor()).await {
        Ok(()) => super::redirect_flash(&state, "/search", false, "flash.deleted"),
        Err(e) => super::redirect_error(&state, "/search", &e),
    }
}

#[derive(Template)]
#[template(path = "admin_search.html")]
struct Admin {
    p: Page,
    pinned: String,
    hot: Vec<String>,
    synonyms: Vec<linli_app::search::SynonymGroup>,
}

async fn admin(State(state): State<AppState>, p: Page) -> Response {
    let actor = p.actor();
    let synonyms = match state.app.admin_synonyms(&actor).await {
        Ok(s) => s,
        Err(e) => return super::redirect_error(&state, "/admin", &e),
    };
    let sug = state.app.search_suggestions(&actor).await.ok();
    let (pinned, hot) = sug
        .map(|s| (s.pinned.join("，"), s.hot))
        .unwrap_or_default();
    render(&Admin {
        p,
        pinned,
        hot,
        synonyms,
    })
}

#[derive(serde::Deserialize)]
struct WordsForm {
    #[serde(default)]
    words: String,
    #[serde(default)]
    id: String,
}

async fn set_pinned(
    State(state): State<AppState>,
    p: Page,
    crate::extract::PageForm(f): crate::extract::PageForm<WordsForm>,
) -> Response {
    match state.app.admin_set_pinned(&p.actor(), &[f.words]).await {
        Ok(_) => super::redirect_flash(&state, "/admin/search", false, "flash.saved"),
        Err(e) => super::redirect_error(&state, "/admin/search", &e),
    }
}

async fn add_synonyms(
    State(state): State<AppState>,
    p: Page,
    crate::extract::PageForm(f): crate::extract::PageForm<WordsForm>,
) -> Response {
    match state.app.admin_add_synonyms(&p.actor(), &[f.words]).await {
        Ok(_) => super::redirect_flash(&state, "/admin/search", false, "flash.saved"),
        Err(e) => super::redirect_error(&state, "/admin/search", &e),
    }
}

async fn delete_synonyms(
    State(state): State<AppState>,
    p: Page,
    crate::extract::PageForm(f): crate::extract::PageForm<WordsForm>,
) -> Response {
    match state.app.admin_delete_synonyms(&p.actor(), &f.id).await {
        Ok(()) => super::redirect_flash(&state, "/admin/search", false, "flash.deleted"),
        Err(e) => super::redirect_error(&state, "/admin/search", &e),
    }
}

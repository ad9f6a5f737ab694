//! The customer home page, the bottom-tab sections and the language switch.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    response::{Redirect, Response},
};
use linli_store::CategoryRow;

use super::{Page, local_next, render, with_cookie};
use crate::{
    AppState,
    access::{Access, Routes},
    i18n::Lang,
    session::{LANG_COOKIE, set_cookie},
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/", Access::Public, home)
        .get("/lang/{code}", Access::Public, switch_lang)
}

/// A top-level category with its children, in the page language.
pub struct CategoryCard {
    /// Slug.
    pub slug: String,
    /// Name.
    pub name: String,
    /// Icon.
    pub icon: String,
    /// Child names.
    pub children: Vec<String>,
}

/// Groups categories for display.
pub fn category_cards(rows: &[CategoryRow], lang: Lang) -> Vec<CategoryCard> {
    let name = |c: &CategoryRow| {
        if lang == Lang::En {
            c.name_en.clone()
        } else {
            c.name_zh.clone()
        }
    };
    rows.iter()
        .filter(|c| c.parent_id.is_none())
        .map(|top| CategoryCard {
            slug: top.slug.clone(),
            name: name(top),
            icon: top.icon.clone(),
            children: rows
                .iter()
                .filter(|c| c.parent_id.as_deref() == Some(top.id.as_str()))
                .map(name)
                .collect(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "home.html")]
struct Home {
    p: Page,
    categories: Vec<CategoryCard>,
    listings: Vec<linli_app::listings::ListingView>,
}

async fn home(State(state): State<AppState>, p: Page) -> Response {
    let rows = state.app.categories().await.unwrap_or_default();
    let categories = category_cards(&rows, p.lang);
    let listings = state.app.popular_listings(8).await.unwrap_or_default();
    render(&Home {
        p,
        categories,
        listings,
    })
}

#[derive(serde::Deserialize)]
struct NextQuery {
    next: Option<String>,
}

async fn switch_lang(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<NextQuery>,
) -> Response {
    let lang = Lang::from_code(&code);
    let to = local_next(q.next.as_deref());
    with_cookie(
        axum::response::IntoResponse::into_response(Redirect::to(&to)),
        set_cookie(
            LANG_COOKIE,
            lang.code(),
            365 * 86_400,
            false,
            state.web.secure_cookies,
        ),
    )
}

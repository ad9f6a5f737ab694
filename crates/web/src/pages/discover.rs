//! Discovery pages for customers: category pages, favourites (收藏) and follows (关注).

use askama::Template;
use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::Response,
};
use linli_app::listings::{CategoryPage, ListingView};
use linli_domain::ids::{ListingId, ProviderId};

use super::{Page, redirect_error, redirect_flash, render};
use crate::{
    AppState,
    access::{Access, Routes},
    extract::{PageForm, PagePath},
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/categories/{slug}", Access::Public, category)
        .post("/services/{id}/favourite", Access::Member, favourite)
        .post("/providers/{id}/follow", Access::Member, follow)
        .get("/me/favourites", Access::Member, favourites)
        .get("/me/follows", Access::Member, follows)
}

#[derive(serde::Deserialize, Default)]
struct PageQuery {
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "category.html")]
struct Category {
    p: Page,
    c: CategoryPage,
    page: i64,
    pages: i64,
}

async fn category(
    State(state): State<AppState>,
    p: Page,
    axum::extract::Path(slug): axum::extract::Path<String>,
    Query(q): Query<PageQuery>,
) -> Response {
    let page = q.page.unwrap_or(1).max(1);
    match state.app.category_page(&slug, page).await {
        Ok(c) => {
            let pages = ((c.total + 19) / 20).max(1);
            render(&Category { p, c, page, pages })
        }
        Err(_) => super::errors::page_with(p, StatusCode::NOT_FOUND),
    }
}

#[derive(serde::Deserialize)]
struct Toggle {
    on: String,
}

async fn favourite(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<ListingId>,
    PageForm(f): PageForm<Toggle>,
) -> Response {
    let back = format!("/services/{id}");
    match state.app.set_favourite(&p.actor(), id, f.on == "1").await {
        Ok(true) => redirect_flash(&state, &back, false, "flash.favourited"),
        Ok(false) => redirect_flash(&state, &back, false, "flash.unfavourited"),
        Err(e) => redirect_error(&state, &back, &e),
    }
}

async fn follow(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<ProviderId>,
    PageForm(f): PageForm<Toggle>,
) -> Response {
    let back = format!("/providers/{id}");
    match state.app.set_follow(&p.actor(), id, f.on == "1").await {
        Ok((true, _)) => redirect_flash(&state, &back, false, "flash.followed"),
        Ok((false, _)) => redirect_flash(&state, &back, false, "flash.unfollowed"),
        Err(e) => redirect_error(&state, &back, &e),
    }
}

#[derive(Template)]
#[template(path = "favourites.html")]
struct Favourites {
    p: Page,
    listings: Vec<ListingView>,
}

async fn favourites(State(state): State<AppState>, p: Page) -> Response {
    match state.app.my_favourites(&p.actor()).await {
        Ok(listings) => render(&Favourites { p, listings }),
        Err(e) => redirect_error(&state, "/me", &e),
    }
}

#[derive(Template)]
#[template(path = "follows.html")]
struct Follows {
    p: Page,
    providers: Vec<(String, String)>,
}

async fn follows(State(state): State<AppState>, p: Page) -> Response {
    match state.app.my_follows(&p.actor()).await {
        Ok(providers) => render(&Follows { p, providers }),
        Err(e) => redirect_error(&state, "/me", &e),
    }
}

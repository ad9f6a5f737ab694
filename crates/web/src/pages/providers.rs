//! The public provider profile page (`/providers/{id}`).

use askama::Template;
use axum::{
    extract::{Query, State},
    http::StatusCode,
    response::Response,
};
use linli_app::providers::ProviderProfile;
use linli_domain::ids::ProviderId;

use super::{Page, render};
use crate::{
    AppState,
    access::{Access, Routes},
    extract::PagePath,
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/providers/{id}", Access::Public, profile)
}

#[derive(Template)]
#[template(path = "provider.html")]
struct Profile {
    p: Page,
    pr: ProviderProfile,
    services: Vec<linli_app::listings::ListingView>,
    following: bool,
    followers: i64,
    rl: super::reviews::ReviewList,
}

async fn profile(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<ProviderId>,
    Query(rq): Query<super::reviews::ReviewParams>,
) -> Response {
    let rq = rq.query();
    match state.app.provider_profile(id).await {
        Ok(pr) => {
            let services = state.app.provider_listings(id).await.unwrap_or_default();
            let (following, followers) = state
                .app
                .follow_state(&p.actor(), id)
                .await
                .unwrap_or((false, 0));
            let Ok(rv) = state.app.provider_reviews(id, &rq).await else {
                return super::errors::page_with(p, StatusCode::NOT_FOUND);
            };
            let rl = super::reviews::ReviewList::new(rv, format!("/providers/{id}"), &rq);
            render(&Profile {
                p,
                pr,
                services,
                following,
                followers,
                rl,
            })
        }
        Err(_) => super::errors::page_with(p, StatusCode::NOT_FOUND),
    }
}

//! The provider review queue in the admin console (入驻审核).

use askama::Template;
use axum::{
    extract::{Query, State},
    response::Response,
};
use linli_app::providers::{ApplicationView, RevealedIdentity};
use linli_domain::{ids::ProviderId, permission::Permission, provider::ReviewAction};

use super::{Page, redirect_error, redirect_flash, render};
use crate::{
    AppState,
    access::{Access, Routes},
    extract::{PageForm, PagePath},
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get(
        "/admin/providers",
        Access::Staff(Permission::ProvidersReview),
        queue,
    )
    .get(
        "/admin/providers/{id}",
        Access::Staff(Permission::ProvidersReview),
        detail,
    )
    .post(
        "/admin/providers/{id}/review",
        Access::Staff(Permission::ProvidersReview),
        review,
    )
    .post(
        "/admin/providers/{id}/reveal",
        Access::Staff(Permission::IdentityReveal),
        reveal,
    )
}

#[derive(serde::Deserialize, Default)]
struct QueueQuery {
    status: Option<String>,
    page: Option<i64>,
}

#[derive(Template)]
#[template(path = "admin_providers.html")]
struct Queue {
    p: Page,
    items: Vec<ApplicationView>,
    status: String,
    total: i64,
}

async fn queue(State(state): State<AppState>, p: Page, Query(q): Query<QueueQuery>) -> Response {
    let status = q.status.unwrap_or_else(|| "pending".into());
    let filter = (status != "all").then_some(status.as_str());
    match state
        .app
        .admin_applications(&p.actor(), filter, q.page.unwrap_or(1))
        .await
    {
        Ok((items, total)) => render(&Queue {
            p,
            items,
            status,
            total,
        }),
        Err(e) => redirect_error(&state, "/admin", &e),
    }
}

#[derive(Template)]
#[template(path = "admin_provider.html")]
struct Detail {
    p: Page,
    a: ApplicationView,
    audit: Vec<(String, String)>,
    identity: Option<RevealedIdentity>,
}

async fn show(
    state: &AppState,
    p: Page,
    id: ProviderId,
    identity: Option<RevealedIdentity>,
) -> Response {
    let actor = p.actor();
    match state.app.admin_application(&actor, id).await {
        Ok(a) => {
            let audit = state
                .app
                .admin_provider_audit(&actor, id)
                .await
                .unwrap_or_default();
            render(&Detail {
                p,
                a,
                audit,
                identity,
            })
        }
        Err(_) => super::errors::page_with(p, axum::http::StatusCode::NOT_FOUND),
    }
}

async fn detail(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<ProviderId>,
) -> Response {
    show(&state, p, id, None).await
}

#[derive(serde::Deserialize)]
struct ReviewForm {
    action: String,
    #[serde(default)]
    note: String,
}

async fn review(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<ProviderId>,
    PageForm(f): PageForm<ReviewForm>,
) -> Response {
    let back = format!("/admin/providers/{id}");
    let action = match ReviewAction::parse_decision(&f.action) {
        Ok(a) => a,
        Err(e) => return redirect_error(&state, &back, &e.into()),
    };
    match state
        .app
        .admin_review(&p.actor(), id, action, Some(&f.note))
        .await
    {
        Ok(_) => redirect_flash(&state, &back, false, "flash.saved"),
        Err(e) => redirect_error(&state, &back, &e),
    }
}

async fn reveal(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<ProviderId>,
) -> Response {
    match state.app.admin_reveal_identity(&p.actor(), id).await {
        // Shown once in this response; never stored in a cookie or URL.
        Ok(identity) => show(&state, p, id, Some(identity)).await,
        Err(e) => redirect_error(&state, &format!("/admin/providers/{id}"), &e),
    }
}

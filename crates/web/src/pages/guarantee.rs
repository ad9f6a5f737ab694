//! 先行赔付 pages: the customer's claim form on a completed order (`POST
//! /orders/{id}/guarantee`; the panel itself is part of the order page), and the operators'
//! queue at `/admin/guarantee` with the fund's balance, where a claim is approved with an
//! amount or rejected with a note. Both forms carry a one-time token.

use askama::Template;
use axum::{
    extract::{Query, State, rejection::QueryRejection},
    response::Response,
};
use linli_app::guarantee::{GuaranteeClaimForm, GuaranteeClaimView, GuaranteeDecisionForm};
use linli_domain::{
    ids::{GuaranteeClaimId, OrderId},
    money::Money,
    permission::Permission,
};

use super::{
    Page,
    once::{once, once_token},
    redirect_error, redirect_flash, render, urlencode,
};
use crate::{
    AppState,
    access::{Access, Routes},
    extract::{PageForm, PagePath},
};

const FINANCE: Access = Access::Staff(Permission::FinanceManage);

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.post("/orders/{id}/guarantee", Access::Member, file)
        .get("/admin/guarantee", FINANCE, queue)
        .post("/admin/guarantee/{id}/decision", FINANCE, decide)
}

/// The claim form as posted.
#[derive(Debug, Default, serde::Deserialize)]
struct ClaimFields {
    #[serde(default, rename = "_once")]
    once: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    amount: String,
}

async fn file(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<OrderId>,
    PageForm(f): PageForm<ClaimFields>,
) -> Response {
    let back = format!("/orders/{id}");
    let run = || async {
        let form = GuaranteeClaimForm {
            kind: f.kind.clone(),
            description: f.description.clone(),
            amount: f.amount.clone(),
        };
        match state.app.file_guarantee_claim(&p.actor(), id, &form).await {
            Ok(_) => redirect_flash(&state, &back, false, "guarantee.flash_filed"),
            Err(e) => redirect_error(&state, &back, &e),
        }
    };
    once(
        &state,
        &p,
        &f.once,
        &format!("guarantee-claim:{id}"),
        &back,
        run,
    )
    .await
}

#[derive(Template)]
#[template(path = "admin_guarantee.html")]
struct Queue {
    p: Page,
    status: String,
    items: Vec<GuaranteeClaimView>,
    fund: String,
    once: String,
}

impl Queue {
    /// The claimed amount as the approve field's starting value (`120.50`).
    fn claimed_yuan(&self, c: &GuaranteeClaimView) -> String {
        Money::from_fen(c.claimed_fen).yuan_string()
    }
}

#[derive(Debug, Default, serde::Deserialize)]
struct QueueParams {
    #[serde(default)]
    status: Option<String>,
}

async fn queue(
    State(state): State<AppState>,
    p: Page,
    q: Result<Query<QueueParams>, QueryRejection>,
) -> Response {
    let status = q
        .ok()
        .and_then(|q| q.0.status)
        .unwrap_or_else(|| "open".to_owned());
    let actor = p.actor();
    let items = match state.app.guarantee_queue_views(&actor, &status).await {
        Ok(items) => items,
        Err(e) => return redirect_error(&state, "/admin/guarantee", &e),
    };
    let fund = match state.app.guarantee_fund_fen(&actor).await {
        Ok(f) => format!("¥{}", Money::from_fen(f).yuan_string()),
        Err(e) => return redirect_error(&state, "/admin", &e),
    };
    render(&Queue {
        p,
        status,
        items,
        fund,
        once: once_token(),
    })
}

/// The decision form as posted.
#[derive(Debug, Default, serde::Deserialize)]
struct DecisionFields {
    #[serde(default, rename = "_once")]
    once: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    note: String,
    /// The queue tab to return to.
    #[serde(default)]
    status: String,
}

async fn decide(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<GuaranteeClaimId>,
    PageForm(f): PageForm<DecisionFields>,
) -> Response {
    let back = format!("/admin/guarantee?status={}", urlencode(&f.status));
    let run = || async {
        let form = GuaranteeDecisionForm {
            decision: f.decision.clone(),
            amount: f.amount.clone(),
            note: f.note.clone(),
        };
        match state
            .app
            .decide_guarantee_claim(&p.actor(), id, &form)
            .await
        {
            Ok(c) => redirect_flash(
                &state,
                &back,
                false,
                &format!("guarantee.flash_{}", c.status),
            ),
            Err(e) => redirect_error(&state, &back, &e),
        }
    };
    once(&state, &p, &f.once, &format!("guarantee:{id}"), &back, run).await
}

//! Deposit pages (保证金): the provider's `/pro/deposit` (required vs held, the categories that
//! ask for it, payments, and 缴纳保证金 which goes to the payment provider's cashier), and the
//! operators' deposit field on `/admin/categories`.

use askama::Template;
use axum::{
    extract::State,
    http::HeaderMap,
    response::{IntoResponse, Redirect, Response},
};
use linli_app::{deposits::DepositView, money::PayStart};
use linli_domain::permission::Permission;

use super::{
    Page,
    once::{once, once_token},
    redirect_error, redirect_flash, render,
};
use crate::{
    AppState,
    access::{Access, Routes},
    extract::PageForm,
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/pro/deposit", Access::Member, page)
        .post("/pro/deposit/pay", Access::Member, pay)
        .post(
            "/admin/categories/deposit",
            Access::Staff(Permission::ContentReview),
            set_category,
        )
}

#[derive(Template)]
#[template(path = "pro_deposit.html")]
struct DepositPage {
    p: Page,
    d: DepositView,
    once: String,
    /// The cashier to go to when it is on another site (a form may not redirect there).
    cashier: Option<PayStart>,
}

async fn page(State(state): State<AppState>, p: Page) -> Response {
    match state.app.deposit(&p.actor()).await {
        Ok(d) => render(&DepositPage {
            p,
            d,
            once: once_token(),
            cashier: None,
        }),
        Err(e) => redirect_error(&state, "/pro", &e),
    }
}

#[derive(Debug, Default, serde::Deserialize)]
struct PayFields {
    #[serde(default, rename = "_once")]
    once: String,
}

async fn pay(
    State(state): State<AppState>,
    p: Page,
    headers: HeaderMap,
    PageForm(f): PageForm<PayFields>,
) -> Response {
    let back = "/pro/deposit";
    if state.app.payments.is_none() {
        return redirect_flash(&state, back, true, "err.payments_unavailable");
    }
    let run = || async {
        match state.app.pay_deposit(&p.actor()).await {
            Ok(start) if super::orders::same_site(&headers, &start.cashier_url) => {
                Redirect::to(&start.cashier_url).into_response()
            }
            Ok(start) => match state.app.deposit(&p.actor()).await {
                Ok(d) => render(&DepositPage {
                    p: p.clone(),
                    d,
                    once: once_token(),
                    cashier: Some(start),
                }),
                Err(e) => redirect_error(&state, back, &e),
            },
            Err(e) => redirect_error(&state, back, &e),
        }
    };
    once(&state, &p, &f.once, "deposit-pay", back, run).await
}

#[derive(Debug, Default, serde::Deserialize)]
struct CategoryDeposit {
    #[serde(default)]
    slug: String,
    #[serde(default)]
    deposit: String,
}

async fn set_category(
    State(state): State<AppState>,
    p: Page,
    PageForm(f): PageForm<CategoryDeposit>,
) -> Response {
    let back = "/admin/categories";
    match state
        .app
        .set_category_deposit(&p.actor(), &f.slug, &f.deposit)
        .await
    {
        Ok(()) => redirect_flash(&state, back, false, "flash.saved"),
        Err(e) => redirect_error(&state, back, &e),
    }
}

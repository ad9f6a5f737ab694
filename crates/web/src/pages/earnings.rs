//! The provider's earnings page (`/pro/earnings`, 收益提现): the four balances, the payout
//! account, the withdrawal form, the entries and withdrawals behind the balances, and charts of
//! the last 30 days (orders and income per day, top services) drawn as inline SVG.

use askama::Template;
use axum::{extract::State, response::Response};
use linli_app::{
    AppError,
    dashboard::ProviderDashboard,
    money::{Earnings, PayoutAccountForm, WithdrawForm},
};
use linli_domain::money::Money;
use linli_store::IdempotencyClaim;

use super::{Page, redirect_error, redirect_flash, render};
use crate::{
    AppState,
    access::{Access, Routes},
    extract::PageForm,
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/pro/earnings", Access::Member, page)
        .post("/pro/earnings/account", Access::Member, save_account)
        .post("/pro/earnings/withdraw", Access::Member, withdraw)
}

const HERE: &str = "/pro/earnings";

/// `¥x.xx` from 分 (with a minus sign when negative).
fn yuan(fen: i64) -> String {
    format!("¥{}", Money::from_fen(fen).yuan_string())
}

/// `+¥x.xx` / `-¥x.xx`.
fn signed_yuan(fen: i64) -> String {
    if fen < 0 {
        format!("-{}", yuan(-fen))
    } else {
        format!("+{}", yuan(fen))
    }
}

/// One bar of a column chart, in SVG user units.
pub struct Column {
    x: i64,
    y: i64,
    w: i64,
    h: i64,
    /// Centre (for the label).
    mid: i64,
    /// Axis label (every few days), empty otherwise.
    label: String,
    /// Hover text.
    tip: String,
}

/// A day-by-day column chart.
pub struct Columns {
    bars: Vec<Column>,
    /// Top of the scale, as text.
    max: String,
}

// Small user units so the text stays readable when a phone scales the chart down.
const CHART_W: i64 = 360;
const PLOT_TOP: i64 = 16;
const PLOT_H: i64 = 96;

fn columns(points: &[(String, i64)], text: impl Fn(i64) -> String) -> Columns {
    let n = i64::try_from(points.len()).unwrap_or(1).max(1);
    let max = points.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let slot = CHART_W / n;
    let bars = points
        .iter()
        .enumerate()
        .map(|(i, (date, v))| {
            let i = i64::try_from(i).unwrap_or(0);
            let v = (*v).max(0);
            let h = v * PLOT_H / max;
            let day = date.get(5..).unwrap_or(date).to_owned();
            Column {
                x: i * slot + 2,
                y: PLOT_TOP + PLOT_H - h,
                w: (slot - 4).max(1),
                mid: i * slot + slot / 2,
                h,
                // A label every fifth day, counted from the last (today).
                label: if (n - 1 - i) % 5 == 0 {
                    day.clone()
                } else {
                    String::new()
                },
                tip: format!("{day} {}", text(v)),
            }
        })
        .collect();
    Columns {
        bars,
        max: text(max),
    }
}

/// One row of a horizontal ranking chart.
pub struct Row {
    y: i64,
    w: i64,
    title: String,
    value: String,
}

fn ranking(items: Vec<(String, i64)>, text: impl Fn(i64) -> String) -> Vec<Row> {
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    items
        .into_iter()
        .enumerate()
        .map(|(i, (title, v))| {
            let title: String = if title.chars().count() > 8 {
                format!("{}…", title.chars().take(7).collect::<String>())
            } else {
                title
            };
            Row {
                y: i64::try_from(i).unwrap_or(0) * 26,
                w: (v.max(0) * 170 / max).max(2),
                title,
                value: text(v),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "pro_earnings.html")]
struct EarningsPage {
    p: Page,
    e: Earnings,
    d: ProviderDashboard,
    pending: String,
    available: String,
    withdrawing: String,
    withdrawn: String,
    /// The available balance in yuan, prefilled in the withdrawal form.
    available_yuan: String,
    /// `(time, label, memo, change, positive)`.
    entries: Vec<(String, String, String, String, bool)>,
    orders_chart: Columns,
    income_chart: Columns,
    top_orders: Vec<Row>,
    top_income: Vec<Row>,
    /// A fresh key that makes the withdrawal form safe to submit twice.
    form_key: String,
}

async fn page(State(state): State<AppState>, p: Page) -> Response {
    let actor = p.actor();
    let e = match state.app.earnings(&actor).await {
        Ok(e) => e,
        Err(err) => return redirect_error(&state, "/pro", &err),
    };
    let d = match state.app.provider_dashboard(&actor).await {
        Ok(d) => d,
        Err(err) => return redirect_error(&state, "/pro", &err),
    };
    let orders_unit = p.t("earnings.orders_unit").to_owned();
    let orders_chart = columns(
        &d.days
            .iter()
            .map(|x| (x.date.clone(), x.orders))
            .collect::<Vec<_>>(),
        |v| format!("{v}{orders_unit}"),
    );
    let income_chart = columns(
        &d.days
            .iter()
            .map(|x| (x.date.clone(), x.income_fen))
            .collect::<Vec<_>>(),
        yuan,
    );
    let top_orders = ranking(
        d.top_by_orders
            .iter()
            .map(|s| (s.title.clone(), s.orders))
            .collect(),
        |v| format!("{v}{orders_unit}"),
    );
    let top_income = ranking(
        d.top_by_income
            .iter()
            .map(|s| (s.title.clone(), s.income_fen))
            .collect(),
        yuan,
    );
    let entries = e
        .entries
        .iter()
        .map(|x| {
            (
                x.at.clone(),
                x.label.clone(),
                x.memo.clone(),
                signed_yuan(x.change_fen),
                x.change_fen >= 0,
            )
        })
        .collect();
    render(&EarningsPage {
        pending: yuan(e.pending_fen),
        available: yuan(e.available_fen),
        withdrawing: yuan(e.withdrawing_fen),
        withdrawn: yuan(e.withdrawn_fen),
        available_yuan: Money::from_fen(e.available_fen.max(0)).yuan_string(),
        entries,
        orders_chart,
        income_chart,
        top_orders,
        top_income,
        form_key: linli_app::crypto::new_token().unwrap_or_default(),
        p,
        e,
        d,
    })
}

/// Raw form pairs.
type Pairs = Vec<(String, String)>;

fn field<'a>(f: &'a Pairs, key: &str) -> &'a str {
    f.iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

async fn save_account(
    State(state): State<AppState>,
    p: Page,
    PageForm(f): PageForm<Pairs>,
) -> Response {
    let form = PayoutAccountForm {
        kind: field(&f, "kind").to_owned(),
        account_no: field(&f, "account_no").to_owned(),
        holder_name: field(&f, "holder_name").to_owned(),
    };
    match state.app.save_payout_account(&p.actor(), &form).await {
        Ok(()) => redirect_flash(&state, HERE, false, "flash.payout_account_saved"),
        Err(AppError::Invalid(linli_domain::DomainError::Invalid(_))) => {
            redirect_flash(&state, HERE, true, "err.payout_account_invalid")
        }
        Err(e) => redirect_error(&state, HERE, &e),
    }
}

async fn withdraw(
    State(state): State<AppState>,
    p: Page,
    PageForm(f): PageForm<Pairs>,
) -> Response {
    let actor = p.actor();
    let Ok(member) = actor.member() else {
        return redirect_error(&state, HERE, &AppError::Unauthenticated);
    };
    let amount = field(&f, "amount").trim().to_owned();
    match Money::parse_yuan(&amount) {
        Ok(m) if m.fen() < state.app.config.money.withdraw_min_fen => {
            return redirect_flash(&state, HERE, true, "err.withdraw_below_min");
        }
        Ok(_) => {}
        Err(_) => return redirect_flash(&state, HERE, true, "err.invalid_price"),
    }
    // The form's key makes a double submit (or a reload of the POST) one withdrawal.
    let key = field(&f, "form_key");
    let key = if (16..=100).contains(&key.len())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        format!("page-withdraw:{key}")
    } else {
        return redirect_flash(&state, HERE, true, "err.csrf");
    };
    let hash = linli_app::crypto::token_hash(&amount);
    match state
        .app
        .store
        .claim_idempotency(member.id, &key, &hash, state.app.now())
        .await
    {
        Ok(IdempotencyClaim::New) => {}
        // Already requested (or being requested) by this very form.
        Ok(IdempotencyClaim::Replay { .. } | IdempotencyClaim::InProgress) => {
            return redirect_flash(&state, HERE, false, "flash.withdrawal_requested");
        }
        Ok(IdempotencyClaim::Mismatch) => return redirect_flash(&state, HERE, true, "err.generic"),
        Err(e) => return redirect_error(&state, HERE, &e.into()),
    }
    let result = state
        .app
        .request_withdrawal(&actor, &WithdrawForm { amount })
        .await;
    // Only a success is kept; after a refusal the same form may be sent again.
    let kept = result.as_ref().ok().map(|_| (303, "requested"));
    let _ = state
        .app
        .store
        .finish_idempotency(member.id, &key, kept)
        .await;
    match result {
        Ok(_) => redirect_flash(&state, HERE, false, "flash.withdrawal_requested"),
        Err(e) => redirect_error(&state, HERE, &e),
    }
}

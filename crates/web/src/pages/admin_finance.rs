//! The finance section of the admin console (财务): trial balance with a chart of balances by
//! account type, order and account ledgers with the admin refund form, the withdrawal queue,
//! commission rules with their audit trail, and reconciliation reports. Every route requires
//! `finance.manage`; money-moving forms carry a one-time token so a resubmitted form (double
//! click, back and submit) does not move money twice.

use askama::Template;
use axum::{
    extract::{Query, State, rejection::QueryRejection},
    http::StatusCode,
    response::{IntoResponse, Redirect, Response},
};
use linli_app::{
    AppError,
    money::{
        AdminRefundForm, BalanceLine, EntryView, ReconciliationView, RuleForm, WithdrawalView,
    },
};
use linli_domain::{
    DomainError,
    ids::{OrderId, ProviderId, WithdrawalId},
    ledger::Account,
    permission::Permission,
    time::Day,
};

use super::{
    Page, errors,
    once::{once, once_token},
    redirect_error, redirect_flash, render, urlencode,
};
use crate::{
    AppState,
    access::{Access, Routes},
    api::finance::{
        RuleAuditView, RuleView, account_kind, order_journal, reconcile_day, reject_note,
        rule_views, yuan,
    },
    extract::{PageForm, PagePath},
};

const FINANCE: Access = Access::Staff(Permission::FinanceManage);

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/admin/finance", FINANCE, overview)
        .get("/admin/finance/ledger", FINANCE, ledger)
        .post("/admin/finance/orders/{id}/refund", FINANCE, refund)
        .get("/admin/finance/withdrawals", FINANCE, withdrawals)
        .post("/admin/finance/withdrawals/{id}/approve", FINANCE, approve)
        .post("/admin/finance/withdrawals/{id}/reject", FINANCE, reject)
        .get("/admin/finance/commission", FINANCE, commission)
        .post("/admin/finance/commission", FINANCE, save_rule)
        .get("/admin/finance/reconciliation", FINANCE, reconciliation)
        .post("/admin/finance/reconciliation", FINANCE, reconcile)
}

// ----- trial balance --------------------------------------------------------------------------

/// A trial balance row.
struct Line {
    account: String,
    kind: String,
    /// The id part of the key, shortened (order or provider), empty for platform accounts.
    short_id: String,
    balance: String,
    owed: String,
}

/// One bar of the balances chart.
struct Bar {
    key: &'static str,
    value: String,
    y: i64,
    width: i64,
}

#[derive(Template)]
#[template(path = "admin_finance.html")]
struct Overview {
    p: Page,
    lines: Vec<Line>,
    total: String,
    bars: Vec<Bar>,
    chart_h: i64,
}

/// The account types the chart compares, by the kinds of account keys they sum.
const CHART: [(&str, &[&str]); 4] = [
    (
        "admin_finance.chart_revenue",
        &["revenue_commission", "revenue_withdrawal_fee"],
    ),
    ("admin_finance.chart_escrow", &["escrow"]),
    (
        "admin_finance.chart_providers",
        &[
            "provider_pending",
            "provider_available",
            "provider_withdrawing",
        ],
    ),
    ("admin_finance.chart_refunds", &["refund_payable"]),
];

const BAR_MAX: i64 = 200;
const BAR_ROW: i64 = 28;

fn chart(lines: &[BalanceLine]) -> Vec<Bar> {
    let sums: Vec<i64> = CHART
        .iter()
        .map(|(_, kinds)| {
            lines
                .iter()
                .filter(|l| kinds.contains(&account_kind(&l.account).as_str()))
                .map(|l| {
                    Account::parse(&l.account).map_or(-l.balance_fen, |a| a.owed(l.balance_fen))
                })
                .sum()
        })
        .collect();
    let max = sums.iter().copied().max().unwrap_or(0).max(1);
    CHART
        .iter()
        .zip(&sums)
        .zip(0..)
        .map(|(((key, _), v), i)| Bar {
            key,
            value: yuan(*v),
            y: i * BAR_ROW,
            width: i64::try_from(i128::from((*v).max(0)) * i128::from(BAR_MAX) / i128::from(max))
                .unwrap_or(BAR_MAX),
        })
        .collect()
}

fn short_id(key: &str) -> String {
    key.split_once(':')
        .filter(|(k, _)| *k != "revenue")
        .map(|(_, id)| id.chars().rev().take(8).collect::<Vec<_>>())
        .map(|mut v| {
            v.reverse();
            format!("…{}", v.into_iter().collect::<String>())
        })
        .unwrap_or_default()
}

async fn overview(State(state): State<AppState>, p: Page) -> Response {
    match state.app.trial_balance(&p.actor()).await {
        Ok(tb) => {
            let bars = chart(&tb.lines);
            let chart_h = i64::try_from(bars.len()).unwrap_or(4) * BAR_ROW;
            let lines = tb
                .lines
                .iter()
                .map(|l| Line {
                    kind: account_kind(&l.account),
                    short_id: short_id(&l.account),
                    balance: yuan(l.balance_fen),
                    owed: l.owed.clone(),
                    account: l.account.clone(),
                })
                .collect();
            render(&Overview {
                p,
                lines,
                total: yuan(tb.total_fen),
                bars,
                chart_h,
            })
        }
        Err(e) => redirect_error(&state, "/admin", &e),
    }
}

// ----- ledgers ---------------------------------------------------------------------------------

#[derive(serde::Deserialize, Default)]
struct LedgerQuery {
    order: Option<String>,
    account: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_finance_ledger.html")]
struct Ledger {
    p: Page,
    /// Set for an order's journal.
    order_id: Option<String>,
    /// Set for an account's journal.
    account: Option<BalanceLine>,
    account_kind: String,
    entries: Vec<EntryView>,
    held: String,
    once: String,
}

impl Ledger {
    fn acct_label(&self, key: &str) -> String {
        self.p.tk("admin_finance.acct_", &account_kind(key))
    }
    fn signed(&self, fen: &i64) -> String {
        yuan(*fen)
    }
    /// What a posting did to its account as people read it (more held or owed is positive).
    fn effect(&self, key: &str, fen: &i64) -> String {
        yuan(Account::parse(key).map_or(-*fen, |a| a.owed(*fen)))
    }
}

async fn ledger(
    State(state): State<AppState>,
    p: Page,
    q: Result<Query<LedgerQuery>, QueryRejection>,
) -> Response {
    let q = q.map(|Query(q)| q).unwrap_or_default();
    let actor = p.actor();
    let order = q.order.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let account = q
        .account
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if let Some(id) = order {
        let Ok(id) = id.parse::<OrderId>() else {
            return errors::page_with(p, StatusCode::NOT_FOUND);
        };
        return match order_journal(&state.app, &actor, id).await {
            Ok(l) => render(&Ledger {
                held: yuan(l.escrow_fen),
                entries: l.entries,
                order_id: Some(l.order_id),
                account: None,
                account_kind: String::new(),
                once: once_token(),
                p,
            }),
            Err(AppError::NotFound) => errors::page_with(p, StatusCode::NOT_FOUND),
            Err(e) => redirect_error(&state, "/admin/finance", &e),
        };
    }
    if let Some(key) = account {
        if Account::parse(key).is_err() {
            return errors::page_with(p, StatusCode::NOT_FOUND);
        }
        return match state.app.account_ledger(&actor, key).await {
            Ok((line, entries)) => render(&Ledger {
                held: String::new(),
                account_kind: account_kind(&line.account),
                account: Some(line),
                order_id: None,
                entries,
                once: String::new(),
                p,
            }),
            Err(e) => redirect_error(&state, "/admin/finance", &e),
        };
    }
    Redirect::to("/admin/finance").into_response()
}

#[derive(serde::Deserialize)]
struct RefundPageForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
    #[serde(default, rename = "_once")]
    once: String,
}

async fn refund(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<OrderId>,
    PageForm(f): PageForm<RefundPageForm>,
) -> Response {
    let back = format!("/admin/finance/ledger?order={id}");
    let run = || async {
        let form = AdminRefundForm {
            amount: f.amount.clone(),
            reason: f.reason.clone(),
        };
        match state.app.admin_refund(&p.actor(), id, &form).await {
            Ok(()) => redirect_flash(&state, &back, false, "admin_finance.refunded"),
            Err(e) => redirect_error(&state, &back, &e),
        }
    };
    once(&state, &p, &f.once, &format!("refund:{id}"), &back, run).await
}

// ----- withdrawals -----------------------------------------------------------------------------

/// The statuses of the queue's tabs.
const WITHDRAWAL_TABS: [&str; 5] = ["requested", "approved", "paid", "rejected", "failed"];

#[derive(serde::Deserialize, Default)]
struct WithdrawalsQuery {
    status: Option<String>,
}

/// A withdrawal and who asked.
struct WithdrawalRowView {
    w: WithdrawalView,
    provider: String,
}

#[derive(Template)]
#[template(path = "admin_finance_withdrawals.html")]
struct Withdrawals {
    p: Page,
    status: String,
    tabs: [&'static str; 5],
    items: Vec<WithdrawalRowView>,
    once: String,
}

async fn withdrawals(
    State(state): State<AppState>,
    p: Page,
    q: Result<Query<WithdrawalsQuery>, QueryRejection>,
) -> Response {
    let status = q
        .ok()
        .and_then(|Query(q)| q.status)
        .filter(|s| WITHDRAWAL_TABS.contains(&s.as_str()))
        .unwrap_or_else(|| "requested".to_owned());
    let queue = match state.app.withdrawal_queue(&p.actor(), &status).await {
        Ok(q) => q,
        Err(e) => return redirect_error(&state, "/admin/finance", &e),
    };
    let mut items = Vec::with_capacity(queue.len());
    for w in queue {
        let provider = match w.provider_id.parse::<ProviderId>() {
            Ok(pid) => state
                .app
                .store
                .provider(pid)
                .await
                .ok()
                .flatten()
                .map(|pr| pr.display_name),
            Err(_) => None,
        }
        .unwrap_or_else(|| w.provider_id.clone());
        items.push(WithdrawalRowView { w, provider });
    }
    render(&Withdrawals {
        p,
        status,
        tabs: WITHDRAWAL_TABS,
        items,
        once: once_token(),
    })
}

#[derive(serde::Deserialize)]
struct DecisionForm {
    #[serde(default)]
    note: String,
    #[serde(default, rename = "_once")]
    once: String,
}

async fn decide(
    state: &AppState,
    p: &Page,
    id: WithdrawalId,
    approve: bool,
    f: &DecisionForm,
) -> Response {
    let back = "/admin/finance/withdrawals";
    let run = || async {
        let result = if approve {
            state.app.decide_withdrawal(&p.actor(), id, true, "").await
        } else {
            match reject_note(&f.note) {
                Ok(note) => {
                    state
                        .app
                        .decide_withdrawal(&p.actor(), id, false, note)
                        .await
                }
                Err(e) => Err(e),
            }
        };
        match result {
            Ok(w) => redirect_flash(
                state,
                &format!("{back}?status={}", urlencode(&w.status)),
                false,
                if approve {
                    "admin_finance.withdrawal_approved"
                } else {
                    "admin_finance.withdrawal_rejected"
                },
            ),
            Err(e) => redirect_error(state, back, &e),
        }
    };
    let target = format!("{}:{id}", if approve { "approve" } else { "reject" });
    once(state, p, &f.once, &target, back, run).await
}

async fn approve(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<WithdrawalId>,
    PageForm(f): PageForm<DecisionForm>,
) -> Response {
    decide(&state, &p, id, true, &f).await
}

async fn reject(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<WithdrawalId>,
    PageForm(f): PageForm<DecisionForm>,
) -> Response {
    decide(&state, &p, id, false, &f).await
}

// ----- commission ------------------------------------------------------------------------------

#[derive(serde::Deserialize, Default)]
struct CommissionQuery {
    edit: Option<String>,
}

#[derive(Template)]
#[template(path = "admin_finance_commission.html")]
struct Commission {
    p: Page,
    rules: Vec<RuleView>,
    audit: Vec<RuleAuditView>,
    /// The rule in the form (an empty new one unless editing).
    form: RuleView,
    editing: bool,
}

impl Commission {
    fn opt(&self, n: &Option<i64>) -> String {
        n.map(|n| n.to_string()).unwrap_or_default()
    }
}

fn blank_rule() -> RuleView {
    RuleView {
        id: String::new(),
        scope: "category".into(),
        scope_id: String::new(),
        rate_percent: String::new(),
        bps: 0,
        min_fee: String::new(),
        min_fen: 0,
        starts_on: String::new(),
        ends_on: String::new(),
        new_provider_days: None,
        new_provider_orders: None,
        active: true,
        note: String::new(),
        updated_at: String::new(),
    }
}

async fn commission(
    State(state): State<AppState>,
    p: Page,
    q: Result<Query<CommissionQuery>, QueryRejection>,
) -> Response {
    let edit = q.ok().and_then(|Query(q)| q.edit).unwrap_or_default();
    match rule_views(&state.app, &p.actor()).await {
        Ok((rules, audit)) => {
            let current = rules.iter().find(|r| !edit.is_empty() && r.id == edit);
            let editing = current.is_some();
            let form = current.cloned().unwrap_or_else(blank_rule);
            render(&Commission {
                p,
                rules,
                audit,
                form,
                editing,
            })
        }
        Err(e) => redirect_error(&state, "/admin/finance", &e),
    }
}

#[derive(serde::Deserialize)]
struct RulePageForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    scope_id: String,
    #[serde(default)]
    rate_percent: String,
    #[serde(default)]
    min_fee: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    new_provider_days: String,
    #[serde(default)]
    new_provider_orders: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    active: Option<String>,
    #[serde(default)]
    note: String,
}

fn optional_count(s: &str) -> Result<Option<i64>, AppError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    s.parse()
        .map(Some)
        .map_err(|_| DomainError::Invalid("count").into())
}

impl RulePageForm {
    fn rule(&self) -> Result<RuleForm, AppError> {
        Ok(RuleForm {
            id: Some(self.id.trim().to_owned()).filter(|s| !s.is_empty()),
            scope: self.scope.clone(),
            scope_id: if self.scope == "default" {
                String::new()
            } else {
                self.scope_id.clone()
            },
            rate_percent: self.rate_percent.clone(),
            min_fee: self.min_fee.clone(),
            starts_on: self.starts_on.clone(),
            ends_on: self.ends_on.clone(),
            new_provider_days: optional_count(&self.new_provider_days)?,
            new_provider_orders: optional_count(&self.new_provider_orders)?,
            active: self.active.is_some(),
            note: self.note.clone(),
        })
    }
}

async fn save_rule(
    State(state): State<AppState>,
    p: Page,
    PageForm(f): PageForm<RulePageForm>,
) -> Response {
    let back = "/admin/finance/commission";
    let result = match f.rule() {
        Ok(rule) => state.app.save_commission_rule(&p.actor(), &rule).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => redirect_flash(&state, back, false, "flash.saved"),
        Err(e) => {
            let again = if f.id.trim().is_empty() {
                back.to_owned()
            } else {
                format!("{back}?edit={}", urlencode(f.id.trim()))
            };
            redirect_error(&state, &again, &e)
        }
    }
}

// ----- reconciliation --------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "admin_finance_reconciliation.html")]
struct Reconciliation {
    p: Page,
    today: String,
    reports: Vec<ReconciliationView>,
}

impl Reconciliation {
    fn amount(&self, fen: &Option<i64>) -> String {
        fen.map(yuan).unwrap_or_else(|| "—".to_owned())
    }
}

async fn reconciliation(State(state): State<AppState>, p: Page) -> Response {
    match state.app.reconciliations(&p.actor()).await {
        Ok(reports) => render(&Reconciliation {
            today: Day::of(state.app.now()).to_string(),
            p,
            reports,
        }),
        Err(e) => redirect_error(&state, "/admin/finance", &e),
    }
}

#[derive(serde::Deserialize)]
struct ReconcileForm {
    #[serde(default)]
    day: String,
}

async fn reconcile(
    State(state): State<AppState>,
    p: Page,
    PageForm(f): PageForm<ReconcileForm>,
) -> Response {
    let back = "/admin/finance/reconciliation";
    match reconcile_day(&state.app, &p.actor(), &f.day).await {
        Ok(r) if r.differences.is_empty() => {
            redirect_flash(&state, back, false, "admin_finance.reconciled_clean")
        }
        Ok(_) => redirect_flash(&state, back, true, "admin_finance.reconciled_differences"),
        Err(e) => redirect_error(&state, back, &e),
    }
}

//! `/api/v1/admin/finance`: the operators' money console — trial balance, ledgers, the
//! withdrawal queue, admin refunds, commission rules and reconciliation. Every route requires
//! `finance.manage`; the money-moving POSTs honour `Idempotency-Key`.

use std::collections::HashMap;

use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use linli_app::{
    Actor, App, AppResult,
    money::{
        AdminRefundForm, BalanceLine, EntryView, ReconciliationView, RuleForm, TrialBalance,
        WithdrawalView,
    },
};
use linli_domain::{
    DomainError,
    ids::{OrderId, WithdrawalId},
    ledger::Account,
    money::Money,
    permission::Permission,
    time::{Day, Timestamp},
};
use linli_store::{CommissionRuleRow, RuleAuditRow};
use utoipa::ToSchema;

use crate::{
    AppState,
    access::{Access, Routes},
    error::{ApiError, ApiResult, ErrorBody},
    extract::{ApiJson, ApiPath, ApiQuery, parse_json},
    idempotency,
    session::CurrentActor,
};

const FINANCE: Access = Access::Staff(Permission::FinanceManage);

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get(
        "/api/v1/admin/finance/trial-balance",
        FINANCE,
        trial_balance,
    )
    .get(
        "/api/v1/admin/finance/ledger/orders/{id}",
        FINANCE,
        order_ledger,
    )
    .get(
        "/api/v1/admin/finance/ledger/accounts/{key}",
        FINANCE,
        account_ledger,
    )
    .get("/api/v1/admin/finance/withdrawals", FINANCE, withdrawals)
    .post(
        "/api/v1/admin/finance/withdrawals/{id}/approve",
        FINANCE,
        approve_withdrawal,
    )
    .post(
        "/api/v1/admin/finance/withdrawals/{id}/reject",
        FINANCE,
        reject_withdrawal,
    )
    .post("/api/v1/admin/finance/orders/{id}/refund", FINANCE, refund)
    .get(
        "/api/v1/admin/finance/commission-rules",
        FINANCE,
        commission_rules,
    )
    .post(
        "/api/v1/admin/finance/commission-rules",
        FINANCE,
        save_commission_rule,
    )
    .get(
        "/api/v1/admin/finance/reconciliations",
        FINANCE,
        reconciliations,
    )
    .post("/api/v1/admin/finance/reconciliations", FINANCE, reconcile)
}

// ----- views shared with the console pages ---------------------------------------------------

/// An amount for people: `¥12.30`, `-¥5.00`.
pub fn yuan(fen: i64) -> String {
    let s = Money::from_fen(fen).yuan_string();
    match s.strip_prefix('-') {
        Some(abs) => format!("-¥{abs}"),
        None => format!("¥{s}"),
    }
}

/// The kind of an account key (`escrow:…` → `escrow`, `revenue:commission` →
/// `revenue_commission`), used for labels in either language and for grouping.
pub fn account_kind(key: &str) -> String {
    match key.split_once(':') {
        Some(("revenue", what)) => format!("revenue_{what}"),
        Some((kind, _)) => kind.to_owned(),
        None => key.to_owned(),
    }
}

/// One order's journal.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct OrderLedger {
    /// The order.
    pub order_id: String,
    /// What the order's escrow still holds, 分.
    pub escrow_fen: i64,
    /// Entries with their postings, oldest first.
    pub entries: Vec<EntryView>,
}

/// One account's journal.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct AccountLedger {
    /// The account and its balance.
    pub account: BalanceLine,
    /// Entries touching it, newest first (`change_fen` is their effect on it).
    pub entries: Vec<EntryView>,
}

/// A commission rule as the console shows it.
#[derive(Debug, Clone, serde::Serialize, ToSchema)]
pub struct RuleView {
    /// Id.
    pub id: String,
    /// `default`, `category` or `provider`.
    pub scope: String,
    /// Category slug or provider id (empty for the default).
    pub scope_id: String,
    /// Rate in percent (`10`, `12.5`).
    pub rate_percent: String,
    /// Rate in basis points.
    pub bps: i64,
    /// Minimum fee in yuan (`0.00`).
    pub min_fee: String,
    /// Minimum fee, 分.
    pub min_fen: i64,
    /// In force from (local `YYYY-MM-DD`, empty: always).
    pub starts_on: String,
    /// In force until, exclusive (local `YYYY-MM-DD`, empty: open).
    pub ends_on: String,
    /// Only for a provider's first N days.
    pub new_provider_days: Option<i64>,
    /// Only for a provider's first N paid orders.
    pub new_provider_orders: Option<i64>,
    /// Switched on.
    pub active: bool,
    /// Note.
    pub note: String,
    /// Last change, local time.
    pub updated_at: String,
}

/// Basis points as a percent text: 1000 → `10`, 1250 → `12.5`, 35 → `0.35`.
pub fn percent(bps: i64) -> String {
    let (whole, frac) = (bps / 100, (bps % 100).abs());
    if frac == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{frac:02}")
            .trim_end_matches('0')
            .to_owned()
    }
}

fn day_of(t: Option<Timestamp>) -> String {
    t.map(|t| Day::of(t).to_string()).unwrap_or_default()
}

impl From<&CommissionRuleRow> for RuleView {
    fn from(r: &CommissionRuleRow) -> Self {
        Self {
            id: r.id.to_string(),
            scope: r.scope.clone(),
            scope_id: r.scope_id.clone(),
            rate_percent: percent(r.bps),
            bps: r.bps,
            min_fee: Money::from_fen(r.min_fen).yuan_string(),
            min_fen: r.min_fen,
            starts_on: day_of(r.starts_at),
            ends_on: day_of(r.ends_at),
            new_provider_days: r.new_provider_days,
            new_provider_orders: r.new_provider_orders,
            active: r.active,
            note: r.note.clone(),
            updated_at: r.updated_at.local_display(),
        }
    }
}

/// One audited change of a commission rule.
#[derive(Debug, Clone, serde::Serialize, ToSchema)]
pub struct RuleAuditView {
    /// The rule.
    pub rule_id: String,
    /// Who changed it (nickname, or the account id when unknown).
    pub actor: String,
    /// `created` or `updated`.
    pub action: String,
    /// The rule before, in short (empty when created).
    pub before: String,
    /// The rule after, in short.
    pub after: String,
    /// When, local time.
    pub at: String,
}

/// A rule's kept JSON in one line: `category:cleaning 12.5% ≥¥1.00 on`.
fn rule_summary(json: &str) -> String {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(json) else {
        return String::new();
    };
    let scope = v["scope"].as_str().unwrap_or("?");
    let scope_id = v["scope_id"].as_str().unwrap_or("");
    let mut s = if scope_id.is_empty() {
        scope.to_owned()
    } else {
        format!("{scope}:{scope_id}")
    };
    s.push_str(&format!(" {}%", percent(v["bps"].as_i64().unwrap_or(0))));
    let min = v["min_fen"].as_i64().unwrap_or(0);
    if min > 0 {
        s.push_str(&format!(" ≥{}", yuan(min)));
    }
    if v["active"].as_bool() == Some(false) {
        s.push_str(" off");
    }
    s
}

/// The rules and their audit trail, as views.
pub async fn rule_views(
    app: &App,
    actor: &Actor,
) -> AppResult<(Vec<RuleView>, Vec<RuleAuditView>)> {
    let (rules, audit) = app.commission_rules(actor).await?;
    let mut names: HashMap<String, String> = HashMap::new();
    let mut trail = Vec::with_capacity(audit.len());
    for a in &audit {
        let RuleAuditRow {
            rule_id,
            actor_id,
            action,
            before,
            after,
            at,
        } = a;
        let key = actor_id.to_string();
        if !names.contains_key(&key) {
            let name = app
                .store
                .user_by_id(*actor_id)
                .await?
                .map_or_else(|| key.clone(), |u| u.nickname);
            names.insert(key.clone(), name);
        }
        trail.push(RuleAuditView {
            rule_id: rule_id.to_string(),
            actor: names.get(&key).cloned().unwrap_or(key),
            action: action.clone(),
            before: rule_summary(before),
            after: rule_summary(after),
            at: at.local_display(),
        });
    }
    Ok((rules.iter().map(RuleView::from).collect(), trail))
}

/// What an order's escrow still holds, 分 (0 when it holds nothing).
pub async fn escrow_held(app: &App, actor: &Actor, id: OrderId) -> AppResult<i64> {
    let (line, _) = app
        .account_ledger(actor, &Account::Escrow(id).key())
        .await?;
    Ok(Account::Escrow(id).owed(line.balance_fen))
}

/// An order's journal, 404 when there is no such order.
pub async fn order_journal(app: &App, actor: &Actor, id: OrderId) -> AppResult<OrderLedger> {
    actor.require(Permission::FinanceManage)?;
    app.store
        .order(id)
        .await?
        .ok_or(linli_app::AppError::NotFound)?;
    Ok(OrderLedger {
        order_id: id.to_string(),
        escrow_fen: escrow_held(app, actor, id).await?,
        entries: app.order_ledger(actor, id).await?,
    })
}

/// Reconciles a day that has begun (checked here: the app's `reconcile` is also run by a job
/// and checks nothing).
pub async fn reconcile_day(app: &App, actor: &Actor, day: &str) -> AppResult<ReconciliationView> {
    actor.require(Permission::FinanceManage)?;
    let d = Day::parse(day.trim())?;
    if d > Day::of(app.now()) {
        return Err(DomainError::Invalid("day").into());
    }
    app.reconcile(&d.to_string()).await
}

// ----- handlers ---------------------------------------------------------------------------

/// Every account's balance (debit positive); the total is always 0.
#[utoipa::path(get, path = "/api/v1/admin/finance/trial-balance", tag = "finance", security(("bearer" = [])),
    responses((status = 200, body = TrialBalance), (status = 403, body = ErrorBody)))]
pub async fn trial_balance(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<TrialBalance>> {
    Ok(Json(state.app.trial_balance(&actor).await?))
}

/// An order's journal entries with their postings, oldest first, and what its escrow holds.
#[utoipa::path(get, path = "/api/v1/admin/finance/ledger/orders/{id}", tag = "finance", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = OrderLedger), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn order_ledger(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
) -> ApiResult<Json<OrderLedger>> {
    Ok(Json(order_journal(&state.app, &actor, id).await?))
}

/// One account's balance and the entries touching it, newest first. Keys look like `psp`,
/// `refund_payable`, `revenue:commission`, `escrow:<order id>`, `provider_available:<provider id>`.
#[utoipa::path(get, path = "/api/v1/admin/finance/ledger/accounts/{key}", tag = "finance", security(("bearer" = [])), params(("key" = String, Path)),
    responses((status = 200, body = AccountLedger), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn account_ledger(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(key): ApiPath<String>,
) -> ApiResult<Json<AccountLedger>> {
    if Account::parse(&key).is_err() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "malformed_id",
            "unknown account key",
        ));
    }
    let (account, entries) = state.app.account_ledger(&actor, &key).await?;
    Ok(Json(AccountLedger { account, entries }))
}

/// Which withdrawals.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct WithdrawalsQuery {
    /// `requested` (default), `approved`, `paid`, `rejected` or `failed`.
    pub status: Option<String>,
}

/// The withdrawal queue, by status (waiting for a decision by default).
#[utoipa::path(get, path = "/api/v1/admin/finance/withdrawals", tag = "finance", security(("bearer" = [])), params(WithdrawalsQuery),
    responses((status = 200, body = Vec<WithdrawalView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn withdrawals(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<WithdrawalsQuery>,
) -> ApiResult<Json<Vec<WithdrawalView>>> {
    Ok(Json(
        state
            .app
            .withdrawal_queue(&actor, q.status.as_deref().unwrap_or(""))
            .await?,
    ))
}

/// Approve a requested withdrawal: it is paid out through the payment provider by a job.
/// Deciding twice is 422 `invalid_transition`.
#[utoipa::path(post, path = "/api/v1/admin/finance/withdrawals/{id}/approve", tag = "finance", security(("bearer" = [])), params(("id" = String, Path),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key answers the first response again")),
    responses((status = 200, body = WithdrawalView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn approve_withdrawal(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<WithdrawalId>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let run = || async {
        match state.app.decide_withdrawal(&actor, id, true, "").await {
            Ok(w) => Json(w).into_response(),
            Err(e) => ApiError::from(e).into_response(),
        }
    };
    let print = idempotency::fingerprint(&format!("approve:{id}"), &body);
    idempotency::run(&state, &actor, &headers, &print, run).await
}

/// Why a withdrawal is refused.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    /// Shown to the provider; 1–200 characters.
    pub note: String,
}

/// Reject a requested withdrawal with a note: the amount returns to the provider's
/// available balance. Deciding twice is 422 `invalid_transition`.
#[utoipa::path(post, path = "/api/v1/admin/finance/withdrawals/{id}/reject", tag = "finance", security(("bearer" = [])), request_body = RejectBody,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body answer the first response again")),
    responses((status = 200, body = WithdrawalView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reject_withdrawal(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<WithdrawalId>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let run = || async {
        let b: RejectBody = match parse_json(&headers, &body) {
            Ok(b) => b,
            Err(e) => return e.into_response(),
        };
        let result = match reject_note(&b.note) {
            Ok(note) => state.app.decide_withdrawal(&actor, id, false, note).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(w) => Json(w).into_response(),
            Err(e) => ApiError::from(e).into_response(),
        }
    };
    let print = idempotency::fingerprint(&format!("reject:{id}"), &body);
    idempotency::run(&state, &actor, &headers, &print, run).await
}

/// A rejection must say why (1–200 characters).
pub fn reject_note(note: &str) -> AppResult<&str> {
    let n = note.trim();
    if n.is_empty() || n.chars().count() > 200 {
        return Err(DomainError::TextLength {
            field: "note",
            min: 1,
            max: 200,
        }
        .into());
    }
    Ok(n)
}

/// Refund part or all of a paid order to the customer (before release from escrow; after
/// release taken back from the provider and the commission at the captured rate). More than
/// the order holds is 409 `amount_too_large` and changes nothing. Answers the order's journal.
#[utoipa::path(post, path = "/api/v1/admin/finance/orders/{id}/refund", tag = "finance", security(("bearer" = [])), request_body = AdminRefundForm,
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body answer the first response again instead of refunding twice")),
    responses((status = 200, body = OrderLedger), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn refund(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let run = || async {
        let f: AdminRefundForm = match parse_json(&headers, &body) {
            Ok(f) => f,
            Err(e) => return e.into_response(),
        };
        let result = match state.app.admin_refund(&actor, id, &f).await {
            Ok(()) => order_journal(&state.app, &actor, id).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(l) => Json(l).into_response(),
            Err(e) => ApiError::from(e).into_response(),
        }
    };
    let print = idempotency::fingerprint(&format!("refund:{id}"), &body);
    idempotency::run(&state, &actor, &headers, &print, run).await
}

/// Commission rules and their audit trail.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct CommissionRules {
    /// Every rule.
    pub rules: Vec<RuleView>,
    /// Changes, newest first.
    pub audit: Vec<RuleAuditView>,
}

/// Commission rules and who changed them.
#[utoipa::path(get, path = "/api/v1/admin/finance/commission-rules", tag = "finance", security(("bearer" = [])),
    responses((status = 200, body = CommissionRules), (status = 403, body = ErrorBody)))]
pub async fn commission_rules(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<CommissionRules>> {
    let (rules, audit) = rule_views(&state.app, &actor).await?;
    Ok(Json(CommissionRules { rules, audit }))
}

/// Create a rule (no `id`, 201) or change one (`id`, 200); audited. A rate above 100% or a
/// window that ends before it starts is 422. Money already captured keeps its rate.
#[utoipa::path(post, path = "/api/v1/admin/finance/commission-rules", tag = "finance", security(("bearer" = [])), request_body = RuleForm,
    responses((status = 200, body = RuleView), (status = 201, body = RuleView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn save_commission_rule(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(f): ApiJson<RuleForm>,
) -> ApiResult<Response> {
    let created = f.id.as_deref().is_none_or(str::is_empty);
    let row = state.app.save_commission_rule(&actor, &f).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(RuleView::from(&row))).into_response())
}

/// Recent reconciliation reports, newest first.
#[utoipa::path(get, path = "/api/v1/admin/finance/reconciliations", tag = "finance", security(("bearer" = [])),
    responses((status = 200, body = Vec<ReconciliationView>), (status = 403, body = ErrorBody)))]
pub async fn reconciliations(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Vec<ReconciliationView>>> {
    Ok(Json(state.app.reconciliations(&actor).await?))
}

/// The day to reconcile.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReconcileBody {
    /// Local date `YYYY-MM-DD`, today or earlier.
    pub day: String,
}

/// Compare the payment provider's statement for a day with our payments, refunds and
/// transfers; the report (every difference) is kept and answered.
#[utoipa::path(post, path = "/api/v1/admin/finance/reconciliations", tag = "finance", security(("bearer" = [])), request_body = ReconcileBody,
    responses((status = 200, body = ReconciliationView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reconcile(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(b): ApiJson<ReconcileBody>,
) -> ApiResult<Json<ReconciliationView>> {
    Ok(Json(reconcile_day(&state.app, &actor, &b.day).await?))
}

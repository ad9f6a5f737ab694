//! A provider's money over the API: balances and the entries behind them, the payout account,
//! withdrawals, and the 30-day dashboard.

use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use linli_app::{
    dashboard::ProviderDashboard,
    money::{Earnings, PayoutAccountForm, WithdrawForm, WithdrawalView},
};

use crate::{
    AppState,
    access::{Access, Routes},
    error::{ApiError, ApiResult, ErrorBody},
    extract::{ApiJson, parse_json},
    idempotency,
    session::CurrentActor,
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/provider/earnings", Access::Member, earnings)
        .put(
            "/api/v1/provider/payout-account",
            Access::Member,
            put_payout_account,
        )
        .post("/api/v1/provider/withdrawals", Access::Member, withdraw)
        .get("/api/v1/provider/dashboard", Access::Member, dashboard)
}

/// The caller's balances (待结算 pending, 可提现 available, 提现中 withdrawing, 已提现
/// withdrawn, all in 分), the ledger entries behind them, withdrawals, the masked payout
/// account and the withdrawal rules. Approved providers only (403 otherwise).
#[utoipa::path(get, path = "/api/v1/provider/earnings", tag = "earnings", security(("bearer" = [])),
    responses((status = 200, body = Earnings), (status = 403, body = ErrorBody)))]
pub async fn earnings(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<Earnings>> {
    Ok(Json(state.app.earnings(&actor).await?))
}

/// Set where withdrawals are paid: a bank card (16–19 digits) or an Alipay account (mobile
/// number or e-mail) and the holder's name. Stored encrypted; shown masked. Answers the
/// earnings with the new masked account.
#[utoipa::path(put, path = "/api/v1/provider/payout-account", tag = "earnings", security(("bearer" = [])), request_body = PayoutAccountForm,
    responses((status = 200, body = Earnings), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_payout_account(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(f): ApiJson<PayoutAccountForm>,
) -> ApiResult<Json<Earnings>> {
    state.app.save_payout_account(&actor, &f).await?;
    Ok(Json(state.app.earnings(&actor).await?))
}

/// Ask to withdraw `amount` yuan from the available balance (held at once; an operator
/// approves it and it is paid out to the payout account less the fee). 409
/// `no_payout_account` without an account; 422 below the minimum or above the balance. With
/// an `Idempotency-Key` header a retry gets the first answer again instead of a second
/// withdrawal.
#[utoipa::path(post, path = "/api/v1/provider/withdrawals", tag = "earnings", security(("bearer" = [])), request_body = WithdrawForm,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body answer the first response again")),
    responses((status = 201, body = WithdrawalView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn withdraw(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let run = || async {
        let f: WithdrawForm = match parse_json(&headers, &body) {
            Ok(f) => f,
            Err(e) => return e.into_response(),
        };
        match state.app.request_withdrawal(&actor, &f).await {
            Ok(w) => (StatusCode::CREATED, Json(w)).into_response(),
            Err(e) => ApiError::from(e).into_response(),
        }
    };
    idempotency::run(&state, &actor, &headers, &body, run).await
}

/// Orders and income per day over the last 30 days, and the services with the most orders
/// and income.
#[utoipa::path(get, path = "/api/v1/provider/dashboard", tag = "earnings", security(("bearer" = [])),
    responses((status = 200, body = ProviderDashboard), (status = 403, body = ErrorBody)))]
pub async fn dashboard(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<ProviderDashboard>> {
    Ok(Json(state.app.provider_dashboard(&actor).await?))
}

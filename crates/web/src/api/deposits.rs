//! Provider deposits (保证金) over the API: the provider reads what its listings' categories
//! require against what it holds, and starts paying what is missing (`Idempotency-Key`
//! honoured); the payment provider's signed notification posts it.

use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use linli_app::{deposits::DepositView, money::PayStart};

use crate::{
    AppState,
    access::{Access, Routes},
    api::pay::payments_off,
    error::{ApiResult, ErrorBody},
    idempotency,
    session::CurrentActor,
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/provider/deposit", Access::Member, get).post(
        "/api/v1/provider/deposit/pay",
        Access::Member,
        pay,
    )
}

/// A body that may only be `{}`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NoFields {}

/// The signed-in provider's deposit: the most its listings' categories require, what it
/// holds, what is due, and its deposit payments.
#[utoipa::path(get, path = "/api/v1/provider/deposit", tag = "earnings", security(("bearer" = [])),
    responses((status = 200, body = DepositView), (status = 403, description = "not an approved provider", body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<DepositView>> {
    Ok(Json(state.app.deposit(&actor).await?))
}

/// Start paying what the deposit is missing: a payment at the payment provider (a pending one
/// for the same amount is reused) and the cashier URL; the amount is the server's, never the
/// client's. The signed notification posts it to the deposit exactly once.
#[utoipa::path(post, path = "/api/v1/provider/deposit/pay", tag = "earnings", security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 200, body = PayStart), (status = 403, body = ErrorBody),
        (status = 409, description = "deposit_not_due", body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn pay(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if state.app.payments.is_none() {
        return payments_off().into_response();
    }
    let run = || async {
        if !body.is_empty()
            && let Err(e) = crate::extract::parse_json::<NoFields>(&headers, &body)
        {
            return e.into_response();
        }
        idempotency::respond(state.app.pay_deposit(&actor).await)
    };
    let print = idempotency::fingerprint("deposit-pay", &body);
    idempotency::run(&state, &actor, &headers, &print, run).await
}

//! Paying and finishing an order over the API: the customer starts a payment (and is sent to
//! the cashier) and confirms the job was done; the provider starts and completes it; and the
//! payment provider's signed notifications arrive at `/api/v1/pay/notify`.

use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use linli_app::{money::PayStart, orders::OrderView};
use linli_domain::ids::OrderId;

use crate::{
    AppState,
    access::{Access, Routes},
    error::{ApiError, ApiResult, ErrorBody},
    extract::ApiPath,
    idempotency,
    session::CurrentActor,
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.post("/api/v1/orders/{id}/pay", Access::Member, pay)
        .post("/api/v1/orders/{id}/confirm", Access::Member, confirm)
        .post("/api/v1/provider/orders/{id}/start", Access::Member, start)
        .post(
            "/api/v1/provider/orders/{id}/complete",
            Access::Member,
            complete,
        )
        .post("/api/v1/pay/notify", Access::Public, notify)
}

/// A body that may only be `{}`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NoFields {}

/// The answer when this deployment takes no payments (no `[pay]` configured).
pub fn payments_off() -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "payments_unavailable",
        "online payment is not configured on this server",
    )
}

/// Start paying an unpaid order: a payment at the provider (the pending one is reused) and the
/// cashier URL to send the payer to. When the payer has paid, the provider's notification moves
/// the order on (and the return URL brings the payer back to the order). With an
/// `Idempotency-Key` header a retry gets the first answer again.
#[utoipa::path(post, path = "/api/v1/orders/{id}/pay", tag = "orders", security(("bearer" = [])), params(("id" = String, Path),
    ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body answer the first response again")),
    responses((status = 200, body = PayStart), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn pay(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if state.app.payments.is_none() {
        return payments_off().into_response();
    }
    let run = || async {
        // The amount is the order's: a client sending one (or anything else) is refused.
        if !body.is_empty()
            && let Err(e) = crate::extract::parse_json::<NoFields>(&headers, &body)
        {
            return e.into_response();
        }
        idempotency::respond(state.app.pay_order(&actor, id).await)
    };
    // The order is part of what the key stands for: one key, one order.
    let mut fingerprint = id.to_string().into_bytes();
    fingerprint.extend_from_slice(&body);
    idempotency::run(&state, &actor, &headers, &fingerprint, run).await
}

/// The customer confirms the job was done: the escrow is released to the provider (less the
/// commission) and settles after the settlement delay.
#[utoipa::path(post, path = "/api/v1/orders/{id}/confirm", tag = "orders", security(("bearer" = [])), params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn confirm(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
    headers: HeaderMap,
) -> Response {
    let run = || async { idempotency::respond(state.app.confirm_order(&actor, id).await) };
    let print = idempotency::fingerprint(&format!("confirm:{id}"), b"");
    idempotency::run(&state, &actor, &headers, &print, run).await
}

/// The provider starts an accepted job (from an hour before its start): the same check-in as
/// `/check-in`, with the phone's position (and a reason farther than 200 m).
#[utoipa::path(post, path = "/api/v1/provider/orders/{id}/start", tag = "orders", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = linli_app::visits::CheckInForm,
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
    crate::extract::ApiJson(form): crate::extract::ApiJson<linli_app::visits::CheckInForm>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(state.app.start_service(&actor, id, &form).await?))
}

/// The provider marks a job in service as done (the same check-out as `/check-out`: 422
/// `checklist_incomplete` while a checklist item or photo is missing); the customer confirms
/// it (or it is confirmed for them after seven days).
#[utoipa::path(post, path = "/api/v1/provider/orders/{id}/complete", tag = "orders", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn complete(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(state.app.complete_order(&actor, id).await?))
}

/// What the payment provider expects back.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct NotifyAck {
    /// `SUCCESS`.
    pub code: String,
    /// `成功`.
    pub message: String,
}

/// Payment, refund and transfer notifications from the payment provider (WeChat Pay v3
/// style): the `Wechatpay-*` signature over the raw body is verified, the timestamp must be
/// within five minutes, the nonce must be new, and the encrypted resource must belong to this
/// merchant. Anything else is refused with 400 `{code, message}` and changes nothing; the
/// provider retries until it gets 200.
#[utoipa::path(post, path = "/api/v1/pay/notify", tag = "orders",
    params(("Wechatpay-Timestamp" = String, Header), ("Wechatpay-Nonce" = String, Header), ("Wechatpay-Signature" = String, Header), ("Wechatpay-Serial" = String, Header)),
    request_body(content = String, content_type = "application/json", description = "The notification as sent (verified byte for byte)"),
    responses((status = 200, body = NotifyAck), (status = 400, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn notify(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if state.app.payments.is_none() {
        return payments_off().into_response();
    }
    let h = linli_pay::NotificationHeaders::from_http(&headers);
    match state.app.payment_notification(&h, &body).await {
        Ok(()) => Json(NotifyAck {
            code: "SUCCESS".into(),
            message: "成功".into(),
        })
        .into_response(),
        Err(e) => {
            let mut err = ApiError::from(e);
            // Whatever went wrong, the provider must hear "not accepted" (and retry later);
            // a 5xx stays a 5xx so a passing outage is retried too.
            if !err.status.is_server_error() {
                err.status = StatusCode::BAD_REQUEST;
            }
            err.into_response()
        }
    }
}

//! Overrun supplements (补款) over the API: the customer of an order waiting for one pays it
//! through the payment provider's cashier or declines it. The supplement itself, with its
//! explanation, is part of `GET /api/v1/orders/{id}` (`supplement`).

use axum::{
    body::Bytes,
    extract::State,
    http::HeaderMap,
    response::{IntoResponse, Response},
};
use linli_app::{money::PayStart, orders::OrderView, supplements::DeclineSupplementForm};
use linli_domain::ids::OrderId;

use crate::{
    AppState,
    access::{Access, Routes},
    error::ErrorBody,
    extract::{ApiPath, parse_json},
    idempotency,
    session::CurrentActor,
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.post("/api/v1/orders/{id}/supplement/pay", Access::Member, pay)
        .post(
            "/api/v1/orders/{id}/supplement/decline",
            Access::Member,
            decline,
        )
}

/// A body that may only be `{}`.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct NoFields {}

/// Start paying the supplement of an order waiting for one (`awaiting_supplement`): a payment
/// at the provider for exactly the supplement (the pending one is reused) and the cashier URL.
/// The provider's notification completes the order. 409 `supplement_not_due` when the order
/// is not waiting for one; 404 for another user's order. With an `Idempotency-Key` header a
/// retry gets the first answer again.
#[utoipa::path(post, path = "/api/v1/orders/{id}/supplement/pay", tag = "orders", security(("bearer" = [])), params(("id" = String, Path),
    ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body answer the first response again")),
    responses((status = 200, body = PayStart), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 503, body = ErrorBody)))]
pub async fn pay(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if state.app.payments.is_none() {
        return super::pay::payments_off().into_response();
    }
    let run = || async {
        // The amount is the supplement's: a client sending one (or anything else) is refused.
        if !body.is_empty()
            && let Err(e) = parse_json::<NoFields>(&headers, &body)
        {
            return e.into_response();
        }
        idempotency::respond(state.app.pay_supplement(&actor, id).await)
    };
    let print = idempotency::fingerprint(&format!("supplement/pay:{id}"), &body);
    idempotency::run(&state, &actor, &headers, &print, run).await
}

/// Decline the supplement (拒绝补款), optionally with `{"reason": "…"}` (up to 200 characters):
/// the order completes at the amount already paid, the decline is on its timeline and the
/// provider is told. 409 `supplement_not_due` when the order is not waiting for one (already
/// paid or declined); 404 for another user's order. `Idempotency-Key` honoured.
#[utoipa::path(post, path = "/api/v1/orders/{id}/supplement/decline", tag = "orders", security(("bearer" = [])), params(("id" = String, Path),
    ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    request_body(content = DeclineSupplementForm, content_type = "application/json", description = "Optional: an empty body declines without a reason"),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decline(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let run = || async {
        let form = if body.is_empty() {
            DeclineSupplementForm::default()
        } else {
            match parse_json::<DeclineSupplementForm>(&headers, &body) {
                Ok(f) => f,
                Err(e) => return e.into_response(),
            }
        };
        idempotency::respond(state.app.decline_supplement(&actor, id, &form).await)
    };
    let print = idempotency::fingerprint(&format!("supplement/decline:{id}"), &body);
    idempotency::run(&state, &actor, &headers, &print, run).await
}

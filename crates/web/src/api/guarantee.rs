//! 先行赔付 over the API: a customer claims on a completed order within the claim window and
//! follows the order's claims; operators with `finance.manage` work the queue and approve (up
//! to the amount claimed, paid from the guarantee fund and charged to the provider) or reject.
//! Both POSTs take an `Idempotency-Key`.

use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use linli_app::guarantee::{GuaranteeClaimForm, GuaranteeClaimView, GuaranteeDecisionForm};
use linli_domain::{
    ids::{GuaranteeClaimId, OrderId},
    permission::Permission,
};
use serde::Deserialize;

use crate::{
    AppState,
    access::{Access, Routes},
    error::{ApiError, ApiResult, ErrorBody},
    extract::{ApiPath, ApiQuery, parse_json},
    idempotency,
    session::CurrentActor,
};

const FINANCE: Access = Access::Staff(Permission::FinanceManage);

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.post("/api/v1/orders/{id}/guarantee-claims", Access::Member, file)
        .get(
            "/api/v1/orders/{id}/guarantee-claims",
            Access::Member,
            of_order,
        )
        .get("/api/v1/admin/guarantee-claims", FINANCE, queue)
        .post(
            "/api/v1/admin/guarantee-claims/{id}/decision",
            FINANCE,
            decide,
        )
}

/// File a 先行赔付 claim on a completed or confirmed order of the caller, within 14 days of
/// completion: `kind` `damage` (财物损坏) or `loss` (财物丢失), a `description` (1–1000
/// characters, screened by the sensitive-word filter) and the `amount` in yuan (at most the
/// cap, ¥5,000 by default). One open claim per order.
#[utoipa::path(post, path = "/api/v1/orders/{id}/guarantee-claims", tag = "guarantee", security(("bearer" = [])),
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    request_body = GuaranteeClaimForm,
    responses((status = 201, body = GuaranteeClaimView), (status = 400, description = "malformed_id", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "not_completed, claim_open", body = ErrorBody),
        (status = 422, description = "guarantee_window_closed, amount_above_cap, content_rejected, invalid_body, invalid_value, invalid_length", body = ErrorBody)))]
pub async fn file(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let run = || async {
        let f: GuaranteeClaimForm = match parse_json(&headers, &body) {
            Ok(f) => f,
            Err(e) => return e.into_response(),
        };
        match state.app.file_guarantee_claim_view(&actor, id, &f).await {
            Ok(v) => (StatusCode::CREATED, Json(v)).into_response(),
            Err(e) => ApiError::from(e).into_response(),
        }
    };
    let print = idempotency::fingerprint(&format!("guarantee-claim:{id}"), &body);
    idempotency::run(&state, &actor, &headers, &print, run).await
}

/// The 先行赔付 claims of one of the caller's orders, newest first.
#[utoipa::path(get, path = "/api/v1/orders/{id}/guarantee-claims", tag = "guarantee", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Vec<GuaranteeClaimView>), (status = 400, description = "malformed_id", body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn of_order(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
) -> ApiResult<Json<Vec<GuaranteeClaimView>>> {
    Ok(Json(
        state.app.order_guarantee_claim_views(&actor, id).await?,
    ))
}

/// Filter of the operators' queue.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct QueueQuery {
    /// `open`, `approved` or `rejected`; all when empty.
    #[serde(default)]
    pub status: String,
}

/// Operators: 先行赔付 claims, oldest first.
#[utoipa::path(get, path = "/api/v1/admin/guarantee-claims", tag = "guarantee", security(("bearer" = [])), params(QueueQuery),
    responses((status = 200, body = Vec<GuaranteeClaimView>), (status = 403, body = ErrorBody), (status = 422, description = "unknown status", body = ErrorBody)))]
pub async fn queue(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> ApiResult<Json<Vec<GuaranteeClaimView>>> {
    Ok(Json(
        state.app.guarantee_queue_views(&actor, &q.status).await?,
    ))
}

/// Operators decide an open claim: `approve` with an `amount` in yuan (at most the amount
/// claimed; paid to the customer's 用户补偿金 from the fund at once and charged to the
/// provider) or `reject`; an optional `note`.
#[utoipa::path(post, path = "/api/v1/admin/guarantee-claims/{id}/decision", tag = "guarantee", security(("bearer" = [])),
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    request_body = GuaranteeDecisionForm,
    responses((status = 200, body = GuaranteeClaimView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "claim_decided", body = ErrorBody), (status = 422, description = "amount_too_large, invalid_value", body = ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<GuaranteeClaimId>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let run = || async {
        let f: GuaranteeDecisionForm = match parse_json(&headers, &body) {
            Ok(f) => f,
            Err(e) => return e.into_response(),
        };
        idempotency::respond(state.app.decide_guarantee_claim_view(&actor, id, &f).await)
    };
    let print = idempotency::fingerprint(&format!("guarantee-decision:{id}"), &body);
    idempotency::run(&state, &actor, &headers, &print, run).await
}

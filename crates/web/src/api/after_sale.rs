//! After-sale (售后) over the API: the customer opens a request on a completed order (JSON, or
//! multipart with up to nine `photos`), answers a counter-offer and escalates a rejection; the
//! provider accepts, counter-offers or rejects with photos; operators (finance.manage) see the
//! queue, the gathered evidence, and decide. Money-moving POSTs take an `Idempotency-Key`.

use std::collections::HashMap;

use axum::{
    Json,
    body::{Body, Bytes},
    extract::{FromRequest, Multipart, Request, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use linli_app::{
    AppError,
    after_sale::{AfterSaleForm, AfterSaleView, AnswerForm, DecisionForm, EvidenceView},
};
use linli_domain::{
    ids::{AfterSaleId, OrderId},
    permission::Permission,
};
use serde::{Deserialize, de::DeserializeOwned};

use crate::{
    AppState,
    access::{Access, Routes},
    error::{ApiError, ApiResult, ErrorBody},
    extract::{ApiPath, ApiQuery, parse_json},
    idempotency,
    session::CurrentActor,
};

/// Largest upload: nine photos from a phone, compressed.
pub const AFTER_SALE_LIMIT: usize = 40 * 1024 * 1024;

const FINANCE: Access = Access::Staff(Permission::FinanceManage);

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.upload(
        axum::http::Method::POST,
        "/api/v1/orders/{id}/after-sales",
        Access::Member,
        AFTER_SALE_LIMIT,
        open,
    )
    .get("/api/v1/orders/{id}/after-sales", Access::Member, of_order)
    .get("/api/v1/after-sales/{id}", Access::Member, get)
    .upload(
        axum::http::Method::POST,
        "/api/v1/provider/after-sales/{id}/answer",
        Access::Member,
        AFTER_SALE_LIMIT,
        answer,
    )
    .post("/api/v1/after-sales/{id}/counter", Access::Member, counter)
    .post(
        "/api/v1/after-sales/{id}/escalate",
        Access::Member,
        escalate,
    )
    .get(
        "/api/v1/after-sales/{id}/photos/{file}",
        Access::Member,
        photo,
    )
    .get(
        "/api/v1/after-sales/{id}/reservice-slots",
        Access::Member,
        reservice_slots,
    )
    .post(
        "/api/v1/after-sales/{id}/reservice",
        Access::Member,
        book_reservice,
    )
    .get("/api/v1/admin/after-sales", FINANCE, queue)
    .get("/api/v1/admin/after-sales/{id}", FINANCE, evidence)
    .post("/api/v1/admin/after-sales/{id}/decision", FINANCE, decide)
}

fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"))
}

/// Reads a JSON body, or a multipart form whose text fields make up `T` and whose `photos`
/// files are returned beside it.
async fn read_body<T: DeserializeOwned>(
    state: &AppState,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(T, Vec<Vec<u8>>), ApiError> {
    if !is_multipart(headers) {
        return Ok((parse_json(headers, body)?, Vec::new()));
    }
    let bad = || {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_upload",
            "the form could not be read",
        )
    };
    let mut req = Request::new(Body::from(body.clone()));
    if let Some(ct) = headers.get(header::CONTENT_TYPE) {
        req.headers_mut().insert(header::CONTENT_TYPE, ct.clone());
    }
    let mut mp = Multipart::from_request(req, state)
        .await
        .map_err(|_| bad())?;
    let mut fields = HashMap::new();
    let mut photos = Vec::new();
    while let Some(field) = mp.next_field().await.map_err(|_| bad())? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "photos" {
            let bytes = field.bytes().await.map_err(|_| bad())?;
            if !bytes.is_empty() {
                photos.push(bytes.to_vec());
            }
        } else {
            fields.insert(name, field.text().await.map_err(|_| bad())?);
        }
    }
    let value = serde_json::to_value(fields).map_err(|_| bad())?;
    let form = serde_json::from_value(value).map_err(|e| {
        ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
            e.to_string(),
        )
    })?;
    Ok((form, photos))
}

fn respond(result: Result<AfterSaleView, AppError>, status: StatusCode) -> Response {
    match result {
        Ok(v) => (status, Json(v)).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// Open an after-sale request on a completed or confirmed order of the caller within 7 days
/// of completion: `kind` `full_refund`, `partial_refund` (with `amount` in yuan, at most what
/// the order still holds) or `reservice`, a `reason`, and up to nine `photos` (multipart).
/// The provider has 48 h to answer; silence accepts.
#[utoipa::path(post, path = "/api/v1/orders/{id}/after-sales", tag = "after-sale", security(("bearer" = [])),
    params(("id" = String, Path)),
    request_body(content = AfterSaleForm, content_type = "multipart/form-data"),
    responses((status = 201, body = AfterSaleView), (status = 400, description = "bad_upload", body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, description = "after_sale_open, not_completed", body = ErrorBody),
        (status = 422, description = "after_sale_window_closed, amount_too_large, bad_kind, reason length, photos", body = ErrorBody)))]
pub async fn open(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (form, photos) = match read_body::<AfterSaleForm>(&state, &headers, &body).await {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    respond(
        state.app.open_after_sale(&actor, id, &form, photos).await,
        StatusCode::CREATED,
    )
}

/// The order's after-sale requests, newest first, for its customer or provider.
#[utoipa::path(get, path = "/api/v1/orders/{id}/after-sales", tag = "after-sale", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = Vec<AfterSaleView>), (status = 404, body = ErrorBody)))]
pub async fn of_order(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
) -> ApiResult<Json<Vec<AfterSaleView>>> {
    Ok(Json(state.app.order_after_sales(&actor, id).await?))
}

/// One request, for either side of its order.
#[utoipa::path(get, path = "/api/v1/after-sales/{id}", tag = "after-sale", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = AfterSaleView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<AfterSaleId>,
) -> ApiResult<Json<AfterSaleView>> {
    Ok(Json(state.app.after_sale(&actor, id).await?))
}

/// A day to list re-service times for.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReserviceSlotsQuery {
    /// Local date `YYYY-MM-DD`.
    pub date: String,
}

/// Start times a re-service (返工) of the request can be booked at on a date (the original
/// order's service, choice, duration and address; ¥0), for the request's customer.
#[utoipa::path(get, path = "/api/v1/after-sales/{id}/reservice-slots", tag = "after-sale", security(("bearer" = [])),
    params(("id" = String, Path), ReserviceSlotsQuery),
    responses((status = 200, body = linli_app::orders::Slots), (status = 404, body = ErrorBody),
        (status = 409, description = "reservice_not_due", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reservice_slots(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<AfterSaleId>,
    ApiQuery(q): ApiQuery<ReserviceSlotsQuery>,
) -> ApiResult<Json<linli_app::orders::Slots>> {
    Ok(Json(state.app.reservice_slots(&actor, id, &q.date).await?))
}

/// When the re-service should happen.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReserviceBody {
    /// Local date `YYYY-MM-DD`.
    pub date: String,
    /// Local time `HH:MM`.
    pub time: String,
}

/// Books the re-service (返工) of a request resolved as one: a ¥0 order for the same service at
/// the original address that waits for the provider's answer; one live or done per request.
#[utoipa::path(post, path = "/api/v1/after-sales/{id}/reservice", tag = "after-sale", security(("bearer" = [])),
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    request_body = ReserviceBody,
    responses((status = 201, body = linli_app::orders::OrderView), (status = 404, body = ErrorBody),
        (status = 409, description = "reservice_not_due, reservice_booked, slot_taken, listing_unavailable", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn book_reservice(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<AfterSaleId>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let run = || async {
        let b: ReserviceBody = match parse_json(&headers, &body) {
            Ok(b) => b,
            Err(e) => return e.into_response(),
        };
        match state.app.book_reservice(&actor, id, &b.date, &b.time).await {
            Ok(o) => (StatusCode::CREATED, Json(o)).into_response(),
            Err(e) => ApiError::from(e).into_response(),
        }
    };
    let print = idempotency::fingerprint(&format!("reservice:{id}"), &body);
    idempotency::run(&state, &actor, &headers, &print, run).await
}

/// The provider answers a pending request before its deadline: `accept` (refunds at once),
/// `counter` (`amount` in yuan below what was asked, with a `note`) or `reject` (`note`
/// required, `photos` as evidence in multipart).
#[utoipa::path(post, path = "/api/v1/provider/after-sales/{id}/answer", tag = "after-sale", security(("bearer" = [])),
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    request_body(content = AnswerForm, content_type = "multipart/form-data"),
    responses((status = 200, body = AfterSaleView), (status = 404, body = ErrorBody),
        (status = 409, description = "not_pending, answer_too_late, amount_too_large", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn answer(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<AfterSaleId>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let run = || async {
        let (form, photos) = match read_body::<AnswerForm>(&state, &headers, &body).await {
            Ok(v) => v,
            Err(e) => return e.into_response(),
        };
        respond(
            state.app.answer_after_sale(&actor, id, &form, photos).await,
            StatusCode::OK,
        )
    };
    let print = idempotency::fingerprint(&format!("after-sale-answer:{id}"), &body);
    idempotency::run(&state, &actor, &headers, &print, run).await
}

/// The customer's answer to a counter-offer.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct CounterAnswer {
    /// `true` takes the counter-offer (refunded at once); `false` refuses it (then the
    /// request can be escalated).
    pub accept: bool,
}

/// The customer takes or refuses the provider's counter-offer.
#[utoipa::path(post, path = "/api/v1/after-sales/{id}/counter", tag = "after-sale", security(("bearer" = [])),
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    request_body = CounterAnswer,
    responses((status = 200, body = AfterSaleView), (status = 404, body = ErrorBody), (status = 409, description = "not_countered", body = ErrorBody)))]
pub async fn counter(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<AfterSaleId>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let run = || async {
        let f: CounterAnswer = match parse_json(&headers, &body) {
            Ok(f) => f,
            Err(e) => return e.into_response(),
        };
        respond(
            state.app.respond_counter(&actor, id, f.accept).await,
            StatusCode::OK,
        )
    };
    let print = idempotency::fingerprint(&format!("after-sale-counter:{id}"), &body);
    idempotency::run(&state, &actor, &headers, &print, run).await
}

/// The customer escalates a rejected request to platform arbitration.
#[utoipa::path(post, path = "/api/v1/after-sales/{id}/escalate", tag = "after-sale", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = AfterSaleView), (status = 404, body = ErrorBody), (status = 409, description = "not_rejected", body = ErrorBody)))]
pub async fn escalate(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<AfterSaleId>,
) -> ApiResult<Json<AfterSaleView>> {
    Ok(Json(state.app.escalate_after_sale(&actor, id).await?))
}

/// A photo of the request (either side's, or a checklist photo of its order) for the order's
/// two sides and operators.
#[utoipa::path(get, path = "/api/v1/after-sales/{id}/photos/{file}", tag = "after-sale", security(("bearer" = [])),
    params(("id" = String, Path), ("file" = String, Path)),
    responses((status = 200, content_type = "image/jpeg", body = Vec<u8>), (status = 404, body = ErrorBody)))]
pub async fn photo(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath((id, file)): ApiPath<(AfterSaleId, String)>,
) -> ApiResult<Response> {
    let (bytes, kind) = state.app.after_sale_photo(&actor, id, &file).await?;
    Ok((
        [
            (header::CONTENT_TYPE, kind.mime()),
            (header::CACHE_CONTROL, "private, max-age=3600"),
        ],
        bytes,
    )
        .into_response())
}

/// Filter of the operators' queue.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
pub struct QueueQuery {
    /// `pending`, `countered`, `rejected`, `escalated` or `resolved`; all when empty.
    #[serde(default)]
    pub status: String,
}

/// Operators: after-sale requests, oldest first.
#[utoipa::path(get, path = "/api/v1/admin/after-sales", tag = "after-sale", security(("bearer" = [])), params(QueueQuery),
    responses((status = 200, body = Vec<AfterSaleView>), (status = 403, body = ErrorBody)))]
pub async fn queue(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<QueueQuery>,
) -> ApiResult<Json<Vec<AfterSaleView>>> {
    Ok(Json(state.app.after_sale_queue(&actor, &q.status).await?))
}

/// Operators: the request with the evidence gathered automatically (check-in time and place,
/// checklist photos, both sides' uploads, the order's timeline).
#[utoipa::path(get, path = "/api/v1/admin/after-sales/{id}", tag = "after-sale", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = EvidenceView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn evidence(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<AfterSaleId>,
) -> ApiResult<Json<EvidenceView>> {
    Ok(Json(state.app.after_sale_evidence(&actor, id).await?))
}

/// Operators decide an escalated request: `full_refund`, `partial` (`percent` of the amount
/// paid; above 100 is 422 `award_too_large`), `reservice` or `reject`.
#[utoipa::path(post, path = "/api/v1/admin/after-sales/{id}/decision", tag = "after-sale", security(("bearer" = [])),
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    request_body = DecisionForm,
    responses((status = 200, body = AfterSaleView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "not_escalated, amount_too_large", body = ErrorBody), (status = 422, description = "award_too_large, bad_percent, bad_outcome", body = ErrorBody)))]
pub async fn decide(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<AfterSaleId>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let run = || async {
        let f: DecisionForm = match parse_json(&headers, &body) {
            Ok(f) => f,
            Err(e) => return e.into_response(),
        };
        respond(
            state.app.decide_after_sale(&actor, id, &f).await,
            StatusCode::OK,
        )
    };
    let print = idempotency::fingerprint(&format!("after-sale-decision:{id}"), &body);
    idempotency::run(&state, &actor, &headers, &print, run).await
}

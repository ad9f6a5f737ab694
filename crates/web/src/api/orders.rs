//! Booking over the API: provider availability, bookable slots, orders and their life.

use axum::{
    Json,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
};
use linli_app::orders::{
    CancelPreview, Choice, OrderForm, OrderView, ScheduleForm, ScheduleView, Slots,
};
use linli_domain::ids::{AddressId, ListingId, OrderId};

use crate::{
    AppState,
    access::{Access, Routes},
    error::{ApiError, ApiResult, ErrorBody},
    extract::{ApiJson, ApiPath, ApiQuery, parse_json},
    idempotency,
    session::CurrentActor,
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/provider/schedule", Access::Member, schedule)
        .put("/api/v1/provider/schedule", Access::Member, put_schedule)
        .get("/api/v1/provider/orders", Access::Member, provider_orders)
        .post(
            "/api/v1/provider/orders/{id}/accept",
            Access::Member,
            accept,
        )
        .post(
            "/api/v1/provider/orders/{id}/decline",
            Access::Member,
            decline,
        )
        .get("/api/v1/listings/{id}/slots", Access::Member, slots)
        .get("/api/v1/orders", Access::Member, my_orders)
        .post("/api/v1/orders", Access::Member, place)
        .get("/api/v1/orders/{id}", Access::Member, get)
        .get("/api/v1/orders/{id}/cancel", Access::Member, cancel_preview)
        .post("/api/v1/orders/{id}/cancel", Access::Member, cancel)
        .post("/api/v1/orders/{id}/reschedule", Access::Member, reschedule)
        .post("/api/v1/orders/{id}/no-show", Access::Member, no_show)
        .post("/api/v1/dev/orders/{id}/pay", Access::Dev, simulate_pay)
        .post("/api/v1/dev/clock", Access::Dev, advance_clock)
}

/// The caller's availability (defaults until saved).
#[utoipa::path(get, path = "/api/v1/provider/schedule", tag = "orders", security(("bearer" = [])),
    responses((status = 200, body = ScheduleView), (status = 409, body = ErrorBody)))]
pub async fn schedule(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> ApiResult<Json<ScheduleView>> {
    Ok(Json(state.app.my_schedule(&actor).await?))
}

/// Replace the caller's availability: weekly hours, exceptions, capacity, notice, horizon, buffer.
#[utoipa::path(put, path = "/api/v1/provider/schedule", tag = "orders", security(("bearer" = [])), request_body = ScheduleForm,
    responses((status = 200, body = ScheduleView), (status = 422, body = ErrorBody)))]
pub async fn put_schedule(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiJson(f): ApiJson<ScheduleForm>,
) -> ApiResult<Json<ScheduleView>> {
    Ok(Json(state.app.save_schedule(&actor, &f).await?))
}

/// Which slots to list.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SlotsQuery {
    /// One of the caller's addresses.
    pub address: String,
    /// Local date `YYYY-MM-DD`.
    pub date: String,
    /// Variant name.
    pub variant: Option<String>,
    /// Add-on names, comma-separated.
    pub addons: Option<String>,
    /// Hours, m² or items.
    pub units: Option<i64>,
}

impl SlotsQuery {
    fn choice(&self) -> Choice {
        Choice {
            variant: self.variant.clone(),
            addons: self
                .addons
                .as_deref()
                .unwrap_or_default()
                .split([',', '，'])
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect(),
            units: self.units,
        }
    }
}

/// Start times that can really be booked on a date at the caller's address, with the price.
#[utoipa::path(get, path = "/api/v1/listings/{id}/slots", tag = "orders", security(("bearer" = [])), params(("id" = String, Path), SlotsQuery),
    responses((status = 200, body = Slots), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn slots(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<ListingId>,
    ApiQuery(q): ApiQuery<SlotsQuery>,
) -> ApiResult<Json<Slots>> {
    let address: AddressId = q
        .address
        .parse()
        .map_err(|_| linli_app::AppError::from(linli_domain::DomainError::MalformedId))?;
    Ok(Json(
        state
            .app
            .slots(&actor, id, address, &q.date, &q.choice())
            .await?,
    ))
}

/// Order filter.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct OrdersQuery {
    /// `all` (default), `active`, `done`, `closed`.
    pub status: Option<String>,
}

/// The caller's orders, newest first.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", security(("bearer" = [])), params(OrdersQuery),
    responses((status = 200, body = Vec<OrderView>), (status = 422, body = ErrorBody)))]
pub async fn my_orders(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<OrdersQuery>,
) -> ApiResult<Json<Vec<OrderView>>> {
    Ok(Json(
        state
            .app
            .my_orders(&actor, q.status.as_deref().unwrap_or("all"))
            .await?,
    ))
}

/// Place an order. The price is computed by the server (a client-sent price is refused as
/// an unknown field); the slot is held for the payment window. A taken slot is 409
/// `slot_taken`; a time outside the hours, the notice or the horizon is 422. With an
/// `Idempotency-Key` header a retry gets the first answer again instead of a second order.
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", security(("bearer" = [])), request_body = OrderForm,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body answer the first response again")),
    responses((status = 201, body = OrderView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn place(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let run = || async {
        let f: OrderForm = match parse_json(&headers, &body) {
            Ok(f) => f,
            Err(e) => return e.into_response(),
        };
        match state.app.place_order(&actor, &f).await {
            Ok(o) => (StatusCode::CREATED, Json(o)).into_response(),
            Err(e) => ApiError::from(e).into_response(),
        }
    };
    idempotency::run(&state, &actor, &headers, &body, run).await
}

/// One of the caller's orders (as customer or provider) with its timeline.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(state.app.order_view(&actor, id).await?))
}

/// What cancelling now would cost (fee, refund, credit).
#[utoipa::path(get, path = "/api/v1/orders/{id}/cancel", tag = "orders", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = CancelPreview), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn cancel_preview(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
) -> ApiResult<Json<CancelPreview>> {
    Ok(Json(state.app.cancel_preview(&actor, id).await?))
}

/// A reason.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    /// Up to 200 characters.
    #[serde(default)]
    pub reason: String,
}

/// Cancel (customer: with the policy's fee; provider: full refund plus a credit).
#[utoipa::path(post, path = "/api/v1/orders/{id}/cancel", tag = "orders", security(("bearer" = [])), params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")), request_body = ReasonBody,
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn cancel(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let run = || async {
        match parse_json::<ReasonBody>(&headers, &body) {
            Ok(b) => idempotency::respond(state.app.cancel_order(&actor, id, &b.reason).await),
            Err(e) => e.into_response(),
        }
    };
    let print = idempotency::fingerprint(&format!("cancel:{id}"), &body);
    idempotency::run(&state, &actor, &headers, &print, run).await
}

/// A new time.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RescheduleBody {
    /// Local date `YYYY-MM-DD`.
    pub date: String,
    /// Local time `HH:MM`.
    pub time: String,
}

/// Move the order to another free slot (at most twice, until 2 h before the start).
#[utoipa::path(post, path = "/api/v1/orders/{id}/reschedule", tag = "orders", security(("bearer" = [])), params(("id" = String, Path)), request_body = RescheduleBody,
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn reschedule(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
    ApiJson(b): ApiJson<RescheduleBody>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(
        state.app.reschedule(&actor, id, &b.date, &b.time).await?,
    ))
}

/// Report that the provider did not come (from 30 minutes after the start, before check-in):
/// full refund, a credit, and a mark on the provider's reliability.
#[utoipa::path(post, path = "/api/v1/orders/{id}/no-show", tag = "orders", security(("bearer" = [])), params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn no_show(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
    headers: HeaderMap,
) -> Response {
    let run = || async { idempotency::respond(state.app.report_no_show(&actor, id).await) };
    let print = idempotency::fingerprint(&format!("no-show:{id}"), b"");
    idempotency::run(&state, &actor, &headers, &print, run).await
}

/// Which of the provider's orders.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ProviderOrdersQuery {
    /// First local date (default today).
    pub from: Option<String>,
    /// Days (1–31, default 7).
    pub days: Option<i64>,
    /// Only requests waiting for acceptance.
    pub requests: Option<bool>,
}

/// The provider's orders by start time (a calendar), or its open requests.
#[utoipa::path(get, path = "/api/v1/provider/orders", tag = "orders", security(("bearer" = [])), params(ProviderOrdersQuery),
    responses((status = 200, body = Vec<OrderView>), (status = 409, body = ErrorBody)))]
pub async fn provider_orders(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiQuery(q): ApiQuery<ProviderOrdersQuery>,
) -> ApiResult<Json<Vec<OrderView>>> {
    Ok(Json(
        state
            .app
            .provider_orders(
                &actor,
                q.from.as_deref(),
                q.days.unwrap_or(7),
                q.requests.unwrap_or(false),
            )
            .await?,
    ))
}

/// Accept a paid request.
#[utoipa::path(post, path = "/api/v1/provider/orders/{id}/accept", tag = "orders", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn accept(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(state.app.answer_order(&actor, id, true, "").await?))
}

/// Decline a paid request (the customer is refunded in full).
#[utoipa::path(post, path = "/api/v1/provider/orders/{id}/decline", tag = "orders", security(("bearer" = [])), params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe")), request_body = ReasonBody,
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn decline(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let run = || async {
        match parse_json::<ReasonBody>(&headers, &body) {
            Ok(b) => {
                idempotency::respond(state.app.answer_order(&actor, id, false, &b.reason).await)
            }
            Err(e) => e.into_response(),
        }
    };
    let print = idempotency::fingerprint(&format!("decline:{id}"), &body);
    idempotency::run(&state, &actor, &headers, &print, run).await
}

/// Dev mode only: simulate the customer paying (until the payment gateway is wired in).
#[utoipa::path(post, path = "/api/v1/dev/orders/{id}/pay", tag = "orders", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = OrderView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn simulate_pay(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
    ApiPath(id): ApiPath<OrderId>,
) -> ApiResult<Json<OrderView>> {
    Ok(Json(state.app.simulate_payment(&actor, id).await?))
}

/// How far to move the dev clock.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdvanceBody {
    /// Minutes (1–10080).
    pub minutes: i64,
}

/// The clock after moving.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct ClockView {
    /// Now, unix ms.
    pub now_ms: i64,
    /// Now, local time.
    pub now: String,
}

/// Dev mode only: move the server's clock forward (payment windows, deadlines and reminders
/// come due as the job runner sees the new time).
#[utoipa::path(post, path = "/api/v1/dev/clock", tag = "orders", request_body = AdvanceBody,
    responses((status = 200, body = ClockView), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn advance_clock(
    State(state): State<AppState>,
    ApiJson(b): ApiJson<AdvanceBody>,
) -> ApiResult<Json<ClockView>> {
    let now = state.app.advance_dev_clock(b.minutes)?;
    Ok(Json(ClockView {
        now_ms: now.0,
        now: now.local_display(),
    }))
}

//! The HTTP face of Linli: the JSON API under `/api/v1` (with its OpenAPI document), the
//! server-rendered customer pages at `/`, the provider console at `/pro` and the admin console
//! at `/admin`, plus health, readiness and metrics endpoints.
//!
//! Every route is added through [`access::Routes`], which records who may call it; a route
//! layer refuses any request whose route has no declaration, so a forgotten declaration is a
//! closed door, not an open one.

pub mod access;
pub mod api;
pub mod assets;
pub mod csrf;
pub mod edge;
pub mod error;
pub mod extract;
pub mod i18n;
pub mod idempotency;
pub mod listing_form;
pub mod metrics;
pub mod pages;
pub mod providers_form;
pub mod security;
pub mod session;
pub mod state;
pub mod telemetry;

use axum::{
    Router,
    extract::{MatchedPath, Request, State},
    middleware::{self, Next},
    response::Response,
};
pub use state::{AppState, WebConfig};
use tracing::Instrument;

/// Largest request body accepted anywhere except uploads.
pub const BODY_LIMIT: usize = 64 * 1024;

/// All routes with their access declarations (used by the router and by tests).
pub fn routes(dev_mode: bool) -> access::Routes {
    let r = access::Routes::new();
    let r = security::routes(r);
    let r = assets::routes(r);
    let r = api::routes(r);
    pages::routes(r, dev_mode)
}

/// Builds the full application router with its middleware stack.
pub fn router(state: AppState) -> Router {
    let (router, table) = routes(state.web.dev_mode).finish();
    let state = state.with_routes(table);
    let router = router
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            request_context,
        ))
        .fallback(pages::errors::not_found)
        .with_state(state);
    security::apply(router)
}

/// The per-request pipeline, as one route layer (it runs after routing, so it knows the route
/// pattern): a tracing span carrying the request id, metrics around everything, then who is
/// calling, then the route's access declaration, then the CSRF guard and flash messages, then
/// the handler.
async fn request_context(
    State(state): State<AppState>,
    matched: Option<MatchedPath>,
    req: Request,
    next: Next,
) -> Response {
    let span = request_span(&req);
    pipeline(state, matched, req, next).instrument(span).await
}

/// The span every log line of a request is recorded in: method, path (never the query, which
/// may carry personal data) and request id.
pub(crate) fn request_span(req: &Request) -> tracing::Span {
    let id = req
        .headers()
        .get(&security::REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("http", method = %req.method(), path = %req.uri().path(), request_id = %id)
}

async fn pipeline(
    state: AppState,
    matched: Option<MatchedPath>,
    mut req: Request,
    next: Next,
) -> Response {
    let start = std::time::Instant::now();
    let method = metrics::method_label(req.method());
    let (mut res, route) = match session::resolve(&state, &mut req).await {
        Err(res) => (res, None),
        Ok(()) => match access::check(&state, matched.as_ref(), &req) {
            access::Admission::Admit(route) => (csrf::guard(&state, req, next).await, Some(route)),
            access::Admission::Refuse(res, route) => (res, route),
        },
    };
    if let Some(route) = route {
        res.extensions_mut().insert(access::RouteLabel(route));
    }
    metrics::record(&state, method, &res, start);
    res
}

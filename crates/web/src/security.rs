//! The outer middleware stack: panic catcher (friendly 500), request ids, tracing spans and
//! security headers; plus the operational endpoints `/healthz`, `/readyz` and `/metrics`.

use axum::{
    Json, Router,
    extract::State,
    http::{HeaderName, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::{
    AppState,
    access::{Access, Routes},
};

/// Content Security Policy: everything from our own origin, no inline scripts or styles.
pub const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
    connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The request id header, set on the way in and copied to the response.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Request ids: a random 64-bit prefix per process plus a counter, formatted like a UUID. No
/// system call per request, unique across nodes in practice.
static ID_PREFIX: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
static ID_COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

pub(crate) fn next_request_id() -> String {
    let prefix = *ID_PREFIX.get_or_init(|| {
        linli_app::crypto::random_bytes::<8>()
            .map(u64::from_le_bytes)
            .unwrap_or(0x6c69_6e6c_6900_0000)
    });
    let n = ID_COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    // 8-4-4-4-12 hex digits: the prefix, then the counter. Hand-rolled: this runs per request.
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [b'-'; 36];
    let digits = (prefix as u128) << 64 | n as u128;
    let mut pos = 35;
    for i in 0..32 {
        if matches!(pos, 8 | 13 | 18 | 23) {
            pos -= 1;
        }
        out[pos] = HEX[((digits >> (4 * i)) & 0xf) as usize];
        pos = pos.saturating_sub(1);
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Content Security Policy for everything that is not a page (JSON, images, text): nothing may
/// load, nothing may frame it (the usual policy for APIs).
pub const CSP_NON_DOCUMENT: &str = "default-src 'none'; frame-ancestors 'none'";

/// Adds the security headers. Every response gets `nosniff`, a CSP and `X-Frame-Options`;
/// the headers that only govern documents (the full CSP, Referrer-Policy, Permissions-Policy)
/// go on HTML responses, where they take effect. A handler may set its own CSP.
pub(crate) fn add_security_headers(res: &mut Response) {
    let is_document = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    let h = res.headers_mut();
    h.reserve(if is_document { 5 } else { 3 });
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        let csp = if is_document { CSP } else { CSP_NON_DOCUMENT };
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        );
    }
    if is_document {
        h.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        );
        h.insert(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=(self)"),
        );
    }
}

/// Wraps the router in the outer layer ([`crate::edge`]).
pub fn apply(router: Router) -> Router {
    router.layer(crate::edge::EdgeLayer)
}

/// Health, readiness and metrics.
pub fn routes(r: Routes) -> Routes {
    r.get("/healthz", Access::Public, healthz)
        .get("/readyz", Access::Public, readyz)
        .get("/metrics", Access::Public, metrics)
}

async fn healthz() -> &'static str {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.app.store.ping().await {
        Ok(()) => Json(serde_json::json!({"status": "ready"})).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({"status": "unavailable", "database": "down"})),
            )
                .into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    match state.metrics.render() {
        Ok(body) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            body,
        )
            .into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn request_ids_are_unique_and_uuid_shaped() {
        let a = super::next_request_id();
        let b = super::next_request_id();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(a.matches('-').count(), 4);
        for (i, c) in a.char_indices() {
            if matches!(i, 8 | 13 | 18 | 23) {
                assert_eq!(c, '-', "{a}");
            } else {
                assert!(c.is_ascii_hexdigit(), "{a}");
            }
        }
    }
}

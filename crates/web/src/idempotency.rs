//! `Idempotency-Key` on booking and money-moving POSTs: the first request with a key runs and its
//! response is kept (per account); a repeat with the same body gets the kept response (with
//! `Idempotent-Replayed: true`), a repeat while the first still runs gets 409
//! `idempotency_in_progress`, and the same key with another body 422 `idempotency_key_reused`.
//! A 5xx is not kept, so a failed attempt can be retried with its key.

use axum::{
    body::to_bytes,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use linli_app::Actor;
use linli_store::IdempotencyClaim;

use crate::{AppState, error::ApiError};

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// Largest response kept.
const MAX_KEPT: usize = 1024 * 1024;

/// What a key stands for: the target (action and id) and the body, so a key reused on another
/// order or withdrawal is refused rather than answered with the first one's response.
pub fn fingerprint(target: &str, body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(target.len() + 1 + body.len());
    v.extend_from_slice(target.as_bytes());
    v.push(b'\n');
    v.extend_from_slice(body);
    v
}

/// A use case's answer as a response: its value as JSON, or its error.
pub fn respond<T: serde::Serialize>(result: linli_app::AppResult<T>) -> Response {
    match result {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => ApiError::from(e).into_response(),
    }
}

/// Runs `f` under the request's idempotency key (or plainly when it has none).
pub async fn run<F, Fut>(
    state: &AppState,
    actor: &Actor,
    headers: &HeaderMap,
    body: &[u8],
    f: F,
) -> Response
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Response>,
{
    let Some(raw) = headers.get(HEADER) else {
        return f().await;
    };
    let key = match raw.to_str() {
        Ok(k) if (1..=200).contains(&k.len()) && k.chars().all(|c| c.is_ascii_graphic()) => k,
        _ => {
            return ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_idempotency_key",
                "Idempotency-Key must be 1 to 200 visible ASCII characters",
            )
            .into_response();
        }
    };
    // Without an account the handler refuses the request itself; nothing to remember.
    let Ok(member) = actor.member() else {
        return f().await;
    };
    let hash = linli_app::crypto::token_hash(&String::from_utf8_lossy(body));
    let claim = state
        .app
        .store
        .claim_idempotency(member.id, key, &hash, state.app.now())
        .await;
    match claim {
        Ok(IdempotencyClaim::New) => {
            let response = f().await;
            let (mut parts, body) = response.into_parts();
            let Ok(bytes) = to_bytes(body, MAX_KEPT).await else {
                let _ = state
                    .app
                    .store
                    .finish_idempotency(member.id, key, None)
                    .await;
                return ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the response could not be kept",
                )
                .into_response();
            };
            let status = parts.status.as_u16();
            let kept = (status < 500).then(|| (i64::from(status), String::from_utf8_lossy(&bytes)));
            let _ = state
                .app
                .store
                .finish_idempotency(member.id, key, kept.as_ref().map(|(s, b)| (*s, b.as_ref())))
                .await;
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, axum::body::Body::from(bytes))
        }
        Ok(IdempotencyClaim::Replay { status, body }) => {
            let status = u16::try_from(status)
                .ok()
                .and_then(|s| StatusCode::from_u16(s).ok())
                .unwrap_or(StatusCode::OK);
            let mut res = (status, body).into_response();
            res.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            res.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            res
        }
        Ok(IdempotencyClaim::InProgress) => ApiError::new(
            StatusCode::CONFLICT,
            "idempotency_in_progress",
            "a request with this Idempotency-Key is still being processed",
        )
        .into_response(),
        Ok(IdempotencyClaim::Mismatch) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "idempotency_key_reused",
            "this Idempotency-Key was used with a different request",
        )
        .into_response(),
        Err(e) => ApiError::from(linli_app::AppError::from(e)).into_response(),
    }
}

//! One-time tokens for money-moving page forms: a page embeds a fresh token (`_once`) and the
//! handler runs the form once per token and target, so a double click or a resubmitted form
//! (back, then submit again) does not move money twice; the repeat is sent where the first
//! submission went, with a notice.

use axum::{http::header, response::Response};
use linli_app::AppError;
use linli_store::IdempotencyClaim;

use super::{Page, redirect_error, redirect_flash};
use crate::AppState;

/// A fresh one-time token for a money-moving form.
pub fn once_token() -> String {
    linli_app::crypto::random_bytes::<16>()
        .map(hex::encode)
        .unwrap_or_default()
}

/// Runs a money-moving form once per token and target (one page's forms share a token, each
/// acts on its own target): the first submission runs `f` and its redirect is kept; a
/// resubmission is sent to the same place with a notice instead of running again.
pub async fn once<F, Fut>(
    state: &AppState,
    p: &Page,
    token: &str,
    target: &str,
    back: &str,
    f: F,
) -> Response
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Response>,
{
    let Some(member) = p.member.as_ref() else {
        return redirect_error(state, back, &AppError::Unauthenticated);
    };
    if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return redirect_flash(state, back, true, "err.csrf");
    }
    let key = format!("form:{target}:{token}");
    let hash = linli_app::crypto::token_hash(target);
    let store = &state.app.store;
    match store
        .claim_idempotency(member.id, &key, &hash, state.app.now())
        .await
    {
        Ok(IdempotencyClaim::New) => {
            let res = f().await;
            let to = res
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or(back)
                .to_owned();
            let kept = (!res.status().is_server_error()).then_some((303, to.as_str()));
            if let Err(e) = store.finish_idempotency(member.id, &key, kept).await {
                tracing::warn!(error = %e, "form token not kept");
            }
            res
        }
        Ok(IdempotencyClaim::Replay { body, .. }) => {
            redirect_flash(state, &body, false, "admin_finance.already_done")
        }
        Ok(IdempotencyClaim::InProgress | IdempotencyClaim::Mismatch) => {
            redirect_flash(state, back, true, "admin_finance.already_done")
        }
        Err(e) => redirect_error(state, back, &e.into()),
    }
}

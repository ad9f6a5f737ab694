//! CSRF protection for every state-changing page request, enforced centrally so no form can
//! forget it. A random `linli_csrf` cookie is bound to a keyed token that pages embed in their
//! forms (`_csrf` field, `_csrf` query parameter for uploads, or `X-CSRF-Token` header). The
//! API is exempt because it never authenticates by cookie.
//!
//! The same layer carries flash messages: it reads the `linli_flash` cookie for the page and
//! deletes it once shown.

use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::Response,
};
use linli_app::crypto;

use crate::{
    AppState, BODY_LIMIT,
    access::is_api,
    pages::errors,
    session::{cookie, set_cookie},
};

/// CSRF cookie name.
pub const CSRF_COOKIE: &str = "linli_csrf";
/// Flash cookie name.
pub const FLASH_COOKIE: &str = "linli_flash";

/// The token pages put into their forms.
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// A one-time message for the next page: `(is_error, locale key)`.
#[derive(Debug, Clone)]
pub struct Flash(pub bool, pub String);

fn token_for(state: &AppState, cookie_value: &str) -> String {
    crypto::keyed_hash(
        state.app.config.secret_key.expose(),
        &["csrf", cookie_value],
    )
}

fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(query?)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// A redirect-ready `Set-Cookie` carrying a flash message (`key` is a locale key).
pub fn flash_cookie(is_error: bool, key: &str, secure: bool) -> HeaderValue {
    let kind = if is_error { "e" } else { "o" };
    // Locale keys are ASCII letters, dots and underscores; anything else is dropped.
    let key: String = key
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_'))
        .collect();
    set_cookie(FLASH_COOKIE, &format!("{kind}:{key}"), 60, true, secure)
}

/// Middleware: CSRF check for unsafe page requests, token and flash for the handler.
pub async fn protect(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    if is_api(path) {
        return next.run(req).await;
    }
    let secure = state.web.secure_cookies;
    let existing = cookie(req.headers(), CSRF_COOKIE)
        .filter(|v| v.len() == 43)
        .map(str::to_owned);
    let flash = cookie(req.headers(), FLASH_COOKIE).and_then(|v| {
        let (kind, key) = v.split_once(':')?;
        Some(Flash(kind == "e", key.to_owned()))
    });
    let unsafe_method = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let mut req = req;
    if unsafe_method {
        let Some(cookie_value) = existing.as_deref() else {
            return errors::page_status_key(&state, &req, StatusCode::FORBIDDEN, "err.csrf");
        };
        let expected_parts = ["csrf", cookie_value];
        let mut provided = req
            .headers()
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| query_param(req.uri().query(), "_csrf"));
        let is_form = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if provided.is_none() && is_form {
            let (parts, body) = req.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, BODY_LIMIT).await else {
                let req = Request::from_parts(parts, Body::empty());
                return errors::page_status(&state, &req, StatusCode::PAYLOAD_TOO_LARGE);
            };
            provided = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
                .ok()
                .and_then(|pairs| {
                    pairs
                        .into_iter()
                        .find(|(k, _)| k == "_csrf")
                        .map(|(_, v)| v)
                });
            req = Request::from_parts(parts, Body::from(bytes));
        }
        let ok = provided.is_some_and(|p| {
            crypto::keyed_hash_matches(state.app.config.secret_key.expose(), &expected_parts, &p)
        });
        if !ok {
            tracing::info!(path = %req.uri().path(), "csrf check failed");
            return errors::page_status_key(&state, &req, StatusCode::FORBIDDEN, "err.csrf");
        }
    }
    let (cookie_value, fresh) = match existing {
        Some(v) => (v, false),
        None => match crypto::new_token() {
            Ok(v) => (v, true),
            Err(_) => return errors::page_status(&state, &req, StatusCode::INTERNAL_SERVER_ERROR),
        },
    };
    req.extensions_mut()
        .insert(CsrfToken(token_for(&state, &cookie_value)));
    let had_flash = flash.is_some();
    if let Some(f) = flash {
        req.extensions_mut().insert(f);
    }
    let mut res = next.run(req).await;
    let is_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if fresh && is_html {
        res.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(CSRF_COOKIE, &cookie_value, 30 * 86_400, true, secure),
        );
    }
    let sets_flash = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.to_str().is_ok_and(|s| s.starts_with(FLASH_COOKIE)));
    if had_flash && is_html && !sets_flash {
        res.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(FLASH_COOKIE, "", 0, true, secure),
        );
    }
    res
}

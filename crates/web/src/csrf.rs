//! CSRF protection for every state-changing page request, enforced centrally so no form can
//! forget it. A random `linli_csrf` cookie is bound to a keyed token that pages embed in their
//! forms (`_csrf` field, `_csrf` query parameter for uploads, or `X-CSRF-Token` header). The
//! API is exempt because it never authenticates by cookie.
//!
//! The token is computed lazily, only when a page renders a form, so requests that render no
//! page (health checks, assets, the API) pay nothing. The same layer carries flash messages: it
//! reads the `linli_flash` cookie for the page and deletes it once shown.

use std::sync::{Arc, OnceLock};

use axum::{
    body::Body,
    extract::Request,
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

/// The CSRF state of one page request: the browser's cookie, or a fresh one made on demand.
#[derive(Debug, Clone)]
pub struct Csrf {
    cookie: Option<String>,
    fresh: Arc<OnceLock<String>>,
}

impl Csrf {
    /// The token to embed in forms (creating the cookie value if the browser has none).
    pub fn token(&self, state: &AppState) -> String {
        let value = match &self.cookie {
            Some(c) => c.as_str(),
            // A failed RNG leaves an empty value: forms then fail the check, safely.
            None => self
                .fresh
                .get_or_init(|| crypto::new_token().unwrap_or_default())
                .as_str(),
        };
        token_for(state, value)
    }
}

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

/// Checks the token of an unsafe page request; on success returns the request (its body
/// restored if it had to be read).
async fn verify(
    state: &AppState,
    req: Request,
    cookie_value: Option<&str>,
) -> Result<Request, Response> {
    let Some(cookie_value) = cookie_value else {
        return Err(errors::page_status_key(
            state,
            &req,
            StatusCode::FORBIDDEN,
            "err.csrf",
        ));
    };
    let mut req = req;
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
            return Err(errors::page_status(
                state,
                &req,
                StatusCode::PAYLOAD_TOO_LARGE,
            ));
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
        crypto::keyed_hash_matches(
            state.app.config.secret_key.expose(),
            &["csrf", cookie_value],
            &p,
        )
    });
    if ok {
        Ok(req)
    } else {
        tracing::info!(path = %req.uri().path(), "csrf check failed");
        Err(errors::page_status_key(
            state,
            &req,
            StatusCode::FORBIDDEN,
            "err.csrf",
        ))
    }
}

/// CSRF check for unsafe page requests, then the handler, then the cookies it needs.
pub async fn guard(state: &AppState, req: Request, next: Next) -> Response {
    if is_api(req.uri().path()) {
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
    let mut req = if unsafe_method {
        // Boxed: only unsafe requests pay for the body-reading future.
        match Box::pin(verify(state, req, existing.as_deref())).await {
            Ok(r) => r,
            Err(res) => return res,
        }
    } else {
        req
    };
    let csrf = Csrf {
        cookie: existing,
        fresh: Arc::new(OnceLock::new()),
    };
    let fresh = csrf.fresh.clone();
    let had_flash = flash.is_some();
    if let Some(ctx) = req.extensions_mut().get_mut::<crate::session::RequestCtx>() {
        ctx.csrf = Some(csrf);
        ctx.flash = flash;
    }
    let mut res = next.run(req).await;
    if let Some(value) = fresh.get() {
        // A page rendered a form for a browser without the cookie: give it the cookie.
        res.headers_mut().append(
            header::SET_COOKIE,
            set_cookie(CSRF_COOKIE, value, 30 * 86_400, true, secure),
        );
    }
    if had_flash {
        let is_html = res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"));
        let sets_flash = res
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .any(|v| v.to_str().is_ok_and(|s| s.starts_with(FLASH_COOKIE)));
        if is_html && !sets_flash {
            res.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(FLASH_COOKIE, "", 0, true, secure),
            );
        }
    }
    res
}

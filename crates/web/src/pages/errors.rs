//! Friendly error pages (404, 403, 400, 413, 429, 500) in the visitor's language, and the JSON
//! 404 for unknown API paths.

use askama::Template;
use axum::{
    extract::{Request, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use tracing::Instrument;

use super::{Page, page_from_parts, render};
use crate::{AppState, access::is_api, error::ApiError};

/// Last-resort 500 page (no template, no state), used when rendering itself failed.
pub const STATIC_500: &str = "<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>出错了 · 邻里</title>\
<body><h1>出错了 / Something went wrong</h1><p>请稍后再试。Please try again later.</p><p><a href=\"/\">返回首页 / Home</a></p></body></html>";

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    p: Page,
    status: u16,
    title_key: &'static str,
    message_key: String,
}

fn keys(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => ("error.400_title", "error.400_body"),
        403 => ("error.403_title", "error.403_body"),
        404 => ("error.404_title", "error.404_body"),
        405 => ("error.405_title", "error.405_body"),
        413 => ("error.413_title", "error.413_body"),
        429 => ("error.429_title", "error.429_body"),
        _ => ("error.500_title", "error.500_body"),
    }
}

/// An error page with the standard text for `status`.
pub fn page_status(state: &AppState, req: &Request, status: StatusCode) -> Response {
    page_status_key(state, req, status, keys(status).1)
}

/// An error page for `status` inside a handler that already has its page context.
pub fn page_with(p: Page, status: StatusCode) -> Response {
    let (title_key, message_key) = keys(status);
    let mut res = render(&ErrorPage {
        p,
        status: status.as_u16(),
        title_key,
        message_key: message_key.to_owned(),
    });
    *res.status_mut() = status;
    res
}

/// An error page for `status` with a specific message key.
pub fn page_status_key(
    state: &AppState,
    req: &Request,
    status: StatusCode,
    message_key: &str,
) -> Response {
    let (parts, ()) = clone_parts(req);
    let p = page_from_parts(&parts, state);
    let mut res = render(&ErrorPage {
        p,
        status: status.as_u16(),
        title_key: keys(status).0,
        message_key: message_key.to_owned(),
    });
    *res.status_mut() = status;
    res
}

fn clone_parts(req: &Request) -> (axum::http::request::Parts, ()) {
    let mut b = axum::http::Request::builder()
        .method(req.method().clone())
        .uri(req.uri().clone());
    if let Some(h) = b.headers_mut() {
        *h = req.headers().clone();
    }
    let mut parts = b
        .body(())
        .map(|r| r.into_parts().0)
        .unwrap_or_else(|_| axum::http::Request::new(()).into_parts().0);
    // Keep what the layout needs: actor, language, CSRF token (not the one-time flash).
    if let Some(ctx) = req.extensions().get::<crate::session::RequestCtx>() {
        parts.extensions.insert(crate::session::RequestCtx {
            flash: None,
            ..ctx.clone()
        });
    }
    (parts, ())
}

/// 404 for `api` paths as JSON, otherwise the friendly page.
pub fn not_found_for(state: &AppState, req: &Request, api: bool) -> Response {
    if api {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such resource").into_response()
    } else {
        page_status(state, req, StatusCode::NOT_FOUND)
    }
}

/// Router fallback: resolves who is asking (so the page header is right) and answers 404.
pub async fn not_found(State(state): State<AppState>, mut req: Request) -> Response {
    let start = std::time::Instant::now();
    let api = is_api(req.uri().path());
    let method = crate::metrics::method_label(req.method());
    let span = crate::request_span(&req);
    let res = async {
        match crate::session::resolve(&state, &mut req).await {
            Ok(()) => not_found_for(&state, &req, api),
            Err(res) => res,
        }
    }
    .instrument(span)
    .await;
    crate::metrics::record(&state, method, &res, start);
    res
}

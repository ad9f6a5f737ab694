//! The outermost layer, hand-written as one tower service so every request pays for a single
//! wrapper instead of four: it gives the request an id (kept if a trusted proxy already set
//! one), turns a panic anywhere below into the friendly 500 page, and puts the request id and
//! the security headers on every response.

use std::{
    any::Any,
    convert::Infallible,
    future::Future,
    panic::AssertUnwindSafe,
    pin::Pin,
    task::{Context, Poll},
};

use axum::{
    body::Body,
    http::{HeaderValue, Request, StatusCode, header},
    response::{Html, IntoResponse, Response},
};
use futures_util::future::{CatchUnwind, FutureExt};

use crate::security::{REQUEST_ID, add_security_headers, next_request_id};

/// Layer producing [`Edge`].
#[derive(Clone, Copy, Debug, Default)]
pub struct EdgeLayer;

impl<S> tower::Layer<S> for EdgeLayer {
    type Service = Edge<S>;
    fn layer(&self, inner: S) -> Edge<S> {
        Edge { inner }
    }
}

/// See the module docs.
#[derive(Clone, Debug)]
pub struct Edge<S> {
    inner: S,
}

impl<S> tower::Service<Request<Body>> for Edge<S>
where
    S: tower::Service<Request<Body>, Response = Response, Error = Infallible>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = EdgeFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<Body>) -> Self::Future {
        let id = match req.headers().get(&REQUEST_ID) {
            // An id from an upstream proxy is kept when it is short and plain (no log injection).
            Some(v)
                if v.len() <= 64
                    && v.as_bytes()
                        .iter()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_')) =>
            {
                v.clone()
            }
            _ => {
                let v = HeaderValue::from_str(&next_request_id())
                    .unwrap_or(HeaderValue::from_static("-"));
                req.headers_mut().insert(REQUEST_ID, v.clone());
                v
            }
        };
        EdgeFuture {
            inner: AssertUnwindSafe(self.inner.call(req)).catch_unwind(),
            id: Some(id),
        }
    }
}

pin_project_lite::pin_project! {
    /// Future of [`Edge`].
    pub struct EdgeFuture<F> {
        #[pin]
        inner: CatchUnwind<AssertUnwindSafe<F>>,
        id: Option<HeaderValue>,
    }
}

impl<F> Future for EdgeFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let mut res = match this.inner.poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Ok(Ok(res))) => res,
            Poll::Ready(Ok(Err(never))) => match never {},
            Poll::Ready(Err(panic)) => panic_response(&*panic),
        };
        if let Some(id) = this.id.take() {
            res.headers_mut().insert(REQUEST_ID, id);
        }
        add_security_headers(&mut res);
        Poll::Ready(Ok(res))
    }
}

fn panic_response(panic: &(dyn Any + Send)) -> Response {
    let detail = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_default();
    tracing::error!(panic = %detail, "handler panicked");
    let mut res = (
        StatusCode::INTERNAL_SERVER_ERROR,
        Html(crate::pages::errors::STATIC_500),
    )
        .into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

#[cfg(test)]
mod tests {
    use tower::{Layer, ServiceExt};

    use super::*;

    #[tokio::test]
    async fn a_panic_below_becomes_the_friendly_500_with_headers() {
        let svc = EdgeLayer.layer(tower::service_fn(|_req: Request<Body>| async move {
            if true {
                panic!("boom");
            }
            Ok::<Response, Infallible>(Response::new(Body::empty()))
        }));
        let res = svc.oneshot(Request::new(Body::empty())).await.unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(res.headers()["x-content-type-options"], "nosniff");
        assert_eq!(res.headers()[&REQUEST_ID].len(), 36);
    }

    #[tokio::test]
    async fn an_upstream_request_id_is_kept_only_when_plain() {
        let echo = tower::service_fn(|req: Request<Body>| async move {
            let id = req.headers()[&REQUEST_ID].clone();
            let mut res = Response::new(Body::empty());
            res.headers_mut().insert("seen", id);
            Ok::<Response, Infallible>(res)
        });
        let svc = EdgeLayer.layer(echo);
        let req = Request::builder()
            .header("x-request-id", "lb-123_abc")
            .body(Body::empty())
            .unwrap();
        let res = svc.clone().oneshot(req).await.unwrap();
        assert_eq!(res.headers()["seen"], "lb-123_abc");
        let req = Request::builder()
            .header("x-request-id", "evil id=1")
            .body(Body::empty())
            .unwrap();
        let res = svc.oneshot(req).await.unwrap();
        assert_ne!(res.headers()["seen"], "evil id=1");
    }
}

//! Prometheus metrics: request counts and latencies by method, route pattern and status.

use std::time::Instant;

use axum::response::Response;
use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{family::Family, histogram::Histogram},
    registry::Registry,
};

use crate::{AppState, access::RouteLabel};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: &'static str,
    route: &'static str,
    status: u16,
}

/// The registry and the HTTP metrics.
pub struct Metrics {
    registry: Registry,
    latency: Family<HttpLabels, Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// Registers the metrics.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("linli");
        let latency = Family::<HttpLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5])
        });
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            latency.clone(),
        );
        Self { registry, latency }
    }

    /// OpenMetrics text.
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// Counts and times one request by its route pattern (never the raw path, which would explode
/// label cardinality). Labels are static strings, so recording allocates nothing.
pub fn record(state: &AppState, method: &'static str, res: &Response, start: Instant) {
    let route = res
        .extensions()
        .get::<RouteLabel>()
        .map(|r| r.0)
        .unwrap_or("unmatched");
    let labels = HttpLabels {
        method,
        route,
        status: res.status().as_u16(),
    };
    let elapsed = start.elapsed();
    state
        .metrics
        .latency
        .get_or_create(&labels)
        .observe(elapsed.as_secs_f64());
    let status = res.status();
    if status.is_server_error() {
        tracing::error!(
            status = status.as_u16(),
            latency_ms = elapsed.as_millis(),
            "request failed"
        );
    } else {
        tracing::debug!(
            status = status.as_u16(),
            latency_ms = elapsed.as_millis(),
            "request finished"
        );
    }
}

/// A static name for the method label.
pub fn method_label(m: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *m {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

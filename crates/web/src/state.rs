//! Shared state of every handler: one `Arc`, so the many per-request clones that axum's layers
//! make cost a single reference-count increment each.

use std::{ops::Deref, sync::Arc};

use linli_app::App;

use crate::{access::RouteTable, i18n::I18n, metrics::Metrics};

/// Web-only settings.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Developer conveniences (the `/dev/sms` inbox).
    pub dev_mode: bool,
    /// Take the client IP from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_proxy: bool,
}

/// What the state holds.
pub struct StateInner {
    /// Use cases.
    pub app: App,
    /// Texts in both languages.
    pub i18n: Arc<I18n>,
    /// Prometheus registry.
    pub metrics: Metrics,
    /// Declared routes.
    pub routes: RouteTable,
    /// Web settings.
    pub web: WebConfig,
}

/// What handlers receive. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<StateInner>);

impl Deref for AppState {
    type Target = StateInner;
    fn deref(&self) -> &StateInner {
        &self.0
    }
}

impl AppState {
    /// State for `app` (routes are filled in by [`crate::router`]).
    pub fn new(app: App, web: WebConfig) -> Self {
        Self::with(app, web, RouteTable::default())
    }

    fn with(app: App, web: WebConfig, routes: RouteTable) -> Self {
        Self(Arc::new(StateInner {
            app,
            i18n: Arc::new(I18n::load()),
            metrics: Metrics::new(),
            routes,
            web,
        }))
    }

    pub(crate) fn with_routes(self, table: RouteTable) -> Self {
        let inner = Arc::try_unwrap(self.0).unwrap_or_else(|shared| StateInner {
            app: shared.app.clone(),
            i18n: shared.i18n.clone(),
            metrics: Metrics::new(),
            routes: RouteTable::default(),
            web: shared.web.clone(),
        });
        Self(Arc::new(StateInner {
            routes: table,
            ..inner
        }))
    }
}

//! Shared state of every handler.

use std::sync::Arc;

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

/// What handlers receive.
#[derive(Clone)]
pub struct AppState {
    /// Use cases.
    pub app: App,
    /// Texts in both languages.
    pub i18n: Arc<I18n>,
    /// Prometheus registry.
    pub metrics: Arc<Metrics>,
    /// Declared routes.
    pub routes: Arc<RouteTable>,
    /// Web settings.
    pub web: Arc<WebConfig>,
}

impl AppState {
    /// State for `app`.
    pub fn new(app: App, web: WebConfig) -> Self {
        Self {
            app,
            i18n: Arc::new(I18n::load()),
            metrics: Arc::new(Metrics::new()),
            routes: Arc::new(RouteTable::default()),
            web: Arc::new(web),
        }
    }

    pub(crate) fn with_routes(mut self, table: RouteTable) -> Self {
        self.routes = Arc::new(table);
        self
    }
}

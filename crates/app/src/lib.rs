//! Linli's use cases. [`App`] holds the ports (store, clock, SMS, files, rate limits) and every
//! use case takes an [`Actor`] and decides authorisation here, not in the web layer.

pub mod actor;
pub mod admin;
pub mod after_sale;
pub mod areas;
pub mod auth;
pub mod complaints;
pub mod crypto;
pub mod dashboard;
pub mod deposits;
pub mod error;
pub mod files;
pub mod guarantee;
pub mod jobs;
pub mod limiter;
pub mod listings;
pub mod money;
pub mod orders;
pub mod profile;
pub mod providers;
pub mod reliability;
pub mod reservice;
pub mod reviews;
pub mod search;
pub mod seed;
pub mod sms;
pub mod supplements;
pub mod visits;

use std::sync::Arc;

pub use actor::Actor;
pub use error::{AppError, AppResult};
use linli_domain::time::Clock;
use linli_store::Store;

/// A secret value whose `Debug` never shows it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    /// The secret text, for keyed hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Settings the use cases need (a slice of the server's config).
#[derive(Debug, Clone)]
pub struct AppConfig {
    /// Key for SMS code MACs and CSRF tokens.
    pub secret_key: Secret,
    /// Developer conveniences (the `/dev/sms` inbox) are on.
    pub dev_mode: bool,
    /// Page session lifetime.
    pub session_ttl_ms: i64,
    /// API access token lifetime.
    pub access_ttl_ms: i64,
    /// API refresh token lifetime.
    pub refresh_ttl_ms: i64,
    /// How long a placed order holds its slot unpaid.
    pub pay_window_ms: i64,
    /// How long a provider has to accept a paid order.
    pub accept_window_ms: i64,
    /// How long before the start both sides are reminded.
    pub reminder_before_ms: i64,
    /// Travel between on-site jobs.
    pub travel: linli_domain::schedule::Travel,
    /// Money: commission default, confirmation and settlement delays, withdrawals.
    pub money: money::MoneyConfig,
}

impl AppConfig {
    /// Defaults with the given secret.
    pub fn new(secret_key: Secret, dev_mode: bool) -> Self {
        use linli_domain::time::{DAY_MS, MINUTE_MS};
        Self {
            secret_key,
            dev_mode,
            session_ttl_ms: 30 * DAY_MS,
            access_ttl_ms: 15 * MINUTE_MS,
            refresh_ttl_ms: 30 * DAY_MS,
            pay_window_ms: 15 * MINUTE_MS,
            accept_window_ms: 30 * MINUTE_MS,
            reminder_before_ms: 2 * 60 * MINUTE_MS,
            travel: linli_domain::schedule::Travel::default(),
            money: money::MoneyConfig::default(),
        }
    }
}

/// The application: ports plus config. Cheap to clone.
#[derive(Clone)]
pub struct App {
    /// Persistence.
    pub store: Arc<dyn Store>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Outgoing SMS.
    pub sms: Arc<dyn sms::SmsSender>,
    /// Uploaded files.
    pub files: Arc<dyn files::FileStore>,
    /// Request rate limits.
    pub limiter: Arc<dyn limiter::RateLimiter>,
    /// Service search (set with [`App::with_search`]; search use cases refuse without it).
    pub search: Option<Arc<dyn linli_search::SearchIndex>>,
    /// Settings.
    pub config: AppConfig,
    /// This process's name among the nodes sharing the database (for leases).
    pub node: Arc<str>,
    /// The movable clock of dev mode (see [`App::with_dev_clock`]).
    pub dev_clock: Option<Arc<linli_domain::time::OffsetClock>>,
    /// The payment provider (set with [`App::with_payments`]; paying refuses without it).
    pub payments: Option<money::Payments>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Wires the embedded defaults around a store: SMS to the developer inbox, in-process rate
    /// limits, files under `files_root`.
    pub fn assemble(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        config: AppConfig,
        files_root: std::path::PathBuf,
    ) -> Self {
        Self {
            sms: Arc::new(sms::DevInbox::new(store.clone(), clock.clone())),
            limiter: Arc::new(limiter::MemoryLimiter::new(clock.clone())),
            files: Arc::new(files::LocalFiles::new(files_root)),
            search: None,
            node: Arc::from(uuid::Uuid::now_v7().to_string()),
            dev_clock: None,
            payments: None,
            store,
            clock,
            config,
        }
    }

    /// The same app with a search index.
    pub fn with_search(mut self, index: Arc<dyn linli_search::SearchIndex>) -> Self {
        self.search = Some(index);
        self
    }

    /// The same app with a payment provider.
    pub fn with_payments(mut self, payments: money::Payments) -> Self {
        self.payments = Some(payments);
        self
    }

    /// The same app on a clock that dev tools can move forward.
    pub fn with_dev_clock(mut self, clock: Arc<linli_domain::time::OffsetClock>) -> Self {
        self.clock = clock.clone();
        self.dev_clock = Some(clock);
        self
    }

    /// Dev mode: moves the clock forward by `minutes` (1–10080) and returns the new time.
    pub fn advance_dev_clock(&self, minutes: i64) -> AppResult<linli_domain::time::Timestamp> {
        let clock = self
            .dev_clock
            .as_ref()
            .filter(|_| self.config.dev_mode)
            .ok_or(AppError::NotFound)?;
        if !(1..=7 * 24 * 60).contains(&minutes) {
            return Err(linli_domain::DomainError::Invalid("minutes").into());
        }
        Ok(clock.advance(minutes * linli_domain::time::MINUTE_MS))
    }

    /// The current time from the injected clock.
    pub fn now(&self) -> linli_domain::time::Timestamp {
        self.clock.now()
    }
}

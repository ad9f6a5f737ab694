//! Errors of the use cases. Each maps to one stable code and HTTP status in the web layer.

use linli_domain::{DomainError, sms::SendRefusal};
use linli_store::StoreError;

/// What went wrong in a use case.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Input broke a domain rule.
    #[error(transparent)]
    Invalid(#[from] DomainError),
    /// No signed-in account.
    #[error("please sign in")]
    Unauthenticated,
    /// Signed in, but not allowed.
    #[error("not allowed")]
    Forbidden,
    /// The thing does not exist or is not the caller's.
    #[error("not found")]
    NotFound,
    /// A conflicting state, with a stable code (e.g. `phone_taken`).
    #[error("{message}")]
    Conflict {
        /// Stable code.
        code: &'static str,
        /// Human message.
        message: &'static str,
    },
    /// A rule of the request's own state refused it, with a stable code (422, e.g.
    /// `checklist_incomplete`); nothing changed.
    #[error("{message}")]
    Unprocessable {
        /// Stable code.
        code: &'static str,
        /// Human message.
        message: &'static str,
    },
    /// Phone or password wrong (one message for both, to not reveal which).
    #[error("wrong phone number or password")]
    BadCredentials,
    /// The SMS code is wrong, expired, used or burned.
    #[error("the code is wrong or has expired")]
    BadCode,
    /// The account is disabled.
    #[error("this account is disabled")]
    AccountDisabled,
    /// Too many requests.
    #[error("too many requests, retry in {retry_after_secs} s")]
    RateLimited {
        /// Seconds until a retry may succeed.
        retry_after_secs: i64,
    },
    /// SMS sending refused by cooldown or daily limits.
    #[error("code not sent")]
    SmsRefused(SendRefusal),
    /// An uploaded file is not acceptable.
    #[error("{0}")]
    BadUpload(&'static str),
    /// A payment message or request was refused (forged, stale, replayed, not ours), or the
    /// payment provider refused ours.
    #[error("{message}")]
    Payment {
        /// Stable code (`bad_signature`, `replayed_nonce`, `amount_mismatch`, …).
        code: &'static str,
        /// Detail.
        message: String,
    },
    /// A bug or infrastructure failure (logged, shown as 500).
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::Conflict(_) => Self::Conflict {
                code: "conflict",
                message: "conflicting change",
            },
            StoreError::Rule(d) => Self::Invalid(d),
            other => Self::Internal(other.to_string()),
        }
    }
}

/// Result alias.
pub type AppResult<T> = Result<T, AppError>;

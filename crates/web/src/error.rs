//! One error type for the JSON API: a status, a stable `code` and a message, rendered as
//! `{code, message}`. [`status_and_code`] is the single table from use-case errors to HTTP.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use linli_app::AppError;
use linli_domain::sms::SendRefusal;

/// The JSON error body.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `invalid_phone`.
    pub code: String,
    /// Human-readable message.
    pub message: String,
}

/// An API error response.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Stable code.
    pub code: &'static str,
    /// Message.
    pub message: String,
    /// `Retry-After` seconds for 429s.
    pub retry_after: Option<i64>,
}

impl ApiError {
    /// An error with a status, code and message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }
}

/// Maps a use-case error to its HTTP status and stable code.
pub fn status_and_code(e: &AppError) -> (StatusCode, &'static str) {
    match e {
        AppError::Invalid(d) => (StatusCode::UNPROCESSABLE_ENTITY, d.code()),
        AppError::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
        AppError::Forbidden => (StatusCode::FORBIDDEN, "forbidden"),
        AppError::NotFound => (StatusCode::NOT_FOUND, "not_found"),
        AppError::Conflict { code, .. } => (StatusCode::CONFLICT, code),
        AppError::Unprocessable { code, .. } => (StatusCode::UNPROCESSABLE_ENTITY, code),
        AppError::BadCredentials => (StatusCode::UNAUTHORIZED, "bad_credentials"),
        AppError::BadCode => (StatusCode::BAD_REQUEST, "bad_code"),
        AppError::AccountDisabled => (StatusCode::FORBIDDEN, "account_disabled"),
        AppError::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
        AppError::SmsRefused(SendRefusal::Cooldown { .. }) => {
            (StatusCode::TOO_MANY_REQUESTS, "sms_cooldown")
        }
        AppError::SmsRefused(SendRefusal::PhoneDailyLimit) => {
            (StatusCode::TOO_MANY_REQUESTS, "sms_phone_daily_limit")
        }
        AppError::SmsRefused(SendRefusal::IpDailyLimit) => {
            (StatusCode::TOO_MANY_REQUESTS, "sms_ip_daily_limit")
        }
        AppError::BadUpload(_) => (StatusCode::BAD_REQUEST, "bad_upload"),
        AppError::Payment { code, .. } => (StatusCode::BAD_REQUEST, code),
        AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
    }
}

/// Seconds a client should wait, for rate-limit errors.
pub fn retry_after(e: &AppError) -> Option<i64> {
    match e {
        AppError::RateLimited { retry_after_secs }
        | AppError::SmsRefused(SendRefusal::Cooldown { retry_after_secs }) => {
            Some(*retry_after_secs)
        }
        AppError::SmsRefused(_) => Some(3600),
        _ => None,
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let (status, code) = status_and_code(&e);
        let message = if let AppError::Internal(detail) = &e {
            // Details go to the log with the request id, never to the client.
            tracing::error!(error = %detail, "internal error");
            "internal error".to_owned()
        } else {
            e.to_string()
        };
        Self {
            status,
            code,
            message,
            retry_after: retry_after(&e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = (
            self.status,
            Json(ErrorBody {
                code: self.code.to_owned(),
                message: self.message,
            }),
        )
            .into_response();
        if let Some(secs) = self.retry_after
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

/// Result of API handlers.
pub type ApiResult<T> = Result<T, ApiError>;

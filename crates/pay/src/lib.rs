//! Payments of Linli.
//!
//! - [`PaymentGateway`]: the port the platform codes against (create / query / close a payment,
//!   refunds, payouts by transfer, the daily statement).
//! - [`HttpGateway`]: a client speaking a WeChat Pay API v3-style protocol over HTTP: every
//!   request is signed with the merchant key (`Authorization: WECHATPAY2-SHA256-RSA2048 …`) and
//!   every response's `Wechatpay-Signature` is verified with the PSP key.
//! - [`verify_notification`]: checks an asynchronous PSP notification (signature, serial,
//!   freshness, AES-256-GCM resource decryption, merchant id). Nonce replay is the caller's job.
//! - [`sandbox`]: an in-memory PSP that behaves like WeChat Pay v3 (cashier page, signed and
//!   encrypted notifications with retries), so the real verification code runs in dev and tests.
//!
//! Money is integer 分 ([`Fen`]); times are unix milliseconds, except protocol timestamps, which
//! are unix seconds as in v3.

pub mod client;
pub mod keys;
pub mod notify;
pub mod sandbox;
pub mod sign;
mod util;
pub mod wire;

use serde::{Deserialize, Serialize};

pub use client::{HttpGateway, MerchantConfig};
pub use keys::{KeyError, Keys};
pub use notify::{
    Notice, NotificationHeaders, VerifiedNotification, VerifyError, sign_notification,
    verify_notification,
};
pub use sandbox::{Sandbox, SandboxConfig};
pub use util::shanghai_day;

/// An amount of money in 分 (1/100 yuan).
pub type Fen = i64;

/// What a gateway call can fail with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayError {
    /// The PSP refused the request (a 4xx with a v3 error body `{code, message}`).
    #[error("rejected by the payment provider: {code}: {message}")]
    Rejected {
        /// The PSP's stable error code, e.g. `ORDERPAID`, `NOT_ENOUGH`, `SIGN_ERROR`.
        code: String,
        /// Human-readable explanation.
        message: String,
    },
    /// The PSP could not be reached, answered 5xx, or answered something unreadable.
    #[error("payment provider unavailable: {0}")]
    Unavailable(String),
    /// A response did not carry a valid PSP signature.
    #[error("payment provider response has a bad signature: {0}")]
    BadSignature(String),
    /// The order / refund / transfer does not exist at the PSP.
    #[error("not found at the payment provider")]
    NotFound,
    /// A local failure before anything was sent (signing, missing key, RNG).
    #[error("payment client error: {0}")]
    Internal(String),
}

impl PayError {
    /// A stable code for logs and API errors.
    pub fn code(&self) -> &str {
        match self {
            PayError::Rejected { code, .. } => code,
            PayError::Unavailable(_) => "psp_unavailable",
            PayError::BadSignature(_) => "psp_bad_signature",
            PayError::NotFound => "psp_not_found",
            PayError::Internal(_) => "psp_client_error",
        }
    }
}

/// A request to start a payment (v3 "Native" order: the payer scans or opens a cashier URL).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatePayment {
    /// The merchant's order number: 1–32 characters of `[A-Za-z0-9_\-|*]`.
    pub out_trade_no: String,
    /// Shown to the payer; at most 127 characters.
    pub description: String,
    /// Total in 分, > 0.
    pub amount: Fen,
    /// Where the PSP POSTs the `TRANSACTION.SUCCESS` notification.
    pub notify_url: String,
    /// Where the cashier sends the browser after the payer acts (sandbox extension).
    pub return_url: Option<String>,
    /// After this instant the order can no longer be paid.
    pub expire_at_ms: Option<i64>,
}

/// What [`PaymentGateway::create`] returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedPayment {
    /// The PSP's handle on the payment.
    pub prepay_id: String,
    /// Absolute URL of the (sandbox) cashier page for this payment (v3 `code_url`).
    pub cashier_url: String,
}

/// v3 `trade_state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TradeState {
    /// Not paid yet.
    #[serde(alias = "NOTPAY")]
    NotPay,
    /// Paid.
    Success,
    /// Closed before payment; cannot be paid any more.
    Closed,
    /// The last payment attempt failed; the payer may try again until closed or expired.
    #[serde(alias = "PAYERROR")]
    PayError,
    /// Paid, and at least one refund has been started.
    Refund,
}

impl TradeState {
    /// Whether money was received for this transaction.
    pub fn is_paid(self) -> bool {
        matches!(self, TradeState::Success | TradeState::Refund)
    }
}

/// A payment as the PSP sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// The merchant the payment belongs to.
    pub mchid: String,
    /// The merchant's order number.
    pub out_trade_no: String,
    /// The PSP's id, assigned on payment.
    pub transaction_id: Option<String>,
    /// The state.
    pub trade_state: TradeState,
    /// Order total, 分.
    pub amount: Fen,
    /// What the payer paid, 分 (0 until paid).
    pub payer_total: Fen,
    /// When the payment succeeded.
    pub success_time_ms: Option<i64>,
}

/// A request to refund (part of) a paid transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefundRequest {
    /// The paid order.
    pub out_trade_no: String,
    /// The merchant's refund number; the PSP is idempotent on it.
    pub out_refund_no: String,
    /// Amount to refund, 分, > 0.
    pub refund: Fen,
    /// The original order total, 分; must equal the transaction's amount.
    pub total: Fen,
    /// Shown to the payer.
    pub reason: String,
    /// Where the PSP POSTs `REFUND.*` notifications.
    pub notify_url: String,
}

/// v3 refund `status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RefundStatus {
    /// Accepted, not yet settled.
    Processing,
    /// Money returned to the payer.
    Success,
    /// Closed without paying out.
    Closed,
    /// Failed at the bank; needs manual handling.
    Abnormal,
}

/// A refund as the PSP sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refund {
    /// The merchant's refund number.
    pub out_refund_no: String,
    /// The PSP's refund id.
    pub refund_id: String,
    /// The refunded order.
    pub out_trade_no: String,
    /// Refunded amount, 分.
    pub refund: Fen,
    /// The state.
    pub status: RefundStatus,
    /// When the refund succeeded.
    pub success_time_ms: Option<i64>,
}

/// Where a payout goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountKind {
    /// A bank card (account_no = card number).
    BankCard,
    /// An Alipay account (account_no = Alipay login).
    Alipay,
}

/// A payout (e.g. a provider's withdrawal) from the merchant account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransferRequest {
    /// The merchant's transfer number; the PSP is idempotent on it.
    pub out_transfer_no: String,
    /// Amount, 分, > 0.
    pub amount: Fen,
    /// Kind of receiving account.
    pub account_kind: AccountKind,
    /// Receiving account number. In the sandbox, a number ending in `0000` fails.
    pub account_no: String,
    /// Name of the account holder.
    pub account_name: String,
    /// Shown on the receiver's statement.
    pub remark: String,
    /// Where the PSP POSTs `TRANSFER.*` notifications.
    pub notify_url: String,
}

/// State of a transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TransferStatus {
    /// Accepted, not yet settled.
    Processing,
    /// Money arrived.
    Success,
    /// Failed; money stays with the merchant. See `fail_reason`.
    Failed,
}

/// A transfer as the PSP sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// The merchant's transfer number.
    pub out_transfer_no: String,
    /// The PSP's transfer id.
    pub transfer_id: String,
    /// Amount, 分.
    pub amount: Fen,
    /// The state.
    pub status: TransferStatus,
    /// Why it failed (a PSP code such as `ACCOUNT_NOT_EXIST`).
    pub fail_reason: Option<String>,
    /// When it succeeded (or failed) at the PSP.
    pub success_time_ms: Option<i64>,
}

/// Kind of a statement line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StatementKind {
    /// Money in from a payer.
    Payment,
    /// Money back to a payer.
    Refund,
    /// Money out to a payee.
    Transfer,
}

/// One line of the PSP's daily statement. Amounts are positive; `kind` gives the direction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    /// Kind.
    pub kind: StatementKind,
    /// `out_trade_no` / `out_refund_no` / `out_transfer_no`.
    pub our_ref: String,
    /// `transaction_id` / `refund_id` / `transfer_id`.
    pub psp_ref: String,
    /// The order a payment or refund belongs to (`None` for transfers).
    pub out_trade_no: Option<String>,
    /// Amount, 分 (> 0).
    pub amount: Fen,
    /// When it succeeded.
    pub at_ms: i64,
}

/// The payment service provider, as the platform uses it.
#[async_trait::async_trait]
pub trait PaymentGateway: Send + Sync {
    /// Starts a payment; idempotent on `out_trade_no` while unpaid and unchanged.
    async fn create(&self, req: &CreatePayment) -> Result<CreatedPayment, PayError>;
    /// The PSP's view of a payment.
    async fn query(&self, out_trade_no: &str) -> Result<Transaction, PayError>;
    /// Closes an unpaid payment (`ORDERPAID` if it was paid meanwhile).
    async fn close(&self, out_trade_no: &str) -> Result<(), PayError>;
    /// Starts a refund; idempotent on `out_refund_no`.
    async fn refund(&self, req: &RefundRequest) -> Result<Refund, PayError>;
    /// The PSP's view of a refund.
    async fn query_refund(&self, out_refund_no: &str) -> Result<Refund, PayError>;
    /// Starts a payout; idempotent on `out_transfer_no`.
    async fn transfer(&self, req: &TransferRequest) -> Result<Transfer, PayError>;
    /// The PSP's view of a payout.
    async fn query_transfer(&self, out_transfer_no: &str) -> Result<Transfer, PayError>;
    /// All successful payments, refunds and transfers whose success time falls on `day`
    /// (YYYY-MM-DD, Asia/Shanghai = UTC+8).
    async fn statement(&self, day: &str) -> Result<Vec<StatementLine>, PayError>;
}

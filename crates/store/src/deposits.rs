//! Provider deposit (保证金) payments. Each call is one transaction.

use async_trait::async_trait;
use linli_domain::{ids::ProviderId, ledger::Entry, time::Timestamp};

use crate::StoreResult;

/// One attempt to pay (part of) a provider's deposit at the payment provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepositPaymentRow {
    /// Our reference at the provider.
    pub out_trade_no: String,
    /// The provider paying.
    pub provider_id: ProviderId,
    /// Amount in 分.
    pub amount_fen: i64,
    /// `pending`, `success` or `closed`.
    pub status: String,
    /// The payment provider's id for the payment.
    pub prepay_id: String,
    /// Where the payer pays.
    pub cashier_url: String,
    /// The payment provider's transaction id once paid.
    pub transaction_id: Option<String>,
    /// Created.
    pub created_at: Timestamp,
    /// Paid.
    pub paid_at: Option<Timestamp>,
}

/// Deposit persistence.
#[async_trait]
pub trait DepositStore: Send + Sync {
    /// Records a new pending deposit payment.
    async fn create_deposit_payment(&self, p: &DepositPaymentRow) -> StoreResult<()>;
    /// One deposit payment.
    async fn deposit_payment(&self, out_trade_no: &str) -> StoreResult<Option<DepositPaymentRow>>;
    /// A provider's deposit payments, newest first.
    async fn provider_deposit_payments(
        &self,
        provider: ProviderId,
    ) -> StoreResult<Vec<DepositPaymentRow>>;
    /// Marks a pending deposit payment paid and posts its entry, under the provider's wallet
    /// lock, exactly once: `false` (and nothing written) when it was no longer pending.
    async fn capture_deposit_payment(
        &self,
        out_trade_no: &str,
        transaction_id: &str,
        entry: &Entry,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Closes a pending deposit payment; `false` when it was no longer pending.
    async fn close_deposit_payment(&self, out_trade_no: &str) -> StoreResult<bool>;
}

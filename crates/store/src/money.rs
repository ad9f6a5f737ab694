//! Money persistence: payments, the append-only ledger, refunds, commission rules, payout
//! accounts, withdrawals and reconciliation. Each call is one transaction.

use async_trait::async_trait;
use linli_domain::{
    ids::{OrderId, ProviderId, RuleId, UserId, WithdrawalId},
    ledger::Entry,
    time::Timestamp,
};

use crate::{NewJob, StoreResult};

/// One attempt to pay an order at the payment provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRow {
    /// Our reference at the provider.
    pub out_trade_no: String,
    /// The order.
    pub order_id: OrderId,
    /// Amount in 分.
    pub amount_fen: i64,
    /// `pending`, `success` or `closed`.
    pub status: String,
    /// The provider's id for the payment.
    pub prepay_id: String,
    /// Where the payer pays.
    pub cashier_url: String,
    /// The provider's transaction id once paid.
    pub transaction_id: Option<String>,
    /// Created.
    pub created_at: Timestamp,
    /// Paid.
    pub paid_at: Option<Timestamp>,
    /// What it pays for: `order` (the booking) or `supplement` (an overrun's 补款).
    pub purpose: String,
}

/// A refund asked of the payment provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRow {
    /// Our reference.
    pub out_refund_no: String,
    /// The order.
    pub order_id: OrderId,
    /// The payment refunded.
    pub out_trade_no: String,
    /// Amount in 分.
    pub amount_fen: i64,
    /// `processing`, `success` or `failed`.
    pub status: String,
    /// Why.
    pub reason: String,
    /// The provider's refund id.
    pub refund_id: Option<String>,
    /// Created.
    pub created_at: Timestamp,
    /// Finished.
    pub finished_at: Option<Timestamp>,
}

/// A stored journal entry with its postings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryRow {
    /// Id.
    pub id: String,
    /// Kind (`capture`, `release`, …).
    pub kind: String,
    /// Order, if any.
    pub order_id: Option<OrderId>,
    /// Unique reference.
    pub reference: Option<String>,
    /// Memo.
    pub memo: String,
    /// When.
    pub created_at: Timestamp,
    /// `(account key, signed 分)` lines.
    pub postings: Vec<(String, i64)>,
}

/// A commission rule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CommissionRuleRow {
    /// Id.
    pub id: RuleId,
    /// `default`, `category` or `provider`.
    pub scope: String,
    /// Category slug or provider id (empty for the default).
    pub scope_id: String,
    /// Basis points.
    pub bps: i64,
    /// Minimum fee in 分.
    pub min_fen: i64,
    /// In force from.
    pub starts_at: Option<Timestamp>,
    /// In force until (exclusive).
    pub ends_at: Option<Timestamp>,
    /// Only for a provider's first N days after approval.
    pub new_provider_days: Option<i64>,
    /// Only for a provider's first N paid orders.
    pub new_provider_orders: Option<i64>,
    /// Switched on.
    pub active: bool,
    /// Note.
    pub note: String,
    /// Last change.
    pub updated_at: Timestamp,
}

/// One audited change of a commission rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleAuditRow {
    /// The rule.
    pub rule_id: RuleId,
    /// Who changed it.
    pub actor_id: UserId,
    /// `created` or `updated`.
    pub action: String,
    /// The rule before (JSON, empty when created).
    pub before: String,
    /// The rule after (JSON).
    pub after: String,
    /// When.
    pub at: Timestamp,
}

/// A provider's payout account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutAccountRow {
    /// Provider.
    pub provider_id: ProviderId,
    /// `bank_card` or `alipay`.
    pub kind: String,
    /// Masked number for display.
    pub account_masked: String,
    /// Encrypted number.
    pub account_enc: String,
    /// Account holder.
    pub holder_name: String,
    /// Last change.
    pub updated_at: Timestamp,
}

/// A withdrawal request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WithdrawalRow {
    /// Id.
    pub id: WithdrawalId,
    /// Provider.
    pub provider_id: ProviderId,
    /// Amount taken from the balance, in 分.
    pub amount_fen: i64,
    /// Fee kept by the platform, in 分.
    pub fee_fen: i64,
    /// `requested`, `approved`, `paid`, `rejected`, `failed`.
    pub status: String,
    /// `bank_card` or `alipay`.
    pub account_kind: String,
    /// Masked number.
    pub account_masked: String,
    /// Encrypted number.
    pub account_enc: String,
    /// Account holder.
    pub holder_name: String,
    /// Operator's note or the failure reason.
    pub note: String,
    /// The provider's transfer id.
    pub transfer_id: Option<String>,
    /// The operator who decided.
    pub decided_by: Option<UserId>,
    /// Requested.
    pub created_at: Timestamp,
    /// Decided.
    pub decided_at: Option<Timestamp>,
    /// Paid or failed.
    pub finished_at: Option<Timestamp>,
}

/// A status change of a withdrawal, conditional on its current status.
#[derive(Debug, Clone)]
pub struct WithdrawalChange<'a> {
    /// Which.
    pub id: WithdrawalId,
    /// Expected status.
    pub from: &'a str,
    /// New status.
    pub to: &'a str,
    /// Operator deciding (approve/reject).
    pub decided_by: Option<UserId>,
    /// Note (operator's or failure reason); `None` leaves it.
    pub note: Option<&'a str>,
    /// Transfer id from the payment provider.
    pub transfer_id: Option<&'a str>,
    /// Ledger entries to append.
    pub entries: &'a [Entry],
    /// Jobs to schedule.
    pub jobs: &'a [NewJob],
    /// When.
    pub now: Timestamp,
}

/// A money movement the payment provider should also know about (for reconciliation).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct MoneyEvent {
    /// `payment`, `refund` or `transfer`.
    pub kind: String,
    /// Our reference.
    pub our_ref: String,
    /// Amount in 分 (what moved at the provider).
    pub amount_fen: i64,
    /// When it succeeded.
    pub at: Timestamp,
}

/// A day's reconciliation report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconciliationRow {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// Lines that matched.
    pub matched: i64,
    /// The differences, JSON.
    pub differences: String,
    /// When it ran.
    pub created_at: Timestamp,
}

/// Money persistence.
#[async_trait]
pub trait MoneyStore: Send + Sync {
    /// Records a payment attempt.
    async fn create_payment(&self, p: &PaymentRow) -> StoreResult<()>;
    /// One payment.
    async fn payment(&self, out_trade_no: &str) -> StoreResult<Option<PaymentRow>>;
    /// An order's payments, newest first.
    async fn order_payments(&self, order: OrderId) -> StoreResult<Vec<PaymentRow>>;
    /// Pending payments created before `before` (to query back).
    async fn stale_payments(&self, before: Timestamp, limit: i64) -> StoreResult<Vec<PaymentRow>>;
    /// Marks a pending payment closed; false if it was not pending.
    async fn close_payment(&self, out_trade_no: &str) -> StoreResult<bool>;
    /// Whether a notification nonce was seen before.
    async fn nonce_seen(&self, nonce: &str) -> StoreResult<bool>;
    /// Remembers a notification nonce; false if it was seen before.
    async fn remember_nonce(&self, nonce: &str, at: Timestamp) -> StoreResult<bool>;
    /// Appends entries in one transaction (a duplicate reference is `Conflict`).
    async fn post_entries(&self, entries: &[Entry], now: Timestamp) -> StoreResult<()>;
    /// The balance (sum of postings) of one account.
    async fn account_balance(&self, account: &str) -> StoreResult<i64>;
    /// Balances of every account whose key starts with `prefix` (all accounts for `""`).
    async fn balances(&self, prefix: &str) -> StoreResult<Vec<(String, i64)>>;
    /// An order's entries, oldest first.
    async fn order_entries(&self, order: OrderId) -> StoreResult<Vec<EntryRow>>;
    /// Entries touching an account, newest first.
    async fn account_entries(&self, account: &str, limit: i64) -> StoreResult<Vec<EntryRow>>;
    /// One refund.
    async fn refund(&self, out_refund_no: &str) -> StoreResult<Option<RefundRow>>;
    /// An order's refunds.
    async fn order_refunds(&self, order: OrderId) -> StoreResult<Vec<RefundRow>>;
    /// Finishes a processing refund (`success` or `failed`) with its entries; false if it was
    /// no longer processing.
    async fn finish_refund(
        &self,
        out_refund_no: &str,
        status: &str,
        refund_id: Option<&str>,
        entries: &[Entry],
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// All commission rules.
    async fn commission_rules(&self) -> StoreResult<Vec<CommissionRuleRow>>;
    /// Inserts or replaces a rule and audits the change, in one transaction.
    async fn save_commission_rule(
        &self,
        rule: &CommissionRuleRow,
        audit: &RuleAuditRow,
    ) -> StoreResult<()>;
    /// The audit trail, newest first.
    async fn rule_audit(&self, limit: i64) -> StoreResult<Vec<RuleAuditRow>>;
    /// How many of a provider's orders have been paid.
    async fn provider_paid_orders(&self, provider: ProviderId) -> StoreResult<i64>;
    /// A provider's payout account.
    async fn payout_account(&self, provider: ProviderId) -> StoreResult<Option<PayoutAccountRow>>;
    /// Sets a provider's payout account.
    async fn put_payout_account(&self, row: &PayoutAccountRow) -> StoreResult<()>;
    /// Takes the provider's wallet lock, checks that the `available` account covers the
    /// amount (else `Rule(InsufficientBalance)`), then records the request with `entries`.
    async fn request_withdrawal(
        &self,
        w: &WithdrawalRow,
        available: &str,
        entries: &[Entry],
    ) -> StoreResult<()>;
    /// Changes a withdrawal's status if it is still `change.from` (else
    /// `Rule(InvalidTransition)`).
    async fn change_withdrawal(&self, change: &WithdrawalChange<'_>) -> StoreResult<WithdrawalRow>;
    /// One withdrawal.
    async fn withdrawal(&self, id: WithdrawalId) -> StoreResult<Option<WithdrawalRow>>;
    /// A provider's withdrawals, newest first.
    async fn provider_withdrawals(&self, provider: ProviderId) -> StoreResult<Vec<WithdrawalRow>>;
    /// Withdrawals in a status, oldest first.
    async fn withdrawals_in(&self, status: &str, limit: i64) -> StoreResult<Vec<WithdrawalRow>>;
    /// Payments (of orders and of deposits), refunds and transfers that succeeded in `[from, to)`.
    async fn money_events(&self, from: Timestamp, to: Timestamp) -> StoreResult<Vec<MoneyEvent>>;
    /// Saves (replaces) a day's reconciliation.
    async fn save_reconciliation(&self, row: &ReconciliationRow) -> StoreResult<()>;
    /// Recent reconciliations, newest day first.
    async fn reconciliations(&self, limit: i64) -> StoreResult<Vec<ReconciliationRow>>;
}

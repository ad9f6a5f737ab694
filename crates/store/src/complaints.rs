//! Complaint tickets and the inputs of the provider reliability score. Each call is one
//! transaction.

use async_trait::async_trait;
use linli_domain::{
    ids::{ComplaintId, OrderId, ProviderId, UserId},
    time::Timestamp,
};

use crate::StoreResult;

/// A complaint as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintRow {
    /// Id.
    pub id: ComplaintId,
    /// Who filed it.
    pub customer_id: UserId,
    /// The order it is about, if any.
    pub order_id: Option<OrderId>,
    /// The provider it is against (`None`: the platform).
    pub provider_id: Option<ProviderId>,
    /// Category name.
    pub category: String,
    /// The customer's text.
    pub body: String,
    /// `open`, `in_progress`, `resolved` or `closed`.
    pub status: String,
    /// First-response deadline.
    pub sla_due_at: Timestamp,
    /// When an operator first replied publicly.
    pub first_response_at: Option<Timestamp>,
    /// Resolved against the provider.
    pub upheld: bool,
    /// Filed at.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// One entry of a ticket's thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintNoteRow {
    /// Author account.
    pub author_id: UserId,
    /// `reply` (public), `internal` (operators only) or `status`.
    pub kind: String,
    /// Text.
    pub body: String,
    /// When.
    pub at: Timestamp,
}

/// A change an operator makes to a ticket, applied only if it is still in `from` status.
#[derive(Debug, Clone)]
pub struct ComplaintChange<'a> {
    /// The ticket.
    pub id: ComplaintId,
    /// The status it must still have.
    pub from: &'a str,
    /// Its new status (may equal `from`).
    pub to: &'a str,
    /// Thread entry to append: (kind, body).
    pub note: Option<(&'a str, &'a str)>,
    /// Author of the entry.
    pub author: UserId,
    /// This is a public reply: stamp the first response if none yet.
    pub first_response: bool,
    /// Set the upheld mark.
    pub upheld: Option<bool>,
}

/// What the reliability score is computed from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReliabilityInputs {
    /// `provider_cancel` marks.
    pub provider_cancels: i64,
    /// `no_show` marks.
    pub no_shows: i64,
    /// `missed_deadline` marks.
    pub missed_deadlines: i64,
    /// Complaints resolved against the provider.
    pub disputes_lost: i64,
    /// Milliseconds from payment to the provider's acceptance, one per accepted order.
    pub response_ms: Vec<i64>,
    /// Sum of review stars.
    pub rating_sum: i64,
    /// Number of reviews.
    pub rating_count: i64,
}

/// Complaint persistence.
#[async_trait]
pub trait ComplaintStore: Send + Sync {
    /// Stores a new ticket.
    async fn insert_complaint(&self, row: &ComplaintRow) -> StoreResult<()>;
    /// One ticket.
    async fn complaint(&self, id: ComplaintId) -> StoreResult<Option<ComplaintRow>>;
    /// A customer's tickets, newest first.
    async fn complaints_of(&self, customer: UserId) -> StoreResult<Vec<ComplaintRow>>;
    /// The operators' queue, oldest deadline first: optionally one status, optionally only
    /// tickets still waiting for a first reply after `overdue_at`.
    async fn complaint_queue(
        &self,
        status: Option<&str>,
        overdue_at: Option<Timestamp>,
        limit: i64,
    ) -> StoreResult<Vec<ComplaintRow>>;
    /// A ticket's thread, oldest first (all kinds; callers filter).
    async fn complaint_notes(&self, id: ComplaintId) -> StoreResult<Vec<ComplaintNoteRow>>;
    /// Applies a change; [`crate::StoreError::Conflict`] when the ticket left `from` meanwhile.
    async fn change_complaint(&self, c: &ComplaintChange<'_>, now: Timestamp) -> StoreResult<()>;
    /// The reliability inputs of a provider counted from `since`.
    async fn reliability_inputs(
        &self,
        provider: ProviderId,
        since: Timestamp,
    ) -> StoreResult<ReliabilityInputs>;
}

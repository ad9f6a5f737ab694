//! 先行赔付 claims. Each call is one transaction.

use async_trait::async_trait;
use linli_domain::{
    guarantee::Payout,
    ids::{GuaranteeClaimId, OrderId, ProviderId, UserId},
    time::Timestamp,
};

use crate::StoreResult;

/// A claim as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuaranteeClaimRow {
    /// Id.
    pub id: GuaranteeClaimId,
    /// The order it is about.
    pub order_id: OrderId,
    /// Who claims.
    pub customer_id: UserId,
    /// The provider who owes it if approved.
    pub provider_id: ProviderId,
    /// `damage` or `loss`.
    pub kind: String,
    /// The customer's description.
    pub description: String,
    /// Amount claimed, 分.
    pub claimed_fen: i64,
    /// Amount approved, 分 (0 unless approved).
    pub approved_fen: i64,
    /// `open`, `approved` or `rejected`.
    pub status: String,
    /// The operator's note.
    pub note: String,
    /// The operator who decided.
    pub decided_by: Option<UserId>,
    /// Filed at.
    pub created_at: Timestamp,
    /// Decided at.
    pub decided_at: Option<Timestamp>,
}

/// An operator's decision on an open claim.
#[derive(Debug, Clone)]
pub struct GuaranteeDecision<'a> {
    /// The claim.
    pub id: GuaranteeClaimId,
    /// `approved` or `rejected`.
    pub status: &'a str,
    /// Amount approved, 分.
    pub approved_fen: i64,
    /// The operator's note.
    pub note: &'a str,
    /// The operator.
    pub decided_by: UserId,
    /// For an approval: the payout, whose entry is built under the provider's wallet lock from
    /// its available balance and deposit as they stand (see [`linli_domain::guarantee`]).
    pub payout: Option<&'a Payout>,
}

/// Claim persistence.
#[async_trait]
pub trait GuaranteeStore: Send + Sync {
    /// Stores a new open claim; [`crate::StoreError::Conflict`] when the order already has one.
    async fn insert_guarantee_claim(&self, row: &GuaranteeClaimRow) -> StoreResult<()>;
    /// One claim.
    async fn guarantee_claim(&self, id: GuaranteeClaimId)
    -> StoreResult<Option<GuaranteeClaimRow>>;
    /// An order's claims, newest first.
    async fn guarantee_claims_of_order(
        &self,
        order: OrderId,
    ) -> StoreResult<Vec<GuaranteeClaimRow>>;
    /// Claims in one status (or all), oldest first.
    async fn guarantee_queue(
        &self,
        status: Option<&str>,
        limit: i64,
    ) -> StoreResult<Vec<GuaranteeClaimRow>>;
    /// Decides an open claim and posts its entries together;
    /// [`crate::StoreError::Conflict`] when it is no longer open.
    async fn decide_guarantee_claim(
        &self,
        d: &GuaranteeDecision<'_>,
        now: Timestamp,
    ) -> StoreResult<()>;
}

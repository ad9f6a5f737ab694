//! After-sale persistence (售后): requests, the provider's answer and the platform's decision.
//! Each call is one transaction.

use async_trait::async_trait;
use linli_domain::{
    ids::{AfterSaleId, OrderId, ProviderId, UserId},
    time::Timestamp,
};

use crate::{NewJob, StoreResult};

/// An after-sale request as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AfterSaleRow {
    /// Id.
    pub id: AfterSaleId,
    /// The order.
    pub order_id: OrderId,
    /// The customer who opened it.
    pub customer_id: UserId,
    /// The order's provider.
    pub provider_id: ProviderId,
    /// `full_refund`, `partial_refund` or `reservice`.
    pub kind: String,
    /// Amount asked for, in 分 (0 for re-service).
    pub amount_fen: i64,
    /// The customer's reason.
    pub reason: String,
    /// The customer's photos: one `photo thumb` pair of stored names per line.
    pub photos: String,
    /// `pending`, `countered`, `rejected`, `escalated` or `resolved`.
    pub status: String,
    /// The provider's counter-offer in 分.
    pub counter_fen: i64,
    /// The provider's note (reason for a rejection or counter-offer).
    pub provider_note: String,
    /// The provider's photos, like `photos`.
    pub provider_photos: String,
    /// Once resolved: `refund`, `reservice` or `rejected`.
    pub outcome: String,
    /// Refunded in 分 when resolved with a refund.
    pub award_fen: i64,
    /// Who resolved it: `provider`, `customer`, `system` or `operator`.
    pub resolved_by: String,
    /// The operator's note on an arbitration.
    pub decision_note: String,
    /// The provider answers by then, or the request is accepted.
    pub answer_deadline: Timestamp,
    /// Opened.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// After-sale persistence.
#[async_trait]
pub trait AfterSaleStore: Send + Sync {
    /// Inserts a request with its jobs; [`crate::StoreError::Conflict`] when the order already
    /// has an open one.
    async fn create_after_sale(
        &self,
        row: &AfterSaleRow,
        jobs: &[NewJob],
        now: Timestamp,
    ) -> StoreResult<()>;
    /// One request.
    async fn after_sale(&self, id: AfterSaleId) -> StoreResult<Option<AfterSaleRow>>;
    /// An order's requests, newest first.
    async fn order_after_sales(&self, order: OrderId) -> StoreResult<Vec<AfterSaleRow>>;
    /// Requests in `status` (all when `None`), oldest first.
    async fn after_sale_queue(&self, status: Option<&str>) -> StoreResult<Vec<AfterSaleRow>>;
    /// Writes `row`'s mutable fields if the stored request is still in `from`; `false` when it
    /// changed meanwhile.
    async fn update_after_sale(&self, row: &AfterSaleRow, from: &str) -> StoreResult<bool>;
}

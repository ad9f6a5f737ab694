//! Review persistence: customers' reviews of confirmed orders (with the providers' rating
//! totals kept in the same transaction), replies, reports, the operators' queue, and
//! providers' ratings of customers. Each call is one transaction.

use async_trait::async_trait;
use linli_domain::{
    ids::{ListingId, OrderId, ProviderId, ReviewId, UserId},
    time::Timestamp,
};

use crate::{PhotoRef, StoreResult};

/// A review to insert.
#[derive(Debug, Clone)]
pub struct NewReview {
    /// Id.
    pub id: ReviewId,
    /// The confirmed order reviewed.
    pub order_id: OrderId,
    /// Its customer.
    pub customer_id: UserId,
    /// Overall stars.
    pub stars: i64,
    /// 准时, 专业, 态度.
    pub dims: [i64; 3],
    /// Text.
    pub body: String,
    /// Photos.
    pub photos: Vec<PhotoRef>,
    /// Shown as 匿名用户.
    pub anonymous: bool,
    /// The system's default positive review.
    pub is_default: bool,
    /// `published` or `pending` (held by the word filter).
    pub status: String,
    /// What the filter found, for the operator.
    pub flags: String,
}

/// A stored review with its author's nickname.
#[derive(Debug, Clone)]
pub struct ReviewRow {
    /// Id.
    pub id: ReviewId,
    /// Order.
    pub order_id: OrderId,
    /// Author.
    pub customer_id: UserId,
    /// Author's nickname.
    pub nickname: String,
    /// Provider reviewed.
    pub provider_id: ProviderId,
    /// Service reviewed.
    pub listing_id: ListingId,
    /// Overall stars.
    pub stars: i64,
    /// 准时, 专业, 态度.
    pub dims: [i64; 3],
    /// Text.
    pub body: String,
    /// Photos.
    pub photos: Vec<PhotoRef>,
    /// Anonymous.
    pub anonymous: bool,
    /// 系统默认好评.
    pub is_default: bool,
    /// `published`, `pending` or `hidden`.
    pub status: String,
    /// Filter findings.
    pub flags: String,
    /// Reports received.
    pub report_count: i64,
    /// In the operators' queue.
    pub queued: bool,
    /// The provider's reply.
    pub reply: Option<String>,
    /// `published`, `pending` or `hidden`.
    pub reply_status: Option<String>,
    /// When the provider replied.
    pub reply_at: Option<Timestamp>,
    /// Written.
    pub created_at: Timestamp,
}

/// Which published reviews to list.
#[derive(Debug, Clone, Default)]
pub struct ReviewFilter {
    /// Of one provider.
    pub provider: Option<ProviderId>,
    /// Of one service.
    pub listing: Option<ListingId>,
    /// Only with photos (有图).
    pub with_photos: bool,
    /// Only with these stars.
    pub stars: Option<i64>,
}

/// A provider's rating of a customer.
#[derive(Debug, Clone)]
pub struct CustomerRatingRow {
    /// Order.
    pub order_id: OrderId,
    /// Rating provider.
    pub provider_id: ProviderId,
    /// Rated customer.
    pub customer_id: UserId,
    /// Stars.
    pub stars: i64,
    /// Short note.
    pub body: String,
    /// When.
    pub created_at: Timestamp,
}

/// Review persistence.
#[async_trait]
pub trait ReviewStore {
    /// Inserts a review of a confirmed order by its customer; a published one adds to the
    /// provider's rating totals. `Rule(InvalidTransition)` if the order is not confirmed or
    /// not the customer's; `Conflict` when the order already has a review.
    async fn insert_review(&self, review: &NewReview, now: Timestamp) -> StoreResult<()>;
    /// One review.
    async fn review(&self, id: ReviewId) -> StoreResult<Option<ReviewRow>>;
    /// The review of an order.
    async fn review_of_order(&self, order: OrderId) -> StoreResult<Option<ReviewRow>>;
    /// A page of published reviews, newest first, and the total.
    async fn reviews(
        &self,
        filter: &ReviewFilter,
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<ReviewRow>, i64)>;
    /// `(count, sum of stars)` of the published reviews of a service.
    async fn listing_rating(&self, listing: ListingId) -> StoreResult<(i64, i64)>;
    /// Sets the reply of a provider's review once; false if it already has one.
    async fn set_review_reply(
        &self,
        id: ReviewId,
        provider: ProviderId,
        reply: &str,
        status: &str,
        flags: &str,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Records a report (once per reporter; again is a no-op) and queues the review.
    async fn report_review(
        &self,
        id: ReviewId,
        reporter: UserId,
        reason: &str,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// The operators' queue: queued reviews, oldest first.
    async fn review_queue(&self, limit: i64) -> StoreResult<Vec<ReviewRow>>;
    /// Reasons of a review's reports, oldest first.
    async fn review_report_reasons(&self, id: ReviewId) -> StoreResult<Vec<String>>;
    /// An operator's decision on a queued review: keep publishes it (and a held reply); hide
    /// hides it. Rating totals follow. `NotFound` if it is not queued.
    async fn decide_review(
        &self,
        id: ReviewId,
        hide: bool,
        now: Timestamp,
    ) -> StoreResult<ReviewRow>;
    /// Confirmed orders without a review whose confirmation is at or before `before`.
    async fn unreviewed_confirmed_orders(
        &self,
        before: Timestamp,
        limit: i64,
    ) -> StoreResult<Vec<(OrderId, UserId)>>;
    /// Stores a provider's rating of the customer of a confirmed order; `Conflict` when rated.
    async fn insert_customer_rating(&self, row: &CustomerRatingRow) -> StoreResult<()>;
    /// Providers' ratings of a customer, newest first.
    async fn customer_ratings(&self, customer: UserId) -> StoreResult<Vec<CustomerRatingRow>>;
    /// The rating of one order's customer, if given.
    async fn customer_rating_of_order(
        &self,
        order: OrderId,
    ) -> StoreResult<Option<CustomerRatingRow>>;
}

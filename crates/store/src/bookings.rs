//! Booking persistence: provider availability, orders, their timeline and the occupancy cells
//! that keep a provider's capacity from ever being exceeded.

use async_trait::async_trait;
use linli_domain::{
    ids::{AfterSaleId, ListingId, OrderId, ProviderId, UserId},
    schedule::{Availability, Travel},
    time::Timestamp,
};

use crate::{NewJob, StoreResult};

/// An order as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRow {
    /// Id.
    pub id: OrderId,
    /// Who booked.
    pub customer_id: UserId,
    /// Who serves.
    pub provider_id: ProviderId,
    /// What was booked.
    pub listing_id: ListingId,
    /// The listing's title at booking time.
    pub listing_title: String,
    /// The price explanation at booking time (JSON of `booking::Quote`).
    pub quote: String,
    /// Total in 分.
    pub total_fen: i64,
    /// The customer's address it was booked for.
    pub address_id: String,
    /// District code of the address.
    pub district_code: String,
    /// Latitude ×10⁶.
    pub lat_micro: i64,
    /// Longitude ×10⁶.
    pub lng_micro: i64,
    /// Full address text (masked to the provider until accepted).
    pub address_text: String,
    /// Contact name.
    pub contact_name: String,
    /// Contact phone (masked to the provider until accepted).
    pub contact_phone: String,
    /// Start.
    pub start_at: Timestamp,
    /// End.
    pub end_at: Timestamp,
    /// Buffer after the job, minutes (the provider's at booking time).
    pub buffer_min: i64,
    /// Status (`booking::OrderStatus` text).
    pub status: String,
    /// Cancellation policy text.
    pub cancel_policy: String,
    /// Accepted on payment.
    pub instant_book: bool,
    /// Unpaid orders expire at this time.
    pub pay_deadline: Timestamp,
    /// Paid orders not accepted by this time are declined.
    pub accept_deadline: Option<Timestamp>,
    /// Times rescheduled.
    pub times_moved: i64,
    /// Cancellation fee kept for the provider, 分.
    pub fee_fen: i64,
    /// Refund due to the customer, 分.
    pub refund_fen: i64,
    /// Credit granted to the customer, 分.
    pub credit_fen: i64,
    /// Customer's note to the provider.
    pub note: String,
    /// Paid into escrow, in 分.
    pub paid_fen: i64,
    /// Commission rate snapshotted at capture (basis points).
    pub commission_bps: i64,
    /// Minimum commission snapshotted at capture.
    pub commission_min_fen: i64,
    /// Bumped by every change.
    pub money_version: i64,
    /// When the provider completed it.
    pub completed_at: Option<Timestamp>,
    /// When its escrow was released.
    pub released_at: Option<Timestamp>,
    /// The after-sale request this order re-serves (返工, booked at no charge).
    pub reservice_of: Option<AfterSaleId>,
    /// Placed.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

/// One entry of an order's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderEventRow {
    /// When.
    pub at: Timestamp,
    /// `customer`, `provider`, `system` or `operator`.
    pub actor: String,
    /// What happened (`placed`, `paid`, `accepted`, …).
    pub action: String,
    /// Status before (none for `placed`).
    pub from_status: Option<String>,
    /// Status after.
    pub to_status: String,
    /// Detail (a reason, the old and new time).
    pub note: String,
}

/// A status change, applied only if the order is still in `from`.
#[derive(Debug, Clone)]
pub struct OrderChange<'a> {
    /// The order.
    pub id: OrderId,
    /// Expected current status.
    pub from: &'a str,
    /// New status.
    pub to: &'a str,
    /// Timeline action name.
    pub action: &'a str,
    /// Who (`customer`, `provider`, `system`, `operator`).
    pub actor: &'a str,
    /// Timeline note.
    pub note: &'a str,
    /// Set the acceptance deadline (paying).
    pub accept_deadline: Option<Timestamp>,
    /// Fee, refund and credit in 分 (cancelling); `None` leaves them.
    pub amounts: Option<(i64, i64, i64)>,
    /// A mark against the provider's reliability (`provider_cancel`, `no_show`, …).
    pub reliability: Option<&'a str>,
    /// Jobs to schedule in the same transaction.
    pub jobs: &'a [NewJob],
    /// Ledger entries to append in the same transaction.
    pub entries: &'a [linli_domain::ledger::Entry],
    /// Refunds to record in the same transaction (a job submits them).
    pub refunds: &'a [crate::RefundRow],
    /// Captures this payment first; a payment no longer pending is `Conflict("payment")`.
    pub capture: Option<Capture<'a>>,
    /// Only if the order's money version is still this (every change bumps it).
    pub money_version: Option<i64>,
    /// The visit's check-in or check-out, written with the change.
    pub visit: Option<crate::VisitRecord<'a>>,
    /// An after-sale request settled by the change: its new state and the status it must
    /// still be in; if it has moved on the whole change is `Conflict("after_sale")`.
    pub after_sale: Option<(&'a crate::AfterSaleRow, &'a str)>,
    /// When.
    pub now: Timestamp,
}

/// A payment captured with an order change.
#[derive(Debug, Clone, Copy)]
pub struct Capture<'a> {
    /// Our reference.
    pub out_trade_no: &'a str,
    /// The provider's transaction id.
    pub transaction_id: &'a str,
    /// The commission in force now, kept on the order for its whole life.
    pub commission: linli_domain::ledger::Commission,
    /// Whether the order itself records the payment (false for a late payment refunded at once).
    pub to_order: bool,
}

/// Order persistence. Each call is one transaction.
#[async_trait]
pub trait BookingStore: Send + Sync {
    /// A provider's availability, `None` when never set (the defaults apply).
    async fn schedule(&self, provider: ProviderId) -> StoreResult<Option<Availability>>;
    /// Replaces a provider's availability.
    async fn put_schedule(
        &self,
        provider: ProviderId,
        availability: &Availability,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Places an order if its time is still free: takes the provider's lock, which returns the
    /// provider's availability as it stands (`defaults` when never saved; its buffer is stored on
    /// the order), re-reads the jobs around it, checks `schedule::check`, takes its occupancy
    /// cells, writes the order, its first timeline entry and `jobs`. A taken slot is
    /// `Rule(Slot(Taken))` (or `Conflict` if the cells' unique key caught a race).
    async fn place_order(
        &self,
        order: &OrderRow,
        defaults: &Availability,
        travel: Travel,
        jobs: &[NewJob],
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Moves an order that holds its slot to a new time, under the same checks (and the same
    /// locked availability) as placing it; its own old time does not count against it.
    #[allow(clippy::too_many_arguments)]
    async fn reschedule_order(
        &self,
        id: OrderId,
        start: Timestamp,
        end: Timestamp,
        defaults: &Availability,
        travel: Travel,
        actor: &str,
        jobs: &[NewJob],
        now: Timestamp,
    ) -> StoreResult<OrderRow>;
    /// Applies a status change if the order is still in `change.from` (else
    /// `Rule(InvalidTransition)`); a status that no longer holds the slot frees its cells.
    async fn change_order(&self, change: &OrderChange<'_>) -> StoreResult<OrderRow>;
    /// One order.
    async fn order(&self, id: OrderId) -> StoreResult<Option<OrderRow>>;
    /// The order booked to re-serve an after-sale request that is live or done (not
    /// cancelled, expired or declined; at most one, by a unique index).
    async fn reservice_order(&self, request: AfterSaleId) -> StoreResult<Option<OrderRow>>;
    /// A customer's orders, newest first, optionally only some statuses.
    async fn customer_orders(
        &self,
        customer: UserId,
        statuses: &[&str],
        limit: i64,
    ) -> StoreResult<Vec<OrderRow>>;
    /// A provider's orders starting in `[from, to)`, optionally only some statuses, by start.
    async fn provider_orders(
        &self,
        provider: ProviderId,
        statuses: &[&str],
        from: Timestamp,
        to: Timestamp,
    ) -> StoreResult<Vec<OrderRow>>;
    /// An order's timeline, oldest first.
    async fn order_events(&self, id: OrderId) -> StoreResult<Vec<OrderEventRow>>;
    /// Occupancy cells an order holds (for tests and the invariant checks).
    async fn order_cells(&self, id: OrderId) -> StoreResult<i64>;
    /// Marks against a provider's reliability.
    async fn reliability_marks(&self, provider: ProviderId) -> StoreResult<Vec<String>>;
}

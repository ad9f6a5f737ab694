//! Verified-visit persistence: the service code, check-in, check-out and the checklist ticked
//! on site. Each call is one transaction.

use async_trait::async_trait;
use linli_domain::{ids::OrderId, time::Timestamp};

use crate::StoreResult;

/// One ticked checklist item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecklistTickRow {
    /// Index of the item in the listing's checklist.
    pub index: i64,
    /// When it was ticked.
    pub done_at: Timestamp,
    /// Stored photo name (empty when none).
    pub photo: String,
    /// Stored thumbnail name (empty when none).
    pub thumb: String,
}

/// An order's visit as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VisitRow {
    /// The order.
    pub order_id: OrderId,
    /// The customer's 6-digit service code.
    pub service_code: String,
    /// Wrong codes entered so far.
    pub code_attempts: i64,
    /// When the provider entered the right code.
    pub code_verified_at: Option<Timestamp>,
    /// When the provider checked in.
    pub checkin_at: Option<Timestamp>,
    /// Check-in latitude ×10⁶.
    pub checkin_lat_micro: Option<i64>,
    /// Check-in longitude ×10⁶.
    pub checkin_lng_micro: Option<i64>,
    /// Distance from the order's address at check-in, metres.
    pub checkin_distance_m: Option<i64>,
    /// Why the provider checked in from farther away (empty when within range).
    pub override_reason: String,
    /// When the provider checked out.
    pub checkout_at: Option<Timestamp>,
    /// Actual minutes between check-in and check-out.
    pub actual_minutes: Option<i64>,
    /// The final price in 分 (hourly services).
    pub final_fen: Option<i64>,
    /// Above what was paid, awaiting the customer's approval, in 分.
    pub extra_fen: i64,
    /// Ticked checklist items, by index.
    pub ticks: Vec<ChecklistTickRow>,
}

/// Where the provider checked in.
#[derive(Debug, Clone)]
pub struct CheckInRow<'a> {
    /// Latitude ×10⁶.
    pub lat_micro: i64,
    /// Longitude ×10⁶.
    pub lng_micro: i64,
    /// Distance from the address, metres.
    pub distance_m: i64,
    /// Override reason (empty within range).
    pub reason: &'a str,
}

/// What a visit records about its order's status change, written in the change's own
/// transaction ([`crate::OrderChange::visit`]): the two stand or fall together.
#[derive(Debug, Clone, Copy)]
pub enum VisitRecord<'a> {
    /// Check-in position, when the service starts. The visit must have been opened.
    CheckIn(&'a CheckInRow<'a>),
    /// Check-out, when the job is completed: actual minutes, the final price of an hourly job
    /// and the amount above what was paid that awaits the customer's approval.
    CheckOut {
        /// Minutes from check-in to check-out.
        actual_minutes: i64,
        /// Final price of an hourly job, 分.
        final_fen: Option<i64>,
        /// Amount above what was paid, 分.
        extra_fen: i64,
    },
}

/// What a service code attempt found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// Right (or already verified).
    Verified,
    /// Wrong; this many attempts are left.
    Wrong(i64),
    /// Too many wrong attempts: no more are taken.
    Locked,
}

/// Visit persistence.
#[async_trait]
pub trait VisitStore: Send + Sync {
    /// The order's visit with its ticks, `None` before one was opened.
    async fn visit(&self, order: OrderId) -> StoreResult<Option<VisitRow>>;
    /// Opens the order's visit with `code` unless it has one; returns the visit.
    async fn open_visit(&self, order: OrderId, code: &str, now: Timestamp)
    -> StoreResult<VisitRow>;
    /// Checks `code` against the visit, counting a wrong one; `max` wrong attempts lock it.
    async fn try_service_code(
        &self,
        order: OrderId,
        code: &str,
        max: i64,
        now: Timestamp,
    ) -> StoreResult<CodeCheck>;
    /// Ticks checklist item `index` (a later tick replaces the photo).
    async fn tick_checklist(
        &self,
        order: OrderId,
        index: i64,
        photo: &str,
        thumb: &str,
        now: Timestamp,
    ) -> StoreResult<()>;
}

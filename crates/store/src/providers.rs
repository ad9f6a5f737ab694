//! The provider part of the storage port: onboarding applications, their documents, the audit
//! log and notifications. [`crate::Store`] requires it, so `Arc<dyn Store>` reaches it.

use async_trait::async_trait;
use linli_domain::{
    ids::{DocumentId, ProviderId, UserId},
    provider::ReviewAction,
    time::Timestamp,
};

use crate::StoreResult;

/// A provider application (and, once approved, the provider).
#[derive(Clone)]
pub struct ProviderRow {
    /// Id.
    pub id: ProviderId,
    /// The applying account.
    pub user_id: UserId,
    /// `individual` or `company`.
    pub kind: String,
    /// Name shown to customers.
    pub display_name: String,
    /// Masked legal name (张*).
    pub real_name_masked: String,
    /// Encrypted legal name.
    pub real_name_enc: String,
    /// Masked identity number.
    pub id_number_masked: String,
    /// Encrypted identity number.
    pub id_number_enc: String,
    /// Category slugs served.
    pub categories: Vec<String>,
    /// District codes served.
    pub districts: Vec<String>,
    /// Introduction.
    pub intro: String,
    /// Application status.
    pub status: String,
    /// Operator's reason for rejecting or asking for more.
    pub review_note: Option<String>,
    /// Last (re)submission.
    pub submitted_at: Timestamp,
    /// Last review.
    pub reviewed_at: Option<Timestamp>,
    /// When approved.
    pub approved_at: Option<Timestamp>,
    /// Suspended because a required document expired.
    pub suspended: bool,
    /// Completed orders (filled by the booking issue).
    pub completed_orders: i64,
    /// Sum of review stars.
    pub rating_sum: i64,
    /// Number of reviews.
    pub rating_count: i64,
}

impl std::fmt::Debug for ProviderRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderRow")
            .field("id", &self.id)
            .field("display_name", &self.display_name)
            .field("real_name", &self.real_name_masked)
            .field("id_number", &self.id_number_masked)
            .field("status", &self.status)
            .finish_non_exhaustive()
    }
}

/// An uploaded document.
#[derive(Debug, Clone)]
pub struct DocumentRow {
    /// Id.
    pub id: DocumentId,
    /// Owner.
    pub provider_id: ProviderId,
    /// `licence` or `qualification`.
    pub kind: String,
    /// Stored photo name.
    pub photo: String,
    /// Stored thumbnail name.
    pub thumb: String,
    /// Last valid day, `YYYY-MM-DD`.
    pub expires_on: String,
    /// `active`, `expiring`, `expired` or `replaced`.
    pub status: String,
}

/// One audited action.
#[derive(Debug, Clone)]
pub struct AuditRow {
    /// Who.
    pub actor_id: String,
    /// What (e.g. `identity.reveal`).
    pub action: String,
    /// On what (e.g. `provider:<id>`).
    pub target: String,
    /// Extra detail.
    pub detail: String,
    /// When.
    pub created_at: Timestamp,
}

/// An in-app notification.
#[derive(Debug, Clone)]
pub struct NotificationRow {
    /// Kind (e.g. `document.expiring`).
    pub kind: String,
    /// Text.
    pub body: String,
    /// When.
    pub created_at: Timestamp,
    /// Read yet.
    pub read: bool,
}

/// A service area row.
#[derive(Debug, Clone, PartialEq)]
pub struct AreaRow {
    /// Id.
    pub id: String,
    /// Provider.
    pub provider_id: ProviderId,
    /// `districts` or `radius`.
    pub kind: String,
    /// District codes (districts zones).
    pub districts: Vec<String>,
    /// Centre latitude × 10⁶ (radius zones).
    pub lat_micro: i64,
    /// Centre longitude × 10⁶ (radius zones).
    pub lng_micro: i64,
    /// Radius in metres (radius zones).
    pub radius_m: i64,
    /// Surcharge in 分.
    pub surcharge_fen: i64,
}

/// What the expiry sweep changed.
#[derive(Debug, Default)]
pub struct ExpirySweep {
    /// Documents newly flagged as expiring soon, with the provider's account.
    pub expiring: Vec<(DocumentRow, UserId)>,
    /// Documents newly expired, with the provider's account (now suspended).
    pub expired: Vec<(DocumentRow, UserId)>,
}

/// Provider persistence. Each call is one transaction.
#[async_trait]
pub trait ProviderStore: Send + Sync {
    /// Creates or resubmits the application of `row.user_id` with its documents. Only allowed
    /// when the current status permits a submission (none, needs_info, rejected); otherwise
    /// [`crate::StoreError::Rule`]. On resubmission the id is kept, earlier documents of the
    /// kinds uploaded again are marked `replaced`, and the returned id is the stored one.
    async fn submit_application(
        &self,
        row: &ProviderRow,
        docs: &[DocumentRow],
        now: Timestamp,
    ) -> StoreResult<ProviderId>;
    /// The application of an account.
    async fn provider_by_user(&self, user: UserId) -> StoreResult<Option<ProviderRow>>;
    /// A provider by id.
    async fn provider(&self, id: ProviderId) -> StoreResult<Option<ProviderRow>>;
    /// One document.
    async fn document(&self, id: DocumentId) -> StoreResult<Option<DocumentRow>>;
    /// Documents of a provider, newest first (replaced ones included).
    async fn provider_documents(&self, id: ProviderId) -> StoreResult<Vec<DocumentRow>>;
    /// Applications by status (all when `None`), oldest submission first, with the total.
    async fn list_providers(
        &self,
        status: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<ProviderRow>, i64)>;
    /// Applies an operator's decision if the current status allows it.
    async fn review_application(
        &self,
        id: ProviderId,
        action: ReviewAction,
        note: Option<&str>,
        reviewer: UserId,
        now: Timestamp,
    ) -> StoreResult<ProviderRow>;
    /// Records an audited action.
    async fn append_audit(
        &self,
        actor: UserId,
        action: &str,
        target: &str,
        detail: &str,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Audit entries about a target, newest first.
    async fn audit_entries(&self, target: &str) -> StoreResult<Vec<AuditRow>>;
    /// Adds a notification; a repeated `dedupe_key` is ignored (returns false).
    async fn push_notification(
        &self,
        user: UserId,
        kind: &str,
        body: &str,
        dedupe_key: Option<&str>,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Newest notifications of an account.
    async fn notifications(&self, user: UserId, limit: i64) -> StoreResult<Vec<NotificationRow>>;
    /// A provider's service areas, oldest first.
    async fn service_areas(&self, provider: ProviderId) -> StoreResult<Vec<AreaRow>>;
    /// Adds a service area.
    async fn add_service_area(&self, row: &AreaRow, now: Timestamp) -> StoreResult<()>;
    /// Removes a service area of `provider` (someone else's: NotFound).
    async fn delete_service_area(&self, provider: ProviderId, id: &str) -> StoreResult<()>;
    /// Flags active documents of approved providers expiring on or before `warn_until`, and
    /// expires (and suspends their provider) documents whose last day is before `today`.
    async fn sweep_document_expiry(
        &self,
        today: &str,
        warn_until: &str,
    ) -> StoreResult<ExpirySweep>;
}

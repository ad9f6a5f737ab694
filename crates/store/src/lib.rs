//! The storage port of Linli: a use-case-shaped [`Store`] trait (one call = one transaction),
//! its row types and errors, and [`sql::SqlStore`], the one adapter that runs the same SQL on
//! SQLite (embedded default) and PostgreSQL (server mode) through sqlx's `Any` driver.
//!
//! Backend differences live in a few named places inside `sql/`: connection pragmas, how a
//! write transaction begins, and how jobs are claimed.

pub mod after_sale;
pub mod bookings;
pub mod complaints;
pub mod deposits;
pub mod guarantee;
pub mod listings;
pub mod money;
pub mod providers;
pub mod reviews;
pub mod rows;
pub mod sql;
pub mod visits;

pub use after_sale::*;
use async_trait::async_trait;
pub use bookings::*;
pub use complaints::*;
pub use deposits::*;
pub use guarantee::*;
use linli_domain::{
    ids::{AddressId, JobId, RoleId, SessionId, UserId},
    sms::SendRefusal,
    time::Timestamp,
};
pub use listings::*;
pub use money::*;
pub use providers::*;
pub use reviews::*;
pub use rows::*;
pub use visits::*;

/// Errors from the store. Constraint violations become [`StoreError::Conflict`] so callers can
/// answer 409 instead of 500.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint was violated; the text names the constraint or column.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The row does not exist (or belongs to somebody else).
    #[error("not found")]
    NotFound,
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A migration failed.
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value could not be interpreted.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// A domain rule refused the change (checked inside the transaction).
    #[error(transparent)]
    Rule(#[from] linli_domain::DomainError),
}

/// What an idempotency key says about a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdempotencyClaim {
    /// First use: run the request.
    New,
    /// Done before with the same body: answer this again.
    Replay {
        /// HTTP status.
        status: i64,
        /// Response body.
        body: String,
    },
    /// The first request with this key is still running.
    InProgress,
    /// The key was used with a different body.
    Mismatch,
}

/// Result alias for store calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// Which database an adapter talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

/// Outcome of presenting a refresh token.
#[derive(Debug)]
pub enum RefreshOutcome {
    /// The token was valid; it is now used and the new pair was stored.
    Rotated { user_id: UserId },
    /// The token had already been used: the whole family is now revoked (theft detection).
    Reused,
    /// Unknown, expired or revoked.
    Invalid,
}

/// Everything Linli persists. Each method is one transaction.
#[async_trait]
pub trait Store:
    ProviderStore
    + ListingStore
    + BookingStore
    + MoneyStore
    + VisitStore
    + ReviewStore
    + AfterSaleStore
    + ComplaintStore
    + GuaranteeStore
    + DepositStore
    + Send
    + Sync
    + 'static
{
    /// Which backend this is.
    fn backend(&self) -> Backend;
    /// Cheap connectivity check for `/readyz`.
    async fn ping(&self) -> StoreResult<()>;

    // ---- accounts ----
    /// Inserts a new account; [`StoreError::Conflict`] when the phone is taken.
    async fn create_user(&self, user: &NewUser) -> StoreResult<()>;
    /// Looks an account up by its normalised phone.
    async fn user_by_phone(&self, phone: &str) -> StoreResult<Option<UserRow>>;
    /// Looks an account up by id.
    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<UserRow>>;
    /// Sets a new password hash and revokes every token of the user except `keep_family`.
    async fn change_password(
        &self,
        id: UserId,
        hash: &str,
        keep_family: Option<SessionId>,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Updates the nickname.
    async fn update_nickname(&self, id: UserId, nickname: &str, now: Timestamp) -> StoreResult<()>;
    /// Sets the stored avatar object name.
    async fn set_avatar(&self, id: UserId, avatar: &str, now: Timestamp) -> StoreResult<()>;
    /// Enables or disables an account; disabling revokes all its tokens.
    async fn set_user_status(&self, id: UserId, status: &str, now: Timestamp) -> StoreResult<()>;
    /// A page of accounts, newest first, optionally filtered by a phone substring.
    async fn list_users(
        &self,
        phone_contains: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<UserRow>, i64)>;
    /// Counts accounts.
    async fn count_users(&self) -> StoreResult<i64>;

    // ---- tokens and sessions ----
    /// Stores new tokens (a page session, or an access + refresh pair) atomically.
    async fn insert_tokens(&self, tokens: &[NewToken]) -> StoreResult<()>;
    /// A live token (not expired, used or revoked) of the given kind, with its account.
    async fn live_token(
        &self,
        hash: &str,
        kind: TokenKind,
        now: Timestamp,
    ) -> StoreResult<Option<TokenRow>>;
    /// Uses a refresh token once and stores its successors in the same transaction.
    async fn rotate_refresh(
        &self,
        hash: &str,
        successors: &[NewToken],
        now: Timestamp,
    ) -> StoreResult<RefreshOutcome>;
    /// Revokes every token of one family (a logout).
    async fn revoke_family(&self, family: SessionId, now: Timestamp) -> StoreResult<()>;
    /// Revokes every token of a user except one family (log out elsewhere).
    async fn revoke_user_tokens(
        &self,
        user: UserId,
        keep_family: Option<SessionId>,
        now: Timestamp,
    ) -> StoreResult<u64>;
    /// Deletes tokens that expired before `before`.
    async fn purge_tokens(&self, before: Timestamp) -> StoreResult<u64>;

    // ---- SMS ----
    /// Atomically applies the resend cooldown and daily limits of [`linli_domain::sms::may_send`]
    /// and, if allowed, records a new code and the outgoing message. Refusals change nothing.
    async fn issue_sms_code(
        &self,
        code: &NewSmsCode,
        now: Timestamp,
    ) -> StoreResult<Result<(), SendRefusal>>;
    /// The newest code issued to a phone.
    async fn latest_sms_code(&self, phone: &str) -> StoreResult<Option<SmsCodeRow>>;
    /// Counts a wrong try; burns the code when the limit is reached. Returns false if it was
    /// already spent.
    async fn record_sms_failure(&self, id: &str, max_attempts: i64) -> StoreResult<bool>;
    /// Marks the code used; false when another request used it first.
    async fn consume_sms_code(&self, id: &str) -> StoreResult<bool>;
    /// Writes a message to the developer inbox.
    async fn push_sms_outbox(&self, phone: &str, body: &str, now: Timestamp) -> StoreResult<()>;
    /// Newest messages of the developer inbox.
    async fn sms_outbox(&self, limit: i64) -> StoreResult<Vec<SmsOutboxRow>>;

    // ---- addresses ----
    /// A user's addresses, default first.
    async fn addresses(&self, user: UserId) -> StoreResult<Vec<AddressRow>>;
    /// One address if it belongs to `user`.
    async fn address(&self, user: UserId, id: AddressId) -> StoreResult<Option<AddressRow>>;
    /// Inserts or replaces (by id, same owner) an address; keeps exactly one default.
    async fn save_address(&self, row: &AddressRow, now: Timestamp) -> StoreResult<()>;
    /// Deletes an address of `user`; [`StoreError::NotFound`] if it is not theirs.
    async fn delete_address(&self, user: UserId, id: AddressId) -> StoreResult<()>;

    // ---- roles ----
    /// All roles.
    async fn roles(&self) -> StoreResult<Vec<RoleRow>>;
    /// Creates a role; conflict on a duplicate name.
    async fn create_role(&self, role: &RoleRow, now: Timestamp) -> StoreResult<()>;
    /// Replaces the permissions of a role.
    async fn set_role_permissions(&self, id: RoleId, permissions: &str) -> StoreResult<()>;
    /// Gives a role to an account (marks it staff). Idempotent.
    async fn grant_role(&self, user: UserId, role: RoleId) -> StoreResult<()>;
    /// Takes a role away; the account stops being staff when it has none left.
    async fn revoke_role(&self, user: UserId, role: RoleId) -> StoreResult<()>;
    /// Roles held by an account.
    async fn roles_of(&self, user: UserId) -> StoreResult<Vec<RoleRow>>;
    /// Staff accounts with their role names.
    async fn staff(&self) -> StoreResult<Vec<(UserRow, Vec<String>)>>;

    // ---- catalogue skeleton ----
    /// Inserts a category unless its slug exists.
    async fn upsert_category(&self, row: &CategoryRow) -> StoreResult<()>;
    /// All categories ordered by parent then sort.
    async fn categories(&self) -> StoreResult<Vec<CategoryRow>>;
    /// Renames a category.
    async fn rename_category(&self, id: &str, name_zh: &str, name_en: &str) -> StoreResult<()>;
    /// Sets the deposit a category requires, 分; [`StoreError::NotFound`] for an unknown id.
    async fn set_category_deposit(&self, id: &str, deposit_fen: i64) -> StoreResult<()>;
    /// Attributes of a category, in order.
    async fn category_attributes(&self, category_id: &str) -> StoreResult<Vec<AttributeRow>>;
    /// Adds an attribute; conflict on a duplicate name in the category.
    async fn add_category_attribute(&self, row: &AttributeRow) -> StoreResult<()>;
    /// Removes an attribute.
    async fn delete_category_attribute(&self, id: &str) -> StoreResult<()>;

    // ---- jobs ----
    /// Schedules a job; a duplicate `dedupe_key` is ignored and returns false.
    async fn enqueue_job(&self, job: &NewJob, now: Timestamp) -> StoreResult<bool>;
    /// Claims up to `limit` due jobs (pending, or running with an expired lease) for `lease_ms`.
    async fn claim_jobs(
        &self,
        now: Timestamp,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<JobRow>>;
    /// Marks a claimed job done.
    async fn finish_job(&self, id: JobId, now: Timestamp) -> StoreResult<()>;
    /// Records a failure; reschedules at `retry_at` or marks failed when `None`.
    async fn fail_job(
        &self,
        id: JobId,
        error: &str,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> StoreResult<()>;
    /// Counts jobs by status.
    async fn job_counts(&self) -> StoreResult<Vec<(String, i64)>>;

    // ---- settings ----
    /// A setting value.
    async fn setting(&self, key: &str) -> StoreResult<Option<String>>;
    /// Sets a setting; returns false if `only_if_absent` and it existed.
    async fn put_setting(&self, key: &str, value: &str, only_if_absent: bool) -> StoreResult<bool>;

    // ---- idempotency ----
    /// Claims `key` for `user`'s request with body hash `hash`. `New` when this is the first
    /// (the caller runs it and then calls `finish_idempotency`); otherwise what is known.
    async fn claim_idempotency(
        &self,
        user: UserId,
        key: &str,
        hash: &str,
        now: Timestamp,
    ) -> StoreResult<IdempotencyClaim>;
    /// Keeps the response of a claimed key (`status` `None` releases the claim instead, so a
    /// failed attempt can be retried).
    async fn finish_idempotency(
        &self,
        user: UserId,
        key: &str,
        response: Option<(i64, &str)>,
    ) -> StoreResult<()>;

    // ---- leases ----
    /// Takes or renews the lease `name` for `holder` until `now + ttl_ms`. True when `holder`
    /// has it now: it was free, expired, or already `holder`'s. At most one holder wins.
    async fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        ttl_ms: i64,
    ) -> StoreResult<bool>;
}

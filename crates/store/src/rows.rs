//! Plain row types exchanged with the store. They hold primitives; the app turns them into
//! domain types.

use linli_domain::{
    ids::{AddressId, JobId, RoleId, SessionId, UserId},
    time::Timestamp,
};

/// A new account.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Id.
    pub id: UserId,
    /// Normalised phone.
    pub phone: String,
    /// Argon2id PHC string, if a password was set.
    pub password_hash: Option<String>,
    /// Display name.
    pub nickname: String,
    /// Creation time.
    pub now: Timestamp,
}

/// A stored account.
#[derive(Clone)]
pub struct UserRow {
    /// Id.
    pub id: UserId,
    /// Normalised phone (mask before showing anyone but the owner).
    pub phone: String,
    /// Argon2id PHC string.
    pub password_hash: Option<String>,
    /// Display name.
    pub nickname: String,
    /// Avatar object name.
    pub avatar: Option<String>,
    /// `active` or `disabled`.
    pub status: String,
    /// Holds at least one staff role.
    pub is_staff: bool,
    /// Creation time.
    pub created_at: Timestamp,
}

// Never print the phone or password hash in logs.
impl std::fmt::Debug for UserRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UserRow")
            .field("id", &self.id)
            .field("phone", &linli_domain::phone::mask(&self.phone))
            .field("nickname", &self.nickname)
            .field("status", &self.status)
            .field("is_staff", &self.is_staff)
            .finish_non_exhaustive()
    }
}

/// Kinds of bearer secrets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Page session cookie.
    Session,
    /// API access token (short-lived).
    Access,
    /// API refresh token (single use, rotated).
    Refresh,
}

impl TokenKind {
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Session => "session",
            Self::Access => "access",
            Self::Refresh => "refresh",
        }
    }
}

/// A token to store; only its hash is kept.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// Account.
    pub user_id: UserId,
    /// Kind.
    pub kind: TokenKind,
    /// SHA-256 of the secret, hex.
    pub hash: String,
    /// Family (one login); revoked together.
    pub family: SessionId,
    /// Issued.
    pub created_at: Timestamp,
    /// Expiry.
    pub expires_at: Timestamp,
}

/// A live token with its account.
#[derive(Debug, Clone)]
pub struct TokenRow {
    /// Family of the token.
    pub family: SessionId,
    /// Expiry.
    pub expires_at: Timestamp,
    /// The account.
    pub user: UserRow,
}

/// A code to record.
#[derive(Clone)]
pub struct NewSmsCode {
    /// Row id.
    pub id: String,
    /// Normalised phone.
    pub phone: String,
    /// Client IP.
    pub ip: String,
    /// HMAC of the code, hex.
    pub code_hash: String,
    /// Expiry.
    pub expires_at: Timestamp,
    /// Text of the message to deliver.
    pub message: String,
}

/// A stored code.
#[derive(Debug, Clone)]
pub struct SmsCodeRow {
    /// Row id.
    pub id: String,
    /// HMAC of the code, hex.
    pub code_hash: String,
    /// Expiry.
    pub expires_at: Timestamp,
    /// Wrong tries.
    pub attempts: i64,
    /// Used or burned.
    pub spent: bool,
}

/// A message in the developer inbox.
#[derive(Debug, Clone)]
pub struct SmsOutboxRow {
    /// Recipient (full number; dev mode only, masked on display).
    pub phone: String,
    /// Text.
    pub body: String,
    /// Sent at.
    pub created_at: Timestamp,
}

/// A saved address.
#[derive(Debug, Clone)]
pub struct AddressRow {
    /// Id.
    pub id: AddressId,
    /// Owner.
    pub user_id: UserId,
    /// District code.
    pub district_code: String,
    /// Street, building, room.
    pub detail: String,
    /// Contact name.
    pub contact_name: String,
    /// Contact phone (normalised).
    pub contact_phone: String,
    /// Latitude in micro-degrees.
    pub lat_micro: i64,
    /// Longitude in micro-degrees.
    pub lng_micro: i64,
    /// Default address.
    pub is_default: bool,
}

/// A staff role.
#[derive(Debug, Clone)]
pub struct RoleRow {
    /// Id.
    pub id: RoleId,
    /// Unique name.
    pub name: String,
    /// Comma-separated permission names.
    pub permissions: String,
    /// Built-in (cannot be edited away).
    pub is_builtin: bool,
}

/// A service category.
#[derive(Debug, Clone)]
pub struct CategoryRow {
    /// Id.
    pub id: String,
    /// Parent (None for top level).
    pub parent_id: Option<String>,
    /// Stable slug.
    pub slug: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Emoji or icon name.
    pub icon: String,
    /// Order among siblings.
    pub sort: i64,
    /// Deposit (保证金) a provider must hold to take bookings in this category (and, for a
    /// top-level category, in its children), 分.
    pub deposit_fen: i64,
}

/// A job to schedule.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// Id.
    pub id: JobId,
    /// Handler name.
    pub kind: String,
    /// JSON payload.
    pub payload: String,
    /// Due time.
    pub run_at: Timestamp,
    /// Makes scheduling idempotent.
    pub dedupe_key: Option<String>,
}

/// A claimed job.
#[derive(Debug, Clone)]
pub struct JobRow {
    /// Id.
    pub id: JobId,
    /// Handler name.
    pub kind: String,
    /// JSON payload.
    pub payload: String,
    /// Due time.
    pub run_at: Timestamp,
    /// Tries so far including this one.
    pub attempts: i64,
}

/// An attribute a category asks listings for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeRow {
    /// Id.
    pub id: String,
    /// Category id.
    pub category_id: String,
    /// Name (e.g. 面积).
    pub name: String,
    /// `number`, `choice` or `text`.
    pub kind: String,
    /// Choices (for `choice`).
    pub options: Vec<String>,
    /// Unit shown after numbers (e.g. ㎡).
    pub unit: String,
    /// Listings must fill it in.
    pub required: bool,
    /// Order.
    pub sort: i64,
}

//! The error type of domain rules: every variant is a user-correctable mistake.

/// A rule of the domain was broken by the input. Each variant maps to a stable error code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The phone number is not a mainland mobile number.
    #[error("invalid phone number")]
    InvalidPhone,
    /// The password does not meet the policy.
    #[error("password must be 8 to 64 characters and contain a letter and a digit")]
    WeakPassword,
    /// A text field is empty or too long (counted in characters).
    #[error("{field} must be {min} to {max} characters")]
    TextLength {
        /// Field name as the API knows it.
        field: &'static str,
        /// Minimum number of characters.
        min: usize,
        /// Maximum number of characters.
        max: usize,
    },
    /// An identifier is not a well-formed id.
    #[error("malformed id")]
    MalformedId,
    /// The district code is not one Linli serves.
    #[error("unknown district")]
    UnknownDistrict,
    /// The SMS code is not six digits.
    #[error("the code must be 6 digits")]
    MalformedCode,
    /// A permission name is not known.
    #[error("unknown permission {0}")]
    UnknownPermission(String),
    /// A field has a value outside its allowed set.
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// The identity number is not a valid mainland resident ID.
    #[error("invalid identity number")]
    InvalidIdNumber,
    /// The requested change is not allowed from the current state.
    #[error("not allowed in the current state")]
    InvalidTransition,
    /// A date is malformed or out of range.
    #[error("invalid date")]
    InvalidDate,
    /// A price is malformed or out of range.
    #[error("invalid price")]
    InvalidPrice,
    /// The balance does not cover the amount.
    #[error("the balance is not enough")]
    InsufficientBalance,
    /// The sensitive-word filter refused the text.
    #[error("the text contains prohibited content")]
    ContentRejected,
    /// The start time cannot be booked.
    #[error(transparent)]
    Slot(#[from] crate::schedule::SlotError),
}

impl DomainError {
    /// Stable machine-readable code for this error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidPhone => "invalid_phone",
            Self::WeakPassword => "weak_password",
            Self::TextLength { .. } => "invalid_length",
            Self::MalformedId => "malformed_id",
            Self::UnknownDistrict => "unknown_district",
            Self::MalformedCode => "malformed_code",
            Self::UnknownPermission(_) => "unknown_permission",
            Self::Invalid(_) => "invalid_value",
            Self::InvalidIdNumber => "invalid_id_number",
            Self::InvalidTransition => "invalid_transition",
            Self::InvalidDate => "invalid_date",
            Self::InvalidPrice => "invalid_price",
            Self::InsufficientBalance => "insufficient_balance",
            Self::ContentRejected => "content_rejected",
            Self::Slot(e) => e.code(),
        }
    }
}

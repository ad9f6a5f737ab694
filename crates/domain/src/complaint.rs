//! Complaint tickets (投诉): categories, the status machine and the first-response SLA. Pure
//! rules; the app stores tickets and the web layer shows them.

use crate::{DomainError, time::HOUR_MS};

/// Hours an operator has to give the first public reply.
pub const FIRST_RESPONSE_SLA_HOURS: i64 = 24;
/// The first-response SLA in milliseconds.
pub const FIRST_RESPONSE_SLA_MS: i64 = FIRST_RESPONSE_SLA_HOURS * HOUR_MS;
/// Longest complaint text, in characters.
pub const MAX_TEXT_CHARS: usize = 1000;
/// Longest operator note or reply, in characters.
pub const MAX_NOTE_CHARS: usize = 1000;

/// What a complaint is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    /// 服务态度.
    Attitude,
    /// 服务质量.
    Quality,
    /// 收费问题.
    Charges,
    /// 平台问题.
    Platform,
    /// 其他.
    Other,
}

impl Category {
    /// Every category, in display order.
    pub const ALL: [Category; 5] = [
        Self::Attitude,
        Self::Quality,
        Self::Charges,
        Self::Platform,
        Self::Other,
    ];

    /// Stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Attitude => "attitude",
            Self::Quality => "quality",
            Self::Charges => "charges",
            Self::Platform => "platform",
            Self::Other => "other",
        }
    }

    /// Chinese label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Attitude => "服务态度",
            Self::Quality => "服务质量",
            Self::Charges => "收费问题",
            Self::Platform => "平台问题",
            Self::Other => "其他",
        }
    }

    /// Parses a stored or submitted name.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or(DomainError::Invalid("category"))
    }
}

/// Where a ticket stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Filed, nobody has answered yet.
    Open,
    /// An operator is on it.
    InProgress,
    /// Settled with an outcome.
    Resolved,
    /// Closed without further action.
    Closed,
}

impl Status {
    /// Every status.
    pub const ALL: [Status; 4] = [Self::Open, Self::InProgress, Self::Resolved, Self::Closed];

    /// Stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::InProgress => "in_progress",
            Self::Resolved => "resolved",
            Self::Closed => "closed",
        }
    }

    /// Parses a stored or submitted name.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or(DomainError::Invalid("status"))
    }

    /// Whether the ticket is finished.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Resolved | Self::Closed)
    }

    /// Moves to `to`: open → in_progress → resolved / closed (open may also end directly).
    pub fn to(self, to: Status) -> Result<Status, DomainError> {
        match (self, to) {
            (Self::Open, Self::InProgress | Self::Resolved | Self::Closed)
            | (Self::InProgress, Self::Resolved | Self::Closed) => Ok(to),
            _ => Err(DomainError::InvalidTransition),
        }
    }
}

/// Whether a ticket missed its first-response SLA: no reply by `due` (still waiting after it,
/// or answered late).
pub fn overdue(due: i64, first_response: Option<i64>, now: i64) -> bool {
    match first_response {
        Some(at) => at > due,
        None => now > due,
    }
}

/// Checks a text's length in characters after trimming.
pub fn text(field: &'static str, s: &str, max: usize) -> Result<String, DomainError> {
    let t = s.trim();
    let n = t.chars().count();
    if n == 0 || n > max {
        return Err(DomainError::TextLength { field, min: 1, max });
    }
    Ok(t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_move_forward_only() {
        assert_eq!(Status::Open.to(Status::InProgress), Ok(Status::InProgress));
        assert_eq!(
            Status::InProgress.to(Status::Resolved),
            Ok(Status::Resolved)
        );
        assert!(Status::Resolved.to(Status::Open).is_err());
        assert!(Status::Closed.to(Status::InProgress).is_err());
        assert!(Status::InProgress.to(Status::Open).is_err());
    }

    #[test]
    fn overdue_is_about_the_first_reply() {
        assert!(!overdue(100, None, 100));
        assert!(overdue(100, None, 101));
        assert!(!overdue(100, Some(90), 500));
        assert!(overdue(100, Some(150), 500));
    }

    #[test]
    fn categories_and_text_are_checked() {
        assert_eq!(Category::parse("quality"), Ok(Category::Quality));
        assert!(Category::parse("x").is_err());
        assert!(text("text", "  ", 10).is_err());
        assert!(text("text", &"字".repeat(11), 10).is_err());
        assert_eq!(text("text", " 好 ", 10).as_deref(), Ok("好"));
    }
}

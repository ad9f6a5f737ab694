//! Staff permissions. Roles are named sets of these; an admin manages them at `/admin`.

use crate::DomainError;

/// Something a staff member may be allowed to do in the admin console.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Permission {
    /// Open the admin console and its dashboard.
    ConsoleAccess,
    /// See the account list (phones masked).
    UsersView,
    /// Disable or enable accounts.
    UsersManage,
    /// Create roles and assign them to staff.
    RolesManage,
    /// Review provider applications (used by the catalogue issue).
    ProvidersReview,
    /// Review listings and content (used by the catalogue issue).
    ContentReview,
    /// See a provider's full real name and identity number (each reveal is audited).
    IdentityReveal,
    /// Finance: ledger, withdrawals, refunds, commission rules, reconciliation.
    FinanceManage,
    /// Handle customer complaints: internal notes, public replies, status changes.
    ComplaintsHandle,
}

impl Permission {
    /// Every permission, in display order.
    pub const ALL: [Permission; 9] = [
        Self::ConsoleAccess,
        Self::UsersView,
        Self::UsersManage,
        Self::RolesManage,
        Self::ProvidersReview,
        Self::ContentReview,
        Self::IdentityReveal,
        Self::FinanceManage,
        Self::ComplaintsHandle,
    ];

    /// Stored and API name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConsoleAccess => "console.access",
            Self::UsersView => "users.view",
            Self::UsersManage => "users.manage",
            Self::RolesManage => "roles.manage",
            Self::ProvidersReview => "providers.review",
            Self::ContentReview => "content.review",
            Self::IdentityReveal => "identity.reveal",
            Self::FinanceManage => "finance.manage",
            Self::ComplaintsHandle => "complaints.handle",
        }
    }

    /// Parses a stored or submitted name.
    pub fn parse(s: &str) -> Result<Self, DomainError> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| DomainError::UnknownPermission(s.chars().take(40).collect()))
    }
}

/// Name of the built-in role that holds every permission.
pub const SUPER_ADMIN_ROLE: &str = "超级管理员";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Permission::ALL {
            assert_eq!(Permission::parse(p.as_str()), Ok(p));
        }
        assert!(Permission::parse("root").is_err());
    }
}

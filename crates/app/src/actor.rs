//! Who is calling. Every use case receives an [`Actor`] and checks it.

use std::collections::BTreeSet;

use linli_domain::{
    ids::{SessionId, UserId},
    permission::Permission,
};

use crate::{AppError, AppResult};

/// A signed-in account as seen by the use cases.
#[derive(Debug, Clone)]
pub struct Member {
    /// Account id.
    pub id: UserId,
    /// Display name.
    pub nickname: String,
    /// Masked phone for display.
    pub phone_masked: String,
    /// The login (session or token family) this request belongs to.
    pub family: SessionId,
    /// Staff permissions (empty for customers).
    pub permissions: BTreeSet<Permission>,
}

/// The caller of a use case.
#[derive(Debug, Clone)]
pub enum Actor {
    /// Not signed in.
    Guest,
    /// A signed-in account (customer; staff when it has permissions).
    Member(Member),
}

impl Actor {
    /// The signed-in member or `Unauthenticated`.
    pub fn member(&self) -> AppResult<&Member> {
        match self {
            Self::Member(m) => Ok(m),
            Self::Guest => Err(AppError::Unauthenticated),
        }
    }

    /// The member if it holds `p`; guests get `Unauthenticated`, others `Forbidden`.
    pub fn require(&self, p: Permission) -> AppResult<&Member> {
        let m = self.member()?;
        if m.permissions.contains(&p) {
            Ok(m)
        } else {
            Err(AppError::Forbidden)
        }
    }

    /// Whether the actor holds `p`.
    pub fn can(&self, p: Permission) -> bool {
        matches!(self, Self::Member(m) if m.permissions.contains(&p))
    }

    /// Whether this is a staff member who may open the admin console.
    pub fn is_staff(&self) -> bool {
        self.can(Permission::ConsoleAccess)
    }
}

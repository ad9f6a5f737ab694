//! Operator use cases: accounts, roles and staff (RBAC). Every call checks a permission.

use linli_domain::{
    account::{AccountStatus, bounded_text},
    ids::{RoleId, UserId},
    permission::{Permission, SUPER_ADMIN_ROLE},
    phone::Phone,
};
use linli_store::{RoleRow, StoreError};

use crate::{Actor, App, AppError, AppResult};

/// An account as operators see it: phone masked.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserSummary {
    /// Id.
    pub id: String,
    /// Masked phone.
    pub phone: String,
    /// Display name.
    pub nickname: String,
    /// `active` or `disabled`.
    pub status: String,
    /// Staff account.
    pub is_staff: bool,
    /// Registered at (local time).
    pub created_at: String,
}

/// A role with its permission names.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RoleView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Permission names.
    pub permissions: Vec<String>,
    /// Built-in (not editable).
    pub is_builtin: bool,
}

/// A staff member with role names.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffView {
    /// Account id.
    pub id: String,
    /// Masked phone.
    pub phone: String,
    /// Display name.
    pub nickname: String,
    /// Role names.
    pub roles: Vec<String>,
}

fn role_view(r: &RoleRow) -> RoleView {
    RoleView {
        id: r.id.to_string(),
        name: r.name.clone(),
        permissions: r
            .permissions
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        is_builtin: r.is_builtin,
    }
}

fn permissions_text(perms: &[String]) -> AppResult<String> {
    let mut parsed = perms
        .iter()
        .map(|p| Permission::parse(p.trim()))
        .collect::<Result<Vec<_>, _>>()?;
    parsed.sort();
    parsed.dedup();
    Ok(parsed
        .iter()
        .map(|p| p.as_str())
        .collect::<Vec<_>>()
        .join(","))
}

impl App {
    /// A page of accounts, optionally filtered by digits of the phone.
    pub async fn admin_users(
        &self,
        actor: &Actor,
        phone_digits: Option<&str>,
        page: i64,
    ) -> AppResult<(Vec<UserSummary>, i64)> {
        actor.require(Permission::UsersView)?;
        let filter: Option<String> =
            phone_digits.map(|s| s.chars().filter(char::is_ascii_digit).take(11).collect());
        let page = page.clamp(1, 10_000);
        let (rows, total) = self
            .store
            .list_users(filter.as_deref(), 20, (page - 1) * 20)
            .await?;
        let list = rows
            .iter()
            .map(|u| UserSummary {
                id: u.id.to_string(),
                phone: linli_domain::phone::mask(&u.phone),
                nickname: u.nickname.clone(),
                status: u.status.clone(),
                is_staff: u.is_staff,
                created_at: u.created_at.local_display(),
            })
            .collect();
        Ok((list, total))
    }

    /// Disables or re-enables an account. Staff cannot disable themselves.
    pub async fn admin_set_status(
        &self,
        actor: &Actor,
        user: UserId,
        active: bool,
    ) -> AppResult<()> {
        let me = actor.require(Permission::UsersManage)?;
        if me.id == user && !active {
            return Err(AppError::Conflict {
                code: "cannot_disable_self",
                message: "you cannot disable your own account",
            });
        }
        let status = if active {
            AccountStatus::Active
        } else {
            AccountStatus::Disabled
        };
        self.store
            .set_user_status(user, status.as_str(), self.now())
            .await?;
        tracing::info!(by = %me.id, user = %user, status = status.as_str(), "account status changed");
        Ok(())
    }

    /// All roles.
    pub async fn admin_roles(&self, actor: &Actor) -> AppResult<Vec<RoleView>> {
        actor.require(Permission::RolesManage)?;
        Ok(self.store.roles().await?.iter().map(role_view).collect())
    }

    /// Creates a role.
    pub async fn admin_create_role(
        &self,
        actor: &Actor,
        name: &str,
        permissions: &[String],
    ) -> AppResult<RoleView> {
        actor.require(Permission::RolesManage)?;
        let name = bounded_text("name", name, 1, 30)?;
        let row = RoleRow {
            id: RoleId::new(),
            name,
            permissions: permissions_text(permissions)?,
            is_builtin: false,
        };
        match self.store.create_role(&row, self.now()).await {
            Ok(()) => Ok(role_view(&row)),
            Err(StoreError::Conflict(_)) => Err(AppError::Conflict {
                code: "role_name_taken",
                message: "a role with this name exists",
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Replaces a role's permissions (built-in roles are fixed).
    pub async fn admin_set_role_permissions(
        &self,
        actor: &Actor,
        role: RoleId,
        permissions: &[String],
    ) -> AppResult<()> {
        actor.require(Permission::RolesManage)?;
        Ok(self
            .store
            .set_role_permissions(role, &permissions_text(permissions)?)
            .await?)
    }

    /// Staff members and their roles.
    pub async fn admin_staff(&self, actor: &Actor) -> AppResult<Vec<StaffView>> {
        actor.require(Permission::RolesManage)?;
        Ok(self
            .store
            .staff()
            .await?
            .into_iter()
            .map(|(u, roles)| StaffView {
                id: u.id.to_string(),
                phone: linli_domain::phone::mask(&u.phone),
                nickname: u.nickname,
                roles,
            })
            .collect())
    }

    /// Gives a role to the account registered with `phone`.
    pub async fn admin_grant_role(
        &self,
        actor: &Actor,
        phone: &str,
        role: RoleId,
    ) -> AppResult<()> {
        let me = actor.require(Permission::RolesManage)?;
        let phone = Phone::parse(phone)?;
        let user = self
            .store
            .user_by_phone(phone.as_str())
            .await?
            .ok_or(AppError::NotFound)?;
        self.store.grant_role(user.id, role).await?;
        tracing::info!(by = %me.id, user = %user.id, role = %role, "role granted");
        Ok(())
    }

    /// Takes a role away. Nobody can remove their own super-admin role (no lock-out).
    pub async fn admin_revoke_role(
        &self,
        actor: &Actor,
        user: UserId,
        role: RoleId,
    ) -> AppResult<()> {
        let me = actor.require(Permission::RolesManage)?;
        if me.id == user {
            let roles = self.store.roles_of(user).await?;
            if roles
                .iter()
                .any(|r| r.id == role && r.name == SUPER_ADMIN_ROLE)
            {
                return Err(AppError::Conflict {
                    code: "cannot_revoke_self",
                    message: "you cannot remove your own super-admin role",
                });
            }
        }
        Ok(self.store.revoke_role(user, role).await?)
    }

    /// The built-in super-admin role, created if missing.
    pub async fn ensure_super_admin_role(&self) -> AppResult<RoleId> {
        if let Some(r) = self
            .store
            .roles()
            .await?
            .into_iter()
            .find(|r| r.name == SUPER_ADMIN_ROLE)
        {
            return Ok(r.id);
        }
        let all: Vec<String> = Permission::ALL
            .iter()
            .map(|p| p.as_str().to_owned())
            .collect();
        let row = RoleRow {
            id: RoleId::new(),
            name: SUPER_ADMIN_ROLE.into(),
            permissions: permissions_text(&all)?,
            is_builtin: true,
        };
        match self.store.create_role(&row, self.now()).await {
            Ok(()) => Ok(row.id),
            // Created concurrently: read it back.
            Err(StoreError::Conflict(_)) => self
                .store
                .roles()
                .await?
                .into_iter()
                .find(|r| r.name == SUPER_ADMIN_ROLE)
                .map(|r| r.id)
                .ok_or(AppError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Creates (or promotes) an operator account with the super-admin role. Used by the
    /// `admin create` command and the demo seed; not reachable over HTTP.
    pub async fn bootstrap_admin(&self, phone: &str, password: &str) -> AppResult<UserId> {
        let p = Phone::parse(phone)?;
        let user = match self.store.user_by_phone(p.as_str()).await? {
            Some(u) => u,
            None => self.register(phone, password, Some("平台管理员")).await?,
        };
        let role = self.ensure_super_admin_role().await?;
        self.store.grant_role(user.id, role).await?;
        Ok(user.id)
    }
}

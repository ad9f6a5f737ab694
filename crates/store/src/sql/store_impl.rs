//! The statements behind every [`Store`] call.

use async_trait::async_trait;
use linli_domain::{
    ids::{AddressId, JobId, RoleId, SessionId, UserId},
    sms::{DAILY_WINDOW_MS, RESEND_COOLDOWN_MS, SendContext, SendRefusal, may_send},
    time::Timestamp,
};
use sqlx::Row;

use super::{
    SqlStore,
    decode::{self, user_cols},
    map_err, parse_id,
};
use crate::{
    AddressRow, Backend, CategoryRow, JobRow, NewJob, NewSmsCode, NewToken, NewUser,
    RefreshOutcome, RoleRow, SmsCodeRow, SmsOutboxRow, Store, StoreError, StoreResult, TokenKind,
    TokenRow, UserRow,
};

const INSERT_TOKEN: &str = "INSERT INTO auth_tokens (id, user_id, kind, token_hash, family_id, created_at, expires_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7)";

async fn insert_token(tx: &mut sqlx::AnyConnection, t: &NewToken) -> StoreResult<()> {
    sqlx::query(INSERT_TOKEN)
        .bind(SessionId::new().to_string())
        .bind(t.user_id.to_string())
        .bind(t.kind.as_str())
        .bind(&t.hash)
        .bind(t.family.to_string())
        .bind(t.created_at.0)
        .bind(t.expires_at.0)
        .execute(&mut *tx)
        .await
        .map_err(map_err)?;
    Ok(())
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn create_user(&self, u: &NewUser) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO users (id, phone, password_hash, nickname, status, is_staff, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'active', 0, $5, $5)",
        )
        .bind(u.id.to_string())
        .bind(&u.phone)
        .bind(u.password_hash.clone())
        .bind(&u.nickname)
        .bind(u.now.0)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn user_by_phone(&self, phone: &str) -> StoreResult<Option<UserRow>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            user_cols!(),
            " FROM users u WHERE u.phone = $1"
        ))
        .bind(phone)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode::user).transpose()
    }

    async fn user_by_id(&self, id: UserId) -> StoreResult<Option<UserRow>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            user_cols!(),
            " FROM users u WHERE u.id = $1"
        ))
        .bind(id.to_string())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode::user).transpose()
    }

    async fn change_password(
        &self,
        id: UserId,
        hash: &str,
        keep: Option<SessionId>,
        now: Timestamp,
    ) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let done =
            sqlx::query("UPDATE users SET password_hash = $1, updated_at = $2 WHERE id = $3")
                .bind(hash)
                .bind(now.0)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("UPDATE auth_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL AND family_id <> $3")
            .bind(now.0)
            .bind(id.to_string())
            .bind(keep.map(|k| k.to_string()).unwrap_or_default())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn update_nickname(&self, id: UserId, nickname: &str, now: Timestamp) -> StoreResult<()> {
        let done = sqlx::query("UPDATE users SET nickname = $1, updated_at = $2 WHERE id = $3")
            .bind(nickname)
            .bind(now.0)
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn set_avatar(&self, id: UserId, avatar: &str, now: Timestamp) -> StoreResult<()> {
        let done = sqlx::query("UPDATE users SET avatar = $1, updated_at = $2 WHERE id = $3")
            .bind(avatar)
            .bind(now.0)
            .bind(id.to_string())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn set_user_status(&self, id: UserId, status: &str, now: Timestamp) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("UPDATE users SET status = $1, updated_at = $2 WHERE id = $3")
            .bind(status)
            .bind(now.0)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        if status != "active" {
            sqlx::query(
                "UPDATE auth_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL",
            )
            .bind(now.0)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn list_users(
        &self,
        phone_contains: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<UserRow>, i64)> {
        // The filter is digits only (the caller normalises it), so LIKE needs no escaping.
        let pattern = format!("%{}%", phone_contains.unwrap_or(""));
        let rows = sqlx::query(concat!(
            "SELECT ", user_cols!(), " FROM users u WHERE u.phone LIKE $1 ORDER BY u.created_at DESC, u.id DESC LIMIT $2 OFFSET $3"
        ))
        .bind(&pattern)
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let total: i64 =
            sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM users WHERE phone LIKE $1")
                .bind(&pattern)
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?;
        Ok((
            rows.iter().map(decode::user).collect::<StoreResult<_>>()?,
            total,
        ))
    }

    async fn count_users(&self) -> StoreResult<i64> {
        Ok(
            sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM users")
                .fetch_one(&self.pool)
                .await?
                .try_get("n")?,
        )
    }

    async fn insert_tokens(&self, tokens: &[NewToken]) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        for t in tokens {
            insert_token(&mut tx, t).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn live_token(
        &self,
        hash: &str,
        kind: TokenKind,
        now: Timestamp,
    ) -> StoreResult<Option<TokenRow>> {
        let row = sqlx::query(concat!(
            "SELECT t.family_id, t.expires_at, ", user_cols!(),
            " FROM auth_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.kind = $2 AND t.revoked_at IS NULL AND t.used_at IS NULL \
             AND t.expires_at > $3 AND u.status = 'active'"
        ))
        .bind(hash)
        .bind(kind.as_str())
        .bind(now.0)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        Ok(Some(TokenRow {
            family: parse_id(&row.try_get::<String, _>("family_id")?)?,
            expires_at: decode::ts(&row, "expires_at")?,
            user: decode::user(&row)?,
        }))
    }

    async fn rotate_refresh(
        &self,
        hash: &str,
        successors: &[NewToken],
        now: Timestamp,
    ) -> StoreResult<RefreshOutcome> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query(
            "SELECT t.user_id, t.family_id, t.used_at, t.revoked_at, t.expires_at, u.status FROM auth_tokens t \
             JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.kind = 'refresh'",
        )
        .bind(hash)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else {
            return Ok(RefreshOutcome::Invalid);
        };
        let family: String = row.try_get("family_id")?;
        let used: Option<i64> = row.try_get("used_at")?;
        let revoked: Option<i64> = row.try_get("revoked_at")?;
        let expires: i64 = row.try_get("expires_at")?;
        let status: String = row.try_get("status")?;
        if used.is_some() && revoked.is_none() {
            // A used refresh token came back: somebody holds a copy. End the whole login.
            sqlx::query("UPDATE auth_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL")
                .bind(now.0)
                .bind(&family)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            return Ok(RefreshOutcome::Reused);
        }
        if revoked.is_some() || used.is_some() || expires <= now.0 || status != "active" {
            return Ok(RefreshOutcome::Invalid);
        }
        // Only one concurrent presenter can flip used_at; the loser sees zero rows.
        let flipped = sqlx::query(
            "UPDATE auth_tokens SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL",
        )
        .bind(now.0)
        .bind(hash)
        .execute(&mut *tx)
        .await?;
        if flipped.rows_affected() != 1 {
            return Ok(RefreshOutcome::Invalid);
        }
        // The previous access token of this family dies with the rotation.
        sqlx::query("UPDATE auth_tokens SET revoked_at = $1 WHERE family_id = $2 AND kind = 'access' AND revoked_at IS NULL")
            .bind(now.0)
            .bind(&family)
            .execute(&mut *tx)
            .await?;
        for t in successors {
            insert_token(&mut tx, t).await?;
        }
        tx.commit().await?;
        Ok(RefreshOutcome::Rotated {
            user_id: parse_id(&row.try_get::<String, _>("user_id")?)?,
        })
    }

    async fn revoke_family(&self, family: SessionId, now: Timestamp) -> StoreResult<()> {
        sqlx::query(
            "UPDATE auth_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL",
        )
        .bind(now.0)
        .bind(family.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn revoke_user_tokens(
        &self,
        user: UserId,
        keep: Option<SessionId>,
        now: Timestamp,
    ) -> StoreResult<u64> {
        let done = sqlx::query("UPDATE auth_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL AND family_id <> $3")
            .bind(now.0)
            .bind(user.to_string())
            .bind(keep.map(|k| k.to_string()).unwrap_or_default())
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn purge_tokens(&self, before: Timestamp) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM auth_tokens WHERE expires_at < $1")
            .bind(before.0)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    async fn issue_sms_code(
        &self,
        code: &NewSmsCode,
        now: Timestamp,
    ) -> StoreResult<Result<(), SendRefusal>> {
        let mut tx = self.write_tx().await?;
        let since = now.0 - DAILY_WINDOW_MS;
        let last: Option<i64> =
            sqlx::query("SELECT last_sent_at FROM sms_phone_state WHERE phone = $1")
                .bind(&code.phone)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.try_get("last_sent_at"))
                .transpose()?;
        let phone_n: i64 = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM sms_codes WHERE phone = $1 AND created_at > $2")
            .bind(&code.phone)
            .bind(since)
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
        let ip_n: i64 = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM sms_codes WHERE ip = $1 AND created_at > $2",
        )
        .bind(&code.ip)
        .bind(since)
        .fetch_one(&mut *tx)
        .await?
        .try_get("n")?;
        let ctx = SendContext {
            last_sent_to_phone: last.map(Timestamp),
            sent_to_phone_today: phone_n,
            sent_from_ip_today: ip_n,
        };
        if let Err(refusal) = may_send(ctx, now) {
            return Ok(Err(refusal));
        }
        // The conditional upsert is the cooldown's real guard: under PostgreSQL's concurrency
        // two requests may both pass the read above, but only one moves last_sent_at.
        let claimed = sqlx::query(
            "INSERT INTO sms_phone_state (phone, last_sent_at) VALUES ($1, $2) \
             ON CONFLICT (phone) DO UPDATE SET last_sent_at = excluded.last_sent_at \
             WHERE sms_phone_state.last_sent_at <= $3",
        )
        .bind(&code.phone)
        .bind(now.0)
        .bind(now.0 - RESEND_COOLDOWN_MS)
        .execute(&mut *tx)
        .await?;
        if claimed.rows_affected() != 1 {
            return Ok(Err(SendRefusal::Cooldown {
                retry_after_secs: RESEND_COOLDOWN_MS / 1000,
            }));
        }
        // Older unspent codes of this phone stop working: only the newest is valid.
        sqlx::query("UPDATE sms_codes SET spent = 1 WHERE phone = $1 AND spent = 0")
            .bind(&code.phone)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sms_codes (id, phone, ip, code_hash, created_at, expires_at, attempts, spent) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, 0)",
        )
        .bind(&code.id)
        .bind(&code.phone)
        .bind(&code.ip)
        .bind(&code.code_hash)
        .bind(now.0)
        .bind(code.expires_at.0)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Ok(()))
    }

    async fn latest_sms_code(&self, phone: &str) -> StoreResult<Option<SmsCodeRow>> {
        let row = sqlx::query(
            "SELECT id, code_hash, expires_at, attempts, spent FROM sms_codes WHERE phone = $1 \
             ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(phone)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decode::sms_code).transpose()
    }

    async fn record_sms_failure(&self, id: &str, max_attempts: i64) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE sms_codes SET attempts = attempts + 1, \
             spent = CASE WHEN attempts + 1 >= $2 THEN 1 ELSE 0 END \
             WHERE id = $1 AND spent = 0",
        )
        .bind(id)
        .bind(max_attempts)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn consume_sms_code(&self, id: &str) -> StoreResult<bool> {
        let done = sqlx::query("UPDATE sms_codes SET spent = 1 WHERE id = $1 AND spent = 0")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn push_sms_outbox(&self, phone: &str, body: &str, now: Timestamp) -> StoreResult<()> {
        sqlx::query("INSERT INTO sms_outbox (id, phone, body, created_at) VALUES ($1, $2, $3, $4)")
            .bind(JobId::new().to_string())
            .bind(phone)
            .bind(body)
            .bind(now.0)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn sms_outbox(&self, limit: i64) -> StoreResult<Vec<SmsOutboxRow>> {
        let rows = sqlx::query("SELECT phone, body, created_at FROM sms_outbox ORDER BY created_at DESC, id DESC LIMIT $1")
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(SmsOutboxRow {
                    phone: r.try_get("phone")?,
                    body: r.try_get("body")?,
                    created_at: decode::ts(r, "created_at")?,
                })
            })
            .collect()
    }

    async fn addresses(&self, user: UserId) -> StoreResult<Vec<AddressRow>> {
        let rows = sqlx::query("SELECT * FROM addresses WHERE user_id = $1 ORDER BY is_default DESC, created_at DESC, id DESC")
            .bind(user.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(decode::address).collect()
    }

    async fn address(&self, user: UserId, id: AddressId) -> StoreResult<Option<AddressRow>> {
        let row = sqlx::query("SELECT * FROM addresses WHERE user_id = $1 AND id = $2")
            .bind(user.to_string())
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(decode::address).transpose()
    }

    async fn save_address(&self, a: &AddressRow, now: Timestamp) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let owner: Option<String> = sqlx::query("SELECT user_id FROM addresses WHERE id = $1")
            .bind(a.id.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.try_get("user_id"))
            .transpose()?;
        let existing: i64 =
            sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM addresses WHERE user_id = $1")
                .bind(a.user_id.to_string())
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
        // The first address is the default whatever the form said.
        let make_default = a.is_default || existing == 0 || (existing == 1 && owner.is_some());
        if make_default {
            sqlx::query("UPDATE addresses SET is_default = 0 WHERE user_id = $1")
                .bind(a.user_id.to_string())
                .execute(&mut *tx)
                .await?;
        }
        match owner {
            Some(o) if o != a.user_id.to_string() => return Err(StoreError::NotFound),
            Some(_) => {
                sqlx::query(
                    "UPDATE addresses SET district_code = $1, detail = $2, contact_name = $3, contact_phone = $4, \
                     lat_micro = $5, lng_micro = $6, is_default = CASE WHEN $7 = 1 THEN 1 ELSE is_default END, updated_at = $8 \
                     WHERE id = $9",
                )
                .bind(&a.district_code)
                .bind(&a.detail)
                .bind(&a.contact_name)
                .bind(&a.contact_phone)
                .bind(a.lat_micro)
                .bind(a.lng_micro)
                .bind(i64::from(make_default))
                .bind(now.0)
                .bind(a.id.to_string())
                .execute(&mut *tx)
                .await?;
            }
            None => {
                sqlx::query(
                    "INSERT INTO addresses (id, user_id, district_code, detail, contact_name, contact_phone, lat_micro, \
                     lng_micro, is_default, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
                )
                .bind(a.id.to_string())
                .bind(a.user_id.to_string())
                .bind(&a.district_code)
                .bind(&a.detail)
                .bind(&a.contact_name)
                .bind(&a.contact_phone)
                .bind(a.lat_micro)
                .bind(a.lng_micro)
                .bind(i64::from(make_default))
                .bind(now.0)
                .execute(&mut *tx)
                .await
                .map_err(map_err)?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn delete_address(&self, user: UserId, id: AddressId) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let row = sqlx::query("SELECT is_default FROM addresses WHERE id = $1 AND user_id = $2")
            .bind(id.to_string())
            .bind(user.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound);
        };
        let was_default = decode::flag(&row, "is_default")?;
        sqlx::query("DELETE FROM addresses WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        if was_default {
            // Promote the newest remaining address so the user keeps a default.
            sqlx::query(
                "UPDATE addresses SET is_default = 1 WHERE id = \
                 (SELECT id FROM addresses WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1)",
            )
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn roles(&self) -> StoreResult<Vec<RoleRow>> {
        let rows = sqlx::query("SELECT * FROM roles ORDER BY is_builtin DESC, created_at, id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(decode::role).collect()
    }

    async fn create_role(&self, r: &RoleRow, now: Timestamp) -> StoreResult<()> {
        sqlx::query("INSERT INTO roles (id, name, permissions, is_builtin, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(r.id.to_string())
            .bind(&r.name)
            .bind(&r.permissions)
            .bind(i64::from(r.is_builtin))
            .bind(now.0)
            .execute(&self.pool)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn set_role_permissions(&self, id: RoleId, permissions: &str) -> StoreResult<()> {
        let done =
            sqlx::query("UPDATE roles SET permissions = $1 WHERE id = $2 AND is_builtin = 0")
                .bind(permissions)
                .bind(id.to_string())
                .execute(&self.pool)
                .await?;
        if done.rows_affected() == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn grant_role(&self, user: UserId, role: RoleId) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let exists = sqlx::query("SELECT 1 AS one FROM roles WHERE id = $1")
            .bind(role.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound);
        }
        let done = sqlx::query("UPDATE users SET is_staff = 1 WHERE id = $1")
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("INSERT INTO user_roles (user_id, role_id) VALUES ($1, $2) ON CONFLICT (user_id, role_id) DO NOTHING")
            .bind(user.to_string())
            .bind(role.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn revoke_role(&self, user: UserId, role: RoleId) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let done = sqlx::query("DELETE FROM user_roles WHERE user_id = $1 AND role_id = $2")
            .bind(user.to_string())
            .bind(role.to_string())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query(
            "UPDATE users SET is_staff = CASE WHEN EXISTS (SELECT 1 FROM user_roles WHERE user_id = $1) THEN 1 ELSE 0 END WHERE id = $1",
        )
        .bind(user.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn roles_of(&self, user: UserId) -> StoreResult<Vec<RoleRow>> {
        let rows = sqlx::query(
            "SELECT r.* FROM roles r JOIN user_roles ur ON ur.role_id = r.id WHERE ur.user_id = $1 ORDER BY r.created_at, r.id",
        )
        .bind(user.to_string())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decode::role).collect()
    }

    async fn staff(&self) -> StoreResult<Vec<(UserRow, Vec<String>)>> {
        let rows = sqlx::query(concat!(
            "SELECT r.name AS role_name, ", user_cols!(),
            " FROM users u JOIN user_roles ur ON ur.user_id = u.id JOIN roles r ON r.id = ur.role_id ORDER BY u.created_at, u.id, r.name"
        ))
        .fetch_all(&self.pool)
        .await?;
        let mut out: Vec<(UserRow, Vec<String>)> = Vec::new();
        for row in &rows {
            let user = decode::user(row)?;
            let role: String = row.try_get("role_name")?;
            match out.last_mut() {
                Some((u, roles)) if u.id == user.id => roles.push(role),
                _ => out.push((user, vec![role])),
            }
        }
        Ok(out)
    }

    async fn upsert_category(&self, c: &CategoryRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO categories (id, parent_id, slug, name_zh, name_en, icon, sort, deposit_fen) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (slug) DO NOTHING",
        )
        .bind(&c.id)
        .bind(c.parent_id.clone())
        .bind(&c.slug)
        .bind(&c.name_zh)
        .bind(&c.name_en)
        .bind(&c.icon)
        .bind(c.sort)
        .bind(c.deposit_fen)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn categories(&self) -> StoreResult<Vec<CategoryRow>> {
        let rows = sqlx::query("SELECT * FROM categories ORDER BY sort, slug")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(decode::category).collect()
    }

    async fn rename_category(&self, id: &str, name_zh: &str, name_en: &str) -> StoreResult<()> {
        let done = sqlx::query("UPDATE categories SET name_zh = $1, name_en = $2 WHERE id = $3")
            .bind(name_zh)
            .bind(name_en)
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn set_category_deposit(&self, id: &str, deposit_fen: i64) -> StoreResult<()> {
        let done = sqlx::query("UPDATE categories SET deposit_fen = $1 WHERE id = $2")
            .bind(deposit_fen)
            .bind(id)
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            Err(StoreError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn category_attributes(
        &self,
        category_id: &str,
    ) -> StoreResult<Vec<crate::AttributeRow>> {
        let rows = sqlx::query(
            "SELECT * FROM category_attributes WHERE category_id = $1 ORDER BY sort, name",
        )
        .bind(category_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let options: String = r.try_get("options")?;
                Ok(crate::AttributeRow {
                    id: r.try_get("id")?,
                    category_id: r.try_get("category_id")?,
                    name: r.try_get("name")?,
                    kind: r.try_get("kind")?,
                    options: options
                        .split(',')
                        .filter(|o| !o.is_empty())
                        .map(str::to_owned)
                        .collect(),
                    unit: r.try_get("unit")?,
                    required: decode::flag(r, "required")?,
                    sort: r.try_get("sort")?,
                })
            })
            .collect()
    }

    async fn add_category_attribute(&self, a: &crate::AttributeRow) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO category_attributes (id, category_id, name, kind, options, unit, required, sort) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&a.id)
        .bind(&a.category_id)
        .bind(&a.name)
        .bind(&a.kind)
        .bind(a.options.join(","))
        .bind(&a.unit)
        .bind(i64::from(a.required))
        .bind(a.sort)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(())
    }

    async fn delete_category_attribute(&self, id: &str) -> StoreResult<()> {
        sqlx::query("DELETE FROM category_attributes WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn enqueue_job(&self, j: &NewJob, now: Timestamp) -> StoreResult<bool> {
        let done = sqlx::query(
            "INSERT INTO jobs (id, kind, payload, run_at, status, attempts, dedupe_key, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6, $6) ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(j.id.to_string())
        .bind(&j.kind)
        .bind(&j.payload)
        .bind(j.run_at.0)
        .bind(j.dedupe_key.clone())
        .bind(now.0)
        .execute(&self.pool)
        .await
        .map_err(map_err)?;
        Ok(done.rows_affected() == 1)
    }

    async fn claim_jobs(
        &self,
        now: Timestamp,
        lease_ms: i64,
        limit: i64,
    ) -> StoreResult<Vec<JobRow>> {
        let mut tx = self.write_tx().await?;
        // Backend difference: PostgreSQL lets several nodes claim disjoint jobs at once with
        // SKIP LOCKED; SQLite already holds the single write lock from BEGIN IMMEDIATE.
        let select = match self.backend {
            Backend::Sqlite => {
                "SELECT id FROM jobs WHERE (status = 'pending' AND run_at <= $1) \
                 OR (status = 'running' AND locked_until <= $1) ORDER BY run_at, id LIMIT $2"
            }
            Backend::Postgres => {
                "SELECT id FROM jobs WHERE (status = 'pending' AND run_at <= $1) \
                 OR (status = 'running' AND locked_until <= $1) ORDER BY run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED"
            }
        };
        let ids: Vec<String> = sqlx::query(select)
            .bind(now.0)
            .bind(limit)
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<Result<_, _>>()?;
        let mut claimed = Vec::with_capacity(ids.len());
        for id in ids {
            let row = sqlx::query(
                "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = $1, updated_at = $2 \
                 WHERE id = $3 RETURNING id, kind, payload, run_at, attempts",
            )
            .bind(now.0 + lease_ms)
            .bind(now.0)
            .bind(&id)
            .fetch_one(&mut *tx)
            .await?;
            claimed.push(decode::job(&row)?);
        }
        tx.commit().await?;
        Ok(claimed)
    }

    async fn finish_job(&self, id: JobId, now: Timestamp) -> StoreResult<()> {
        sqlx::query(
            "UPDATE jobs SET status = 'done', locked_until = NULL, updated_at = $1 WHERE id = $2",
        )
        .bind(now.0)
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn fail_job(
        &self,
        id: JobId,
        error: &str,
        retry_at: Option<Timestamp>,
        now: Timestamp,
    ) -> StoreResult<()> {
        let error: String = error.chars().take(1000).collect();
        sqlx::query(
            "UPDATE jobs SET status = $1, run_at = COALESCE($2, run_at), locked_until = NULL, last_error = $3, updated_at = $4 \
             WHERE id = $5",
        )
        .bind(if retry_at.is_some() { "pending" } else { "failed" })
        .bind(retry_at.map(|t| t.0))
        .bind(error)
        .bind(now.0)
        .bind(id.to_string())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn job_counts(&self) -> StoreResult<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT status, CAST(COUNT(*) AS BIGINT) AS n FROM jobs GROUP BY status ORDER BY status")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("status")?, r.try_get("n")?)))
            .collect()
    }

    async fn setting(&self, key: &str) -> StoreResult<Option<String>> {
        let row = sqlx::query("SELECT value FROM settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("value")).transpose()?)
    }

    async fn claim_idempotency(
        &self,
        user: UserId,
        key: &str,
        hash: &str,
        now: Timestamp,
    ) -> StoreResult<crate::IdempotencyClaim> {
        let inserted = sqlx::query(
            "INSERT INTO idempotency_keys (user_id, idem_key, request_hash, created_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (user_id, idem_key) DO NOTHING",
        )
        .bind(user.to_string())
        .bind(key)
        .bind(hash)
        .bind(now.0)
        .execute(&self.pool)
        .await?;
        if inserted.rows_affected() == 1 {
            return Ok(crate::IdempotencyClaim::New);
        }
        let row = sqlx::query(
            "SELECT request_hash, status, response FROM idempotency_keys \
             WHERE user_id = $1 AND idem_key = $2",
        )
        .bind(user.to_string())
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            // Released between the two statements: treat as still running; the client retries.
            return Ok(crate::IdempotencyClaim::InProgress);
        };
        let stored: String = row.try_get("request_hash")?;
        if stored != hash {
            return Ok(crate::IdempotencyClaim::Mismatch);
        }
        let status: Option<i64> = row.try_get("status")?;
        let body: Option<String> = row.try_get("response")?;
        Ok(match (status, body) {
            (Some(status), Some(body)) => crate::IdempotencyClaim::Replay { status, body },
            _ => crate::IdempotencyClaim::InProgress,
        })
    }

    async fn finish_idempotency(
        &self,
        user: UserId,
        key: &str,
        response: Option<(i64, &str)>,
    ) -> StoreResult<()> {
        match response {
            Some((status, body)) => {
                sqlx::query(
                    "UPDATE idempotency_keys SET status = $3, response = $4 \
                     WHERE user_id = $1 AND idem_key = $2",
                )
                .bind(user.to_string())
                .bind(key)
                .bind(status)
                .bind(body)
                .execute(&self.pool)
                .await?;
            }
            None => {
                sqlx::query("DELETE FROM idempotency_keys WHERE user_id = $1 AND idem_key = $2")
                    .bind(user.to_string())
                    .bind(key)
                    .execute(&self.pool)
                    .await?;
            }
        }
        Ok(())
    }

    async fn try_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        ttl_ms: i64,
    ) -> StoreResult<bool> {
        // One conditional upsert: the row is written only when it is new, ours, or expired,
        // so two nodes racing for a free lease cannot both see a change.
        let done = sqlx::query(
            "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE leases.holder = excluded.holder OR leases.expires_at <= $4",
        )
        .bind(name)
        .bind(holder)
        .bind(now.0.saturating_add(ttl_ms))
        .bind(now.0)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn put_setting(&self, key: &str, value: &str, only_if_absent: bool) -> StoreResult<bool> {
        let sql = if only_if_absent {
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING"
        } else {
            "INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
        };
        let done = sqlx::query(sql)
            .bind(key)
            .bind(value)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }
}

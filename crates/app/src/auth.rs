//! Sign-up and sign-in: phone + password (Argon2id), SMS codes, page sessions, API access and
//! refresh tokens, logout and password change.

use std::collections::BTreeSet;

use linli_domain::{
    account::{AccountStatus, NewPassword, Nickname},
    ids::{SessionId, UserId},
    permission::Permission,
    phone::Phone,
    sms::{self, CODE_TTL_MS, MAX_ATTEMPTS, SmsCode, Verdict},
    time::MINUTE_MS,
};
use linli_store::{NewSmsCode, NewToken, NewUser, RefreshOutcome, StoreError, TokenKind, UserRow};

use crate::{
    App, AppError, AppResult,
    actor::{Actor, Member},
    crypto,
};

/// A fresh API token pair. Secrets are returned once and stored only as hashes.
#[derive(Debug, Clone, serde::Serialize)]
pub struct TokenPair {
    /// Bearer access token.
    pub access_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Single-use refresh token.
    pub refresh_token: String,
}

/// A page session: the cookie secret and its family id.
#[derive(Debug, Clone)]
pub struct WebSession {
    /// Cookie value.
    pub secret: String,
    /// Family (for logout).
    pub family: SessionId,
}

/// Login limits (per window).
const LOGIN_WINDOW_MS: i64 = 10 * MINUTE_MS;
const LOGIN_PER_PHONE: u32 = 10;
const LOGIN_PER_IP: u32 = 50;
const SMS_SEND_PER_IP_PER_MINUTE: u32 = 10;

impl App {
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> AppResult<T> {
        tokio::task::spawn_blocking(f)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    async fn limit(&self, key: String, limit: u32, window_ms: i64) -> AppResult<()> {
        self.limiter
            .hit(&key, limit, window_ms)
            .await
            .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })
    }

    /// Registers an account with phone and password.
    pub async fn register(
        &self,
        phone: &str,
        password: &str,
        nickname: Option<&str>,
    ) -> AppResult<UserRow> {
        let phone = Phone::parse(phone)?;
        let password = NewPassword::parse(password)?;
        let nickname = match nickname.map(str::trim).filter(|s| !s.is_empty()) {
            Some(n) => Nickname::parse(n)?,
            None => Nickname::default_for(&phone),
        };
        let pw = password.expose().to_owned();
        let hash = self.blocking(move || crypto::hash_password(&pw)).await??;
        let id = UserId::new();
        let new = NewUser {
            id,
            phone: phone.as_str().to_owned(),
            password_hash: Some(hash),
            nickname: nickname.as_str().to_owned(),
            now: self.now(),
        };
        match self.store.create_user(&new).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => {
                return Err(AppError::Conflict {
                    code: "phone_taken",
                    message: "this phone number is already registered",
                });
            }
            Err(e) => return Err(e.into()),
        }
        tracing::info!(user = %id, phone = %phone, "account registered");
        self.store.user_by_id(id).await?.ok_or(AppError::NotFound)
    }

    /// Checks phone and password. One error for unknown phone and wrong password.
    pub async fn login_password(
        &self,
        phone: &str,
        password: &str,
        ip: &str,
    ) -> AppResult<UserRow> {
        let phone = Phone::parse(phone)?;
        self.limit(format!("login:ip:{ip}"), LOGIN_PER_IP, LOGIN_WINDOW_MS)
            .await?;
        self.limit(
            format!("login:phone:{}", phone.as_str()),
            LOGIN_PER_PHONE,
            LOGIN_WINDOW_MS,
        )
        .await?;
        let user = self.store.user_by_phone(phone.as_str()).await?;
        let hash = user
            .as_ref()
            .and_then(|u| u.password_hash.clone())
            .unwrap_or_else(|| crypto::DUMMY_HASH.to_owned());
        let pw = password.to_owned();
        let ok = self
            .blocking(move || crypto::verify_password(&pw, &hash))
            .await?;
        match user {
            Some(u) if ok && u.password_hash.is_some() => {
                if AccountStatus::from_stored(&u.status) != AccountStatus::Active {
                    return Err(AppError::AccountDisabled);
                }
                Ok(u)
            }
            _ => {
                tracing::info!(phone = %phone, "password login failed");
                Err(AppError::BadCredentials)
            }
        }
    }

    /// Sends a login code, applying the cooldown and daily limits atomically.
    pub async fn send_login_code(&self, phone: &str, ip: &str) -> AppResult<()> {
        let phone = Phone::parse(phone)?;
        self.limit(
            format!("sms:ip:{ip}"),
            SMS_SEND_PER_IP_PER_MINUTE,
            MINUTE_MS,
        )
        .await?;
        let code = SmsCode::from_number(crypto::random_below(1_000_000)?);
        let now = self.now();
        let message = format!(
            "【邻里】您的登录验证码是 {}，5 分钟内有效。如非本人操作请忽略。",
            code.as_str()
        );
        let row = NewSmsCode {
            id: linli_domain::ids::JobId::new().to_string(),
            phone: phone.as_str().to_owned(),
            ip: ip.to_owned(),
            code_hash: crypto::keyed_hash(
                self.config.secret_key.expose(),
                &["sms", phone.as_str(), code.as_str()],
            ),
            expires_at: now.plus_ms(CODE_TTL_MS),
            message: message.clone(),
        };
        self.store
            .issue_sms_code(&row, now)
            .await?
            .map_err(AppError::SmsRefused)?;
        self.sms.send(&phone, &message).await
    }

    /// Signs in with an SMS code; an unknown phone gets a new account (验证码登录即注册).
    pub async fn login_sms(&self, phone: &str, code: &str, ip: &str) -> AppResult<UserRow> {
        let phone = Phone::parse(phone)?;
        let code = SmsCode::parse(code)?;
        self.limit(format!("login:ip:{ip}"), LOGIN_PER_IP, LOGIN_WINDOW_MS)
            .await?;
        let now = self.now();
        let issued = self.store.latest_sms_code(phone.as_str()).await?;
        let matches = issued.as_ref().is_some_and(|c| {
            crypto::keyed_hash_matches(
                self.config.secret_key.expose(),
                &["sms", phone.as_str(), code.as_str()],
                &c.code_hash,
            )
        });
        let state = issued.as_ref().map(|c| sms::IssuedCode {
            expires_at: c.expires_at,
            attempts: c.attempts,
            spent: c.spent,
        });
        match (sms::verify(state, matches, now), issued) {
            (Verdict::Accept, Some(c)) => {
                if !self.store.consume_sms_code(&c.id).await? {
                    return Err(AppError::BadCode);
                }
            }
            (Verdict::Wrong { .. }, Some(c)) => {
                self.store.record_sms_failure(&c.id, MAX_ATTEMPTS).await?;
                return Err(AppError::BadCode);
            }
            _ => return Err(AppError::BadCode),
        }
        if let Some(u) = self.store.user_by_phone(phone.as_str()).await? {
            if AccountStatus::from_stored(&u.status) != AccountStatus::Active {
                return Err(AppError::AccountDisabled);
            }
            return Ok(u);
        }
        let id = UserId::new();
        let new = NewUser {
            id,
            phone: phone.as_str().to_owned(),
            password_hash: None,
            nickname: Nickname::default_for(&phone).as_str().to_owned(),
            now,
        };
        match self.store.create_user(&new).await {
            // A concurrent first login created it: use that one.
            Ok(()) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e.into()),
        }
        self.store
            .user_by_phone(phone.as_str())
            .await?
            .ok_or(AppError::NotFound)
    }

    /// Starts a page session for a signed-in account (a new secret each login: rotation).
    pub async fn start_web_session(&self, user: UserId) -> AppResult<WebSession> {
        let secret = crypto::new_token()?;
        let family = SessionId::new();
        let now = self.now();
        self.store
            .insert_tokens(&[NewToken {
                user_id: user,
                kind: TokenKind::Session,
                hash: crypto::token_hash(&secret),
                family,
                created_at: now,
                expires_at: now.plus_ms(self.config.session_ttl_ms),
            }])
            .await?;
        Ok(WebSession { secret, family })
    }

    fn pair(&self, user: UserId, family: SessionId) -> AppResult<(TokenPair, [NewToken; 2])> {
        let now = self.now();
        let access = crypto::new_token()?;
        let refresh = crypto::new_token()?;
        let rows = [
            NewToken {
                user_id: user,
                kind: TokenKind::Access,
                hash: crypto::token_hash(&access),
                family,
                created_at: now,
                expires_at: now.plus_ms(self.config.access_ttl_ms),
            },
            NewToken {
                user_id: user,
                kind: TokenKind::Refresh,
                hash: crypto::token_hash(&refresh),
                family,
                created_at: now,
                expires_at: now.plus_ms(self.config.refresh_ttl_ms),
            },
        ];
        Ok((
            TokenPair {
                access_token: access,
                expires_in: self.config.access_ttl_ms / 1000,
                refresh_token: refresh,
            },
            rows,
        ))
    }

    /// Issues an API token pair for a new login.
    pub async fn issue_tokens(&self, user: UserId) -> AppResult<TokenPair> {
        let (pair, rows) = self.pair(user, SessionId::new())?;
        self.store.insert_tokens(&rows).await?;
        Ok(pair)
    }

    /// Exchanges a refresh token for a new pair. Reusing an old refresh token ends the login.
    pub async fn refresh_tokens(&self, refresh_token: &str) -> AppResult<TokenPair> {
        let hash = crypto::token_hash(refresh_token);
        // The family and user are only known from the stored row; look them up first.
        let Some(row) = self
            .store
            .live_token(&hash, TokenKind::Refresh, self.now())
            .await?
        else {
            // Unknown, expired, or already used (rotate_refresh handles the reuse alarm).
            if let RefreshOutcome::Reused =
                self.store.rotate_refresh(&hash, &[], self.now()).await?
            {
                tracing::warn!("refresh token reuse detected; login revoked");
            }
            return Err(AppError::Unauthenticated);
        };
        let (pair, rows) = self.pair(row.user.id, row.family)?;
        match self.store.rotate_refresh(&hash, &rows, self.now()).await? {
            RefreshOutcome::Rotated { .. } => Ok(pair),
            RefreshOutcome::Reused | RefreshOutcome::Invalid => Err(AppError::Unauthenticated),
        }
    }

    /// The actor behind a page-session cookie or API bearer token.
    pub async fn authenticate(&self, secret: &str, kind: TokenKind) -> AppResult<Actor> {
        let Some(row) = self
            .store
            .live_token(&crypto::token_hash(secret), kind, self.now())
            .await?
        else {
            return Ok(Actor::Guest);
        };
        let permissions = self.permissions_of(row.user.id, row.user.is_staff).await?;
        Ok(Actor::Member(Member {
            id: row.user.id,
            nickname: row.user.nickname.clone(),
            phone_masked: linli_domain::phone::mask(&row.user.phone),
            family: row.family,
            permissions,
        }))
    }

    /// Permissions granted by the roles of an account.
    pub async fn permissions_of(
        &self,
        user: UserId,
        is_staff: bool,
    ) -> AppResult<BTreeSet<Permission>> {
        if !is_staff {
            return Ok(BTreeSet::new());
        }
        let mut set = BTreeSet::new();
        for role in self.store.roles_of(user).await? {
            // Unknown names (from a newer version) are ignored: fail closed.
            set.extend(
                role.permissions
                    .split(',')
                    .filter_map(|p| Permission::parse(p.trim()).ok()),
            );
        }
        Ok(set)
    }

    /// Ends the caller's current login (page session or token family).
    pub async fn logout(&self, actor: &Actor) -> AppResult<()> {
        let m = actor.member()?;
        self.store.revoke_family(m.family, self.now()).await?;
        Ok(())
    }

    /// Ends every other login of the caller.
    pub async fn logout_others(&self, actor: &Actor) -> AppResult<u64> {
        let m = actor.member()?;
        Ok(self
            .store
            .revoke_user_tokens(m.id, Some(m.family), self.now())
            .await?)
    }

    /// Changes the password (the old one is required if set) and ends every other login.
    pub async fn change_password(
        &self,
        actor: &Actor,
        old: Option<&str>,
        new: &str,
    ) -> AppResult<()> {
        let m = actor.member()?;
        let new = NewPassword::parse(new)?;
        let user = self
            .store
            .user_by_id(m.id)
            .await?
            .ok_or(AppError::NotFound)?;
        if let Some(current) = user.password_hash.clone() {
            let old = old.unwrap_or_default().to_owned();
            if !self
                .blocking(move || crypto::verify_password(&old, &current))
                .await?
            {
                return Err(AppError::BadCredentials);
            }
        }
        let pw = new.expose().to_owned();
        let hash = self.blocking(move || crypto::hash_password(&pw)).await??;
        self.store
            .change_password(m.id, &hash, Some(m.family), self.now())
            .await?;
        tracing::info!(user = %m.id, "password changed; other sessions ended");
        Ok(())
    }
}

//! `/api/v1/auth`: register, password login, SMS code, refresh, logout.

use axum::{
    Json,
    extract::State,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use linli_app::auth::TokenPair;
use utoipa::ToSchema;

use crate::{
    AppState,
    access::{Access, Routes},
    error::{ApiError, ApiResult, ErrorBody},
    extract::ApiJson,
    session::{ClientIp, CurrentActor},
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.post("/api/v1/auth/register", Access::Public, register)
        .post("/api/v1/auth/login", Access::Public, login)
        .post("/api/v1/auth/sms/send", Access::Public, send_code)
        .post("/api/v1/auth/sms/login", Access::Public, login_sms)
        .post("/api/v1/auth/refresh", Access::Public, refresh)
        .post("/api/v1/auth/logout", Access::Member, logout)
}

/// New account.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// Mainland mobile number; spaces, `-` and `+86` are accepted.
    #[schema(example = "13812345678")]
    pub phone: String,
    /// 8–64 characters with a letter and a digit.
    pub password: String,
    /// Optional display name (1–20 characters).
    pub nickname: Option<String>,
}

/// Password login.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Phone.
    pub phone: String,
    /// Password.
    pub password: String,
}

/// Ask for an SMS code.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendCodeRequest {
    /// Phone.
    pub phone: String,
}

/// SMS login.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmsLoginRequest {
    /// Phone.
    pub phone: String,
    /// Six digits.
    #[schema(example = "123456")]
    pub code: String,
}

/// Token refresh.
#[derive(Debug, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The current refresh token (single use).
    pub refresh_token: String,
}

/// Tokens for a login.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct TokenResponse {
    /// Bearer access token.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: i64,
    /// Single-use refresh token; rotate with `/auth/refresh`.
    pub refresh_token: String,
    /// The account id.
    pub user_id: String,
}

fn tokens(pair: TokenPair, user_id: String) -> TokenResponse {
    TokenResponse {
        access_token: pair.access_token,
        token_type: "Bearer",
        expires_in: pair.expires_in,
        refresh_token: pair.refresh_token,
        user_id,
    }
}

/// Register with phone and password; returns tokens.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "auth", request_body = RegisterRequest,
    responses((status = 201, body = TokenResponse), (status = 409, description = "phone_taken", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn register(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> ApiResult<Response> {
    let user = state
        .app
        .register(&req.phone, &req.password, req.nickname.as_deref())
        .await?;
    let pair = state.app.issue_tokens(user.id).await?;
    Ok((StatusCode::CREATED, Json(tokens(pair, user.id.to_string()))).into_response())
}

/// Log in with phone and password.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenResponse), (status = 401, description = "bad_credentials", body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Json<TokenResponse>> {
    let user = state
        .app
        .login_password(&req.phone, &req.password, &ip)
        .await?;
    let pair = state.app.issue_tokens(user.id).await?;
    Ok(Json(tokens(pair, user.id.to_string())))
}

/// Send a login code by SMS (60 s cooldown, daily limits per phone and IP).
#[utoipa::path(post, path = "/api/v1/auth/sms/send", tag = "auth", request_body = SendCodeRequest,
    responses((status = 202, description = "sent"), (status = 422, body = ErrorBody), (status = 429, description = "sms_cooldown / sms_phone_daily_limit / sms_ip_daily_limit", body = ErrorBody)))]
pub async fn send_code(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<SendCodeRequest>,
) -> ApiResult<Response> {
    state.app.send_login_code(&req.phone, &ip).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({"sent": true, "expires_in": 300})),
    )
        .into_response())
}

/// Log in with an SMS code; an unknown phone gets a new account.
#[utoipa::path(post, path = "/api/v1/auth/sms/login", tag = "auth", request_body = SmsLoginRequest,
    responses((status = 200, body = TokenResponse), (status = 400, description = "bad_code", body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn login_sms(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    ApiJson(req): ApiJson<SmsLoginRequest>,
) -> ApiResult<Json<TokenResponse>> {
    let user = state.app.login_sms(&req.phone, &req.code, &ip).await?;
    let pair = state.app.issue_tokens(user.id).await?;
    Ok(Json(tokens(pair, user.id.to_string())))
}

/// Exchange a refresh token for a new pair. A reused refresh token revokes the login.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse), (status = 401, body = ErrorBody)))]
pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<RefreshRequest>,
) -> ApiResult<Json<serde_json::Value>> {
    let pair = state.app.refresh_tokens(&req.refresh_token).await?;
    Ok(Json(serde_json::json!({
        "access_token": pair.access_token, "token_type": "Bearer", "expires_in": pair.expires_in, "refresh_token": pair.refresh_token
    })))
}

/// End this login (its access and refresh tokens).
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(
    State(state): State<AppState>,
    CurrentActor(actor): CurrentActor,
) -> Result<StatusCode, ApiError> {
    state.app.logout(&actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

use actix_web::{post, web, HttpResponse};
use rand::Rng;

use super::dto::{CodeRequest, CodeSent, RefreshRequest, TokenRequest, TokenResponse, WeChatRequest, WeChatResponse};
use super::MembersState;
use crate::client_address::ClientAddress;
use crate::error::ApiError;
use domain::members::auth::WeChatLogin;

const PROBLEM: &str = "application/problem+json";

pub fn six_digits() -> String {
    format!("{:06}", rand::rng().random_range(0..1_000_000))
}

/// Sends a sign-in code by SMS.
///
/// A six-digit code, valid 5 minutes for 5 tries. At most one per phone per 60 s, 10 per phone per day and 10 per
/// client address per hour; the whole service sends at most its hourly SMS budget (503 `sms.budget_spent` past it).
///
/// Who: anyone, without credentials.
#[utoipa::path(operation_id = "member_request_code", tag = "members", request_body = CodeRequest, responses(
    (status = 202, body = CodeSent),
    (status = 422, description = "Not a mainland mobile number", body = crate::openapi::Problem, content_type = PROBLEM),
    (status = 429, description = "Rate limited; see Retry-After", body = crate::openapi::Problem, content_type = PROBLEM,
        example = json!({"type": "urn:sgh:problem:rate_limited", "title": "请求过于频繁，请稍后再试",
            "message": "请求过于频繁，请稍后再试", "status": 429, "code": "rate_limited",
            "request_id": "0193a2c4-9c10-7f00-b1c2-d3e4f5a6b7ce"})),
    (status = 503, description = "`sms.budget_spent` (the service's hourly SMS budget) or the gateway down; see Retry-After",
        body = crate::openapi::Problem, content_type = PROBLEM,
        example = json!({"type": "urn:sgh:problem:sms.budget_spent", "title": "短信发送量已达本小时上限，请稍后再试",
            "message": "短信发送量已达本小时上限，请稍后再试", "status": 503, "code": "sms.budget_spent",
            "request_id": "0193a2c4-9c10-7f00-b1c2-d3e4f5a6b7cf"})),
))]
#[post("/v1/auth/otp")]
pub async fn request_code(
    state: web::Data<MembersState>,
    client: ClientAddress,
    body: web::Json<CodeRequest>,
) -> Result<HttpResponse, ApiError> {
    let ip = client.0;
    let sent = state.auth.request_code(&body.phone, &ip, &six_digits()).await?;
    Ok(HttpResponse::Accepted()
        .json(CodeSent { expires_in: sent.expires_in.as_secs(), resend_after: sent.resend_after.as_secs() }))
}

/// Signs a member in with phone and SMS code.
///
/// Exchanges phone + code for an access token (15 min) and a refresh token (30 days), creating the account on first
/// sign-in. With `bind_ticket` it also binds the WeChat identity behind the ticket. A suspended account is refused.
///
/// Who: anyone, without credentials.
#[utoipa::path(operation_id = "member_sign_in", tag = "members", request_body = TokenRequest, responses(
    (status = 200, body = TokenResponse),
    (status = 401, description = "Wrong (`auth.code_wrong`, with `tries_left`) or no valid code (`auth.code_invalid`)",
        body = crate::openapi::Problem, content_type = PROBLEM,
        example = json!({"type": "urn:sgh:problem:auth.code_wrong", "title": "验证码错误", "message": "验证码错误",
            "status": 401, "code": "auth.code_wrong", "request_id": "0193a2c4-9c10-7f00-b1c2-d3e4f5a6b7cf", "tries_left": 4})),
    (status = 403, description = "Account suspended", body = crate::openapi::Problem, content_type = PROBLEM),
    (status = 409, description = "WeChat identity bound elsewhere", body = crate::openapi::Problem, content_type = PROBLEM),
))]
#[post("/v1/auth/token")]
pub async fn token(
    state: web::Data<MembersState>,
    body: web::Json<TokenRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    let tokens = state.auth.login_with_code(&body.phone, &body.code, body.bind_ticket.as_deref()).await?;
    Ok(web::Json(tokens.into()))
}

/// Rotates a refresh token.
///
/// Answers a new access token and refresh token; the old refresh token stops working. Presenting an already rotated
/// token revokes every token of that login (theft detection).
///
/// Who: whoever holds the refresh token; no access token is needed.
#[utoipa::path(operation_id = "member_refresh_session", tag = "members", request_body = RefreshRequest, responses(
    (status = 200, body = TokenResponse),
    (status = 401, description = "`auth.refresh_invalid` (unknown or expired), `auth.session_ended` (signed out, suspended or erased) or `auth.refresh_reused` (an exchanged token came back: that login is revoked)", body = crate::openapi::Problem, content_type = PROBLEM),
))]
#[post("/v1/auth/refresh")]
pub async fn refresh(
    state: web::Data<MembersState>,
    body: web::Json<RefreshRequest>,
) -> Result<web::Json<TokenResponse>, ApiError> {
    Ok(web::Json(state.auth.refresh(&body.refresh_token).await?.into()))
}

/// Signs a member out of one login.
///
/// The refresh token's login ends: its refresh tokens stop working (access tokens expire within 15 minutes).
///
/// Who: whoever holds the refresh token; no access token is needed.
#[utoipa::path(operation_id = "member_sign_out", tag = "members", request_body = RefreshRequest, responses((status = 204, description = "Signed out")))]
#[post("/v1/auth/logout")]
pub async fn logout(state: web::Data<MembersState>, body: web::Json<RefreshRequest>) -> Result<HttpResponse, ApiError> {
    state.auth.logout(&body.refresh_token).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Signs a member in through the WeChat mini-program.
///
/// A WeChat identity already bound signs in; otherwise the answer is a 10-minute `bind_ticket` to present with phone +
/// code at `POST /v1/auth/token`.
///
/// Who: anyone, without credentials.
#[utoipa::path(operation_id = "member_sign_in_with_wechat", tag = "members", request_body = WeChatRequest, responses(
    (status = 200, body = WeChatResponse),
    (status = 401, description = "WeChat rejected the code", body = crate::openapi::Problem, content_type = PROBLEM),
    (status = 503, description = "WeChat unreachable or not configured", body = crate::openapi::Problem, content_type = PROBLEM),
))]
#[post("/v1/auth/wechat")]
pub async fn wechat(
    state: web::Data<MembersState>,
    body: web::Json<WeChatRequest>,
) -> Result<web::Json<WeChatResponse>, ApiError> {
    Ok(web::Json(match state.auth.wechat_login(&body.code).await? {
        WeChatLogin::SignedIn(tokens) => {
            WeChatResponse { status: "signed_in", tokens: Some(tokens.into()), bind_ticket: None, expires_in: None }
        }
        WeChatLogin::NeedsPhone { bind_ticket, expires_in } => WeChatResponse {
            status: "needs_phone",
            tokens: None,
            bind_ticket: Some(bind_ticket),
            expires_in: Some(expires_in.as_secs()),
        },
    }))
}

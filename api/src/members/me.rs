use actix_web::{delete, get, patch, post, put, web, HttpResponse};

use super::caller::MemberCaller;
use super::dto::{ConsentRequest, EmailCodeRequest, MeView, PatchMe, PatchMeResponse, RealNameRequest};
use super::MembersState;
use crate::error::ApiError;
use domain::shared::EmailAddress;

const PROBLEM: &str = "application/problem+json";

pub(super) fn view(state: &MembersState, profile: &domain::members::Profile) -> MeView {
    MeView::new(profile, &state.profiles.policy_version)
}

fn nickname(raw: Option<String>) -> Result<Option<String>, ApiError> {
    raw.map(|n| {
        domain::shared::text::visible(&n, 30).ok_or_else(|| {
            ApiError::validation("nickname", "昵称须为 1–30 个字符", "nickname must be 1-30 visible characters".into())
        })
    })
    .transpose()
}

fn avatar(raw: Option<String>) -> Result<Option<String>, ApiError> {
    match raw {
        Some(url) if !url.starts_with("https://") || url.len() > 500 || url.chars().any(char::is_whitespace) => {
            Err(ApiError::validation(
                "avatar_url",
                "头像地址须为 https 链接",
                "avatar_url must be an https URL of at most 500 characters".into(),
            ))
        }
        other => Ok(other),
    }
}

/// The signed-in member.
///
/// Their profile, identifiers masked. Changes nothing.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_get_account", tag = "members", security(("member_jwt" = [])), responses(
    (status = 200, body = MeView),
    (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
))]
#[get("/v1/me")]
pub async fn get_me(state: web::Data<MembersState>, me: MemberCaller) -> web::Json<MeView> {
    web::Json(view(&state, &me.0))
}

/// Changes the member's nickname, avatar or e-mail.
///
/// Nickname and avatar change at once; a new e-mail address is sent a confirmation code through the mail outbox, and
/// becomes the member's once confirmed (`POST /v1/me/email/confirm`). Confirmation mails are limited per member and per
/// address, 3 an hour and 10 a day: past that, 429 `email.too_many_mails` with `Retry-After`, and nothing changes.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_update_account", tag = "members", security(("member_jwt" = [])), request_body = PatchMe, responses(
    (status = 200, body = PatchMeResponse),
    (status = 422, body = crate::openapi::Problem, content_type = PROBLEM),
    (status = 429, description = "`email.too_many_mails`", body = crate::openapi::Problem, content_type = PROBLEM),
))]
#[patch("/v1/me")]
pub async fn patch_me(
    state: web::Data<MembersState>,
    me: MemberCaller,
    body: web::Json<PatchMe>,
) -> Result<web::Json<PatchMeResponse>, ApiError> {
    let body = body.into_inner();
    let id = me.0.member.id;
    let nick = body.nickname.map(nickname).transpose()?;
    let avatar_url = body.avatar_url.map(avatar).transpose()?;
    let email = body
        .email
        .as_deref()
        .map(EmailAddress::parse)
        .transpose()
        .map_err(|e| ApiError::validation("email", "电子邮箱格式不正确", e.to_string()))?;
    // The mail first: refused by its limits, nothing of the request is kept.
    let mut sent_to = None;
    if let Some(email) = email {
        state.profiles.request_email(id, email.clone()).await?;
        sent_to = Some(email.to_string());
    }
    let profile = state.profiles.update(id, nick, avatar_url).await?;
    Ok(web::Json(PatchMeResponse { member: view(&state, &profile), email_confirmation_sent_to: sent_to }))
}

/// Confirms a new e-mail address.
///
/// With the code mailed to it after `PATCH /v1/me`; the address then becomes the member's. Five wrong codes burn the
/// pending one (ask for a new mail).
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_confirm_email", tag = "members", security(("member_jwt" = [])), request_body = EmailCodeRequest, responses(
    (status = 200, body = MeView),
    (status = 422, description = "Wrong or expired code", body = crate::openapi::Problem, content_type = PROBLEM),
))]
#[post("/v1/me/email/confirm")]
pub async fn confirm_email(
    state: web::Data<MembersState>,
    me: MemberCaller,
    body: web::Json<EmailCodeRequest>,
) -> Result<web::Json<MeView>, ApiError> {
    let id = me.0.member.id;
    let profile = state.profiles.confirm_email(id, body.code.trim()).await?;
    Ok(web::Json(view(&state, &profile)))
}

/// Binds the member's real name and ID number.
///
/// Real name + 居民身份证 number, accepted only when they match an active entry of the union's roster, which activates the
/// member. Requires the current privacy policy accepted; 5 attempts a day.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_bind_real_name", tag = "members", security(("member_jwt" = [])), request_body = RealNameRequest, responses(
    (status = 200, body = MeView),
    (status = 403, description = "`consent.required`", body = crate::openapi::Problem, content_type = PROBLEM),
    (status = 409, description = "`realname.id_taken` or `realname.already_bound`", body = crate::openapi::Problem, content_type = PROBLEM),
    (status = 422, description = "Invalid name or ID number, or `realname.not_matched`", body = crate::openapi::Problem, content_type = PROBLEM,
        example = json!({"type": "urn:sgh:problem:validation.invalid_field", "title": "身份证号码不正确",
            "message": "身份证号码不正确", "status": 422, "code": "validation.invalid_field",
            "detail": "the check character does not match", "request_id": "0193a2c4-9c10-7f00-b1c2-d3e4f5a6b7d0",
            "field": "id_number", "reason": "checkdigit"})),
    (status = 429, description = "`realname.too_many_attempts`", body = crate::openapi::Problem, content_type = PROBLEM),
))]
#[put("/v1/me/real-name")]
pub async fn bind_real_name(
    state: web::Data<MembersState>,
    me: MemberCaller,
    body: web::Json<RealNameRequest>,
) -> Result<web::Json<MeView>, ApiError> {
    let profile = state.profiles.bind_real_name(&me.0, &body.name, &body.id_number).await?;
    Ok(web::Json(view(&state, &profile)))
}

/// Accepts the privacy policy.
///
/// Records that the member accepted this version; only the current version is taken, and benefits (real-name binding,
/// gift claims) need it.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_accept_privacy_policy", tag = "members", security(("member_jwt" = [])), request_body = ConsentRequest, responses(
    (status = 200, body = MeView),
    (status = 422, description = "Not the current version", body = crate::openapi::Problem, content_type = PROBLEM),
))]
#[post("/v1/me/consents")]
pub async fn consent(
    state: web::Data<MembersState>,
    me: MemberCaller,
    body: web::Json<ConsentRequest>,
) -> Result<web::Json<MeView>, ApiError> {
    let profile = state.profiles.consent(me.0.member.id, body.version.trim()).await?;
    Ok(web::Json(view(&state, &profile)))
}

/// Erases the member's personal data.
///
/// Phone, name, ID number, WeChat, e-mail and blind indexes are erased and the member is signed out everywhere;
/// pseudonymous records needed for the audit trail stay. Service cases lose what the member wrote and sent (answers,
/// messages, files; open ones are withdrawn) and keep what the books need (kind, dates, decision, amount, payout).
///
/// Who: a member (member token). Their own account only.
#[utoipa::path(operation_id = "member_erase_account", tag = "members", security(("member_jwt" = [])), responses((status = 204, description = "Erased")))]
#[delete("/v1/me")]
pub async fn delete_me(
    state: web::Data<MembersState>,
    services: web::Data<crate::services::ServicesState>,
    me: MemberCaller,
) -> Result<HttpResponse, ApiError> {
    // What they wrote to the union goes first: were the account's erasure to fail after, asking again finishes it.
    services.services.erase(me.0.member.id).await?;
    state.profiles.erase(me.0.member.id).await?;
    state.standing.changed(me.0.member.id, state.clock.now(), None);
    Ok(HttpResponse::NoContent().finish())
}

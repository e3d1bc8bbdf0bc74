use actix_web::http::StatusCode;

use crate::error::ApiError;
use domain::members::error::{AuthError, ProfileError};
use domain::members::ports::WeChatError;

fn secs(d: std::time::Duration) -> u64 {
    d.as_secs_f64().ceil() as u64
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        use StatusCode as S;
        match e {
            AuthError::InvalidPhone(e) => ApiError::validation("phone", "手机号格式不正确", e.to_string()),
            AuthError::RateLimited { retry_after } => ApiError::new(
                S::TOO_MANY_REQUESTS,
                "rate_limited",
                "请求过于频繁，请稍后再试",
                "Too many requests; try again later",
            )
            .retry_after(secs(retry_after)),
            AuthError::WrongCode { tries_left } => {
                ApiError::new(S::UNAUTHORIZED, "auth.code_wrong", "验证码错误", "Wrong code")
                    .with("tries_left", tries_left)
            }
            AuthError::NoCode => ApiError::new(
                S::UNAUTHORIZED,
                "auth.code_invalid",
                "验证码已失效，请重新获取",
                "No valid code: it expired, was used, or had too many wrong tries",
            ),
            AuthError::BadTicket => ApiError::new(
                S::UNAUTHORIZED,
                "auth.bind_ticket_invalid",
                "微信绑定凭证已失效",
                "Bind ticket unknown or expired",
            ),
            AuthError::WeChatTaken => ApiError::new(
                S::CONFLICT,
                "auth.wechat_taken",
                "该微信已绑定其他账号",
                "This WeChat account is bound to another member",
            ),
            AuthError::InvalidToken => ApiError::new(
                S::UNAUTHORIZED,
                "auth.invalid_token",
                "未登录或登录已过期",
                "Missing, invalid or expired token",
            ),
            AuthError::BadRefreshToken => ApiError::new(
                S::UNAUTHORIZED,
                "auth.refresh_invalid",
                "登录已过期，请重新登录",
                "Refresh token unknown or expired",
            ),
            AuthError::SessionEnded => ApiError::new(
                S::UNAUTHORIZED,
                "auth.session_ended",
                "登录已退出，请重新登录",
                "This session was ended: sign in again",
            ),
            AuthError::RefreshReused => ApiError::new(
                S::UNAUTHORIZED,
                "auth.refresh_reused",
                "登录凭证被重复使用，已退出所有相关登录",
                "Refresh token reused: this login was revoked everywhere",
            ),
            AuthError::Suspended => {
                ApiError::new(S::FORBIDDEN, "member.suspended", "账号已被暂停使用", "This account is suspended")
            }
            AuthError::Erased => ApiError::new(
                S::UNAUTHORIZED,
                "auth.invalid_token",
                "未登录或登录已过期",
                "Missing, invalid or expired token",
            ),
            AuthError::WeChat(WeChatError::InvalidCode) => ApiError::new(
                S::UNAUTHORIZED,
                "auth.wechat_code_invalid",
                "微信登录凭证无效",
                "WeChat rejected the login code",
            ),
            AuthError::WeChat(WeChatError::NotConfigured) => ApiError::new(
                S::SERVICE_UNAVAILABLE,
                "wechat.not_configured",
                "未开通微信登录",
                "WeChat login is not configured",
            ),
            AuthError::WeChat(WeChatError::Unavailable(e)) => ApiError::unavailable(&e),
            AuthError::SmsBudgetSpent { retry_after } => ApiError::new(
                S::SERVICE_UNAVAILABLE,
                "sms.budget_spent",
                "短信发送量已达本小时上限，请稍后再试",
                "The service has sent all the codes it may this hour; try again later",
            )
            .retry_after(secs(retry_after)),
            AuthError::SmsUnavailable(e) | AuthError::Unavailable(e) => ApiError::unavailable(&e),
            AuthError::Unknown(e) => ApiError::internal(&e),
        }
    }
}

impl From<ProfileError> for ApiError {
    fn from(e: ProfileError) -> Self {
        use StatusCode as S;
        match e {
            ProfileError::NotFound => ApiError::new(S::NOT_FOUND, "member.not_found", "会员不存在", "No such member"),
            ProfileError::InvalidName(e) => ApiError::validation("name", "姓名格式不正确", e.to_string()),
            ProfileError::InvalidIdNumber(e) => ApiError::validation("id_number", "身份证号码不正确", e.to_string())
                .with("reason", format!("{e:?}").to_lowercase()),
            ProfileError::NotMatched => ApiError::new(
                S::UNPROCESSABLE_ENTITY,
                "realname.not_matched",
                "姓名与身份证号未能匹配工会会员信息",
                "Name and ID number do not match an active union member",
            ),
            ProfileError::AlreadyBound => {
                ApiError::new(S::CONFLICT, "realname.already_bound", "已完成实名认证", "Real name already bound")
            }
            ProfileError::IdTaken => ApiError::new(
                S::CONFLICT,
                "realname.id_taken",
                "该身份证号已绑定其他账号",
                "This ID number backs another account",
            ),
            ProfileError::TooManyAttempts { retry_after } => ApiError::new(
                S::TOO_MANY_REQUESTS,
                "realname.too_many_attempts",
                "今日实名认证尝试次数已达上限",
                "Too many real-name attempts today",
            )
            .retry_after(secs(retry_after)),
            ProfileError::TooManyMails { retry_after } => ApiError::new(
                S::TOO_MANY_REQUESTS,
                "email.too_many_mails",
                "验证邮件发送过于频繁，请稍后再试",
                "Too many confirmation mails for this account or address: try again later",
            )
            .retry_after(secs(retry_after)),
            ProfileError::ConsentRequired => ApiError::new(
                S::FORBIDDEN,
                "consent.required",
                "请先阅读并同意最新隐私政策",
                "Accept the current privacy policy first",
            ),
            ProfileError::UnknownPolicyVersion => ApiError::new(
                S::UNPROCESSABLE_ENTITY,
                "consent.unknown_version",
                "隐私政策版本不正确",
                "Not the current privacy policy version",
            ),
            ProfileError::NoConsent => ApiError::new(
                S::CONFLICT,
                "consent.not_given",
                "当前没有可撤回的同意",
                "There is no consent to withdraw",
            ),
            ProfileError::BadEmailCode => ApiError::new(
                S::UNPROCESSABLE_ENTITY,
                "email.code_invalid",
                "邮箱验证码错误或已过期",
                "Wrong or expired e-mail code",
            ),
            ProfileError::Unavailable(e) => ApiError::unavailable(&e),
            ProfileError::Unknown(e) => ApiError::internal(&e),
        }
    }
}

//! The members context's settings: member tokens, the SMS gateway, WeChat, one-time codes.

use std::time::Duration;

use crate::config::{invalid, secret, span, ConfigError, Profile, Vars, DAY, DEV_MEMBER_JWT_SECRET};

#[derive(Debug, Clone)]
pub struct MembersConfig {
    /// `(kid, secret)`.
    pub jwt: (String, String),
    pub previous_jwt: Option<(String, String)>,
    pub token_ttl: chrono::Duration,
    pub refresh_token_ttl: chrono::Duration,
    /// A sign-in lasts at most this long, however often its refresh token is rotated.
    pub session_max_age: chrono::Duration,
    pub sms_gateway: Option<(String, String)>,
    pub wechat_base_url: String,
    pub wechat_app: Option<(String, String)>,
    pub privacy_policy_version: String,
    pub otp_ttl: Duration,
    pub otp_resend_after: Duration,
    /// Sign-in codes the whole service sends per hour, at most.
    pub sms_budget_per_hour: u32,
}

impl MembersConfig {
    pub(crate) fn read(v: &Vars, profile: Profile) -> Result<Self, ConfigError> {
        let member_secret =
            secret(v, profile, "SGH_MEMBER_JWT_SECRET", DEV_MEMBER_JWT_SECRET, "signs member sessions")?;
        if member_secret.len() < 32 {
            return Err(invalid("SGH_MEMBER_JWT_SECRET", "must be at least 32 bytes"));
        }
        crate::config::not_a_dev_value(v, profile, "SGH_MEMBER_JWT_PREVIOUS_SECRET", DEV_MEMBER_JWT_SECRET)?;
        let previous_member_jwt = v
            .get("SGH_MEMBER_JWT_PREVIOUS_SECRET")
            .map(|secret| (v.get("SGH_MEMBER_JWT_PREVIOUS_KID").unwrap_or("previous").to_owned(), secret.to_owned()));
        Ok(Self {
            jwt: (v.get("SGH_MEMBER_JWT_KID").unwrap_or("m1").to_owned(), member_secret),
            previous_jwt: previous_member_jwt,
            token_ttl: span(v.secs("SGH_MEMBER_TOKEN_TTL_SECS", 900, 1..=DAY)?),
            refresh_token_ttl: span(
                v.within("SGH_REFRESH_TOKEN_TTL_DAYS", 30, 1..=365).map(|d: u64| Duration::from_secs(d * DAY))?,
            ),
            session_max_age: span(
                v.within("SGH_SESSION_MAX_DAYS", 30, 1..=365).map(|d: u64| Duration::from_secs(d * DAY))?,
            ),
            sms_gateway: match (v.get("SGH_SMS_URL"), v.get("SGH_SMS_KEY")) {
                (Some(url), Some(key)) => Some((url.to_owned(), key.to_owned())),
                // Without a gateway the codes go to the log: a developer's convenience, never prod's.
                (None, None) if profile == Profile::Prod => {
                    return Err(ConfigError::Missing { var: "SGH_SMS_URL", why: "sends sign-in codes" })
                }
                (None, None) => None,
                _ => return Err(invalid("SGH_SMS_URL", "SGH_SMS_URL and SGH_SMS_KEY go together")),
            },
            wechat_base_url: v.get("SGH_WECHAT_BASE_URL").unwrap_or("https://api.weixin.qq.com").to_owned(),
            wechat_app: match (v.get("SGH_WECHAT_APPID"), v.get("SGH_WECHAT_SECRET")) {
                (Some(id), Some(secret)) => Some((id.to_owned(), secret.to_owned())),
                (None, None) => None,
                _ => return Err(invalid("SGH_WECHAT_APPID", "SGH_WECHAT_APPID and SGH_WECHAT_SECRET go together")),
            },
            privacy_policy_version: v.get("SGH_PRIVACY_POLICY_VERSION").unwrap_or("2026-11").to_owned(),
            otp_ttl: v.secs("SGH_OTP_TTL_SECS", 300, 1..=DAY)?,
            otp_resend_after: v.secs("SGH_OTP_RESEND_SECS", 60, 1..=DAY)?,
            sms_budget_per_hour: v.within("SGH_SMS_BUDGET_PER_HOUR", 20_000, 1..=10_000_000)?,
        })
    }
}

//! Signing members in: SMS codes, WeChat, and the access/refresh token pair.

use chrono::{DateTime, Utc};
use std::time::Duration;

use super::error::AuthError;
use super::identity::PhoneNumber;
use super::model::{Member, MemberId, Profile};
use super::ports::{MemberRepository, MemberSession, MemberTokens, RefreshTokens, Rotation, SmsSender, WeChat};
use crate::shared::alerts::{OperatorAlert, OperatorAlerts};
use crate::shared::ephemeral::{CodeCheck, CodeStore, OneTimeStore, RateDecision, RateLimiter};
use crate::shared::Clock;

/// Limits on SMS codes. The defaults are the product's rules; tests shorten none of them.
#[derive(Debug, Clone, Copy)]
pub struct OtpPolicy {
    pub ttl: Duration,
    pub max_tries: u32,
    pub resend_after: Duration,
    pub per_phone_per_day: u32,
    pub per_ip_per_hour: u32,
    /// Codes sent per hour by the whole service: what SMS pumping may cost the union at most.
    pub sms_per_hour: u32,
}

impl Default for OtpPolicy {
    fn default() -> Self {
        Self {
            ttl: Duration::from_secs(300),
            max_tries: 5,
            resend_after: Duration::from_secs(60),
            per_phone_per_day: 10,
            per_ip_per_hour: 10,
            sms_per_hour: 20_000,
        }
    }
}

const DAY: Duration = Duration::from_secs(86_400);
const HOUR: Duration = Duration::from_secs(3_600);
pub const BIND_TICKET_TTL: Duration = Duration::from_secs(600);

#[derive(Debug, Clone)]
pub struct OtpSent {
    pub expires_in: Duration,
    pub resend_after: Duration,
}

#[derive(Debug, Clone)]
pub struct Tokens {
    pub access_token: String,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub refresh_token: String,
    pub member: MemberId,
    pub new_account: bool,
}

#[derive(Debug, Clone)]
pub enum WeChatLogin {
    SignedIn(Tokens),
    /// No member has this WeChat identity yet: sign in by phone with this ticket to bind it.
    NeedsPhone {
        bind_ticket: String,
        expires_in: Duration,
    },
}

pub struct MemberAuth<M, R, T, S, W, E, C, A> {
    pub members: M,
    pub refresh: R,
    pub tokens: T,
    pub sms: S,
    pub wechat: W,
    pub ephemeral: E,
    pub clock: C,
    pub alerts: A,
    pub policy: OtpPolicy,
}

async fn limit(store: &impl RateLimiter, key: &str, max: u32, window: Duration) -> Result<(), AuthError> {
    match store.hit(key, max, window).await? {
        RateDecision::Allowed { .. } => Ok(()),
        RateDecision::Limited { retry_after } => Err(AuthError::RateLimited { retry_after }),
    }
}

fn otp_key(phone: &PhoneNumber) -> String {
    format!("otp:{}", phone.as_str())
}

impl<M, R, T, S, W, E, C, A> MemberAuth<M, R, T, S, W, E, C, A>
where
    M: MemberRepository,
    R: RefreshTokens,
    T: MemberTokens,
    S: SmsSender,
    W: WeChat,
    E: RateLimiter + CodeStore + OneTimeStore,
    C: Clock,
    A: OperatorAlerts,
{
    /// Sends a fresh six-digit code, within the per-address, per-phone and resend limits.
    pub async fn request_code(&self, phone: &str, client_ip: &str, code: &str) -> Result<OtpSent, AuthError> {
        let phone = PhoneNumber::parse(phone)?;
        let p = &self.policy;
        limit(&self.ephemeral, &format!("otp-ip:{client_ip}"), p.per_ip_per_hour, HOUR).await?;
        limit(&self.ephemeral, &format!("otp-resend:{}", phone.as_str()), 1, p.resend_after).await?;
        limit(&self.ephemeral, &format!("otp-day:{}", phone.as_str()), p.per_phone_per_day, DAY).await?;
        self.within_sms_budget().await?;
        self.ephemeral.issue(&otp_key(&phone), code, self.clock.now(), p.ttl, p.max_tries).await?;
        let minutes = p.ttl.as_secs().div_ceil(60);
        self.sms.send_code(&phone, code, minutes).await.map_err(AuthError::SmsUnavailable)?;
        Ok(OtpSent { expires_in: p.ttl, resend_after: p.resend_after })
    }

    /// Counts one SMS against the service's hourly budget. The first refusal of a window alerts
    /// the administrators (once per window, across instances); the refusal stands whether or not
    /// the alert could be queued.
    async fn within_sms_budget(&self) -> Result<(), AuthError> {
        let retry_after = match self.ephemeral.hit("sms-budget", self.policy.sms_per_hour, HOUR).await? {
            RateDecision::Allowed { .. } => return Ok(()),
            RateDecision::Limited { retry_after } => retry_after,
        };
        if self.ephemeral.put_if_absent("alert:sms-budget", "1", retry_after).await.unwrap_or(false) {
            let minutes = retry_after.as_secs().div_ceil(60);
            let alert = OperatorAlert {
                subject: "[苏工惠] 短信预算已用完 / SMS budget spent".into(),
                body: format!(
                    "本小时 {n} 条短信验证码预算已用完，约 {minutes} 分钟内会员无法获取验证码。\n\
                     若非预期（可能为短信轰炸/盗刷），请检查访问来源；如需调整，设置 SGH_SMS_BUDGET_PER_HOUR。\n\n\
                     The hourly budget of {n} sign-in codes is spent: members cannot get a code for about \
                     {minutes} minutes. If this is unexpected (SMS pumping), look at where the requests come \
                     from; the budget is SGH_SMS_BUDGET_PER_HOUR.",
                    n = self.policy.sms_per_hour
                ),
                at: self.clock.now(),
            };
            self.alerts.raise(alert).await;
        }
        Err(AuthError::SmsBudgetSpent { retry_after })
    }

    /// Exchanges a code for tokens, creating the account on first login; with a bind ticket from
    /// [`Self::wechat_login`] it also binds that WeChat identity.
    pub async fn login_with_code(
        &self,
        phone: &str,
        code: &str,
        bind_ticket: Option<&str>,
    ) -> Result<Tokens, AuthError> {
        let phone = PhoneNumber::parse(phone)?;
        match self.ephemeral.check(&otp_key(&phone), code, self.clock.now()).await? {
            CodeCheck::Valid => {}
            CodeCheck::Wrong { tries_left } => return Err(AuthError::WrongCode { tries_left }),
            CodeCheck::Missing => return Err(AuthError::NoCode),
        }
        let wechat = match bind_ticket {
            Some(ticket) => Some(self.ephemeral.take(&format!("wxbind:{ticket}")).await?.ok_or(AuthError::BadTicket)?),
            None => None,
        };
        let now = self.clock.now();
        let (member, new_account) = match self.members.find_by_phone(&phone).await? {
            Some(member) => (member, false),
            None => {
                let created = self.members.create_or_get(&Member::new(phone, now)).await?;
                (created, true)
            }
        };
        if member.suspension.is_some() {
            return Err(AuthError::Suspended);
        }
        if let Some(identity) = wechat {
            let (openid, unionid) = identity.split_once('\n').unwrap_or((identity.as_str(), ""));
            let unionid = Some(unionid).filter(|u| !u.is_empty());
            self.members.bind_wechat(member.id, openid, unionid).await.map_err(|e| match e {
                super::ports::BindError::Taken => AuthError::WeChatTaken,
                super::ports::BindError::Unknown(e) => AuthError::Unknown(e),
            })?;
        }
        self.start_session(member.id, new_account, now).await
    }

    pub async fn wechat_login(&self, code: &str) -> Result<WeChatLogin, AuthError> {
        let session = self.wechat.code_to_session(code).await?;
        if let Some(member) = self.members.find_by_wechat(&session.openid).await? {
            if member.suspension.is_some() {
                return Err(AuthError::Suspended);
            }
            let now = self.clock.now();
            return Ok(WeChatLogin::SignedIn(self.start_session(member.id, false, now).await?));
        }
        let ticket = uuid::Uuid::new_v4().simple().to_string();
        let identity = format!("{}\n{}", session.openid, session.unionid.unwrap_or_default());
        self.ephemeral.put_if_absent(&format!("wxbind:{ticket}"), &identity, BIND_TICKET_TTL).await?;
        Ok(WeChatLogin::NeedsPhone { bind_ticket: ticket, expires_in: BIND_TICKET_TTL })
    }

    pub async fn refresh(&self, refresh_token: &str) -> Result<Tokens, AuthError> {
        let now = self.clock.now();
        match self.refresh.rotate(refresh_token, now).await? {
            Rotation::Rotated { member, refresh_token } => {
                self.ensure_active(member).await?;
                let (access_token, expires_at) = self.tokens.issue(member, now)?;
                Ok(Tokens { access_token, issued_at: now, expires_at, refresh_token, member, new_account: false })
            }
            Rotation::Reused { .. } => Err(AuthError::RefreshReused),
            Rotation::Ended => Err(AuthError::SessionEnded),
            Rotation::Expired | Rotation::Unknown => Err(AuthError::BadRefreshToken),
        }
    }

    pub async fn logout(&self, refresh_token: &str) -> Result<(), AuthError> {
        Ok(self.refresh.revoke(refresh_token, self.clock.now()).await?)
    }

    /// The member behind an access token, as they are now.
    pub async fn authenticate(&self, access_token: &str) -> Result<Profile, AuthError> {
        let session = self.verify(access_token)?;
        self.ensure_session(session).await
    }

    /// Who signed the token, without asking the database whether they are still active: only for
    /// answers that reveal nothing and change nothing (the claim path loads the member before it
    /// writes anything, through [`Self::ensure_session`], and its insert re-checks the session).
    pub fn verify(&self, access_token: &str) -> Result<MemberSession, AuthError> {
        self.tokens.verify(access_token, self.clock.now()).ok_or(AuthError::InvalidToken)
    }

    /// The member of a verified token, refused when suspended or erased, or when the token was
    /// issued before a suspension (lifting it does not bring such tokens back).
    pub async fn ensure_session(&self, session: MemberSession) -> Result<Profile, AuthError> {
        let profile = self.ensure_active(session.member).await?;
        if profile.member.sessions_since.is_some_and(|since| session.issued_at < since) {
            return Err(AuthError::InvalidToken);
        }
        Ok(profile)
    }

    /// The member's profile, refused when suspended or erased.
    pub async fn ensure_active(&self, id: MemberId) -> Result<Profile, AuthError> {
        let profile = self.members.profile(id).await?.ok_or(AuthError::Erased)?;
        if profile.member.erased_at.is_some() {
            return Err(AuthError::Erased);
        }
        if profile.member.suspension.is_some() {
            return Err(AuthError::Suspended);
        }
        Ok(profile)
    }

    async fn start_session(
        &self,
        member: MemberId,
        new_account: bool,
        now: DateTime<Utc>,
    ) -> Result<Tokens, AuthError> {
        let (access_token, expires_at) = self.tokens.issue(member, now)?;
        let refresh_token = self.refresh.issue(member, now).await?;
        Ok(Tokens { access_token, issued_at: now, expires_at, refresh_token, member, new_account })
    }
}

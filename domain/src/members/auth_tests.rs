//! Sign-in rules against in-memory fakes.

use chrono::{DateTime, TimeZone, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::auth::{MemberAuth, OtpPolicy};
use super::error::AuthError;
use super::ports::*;
use super::*;
use crate::admin::NewAuditEntry;
use crate::mail::OutboundEmail;
use crate::shared::alerts::{OperatorAlert, OperatorAlerts};
use crate::shared::ephemeral::{CodeCheck, CodeStore, EphemeralError, OneTimeStore, RateDecision, RateLimiter};
use crate::shared::{Clock, EmailAddress};

#[derive(Clone, Default)]
struct Fakes {
    members: Arc<Mutex<Vec<Member>>>,
    hits: Arc<Mutex<HashMap<String, u32>>>,
    codes: Arc<Mutex<HashMap<String, String>>>,
    sms: Arc<Mutex<Vec<String>>>,
    sms_down: Arc<Mutex<bool>>,
    alerts: Arc<Mutex<Vec<OperatorAlert>>>,
}

impl Fakes {
    /// Forgets the counters whose key starts with `prefix`, as if their window had passed.
    fn window_passes(&self, prefix: &str) {
        self.hits.lock().unwrap().retain(|k, _| !k.starts_with(prefix));
    }
}

impl RateLimiter for Fakes {
    async fn hit(&self, key: &str, limit: u32, _window: Duration) -> Result<RateDecision, EphemeralError> {
        let mut hits = self.hits.lock().unwrap();
        let n = hits.entry(key.to_owned()).or_default();
        *n += 1;
        Ok(if *n <= limit {
            RateDecision::Allowed { remaining: limit - *n }
        } else {
            RateDecision::Limited { retry_after: Duration::from_secs(1) }
        })
    }
}

impl CodeStore for Fakes {
    async fn issue(&self, key: &str, code: &str, _: DateTime<Utc>, _: Duration, _: u32) -> Result<(), EphemeralError> {
        self.codes.lock().unwrap().insert(key.to_owned(), code.to_owned());
        Ok(())
    }
    async fn check(&self, key: &str, code: &str, _: DateTime<Utc>) -> Result<CodeCheck, EphemeralError> {
        let mut codes = self.codes.lock().unwrap();
        Ok(match codes.get(key) {
            Some(c) if c == code => {
                codes.remove(key);
                CodeCheck::Valid
            }
            Some(_) => CodeCheck::Wrong { tries_left: 4 },
            None => CodeCheck::Missing,
        })
    }
}

impl OneTimeStore for Fakes {
    async fn put_if_absent(&self, key: &str, value: &str, _: Duration) -> Result<bool, EphemeralError> {
        Ok(self.codes.lock().unwrap().insert(key.to_owned(), value.to_owned()).is_none())
    }
    async fn take(&self, key: &str) -> Result<Option<String>, EphemeralError> {
        Ok(self.codes.lock().unwrap().remove(key))
    }
}

impl OperatorAlerts for Fakes {
    async fn raise(&self, alert: OperatorAlert) {
        self.alerts.lock().unwrap().push(alert);
    }
}

impl SmsSender for Fakes {
    async fn send_code(&self, _to: &PhoneNumber, code: &str, _minutes: u64) -> anyhow::Result<()> {
        anyhow::ensure!(!*self.sms_down.lock().unwrap(), "gateway down");
        self.sms.lock().unwrap().push(code.to_owned());
        Ok(())
    }
}

impl WeChat for Fakes {
    async fn code_to_session(&self, code: &str) -> Result<WeChatSession, WeChatError> {
        Ok(WeChatSession { openid: code.to_owned(), unionid: None })
    }
}

impl MemberTokens for Fakes {
    fn issue(&self, member: MemberId, now: DateTime<Utc>) -> anyhow::Result<(String, DateTime<Utc>)> {
        Ok((member.to_string(), now))
    }
    fn verify(&self, token: &str, now: DateTime<Utc>) -> Option<MemberSession> {
        token.parse().ok().map(|id| MemberSession { member: MemberId(id), issued_at: now })
    }
}

impl RefreshTokens for Fakes {
    async fn issue(&self, member: MemberId, _: DateTime<Utc>) -> anyhow::Result<String> {
        Ok(format!("refresh-{member}"))
    }
    async fn rotate(&self, _: &str, _: DateTime<Utc>) -> anyhow::Result<Rotation> {
        Ok(Rotation::Unknown)
    }
    async fn revoke(&self, _: &str, _: DateTime<Utc>) -> anyhow::Result<()> {
        Ok(())
    }
}

impl MemberRepository for Fakes {
    async fn find_by_phone(&self, phone: &PhoneNumber) -> anyhow::Result<Option<Member>> {
        Ok(self.members.lock().unwrap().iter().find(|m| m.phone.as_ref() == Some(phone)).cloned())
    }
    async fn find_by_wechat(&self, openid: &str) -> anyhow::Result<Option<Member>> {
        Ok(self.members.lock().unwrap().iter().find(|m| m.wechat_openid.as_deref() == Some(openid)).cloned())
    }
    async fn profile(&self, id: MemberId) -> anyhow::Result<Option<Profile>> {
        let member = self.members.lock().unwrap().iter().find(|m| m.id == id).cloned();
        Ok(member.map(|member| Profile { member, affiliation: None, cardholder: false }))
    }
    async fn withdraw_consent(&self, _: MemberId, _: DateTime<Utc>) -> anyhow::Result<bool> {
        unimplemented!("not used by sign-in")
    }
    async fn consent_history(&self, _: MemberId) -> anyhow::Result<Vec<ConsentEvent>> {
        unimplemented!("not used by sign-in")
    }
    async fn record_lookup(&self, _: NewAuditEntry) -> anyhow::Result<()> {
        unimplemented!("not used by sign-in")
    }
    async fn search(&self, _: Option<&PhoneNumber>, _: Option<&IdNumber>) -> anyhow::Result<Vec<Profile>> {
        Ok(Vec::new())
    }
    async fn search_member_no(&self, _: &str) -> anyhow::Result<Vec<Profile>> {
        Ok(Vec::new())
    }
    async fn create_or_get(&self, member: &Member) -> anyhow::Result<Member> {
        self.members.lock().unwrap().push(member.clone());
        Ok(member.clone())
    }
    async fn bind_wechat(&self, id: MemberId, openid: &str, unionid: Option<&str>) -> Result<(), BindError> {
        let mut members = self.members.lock().unwrap();
        let m = members.iter_mut().find(|m| m.id == id).unwrap();
        m.wechat_openid = Some(openid.to_owned());
        m.wechat_unionid = unionid.map(str::to_owned);
        Ok(())
    }
    async fn bind_real_name(
        &self,
        _: MemberId,
        _: &PersonName,
        _: &IdNumber,
        _: DateTime<Utc>,
    ) -> Result<(), BindError> {
        Ok(())
    }
    async fn update_profile(
        &self,
        _: MemberId,
        _: Option<Option<String>>,
        _: Option<Option<String>>,
        _: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        Ok(())
    }
    async fn request_email(
        &self,
        _: MemberId,
        _: &EmailAddress,
        _: &str,
        _: DateTime<Utc>,
        _: DateTime<Utc>,
        _: OutboundEmail,
    ) -> anyhow::Result<()> {
        Ok(())
    }
    async fn confirm_email(
        &self,
        _: MemberId,
        _: &str,
        _: DateTime<Utc>,
        _: u32,
    ) -> anyhow::Result<Option<EmailAddress>> {
        Ok(None)
    }
    async fn record_consent(&self, _: MemberId, _: &str, _: DateTime<Utc>) -> anyhow::Result<()> {
        Ok(())
    }
    async fn erase(&self, _: MemberId, _: DateTime<Utc>) -> anyhow::Result<()> {
        Ok(())
    }
    async fn set_suspension(&self, id: MemberId, reason: Option<&str>, _: NewAuditEntry) -> anyhow::Result<()> {
        self.members.lock().unwrap().iter_mut().find(|m| m.id == id).unwrap().suspension = reason.map(str::to_owned);
        Ok(())
    }
}

struct Fixed;

impl Clock for Fixed {
    fn now(&self) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 10, 1, 2, 0, 0).unwrap()
    }
}

type Auth = MemberAuth<Fakes, Fakes, Fakes, Fakes, Fakes, Fakes, Fixed, Fakes>;

fn auth() -> (Auth, Fakes) {
    let f = Fakes::default();
    let auth = MemberAuth {
        members: f.clone(),
        refresh: f.clone(),
        tokens: f.clone(),
        sms: f.clone(),
        wechat: f.clone(),
        ephemeral: f.clone(),
        clock: Fixed,
        alerts: f.clone(),
        policy: OtpPolicy::default(),
    };
    (auth, f)
}

#[tokio::test]
async fn ten_codes_per_phone_per_day_from_any_address() {
    let (auth, fakes) = auth();
    for i in 0..10 {
        auth.request_code("13800000000", &format!("10.0.0.{i}"), "123456").await.unwrap();
        fakes.window_passes("otp-resend:");
    }
    let eleventh = auth.request_code("13800000000", "10.0.0.99", "123456").await;
    assert!(matches!(eleventh, Err(AuthError::RateLimited { .. })));
    assert_eq!(fakes.sms.lock().unwrap().len(), 10);
    assert!(auth.request_code("13800000001", "10.0.0.99", "123456").await.is_ok(), "other phones unaffected");
}

#[tokio::test]
async fn the_service_wide_sms_budget_refuses_and_alerts_once() {
    let (mut auth, fakes) = auth();
    auth.policy.sms_per_hour = 3;
    for i in 0..3 {
        auth.request_code(&format!("1380000000{i}"), &format!("10.0.0.{i}"), "123456").await.unwrap();
    }
    for i in 3..6 {
        let refused = auth.request_code(&format!("1380000000{i}"), &format!("10.0.1.{i}"), "123456").await;
        assert!(matches!(refused, Err(AuthError::SmsBudgetSpent { .. })), "{refused:?}");
    }
    assert_eq!(fakes.sms.lock().unwrap().len(), 3, "nothing sent past the budget");
    let alerts = fakes.alerts.lock().unwrap();
    assert_eq!(alerts.len(), 1, "one alert per window, not one per refusal");
    assert!(alerts[0].body.contains("SGH_SMS_BUDGET_PER_HOUR"), "{}", alerts[0].body);
}

#[tokio::test]
async fn a_code_is_sent_only_when_the_gateway_takes_it() {
    let (auth, fakes) = auth();
    *fakes.sms_down.lock().unwrap() = true;
    assert!(matches!(auth.request_code("13800000000", "ip", "654321").await, Err(AuthError::SmsUnavailable(_))));
}

#[tokio::test]
async fn first_login_creates_then_reuses_the_account_and_suspension_blocks_it() {
    let (auth, fakes) = auth();
    auth.request_code("13800000000", "ip", "111111").await.unwrap();
    let first = auth.login_with_code("+8613800000000", "111111", None).await.unwrap();
    assert!(first.new_account);
    fakes.window_passes("otp-resend:");
    auth.request_code("13800000000", "ip", "222222").await.unwrap();
    let second = auth.login_with_code("13800000000", "222222", None).await.unwrap();
    assert_eq!((second.member, second.new_account), (first.member, false));

    fakes.members.lock().unwrap()[0].suspension = Some("fraud".into());
    fakes.window_passes("otp-resend:");
    auth.request_code("13800000000", "ip", "333333").await.unwrap();
    assert!(matches!(auth.login_with_code("13800000000", "333333", None).await, Err(AuthError::Suspended)));
    assert!(matches!(auth.authenticate(&first.access_token).await, Err(AuthError::Suspended)));
}

#[tokio::test]
async fn wechat_identity_is_bound_through_a_ticket_once() {
    let (auth, _) = auth();
    let super::auth::WeChatLogin::NeedsPhone { bind_ticket, .. } = auth.wechat_login("openid-9").await.unwrap() else {
        panic!("unknown openid signs in")
    };
    auth.request_code("13900000000", "ip", "444444").await.unwrap();
    auth.login_with_code("13900000000", "444444", Some(&bind_ticket)).await.unwrap();
    assert!(matches!(auth.wechat_login("openid-9").await.unwrap(), super::auth::WeChatLogin::SignedIn(_)));
}

impl Roster for Fakes {
    async fn is_active_member(&self, _: &PersonName, _: &IdNumber) -> anyhow::Result<bool> {
        Ok(false)
    }
    async fn union_path(&self, _: &str) -> anyhow::Result<Option<crate::unions::NodePath>> {
        Ok(None)
    }
    async fn search(
        &self,
        _: &super::roster_search::RosterCriterion,
        _: Option<&crate::unions::NodePath>,
        _: crate::shared::PageRequest,
    ) -> anyhow::Result<crate::shared::Page<super::roster_search::RosterMember>> {
        unimplemented!("not used by e-mail confirmation")
    }
}

#[tokio::test]
async fn confirmation_mails_are_three_an_hour_and_ten_a_day_per_member_and_per_address() {
    let fakes = Fakes::default();
    let profiles = super::profile::Profiles {
        members: fakes.clone(),
        roster: fakes.clone(),
        limiter: fakes.clone(),
        clock: Fixed,
        policy_version: "2026-11".into(),
    };
    let (one, other) = (MemberId::new(), MemberId::new());
    let to = |a: &str| EmailAddress::parse(a).unwrap();
    let too_many =
        |r: Result<(), super::error::ProfileError>| matches!(r, Err(super::error::ProfileError::TooManyMails { .. }));
    // Ten in a day, three in any hour: the hours pass, the day does not.
    for hour in 0..4 {
        for i in 0..3 {
            let sent = profiles.request_email(one, to(&format!("m{hour}{i}@example.cn"))).await;
            if hour * 3 + i < 10 {
                assert!(sent.is_ok(), "mail {} of the day", hour * 3 + i + 1);
            } else {
                assert!(too_many(sent), "mail {} of the day", hour * 3 + i + 1);
            }
        }
        if hour < 3 {
            assert!(too_many(profiles.request_email(one, to("late@example.cn")).await), "a fourth in hour {hour}");
        }
        // The hour's windows close; the day's stay open.
        fakes.hits.lock().unwrap().retain(|k, _| !k.ends_with(":3600"));
    }
    // Per address too, whoever asks and however the address is spelt.
    for i in 0..3 {
        assert!(profiles.request_email(MemberId::new(), to("Shared@Example.cn")).await.is_ok(), "mail {i}");
    }
    assert!(too_many(profiles.request_email(other, to("SHARED@example.CN")).await));
}

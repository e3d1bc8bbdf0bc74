use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use domain::members::auth::Tokens;
use domain::members::Profile;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"phone": "+86 138 0013 8000"}))]
pub struct CodeRequest {
    /// Mainland mobile number; `+86`, spaces and dashes are accepted.
    pub phone: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"expires_in": 300, "resend_after": 60}))]
pub struct CodeSent {
    /// Seconds the code stays valid.
    pub expires_in: u64,
    /// Seconds before another code may be requested for this phone.
    pub resend_after: u64,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"phone": "13800138000", "code": "123456"}))]
pub struct TokenRequest {
    pub phone: String,
    pub code: String,
    /// From `POST /v1/auth/wechat`: binds that WeChat identity to this phone's account.
    pub bind_ticket: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refresh_token": "q0fJ2m3Zt3c1mN6o0mH9rQ8m1pP5sW2uYbX7kD4eF9g"}))]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"access_token": "eyJhbGciOiJIUzI1NiIsImtpZCI6Im0xIn0.e30.c2ln", "token_type": "Bearer",
    "expires_in": 900, "refresh_token": "q0fJ2m3Zt3c1mN6o0mH9rQ8m1pP5sW2uYbX7kD4eF9g", "new_account": false}))]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    /// Opaque, 30 days, single use: each refresh returns a new one. Presenting a used one again
    /// signs this login out everywhere.
    pub refresh_token: String,
    /// `true` when this login created the account.
    pub new_account: bool,
}

impl From<Tokens> for TokenResponse {
    fn from(t: Tokens) -> Self {
        Self {
            access_token: t.access_token,
            token_type: "Bearer",
            expires_in: (t.expires_at - t.issued_at).num_seconds().max(0),
            refresh_token: t.refresh_token,
            new_account: t.new_account,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "0a3Xkz000pLq9T1Yb8200VnR4E3Xkz0b"}))]
pub struct WeChatRequest {
    /// The mini-program's `wx.login()` code.
    pub code: String,
}

/// Either signed in (`tokens`), or `needs_phone` with a ticket to pass to `POST /v1/auth/token`.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"status": "needs_phone", "bind_ticket": "5b0c1e8a4f6d4e2b9c3a7f1e0d2c4b6a", "expires_in": 600}))]
pub struct WeChatResponse {
    /// `signed_in` or `needs_phone`.
    pub status: &'static str,
    pub tokens: Option<TokenResponse>,
    pub bind_ticket: Option<String>,
    pub expires_in: Option<u64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RealNameView {
    /// Masked: `张*`.
    pub name: String,
    /// Masked: `3205**********123X`.
    pub id_number: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnionView {
    pub union_org_code: String,
    /// The grassroots union (基层工会).
    pub union_org_name: String,
    pub member_no: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentView {
    pub version: String,
    pub accepted_at: DateTime<Utc>,
}

/// A member's account as they see it; personal identifiers only masked.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b5a", "status": "activated", "phone": "138****8000",
    "real_name": {"name": "张*", "id_number": "3205**********123X"},
    "union": {"union_org_code": "SZ-SIP-001", "union_org_name": "苏州工业园区某公司工会", "member_no": "M000123"},
    "nickname": "小张", "avatar_url": null, "email": null, "wechat_bound": true,
    "consent": {"version": "2026-11", "accepted_at": "2026-11-20T02:00:00Z"}, "privacy_policy_version": "2026-11",
    "created_at": "2026-11-20T01:59:00Z"}))]
pub struct MeView {
    pub id: uuid::Uuid,
    /// `registered`, `activated` (matches an active roster entry: entitled to benefits) or `suspended`.
    pub status: &'static str,
    pub phone: Option<String>,
    pub real_name: Option<RealNameView>,
    pub union: Option<UnionView>,
    pub nickname: Option<String>,
    pub avatar_url: Option<String>,
    pub email: Option<String>,
    pub wechat_bound: bool,
    pub consent: Option<ConsentView>,
    /// The version `POST /v1/me/consents` must accept.
    pub privacy_policy_version: String,
    pub created_at: DateTime<Utc>,
}

impl MeView {
    pub fn new(p: &Profile, policy_version: &str) -> Self {
        let m = &p.member;
        Self {
            id: m.id.0,
            status: p.status().as_str(),
            phone: m.phone.as_ref().map(|ph| ph.masked()),
            real_name: m
                .real_name
                .as_ref()
                .map(|r| RealNameView { name: r.name.masked(), id_number: r.id_number.masked() }),
            union: p.affiliation.as_ref().map(|a| UnionView {
                union_org_code: a.union_org_code.clone(),
                union_org_name: a.union_org_name.clone(),
                member_no: a.member_no.clone(),
            }),
            nickname: m.nickname.clone(),
            avatar_url: m.avatar_url.clone(),
            email: m.email.as_ref().map(|e| e.as_str().to_owned()),
            wechat_bound: m.wechat_openid.is_some(),
            consent: match (&m.consent_version, m.consent_at) {
                (Some(version), Some(accepted_at)) => Some(ConsentView { version: version.clone(), accepted_at }),
                _ => None,
            },
            privacy_policy_version: policy_version.to_owned(),
            created_at: m.created_at,
        }
    }
}

/// Only the fields present change; `null` clears nickname or avatar. A new e-mail address is
/// confirmed by a code sent to it before it replaces the old one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"nickname": "小张", "email": "zhang@example.cn"}))]
pub struct PatchMe {
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub nickname: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub avatar_url: Option<Option<String>>,
    pub email: Option<String>,
}

fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"member": {"id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b5a", "status": "activated", "phone": "138****8000",
    "real_name": {"name": "张*", "id_number": "3205**********123X"},
    "union": {"union_org_code": "SZ-SIP-001", "union_org_name": "苏州工业园区某公司工会", "member_no": "M000123"},
    "nickname": "小张", "avatar_url": null, "email": null, "wechat_bound": true,
    "consent": {"version": "2026-11", "accepted_at": "2026-11-20T02:00:00Z"}, "privacy_policy_version": "2026-11",
    "created_at": "2026-11-20T01:59:00Z"}, "email_confirmation_sent_to": "zhang@example.cn"}))]
pub struct PatchMeResponse {
    pub member: MeView,
    /// Set when a confirmation code was sent to a new address.
    pub email_confirmation_sent_to: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "张三", "id_number": "32050219900307123X"}))]
pub struct RealNameRequest {
    pub name: String,
    pub id_number: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"version": "2026-11"}))]
pub struct ConsentRequest {
    pub version: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"code": "482913"}))]
pub struct EmailCodeRequest {
    pub code: String,
}

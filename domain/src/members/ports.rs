use chrono::{DateTime, Utc};
use std::future::Future;

use super::identity::{IdNumber, PersonName, PhoneNumber};
use super::model::{ConsentEvent, Member, MemberId, Profile};
use crate::admin::NewAuditEntry;
use crate::mail::OutboundEmail;
use crate::shared::EmailAddress;

#[derive(Debug, thiserror::Error)]
pub enum BindError {
    /// The ID number or WeChat identity already backs another account.
    #[error("already bound to another account")]
    Taken,
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// Member accounts. Phone numbers, names and ID numbers are encrypted at rest and found through
/// blind indexes; that is the adapter's business, the domain sees plain values.
pub trait MemberRepository: Send + Sync + 'static {
    fn find_by_phone(&self, phone: &PhoneNumber) -> impl Future<Output = anyhow::Result<Option<Member>>> + Send;
    fn find_by_wechat(&self, openid: &str) -> impl Future<Output = anyhow::Result<Option<Member>>> + Send;
    fn profile(&self, id: MemberId) -> impl Future<Output = anyhow::Result<Option<Profile>>> + Send;

    /// Members whose phone or ID number is exactly this, for staff look-ups.
    fn search(
        &self,
        phone: Option<&PhoneNumber>,
        id: Option<&IdNumber>,
    ) -> impl Future<Output = anyhow::Result<Vec<Profile>>> + Send;

    /// Activated members whose active roster row has this member number.
    fn search_member_no(&self, member_no: &str) -> impl Future<Output = anyhow::Result<Vec<Profile>>> + Send;

    /// Writes a staff look-up to the audit log: it reads personal data, so it is kept like a change.
    fn record_lookup(&self, entry: NewAuditEntry) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Inserts a new account; when the phone is already registered (a concurrent first login) MUST
    /// leave the table as it is and return the existing member instead.
    fn create_or_get(&self, member: &Member) -> impl Future<Output = anyhow::Result<Member>> + Send;

    /// MUST answer [`BindError::Taken`] when the openid is bound to another member.
    fn bind_wechat(
        &self,
        id: MemberId,
        openid: &str,
        unionid: Option<&str>,
    ) -> impl Future<Output = Result<(), BindError>> + Send;

    /// MUST answer [`BindError::Taken`] when the ID number backs another account.
    fn bind_real_name(
        &self,
        id: MemberId,
        name: &PersonName,
        id_number: &IdNumber,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<(), BindError>> + Send;

    fn update_profile(
        &self,
        id: MemberId,
        nickname: Option<Option<String>>,
        avatar_url: Option<Option<String>>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Stores an unconfirmed address with the hash of its code, and queues the mail carrying the code,
    /// in one transaction.
    fn request_email(
        &self,
        id: MemberId,
        email: &EmailAddress,
        code: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
        mail: OutboundEmail,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Makes the pending address the member's own if `code` matches and has not expired. Codes
    /// are kept only as keyed hashes. A wrong code counts against the pending one, which is burned
    /// at `max_tries`.
    fn confirm_email(
        &self,
        id: MemberId,
        code: &str,
        now: DateTime<Utc>,
        max_tries: u32,
    ) -> impl Future<Output = anyhow::Result<Option<EmailAddress>>> + Send;

    /// Records the consent and adds it to the member's consent history, together.
    fn record_consent(
        &self,
        id: MemberId,
        version: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Clears the member's consent and adds the withdrawal to the history, together; `false` (and
    /// nothing written) when there was no consent to withdraw.
    fn withdraw_consent(&self, id: MemberId, now: DateTime<Utc>) -> impl Future<Output = anyhow::Result<bool>> + Send;

    /// The member's consent history, oldest first.
    fn consent_history(&self, id: MemberId) -> impl Future<Output = anyhow::Result<Vec<ConsentEvent>>> + Send;

    /// Erases every personal field and blind index and revokes all sessions; the row and its id stay
    /// for the records that point at it.
    fn erase(&self, id: MemberId, now: DateTime<Utc>) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Sets or clears a suspension with its audit row, in one transaction.
    fn set_suspension(
        &self,
        id: MemberId,
        reason: Option<&str>,
        audit: NewAuditEntry,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// Is this name + ID number on the roster as an active member?
pub trait Roster: Send + Sync + 'static {
    fn is_active_member(
        &self,
        name: &PersonName,
        id_number: &IdNumber,
    ) -> impl Future<Output = anyhow::Result<bool>> + Send;
    /// Where the union `code` sits in the tree (every roster code is a union of the tree).
    fn union_path(&self, code: &str) -> impl Future<Output = anyhow::Result<Option<crate::unions::NodePath>>> + Send;
    /// Roster rows matching `criterion` in the unions under `within` (the whole roster for
    /// `None`), in roster order, a page at a time.
    fn search(
        &self,
        criterion: &super::roster_search::RosterCriterion,
        within: Option<&crate::unions::NodePath>,
        page: crate::shared::PageRequest,
    ) -> impl Future<Output = anyhow::Result<crate::shared::Page<super::roster_search::RosterMember>>> + Send;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    Rotated {
        member: MemberId,
        refresh_token: String,
    },
    /// An already rotated token came back: its whole family is now revoked.
    Reused {
        member: MemberId,
    },
    /// The token's session was ended (sign-out, suspension, erasure, or a reuse of an older token).
    Ended,
    Expired,
    Unknown,
}

/// Opaque refresh tokens, stored hashed, in families that rotate.
pub trait RefreshTokens: Send + Sync + 'static {
    /// Starts a new family; returns the token to hand out.
    fn issue(&self, member: MemberId, now: DateTime<Utc>) -> impl Future<Output = anyhow::Result<String>> + Send;

    /// Exchanges a token for its successor, atomically: of two concurrent rotations of one token at
    /// most one MUST see `Rotated`; the other sees `Reused` and the family is revoked.
    fn rotate(&self, token: &str, now: DateTime<Utc>) -> impl Future<Output = anyhow::Result<Rotation>> + Send;

    /// Revokes the family of `token`; unknown tokens are ignored.
    fn revoke(&self, token: &str, now: DateTime<Utc>) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// Who an access token speaks for, and since when: a token issued before the member's
/// [`crate::members::Member::sessions_since`] is dead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberSession {
    pub member: MemberId,
    pub issued_at: DateTime<Utc>,
}

/// Short-lived member access tokens.
pub trait MemberTokens: Send + Sync + 'static {
    fn issue(&self, member: MemberId, now: DateTime<Utc>) -> anyhow::Result<(String, DateTime<Utc>)>;
    /// `None` for anything but a genuine token unexpired at `now`.
    fn verify(&self, token: &str, now: DateTime<Utc>) -> Option<MemberSession>;
}

/// Text messages to mobile phones. Mainland SMS gateways send only pre-approved templates, so the
/// port names the template's parameters rather than taking free text.
pub trait SmsSender: Send + Sync + 'static {
    /// The sign-in code template: 【苏工惠】验证码 {code}，{minutes} 分钟内有效。
    fn send_code(&self, to: &PhoneNumber, code: &str, minutes: u64) -> impl Future<Output = anyhow::Result<()>> + Send;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WeChatSession {
    pub openid: String,
    pub unionid: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum WeChatError {
    #[error("WeChat rejected the login code")]
    InvalidCode,
    #[error("WeChat login is not configured")]
    NotConfigured,
    #[error("WeChat unavailable")]
    Unavailable(#[source] anyhow::Error),
}

/// The mini-program's `code2session`. Adapters MUST NOT log or return the session key.
pub trait WeChat: Send + Sync + 'static {
    fn code_to_session(&self, code: &str) -> impl Future<Output = Result<WeChatSession, WeChatError>> + Send;
}

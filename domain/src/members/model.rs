use chrono::{DateTime, Utc};

use super::identity::{IdNumber, PersonName, PhoneNumber};
use crate::shared::ids::uuid_id;
use crate::shared::EmailAddress;

uuid_id!(MemberId);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealName {
    pub name: PersonName,
    pub id_number: IdNumber,
}

/// A member account as stored (personal fields decrypted by the repository).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub id: MemberId,
    /// `None` only after the member erased their account.
    pub phone: Option<PhoneNumber>,
    pub wechat_openid: Option<String>,
    pub wechat_unionid: Option<String>,
    pub nickname: Option<String>,
    pub avatar_url: Option<String>,
    pub email: Option<EmailAddress>,
    pub real_name: Option<RealName>,
    /// Why staff suspended the account, while it is suspended.
    pub suspension: Option<String>,
    pub consent_version: Option<String>,
    pub consent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub erased_at: Option<DateTime<Utc>>,
    /// Access tokens issued before this moment are dead (set by a suspension).
    pub sessions_since: Option<DateTime<Utc>>,
}

impl Member {
    pub fn new(phone: PhoneNumber, now: DateTime<Utc>) -> Self {
        Self {
            id: MemberId::new(),
            phone: Some(phone),
            wechat_openid: None,
            wechat_unionid: None,
            nickname: None,
            avatar_url: None,
            email: None,
            real_name: None,
            suspension: None,
            consent_version: None,
            consent_at: None,
            created_at: now,
            erased_at: None,
            sessions_since: None,
        }
    }
}

/// The member's grassroots union (基层工会) and roster number, from an active roster row.
/// One step of a member's consent history: the policy version accepted, or consent withdrawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentEvent {
    pub version: String,
    pub given: bool,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Affiliation {
    pub union_org_code: String,
    pub union_org_name: String,
    /// Where the union sits in the tree; `None` for a code the tree does not hold.
    pub union_path: Option<crate::unions::NodePath>,
    pub member_no: String,
    /// When the member first appeared on the roster.
    pub joined_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberStatus {
    /// Signed up; not (or no longer) matched to an active roster row.
    Registered,
    /// Real name matches an active roster row: entitled to benefits.
    Activated,
    Suspended,
}

impl MemberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Registered => "registered",
            MemberStatus::Activated => "activated",
            MemberStatus::Suspended => "suspended",
        }
    }
}

/// A member with what the roster says about them now. Activation is not stored: it is the join of
/// the bound real name with an active roster row, so a roster import that marks someone `left`
/// ends their activation without touching their account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub member: Member,
    pub affiliation: Option<Affiliation>,
    /// Holds an active 会员服务卡.
    pub cardholder: bool,
}

impl Profile {
    pub fn status(&self) -> MemberStatus {
        if self.member.suspension.is_some() {
            MemberStatus::Suspended
        } else if self.affiliation.is_some() {
            MemberStatus::Activated
        } else {
            MemberStatus::Registered
        }
    }
}

//! Applications to join (网上入会), transfer (关系接转) or leave, and the membership history they write.

use chrono::{DateTime, NaiveDate, Utc};

use crate::members::{MemberId, RealName};
use crate::shared::ids::uuid_id;
use crate::unions::UnionCode;

uuid_id!(
    /// An application, as the member and staff name it.
    ApplicationId
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApplicationKind {
    /// Someone not on the roster joins a grassroots union.
    Join,
    /// An active member moves to another grassroots union.
    Transfer,
    /// An active member's membership ends.
    Leave,
}

impl ApplicationKind {
    pub const ALL: [ApplicationKind; 3] = [ApplicationKind::Join, ApplicationKind::Transfer, ApplicationKind::Leave];

    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationKind::Join => "join",
            ApplicationKind::Transfer => "transfer",
            ApplicationKind::Leave => "leave",
        }
    }

    pub fn zh(self) -> &'static str {
        match self {
            ApplicationKind::Join => "入会",
            ApplicationKind::Transfer => "会员关系接转",
            ApplicationKind::Leave => "退会",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicationState {
    Open,
    Approved,
    Refused,
    Withdrawn,
}

impl ApplicationState {
    pub const ALL: [ApplicationState; 4] =
        [ApplicationState::Open, ApplicationState::Approved, ApplicationState::Refused, ApplicationState::Withdrawn];

    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationState::Open => "open",
            ApplicationState::Approved => "approved",
            ApplicationState::Refused => "refused",
            ApplicationState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// Free text a member or officer writes: trimmed, visible, at most `max` characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text(String);

impl Text {
    pub fn parse(raw: &str, max: usize) -> Option<Self> {
        crate::shared::text::visible(raw, max).map(Self)
    }

    pub fn stored(text: String) -> Self {
        Self(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Where the member works, as they state it when joining or transferring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employment {
    pub employer: Text,
    pub position: Text,
    pub started_on: NaiveDate,
}

/// What a member asks for, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Consent to the union's rules is part of parsing one: without it there is no request.
    /// `identity`: the name and ID number of someone whose account has none bound yet (bound to it
    /// when approved); `None` for an account with one.
    Join {
        union: UnionCode,
        employment: Employment,
        identity: Option<RealName>,
    },
    Transfer {
        union: UnionCode,
        employment: Employment,
    },
    Leave {
        reason: Option<Text>,
    },
}

impl Request {
    pub fn kind(&self) -> ApplicationKind {
        match self {
            Request::Join { .. } => ApplicationKind::Join,
            Request::Transfer { .. } => ApplicationKind::Transfer,
            Request::Leave { .. } => ApplicationKind::Leave,
        }
    }

    /// The union joined or transferred to.
    pub fn union(&self) -> Option<&UnionCode> {
        match self {
            Request::Join { union, .. } | Request::Transfer { union, .. } => Some(union),
            Request::Leave { .. } => None,
        }
    }
}

/// A decision an officer takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Approve { note: Option<Text> },
    Refuse { reason: Text },
}

/// A remark on an application: the sending union's on a transfer, say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub author: String,
    pub union: Option<UnionCode>,
    pub body: Text,
    pub at: DateTime<Utc>,
}

/// The applicant as staff see them: the real name bound to the account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applicant {
    pub member_id: MemberId,
    /// `None` once the account is erased.
    pub real_name: Option<crate::members::RealName>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub id: ApplicationId,
    /// Its place in the order applications arrived in: the key pages are cut at.
    pub seq: i64,
    pub kind: ApplicationKind,
    pub state: ApplicationState,
    pub applicant: Applicant,
    /// The union joined, transferred to, or left.
    pub union: UnionCode,
    pub union_name: String,
    /// A transfer's sending union.
    pub from_union: Option<UnionCode>,
    pub employment: Option<Employment>,
    pub reason: Option<Text>,
    /// The union whose queue it waits in: the union itself, or above it once escalated.
    pub queue: UnionCode,
    pub escalations: u32,
    pub submitted_at: DateTime<Utc>,
    /// When the current time limit started: the submission, or the last escalation.
    pub limit_from: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<String>,
    pub decision_note: Option<Text>,
    /// Decided after the time limit first ran out.
    pub decided_late: Option<bool>,
    /// The member number a join was given.
    pub member_no: Option<String>,
    pub comments: Vec<Comment>,
}

impl Application {
    /// Past its limit while still open, or escalated for that.
    pub fn overdue(&self, now: DateTime<Utc>) -> bool {
        self.escalations > 0 || (self.state == ApplicationState::Open && now >= self.due_at)
    }
}

/// Why a membership spell began or ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SpellEvent {
    /// On the roster as imported.
    Roster,
    Joined,
    Transferred,
    Left,
    /// Moved by staff (a merge, a bulk move).
    Moved,
}

impl SpellEvent {
    pub fn as_str(self) -> &'static str {
        match self {
            SpellEvent::Roster => "roster",
            SpellEvent::Joined => "joined",
            SpellEvent::Transferred => "transferred",
            SpellEvent::Left => "left",
            SpellEvent::Moved => "moved",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [SpellEvent::Roster, SpellEvent::Joined, SpellEvent::Transferred, SpellEvent::Left, SpellEvent::Moved]
            .into_iter()
            .find(|e| e.as_str() == raw)
    }
}

/// A stretch of membership in one union: which, from when, until when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Spell {
    pub union: UnionCode,
    pub union_name: String,
    pub member_no: String,
    pub from: DateTime<Utc>,
    pub began: SpellEvent,
    pub until: Option<DateTime<Utc>>,
    pub ended: Option<SpellEvent>,
}

/// Which applications staff want to see.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicationFilter {
    pub state: Option<ApplicationState>,
    pub kind: Option<ApplicationKind>,
    /// Waiting in this union's queue.
    pub queue: Option<UnionCode>,
    pub overdue_only: bool,
}

//! Kinds of case, cases, and what happened to each.

use chrono::{DateTime, Utc};

use super::form::{Answers, FieldKey, FileType, Form};
use crate::members::MemberId;
use crate::shared::ids::uuid_id;
use crate::shared::money::Fen;
use crate::unions::UnionCode;

uuid_id!(
    /// A case, as the member and staff name it.
    CaseId
);

uuid_id!(
    /// One attached file.
    AttachmentId
);

/// A kind's name in paths and forms: `[a-z][a-z0-9-]{1,39}` (`illness-subsidy`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KindCode(String);

impl KindCode {
    pub fn parse(raw: &str) -> Option<Self> {
        let b = raw.as_bytes();
        let ok = (2..=40).contains(&b.len())
            && b[0].is_ascii_lowercase()
            && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-');
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn stored(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for KindCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a kind of case ends in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// A question answered in writing: 法律援助, 就业服务.
    Consultation,
    /// A request decided, possibly with money: 困难帮扶, 大病补助, 金秋助学.
    Application,
    /// A complaint answered: about a merchant, a campaign, a union office.
    Complaint,
}

impl Category {
    pub const ALL: [Category; 3] = [Category::Consultation, Category::Application, Category::Complaint];

    pub fn as_str(self) -> &'static str {
        match self {
            Category::Consultation => "consultation",
            Category::Application => "application",
            Category::Complaint => "complaint",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw)
    }
}

/// Who may open a case of a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Eligibility {
    /// On the union's roster as an active member (real name matched).
    pub member: bool,
    /// Holding an active 会员服务卡.
    pub cardholder: bool,
    /// An active member for at least this many months (0: any).
    pub min_months: u32,
}

/// A kind's time limits in working days.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeLimits {
    /// From submission to acceptance (受理).
    pub accept_days: u32,
    /// From acceptance to the answer or decision.
    pub answer_days: u32,
}

pub const MAX_LIMIT_DAYS: u32 = 60;

impl TimeLimits {
    pub fn parse(accept_days: u32, answer_days: u32) -> Option<Self> {
        let ok = |d: u32| (1..=MAX_LIMIT_DAYS).contains(&d);
        (ok(accept_days) && ok(answer_days)).then_some(Self { accept_days, answer_days })
    }
}

/// How often one person may be paid by a kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OncePer {
    /// As often as approved.
    Unlimited,
    /// Once per person per calendar year (大病补助).
    PersonYear,
    /// Once per child per school year (September to August), by the child's 身份证 in `field`.
    ChildSchoolYear { field: FieldKey },
}

impl OncePer {
    pub fn as_str(&self) -> &'static str {
        match self {
            OncePer::Unlimited => "unlimited",
            OncePer::PersonYear => "person_year",
            OncePer::ChildSchoolYear { .. } => "child_school_year",
        }
    }
}

/// What an application of a kind may pay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    /// The most one approval pays.
    pub max_amount: Fen,
    pub once: OncePer,
}

/// A kind of case as staff configured it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kind {
    pub code: KindCode,
    pub category: Category,
    pub name: String,
    pub description: String,
    pub form: Form,
    pub eligibility: Eligibility,
    pub limits: TimeLimits,
    /// Only applications pay.
    pub money: Option<Money>,
    /// A retired kind takes no new cases; its open ones run on.
    pub active: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CaseState {
    /// Waiting to be accepted (受理).
    Submitted,
    /// Sent back to the member for missing material: the clock stops until they answer.
    Returned,
    /// Accepted, waiting for the answer or decision.
    Accepted,
    Answered,
    Approved,
    Refused,
    Closed,
    Withdrawn,
    /// Reopened by a poor follow-up score, for a supervisor's review.
    Reopened,
}

impl CaseState {
    pub const ALL: [CaseState; 9] = [
        CaseState::Submitted,
        CaseState::Returned,
        CaseState::Accepted,
        CaseState::Answered,
        CaseState::Approved,
        CaseState::Refused,
        CaseState::Closed,
        CaseState::Withdrawn,
        CaseState::Reopened,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseState::Submitted => "submitted",
            CaseState::Returned => "returned",
            CaseState::Accepted => "accepted",
            CaseState::Answered => "answered",
            CaseState::Approved => "approved",
            CaseState::Refused => "refused",
            CaseState::Closed => "closed",
            CaseState::Withdrawn => "withdrawn",
            CaseState::Reopened => "reopened",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    /// Still waiting on someone: the union or the member.
    pub fn is_open(self) -> bool {
        matches!(self, CaseState::Submitted | CaseState::Returned | CaseState::Accepted | CaseState::Reopened)
    }

    /// Answered or decided, not yet closed.
    pub fn is_resolved(self) -> bool {
        matches!(self, CaseState::Answered | CaseState::Approved | CaseState::Refused)
    }
}

/// Who did something to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Author {
    Member,
    Staff(String),
    /// The clock: an escalation, a reopening.
    System,
}

/// Something that happened to a case; the case's state and deadlines are what its events say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    Submitted,
    /// Sent back; the body says what is missing.
    Returned,
    /// The member answered a return.
    Resubmitted,
    Accepted,
    Assigned {
        to: String,
    },
    /// Moved one step up the tree when its limit ran out.
    Escalated {
        to: UnionCode,
    },
    /// A message in the thread between member and caseworker.
    Message,
    /// A note among staff the member never sees.
    Note,
    Answered,
    Approved {
        amount: Option<Fen>,
    },
    Refused,
    Closed,
    Withdrawn,
    Rated {
        score: u8,
    },
    Reopened,
    /// The member was reminded to score a closed case.
    Reminded,
}

impl EventKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            EventKind::Submitted => "submitted",
            EventKind::Returned => "returned",
            EventKind::Resubmitted => "resubmitted",
            EventKind::Accepted => "accepted",
            EventKind::Assigned { .. } => "assigned",
            EventKind::Escalated { .. } => "escalated",
            EventKind::Message => "message",
            EventKind::Note => "note",
            EventKind::Answered => "answered",
            EventKind::Approved { .. } => "approved",
            EventKind::Refused => "refused",
            EventKind::Closed => "closed",
            EventKind::Withdrawn => "withdrawn",
            EventKind::Rated { .. } => "rated",
            EventKind::Reopened => "reopened",
            EventKind::Reminded => "reminded",
        }
    }

    /// Whether the member sees it: everything but staff's notes.
    pub fn members_see(&self) -> bool {
        !matches!(self, EventKind::Note)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub at: DateTime<Utc>,
    pub author: Author,
    pub kind: EventKind,
    /// The message, the note, what is missing, the answer, the reason.
    pub body: Option<String>,
    /// Files that came with it.
    pub attachments: Vec<AttachmentId>,
}

/// A file attached to a case, as stored (its bytes sealed in the file store).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub id: AttachmentId,
    pub slot: FieldKey,
    /// The name the member's device gave it, cleaned of any path.
    pub file_name: String,
    pub file_type: FileType,
    pub bytes: u64,
    /// Hex SHA-256 of the plain bytes.
    pub sha256: String,
    pub at: DateTime<Utc>,
}

/// A case as the member and staff in scope see it (staff see notes too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    pub id: CaseId,
    /// Its place in the order cases arrived in.
    pub seq: i64,
    /// `FW` + year + six digits of its place: what a member quotes on the phone.
    pub number: String,
    pub kind: KindCode,
    pub kind_name: String,
    pub category: Category,
    pub member: MemberId,
    /// The member's union when they asked.
    pub union: UnionCode,
    pub union_name: String,
    /// The union whose queue it waits in: the member's, or above it once escalated.
    pub queue: UnionCode,
    pub state: CaseState,
    pub assignee: Option<String>,
    pub answers: Answers,
    pub attachments: Vec<Attachment>,
    pub events: Vec<Event>,
    pub submitted_at: DateTime<Utc>,
    /// When the running limit ends; `None` while the clock is stopped or the case is done.
    pub due_at: Option<DateTime<Utc>>,
    pub escalations: u32,
    /// Ran past a limit at some point.
    pub late: bool,
    /// What an approval pays.
    pub amount: Option<Fen>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The member's follow-up score, 1–5.
    pub score: Option<u8>,
    /// What the approval pays out of the union fund (the whole case only).
    pub payout: Option<super::payouts::Payout>,
}

impl Case {
    pub fn overdue(&self, now: DateTime<Utc>) -> bool {
        self.due_at.is_some_and(|d| now >= d)
    }

    /// The case as its member sees it: staff's notes left out.
    pub fn for_member(mut self) -> Self {
        self.events.retain(|e| e.kind.members_see());
        self
    }
}

/// Which cases staff want to see.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CaseFilter {
    /// `None`: the open ones (submitted, returned, accepted, reopened).
    pub state: Option<CaseState>,
    pub kind: Option<KindCode>,
    /// Waiting in this union's queue.
    pub queue: Option<UnionCode>,
    pub assignee: Option<String>,
    pub overdue_only: bool,
}

/// A staff member's read of a case or one of its files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub case: CaseId,
    pub number: String,
    pub staff: String,
    pub at: DateTime<Utc>,
    /// `case`, or the attachment's id.
    pub what: String,
}

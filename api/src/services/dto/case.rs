//! Cases as members and staff see them, and the steps and messages they send.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::*;
use crate::error::ApiError;
use domain::services::model::{Attachment, Author, Case, Event, EventKind};
use domain::services::rules::Step;
use domain::shared::money::Fen;

/// A file of a case.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b5a", "slot": "diagnosis_proof", "file_name": "诊断证明.pdf",
    "file_type": "pdf", "bytes": 183211, "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "at": "2026-12-07T02:00:00Z", "href": "/v1/me/cases/0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b11/attachments/0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b5a"}))]
pub struct CaseAttachment {
    pub id: String,
    pub slot: String,
    pub file_name: String,
    pub file_type: CaseFileType,
    pub bytes: u64,
    /// Hex SHA-256 of the file's bytes.
    pub sha256: String,
    pub at: DateTime<Utc>,
    /// Where the reader downloads it.
    pub href: String,
}

/// Something that happened to a case.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"at": "2026-12-07T02:00:00Z", "kind": "returned", "author": "staff", "staff": "cw.wang",
    "body": "请补充住院费用清单", "attachments": [], "assigned_to": null, "escalated_to": null, "amount_fen": null, "score": null}))]
pub struct CaseEvent {
    pub at: DateTime<Utc>,
    /// `submitted`, `returned`, `resubmitted`, `accepted`, `assigned`, `escalated`, `message`, `note` (staff only),
    /// `answered`, `approved`, `refused`, `closed`, `withdrawn`, `rated`, `reopened`.
    pub kind: &'static str,
    /// `member`, `staff` or `system`.
    pub author: &'static str,
    /// The member of staff (shown to staff only).
    pub staff: Option<String>,
    /// The message, note, what is missing, the answer, the reason.
    pub body: Option<String>,
    /// Ids of the files that came with it.
    pub attachments: Vec<String>,
    pub assigned_to: Option<String>,
    pub escalated_to: Option<String>,
    pub amount_fen: Option<i64>,
    pub score: Option<u8>,
}

/// A case: a line of a list (no `answers`, `attachments` or `events`), or the whole of it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b11", "number": "FW2026-000042", "kind": "illness-subsidy",
    "kind_name": "大病补助", "category": "application", "state": "accepted", "union_code": "SZ-SIP-WT-J01",
    "union_name": "唯亭街道联合工会", "queue": "SZ-SIP-WT-J01", "assignee": "cw.wang", "submitted_at": "2026-12-07T02:00:00Z",
    "due_at": "2026-12-21T16:00:00Z", "overdue": false, "escalations": 0, "late": false, "amount_fen": null,
    "resolved_at": null, "closed_at": null,
    "answers": {"diagnosis": "急性心肌梗死", "self_paid_fen": 4830000},
    "attachments": [{"id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b5a", "slot": "diagnosis_proof", "file_name": "诊断证明.pdf",
        "file_type": "pdf", "bytes": 183211, "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "at": "2026-12-07T02:00:00Z", "href": "/v1/me/cases/0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b11/attachments/0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b5a"}],
    "events": [{"at": "2026-12-07T02:00:00Z", "kind": "submitted", "author": "member", "staff": null, "body": null,
        "attachments": ["0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b5a"], "assigned_to": null, "escalated_to": null, "amount_fen": null, "score": null}]}))]
pub struct CaseView {
    pub id: String,
    /// What the member quotes on the phone.
    pub number: String,
    pub kind: String,
    pub kind_name: String,
    pub category: ServiceCategory,
    pub state: CaseStateDto,
    /// The member's union when they asked.
    pub union_code: String,
    pub union_name: String,
    /// The union whose queue it waits in: the member's, or above once escalated.
    pub queue: String,
    pub assignee: Option<String>,
    /// The member's account (staff only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_id: Option<String>,
    pub submitted_at: DateTime<Utc>,
    /// When the running time limit ends; `null` while the clock is stopped (returned) or the case is done.
    pub due_at: Option<DateTime<Utc>>,
    pub overdue: bool,
    /// How many times it climbed the tree for running past a limit.
    pub escalations: u32,
    /// Ran past a limit at some point.
    pub late: bool,
    /// What the approval pays, fen.
    pub amount_fen: Option<i64>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The member's follow-up score, 1–5.
    pub score: Option<u8>,
    /// The form's answers, by field key (the whole case only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub answers: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<CaseAttachment>>,
    /// Oldest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<CaseEvent>>,
    /// What the approval pays out of the union fund, and whether it was paid (the whole case only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payout: Option<CasePayout>,
}

/// An approved case's payment.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b77", "amount_fen": 300000, "state": "due", "paid_at": null}))]
pub struct CasePayout {
    pub id: String,
    pub amount_fen: i64,
    /// `due` or `paid`.
    pub state: &'static str,
    pub paid_at: Option<DateTime<Utc>>,
}

/// Whose eyes a case is rendered for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    Member,
    Staff,
}

fn event_view(e: &Event, audience: Audience) -> CaseEvent {
    let (author, staff) = match &e.author {
        Author::Member => ("member", None),
        Author::Staff(name) => ("staff", (audience == Audience::Staff).then(|| name.clone())),
        Author::System => ("system", None),
    };
    CaseEvent {
        at: e.at,
        kind: e.kind.as_str(),
        author,
        staff,
        body: e.body.clone(),
        attachments: e.attachments.iter().map(ToString::to_string).collect(),
        assigned_to: match &e.kind {
            EventKind::Assigned { to } if audience == Audience::Staff => Some(to.clone()),
            _ => None,
        },
        escalated_to: match &e.kind {
            EventKind::Escalated { to } => Some(to.to_string()),
            _ => None,
        },
        amount_fen: match &e.kind {
            EventKind::Approved { amount } => amount.map(Fen::get),
            _ => None,
        },
        score: match &e.kind {
            EventKind::Rated { score } => Some(*score),
            _ => None,
        },
    }
}

fn attachment_view(case: &Case, a: &Attachment, audience: Audience) -> CaseAttachment {
    let href = match audience {
        Audience::Member => format!("/v1/me/cases/{}/attachments/{}", case.id, a.id),
        Audience::Staff => format!("/v1/admin/service-cases/{}/attachments/{}", case.id, a.id),
    };
    CaseAttachment {
        id: a.id.to_string(),
        slot: a.slot.to_string(),
        file_name: a.file_name.clone(),
        file_type: a.file_type.into(),
        bytes: a.bytes,
        sha256: a.sha256.clone(),
        at: a.at,
        href,
    }
}

impl CaseView {
    /// `full`: answers, files and events too.
    pub fn of(c: Case, audience: Audience, now: DateTime<Utc>, full: bool) -> Self {
        let answers = full.then(|| c.answers.to_json());
        let attachments = full.then(|| c.attachments.iter().map(|a| attachment_view(&c, a, audience)).collect());
        let events = full.then(|| c.events.iter().map(|e| event_view(e, audience)).collect());
        let payout = c.payout.as_ref().map(|p| CasePayout {
            id: p.id.to_string(),
            amount_fen: p.amount.get(),
            state: p.state.as_str(),
            paid_at: p.paid_at,
        });
        CaseView {
            id: c.id.to_string(),
            overdue: c.overdue(now),
            number: c.number,
            kind: c.kind.to_string(),
            kind_name: c.kind_name,
            category: c.category.into(),
            state: c.state.into(),
            union_code: c.union.to_string(),
            union_name: c.union_name,
            queue: c.queue.to_string(),
            assignee: c.assignee,
            member_id: (audience == Audience::Staff).then(|| c.member.to_string()),
            submitted_at: c.submitted_at,
            due_at: c.due_at,
            escalations: c.escalations,
            late: c.late,
            amount_fen: c.amount.map(Fen::get),
            resolved_at: c.resolved_at,
            closed_at: c.closed_at,
            score: c.score,
            answers,
            attachments,
            events,
            payout,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b11", "number": "FW2026-000042", "kind": "legal-aid",
    "kind_name": "法律援助", "category": "consultation", "state": "submitted", "union_code": "SZ-SIP-WT-J01", "union_name": "唯亭街道联合工会",
    "queue": "SZ-SIP-WT-J01", "assignee": null, "submitted_at": "2026-12-07T02:00:00Z", "due_at": "2026-12-08T16:00:00Z",
    "overdue": false, "escalations": 0, "late": false, "amount_fen": null, "resolved_at": null, "closed_at": null}]}))]
pub struct CaseList {
    pub items: Vec<CaseView>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b11", "number": "FW2026-000042", "kind": "legal-aid",
    "kind_name": "法律援助", "category": "consultation", "state": "submitted", "union_code": "SZ-SIP-WT-J01", "union_name": "唯亭街道联合工会",
    "queue": "SZ-SIP-WT-J01", "assignee": null, "member_id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b00", "submitted_at": "2026-12-07T02:00:00Z",
    "due_at": "2026-12-08T16:00:00Z", "overdue": false, "escalations": 0, "late": false, "amount_fen": null, "resolved_at": null,
    "closed_at": null}], "next_cursor": null}))]
pub struct CasePage {
    pub items: Vec<CaseView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    /// Only cases in this state; without it, the open ones (submitted, returned, accepted, reopened).
    pub state: Option<CaseStateDto>,
    /// Only cases of this kind.
    pub kind: Option<String>,
    /// Only cases waiting in this union's queue.
    pub queue: Option<String>,
    /// Only cases given to this member of staff (`me`: the caller).
    pub assignee: Option<String>,
    /// `true`: only cases past their time limit.
    #[serde(default)]
    pub overdue: bool,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A step a caseworker takes on a case.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "step", rename_all = "snake_case", deny_unknown_fields)]
#[schema(example = json!({"step": "approve", "amount_fen": 300000, "note": "符合大病补助条件，核准补助 3000 元"}))]
pub enum CaseStep {
    /// 受理: the one accepting takes the case if nobody has it.
    Accept,
    /// Sends it back for missing material; the clock stops until the member answers.
    Return {
        missing: String,
    },
    /// Gives it to a caseworker (or operator) whose part of the tree holds the case's union.
    Assign {
        caseworker: String,
    },
    /// A consultation's or complaint's written answer.
    Answer {
        body: String,
    },
    /// An application approved; `amount_fen` for a kind that pays, up to its most.
    Approve {
        #[serde(default)]
        amount_fen: Option<i64>,
        #[serde(default)]
        note: Option<String>,
    },
    Refuse {
        reason: String,
    },
    Close {
        #[serde(default)]
        note: Option<String>,
    },
}

impl CaseStep {
    pub fn parse(self) -> Result<Step, ApiError> {
        let text = |field: &str, raw: &str| domain::services::service::text(field, raw).map_err(ApiError::from);
        Ok(match self {
            CaseStep::Accept => Step::Accept,
            CaseStep::Return { missing } => Step::Return { missing: text("missing", &missing)? },
            CaseStep::Assign { caseworker } => Step::Assign { to: caseworker.trim().to_owned() },
            CaseStep::Answer { body } => Step::Answer { body: text("body", &body)? },
            CaseStep::Approve { amount_fen, note } => Step::Approve {
                amount: amount_fen
                    .map(|a| Fen::payment(a).map_err(|e| invalid("amount_fen".into(), "金额无效", e.to_string())))
                    .transpose()?,
                note: note.as_deref().map(|n| text("note", n)).transpose()?,
            },
            CaseStep::Refuse { reason } => Step::Refuse { reason: text("reason", &reason)? },
            CaseStep::Close { note } => Step::Close { note: note.as_deref().map(|n| text("note", n)).transpose()? },
        })
    }
}

/// A message in a case's thread, or a note among staff.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"body": "您好，请问住院期间是否有商业保险报销？"}))]
pub struct CaseMessage {
    /// 1–2000 characters.
    pub body: String,
}

/// A staff member's read of a case or one of its files.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"case": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b11", "number": "FW2026-000042", "staff": "cw.wang",
    "at": "2026-12-07T03:00:00Z", "what": "case"}))]
pub struct CaseRead {
    pub case: String,
    pub number: String,
    pub staff: String,
    pub at: DateTime<Utc>,
    /// `case`, or the id of the attachment read.
    pub what: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"case": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b11", "number": "FW2026-000042", "staff": "cw.wang",
    "at": "2026-12-07T03:00:00Z", "what": "case"}], "next_cursor": null}))]
pub struct CaseReadPage {
    pub items: Vec<CaseRead>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CaseReadQuery {
    /// Only reads of this case.
    pub case: Option<String>,
    /// 1–100, default 20.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

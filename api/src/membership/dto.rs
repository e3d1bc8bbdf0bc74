//! What the membership endpoints take and answer.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;
use domain::members::{IdNumber, PersonName, RealName};
use domain::membership::model::{
    Application, ApplicationKind, ApplicationState, Decision, Employment, Request, Spell, Text,
};

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum KindDto {
    /// 入会: someone not on the roster joins a grassroots or joint union.
    Join,
    /// 会员关系接转: an active member moves to another grassroots or joint union.
    Transfer,
    /// 退会: an active member's membership ends.
    Leave,
}

impl From<KindDto> for ApplicationKind {
    fn from(k: KindDto) -> Self {
        match k {
            KindDto::Join => ApplicationKind::Join,
            KindDto::Transfer => ApplicationKind::Transfer,
            KindDto::Leave => ApplicationKind::Leave,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum StateDto {
    Open,
    Approved,
    Refused,
    Withdrawn,
}

impl From<StateDto> for ApplicationState {
    fn from(s: StateDto) -> Self {
        match s {
            StateDto::Open => ApplicationState::Open,
            StateDto::Approved => ApplicationState::Approved,
            StateDto::Refused => ApplicationState::Refused,
            StateDto::Withdrawn => ApplicationState::Withdrawn,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"kind": "join", "union_code": "SZ-SIP-WT-J01", "employer": "苏州某某科技有限公司",
    "position": "装配工", "started_on": "2026-03-01", "consent": true, "name": "李职工", "id_number": "11010519491231002X"}))]
pub struct ApplyRequest {
    pub kind: KindDto,
    /// For `join` and `transfer`: the grassroots or joint union (find it with `GET /v1/unions`).
    pub union_code: Option<String>,
    /// For `join` and `transfer`: the employer, 1–100 characters.
    pub employer: Option<String>,
    /// For `join` and `transfer`: the position held, 1–50 characters.
    pub position: Option<String>,
    /// For `join` and `transfer`: when the member started working there; not in the future.
    pub started_on: Option<NaiveDate>,
    /// For `join`: `true`, accepting the union's constitution and the use of the data given to decide the application.
    pub consent: Option<bool>,
    /// For `join` from an account without a real name bound: the applicant's name as on the 居民身份证. Bound to the
    /// account when the application is approved; counts with real-name binding's 5 attempts a day.
    pub name: Option<String>,
    /// With `name`: the 18-character 居民身份证 number (checked like real-name binding's).
    pub id_number: Option<String>,
    /// For `leave`: why, up to 200 characters (optional).
    pub reason: Option<String>,
}

fn missing(field: &'static str) -> ApiError {
    ApiError::validation(field, "缺少必填项", format!("{field} is required for this kind of application"))
}

fn text(field: &'static str, raw: Option<&str>, max: usize) -> Result<Text, ApiError> {
    Text::parse(raw.ok_or_else(|| missing(field))?, max).ok_or_else(|| {
        ApiError::validation(field, "内容须为 1 至规定字数的可见字符", format!("{field}: 1-{max} visible characters"))
    })
}

impl ApplyRequest {
    pub fn parse(self, today: NaiveDate) -> Result<Request, ApiError> {
        let kind = ApplicationKind::from(self.kind);
        if kind == ApplicationKind::Leave {
            let reason = self.reason.as_deref().filter(|r| !r.trim().is_empty());
            return Ok(Request::Leave { reason: reason.map(|r| text("reason", Some(r), 200)).transpose()? });
        }
        let union =
            crate::unions::code("union_code", self.union_code.as_deref().ok_or_else(|| missing("union_code"))?)?;
        let started_on = self.started_on.ok_or_else(|| missing("started_on"))?;
        if started_on > today {
            return Err(ApiError::validation(
                "started_on",
                "入职日期不能晚于今天",
                "started_on is in the future".into(),
            ));
        }
        let employment = Employment {
            employer: text("employer", self.employer.as_deref(), 100)?,
            position: text("position", self.position.as_deref(), 50)?,
            started_on,
        };
        if kind == ApplicationKind::Join {
            if self.consent != Some(true) {
                return Err(ApiError::validation(
                    "consent",
                    "入会须同意工会章程及个人信息用于审核",
                    "joining needs consent: true".into(),
                ));
            }
            let identity = match (self.name.as_deref(), self.id_number.as_deref()) {
                (None, None) => None,
                (Some(name), Some(id)) => Some(RealName {
                    name: PersonName::parse(name)
                        .map_err(|e| ApiError::validation("name", "姓名格式不正确", e.to_string()))?,
                    id_number: IdNumber::parse(id, today).map_err(|e| {
                        ApiError::validation("id_number", "身份证号码不正确", e.to_string())
                            .with("reason", format!("{e:?}").to_lowercase())
                    })?,
                }),
                (None, Some(_)) => return Err(missing("name")),
                (Some(_), None) => return Err(missing("id_number")),
            };
            return Ok(Request::Join { union, employment, identity });
        }
        Ok(Request::Transfer { union, employment })
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CommentView {
    /// The member of staff who wrote it.
    pub author: String,
    /// Their union.
    pub union_code: Option<String>,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// The applicant as staff see them, masked like everywhere.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicantView {
    pub member_id: String,
    /// `张*`; `null` once the account is erased.
    pub name: Option<String>,
    /// `3205**********123X`.
    pub id_number: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"id": "01938a6e-8f3c-7cc2-9a4b-2f1e0c7d5b11", "kind": "join", "kind_zh": "入会", "state": "open",
    "union_code": "SZ-SIP-WT-J01", "union_name": "娄葑街道联合工会", "from_union_code": null,
    "employer": "苏州某某科技有限公司", "position": "装配工", "started_on": "2026-03-01", "reason": null,
    "queue_code": "SZ-SIP-WT-J01", "overdue": false, "escalations": 0, "submitted_at": "2026-12-07T02:00:00Z",
    "due_at": "2026-12-13T16:00:00Z", "decided_at": null, "decided_by": null, "decision_note": null, "decided_late": null,
    "member_no": null, "applicant": {"member_id": "01938a6e-0000-7000-8000-000000000001", "name": "张*",
    "id_number": "3205**********123X"}, "comments": []}))]
pub struct MembershipApplication {
    pub id: String,
    pub kind: &'static str,
    pub kind_zh: &'static str,
    /// `open`, `approved`, `refused` or `withdrawn`.
    pub state: &'static str,
    /// The union joined, transferred to, or left.
    pub union_code: String,
    pub union_name: String,
    /// A transfer's sending union.
    pub from_union_code: Option<String>,
    pub employer: Option<String>,
    pub position: Option<String>,
    pub started_on: Option<NaiveDate>,
    /// Why the member leaves, if they said.
    pub reason: Option<String>,
    /// The union whose queue it waits in: its own union, or one above once escalated past its time limit.
    pub queue_code: String,
    /// Past its time limit (still open), or escalated for that.
    pub overdue: bool,
    /// How many times it moved up the tree.
    pub escalations: u32,
    pub submitted_at: DateTime<Utc>,
    /// When the current time limit runs out: midnight (Beijing time) ending its last working day.
    pub due_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The member of staff who decided it (staff views only).
    pub decided_by: Option<String>,
    /// The reason for a refusal, or a note with an approval.
    pub decision_note: Option<String>,
    /// Decided after its first time limit ran out.
    pub decided_late: Option<bool>,
    /// The member number an approved join was given.
    pub member_no: Option<String>,
    /// Staff views only.
    pub applicant: Option<ApplicantView>,
    /// Remarks between unions (staff views only).
    pub comments: Vec<CommentView>,
}

impl MembershipApplication {
    /// As staff see it.
    pub fn staff(a: Application, now: DateTime<Utc>) -> Self {
        let applicant = ApplicantView {
            member_id: a.applicant.member_id.to_string(),
            name: a.applicant.real_name.as_ref().map(|r| r.name.masked()),
            id_number: a.applicant.real_name.as_ref().map(|r| r.id_number.masked()),
        };
        let comments = a
            .comments
            .iter()
            .map(|c| CommentView {
                author: c.author.clone(),
                union_code: c.union.as_ref().map(ToString::to_string),
                text: c.body.as_str().to_owned(),
                at: c.at,
            })
            .collect();
        let decided_by = a.decided_by.clone();
        let mut view = Self::member(a, now);
        view.decided_by = decided_by;
        view.applicant = Some(applicant);
        view.comments = comments;
        view
    }

    /// As the member sees it: without staff names and remarks.
    pub fn member(a: Application, now: DateTime<Utc>) -> Self {
        let overdue = a.overdue(now);
        let text = |t: Option<Text>| t.map(|t| t.as_str().to_owned());
        Self {
            id: a.id.to_string(),
            kind: a.kind.as_str(),
            kind_zh: a.kind.zh(),
            state: a.state.as_str(),
            union_code: a.union.to_string(),
            union_name: a.union_name,
            from_union_code: a.from_union.map(|c| c.to_string()),
            employer: a.employment.as_ref().map(|e| e.employer.as_str().to_owned()),
            position: a.employment.as_ref().map(|e| e.position.as_str().to_owned()),
            started_on: a.employment.as_ref().map(|e| e.started_on),
            reason: text(a.reason),
            queue_code: a.queue.to_string(),
            overdue,
            escalations: a.escalations,
            submitted_at: a.submitted_at,
            due_at: a.due_at,
            decided_at: a.decided_at,
            decided_by: None,
            decision_note: text(a.decision_note),
            decided_late: a.decided_late,
            member_no: a.member_no,
            applicant: None,
            comments: Vec::new(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": "01938a6e-8f3c-7cc2-9a4b-2f1e0c7d5b11", "kind": "join", "kind_zh": "入会",
    "state": "approved", "union_code": "SZ-SIP-WT-J01", "union_name": "娄葑街道联合工会", "from_union_code": null,
    "employer": "苏州某某科技有限公司", "position": "装配工", "started_on": "2026-03-01", "reason": null,
    "queue_code": "SZ-SIP-WT-J01", "overdue": false, "escalations": 0, "submitted_at": "2026-12-07T02:00:00Z",
    "due_at": "2026-12-13T16:00:00Z", "decided_at": "2026-12-08T03:00:00Z", "decided_by": null, "decision_note": null,
    "decided_late": false, "member_no": "SZ-SIP-WT-000042", "applicant": null, "comments": []}]}))]
pub struct MembershipApplicationList {
    pub items: Vec<MembershipApplication>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"id": "01938a6e-8f3c-7cc2-9a4b-2f1e0c7d5b11", "kind": "transfer", "kind_zh": "会员关系接转",
    "state": "open", "union_code": "SZ-SIP-XT-G01", "union_name": "某医院工会", "from_union_code": "SZ-SIP-WT-G01",
    "employer": "苏州某某医院", "position": "护士", "started_on": "2026-11-01", "reason": null, "queue_code": "SZ-SIP-XT",
    "overdue": true, "escalations": 1, "submitted_at": "2026-12-01T02:00:00Z", "due_at": "2026-12-15T16:00:00Z",
    "decided_at": null, "decided_by": null, "decision_note": null, "decided_late": null, "member_no": null,
    "applicant": {"member_id": "01938a6e-0000-7000-8000-000000000001", "name": "王**", "id_number": "3205**********123X"},
    "comments": [{"author": "g01.chair", "union_code": "SZ-SIP-WT-G01", "text": "会费已缴清，同意转出",
    "at": "2026-12-02T01:00:00Z"}]}], "next_cursor": null}))]
pub struct MembershipApplicationPage {
    pub items: Vec<MembershipApplication>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ApplicationQuery {
    pub state: Option<StateDto>,
    pub kind: Option<KindDto>,
    /// Only those waiting in this union's queue (escalated ones wait above their union).
    #[param(example = "SZ-SIP-WT")]
    pub queue: Option<String>,
    /// Only those past their time limit, or escalated for that.
    #[serde(default)]
    pub overdue: bool,
    /// 1–100, default 20.
    #[param(example = 20, minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Approve,
    Refuse,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"decision": "refuse", "note": "所填单位不在本联合工会覆盖范围内，请向所在单位工会申请"}))]
pub struct DecisionRequest {
    pub decision: Verdict,
    /// Required to refuse (the reason the member is told), optional to approve; 1–200 characters.
    pub note: Option<String>,
}

impl DecisionRequest {
    pub fn parse(self) -> Result<Decision, ApiError> {
        let note = self.note.as_deref().filter(|n| !n.trim().is_empty());
        match self.decision {
            Verdict::Approve => Ok(Decision::Approve { note: note.map(|n| text("note", Some(n), 200)).transpose()? }),
            Verdict::Refuse => Ok(Decision::Refuse { reason: text("note", note, 200)? }),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"text": "该会员本年度会费已缴清，同意转出"}))]
pub struct CommentRequest {
    /// 1–500 characters.
    pub text: String,
}

impl CommentRequest {
    pub fn parse(self) -> Result<Text, ApiError> {
        text("text", Some(&self.text), 500)
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"union_code": "SZ-SIP-WT-J01", "union_name": "娄葑街道联合工会", "member_no": "SZ-SIP-WT-000042",
    "from": "2026-03-02T01:00:00Z", "began": "joined", "until": null, "ended": null}))]
pub struct SpellView {
    pub union_code: String,
    pub union_name: String,
    pub member_no: String,
    pub from: DateTime<Utc>,
    /// `roster` (on the roster as imported), `joined`, `transferred` or `moved`.
    pub began: &'static str,
    /// `null` while it lasts.
    pub until: Option<DateTime<Utc>>,
    /// `transferred`, `left` or `moved`.
    pub ended: Option<&'static str>,
}

impl From<Spell> for SpellView {
    fn from(s: Spell) -> Self {
        Self {
            union_code: s.union.to_string(),
            union_name: s.union_name,
            member_no: s.member_no,
            from: s.from,
            began: s.began.as_str(),
            until: s.until,
            ended: s.ended.map(|e| e.as_str()),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"union_code": "SZ-SIP-WT-G01", "union_name": "某科技公司工会", "member_no": "M000123",
    "from": "2025-05-01T00:00:00Z", "began": "roster", "until": "2026-12-08T03:00:00Z", "ended": "transferred"},
    {"union_code": "SZ-SIP-XT-G01", "union_name": "某医院工会", "member_no": "M000123", "from": "2026-12-08T03:00:00Z",
    "began": "transferred", "until": null, "ended": null}]}))]
pub struct MembershipHistory {
    /// Oldest first.
    pub items: Vec<SpellView>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"holidays": ["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04", "2026-10-05",
    "2026-10-06", "2026-10-07"], "workdays": ["2026-09-27", "2026-10-10"]}))]
pub struct CalendarBody {
    /// Public holidays (法定节假日) of the year, weekdays or not.
    pub holidays: Vec<NaiveDate>,
    /// Saturdays and Sundays worked instead (调休上班).
    pub workdays: Vec<NaiveDate>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"join": 5, "transfer": 5, "leave": 10}))]
pub struct LimitsBody {
    /// Working days a join may wait for a decision, 1–60.
    pub join: u32,
    pub transfer: u32,
    pub leave: u32,
}

//! What the service-window endpoints take and answer.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;
use domain::services::form::{AttachmentSpec, FieldKey, FieldSpec, FieldType, FileType, Form};
use domain::services::model::{
    Attachment, Author, Case, CaseState, Category, Eligibility, Event, EventKind, Kind, KindCode, Money, OncePer,
    TimeLimits,
};
use domain::services::rules::Step;
use domain::shared::money::Fen;

macro_rules! mirror {
    ($(#[$doc:meta])* $dto:ident => $domain:ty { $($(#[$vdoc:meta])* $v:ident => $dv:path),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
        #[serde(rename_all = "snake_case")]
        pub enum $dto { $($(#[$vdoc])* $v),+ }

        impl From<$dto> for $domain {
            fn from(d: $dto) -> Self {
                match d { $($dto::$v => $dv),+ }
            }
        }

        impl From<$domain> for $dto {
            fn from(d: $domain) -> Self {
                match d { $($dv => $dto::$v),+ }
            }
        }
    };
}

mirror!(ServiceCategory => Category {
    /// A question answered in writing: 法律援助, 就业服务.
    Consultation => Category::Consultation,
    /// A request decided, possibly with money: 困难帮扶, 大病补助, 金秋助学.
    Application => Category::Application,
    /// A complaint answered: about a merchant, a campaign, a union office.
    Complaint => Category::Complaint,
});

mirror!(CaseFileType => FileType {
    Pdf => FileType::Pdf,
    Jpeg => FileType::Jpeg,
    Png => FileType::Png,
});

mirror!(
    /// Where a case is: `submitted` (waiting to be accepted, 受理), `returned` (sent back for missing material; the
    /// clock stops until the member answers), `accepted` (waiting for the answer or decision), `answered`,
    /// `approved`, `refused`, `closed`, `withdrawn`, `reopened` (by a poor follow-up score, for a supervisor).
    CaseStateDto => CaseState {
    Submitted => CaseState::Submitted,
    Returned => CaseState::Returned,
    Accepted => CaseState::Accepted,
    Answered => CaseState::Answered,
    Approved => CaseState::Approved,
    Refused => CaseState::Refused,
    Closed => CaseState::Closed,
    Withdrawn => CaseState::Withdrawn,
    Reopened => CaseState::Reopened,
});

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FormFieldType {
    /// Free text, at most `max_chars` characters.
    Text,
    /// A whole number in `[min, max]`.
    Number,
    /// Money in fen, `[min, max]`.
    Fen,
    /// A date (`YYYY-MM-DD`) in `[earliest, latest]` where given.
    Date,
    /// One of `options`.
    Choice,
    /// A 居民身份证 number (a family member's).
    IdNumber,
}

/// One field of a kind's form.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"key": "self_paid_fen", "label": "个人自付医疗费用（分）", "required": true, "type": "fen", "min": 1, "max": 100000000}))]
pub struct FormField {
    /// `[a-z][a-z0-9_]{0,31}`: the answer's name in `answers`.
    pub key: String,
    /// What the member is asked, 1–60 characters.
    pub label: String,
    #[serde(default)]
    pub required: bool,
    #[serde(rename = "type")]
    pub ty: FormFieldType,
    /// `text`: 1–5000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_chars: Option<u32>,
    /// `number` and `fen`: the least value, 0 or more.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    /// `number` and `fen`: the greatest value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    /// `date`: the earliest date taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earliest: Option<NaiveDate>,
    /// `date`: the latest date taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<NaiveDate>,
    /// `choice`: 1–50 distinct options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
}

/// An attachment slot of a kind's form: the file part's name is its `key`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"key": "diagnosis", "label": "诊断证明", "required": true, "max_files": 3, "max_bytes": 5242880, "types": ["pdf", "jpeg", "png"]}))]
pub struct AttachmentSlot {
    pub key: String,
    pub label: String,
    #[serde(default)]
    pub required: bool,
    /// 1–10 files.
    pub max_files: u32,
    /// Each file at most this many bytes, up to 10 MiB.
    pub max_bytes: u64,
    /// What the files may be, judged by their bytes.
    pub types: Vec<CaseFileType>,
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"member": true, "cardholder": false, "min_months": 6}))]
pub struct KindEligibility {
    /// Only active members on the union's roster (real name matched).
    #[serde(default)]
    pub member: bool,
    /// Only holders of an active 会员服务卡.
    #[serde(default)]
    pub cardholder: bool,
    /// Only members for at least this many months (0–600).
    #[serde(default)]
    pub min_months: u32,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PayoutOnce {
    Unlimited,
    /// Once per person per calendar year (大病补助).
    PersonYear,
    /// Once per child per school year, by the child's 身份证 in `child_field` (金秋助学).
    ChildSchoolYear,
}

/// What an application of the kind may pay out of the union fund.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"max_amount_fen": 500000, "once": "person_year"}))]
pub struct KindMoney {
    /// The most one approval pays, fen.
    pub max_amount_fen: i64,
    pub once: PayoutOnce,
    /// For `child_school_year`: the `id_number` field holding the child's 身份证.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub child_field: Option<String>,
}

/// A kind of case, as staff configure it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "code": "illness-subsidy", "category": "application", "name": "大病补助",
    "description": "会员本人患重大疾病，个人自付医疗费用较高的，可申请一次性补助。",
    "fields": [{"key": "diagnosis", "label": "所患疾病", "required": true, "type": "text", "max_chars": 200},
               {"key": "self_paid_fen", "label": "个人自付医疗费用（分）", "required": true, "type": "fen", "min": 1, "max": 100000000}],
    "attachments": [{"key": "diagnosis_proof", "label": "诊断证明", "required": true, "max_files": 3, "max_bytes": 5242880, "types": ["pdf", "jpeg", "png"]}],
    "eligibility": {"member": true, "cardholder": false, "min_months": 6},
    "accept_days": 2, "answer_days": 10,
    "money": {"max_amount_fen": 500000, "once": "person_year"},
    "active": true}))]
pub struct ServiceKind {
    /// `[a-z][a-z0-9-]{1,39}`; fixed once created.
    pub code: String,
    /// Fixed once created.
    pub category: ServiceCategory,
    /// 1–40 characters.
    pub name: String,
    /// What it is for and who may ask, up to 2000 characters.
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub fields: Vec<FormField>,
    #[serde(default)]
    pub attachments: Vec<AttachmentSlot>,
    #[serde(default)]
    pub eligibility: KindEligibility,
    /// Working days from submission to acceptance (受理), 1–60.
    pub accept_days: u32,
    /// Working days from acceptance to the answer or decision, 1–60.
    pub answer_days: u32,
    /// Applications only: what one approval may pay.
    #[serde(default)]
    pub money: Option<KindMoney>,
    /// `false`: takes no new cases (open ones run on). Default `true`.
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

fn invalid(field: String, zh: &str, en: impl Into<String>) -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY,
        "validation.invalid_field",
        zh.to_owned(),
        "A field is invalid",
    )
    .detail(en.into())
    .with("field", field)
}

fn key(at: &str, raw: &str) -> Result<FieldKey, ApiError> {
    FieldKey::parse(raw).ok_or_else(|| {
        invalid(format!("{at}.key"), "名称须为小写字母开头的字母、数字或下划线，至多 32 个", "[a-z][a-z0-9_]{0,31}")
    })
}

impl FormField {
    fn parse(self, at: &str) -> Result<FieldSpec, ApiError> {
        let need = |v: Option<i64>, what: &str| {
            v.ok_or_else(|| {
                invalid(format!("{at}.{what}"), "缺少取值范围", format!("{what} is required for this type"))
            })
        };
        let ty = match self.ty {
            FormFieldType::Text => FieldType::Text {
                max_chars: self.max_chars.ok_or_else(|| {
                    invalid(format!("{at}.max_chars"), "缺少长度上限", "max_chars is required for text")
                })?,
            },
            FormFieldType::Number => FieldType::Number { min: need(self.min, "min")?, max: need(self.max, "max")? },
            FormFieldType::Fen => FieldType::Fen { min: need(self.min, "min")?, max: need(self.max, "max")? },
            FormFieldType::Date => FieldType::Date { min: self.earliest, max: self.latest },
            FormFieldType::Choice => FieldType::Choice {
                options: self
                    .options
                    .ok_or_else(|| invalid(format!("{at}.options"), "缺少选项", "options is required for choice"))?,
            },
            FormFieldType::IdNumber => FieldType::IdNumber,
        };
        Ok(FieldSpec { key: key(at, &self.key)?, label: self.label, required: self.required, ty })
    }

    fn of(f: &FieldSpec) -> Self {
        let mut dto = FormField {
            key: f.key.to_string(),
            label: f.label.clone(),
            required: f.required,
            ty: FormFieldType::Text,
            max_chars: None,
            min: None,
            max: None,
            earliest: None,
            latest: None,
            options: None,
        };
        match &f.ty {
            FieldType::Text { max_chars } => dto.max_chars = Some(*max_chars),
            FieldType::Number { min, max } => {
                (dto.ty, dto.min, dto.max) = (FormFieldType::Number, Some(*min), Some(*max))
            }
            FieldType::Fen { min, max } => (dto.ty, dto.min, dto.max) = (FormFieldType::Fen, Some(*min), Some(*max)),
            FieldType::Date { min, max } => (dto.ty, dto.earliest, dto.latest) = (FormFieldType::Date, *min, *max),
            FieldType::Choice { options } => (dto.ty, dto.options) = (FormFieldType::Choice, Some(options.clone())),
            FieldType::IdNumber => dto.ty = FormFieldType::IdNumber,
        }
        dto
    }
}

impl ServiceKind {
    pub fn parse(self) -> Result<Kind, ApiError> {
        let code = KindCode::parse(&self.code).ok_or_else(|| {
            invalid("code".into(), "代码须为小写字母开头的字母、数字或连字符，2–40 个", "[a-z][a-z0-9-]{1,39}")
        })?;
        let name = domain::shared::text::visible(&self.name, 40)
            .ok_or_else(|| invalid("name".into(), "名称须为 1–40 个可见字符", "name is 1-40 visible characters"))?;
        let description = if self.description.trim().is_empty() {
            String::new()
        } else {
            domain::shared::text::visible(&self.description, 2_000).ok_or_else(|| {
                invalid("description".into(), "说明至多 2000 个字符", "description is at most 2000 characters")
            })?
        };
        let fields = self
            .fields
            .into_iter()
            .enumerate()
            .map(|(i, f)| f.parse(&format!("fields[{i}]")))
            .collect::<Result<_, _>>()?;
        let attachments = self
            .attachments
            .into_iter()
            .enumerate()
            .map(|(i, a)| {
                Ok(AttachmentSpec {
                    key: key(&format!("attachments[{i}]"), &a.key)?,
                    label: a.label,
                    required: a.required,
                    max_files: a.max_files,
                    max_bytes: a.max_bytes,
                    types: a.types.into_iter().map(Into::into).collect(),
                })
            })
            .collect::<Result<_, ApiError>>()?;
        let form = Form::parse(fields, attachments).map_err(|p| invalid(p.field, "表单配置无效", p.en))?;
        let limits = TimeLimits::parse(self.accept_days, self.answer_days).ok_or_else(|| {
            invalid("accept_days".into(), "时限须为 1–60 个工作日", "accept_days and answer_days are 1-60")
        })?;
        if self.eligibility.min_months > 600 {
            return Err(invalid("eligibility.min_months".into(), "入会月数须为 0–600", "min_months is 0-600"));
        }
        let category: Category = self.category.into();
        let money = match (self.money, category) {
            (None, _) => None,
            (Some(_), Category::Consultation | Category::Complaint) => {
                return Err(invalid("money".into(), "只有申请类事项可发放款项", "only applications pay"));
            }
            (Some(m), Category::Application) => {
                let max_amount = Fen::payment(m.max_amount_fen)
                    .map_err(|e| invalid("money.max_amount_fen".into(), "金额上限无效", e.to_string()))?;
                let once = match m.once {
                    PayoutOnce::Unlimited => OncePer::Unlimited,
                    PayoutOnce::PersonYear => OncePer::PersonYear,
                    PayoutOnce::ChildSchoolYear => {
                        let field = m
                            .child_field
                            .as_deref()
                            .and_then(|f| form.field(f))
                            .filter(|f| f.ty == FieldType::IdNumber);
                        let field = field.ok_or_else(|| {
                            invalid(
                                "money.child_field".into(),
                                "须指定表单中的身份证号码项",
                                "child_field names an id_number field of the form",
                            )
                        })?;
                        OncePer::ChildSchoolYear { field: field.key.clone() }
                    }
                };
                Some(Money { max_amount, once })
            }
        };
        Ok(Kind {
            code,
            category,
            name,
            description,
            form,
            eligibility: Eligibility {
                member: self.eligibility.member,
                cardholder: self.eligibility.cardholder,
                min_months: self.eligibility.min_months,
            },
            limits,
            money,
            active: self.active,
        })
    }

    pub fn of(k: &Kind) -> Self {
        ServiceKind {
            code: k.code.to_string(),
            category: k.category.into(),
            name: k.name.clone(),
            description: k.description.clone(),
            fields: k.form.fields().iter().map(FormField::of).collect(),
            attachments: k
                .form
                .attachments()
                .iter()
                .map(|a| AttachmentSlot {
                    key: a.key.to_string(),
                    label: a.label.clone(),
                    required: a.required,
                    max_files: a.max_files,
                    max_bytes: a.max_bytes,
                    types: a.types.iter().map(|t| (*t).into()).collect(),
                })
                .collect(),
            eligibility: KindEligibility {
                member: k.eligibility.member,
                cardholder: k.eligibility.cardholder,
                min_months: k.eligibility.min_months,
            },
            accept_days: k.limits.accept_days,
            answer_days: k.limits.answer_days,
            money: k.money.as_ref().map(|m| KindMoney {
                max_amount_fen: m.max_amount.get(),
                once: match m.once {
                    OncePer::Unlimited => PayoutOnce::Unlimited,
                    OncePer::PersonYear => PayoutOnce::PersonYear,
                    OncePer::ChildSchoolYear { .. } => PayoutOnce::ChildSchoolYear,
                },
                child_field: match &m.once {
                    OncePer::ChildSchoolYear { field } => Some(field.to_string()),
                    _ => None,
                },
            }),
            active: k.active,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"code": "legal-aid", "category": "consultation", "name": "法律援助", "description": "劳动争议等法律问题咨询",
    "fields": [{"key": "question", "label": "您的问题", "required": true, "type": "text", "max_chars": 2000}], "attachments": [],
    "eligibility": {"member": true, "cardholder": false, "min_months": 0}, "accept_days": 1, "answer_days": 5, "active": true}]}))]
pub struct ServiceKindList {
    pub items: Vec<ServiceKind>,
}

/// A kind as a member sees it: whether they may open one now, and if not, why.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"kind": {"code": "legal-aid", "category": "consultation", "name": "法律援助", "description": "劳动争议等法律问题咨询",
    "fields": [{"key": "question", "label": "您的问题", "required": true, "type": "text", "max_chars": 2000}], "attachments": [],
    "eligibility": {"member": true, "cardholder": false, "min_months": 0}, "accept_days": 1, "answer_days": 5, "active": true},
    "eligible": false, "why_not": "case.not_member"}))]
pub struct MemberServiceKind {
    pub kind: ServiceKind,
    pub eligible: bool,
    /// The problem code a submission would get: `case.not_member`, `case.no_card` or `case.too_recent`.
    pub why_not: Option<&'static str>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"kind": {"code": "legal-aid", "category": "consultation", "name": "法律援助", "description": "",
    "fields": [], "attachments": [], "eligibility": {"member": true, "cardholder": false, "min_months": 0}, "accept_days": 1, "answer_days": 5,
    "active": true}, "eligible": true, "why_not": null}]}))]
pub struct MemberServiceKindList {
    pub items: Vec<MemberServiceKind>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ServiceKindQuery {
    /// `true`: retired kinds too.
    #[serde(default)]
    pub retired: bool,
}

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
    /// The form's answers, by field key (the whole case only).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub answers: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachments: Option<Vec<CaseAttachment>>,
    /// Oldest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<CaseEvent>>,
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
            answers,
            attachments,
            events,
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

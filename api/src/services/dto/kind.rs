//! Kinds of case as staff configure them and members see them.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::*;
use crate::error::ApiError;
use chrono::NaiveDate;
use domain::services::form::{AttachmentSpec, FieldKey, FieldSpec, FieldType, Form};
use domain::services::model::{Eligibility, Kind, KindCode, Money, OncePer, TimeLimits};
use domain::shared::money::Fen;

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

use actix_web::http::StatusCode as S;

use crate::error::ApiError;
use crate::extract::forbidden;
use domain::services::error::{FileProblem, Ineligible};
use domain::services::ServiceError;

/// The problem code an ineligible member gets (and the kind list shows as `why_not`).
pub fn ineligible_code(why: Ineligible) -> &'static str {
    match why {
        Ineligible::NotMember => "case.not_member",
        Ineligible::NoCard => "case.no_card",
        Ineligible::TooRecent { .. } => "case.too_recent",
    }
}

fn file(p: FileProblem) -> ApiError {
    let (status, code, zh, en, slot) = match p {
        FileProblem::UnknownSlot { slot } => (
            S::UNPROCESSABLE_ENTITY,
            "case.attachment_unknown_slot",
            "此类事项没有该附件类别",
            "The form has no such attachment slot",
            slot,
        ),
        FileProblem::Missing { slot } => (
            S::UNPROCESSABLE_ENTITY,
            "case.attachment_missing",
            "缺少必需的附件",
            "A required attachment is missing",
            slot,
        ),
        FileProblem::TooMany { slot, .. } => (
            S::UNPROCESSABLE_ENTITY,
            "case.attachment_too_many",
            "该类附件的文件数超出上限",
            "Too many files for this slot",
            slot,
        ),
        FileProblem::TooLarge { slot, max } => {
            return ApiError::new(
                S::PAYLOAD_TOO_LARGE,
                "case.attachment_too_large",
                "附件文件过大",
                "An attached file is too large",
            )
            .with("slot", slot)
            .with("max_bytes", max);
        }
        FileProblem::Empty { slot } => {
            (S::UNPROCESSABLE_ENTITY, "case.attachment_empty", "附件文件为空", "An attached file is empty", slot)
        }
        FileProblem::WrongType { slot } => (
            S::UNSUPPORTED_MEDIA_TYPE,
            "case.attachment_type",
            "附件的文件类型不符合要求（按文件内容判断）",
            "An attached file's content is not a type this slot takes",
            slot,
        ),
    };
    ApiError::new(status, code, zh, en).with("slot", slot)
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Forbidden => forbidden(),
            ServiceError::NotFound => ApiError::new(S::NOT_FOUND, "case.not_found", "事项不存在", "No such case"),
            ServiceError::AttachmentNotFound => {
                ApiError::new(S::NOT_FOUND, "case.attachment_not_found", "附件不存在", "No such attachment")
            }
            ServiceError::KindNotFound => {
                ApiError::new(S::NOT_FOUND, "service_kind.not_found", "服务事项类别不存在", "No such kind of case")
            }
            ServiceError::KindExists => {
                ApiError::new(S::CONFLICT, "service_kind.exists", "该代码的类别已存在", "A kind with that code exists")
            }
            ServiceError::KindRetired => {
                ApiError::new(S::CONFLICT, "service_kind.retired", "该类事项已停止受理", "This kind takes no new cases")
            }
            ServiceError::Ineligible(why) => {
                let (zh, en) = match why {
                    Ineligible::NotMember => ("此类事项仅限在会会员申请", "Only active union members may ask for this"),
                    Ineligible::NoCard => (
                        "此类事项仅限会员服务卡持卡人申请",
                        "Only holders of an active member-service card may ask for this",
                    ),
                    Ineligible::TooRecent { .. } => ("入会时间不足", "A member for too short a time to ask for this"),
                };
                let refused = ApiError::new(S::FORBIDDEN, ineligible_code(why), zh, en);
                match why {
                    Ineligible::TooRecent { months } => refused.with("min_months", months),
                    _ => refused,
                }
            }
            ServiceError::Form(problems) => {
                let first = problems.first().map(|p| p.field.clone()).unwrap_or_default();
                let errors: Vec<serde_json::Value> = problems
                    .iter()
                    .map(|p| serde_json::json!({"field": p.field, "message": p.zh, "detail": p.en}))
                    .collect();
                ApiError::new(
                    S::UNPROCESSABLE_ENTITY,
                    "case.form_invalid",
                    "表单填写有误",
                    "The form's answers are invalid",
                )
                .with("field", first)
                .with("errors", errors)
            }
            ServiceError::File(p) => file(p),
            ServiceError::Invalid { field, zh, en } => {
                ApiError::new(S::UNPROCESSABLE_ENTITY, "validation.invalid_field", zh, "A field is invalid")
                    .detail(en)
                    .with("field", field)
            }
            ServiceError::WrongState(state) => ApiError::new(
                S::CONFLICT,
                "case.wrong_state",
                "事项当前状态不能进行此操作",
                "The case's state does not allow this",
            )
            .with("state", state.as_str()),
            ServiceError::SupervisorOnly => ApiError::new(
                S::FORBIDDEN,
                "case.supervisor_only",
                "重新打开的事项由主管复核",
                "A reopened case is reviewed by a supervisor (operator or admin)",
            ),
            ServiceError::NotAssignable => ApiError::new(
                S::UNPROCESSABLE_ENTITY,
                "case.not_assignable",
                "该工作人员不能承办此事项（须为在辖区内的服务窗口人员）",
                "No caseworker of that name works on this case's union",
            )
            .with("field", "caseworker"),
            ServiceError::NoBudget => ApiError::new(
                S::CONFLICT,
                "case.no_budget",
                "本年度尚未为此类事项安排预算",
                "No union at or above the case's has a budget for this kind this year",
            ),
            ServiceError::BudgetExceeded { left } => ApiError::new(
                S::CONFLICT,
                "case.budget_exceeded",
                "本年度此类事项预算余额不足",
                "The kind's budget for the year has too little left",
            )
            .with("left_fen", left.get()),
            ServiceError::AlreadyPaid => ApiError::new(
                S::CONFLICT,
                "case.already_paid",
                "此类补助已发放过（每人每年或每名子女每学年限一次）",
                "This kind pays once a year per person (or once a school year per child): paid already",
            ),
            ServiceError::BudgetBelowSpent { spent } => ApiError::new(
                S::CONFLICT,
                "budget.below_spent",
                "预算不能低于已发放的金额",
                "A budget cannot go below what it paid",
            )
            .with("spent_fen", spent.get()),
            ServiceError::RatingClosed => ApiError::new(
                S::CONFLICT,
                "case.rating_closed",
                "办结 7 天后不能再评价",
                "A case is scored within 7 days of its closing",
            ),
            ServiceError::PayoutNotFound => {
                ApiError::new(S::NOT_FOUND, "payout.not_found", "款项不存在", "No such payout")
            }
            ServiceError::PayoutPaid => {
                ApiError::new(S::CONFLICT, "payout.paid", "该款项已标记为已发放", "The payout was paid already")
            }
            ServiceError::Union(e) => e.into(),
            ServiceError::Unknown(e) => ApiError::internal(&e),
        }
    }
}

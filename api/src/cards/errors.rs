use actix_web::http::StatusCode as S;

use crate::error::ApiError;
use domain::cards::verify::CodeRefusal;
use domain::cards::CardError;

impl From<CardError> for ApiError {
    fn from(e: CardError) -> Self {
        match e {
            CardError::NotInStanding => ApiError::new(
                S::FORBIDDEN,
                "card.not_eligible",
                "仅限已通过实名认证并在会员名册中的会员申领",
                "Only members activated on the union's roster may apply",
            ),
            CardError::AlreadyHeld => ApiError::new(
                S::CONFLICT,
                "card.already_held",
                "您已持有或已申请会员服务卡",
                "The member already holds or has applied for a card",
            ),
            CardError::NotFound => ApiError::new(S::NOT_FOUND, "card.not_found", "会员服务卡不存在", "No such card"),
            CardError::Illegal(illegal) => ApiError::new(
                S::CONFLICT,
                "card.illegal_transition",
                "会员服务卡当前状态不允许此操作",
                "The card cannot make that move in its current state",
            )
            .with("current", illegal.current.as_str()),
            CardError::NotLive(status) => ApiError::new(
                S::CONFLICT,
                "card.not_active",
                "会员服务卡未激活或已冻结、挂失、注销",
                "The card is not active",
            )
            .with("current", status.as_str()),
            CardError::Code(refusal) => code_refusal(refusal),
            CardError::TransactionConflict { first, again } => ApiError::new(
                S::CONFLICT,
                "bank.transaction_conflict",
                "该交易编号已以不同内容提交过",
                "This transaction id was sent before with other content",
            )
            .with("transaction_id", first.id.as_str())
            .with("first", sent(&first))
            .with("again", sent(&again)),
            CardError::RefundConflict { first, again } => ApiError::new(
                S::CONFLICT,
                "bank.refund_conflict",
                "该退款编号已以不同内容提交过",
                "This refund id was sent before with other content",
            )
            .with("refund_id", first.id.as_str())
            .with("first", sent_refund(&first))
            .with("again", sent_refund(&again)),
            CardError::TransactionNotKept(id) => ApiError::new(
                S::CONFLICT,
                "bank.transaction_not_kept",
                "退款对应的交易尚未提交，请先提交该交易",
                "The refunded transaction has not been sent yet: send it, then the refund again",
            )
            .with("transaction_id", id),
            CardError::RefundExceeds { remaining } => ApiError::new(
                S::CONFLICT,
                "bank.refund_exceeds",
                "退款金额超过该交易剩余可退金额",
                "More than is left of the transaction to refund (a reversal takes exactly what is left)",
            )
            .with("remaining_fen", remaining.get()),
            CardError::DayNotClosed(day) => ApiError::new(
                S::CONFLICT,
                "day.not_closed",
                "该日尚未结束，结算文件次日生成",
                "The day is not over yet: its payout file is served from midnight Beijing time",
            )
            .with("date", day.to_string())
            .with("closes_at", closes_at(day)),
            CardError::Invalid { field, problem } => ApiError::validation(field, "字段取值不正确", problem),
            CardError::Unknown(e) => ApiError::internal(&e),
        }
    }
}

/// A transaction as the bank sent it, in the request's own field names.
fn sent(t: &domain::cards::rebate::CardTransaction) -> serde_json::Value {
    serde_json::json!({
        "bank_merchant_id": t.bank_merchant.as_str(), "account_token": t.account.as_str(),
        "amount_fen": t.amount.get(), "occurred_at": t.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
    })
}

/// When Beijing day `day` is over, as RFC 3339 in Beijing time.
fn closes_at(day: chrono::NaiveDate) -> String {
    let midnight = day.succ_opt().unwrap_or(day).and_hms_opt(0, 0, 0).unwrap_or_default();
    format!("{}+08:00", midnight.format("%Y-%m-%dT%H:%M:%S"))
}

/// A refund as the bank sent it, in the request's own field names.
fn sent_refund(r: &domain::cards::refund::CardRefund) -> serde_json::Value {
    serde_json::json!({
        "transaction_id": r.transaction.as_str(), "kind": r.kind.as_str(), "amount_fen": r.amount.map(|a| a.get()),
        "occurred_at": r.occurred_at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
    })
}

/// A field of a request body that is not what it must be (422).
pub(super) fn invalid(field: &'static str, en: &str) -> ApiError {
    ApiError::validation(field, "字段取值不正确", en.to_owned())
}

fn code_refusal(refusal: CodeRefusal) -> ApiError {
    match refusal {
        CodeRefusal::NoSuchCode => ApiError::new(
            S::UNPROCESSABLE_ENTITY,
            "member_code.invalid",
            "会员码无效或已过期，请会员刷新后重试",
            "The member code is unknown or expired",
        ),
        CodeRefusal::Expired => ApiError::new(
            S::UNPROCESSABLE_ENTITY,
            "member_code.expired",
            "会员码已过期，请会员刷新后重试",
            "The member code is older than the previous 30-second step",
        ),
        CodeRefusal::Replayed => ApiError::new(
            S::CONFLICT,
            "member_code.replayed",
            "该会员码已使用过（可能是截图），请会员出示新码",
            "This code was used before: ask for a fresh one",
        ),
        CodeRefusal::CardNotLive(status) => ApiError::new(
            S::FORBIDDEN,
            "card.not_active",
            "会员服务卡已冻结、挂失或注销",
            "The card is frozen, lost or cancelled",
        )
        .with("current", status.as_str()),
        CodeRefusal::Unavailable(e) => ApiError::unavailable(&e),
        CodeRefusal::Failed(e) => ApiError::internal(&e),
    }
}

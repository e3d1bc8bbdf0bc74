//! `/v1/bank/refunds`: the bank's refunds and reversals of card transactions, which claw back
//! what a rebate no longer earns.

use actix_web::{post, web};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::bank::BankCaller;
use super::errors::invalid;
use super::CardsState;
use crate::error::ApiError;
use domain::cards::rebate::TransactionId;
use domain::cards::refund::{CardRefund, KeptRefund, RefundId, RefundKind};
use domain::shared::money::Fen;

const PROBLEM: &str = "application/problem+json";

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"refund_id": "BOSZ-RF-20261204-000001", "transaction_id": "BOSZ-TX-20261203-000001",
    "kind": "refund", "amount_fen": 2800, "occurred_at": "2026-12-04T10:05:00+08:00"}))]
pub struct RefundBody {
    /// The bank's id for this refund or reversal: a replay with the same id gets the first answer.
    pub refund_id: String,
    /// The card transaction it refunds, sent before.
    pub transaction_id: String,
    /// `refund` (goods returned: part or all, possibly several times) or `reversal` (the payment
    /// cancelled: all that is left).
    pub kind: String,
    /// Required for a refund; a reversal may leave it out or name exactly what is left.
    pub amount_fen: Option<i64>,
    pub occurred_at: DateTime<FixedOffset>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"refund_id": "BOSZ-RF-20261204-000001", "transaction_id": "BOSZ-TX-20261203-000001",
    "kind": "refund", "amount_fen": 2800, "clawback_fen": 0, "remaining_fen": 10000, "payout_day": "2026-12-04"}))]
pub struct RefundAnswer {
    pub refund_id: String,
    pub transaction_id: String,
    pub kind: &'static str,
    /// What was refunded.
    pub amount_fen: i64,
    /// Taken back from the rebate: a negative line in the payout file of `payout_day`.
    pub clawback_fen: i64,
    /// The transaction's amount not refunded yet.
    pub remaining_fen: i64,
    pub payout_day: NaiveDate,
}

impl From<&KeptRefund> for RefundAnswer {
    fn from(k: &KeptRefund) -> Self {
        Self {
            refund_id: k.first.id.as_str().to_owned(),
            transaction_id: k.first.transaction.as_str().to_owned(),
            kind: k.first.kind.as_str(),
            amount_fen: k.amount.get(),
            clawback_fen: k.clawback.get(),
            remaining_fen: k.remaining.get(),
            payout_day: k.payout_day,
        }
    }
}

fn refund(body: &RefundBody) -> Result<CardRefund, ApiError> {
    let kind = RefundKind::parse(&body.kind).ok_or_else(|| invalid("kind", "must be refund or reversal"))?;
    let amount = body
        .amount_fen
        .map(|fen| Fen::payment(fen).map_err(|_| invalid("amount_fen", "must be 1 to 1,000,000,000 fen")))
        .transpose()?;
    if kind == RefundKind::Refund && amount.is_none() {
        return Err(invalid("amount_fen", "a refund names its amount"));
    }
    Ok(CardRefund {
        id: RefundId::parse(&body.refund_id)
            .ok_or_else(|| invalid("refund_id", "must be 1-64 visible ASCII characters"))?,
        transaction: TransactionId::parse(&body.transaction_id)
            .ok_or_else(|| invalid("transaction_id", "must be 1-64 visible ASCII characters"))?,
        kind,
        amount,
        occurred_at: body.occurred_at.to_utc(),
    })
}

/// Records a refund or reversal of a card transaction.
///
/// The rebate follows what the cardholder finally paid: what the offer gives on the amount left, never more than was
/// given. What it no longer earns is clawed back as a negative line in the payout file of the day the refund is
/// processed (`payout_day`); a purchase refunded whole gives its use of the offer back to the member's limits.
/// Idempotent by `refund_id`: the same message again gets the first answer; the same id with other content is 409
/// `bank.refund_conflict`. A refund of a transaction not sent yet is 409 `bank.transaction_not_kept` (send the
/// transaction, then the refund again); more than is left (or a reversal of another amount) is 409
/// `bank.refund_exceeds` with `remaining_fen`.
///
/// Who: the bank, signing with its registered key (a merchant's key gets 403).
#[utoipa::path(operation_id = "bank_card_refund", tag = "bank", security(("partner_signature" = [])), request_body = RefundBody,
    responses((status = 200, body = RefundAnswer),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`bank.refund_conflict`, `bank.transaction_not_kept` or `bank.refund_exceeds`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[post("/v1/bank/refunds")]
pub async fn refund_one(
    _bank: BankCaller,
    state: web::Data<CardsState>,
    body: web::Json<RefundBody>,
) -> Result<web::Json<RefundAnswer>, ApiError> {
    let kept = state.cards.card_refund(refund(&body)?).await?;
    Ok(web::Json(RefundAnswer::from(&kept)))
}

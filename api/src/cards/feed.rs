//! `/v1/bank/transactions…` and `/v1/bank/rebates`: the bank's card transactions at partner
//! merchants, the rebates they earn, the daily payout file; `/v1/me/…` lists for the member.

use actix_web::{get, post, web, HttpResponse};

use super::bank::BankCaller;
use super::errors::invalid;
use super::feed_dto::*;
use super::CardsState;
use crate::admin::audit::paging_error;
use crate::error::ApiError;
use crate::members::MemberToken;
use domain::cards::feed::MAX_BATCH;
use domain::cards::model::AccountToken;
use domain::cards::rebate::{CardTransaction, TransactionId};
use domain::merchants::BankMerchantId;
use domain::shared::money::Fen;
use domain::shared::PageRequest;

const PROBLEM: &str = "application/problem+json";

/// A field of a transaction that is not what it must be, and why.
type Refusal = (&'static str, &'static str);

fn transaction(body: &CardTransactionBody) -> Result<CardTransaction, Refusal> {
    Ok(CardTransaction {
        id: TransactionId::parse(&body.transaction_id)
            .ok_or(("transaction_id", "must be 1-64 visible ASCII characters"))?,
        bank_merchant: BankMerchantId::parse(&body.bank_merchant_id)
            .ok_or(("bank_merchant_id", "must be 1-32 letters, digits, '-' or '_'"))?,
        account: AccountToken::parse(&body.account_token)
            .ok_or(("account_token", "must be 8-64 letters, digits, '-' or '_'"))?,
        amount: Fen::payment(body.amount_fen).map_err(|_| ("amount_fen", "must be 1 to 1,000,000,000 fen"))?,
        occurred_at: body.occurred_at.to_utc(),
    })
}

/// Records one card transaction.
///
/// Matches it to the merchant, the card and the merchant's cardholder offers, and records the rebate it earns within
/// the offer's limits. Idempotent by `transaction_id`: the same message again gets the first answer; the same id with
/// other content is 409 `bank.transaction_conflict`, naming both versions (`first`, `again`), and is not taken.
///
/// Who: the bank, signing with its registered key (a merchant's key gets 403).
#[utoipa::path(operation_id = "bank_card_transaction", tag = "bank", security(("partner_signature" = [])), request_body = CardTransactionBody,
    responses((status = 200, body = TransactionAnswer),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`bank.transaction_conflict`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[post("/v1/bank/transactions")]
pub async fn one(
    _bank: BankCaller,
    state: web::Data<CardsState>,
    body: web::Json<CardTransactionBody>,
) -> Result<web::Json<TransactionAnswer>, ApiError> {
    let tx = transaction(&body).map_err(|(field, en)| invalid(field, en))?;
    let kept = state.cards.card_transactions(vec![tx]).await?;
    let kept = kept.first().ok_or_else(|| ApiError::internal(&anyhow::anyhow!("no answer for the transaction")))?;
    Ok(web::Json(TransactionAnswer::kept(kept)))
}

/// Records up to 1,000 card transactions.
///
/// Each is accepted or rejected on its own: an invalid one is answered with its problem, the others are kept and
/// rebated as one at a time would be. Idempotent per `transaction_id`: posting a batch again changes nothing. A
/// transaction id sent before, or twice in the batch, with other content makes the batch 409
/// `bank.transaction_conflict` naming it and both versions, before anything of the batch is kept.
///
/// Who: the bank, signing with its registered key (a merchant's key gets 403).
#[utoipa::path(operation_id = "bank_card_transaction_batch", tag = "bank", security(("partner_signature" = [])), request_body = TransactionBatch,
    responses((status = 200, body = BatchAnswer),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`bank.transaction_conflict`", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "`validation.invalid_field`: no transactions, or more than 1,000", body = crate::openapi::Problem, content_type = PROBLEM)))]
#[post("/v1/bank/transactions/batch")]
pub async fn batch(
    _bank: BankCaller,
    state: web::Data<CardsState>,
    body: web::Json<TransactionBatch>,
) -> Result<web::Json<BatchAnswer>, ApiError> {
    if !(1..=MAX_BATCH).contains(&body.transactions.len()) {
        return Err(invalid("transactions", "must hold 1 to 1,000 transactions"));
    }
    let parsed: Vec<Result<CardTransaction, Refusal>> = body.transactions.iter().map(transaction).collect();
    let valid: Vec<CardTransaction> = parsed.iter().filter_map(|p| p.as_ref().ok().cloned()).collect();
    let mut kept = state.cards.card_transactions(valid).await?.into_iter();
    let mut results = Vec::with_capacity(body.transactions.len());
    for (item, parsed) in body.transactions.iter().zip(parsed) {
        let answer = match parsed {
            Ok(_) => {
                let k = kept
                    .next()
                    .ok_or_else(|| ApiError::internal(&anyhow::anyhow!("fewer answers than transactions")))?;
                TransactionAnswer::kept(&k)
            }
            Err((field, en)) => TransactionAnswer {
                transaction_id: item.transaction_id.clone(),
                accepted: false,
                outcome: None,
                rebate_fen: None,
                problem: Some(ItemProblem { code: "validation.invalid_field", field, detail: en }),
            },
        };
        results.push(answer);
    }
    let accepted = results.iter().filter(|r| r.accepted).count();
    Ok(web::Json(BatchAnswer { accepted, rejected: results.len() - accepted, results }))
}

/// The rebate payout file of a Beijing day that is over.
///
/// Every rebate recorded that day (clawbacks of refunds as negative lines) with totals per funder, and the
/// transactions at merchant ids we do not know; `?format=csv` for a spreadsheet. Today or a later day is 409
/// `day.not_closed` (with `closes_at`). The first serve closes the day: a write still counting into it is waited for,
/// and anything later counts into the next day's file, so a file once served never changes.
///
/// Who: the bank, signing with its registered key (a merchant's key gets 403).
#[utoipa::path(operation_id = "bank_rebate_file", tag = "bank", security(("partner_signature" = [])), params(RebatesQuery),
    responses((status = 200, description = "The file as JSON, or as CSV with `format=csv`", content(
            (RebateFileView = "application/json"),
            (String = "text/csv", example = json!("section,transaction_id,bank_merchant_id,merchant_name,offer_title,card_last4,account_token,spent_fen,rebate_fen,funder,occurred_at,refund_id\nrebate,BOSZ-TX-20261203-000001,BOSZ-M-000101,松鹤楼,持卡满100减30,0018,acct_tok_7Hq2Lx9,12800,3000,merchant,2026-12-03T12:30:00+08:00,\nclawback,BOSZ-TX-20261202-000417,BOSZ-M-000101,松鹤楼,持卡满100减30,0018,acct_tok_7Hq2Lx9,12800,-3000,merchant,2026-12-02T19:10:00+08:00,BOSZ-RF-20261203-000009\n")))),
        (status = 400, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 401, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 409, description = "`day.not_closed`: the day is not over yet", body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[get("/v1/bank/rebates")]
pub async fn rebates(
    _bank: BankCaller,
    state: web::Data<CardsState>,
    query: web::Query<RebatesQuery>,
) -> Result<HttpResponse, ApiError> {
    super::admin::payout_answer(&state, &query).await
}

/// The member's card transactions.
///
/// Card transactions at partner merchants, newest first, a page at a time. Changes nothing.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_card_transactions", tag = "cards", security(("member_jwt" = [])), params(PageQuery),
    responses((status = 200, body = MyTransactionPage), (status = 400, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[get("/v1/me/card/transactions")]
pub async fn my_transactions(
    state: web::Data<CardsState>,
    token: MemberToken,
    query: web::Query<PageQuery>,
) -> Result<web::Json<MyTransactionPage>, ApiError> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref()).map_err(paging_error)?;
    let found = state.cards.member_transactions(token.0.member, page).await?;
    Ok(web::Json(MyTransactionPage {
        items: found.items.iter().map(MyTransactionView::from).collect(),
        next_cursor: found.next.map(|c| c.encode()),
    }))
}

/// The rebates the member's card earned.
///
/// Newest first, a page at a time. Changes nothing.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_rebates", tag = "cards", security(("member_jwt" = [])), params(PageQuery),
    responses((status = 200, body = MyRebatePage), (status = 400, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[get("/v1/me/rebates")]
pub async fn my_rebates(
    state: web::Data<CardsState>,
    token: MemberToken,
    query: web::Query<PageQuery>,
) -> Result<web::Json<MyRebatePage>, ApiError> {
    let page = PageRequest::parse(query.limit, query.cursor.as_deref()).map_err(paging_error)?;
    let found = state.cards.member_rebates(token.0.member, page).await?;
    Ok(web::Json(MyRebatePage {
        items: found.items.iter().map(MyRebateView::from).collect(),
        next_cursor: found.next.map(|c| c.encode()),
    }))
}

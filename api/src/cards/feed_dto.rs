//! What the bank sends and sees about card transactions and rebates, and the member's lists.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::campaigns::dto::beijing;
use domain::cards::rebate::{KeptTransaction, RebateFile, RebateLine, TxLine};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"transaction_id": "BOSZ-TX-20261203-000001", "bank_merchant_id": "BOSZ-M-000101",
    "account_token": "acct_tok_7Hq2Lx9", "amount_fen": 12800, "occurred_at": "2026-12-03T12:30:00+08:00"}))]
pub struct CardTransactionBody {
    /// The bank's id: a replay with the same id gets the first answer and changes nothing.
    pub transaction_id: String,
    /// The number the bank knows the merchant by.
    pub bank_merchant_id: String,
    /// The bank's token for the card's account.
    pub account_token: String,
    /// What the cardholder paid, in fen.
    pub amount_fen: i64,
    pub occurred_at: DateTime<FixedOffset>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"transaction_id": "BOSZ-TX-20261203-000001", "accepted": true, "outcome": "rebated",
    "rebate_fen": 3000}))]
pub struct TransactionAnswer {
    pub transaction_id: String,
    /// `false` when the transaction itself is invalid (see `problem`); nothing was kept.
    pub accepted: bool,
    /// `rebated`, `no_offer`, `limit_reached`, `unknown_merchant` (kept and reported in the
    /// rebate file), `unknown_card`, `card_not_active`, `not_in_standing` or
    /// `discounted_at_till` (the purchase got a cardholder offer at the till already).
    pub outcome: Option<&'static str>,
    pub rebate_fen: Option<i64>,
    /// Why a transaction was not accepted: `{code, field, detail}`.
    pub problem: Option<ItemProblem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemProblem {
    pub code: &'static str,
    pub field: &'static str,
    pub detail: &'static str,
}

impl TransactionAnswer {
    pub fn kept(k: &KeptTransaction) -> Self {
        Self {
            transaction_id: k.id.as_str().to_owned(),
            accepted: true,
            outcome: Some(k.outcome.as_str()),
            rebate_fen: Some(k.rebate.get()),
            problem: None,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"transactions": [{"transaction_id": "BOSZ-TX-20261203-000001",
    "bank_merchant_id": "BOSZ-M-000101", "account_token": "acct_tok_7Hq2Lx9", "amount_fen": 12800,
    "occurred_at": "2026-12-03T12:30:00+08:00"}]}))]
pub struct TransactionBatch {
    /// 1–1,000 transactions, each accepted or rejected on its own.
    pub transactions: Vec<CardTransactionBody>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"accepted": 1, "rejected": 0, "results": [{"transaction_id": "BOSZ-TX-20261203-000001",
    "accepted": true, "outcome": "rebated", "rebate_fen": 3000}]}))]
pub struct BatchAnswer {
    pub accepted: usize,
    pub rejected: usize,
    /// One per transaction, in the order sent.
    pub results: Vec<TransactionAnswer>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RebatesQuery {
    /// The Beijing payout day: rebates recorded that day.
    #[param(value_type = String, example = "2026-12-03")]
    pub date: NaiveDate,
    /// `json` (the default) or `csv`.
    pub format: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RebateView {
    pub transaction_id: String,
    pub merchant_id: uuid::Uuid,
    pub merchant_name: String,
    pub bank_merchant_id: String,
    pub offer_id: uuid::Uuid,
    pub offer_title: String,
    pub card_last4: Option<String>,
    pub account_token: String,
    pub spent_fen: i64,
    pub rebate_fen: i64,
    /// Who pays it: `merchant`, `union` or `bank`.
    pub funder: &'static str,
    pub payout_day: NaiveDate,
    pub occurred_at: DateTime<FixedOffset>,
    /// Set on a clawback line (negative `rebate_fen`): the refund or reversal that took it back.
    pub refund_id: Option<String>,
}

impl From<&RebateLine> for RebateView {
    fn from(l: &RebateLine) -> Self {
        Self {
            transaction_id: l.transaction.clone(),
            merchant_id: l.merchant.0,
            merchant_name: l.merchant_name.clone(),
            bank_merchant_id: l.bank_merchant_id.clone(),
            offer_id: l.offer.0,
            offer_title: l.offer_title.clone(),
            card_last4: l.card_last4.clone(),
            account_token: l.account_token.clone(),
            spent_fen: l.spent.get(),
            rebate_fen: l.rebate.get(),
            funder: l.funder.as_str(),
            payout_day: l.payout_day,
            occurred_at: beijing(l.occurred_at),
            refund_id: l.refund.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FunderTotal {
    pub funder: &'static str,
    pub rebate_fen: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnknownMerchantView {
    pub bank_merchant_id: String,
    pub transactions: i64,
    pub amount_fen: i64,
}

/// A day's payout file: every rebate recorded that day, the totals, and the transactions at
/// merchant ids we do not know (kept, not rebated).
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"date": "2026-12-03", "count": 1, "total_rebate_fen": 3000,
    "by_funder": [{"funder": "merchant", "rebate_fen": 3000}, {"funder": "union", "rebate_fen": 0},
        {"funder": "bank", "rebate_fen": 0}],
    "rebates": [{"transaction_id": "BOSZ-TX-20261203-000001", "merchant_id": "0193a2c6-0000-7000-8000-000000000001",
        "merchant_name": "松鹤楼", "bank_merchant_id": "BOSZ-M-000101", "offer_id": "0193a2c6-0000-7000-8000-000000000003",
        "offer_title": "持卡满100减30", "card_last4": "0018", "account_token": "acct_tok_7Hq2Lx9", "spent_fen": 12800,
        "rebate_fen": 3000, "funder": "merchant", "payout_day": "2026-12-03", "occurred_at": "2026-12-03T12:30:00+08:00",
        "refund_id": null}],
    "unknown_merchants": [{"bank_merchant_id": "BOSZ-M-999999", "transactions": 2, "amount_fen": 5600}]}))]
pub struct RebateFileView {
    pub date: NaiveDate,
    pub count: usize,
    pub total_rebate_fen: i64,
    pub by_funder: Vec<FunderTotal>,
    pub rebates: Vec<RebateView>,
    pub unknown_merchants: Vec<UnknownMerchantView>,
}

impl From<&RebateFile> for RebateFileView {
    fn from(f: &RebateFile) -> Self {
        Self {
            date: f.day,
            count: f.lines.len(),
            total_rebate_fen: f.total().get(),
            by_funder: f
                .by_funder()
                .into_iter()
                .map(|(f, fen)| FunderTotal { funder: f.as_str(), rebate_fen: fen.get() })
                .collect(),
            rebates: f.lines.iter().map(RebateView::from).collect(),
            unknown_merchants: f
                .unknown_merchants
                .iter()
                .map(|u| UnknownMerchantView {
                    bank_merchant_id: u.bank_merchant_id.clone(),
                    transactions: u.transactions,
                    amount_fen: u.amount.get(),
                })
                .collect(),
        }
    }
}

/// The file as CSV, for the bank's payout run: one row per rebate, then the totals.
pub fn rebate_csv(f: &RebateFile) -> String {
    use domain::shared::spreadsheet::cell;
    let mut out = String::from(
        "\u{feff}section,transaction_id,bank_merchant_id,merchant_name,offer_title,card_last4,account_token,spent_fen,rebate_fen,funder,occurred_at,refund_id\n",
    );
    for l in &f.lines {
        out += &format!(
            "{},{},{},{},{},{},{},{},{},{},{},{}\n",
            if l.refund.is_some() { "clawback" } else { "rebate" },
            cell(&l.transaction),
            cell(&l.bank_merchant_id),
            cell(&l.merchant_name),
            cell(&l.offer_title),
            l.card_last4.as_deref().unwrap_or(""),
            cell(&l.account_token),
            l.spent.get(),
            l.rebate.get(),
            l.funder.as_str(),
            beijing(l.occurred_at).to_rfc3339(),
            cell(l.refund.as_deref().unwrap_or(""))
        );
    }
    for (funder, fen) in f.by_funder() {
        out += &format!("funder,,,,,,,,{},{},,\n", fen.get(), funder.as_str());
    }
    out += &format!("total,,,,,,,,{},,,\n", f.total().get());
    for u in &f.unknown_merchants {
        out += &format!("unknown_merchant,,{},,,,,{},,,,\n", cell(&u.bank_merchant_id), u.amount.get());
    }
    out
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"transaction_id": "BOSZ-TX-20261203-000001", "merchant_name": "松鹤楼", "amount_fen": 12800,
    "occurred_at": "2026-12-03T12:30:00+08:00", "outcome": "rebated", "rebate_fen": 3000}))]
pub struct MyTransactionView {
    pub transaction_id: String,
    /// `null` at a merchant that is not a partner.
    pub merchant_name: Option<String>,
    pub amount_fen: i64,
    pub occurred_at: DateTime<FixedOffset>,
    pub outcome: &'static str,
    pub rebate_fen: i64,
}

impl From<&TxLine> for MyTransactionView {
    fn from(t: &TxLine) -> Self {
        Self {
            transaction_id: t.transaction.clone(),
            merchant_name: t.merchant_name.clone(),
            amount_fen: t.amount.get(),
            occurred_at: beijing(t.occurred_at),
            outcome: t.outcome.as_str(),
            rebate_fen: t.rebate.get(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"transaction_id": "BOSZ-TX-20261203-000001", "merchant_name": "松鹤楼",
    "amount_fen": 12800, "occurred_at": "2026-12-03T12:30:00+08:00", "outcome": "rebated", "rebate_fen": 3000}],
    "next_cursor": null}))]
pub struct MyTransactionPage {
    pub items: Vec<MyTransactionView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"transaction_id": "BOSZ-TX-20261203-000001", "merchant_name": "松鹤楼",
    "offer_title": "持卡满100减30", "spent_fen": 12800, "rebate_fen": 3000, "payout_day": "2026-12-03",
    "occurred_at": "2026-12-03T12:30:00+08:00", "refund_id": null}))]
pub struct MyRebateView {
    pub transaction_id: String,
    pub merchant_name: String,
    pub offer_title: String,
    pub spent_fen: i64,
    pub rebate_fen: i64,
    pub payout_day: NaiveDate,
    pub occurred_at: DateTime<FixedOffset>,
    /// Set when the line takes back (negative `rebate_fen`) after a refund or reversal.
    pub refund_id: Option<String>,
}

impl From<&RebateLine> for MyRebateView {
    fn from(l: &RebateLine) -> Self {
        Self {
            transaction_id: l.transaction.clone(),
            merchant_name: l.merchant_name.clone(),
            offer_title: l.offer_title.clone(),
            spent_fen: l.spent.get(),
            rebate_fen: l.rebate.get(),
            payout_day: l.payout_day,
            occurred_at: beijing(l.occurred_at),
            refund_id: l.refund.clone(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"items": [{"transaction_id": "BOSZ-TX-20261203-000001", "merchant_name": "松鹤楼",
    "offer_title": "持卡满100减30", "spent_fen": 12800, "rebate_fen": 3000, "payout_day": "2026-12-03",
    "occurred_at": "2026-12-03T12:30:00+08:00", "refund_id": null}], "next_cursor": null}))]
pub struct MyRebatePage {
    pub items: Vec<MyRebateView>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1–100, default 20.
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

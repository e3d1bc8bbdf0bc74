//! Refunds and reversals: each kept once by its id, in the transaction that locks the purchase
//! it refunds, so two refunds of one purchase take turns and the second sees what the first took.

use chrono::{NaiveDate, NaiveDateTime, TimeZone, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use super::super::error::StoreError;
use super::super::merchants::{catalogue::offer_in, usage};
use super::super::prepared::hand_written;
use super::super::schema::{card_refunds, rebates};
use super::super::DbConn;
use domain::cards::rebate::TransactionId;
use domain::cards::refund::{
    effect, CardRefund, KeptRefund, NewRefund, RefundEffect, RefundId, RefundKind, RefundWrite, Refundable,
};
use domain::merchants::offer::beijing_day;
use domain::shared::money::Fen;

const PG_LOCK: &str = "SELECT amount_fen, member_id, occurred_at, rebate_fen FROM card_transactions
     WHERE transaction_id = $1 FOR UPDATE";
/// SQLite has one writer: the transaction that reads holds the database.
const SQLITE_LOCK: &str = "SELECT amount_fen, member_id, occurred_at, rebate_fen FROM card_transactions
     WHERE transaction_id = $1";

#[derive(QueryableByName)]
struct Purchase {
    #[diesel(sql_type = BigInt)]
    amount_fen: i64,
    #[diesel(sql_type = Nullable<Text>)]
    member_id: Option<String>,
    #[diesel(sql_type = Timestamp)]
    occurred_at: NaiveDateTime,
    #[diesel(sql_type = BigInt)]
    rebate_fen: i64,
}

type RefundRow = (String, String, String, Option<i64>, i64, NaiveDateTime, i64, i64, NaiveDate);

fn kept(conn: &mut DbConn, id: &str) -> Result<Option<KeptRefund>, StoreError> {
    let row: Option<RefundRow> = card_refunds::table
        .find(id)
        .select((
            card_refunds::refund_id,
            card_refunds::transaction_id,
            card_refunds::kind,
            card_refunds::sent_amount_fen,
            card_refunds::amount_fen,
            card_refunds::occurred_at,
            card_refunds::clawback_fen,
            card_refunds::remaining_fen,
            card_refunds::payout_day,
        ))
        .first(conn)
        .optional()?;
    let Some((id, tx, kind, sent, amount, at, clawback, remaining, payout_day)) = row else { return Ok(None) };
    let broken = || anyhow::anyhow!("stored refund {id} is invalid");
    let first = CardRefund {
        id: RefundId::parse(&id).ok_or_else(broken)?,
        transaction: TransactionId::parse(&tx).ok_or_else(broken)?,
        kind: RefundKind::parse(&kind).ok_or_else(broken)?,
        amount: sent.map(Fen::new),
        occurred_at: Utc.from_utc_datetime(&at),
    };
    Ok(Some(KeptRefund {
        first,
        amount: Fen::new(amount),
        clawback: Fen::new(clawback),
        remaining: Fen::new(remaining),
        payout_day,
    }))
}

/// The purchase's rebate row, if it earned one: (offer, merchant, member, card, funder).
type Given = (String, String, String, String, String);

pub(super) fn record(conn: &mut DbConn, new: NewRefund) -> Result<RefundWrite, StoreError> {
    let refund = &new.refund;
    let payout_day = super::payout_days::open_day(conn, new.payout_day)?;
    if let Some(first) = kept(conn, refund.id.as_str())? {
        return Ok(RefundWrite::Kept(first));
    }
    let tx = refund.transaction.as_str().to_owned();
    let purchase: Option<Purchase> =
        hand_written!(conn, PG_LOCK, SQLITE_LOCK, [Text => tx.clone()], get_result).optional()?;
    let Some(purchase) = purchase else { return Ok(RefundWrite::UnknownTransaction) };
    // Under the lock: a copy of this refund that went first is seen now.
    if let Some(first) = kept(conn, refund.id.as_str())? {
        return Ok(RefundWrite::Kept(first));
    }
    let before: Vec<(i64, i64)> = card_refunds::table
        .filter(card_refunds::transaction_id.eq(&tx))
        .select((card_refunds::amount_fen, card_refunds::clawback_fen))
        .load(conn)?;
    let (refunded, clawed) = before.iter().fold((0, 0), |(r, c), (amount, back)| (r + amount, c + back));
    let given: Option<Given> = rebates::table
        .filter(rebates::transaction_id.eq(&tx).and(rebates::refund_id.is_null()))
        .select((rebates::offer_id, rebates::merchant_id, rebates::member_id, rebates::card_id, rebates::funder))
        .first(conn)
        .optional()?;
    let offer = match &given {
        Some((offer, ..)) => offer_in(conn, offer)?,
        None => None,
    };
    let of = Refundable {
        amount: Fen::new(purchase.amount_fen),
        refunded: Fen::new(refunded),
        rebate: Fen::new(purchase.rebate_fen - clawed),
        offer,
    };
    let (amount, clawback, remaining) = match effect(&of, refund) {
        RefundEffect::Exceeds { remaining } => return Ok(RefundWrite::Exceeds { remaining }),
        e @ RefundEffect::Taken { amount, clawback, remaining } => {
            if let (true, Some((offer, ..)), Some(member)) = (e.whole(), &given, &purchase.member_id) {
                let day = beijing_day(Utc.from_utc_datetime(&purchase.occurred_at));
                usage::give_back(conn, offer, member, day)?;
            }
            (amount, clawback, remaining)
        }
    };
    // The same refund id on another purchase, kept meanwhile, is a unique violation: the
    // transaction rolls back and the caller reads it again.
    diesel::insert_into(card_refunds::table)
        .values((
            card_refunds::refund_id.eq(refund.id.as_str()),
            card_refunds::transaction_id.eq(&tx),
            card_refunds::kind.eq(refund.kind.as_str()),
            card_refunds::sent_amount_fen.eq(refund.amount.map(Fen::get)),
            card_refunds::amount_fen.eq(amount.get()),
            card_refunds::occurred_at.eq(refund.occurred_at.naive_utc()),
            card_refunds::clawback_fen.eq(clawback.get()),
            card_refunds::remaining_fen.eq(remaining.get()),
            card_refunds::payout_day.eq(payout_day),
            card_refunds::received_at.eq(new.received_at.naive_utc()),
        ))
        .execute(conn)?;
    if let (Some((offer, merchant, member, card, funder)), true) = (&given, clawback.get() > 0) {
        diesel::insert_into(rebates::table)
            .values((
                rebates::transaction_id.eq(&tx),
                rebates::offer_id.eq(offer),
                rebates::merchant_id.eq(merchant),
                rebates::member_id.eq(member),
                rebates::card_id.eq(card),
                rebates::amount_fen.eq(-clawback.get()),
                rebates::funder.eq(funder),
                rebates::payout_day.eq(payout_day),
                rebates::created_at.eq(new.received_at.naive_utc()),
                rebates::refund_id.eq(refund.id.as_str()),
            ))
            .execute(conn)?;
    }
    Ok(RefundWrite::Kept(KeptRefund { first: refund.clone(), amount, clawback, remaining, payout_day }))
}

//! PostgreSQL: a batch of card transactions in a handful of set-based statements, one
//! transaction. The members' offer-use rows are locked first (in a fixed order, so concurrent
//! batches queue rather than deadlock); under those locks the batch sees which transactions a
//! concurrent batch kept, counts each rebate against the limits in the order given, and writes
//! the transactions, the rebates and the new counts together.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Integer, Nullable, Text, Timestamp};
use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use super::super::claims::sql::{member_standing, StandingValues};
use super::super::error::StoreError;
use super::super::Backend;
use domain::cards::rebate::{NewTransaction, TxOutcome, TxWrite, Usage};
use domain::shared::money::Fen;

/// `$1` members, `$2` consent: those of them in standing with an active card. (In the WHERE
/// clause the rule is a semi-join of index look-ups; in the select list PostgreSQL would hash
/// every member in standing first.)
static STANDING: LazyLock<String> = LazyLock::new(|| {
    let standing = member_standing(Backend::Postgres, &StandingValues::outside_campaigns("x.m", "$2", "TRUE"));
    format!("SELECT x.m AS member_id FROM unnest($1::text[]) AS x(m) WHERE {standing}")
});

const LIVE_OFFERS: &str = "SELECT o.id FROM offers o JOIN merchants k ON k.id = o.merchant_id
     WHERE o.id = ANY($1) AND o.status = 'published' AND k.status = 'active'";

const ENSURE_USAGE: &str = "INSERT INTO offer_usage (day, offer_id, member_id, day_used, total_used)
     SELECT d, o, m, 0, 0 FROM unnest($1::date[], $2::text[], $3::text[]) AS x(d, o, m)
     ON CONFLICT (offer_id, member_id) DO NOTHING";

const LOCK_USAGE: &str = "SELECT offer_id, member_id, day, day_used, total_used FROM offer_usage
     WHERE (offer_id, member_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
     ORDER BY offer_id, member_id FOR UPDATE";

const KEPT: &str = "SELECT transaction_id FROM card_transactions WHERE transaction_id = ANY($1)";

const INSERT_TRANSACTIONS: &str = "INSERT INTO card_transactions (transaction_id, bank_merchant_id, merchant_id,
         card_id, member_id, account_token, amount_fen, occurred_at, outcome, rebate_fen, received_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
                          $8::timestamp[], $9::text[], $10::bigint[], $11::timestamp[])
     ON CONFLICT (transaction_id) DO NOTHING RETURNING transaction_id";

const INSERT_REBATES: &str = "INSERT INTO rebates (transaction_id, offer_id, merchant_id, member_id, card_id,
         amount_fen, funder, payout_day, created_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[],
                          $8::date[], $9::timestamp[])";

const UPDATE_USAGE: &str = "UPDATE offer_usage u SET day = v.d, day_used = v.du, total_used = v.tu
     FROM unnest($1::text[], $2::text[], $3::date[], $4::int[], $5::int[]) AS v(o, m, d, du, tu)
     WHERE u.offer_id = v.o AND u.member_id = v.m";

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = Text)]
    transaction_id: String,
}

#[derive(QueryableByName)]
struct Standing {
    #[diesel(sql_type = Text)]
    member_id: String,
}

#[derive(QueryableByName)]
struct LiveOffer {
    #[diesel(sql_type = Text)]
    id: String,
}

#[derive(QueryableByName)]
struct UsageRow {
    #[diesel(sql_type = Text)]
    offer_id: String,
    #[diesel(sql_type = Text)]
    member_id: String,
    #[diesel(sql_type = Date)]
    day: NaiveDate,
    #[diesel(sql_type = Integer)]
    day_used: i32,
    #[diesel(sql_type = Integer)]
    total_used: i32,
}

type Key = (String, String);

pub(super) fn record_batch(
    pg: &mut PgConnection,
    consent: &str,
    txs: &[NewTransaction],
) -> Result<Vec<TxWrite>, StoreError> {
    // The (offer, member) pairs rebates would count against.
    let mut keys: Vec<(Key, NaiveDate)> = Vec::new();
    let mut listed = HashSet::new();
    for t in txs {
        if let (Some(draft), Some((_, member))) = (&t.rebate, &t.card) {
            let key = (draft.offer.to_string(), member.to_string());
            if listed.insert(key.clone()) {
                keys.push((key, draft.day));
            }
        }
    }
    keys.sort();
    let column = |f: fn(&(Key, NaiveDate)) -> String| keys.iter().map(f).collect::<Vec<_>>();
    let (offers, members) = (column(|k| k.0 .0.clone()), column(|k| k.0 .1.clone()));
    let mut usage: HashMap<Key, Usage> = HashMap::new();
    let mut standing: HashSet<String> = HashSet::new();
    let mut live: HashSet<String> = HashSet::new();
    if !keys.is_empty() {
        diesel::sql_query(ENSURE_USAGE)
            .bind::<Array<Date>, _>(keys.iter().map(|k| k.1).collect::<Vec<_>>())
            .bind::<Array<Text>, _>(&offers)
            .bind::<Array<Text>, _>(&members)
            .execute(pg)
            .map_err(StoreError::from)?;
        let rows: Vec<UsageRow> = diesel::sql_query(LOCK_USAGE)
            .bind::<Array<Text>, _>(&offers)
            .bind::<Array<Text>, _>(&members)
            .load(pg)
            .map_err(StoreError::from)?;
        for r in rows {
            let (day_used, total_used) = (r.day_used.max(0) as u32, r.total_used.max(0) as u32);
            usage.insert((r.offer_id, r.member_id), Usage { day: r.day, day_used, total_used });
        }
        let distinct: Vec<String> = members.iter().cloned().collect::<HashSet<_>>().into_iter().collect();
        let rows: Vec<Standing> = diesel::sql_query(STANDING.as_str())
            .bind::<Array<Text>, _>(distinct)
            .bind::<Text, _>(consent)
            .load(pg)
            .map_err(StoreError::from)?;
        standing = rows.into_iter().map(|s| s.member_id).collect();
        let rows: Vec<LiveOffer> = diesel::sql_query(LIVE_OFFERS)
            .bind::<Array<Text>, _>(offers.iter().cloned().collect::<HashSet<_>>().into_iter().collect::<Vec<_>>())
            .load(pg)
            .map_err(StoreError::from)?;
        live = rows.into_iter().map(|o| o.id).collect();
    }
    // Under the locks: what a concurrent batch kept is seen, and not counted again.
    let ids: Vec<&str> = txs.iter().map(|t| t.tx.id.as_str()).collect();
    let kept: HashSet<String> = diesel::sql_query(KEPT)
        .bind::<Array<Text>, _>(&ids)
        .load::<Id>(pg)
        .map_err(StoreError::from)?
        .into_iter()
        .map(|r| r.transaction_id)
        .collect();

    let mut decided: Vec<Option<(TxOutcome, Fen)>> = Vec::with_capacity(txs.len());
    for t in txs {
        if kept.contains(t.tx.id.as_str()) {
            decided.push(None);
            continue;
        }
        let mut verdict = (t.outcome, Fen::new(0));
        if let (Some(draft), Some((_, member)), Some(_)) = (&t.rebate, &t.card, &t.merchant) {
            let key = (draft.offer.to_string(), member.to_string());
            verdict.0 = if !live.contains(&key.0) {
                TxOutcome::NoOffer
            } else if !standing.contains(&key.1) {
                TxOutcome::NotInStanding
            } else {
                let u = usage.get_mut(&key).ok_or_else(|| anyhow::anyhow!("offer use row was not locked"))?;
                if u.take(draft.day, draft.daily_limit, draft.total_limit) {
                    verdict.1 = draft.amount;
                    TxOutcome::Rebated
                } else {
                    TxOutcome::LimitReached
                }
            };
        }
        decided.push(Some(verdict));
    }

    let written: Vec<(&NewTransaction, (TxOutcome, Fen))> =
        txs.iter().zip(&decided).filter_map(|(t, d)| d.map(|d| (t, d))).collect();
    let text = |f: &dyn Fn(&NewTransaction) -> String| written.iter().map(|(t, _)| f(t)).collect::<Vec<_>>();
    let optional =
        |f: &dyn Fn(&NewTransaction) -> Option<String>| written.iter().map(|(t, _)| f(t)).collect::<Vec<_>>();
    let inserted: HashSet<String> = diesel::sql_query(INSERT_TRANSACTIONS)
        .bind::<Array<Text>, _>(text(&|t| t.tx.id.as_str().to_owned()))
        .bind::<Array<Text>, _>(text(&|t| t.tx.bank_merchant.as_str().to_owned()))
        .bind::<Array<Nullable<Text>>, _>(optional(&|t| t.merchant.map(|m| m.to_string())))
        .bind::<Array<Nullable<Text>>, _>(optional(&|t| t.card.map(|(c, _)| c.to_string())))
        .bind::<Array<Nullable<Text>>, _>(optional(&|t| t.card.map(|(_, m)| m.to_string())))
        .bind::<Array<Text>, _>(text(&|t| t.tx.account.as_str().to_owned()))
        .bind::<Array<BigInt>, _>(written.iter().map(|(t, _)| t.tx.amount.get()).collect::<Vec<_>>())
        .bind::<Array<Timestamp>, _>(written.iter().map(|(t, _)| t.tx.occurred_at.naive_utc()).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(written.iter().map(|(_, d)| d.0.as_str()).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(written.iter().map(|(_, d)| d.1.get()).collect::<Vec<_>>())
        .bind::<Array<Timestamp>, _>(
            written.iter().map(|(t, _)| t.received_at.naive_utc()).collect::<Vec<NaiveDateTime>>(),
        )
        .load::<Id>(pg)
        .map_err(StoreError::from)?
        .into_iter()
        .map(|r| r.transaction_id)
        .collect();
    // A rebate candidate cannot have been kept meanwhile (its use row is locked); anything else
    // kept meanwhile earned nothing, so there is nothing to undo.
    let rebated: Vec<&(&NewTransaction, (TxOutcome, Fen))> =
        written.iter().filter(|(t, d)| d.0 == TxOutcome::Rebated && inserted.contains(t.tx.id.as_str())).collect();
    if rebated.len() < written.iter().filter(|(_, d)| d.0 == TxOutcome::Rebated).count() {
        return Err(anyhow::anyhow!("a rebated transaction was kept by another request under its lock").into());
    }
    if !rebated.is_empty() {
        let draft = |t: &NewTransaction| t.rebate.clone().expect("rebated transactions carry their draft");
        let card = |t: &NewTransaction| t.card.expect("rebated transactions carry their card");
        diesel::sql_query(INSERT_REBATES)
            .bind::<Array<Text>, _>(rebated.iter().map(|(t, _)| t.tx.id.as_str().to_owned()).collect::<Vec<_>>())
            .bind::<Array<Text>, _>(rebated.iter().map(|(t, _)| draft(t).offer.to_string()).collect::<Vec<_>>())
            .bind::<Array<Text>, _>(
                rebated.iter().map(|(t, _)| t.merchant.map(|m| m.to_string()).unwrap_or_default()).collect::<Vec<_>>(),
            )
            .bind::<Array<Text>, _>(rebated.iter().map(|(t, _)| card(t).1.to_string()).collect::<Vec<_>>())
            .bind::<Array<Text>, _>(rebated.iter().map(|(t, _)| card(t).0.to_string()).collect::<Vec<_>>())
            .bind::<Array<BigInt>, _>(rebated.iter().map(|(_, d)| d.1.get()).collect::<Vec<_>>())
            .bind::<Array<Text>, _>(rebated.iter().map(|(t, _)| draft(t).funder.as_str()).collect::<Vec<_>>())
            .bind::<Array<Date>, _>(rebated.iter().map(|(t, _)| t.payout_day).collect::<Vec<_>>())
            .bind::<Array<Timestamp>, _>(rebated.iter().map(|(t, _)| t.received_at.naive_utc()).collect::<Vec<_>>())
            .execute(pg)
            .map_err(StoreError::from)?;
        let counted: Vec<(&Key, &Usage)> = usage.iter().collect();
        diesel::sql_query(UPDATE_USAGE)
            .bind::<Array<Text>, _>(counted.iter().map(|(k, _)| k.0.clone()).collect::<Vec<_>>())
            .bind::<Array<Text>, _>(counted.iter().map(|(k, _)| k.1.clone()).collect::<Vec<_>>())
            .bind::<Array<Date>, _>(counted.iter().map(|(_, u)| u.day).collect::<Vec<_>>())
            .bind::<Array<Integer>, _>(counted.iter().map(|(_, u)| u.day_used as i32).collect::<Vec<_>>())
            .bind::<Array<Integer>, _>(counted.iter().map(|(_, u)| u.total_used as i32).collect::<Vec<_>>())
            .execute(pg)
            .map_err(StoreError::from)?;
    }
    Ok(txs
        .iter()
        .zip(decided)
        .map(|(t, d)| match d {
            Some((outcome, rebate)) if inserted.contains(t.tx.id.as_str()) => TxWrite::Written { outcome, rebate },
            _ => TxWrite::Duplicate,
        })
        .collect())
}

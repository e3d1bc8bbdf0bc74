//! PostgreSQL: a batch of card transactions in a handful of set-based statements, one
//! transaction. The members' offer-use rows are locked first (in a fixed order, so concurrent
//! batches queue rather than deadlock); under those locks the batch sees which transactions a
//! concurrent batch kept, counts each rebate against the limits in the order given (per Beijing
//! day, whatever order the days come in; when an offer is at its limit the next one is tried), and
//! writes the transactions, the rebates and the new counts together.

use chrono::NaiveDate;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Integer, Nullable, Text, Timestamp};
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::LazyLock;

use super::super::claims::sql::{member_standing, StandingValues};
use super::super::error::StoreError;
use super::super::merchants::offer_history::published_at;
use super::super::Backend;
use domain::cards::rebate::{NewTransaction, RebateDraft, TxOutcome, TxWrite, Usage};
use domain::shared::money::Fen;

/// `$1` members, `$2` consent: those of them in standing with an active card. (In the WHERE
/// clause the rule is a semi-join of index look-ups; in the select list PostgreSQL would hash
/// every member in standing first.)
static STANDING: LazyLock<String> = LazyLock::new(|| {
    let standing = member_standing(Backend::Postgres, &StandingValues::outside_campaigns("x.m", "$2", "TRUE"));
    format!("SELECT x.m AS member_id FROM unnest($1::text[]) AS x(m) WHERE {standing}")
});

/// Of the (`$1` offer, `$2` purchase instant) pairs, the ordinals of those whose offer was
/// published at that instant, by a merchant active now.
static PUBLISHED: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT x.i FROM unnest($1::text[], $2::timestamp[]) WITH ORDINALITY AS x(o, at, i)
         JOIN offers o ON o.id = x.o JOIN merchants k ON k.id = o.merchant_id
         WHERE k.status = 'active' AND {}",
        published_at("x.o", "x.at")
    )
});

const ENSURE_USAGE: &str = "INSERT INTO offer_usage (offer_id, member_id, total_used)
     SELECT o, m, 0 FROM unnest($1::text[], $2::text[]) AS x(o, m)
     ON CONFLICT (offer_id, member_id) DO NOTHING";

const LOCK_USAGE: &str = "SELECT offer_id, member_id, total_used FROM offer_usage
     WHERE (offer_id, member_id) IN (SELECT * FROM unnest($1::text[], $2::text[]))
     ORDER BY offer_id, member_id FOR UPDATE";

/// The day rows of the locked pairs: only ever changed under their pair's lock.
const DAYS_USED: &str = "SELECT offer_id, member_id, day, used FROM offer_day_usage
     WHERE (offer_id, member_id, day) IN (SELECT * FROM unnest($1::text[], $2::text[], $3::date[]))";

const KEPT: &str = "SELECT transaction_id FROM card_transactions WHERE transaction_id = ANY($1)";

const INSERT_TRANSACTIONS: &str = "INSERT INTO card_transactions (transaction_id, bank_merchant_id, merchant_id,
         card_id, member_id, account_token, amount_fen, occurred_at, outcome, rebate_fen, received_at, payout_day)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[],
                          $8::timestamp[], $9::text[], $10::bigint[], $11::timestamp[], $12::date[])
     ON CONFLICT (transaction_id) DO NOTHING RETURNING transaction_id";

const INSERT_REBATES: &str = "INSERT INTO rebates (transaction_id, offer_id, merchant_id, member_id, card_id,
         amount_fen, funder, payout_day, created_at)
     SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[],
                          $8::date[], $9::timestamp[])";

const UPDATE_TOTALS: &str = "UPDATE offer_usage u SET total_used = v.tu, total_limit = v.tl
     FROM unnest($1::text[], $2::text[], $3::int[], $4::int[]) AS v(o, m, tu, tl)
     WHERE u.offer_id = v.o AND u.member_id = v.m";

const SAVE_DAYS: &str = "INSERT INTO offer_day_usage (offer_id, member_id, day, used, day_limit)
     SELECT * FROM unnest($1::text[], $2::text[], $3::date[], $4::int[], $5::int[])
     ON CONFLICT (offer_id, member_id, day) DO UPDATE SET used = EXCLUDED.used, day_limit = EXCLUDED.day_limit";

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
struct TotalRow {
    #[diesel(sql_type = Text)]
    offer_id: String,
    #[diesel(sql_type = Text)]
    member_id: String,
    #[diesel(sql_type = Integer)]
    total_used: i32,
}

#[derive(QueryableByName)]
struct DayRow {
    #[diesel(sql_type = Text)]
    offer_id: String,
    #[diesel(sql_type = Text)]
    member_id: String,
    #[diesel(sql_type = Date)]
    day: NaiveDate,
    #[diesel(sql_type = Integer)]
    used: i32,
}

#[derive(QueryableByName)]
struct Ordinal {
    #[diesel(sql_type = BigInt)]
    i: i64,
}

type Key = (String, String);

/// What the batch learned under its locks: each pair's uses, the members in standing, and which
/// (offer, purchase instant) candidates were published then.
#[derive(Default)]
struct Locked {
    usage: HashMap<Key, Usage>,
    standing: HashSet<String>,
    /// Per transaction and candidate, in the order listed.
    published: HashSet<(usize, usize)>,
}

fn strings(values: impl IntoIterator<Item = String>) -> Vec<String> {
    values.into_iter().collect()
}

fn lock(pg: &mut PgConnection, consent: &str, txs: &[NewTransaction]) -> Result<Locked, StoreError> {
    let mut pairs: BTreeSet<Key> = BTreeSet::new();
    let mut days: BTreeSet<(String, String, NaiveDate)> = BTreeSet::new();
    let mut candidates: Vec<(usize, usize)> = Vec::new();
    for (n, t) in txs.iter().enumerate() {
        let Some((_, member)) = &t.card else { continue };
        for (c, draft) in t.rebates.iter().enumerate() {
            pairs.insert((draft.offer.to_string(), member.to_string()));
            days.insert((draft.offer.to_string(), member.to_string(), draft.day));
            candidates.push((n, c));
        }
    }
    let mut locked = Locked::default();
    if pairs.is_empty() {
        return Ok(locked);
    }
    let (offers, members) = (strings(pairs.iter().map(|k| k.0.clone())), strings(pairs.iter().map(|k| k.1.clone())));
    diesel::sql_query(ENSURE_USAGE).bind::<Array<Text>, _>(&offers).bind::<Array<Text>, _>(&members).execute(pg)?;
    let totals: Vec<TotalRow> =
        diesel::sql_query(LOCK_USAGE).bind::<Array<Text>, _>(&offers).bind::<Array<Text>, _>(&members).load(pg)?;
    for r in totals {
        let usage = Usage { total_used: r.total_used.max(0) as u32, days: BTreeMap::new() };
        locked.usage.insert((r.offer_id, r.member_id), usage);
    }
    let rows: Vec<DayRow> = diesel::sql_query(DAYS_USED)
        .bind::<Array<Text>, _>(strings(days.iter().map(|d| d.0.clone())))
        .bind::<Array<Text>, _>(strings(days.iter().map(|d| d.1.clone())))
        .bind::<Array<Date>, _>(days.iter().map(|d| d.2).collect::<Vec<_>>())
        .load(pg)?;
    for r in rows {
        if let Some(u) = locked.usage.get_mut(&(r.offer_id, r.member_id)) {
            u.days.insert(r.day, r.used.max(0) as u32);
        }
    }
    let distinct: Vec<String> = members.iter().cloned().collect::<BTreeSet<_>>().into_iter().collect();
    let rows: Vec<Standing> =
        diesel::sql_query(STANDING.as_str()).bind::<Array<Text>, _>(distinct).bind::<Text, _>(consent).load(pg)?;
    locked.standing = rows.into_iter().map(|s| s.member_id).collect();
    let rows: Vec<Ordinal> = diesel::sql_query(PUBLISHED.as_str())
        .bind::<Array<Text>, _>(strings(candidates.iter().map(|&(n, c)| txs[n].rebates[c].offer.to_string())))
        .bind::<Array<Timestamp>, _>(
            candidates.iter().map(|&(n, _)| txs[n].tx.occurred_at.naive_utc()).collect::<Vec<_>>(),
        )
        .load(pg)?;
    locked.published = rows.into_iter().filter_map(|o| candidates.get((o.i - 1) as usize).copied()).collect();
    Ok(locked)
}

/// What one transaction becomes: its outcome, its rebate and the candidate that earned it.
type Verdict<'a> = (TxOutcome, Fen, Option<&'a RebateDraft>);

fn judge<'a>(n: usize, t: &'a NewTransaction, locked: &mut Locked, at_till: bool) -> Result<Verdict<'a>, StoreError> {
    let (Some((_, member)), Some(_), false) = (&t.card, &t.merchant, t.rebates.is_empty()) else {
        return Ok((t.outcome, Fen::new(0), None));
    };
    if at_till {
        return Ok((TxOutcome::DiscountedAtTill, Fen::new(0), None));
    }
    let member = member.to_string();
    if !locked.standing.contains(&member) {
        return Ok((TxOutcome::NotInStanding, Fen::new(0), None));
    }
    let mut outcome = TxOutcome::NoOffer;
    for (c, draft) in t.rebates.iter().enumerate() {
        if !locked.published.contains(&(n, c)) {
            continue;
        }
        let key = (draft.offer.to_string(), member.clone());
        let u = locked.usage.get_mut(&key).ok_or_else(|| anyhow::anyhow!("offer use row was not locked"))?;
        if u.take(draft.day, draft.daily_limit, draft.total_limit) {
            return Ok((TxOutcome::Rebated, draft.amount, Some(draft)));
        }
        outcome = TxOutcome::LimitReached;
    }
    Ok((outcome, Fen::new(0), None))
}

pub(super) fn record_batch(
    pg: &mut PgConnection,
    consent: &str,
    txs: &[NewTransaction],
) -> Result<Vec<TxWrite>, StoreError> {
    let matched = super::till::match_batch(pg, txs)?;
    let mut locked = lock(pg, consent, txs)?;
    // Under the locks: what a concurrent batch kept is seen, and not counted again.
    let ids: Vec<&str> = txs.iter().map(|t| t.tx.id.as_str()).collect();
    let kept: HashSet<String> = diesel::sql_query(KEPT)
        .bind::<Array<Text>, _>(&ids)
        .load::<Id>(pg)?
        .into_iter()
        .map(|r| r.transaction_id)
        .collect();

    let mut decided: Vec<Option<Verdict>> = Vec::with_capacity(txs.len());
    for (n, t) in txs.iter().enumerate() {
        decided.push(if kept.contains(t.tx.id.as_str()) {
            None
        } else {
            Some(judge(n, t, &mut locked, matched.contains_key(&n))?)
        });
    }

    let written: Vec<(&NewTransaction, Verdict)> =
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
        .bind::<Array<Timestamp>, _>(written.iter().map(|(t, _)| t.received_at.naive_utc()).collect::<Vec<_>>())
        .bind::<Array<Date>, _>(written.iter().map(|(t, _)| t.payout_day).collect::<Vec<_>>())
        .load::<Id>(pg)?
        .into_iter()
        .map(|r| r.transaction_id)
        .collect();
    // A till sale matched to a transaction kept by another request is free for another.
    let unkept: Vec<String> =
        matched.iter().filter(|(n, _)| !inserted.contains(txs[**n].tx.id.as_str())).map(|(_, s)| s.clone()).collect();
    super::till::release(pg, unkept)?;
    // A rebate candidate cannot have been kept meanwhile (its use row is locked); anything else
    // kept meanwhile earned nothing, so there is nothing to undo.
    let rebated: Vec<(&NewTransaction, Fen, &RebateDraft)> = written
        .iter()
        .filter_map(|(t, d)| d.2.map(|draft| (*t, d.1, draft)))
        .filter(|(t, _, _)| inserted.contains(t.tx.id.as_str()))
        .collect();
    if rebated.len() < written.iter().filter(|(_, d)| d.2.is_some()).count() {
        return Err(anyhow::anyhow!("a rebated transaction was kept by another request under its lock").into());
    }
    if rebated.is_empty() {
        return Ok(answers(txs, decided, &inserted));
    }
    let card = |t: &NewTransaction| t.card.expect("rebated transactions carry their card");
    diesel::sql_query(INSERT_REBATES)
        .bind::<Array<Text>, _>(strings(rebated.iter().map(|(t, _, _)| t.tx.id.as_str().to_owned())))
        .bind::<Array<Text>, _>(strings(rebated.iter().map(|(_, _, d)| d.offer.to_string())))
        .bind::<Array<Text>, _>(strings(
            rebated.iter().map(|(t, _, _)| t.merchant.map(|m| m.to_string()).unwrap_or_default()),
        ))
        .bind::<Array<Text>, _>(strings(rebated.iter().map(|(t, _, _)| card(t).1.to_string())))
        .bind::<Array<Text>, _>(strings(rebated.iter().map(|(t, _, _)| card(t).0.to_string())))
        .bind::<Array<BigInt>, _>(rebated.iter().map(|(_, f, _)| f.get()).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(rebated.iter().map(|(_, _, d)| d.funder.as_str()).collect::<Vec<_>>())
        .bind::<Array<Date>, _>(rebated.iter().map(|(t, _, _)| t.payout_day).collect::<Vec<_>>())
        .bind::<Array<Timestamp>, _>(rebated.iter().map(|(t, _, _)| t.received_at.naive_utc()).collect::<Vec<_>>())
        .execute(pg)?;
    save_usage(pg, &rebated, &locked.usage)?;
    Ok(answers(txs, decided, &inserted))
}

/// Writes the counts the rebates took: each pair's total and each day's count, with the limits
/// they were counted under.
fn save_usage(
    pg: &mut PgConnection,
    rebated: &[(&NewTransaction, Fen, &RebateDraft)],
    usage: &HashMap<Key, Usage>,
) -> Result<(), StoreError> {
    let mut totals: BTreeMap<Key, (u32, Option<u32>)> = BTreeMap::new();
    let mut days: BTreeMap<(String, String, NaiveDate), (u32, Option<u32>)> = BTreeMap::new();
    for (t, _, draft) in rebated {
        let key = (draft.offer.to_string(), card_member(t));
        let u = usage.get(&key).ok_or_else(|| anyhow::anyhow!("offer use row was not locked"))?;
        totals.insert(key.clone(), (u.total_used, draft.total_limit));
        let used = u.days.get(&draft.day).copied().unwrap_or(0);
        days.insert((key.0, key.1, draft.day), (used, draft.daily_limit));
    }
    let int = |n: Option<u32>| n.map(|n| n as i32);
    diesel::sql_query(UPDATE_TOTALS)
        .bind::<Array<Text>, _>(strings(totals.keys().map(|k| k.0.clone())))
        .bind::<Array<Text>, _>(strings(totals.keys().map(|k| k.1.clone())))
        .bind::<Array<Integer>, _>(totals.values().map(|v| v.0 as i32).collect::<Vec<_>>())
        .bind::<Array<Nullable<Integer>>, _>(totals.values().map(|v| int(v.1)).collect::<Vec<_>>())
        .execute(pg)?;
    diesel::sql_query(SAVE_DAYS)
        .bind::<Array<Text>, _>(strings(days.keys().map(|k| k.0.clone())))
        .bind::<Array<Text>, _>(strings(days.keys().map(|k| k.1.clone())))
        .bind::<Array<Date>, _>(days.keys().map(|k| k.2).collect::<Vec<_>>())
        .bind::<Array<Integer>, _>(days.values().map(|v| v.0 as i32).collect::<Vec<_>>())
        .bind::<Array<Nullable<Integer>>, _>(days.values().map(|v| int(v.1)).collect::<Vec<_>>())
        .execute(pg)?;
    Ok(())
}

fn card_member(t: &NewTransaction) -> String {
    t.card.map(|(_, m)| m.to_string()).unwrap_or_default()
}

fn answers(txs: &[NewTransaction], decided: Vec<Option<Verdict>>, inserted: &HashSet<String>) -> Vec<TxWrite> {
    txs.iter()
        .zip(decided)
        .map(|(t, d)| match d {
            Some((outcome, rebate, _)) if inserted.contains(t.tx.id.as_str()) => TxWrite::Written { outcome, rebate },
            _ => TxWrite::Duplicate,
        })
        .collect()
}

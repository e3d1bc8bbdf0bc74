//! One purchase, one benefit: a card transaction paying for a purchase that got a cardholder offer
//! at the merchant's till earns no rebate on top. The till sale and the card payment are taken for
//! the same purchase when the same member, at the same merchant, on the same Beijing day, paid at
//! the till what the card was charged; each till sale is matched to one transaction at most, the
//! earliest sale first, and a reversed sale to none.

use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Text};
use std::collections::{HashMap, HashSet};

use super::super::prepared::hand_written;
use super::super::DbConn;
use domain::cards::rebate::NewTransaction;
use domain::merchants::offer::beijing_day;

/// `$1` transaction, `$2` member, `$3` merchant, `$4` Beijing day, `$5` amount.
const MATCH_ONE: &str = "UPDATE discount_sales SET card_transaction_id = $1
     WHERE id = (SELECT s.id FROM discount_sales s JOIN offers o ON o.id = s.offer_id
                 WHERE s.member_id = $2 AND s.merchant_id = $3 AND s.sale_day = $4 AND s.paid_fen = $5
                   AND s.reversed_at IS NULL AND s.card_transaction_id IS NULL AND o.audience = 'cardholders'
                 ORDER BY s.seq LIMIT 1)
       AND card_transaction_id IS NULL";

/// The batch's candidates, by the transaction's ordinal, earliest sale first.
const CANDIDATES: &str = "SELECT x.i, s.id FROM unnest($1::text[], $2::text[], $3::date[], $4::bigint[])
         WITH ORDINALITY AS x(m, k, d, a, i)
     JOIN discount_sales s ON s.member_id = x.m AND s.merchant_id = x.k AND s.sale_day = x.d AND s.paid_fen = x.a
      AND s.reversed_at IS NULL AND s.card_transaction_id IS NULL
     JOIN offers o ON o.id = s.offer_id AND o.audience = 'cardholders'
     ORDER BY x.i, s.seq";

/// Under each sale's row lock: a sale a concurrent batch matched meanwhile is not taken again.
const CLAIM: &str =
    "UPDATE discount_sales u SET card_transaction_id = v.t FROM unnest($1::text[], $2::text[]) AS v(s, t)
     WHERE u.id = v.s AND u.card_transaction_id IS NULL RETURNING u.id AS sale, u.card_transaction_id AS tx";

const RELEASE: &str = "UPDATE discount_sales SET card_transaction_id = NULL WHERE id = ANY($1)";

#[derive(QueryableByName)]
struct Candidate {
    #[diesel(sql_type = BigInt)]
    i: i64,
    #[diesel(sql_type = Text)]
    id: String,
}

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = Text)]
    sale: String,
    #[diesel(sql_type = Text)]
    tx: String,
}

/// Whether the transaction could be a till sale's card payment at all: it names a card, a
/// merchant of ours and an offer that would rebate it.
fn eligible(t: &NewTransaction) -> bool {
    t.card.is_some() && t.merchant.is_some() && !t.rebates.is_empty()
}

/// SQLite, one transaction at a time: whether a till sale is matched to it now.
pub(super) fn match_one(conn: &mut DbConn, t: &NewTransaction) -> QueryResult<bool> {
    let (Some((_, member)), Some(merchant), true) = (t.card, t.merchant, eligible(t)) else { return Ok(false) };
    let matched = hand_written!(
        conn,
        MATCH_ONE,
        MATCH_ONE,
        [
            Text => t.tx.id.as_str().to_owned(),
            Text => member.to_string(),
            Text => merchant.to_string(),
            Date => beijing_day(t.tx.occurred_at),
            BigInt => t.tx.amount.get(),
        ],
        execute
    )?;
    Ok(matched == 1)
}

/// PostgreSQL, a batch: the till sale matched to each transaction, by its index in `txs`. Takes
/// the sales' row locks before any offer-use lock, in the order a reversal takes them.
pub(super) fn match_batch(pg: &mut PgConnection, txs: &[NewTransaction]) -> QueryResult<HashMap<usize, String>> {
    let asked: Vec<usize> = (0..txs.len()).filter(|&n| eligible(&txs[n])).collect();
    if asked.is_empty() {
        return Ok(HashMap::new());
    }
    let column = |f: &dyn Fn(&NewTransaction) -> String| asked.iter().map(|&n| f(&txs[n])).collect::<Vec<_>>();
    let candidates: Vec<Candidate> = diesel::sql_query(CANDIDATES)
        .bind::<Array<Text>, _>(column(&|t| t.card.map(|(_, m)| m.to_string()).unwrap_or_default()))
        .bind::<Array<Text>, _>(column(&|t| t.merchant.map(|m| m.to_string()).unwrap_or_default()))
        .bind::<Array<Date>, _>(asked.iter().map(|&n| beijing_day(txs[n].tx.occurred_at)).collect::<Vec<_>>())
        .bind::<Array<BigInt>, _>(asked.iter().map(|&n| txs[n].tx.amount.get()).collect::<Vec<_>>())
        .load(pg)?;
    if candidates.is_empty() {
        return Ok(HashMap::new());
    }
    // One sale per transaction and one transaction per sale, in the batch's order.
    let (mut taken, mut pairs): (HashSet<String>, Vec<(String, String)>) = (HashSet::new(), Vec::new());
    let mut paired: HashSet<usize> = HashSet::new();
    for c in candidates {
        let n = asked[(c.i - 1) as usize];
        if !paired.contains(&n) && taken.insert(c.id.clone()) {
            paired.insert(n);
            pairs.push((c.id, txs[n].tx.id.as_str().to_owned()));
        }
    }
    let claimed: Vec<Claimed> = diesel::sql_query(CLAIM)
        .bind::<Array<Text>, _>(pairs.iter().map(|p| p.0.clone()).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(pairs.iter().map(|p| p.1.clone()).collect::<Vec<_>>())
        .load(pg)?;
    let index: HashMap<&str, usize> = asked.iter().map(|&n| (txs[n].tx.id.as_str(), n)).collect();
    Ok(claimed.into_iter().filter_map(|c| index.get(c.tx.as_str()).map(|&n| (n, c.sale))).collect())
}

/// Gives back the sales matched to transactions the batch did not keep after all.
pub(super) fn release(pg: &mut PgConnection, sales: Vec<String>) -> QueryResult<()> {
    if !sales.is_empty() {
        diesel::sql_query(RELEASE).bind::<Array<Text>, _>(sales).execute(pg)?;
    }
    Ok(())
}

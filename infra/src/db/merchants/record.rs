//! Recording a discounted sale: the member still in standing, the offer still published, its
//! merchant active and the member's uses within the offer's limits, then the sale, the use and
//! the merchant's `sale.recorded` event and the request's `Idempotency-Key` answer, all or nothing. On PostgreSQL that is one statement
//! (one round trip, prepared once per connection); on SQLite, which has one writer anyway, the
//! same steps in one transaction.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Bool, Date, Integer, Nullable, Text, Timestamp};
use std::sync::LazyLock;

use super::super::claims::sql::{member_standing, StandingValues};
use super::super::idempotency::{self, AnswerRow};
use super::super::prepared::{hand_written, Prepared};
use super::super::schema::discount_sales;
use super::super::{Backend, DbConn};
use super::usage::{self, PG_TAKE_USE};
use super::webhooks::enqueue_event;
use domain::merchants::ports::{NewSale, Recorded};
use domain::merchants::webhook::{self, EventType};
use domain::shared::idempotency::KeyedAnswer;

/// A row where the sale may be written (`$1` member, `$2` consent, `$3` offer).
fn valid_offer(backend: Backend) -> String {
    let standing =
        member_standing(backend, &StandingValues::outside_campaigns("$1", "$2", "o.audience = 'cardholders'"));
    format!(
        "SELECT 1 AS valid FROM offers o JOIN merchants k ON k.id = o.merchant_id
         WHERE {standing} AND o.id = $3 AND o.status = 'published' AND k.status = 'active'"
    )
}

/// Spends the sale's member code `$2` at `$1`, if it named the member by one.
const SPEND_CODE: &str = "UPDATE member_codes SET used_at = $1
     WHERE code_hash = $2 AND used_at IS NULL AND expires_at > $1";

static PG_RECORD: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH code AS (
             UPDATE member_codes SET used_at = $16
             WHERE $27::text IS NOT NULL AND code_hash = $27 AND used_at IS NULL AND expires_at > $16
             RETURNING 1),
         code_ok AS (SELECT $27::text IS NULL OR EXISTS (SELECT 1 FROM code) AS ok),
         valid AS ({valid} AND (SELECT ok FROM code_ok)),
         {PG_TAKE_USE},
         sale AS (
             INSERT INTO discount_sales (id, merchant_id, store_id, offer_id, member_id, member_ref, original_fen,
                                         discount_fen, paid_fen, till_ref, channel, sale_day, created_at)
             SELECT $7, $8, $9, $3, $1, $10, $11, $12, $13, $14, $15, $4, $16 FROM used_day
             RETURNING 1),
         event AS (
             INSERT INTO jobs (kind, payload, state, attempts, next_attempt_at, created_at, owner)
             SELECT 'webhook', $17, 'pending', 0, $16, $16, m.id FROM merchants m, sale
             WHERE m.id = $8 AND m.webhook_url IS NOT NULL),
         answer AS (
             INSERT INTO idempotency_keys (scope, idem_key, fingerprint, owner, status, headers, body,
                                           locked_until, created_at, expires_at)
             SELECT $18, $19, $20, $21, $22, $23, $24, $25, $25, $26 FROM sale WHERE $19 IS NOT NULL)
         SELECT (SELECT ok FROM code_ok) AS code_ok, EXISTS (SELECT 1 FROM valid) AS valid,
                EXISTS (SELECT 1 FROM sale) AS written",
        valid = valid_offer(Backend::Postgres)
    )
});

static SQLITE_VALID: LazyLock<String> =
    LazyLock::new(|| format!("SELECT EXISTS ({}) AS valid", valid_offer(Backend::Sqlite)));

#[derive(QueryableByName)]
struct Outcome {
    #[diesel(sql_type = Bool)]
    code_ok: bool,
    #[diesel(sql_type = Bool)]
    valid: bool,
    #[diesel(sql_type = Bool)]
    written: bool,
}

#[derive(QueryableByName)]
struct Valid {
    #[diesel(sql_type = Bool)]
    valid: bool,
}

fn event(sale: &NewSale) -> String {
    webhook::payload(sale.merchant, EventType::SaleRecorded, sale.at, webhook::sale_data(&sale.sale()))
}

pub(super) fn in_one_statement(
    conn: &mut DbConn,
    sale: NewSale,
    answer: Option<KeyedAnswer>,
    consent: String,
) -> anyhow::Result<Recorded> {
    let DbConn::Pg(pg) = conn else { anyhow::bail!("the one-statement sale is PostgreSQL's") };
    // Without an answer its columns are NULL and the statement keeps none.
    let answer = answer.map(AnswerRow::try_from).transpose()?;
    let column = |f: fn(&AnswerRow) -> String| answer.as_ref().map(f);
    let now = sale.at.naive_utc();
    let (at, expires_at) = answer.as_ref().map_or((now, now), |a| (a.at, a.expires_at));
    let outcome = Prepared::new(&PG_RECORD)
        .bind::<Text, _>(sale.member.to_string())
        .bind::<Text, _>(consent)
        .bind::<Text, _>(sale.offer.to_string())
        .bind::<Date, _>(sale.day)
        .bind::<Nullable<Integer>, _>(sale.daily_limit.map(|n| n as i32))
        .bind::<Nullable<Integer>, _>(sale.total_limit.map(|n| n as i32))
        .bind::<Text, _>(sale.id.to_string())
        .bind::<Text, _>(sale.merchant.to_string())
        .bind::<Text, _>(sale.store.to_string())
        .bind::<Text, _>(sale.member_ref.as_str().to_owned())
        .bind::<BigInt, _>(sale.priced.original.get())
        .bind::<BigInt, _>(sale.priced.discount.get())
        .bind::<BigInt, _>(sale.priced.to_pay.get())
        .bind::<Text, _>(sale.till_ref.clone())
        .bind::<Text, _>(sale.channel.clone())
        .bind::<Timestamp, _>(sale.at.naive_utc())
        .bind::<Text, _>(event(&sale))
        .bind::<Nullable<Text>, _>(column(|a| a.scope.clone()))
        .bind::<Nullable<Text>, _>(column(|a| a.idem_key.clone()))
        .bind::<Nullable<Text>, _>(column(|a| a.fingerprint.clone()))
        .bind::<Nullable<Text>, _>(column(|a| a.owner.clone()))
        .bind::<Nullable<Integer>, _>(answer.as_ref().map(|a| a.status))
        .bind::<Nullable<Text>, _>(column(|a| a.headers.clone()))
        .bind::<Nullable<Binary>, _>(answer.as_ref().map(|a| a.body.clone()))
        .bind::<Timestamp, _>(at)
        .bind::<Timestamp, _>(expires_at)
        .bind::<Nullable<Text>, _>(sale.code.as_ref().map(super::sales::code_hash))
        .get_result::<Outcome>(pg);
    Ok(match outcome {
        Err(e) if idempotency::key_held(&e) => Recorded::KeyHeld,
        // The statement failed whole: neither the code nor the use was spent.
        Err(e) if usage::limit_refused(&e) => Recorded::LimitReached,
        Err(e) => return Err(e.into()),
        Ok(Outcome { code_ok: false, .. }) => Recorded::CodeSpent,
        Ok(Outcome { valid: false, .. }) => Recorded::NoLongerValid,
        Ok(Outcome { written: false, .. }) => Recorded::LimitReached,
        Ok(Outcome { written: true, .. }) => Recorded::Written,
    })
}

/// Why SQLite's steps roll back, and what the sale's answer is then: the answer's key was held,
/// or a use would have gone past a limit (the member code stays unspent, as on PostgreSQL).
#[derive(Debug, thiserror::Error)]
#[error("the sale was not written: {0:?}")]
pub(super) struct RolledBack(pub(super) Recorded);

/// [`in_one_statement`]'s steps. A held key or a limit reached is [`RolledBack`] as an error,
/// so that the transaction rolls back what came before it.
pub(super) fn step_by_step(
    conn: &mut DbConn,
    sale: NewSale,
    answer: Option<KeyedAnswer>,
    consent: String,
) -> anyhow::Result<Recorded> {
    let (offer, member) = (sale.offer.to_string(), sale.member.to_string());
    if let Some(code) = &sale.code {
        let at = sale.at.naive_utc();
        let hash = super::sales::code_hash(code);
        let spent = hand_written!(conn, SPEND_CODE, SPEND_CODE, [Timestamp => at, Text => hash], execute)?;
        if spent == 0 {
            return Ok(Recorded::CodeSpent);
        }
    }
    let Valid { valid } = hand_written!(
        conn,
        SQLITE_VALID.as_str(),
        SQLITE_VALID.as_str(),
        [Text => member.clone(), Text => consent, Text => offer.clone()],
        get_result
    )?;
    if !valid {
        return Ok(Recorded::NoLongerValid);
    }
    let taken = usage::sqlite_take(conn, &offer, &member, sale.day, sale.daily_limit, sale.total_limit)?;
    if !taken {
        return Err(RolledBack(Recorded::LimitReached).into());
    }
    diesel::insert_into(discount_sales::table)
        .values((
            discount_sales::id.eq(sale.id.to_string()),
            discount_sales::merchant_id.eq(sale.merchant.to_string()),
            discount_sales::store_id.eq(sale.store.to_string()),
            discount_sales::offer_id.eq(&offer),
            discount_sales::member_id.eq(&member),
            discount_sales::member_ref.eq(sale.member_ref.as_str()),
            discount_sales::original_fen.eq(sale.priced.original.get()),
            discount_sales::discount_fen.eq(sale.priced.discount.get()),
            discount_sales::paid_fen.eq(sale.priced.to_pay.get()),
            discount_sales::till_ref.eq(&sale.till_ref),
            discount_sales::channel.eq(&sale.channel),
            discount_sales::sale_day.eq(sale.day),
            discount_sales::created_at.eq(sale.at.naive_utc()),
        ))
        .execute(conn)?;
    enqueue_event(conn, &sale.merchant.to_string(), event(&sale), sale.at)?;
    if let Some(answer) = answer {
        match idempotency::keep(conn, AnswerRow::try_from(answer)?) {
            Err(e) if idempotency::key_held(&e) => return Err(RolledBack(Recorded::KeyHeld).into()),
            kept => kept?,
        };
    }
    Ok(Recorded::Written)
}

//! Recording a discounted sale: the member still in standing, the offer still published, its
//! merchant active and the member's uses within the offer's limits, then the sale, the use and
//! the merchant's `sale.recorded` event, all or nothing. On PostgreSQL that is one statement
//! (one round trip, prepared once per connection); on SQLite, which has one writer anyway, the
//! same steps in one transaction.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer, Nullable, Text, Timestamp};
use std::sync::LazyLock;

use super::super::claims::sql::{member_standing, StandingValues};
use super::super::prepared::{hand_written, Prepared};
use super::super::schema::discount_sales;
use super::super::{Backend, DbConn};
use super::webhooks::enqueue_event;
use domain::merchants::ports::{NewSale, Recorded};
use domain::merchants::webhook::{self, EventType};
use domain::merchants::Sale;

/// The offer's title where the sale may be written (`$1` member, `$2` consent, `$3` offer).
fn valid_offer(backend: Backend) -> String {
    let standing = member_standing(
        backend,
        &StandingValues {
            member: "$1",
            consent_version: "$2",
            union_codes: "''",
            joined_before: "NULL",
            token_issued_at: None,
        },
    );
    format!(
        "SELECT o.title FROM offers o JOIN merchants k ON k.id = o.merchant_id
         WHERE {standing} AND o.id = $3 AND o.status = 'published' AND k.status = 'active'"
    )
}

/// Counts one use on day `$4` if the limits allow (`$5` daily, `$6` total, either NULL for none;
/// every limit is at least 1, so a first use always fits), for offer `$3` and member `$1`. Under
/// the row's lock: concurrent sales of one member and offer take turns, and each sees the count
/// the previous one left.
const TAKE_USE: &str = "INSERT INTO offer_usage (day, offer_id, member_id, day_used, total_used)
     SELECT $4, $3, $1, 1, 1 FROM valid
     ON CONFLICT (offer_id, member_id) DO UPDATE
     SET day_used = CASE WHEN offer_usage.day = $4 THEN offer_usage.day_used + 1 ELSE 1 END,
         total_used = offer_usage.total_used + 1, day = $4
     WHERE ($5 IS NULL OR (CASE WHEN offer_usage.day = $4 THEN offer_usage.day_used ELSE 0 END) < $5)
       AND ($6 IS NULL OR offer_usage.total_used < $6)";

static PG_RECORD: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH valid AS ({valid}),
         used AS ({TAKE_USE} RETURNING 1),
         sale AS (
             INSERT INTO discount_sales (id, merchant_id, store_id, offer_id, member_id, member_ref, original_fen,
                                         discount_fen, paid_fen, till_ref, channel, sale_day, created_at)
             SELECT $7, $8, $9, $3, $1, $10, $11, $12, $13, $14, $15, $4, $16 FROM used
             RETURNING seq),
         event AS (
             INSERT INTO jobs (kind, payload, state, attempts, next_attempt_at, created_at, owner)
             SELECT 'webhook', $17, 'pending', 0, $16, $16, m.id FROM merchants m, sale
             WHERE m.id = $8 AND m.webhook_url IS NOT NULL)
         SELECT (SELECT title FROM valid) AS title, (SELECT seq FROM sale) AS seq",
        valid = valid_offer(Backend::Postgres)
    )
});

static SQLITE_VALID: LazyLock<String> = LazyLock::new(|| valid_offer(Backend::Sqlite));

/// SQLite's step: [`TAKE_USE`] without the `valid` row source, numbered from `$1` upwards.
const SQLITE_TAKE_USE: &str = "INSERT INTO offer_usage (day, offer_id, member_id, day_used, total_used)
     VALUES ($1, $2, $3, 1, 1)
     ON CONFLICT (offer_id, member_id) DO UPDATE
     SET day_used = CASE WHEN offer_usage.day = $1 THEN offer_usage.day_used + 1 ELSE 1 END,
         total_used = offer_usage.total_used + 1, day = $1
     WHERE ($4 IS NULL OR (CASE WHEN offer_usage.day = $1 THEN offer_usage.day_used ELSE 0 END) < $4)
       AND ($5 IS NULL OR offer_usage.total_used < $5)";

#[derive(QueryableByName)]
struct Outcome {
    #[diesel(sql_type = Nullable<Text>)]
    title: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    seq: Option<i64>,
}

#[derive(QueryableByName)]
struct TitleRow {
    #[diesel(sql_type = Text)]
    title: String,
}

/// The sale as recorded; its event carries neither title nor sequence, so it can be written
/// before either is known.
fn recorded(sale: NewSale, title: String, seq: i64) -> Sale {
    Sale {
        id: sale.id,
        merchant: sale.merchant,
        store: sale.store,
        offer: sale.offer,
        offer_title: title,
        member_ref: sale.member_ref,
        priced: sale.priced,
        till_ref: sale.till_ref,
        channel: sale.channel,
        day: sale.day,
        at: sale.at,
        reversed_at: None,
        seq,
    }
}

fn event(sale: &Sale) -> String {
    webhook::payload(sale.merchant, EventType::SaleRecorded, sale.at, webhook::sale_data(sale))
}

pub(super) fn in_one_statement(conn: &mut DbConn, sale: NewSale, consent: String) -> anyhow::Result<Recorded> {
    let DbConn::Pg(pg) = conn else { anyhow::bail!("the one-statement sale is PostgreSQL's") };
    if sale.needs_card {
        // Nobody holds a 会员服务卡 until cards are issued.
        return Ok(Recorded::NoLongerValid);
    }
    let draft = recorded(sale.clone(), String::new(), 0);
    let outcome: Outcome = Prepared::new(&PG_RECORD)
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
        .bind::<Text, _>(event(&draft))
        .get_result(pg)?;
    Ok(match outcome {
        Outcome { title: None, .. } => Recorded::NoLongerValid,
        Outcome { seq: None, .. } => Recorded::LimitReached,
        Outcome { title: Some(title), seq: Some(seq) } => Recorded::Sale(Box::new(recorded(sale, title, seq))),
    })
}

pub(super) fn step_by_step(conn: &mut DbConn, sale: NewSale, consent: String) -> anyhow::Result<Recorded> {
    let (offer, member) = (sale.offer.to_string(), sale.member.to_string());
    let valid: Option<TitleRow> = hand_written!(
        conn,
        SQLITE_VALID.as_str(),
        SQLITE_VALID.as_str(),
        [Text => member.clone(), Text => consent, Text => offer.clone()],
        get_result
    )
    .optional()?;
    let Some(TitleRow { title }) = valid.filter(|_| !sale.needs_card) else {
        return Ok(Recorded::NoLongerValid);
    };
    let taken = hand_written!(
        conn,
        SQLITE_TAKE_USE,
        SQLITE_TAKE_USE,
        [
            Date => sale.day,
            Text => offer.clone(),
            Text => member.clone(),
            Nullable<Integer> => sale.daily_limit.map(|n| n as i32),
            Nullable<Integer> => sale.total_limit.map(|n| n as i32),
        ],
        execute
    )?;
    if taken == 0 {
        return Ok(Recorded::LimitReached);
    }
    let seq: i64 = diesel::insert_into(discount_sales::table)
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
        .returning(discount_sales::seq)
        .get_result(conn)?;
    let sale = recorded(sale, title, seq);
    enqueue_event(conn, &sale.merchant.to_string(), event(&sale), sale.at)?;
    Ok(Recorded::Sale(Box::new(sale)))
}

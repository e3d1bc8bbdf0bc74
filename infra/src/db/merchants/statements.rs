//! Statements claim their lines in the transaction that issues them: the sales not stated yet
//! (the day's, and earlier ones that committed after their day's statement) and the reversals of
//! stated sales not stated yet, each stamped with the statement's day in one statement per kind,
//! so a reversal committing beside the issue is either on this statement or on the next, never on
//! both or neither.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer, Nullable, Text, Timestamp};

use super::super::jobs::enqueue_mail;
use super::super::prepared::hand_written;
use super::super::schema::{claims, discount_sales, gifts, merchants, offers, settlement_statements, stores};
use super::super::DbConn;
use super::rows::{MerchantRow, SaleRow};
use super::DbMerchants;
use domain::campaigns::SHANGHAI;
use domain::mail::OutboundEmail;
use domain::merchants::statement::{Redemption, StatementLines, StatementTotals, Statements};
use domain::merchants::{Merchant, MerchantStatus, Sale};

const ISSUE: &str = "INSERT INTO settlement_statements (merchant_id, day, created_at) VALUES ($1, $2, $3)
     ON CONFLICT (merchant_id, day) DO NOTHING";

/// `$1` merchant, `$2` day: its sales of that day or before not on any statement yet, stamped
/// as on this one, with their reversal when they are reversed already.
const CLAIM_SALES: &str = "UPDATE discount_sales
     SET stated_on = $2, reversal_stated_on = CASE WHEN reversed_at IS NOT NULL THEN $2 END
     WHERE merchant_id = $1 AND stated_on IS NULL AND sale_day <= $2
     RETURNING id, reversal_stated_on";

/// `$1` merchant, `$2` day, `$3` its end: reversals, before the day ended, of sales an earlier
/// statement listed as completed.
const CLAIM_REVERSALS: &str = "UPDATE discount_sales SET reversal_stated_on = $2
     WHERE merchant_id = $1 AND reversed_at IS NOT NULL AND reversal_stated_on IS NULL
       AND stated_on IS NOT NULL AND stated_on < $2 AND reversed_at < $3
     RETURNING id, reversal_stated_on";

const KEEP_TOTALS: &str = "UPDATE settlement_statements
     SET sales = $3, reversed = $4, adjustments = $5, vouchers = $6, original_fen = $7, discount_fen = $8,
         paid_fen = $9
     WHERE merchant_id = $1 AND day = $2";

/// Whether a suspended merchant has anything for `$2`'s statement (`$1` merchant, `$3`/`$4` the
/// day's bounds).
const HAS_LINES: &str = "SELECT CAST(
         (SELECT COUNT(*) FROM discount_sales WHERE merchant_id = $1 AND stated_on IS NULL AND sale_day <= $2)
       + (SELECT COUNT(*) FROM discount_sales WHERE merchant_id = $1 AND reversed_at IS NOT NULL
              AND reversal_stated_on IS NULL AND stated_on IS NOT NULL AND reversed_at < $4)
       + (SELECT COUNT(*) FROM claims c JOIN stores s ON s.id = c.redeemed_store
              WHERE s.merchant_id = $1 AND c.redeemed_at >= $3 AND c.redeemed_at < $4) AS BIGINT) AS n";

#[derive(QueryableByName)]
struct Claimed {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Nullable<Date>)]
    reversal_stated_on: Option<NaiveDate>,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The UTC bounds of a Beijing day.
fn bounds(day: NaiveDate) -> (NaiveDateTime, NaiveDateTime) {
    let start = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0).expect("midnight exists")
            - chrono::Duration::seconds(i64::from(SHANGHAI.local_minus_utc()))
    };
    (start(day), start(day + chrono::Duration::days(1)))
}

/// The claimed sales with their stores' names, each shown reversed exactly when its reversal
/// was stamped on this statement.
fn claimed_sales(conn: &mut DbConn, claimed: Vec<Claimed>, day: NaiveDate) -> anyhow::Result<Vec<(Sale, String)>> {
    let ids: Vec<String> = claimed.iter().map(|c| c.id.clone()).collect();
    let rows: Vec<(SaleRow, String, String)> = discount_sales::table
        .inner_join(offers::table)
        .inner_join(stores::table)
        .filter(discount_sales::id.eq_any(&ids))
        .order(discount_sales::seq)
        .select((SaleRow::as_select(), offers::title, stores::name))
        .load(conn)?;
    rows.into_iter()
        .map(|(row, title, store)| {
            let mut sale = row.into_sale(title)?;
            let shown_reversed =
                claimed.iter().any(|c| c.id == sale.id.to_string() && c.reversal_stated_on == Some(day));
            if !shown_reversed {
                sale.reversed_at = None;
            }
            Ok((sale, store))
        })
        .collect()
}

fn redemptions(conn: &mut DbConn, merchant: &str, day: NaiveDate) -> anyhow::Result<Vec<Redemption>> {
    let (from, until) = bounds(day);
    let rows: Vec<(Option<NaiveDateTime>, String, Option<String>, String)> = claims::table
        .inner_join(gifts::table.on(gifts::id.eq(claims::gift_id)))
        .inner_join(stores::table.on(claims::redeemed_store.eq(stores::id.nullable())))
        .filter(stores::merchant_id.eq(merchant))
        .filter(claims::redeemed_at.ge(from))
        .filter(claims::redeemed_at.lt(until))
        .order(claims::redeemed_at)
        .select((claims::redeemed_at, stores::name, claims::redeemed_till_ref, gifts::name))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(at, store_name, till_ref, gift_name)| Redemption {
            at: at.unwrap_or(from).and_utc(),
            store_name,
            till_ref: till_ref.unwrap_or_default(),
            gift_name,
        })
        .collect())
}

fn issue_in(
    conn: &mut DbConn,
    merchant: &Merchant,
    day: NaiveDate,
    now: DateTime<Utc>,
    render: fn(&Merchant, NaiveDate, &StatementLines) -> OutboundEmail,
) -> anyhow::Result<Option<StatementTotals>> {
    let id = merchant.id.to_string();
    let first = hand_written!(
        conn,
        ISSUE,
        ISSUE,
        [Text => id.clone(), Date => day, Timestamp => now.naive_utc()],
        execute
    )? == 1;
    if !first {
        return Ok(None);
    }
    let (_, until) = bounds(day);
    let reversals: Vec<Claimed> = hand_written!(conn, CLAIM_REVERSALS, CLAIM_REVERSALS, [Text => id.clone(), Date => day, Timestamp => until], load)?;
    let sales: Vec<Claimed> = hand_written!(conn, CLAIM_SALES, CLAIM_SALES, [Text => id.clone(), Date => day], load)?;
    let (mut today, mut late) = (Vec::new(), Vec::new());
    for (sale, store) in claimed_sales(conn, sales, day)? {
        if sale.day == day {
            today.push((sale, store))
        } else {
            late.push((sale, store))
        }
    }
    let lines = StatementLines {
        sales: today,
        late,
        reversals: claimed_sales(conn, reversals, day)?,
        redemptions: redemptions(conn, &id, day)?,
    };
    let totals = lines.totals();
    enqueue_mail(conn, render(merchant, day, &lines), now)?;
    hand_written!(
        conn,
        KEEP_TOTALS,
        KEEP_TOTALS,
        [
            Text => id,
            Date => day,
            Integer => totals.sales as i32,
            Integer => totals.reversed as i32,
            Integer => totals.adjustments as i32,
            Integer => totals.vouchers as i32,
            BigInt => totals.original.get(),
            BigInt => totals.discount.get(),
            BigInt => totals.paid.get(),
        ],
        execute
    )?;
    Ok(Some(totals))
}

impl Statements for DbMerchants {
    async fn due(&self, day: NaiveDate) -> anyhow::Result<Vec<Merchant>> {
        let (from, until) = bounds(day);
        let rows: Vec<MerchantRow> = self
            .db
            .run(move |conn| {
                // One on this day or a later one: this day is settled (or was passed over).
                let stated: Vec<String> = settlement_statements::table
                    .filter(settlement_statements::day.ge(day))
                    .select(settlement_statements::merchant_id)
                    .distinct()
                    .load(conn)?;
                let registered: Vec<MerchantRow> = merchants::table
                    // A merchant registered after the day had no part in it.
                    .filter(merchants::created_at.lt(until))
                    .order(merchants::id)
                    .select(MerchantRow::as_select())
                    .load(conn)?;
                let mut owed = Vec::new();
                for m in registered.into_iter().filter(|m| !stated.contains(&m.id)) {
                    if m.status == MerchantStatus::Active.as_str() {
                        owed.push(m);
                        continue;
                    }
                    let Count { n } = hand_written!(
                        conn,
                        HAS_LINES,
                        HAS_LINES,
                        [Text => m.id.clone(), Date => day, Timestamp => from, Timestamp => until],
                        get_result
                    )?;
                    if n > 0 {
                        owed.push(m);
                    }
                }
                Ok::<_, anyhow::Error>(owed)
            })
            .await?;
        rows.into_iter().map(Merchant::try_from).collect()
    }

    async fn issue(
        &self,
        merchant: &Merchant,
        day: NaiveDate,
        now: DateTime<Utc>,
        render: fn(&Merchant, NaiveDate, &StatementLines) -> OutboundEmail,
    ) -> anyhow::Result<Option<StatementTotals>> {
        let merchant = merchant.clone();
        self.db.transaction(move |conn| issue_in(conn, &merchant, day, now, render)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_beijing_day_starts_at_sixteen_hundred_utc_the_day_before() {
        let (from, until) = bounds(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap());
        assert_eq!(from.to_string(), "2026-11-30 16:00:00");
        assert_eq!(until.to_string(), "2026-12-01 16:00:00");
    }
}

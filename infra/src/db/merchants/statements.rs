use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Date, Text, Timestamp};

use super::super::jobs::enqueue_mail;
use super::super::schema::{claims, discount_sales, gifts, merchants, offers, settlement_statements, stores};
use super::rows::{MerchantRow, SaleRow};
use super::DbMerchants;
use domain::campaigns::SHANGHAI;
use domain::mail::OutboundEmail;
use domain::merchants::statement::{DayActivity, Redemption, Statements};
use domain::merchants::{Merchant, MerchantStatus};

const ISSUE: &str = "INSERT INTO settlement_statements (merchant_id, day, created_at) VALUES ($1, $2, $3)
     ON CONFLICT (merchant_id, day) DO NOTHING";

/// The UTC bounds of a Beijing day.
fn bounds(day: NaiveDate) -> (NaiveDateTime, NaiveDateTime) {
    let start = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0).expect("midnight exists")
            - chrono::Duration::seconds(i64::from(SHANGHAI.local_minus_utc()))
    };
    (start(day), start(day + chrono::Duration::days(1)))
}

impl Statements for DbMerchants {
    async fn due(&self, day: NaiveDate) -> anyhow::Result<Vec<Merchant>> {
        let (_, until) = bounds(day);
        let rows: Vec<MerchantRow> = self
            .db
            .run(move |conn| {
                let issued: Vec<String> = settlement_statements::table
                    .filter(settlement_statements::day.eq(day))
                    .select(settlement_statements::merchant_id)
                    .load(conn)?;
                let active: Vec<MerchantRow> = merchants::table
                    .filter(merchants::status.eq(MerchantStatus::Active.as_str()))
                    // A merchant registered after the day had no part in it.
                    .filter(merchants::created_at.lt(until))
                    .order(merchants::id)
                    .select(MerchantRow::as_select())
                    .load(conn)?;
                Ok::<_, anyhow::Error>(active.into_iter().filter(|m| !issued.contains(&m.id)).collect())
            })
            .await?;
        rows.into_iter().map(Merchant::try_from).collect()
    }

    async fn activity(&self, merchant: &Merchant, day: NaiveDate) -> anyhow::Result<DayActivity> {
        let id = merchant.id.to_string();
        let (from, until) = bounds(day);
        let (sales, redeemed) = self
            .db
            .snapshot(move |conn| {
                let sales: Vec<(SaleRow, String, String)> = discount_sales::table
                    .inner_join(offers::table)
                    .inner_join(stores::table)
                    .filter(discount_sales::merchant_id.eq(&id))
                    .filter(discount_sales::sale_day.eq(day))
                    .order(discount_sales::seq)
                    .select((SaleRow::as_select(), offers::title, stores::name))
                    .load(conn)?;
                let redeemed: Vec<(Option<NaiveDateTime>, String, Option<String>, String)> = claims::table
                    .inner_join(gifts::table.on(gifts::id.eq(claims::gift_id)))
                    .inner_join(stores::table.on(claims::redeemed_store.eq(stores::id.nullable())))
                    .filter(stores::merchant_id.eq(&id))
                    .filter(claims::redeemed_at.ge(from))
                    .filter(claims::redeemed_at.lt(until))
                    .order(claims::redeemed_at)
                    .select((claims::redeemed_at, stores::name, claims::redeemed_till_ref, gifts::name))
                    .load(conn)?;
                Ok::<_, anyhow::Error>((sales, redeemed))
            })
            .await?;
        Ok(DayActivity {
            sales: sales
                .into_iter()
                .map(|(row, title, store)| Ok((row.into_sale(title)?, store)))
                .collect::<anyhow::Result<_>>()?,
            redemptions: redeemed
                .into_iter()
                .map(|(at, store_name, till_ref, gift_name)| Redemption {
                    at: at.unwrap_or(from).and_utc(),
                    store_name,
                    till_ref: till_ref.unwrap_or_default(),
                    gift_name,
                })
                .collect(),
        })
    }

    async fn issue(
        &self,
        merchant: &Merchant,
        day: NaiveDate,
        mail: OutboundEmail,
        now: DateTime<Utc>,
    ) -> anyhow::Result<bool> {
        let id = merchant.id.to_string();
        self.db
            .transaction(move |conn| {
                let first = diesel::sql_query(ISSUE)
                    .bind::<Text, _>(id)
                    .bind::<Date, _>(day)
                    .bind::<Timestamp, _>(now.naive_utc())
                    .execute(conn)?
                    == 1;
                if first {
                    enqueue_mail(conn, mail, now)?;
                }
                Ok::<_, anyhow::Error>(first)
            })
            .await
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

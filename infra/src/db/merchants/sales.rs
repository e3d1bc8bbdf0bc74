use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Date, Integer, Nullable, Text, Timestamp};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

use super::super::claims::sql::{member_standing, StandingValues};
use super::super::schema::{discount_sales, member_codes, merchant_members, merchants, offers};
use super::super::{Backend, DbConn};
use super::rows::SaleRow;
use super::webhooks::enqueue_event;
use super::DbMerchants;
use domain::members::identity::PersonName;
use domain::members::MemberId;
use domain::merchants::ports::{MemberFacts, NewSale, Recorded, Sales};
use domain::merchants::sale::{DailyTotals, MemberCode};
use domain::merchants::webhook::{self, EventType};
use domain::merchants::{MemberRef, MerchantId, Sale, SaleId};
use domain::shared::{Page, PageRequest};

fn code_hash(code: &MemberCode) -> String {
    hex::encode(Sha256::digest(code.as_str().as_bytes()))
}

/// The member's standing for a merchant's benefit (`$1` member, `$2` consent version): the rule
/// claims use, without the session clause (no member token is involved at a till).
fn standing(backend: Backend) -> String {
    member_standing(
        backend,
        &StandingValues {
            member: "$1",
            consent_version: "$2",
            union_codes: "''",
            joined_before: "NULL",
            token_issued_at: None,
        },
    )
}

static PG_FACTS: LazyLock<String> = LazyLock::new(|| facts_sql(Backend::Postgres));
static SQLITE_FACTS: LazyLock<String> = LazyLock::new(|| facts_sql(Backend::Sqlite));

fn facts_sql(backend: Backend) -> String {
    format!(
        "SELECT m.name_cipher, {} AS in_standing FROM members m WHERE m.id = $1 AND m.erased_at IS NULL",
        standing(backend)
    )
}

/// Whether the sale may still be written (`$1` member, `$2` consent, `$3` offer): the member in
/// standing, the offer published and its merchant active, read inside the sale's transaction.
static PG_STILL_VALID: LazyLock<String> = LazyLock::new(|| still_valid_sql(Backend::Postgres));
static SQLITE_STILL_VALID: LazyLock<String> = LazyLock::new(|| still_valid_sql(Backend::Sqlite));

fn still_valid_sql(backend: Backend) -> String {
    format!(
        "SELECT ({}) AND EXISTS (SELECT 1 FROM offers o JOIN merchants k ON k.id = o.merchant_id
                                  WHERE o.id = $3 AND o.status = 'published' AND k.status = 'active') AS ok",
        standing(backend)
    )
}

const REMEMBER_REFERENCE: &str = "INSERT INTO merchant_members (merchant_id, reference, member_id, created_at)
     VALUES ($1, $2, $3, $4) ON CONFLICT (merchant_id, reference) DO NOTHING";

const OPEN_USAGE: &str = "INSERT INTO offer_usage (offer_id, member_id, day, day_used, total_used)
     VALUES ($1, $2, $3, 0, 0) ON CONFLICT (offer_id, member_id) DO NOTHING";

/// Counts one use on day `$1` if the limits allow (`$4` daily, `$5` total, either NULL for
/// none); SQLite numbers parameters by first appearance, hence the day first. Under the
/// row's lock: concurrent sales of one member and offer take turns here, and each sees the
/// count the previous one left.
const TAKE_USE: &str = "UPDATE offer_usage
     SET day_used = CASE WHEN day = $1 THEN day_used + 1 ELSE 1 END, total_used = total_used + 1, day = $1
     WHERE offer_id = $2 AND member_id = $3
       AND ($4 IS NULL OR (CASE WHEN day = $1 THEN day_used ELSE 0 END) < $4)
       AND ($5 IS NULL OR total_used < $5)";

/// Gives back a use made on day `$1`.
const GIVE_BACK_USE: &str = "UPDATE offer_usage
     SET day_used = CASE WHEN day = $1 AND day_used > 0 THEN day_used - 1 ELSE day_used END,
         total_used = CASE WHEN total_used > 0 THEN total_used - 1 ELSE 0 END
     WHERE offer_id = $2 AND member_id = $3";

#[derive(QueryableByName)]
struct Ok_ {
    #[diesel(sql_type = Bool)]
    ok: bool,
}

#[derive(QueryableByName)]
struct FactsRow {
    #[diesel(sql_type = Nullable<Text>)]
    name_cipher: Option<String>,
    #[diesel(sql_type = Bool)]
    in_standing: bool,
}

#[derive(QueryableByName)]
struct TotalsRow {
    #[diesel(sql_type = Date)]
    sale_day: NaiveDate,
    #[diesel(sql_type = BigInt)]
    sales: i64,
    #[diesel(sql_type = BigInt)]
    reversals: i64,
    #[diesel(sql_type = BigInt)]
    original: i64,
    #[diesel(sql_type = BigInt)]
    discount: i64,
    #[diesel(sql_type = BigInt)]
    paid: i64,
}

const TOTALS: &str = "SELECT sale_day, CAST(COUNT(*) AS BIGINT) AS sales,
        CAST(SUM(CASE WHEN reversed_at IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS reversals,
        CAST(SUM(CASE WHEN reversed_at IS NULL THEN original_fen ELSE 0 END) AS BIGINT) AS original,
        CAST(SUM(CASE WHEN reversed_at IS NULL THEN discount_fen ELSE 0 END) AS BIGINT) AS discount,
        CAST(SUM(CASE WHEN reversed_at IS NULL THEN paid_fen ELSE 0 END) AS BIGINT) AS paid
     FROM discount_sales WHERE merchant_id = $1 AND sale_day BETWEEN $2 AND $3
     GROUP BY sale_day ORDER BY sale_day";

fn sale_row(conn: &mut DbConn, merchant: &str, id: &str) -> QueryResult<Option<(SaleRow, String)>> {
    discount_sales::table
        .inner_join(offers::table)
        .filter(discount_sales::id.eq(id))
        .filter(discount_sales::merchant_id.eq(merchant))
        .select((SaleRow::as_select(), offers::title))
        .first(conn)
        .optional()
}

impl DbMerchants {
    fn backend_sql(&self, pg: &'static LazyLock<String>, lite: &'static LazyLock<String>) -> &'static str {
        match self.db.backend() {
            Backend::Postgres => pg.as_str(),
            Backend::Sqlite => lite.as_str(),
        }
    }
}

impl Sales for DbMerchants {
    async fn save_code(
        &self,
        code: &MemberCode,
        member: MemberId,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        let values = (
            member_codes::code_hash.eq(code_hash(code)),
            member_codes::member_id.eq(member.to_string()),
            member_codes::created_at.eq(now.naive_utc()),
            member_codes::expires_at.eq(expires_at.naive_utc()),
        );
        self.db
            .write(move |conn| {
                diesel::insert_into(member_codes::table).values(values).execute(conn).map_err(anyhow::Error::from)
            })
            .await?;
        Ok(())
    }

    async fn member_for_code(&self, code: &MemberCode, now: DateTime<Utc>) -> anyhow::Result<Option<MemberId>> {
        let hash = code_hash(code);
        let member: Option<String> = self
            .db
            .run(move |conn| {
                member_codes::table
                    .find(hash)
                    .filter(member_codes::expires_at.gt(now.naive_utc()))
                    .select(member_codes::member_id)
                    .first(conn)
                    .optional()
                    .map_err(anyhow::Error::from)
            })
            .await?;
        Ok(member.map(|m| m.parse()).transpose()?)
    }

    async fn member_facts(&self, member: MemberId) -> anyhow::Result<Option<MemberFacts>> {
        let sql = self.backend_sql(&PG_FACTS, &SQLITE_FACTS);
        let consent = self.consent_version.clone();
        let row: Option<FactsRow> = self
            .db
            .run(move |conn| {
                diesel::sql_query(sql)
                    .bind::<Text, _>(member.to_string())
                    .bind::<Text, _>(consent)
                    .get_result(conn)
                    .optional()
                    .map_err(anyhow::Error::from)
            })
            .await?;
        let Some(row) = row else { return Ok(None) };
        let masked_name = match row.name_cipher {
            Some(sealed) => {
                let name = self.crypto.open(&sealed)?;
                Some(PersonName::parse(&name).map_err(|_| anyhow::anyhow!("stored name is invalid"))?.masked())
            }
            None => None,
        };
        // Nobody holds a 会员服务卡 until cards are issued.
        Ok(Some(MemberFacts { masked_name, activated: row.in_standing, cardholder: false }))
    }

    async fn reference(&self, merchant: MerchantId, member: MemberId, now: DateTime<Utc>) -> anyhow::Result<MemberRef> {
        let digest = self.crypto.blind_index("merchant-member-ref", &format!("{merchant}:{member}"));
        let mut bytes = [0u8; 16];
        hex::decode_to_slice(&digest[..32], &mut bytes)?;
        let reference = MemberRef::from_digest(bytes);
        let (merchant, reference_text) = (merchant.to_string(), reference.as_str().to_owned());
        self.db
            .write(move |conn| {
                diesel::sql_query(REMEMBER_REFERENCE)
                    .bind::<Text, _>(merchant)
                    .bind::<Text, _>(reference_text)
                    .bind::<Text, _>(member.to_string())
                    .bind::<Timestamp, _>(now.naive_utc())
                    .execute(conn)
                    .map_err(anyhow::Error::from)
            })
            .await?;
        Ok(reference)
    }

    async fn member_for_reference(
        &self,
        merchant: MerchantId,
        reference: &MemberRef,
    ) -> anyhow::Result<Option<MemberId>> {
        let reference = reference.as_str().to_owned();
        let member: Option<String> = self
            .db
            .run(move |conn| {
                merchant_members::table
                    .find((merchant.to_string(), reference))
                    .select(merchant_members::member_id)
                    .first(conn)
                    .optional()
                    .map_err(anyhow::Error::from)
            })
            .await?;
        Ok(member.map(|m| m.parse()).transpose()?)
    }

    async fn record(&self, sale: NewSale) -> anyhow::Result<Recorded> {
        let still_valid = self.backend_sql(&PG_STILL_VALID, &SQLITE_STILL_VALID);
        let consent = self.consent_version.clone();
        self.db
            .transaction(move |conn| {
                let (offer, member) = (sale.offer.to_string(), sale.member.to_string());
                let valid: Ok_ = diesel::sql_query(still_valid)
                    .bind::<Text, _>(&member)
                    .bind::<Text, _>(consent)
                    .bind::<Text, _>(&offer)
                    .get_result(conn)?;
                if !valid.ok || sale.needs_card {
                    return Ok(Recorded::NoLongerValid);
                }
                diesel::sql_query(OPEN_USAGE)
                    .bind::<Text, _>(&offer)
                    .bind::<Text, _>(&member)
                    .bind::<Date, _>(sale.day)
                    .execute(conn)?;
                let taken = diesel::sql_query(TAKE_USE)
                    .bind::<Date, _>(sale.day)
                    .bind::<Text, _>(&offer)
                    .bind::<Text, _>(&member)
                    .bind::<Nullable<Integer>, _>(sale.daily_limit.map(|n| n as i32))
                    .bind::<Nullable<Integer>, _>(sale.total_limit.map(|n| n as i32))
                    .execute(conn)?;
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
                let title: String = offers::table.find(&offer).select(offers::title).first(conn)?;
                let recorded = Sale {
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
                };
                let event = webhook::payload(
                    recorded.merchant,
                    EventType::SaleRecorded,
                    recorded.at,
                    webhook::sale_data(&recorded),
                );
                enqueue_event(conn, &recorded.merchant.to_string(), event, recorded.at)?;
                Ok::<_, anyhow::Error>(Recorded::Sale(Box::new(recorded)))
            })
            .await
    }

    async fn reverse(
        &self,
        merchant: MerchantId,
        sale: SaleId,
        till_ref: String,
        at: DateTime<Utc>,
    ) -> anyhow::Result<Option<(Sale, bool)>> {
        let (merchant, id) = (merchant.to_string(), sale.to_string());
        let found = self
            .db
            .transaction(move |conn| {
                let reversed = diesel::update(
                    discount_sales::table
                        .filter(discount_sales::id.eq(&id))
                        .filter(discount_sales::merchant_id.eq(&merchant))
                        .filter(discount_sales::reversed_at.is_null()),
                )
                .set((discount_sales::reversed_at.eq(at.naive_utc()), discount_sales::reversal_till_ref.eq(till_ref)))
                .execute(conn)?
                    == 1;
                if reversed {
                    let (offer, member, day): (String, String, NaiveDate) = discount_sales::table
                        .filter(discount_sales::id.eq(&id))
                        .select((discount_sales::offer_id, discount_sales::member_id, discount_sales::sale_day))
                        .first(conn)?;
                    diesel::sql_query(GIVE_BACK_USE)
                        .bind::<Date, _>(day)
                        .bind::<Text, _>(offer)
                        .bind::<Text, _>(member)
                        .execute(conn)?;
                }
                let Some((row, title)) = sale_row(conn, &merchant, &id)? else { return Ok(None) };
                let sale = row.into_sale(title)?;
                if reversed {
                    let event = webhook::payload(sale.merchant, EventType::SaleReversed, at, webhook::sale_data(&sale));
                    enqueue_event(conn, &merchant, event, at)?;
                }
                Ok::<_, anyhow::Error>(Some((sale, reversed)))
            })
            .await?;
        Ok(found)
    }

    async fn sale(&self, merchant: MerchantId, sale: SaleId) -> anyhow::Result<Option<Sale>> {
        let (merchant, id) = (merchant.to_string(), sale.to_string());
        let row = self.db.run(move |conn| sale_row(conn, &merchant, &id).map_err(anyhow::Error::from)).await?;
        row.map(|(row, title)| row.into_sale(title)).transpose()
    }

    async fn merchant_sales(
        &self,
        merchant: MerchantId,
        from: NaiveDate,
        to: NaiveDate,
        page: PageRequest,
    ) -> anyhow::Result<Page<Sale>> {
        let limit = page.limit;
        let rows: Vec<(SaleRow, String)> = self
            .db
            .run(move |conn| {
                let mut query = discount_sales::table
                    .inner_join(offers::table)
                    .filter(discount_sales::merchant_id.eq(merchant.to_string()))
                    .filter(discount_sales::sale_day.between(from, to))
                    .order(discount_sales::seq.desc())
                    .limit(i64::from(limit.get()) + 1)
                    .select((SaleRow::as_select(), offers::title))
                    .into_boxed();
                if let Some(after) = page.after {
                    query = query.filter(discount_sales::seq.lt(after.key()));
                }
                query.load(conn).map_err(anyhow::Error::from)
            })
            .await?;
        let page = Page::from_overfetch(rows, limit, |(row, _)| row.seq);
        let items = page.items.into_iter().map(|(row, title)| row.into_sale(title)).collect::<anyhow::Result<_>>()?;
        Ok(Page { items, next: page.next })
    }

    async fn member_sales(&self, member: MemberId, page: PageRequest) -> anyhow::Result<Page<(Sale, String)>> {
        let limit = page.limit;
        let rows: Vec<(SaleRow, String, String)> = self
            .db
            .run(move |conn| {
                let mut query = discount_sales::table
                    .inner_join(offers::table)
                    .inner_join(merchants::table)
                    .filter(discount_sales::member_id.eq(member.to_string()))
                    .order(discount_sales::seq.desc())
                    .limit(i64::from(limit.get()) + 1)
                    .select((SaleRow::as_select(), offers::title, merchants::name))
                    .into_boxed();
                if let Some(after) = page.after {
                    query = query.filter(discount_sales::seq.lt(after.key()));
                }
                query.load(conn).map_err(anyhow::Error::from)
            })
            .await?;
        let page = Page::from_overfetch(rows, limit, |(row, _, _)| row.seq);
        let items = page
            .items
            .into_iter()
            .map(|(row, title, merchant)| Ok((row.into_sale(title)?, merchant)))
            .collect::<anyhow::Result<_>>()?;
        Ok(Page { items, next: page.next })
    }

    async fn daily_totals(
        &self,
        merchant: MerchantId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> anyhow::Result<Vec<DailyTotals>> {
        let rows: Vec<TotalsRow> = self
            .db
            .run(move |conn| {
                diesel::sql_query(TOTALS)
                    .bind::<Text, _>(merchant.to_string())
                    .bind::<Date, _>(from)
                    .bind::<Date, _>(to)
                    .load(conn)
                    .map_err(anyhow::Error::from)
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| DailyTotals {
                day: r.sale_day,
                sales: r.sales,
                reversals: r.reversals,
                original: r.original,
                discount: r.discount,
                paid: r.paid,
            })
            .collect())
    }
}

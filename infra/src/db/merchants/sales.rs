use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Date, Nullable, Text, Timestamp};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

use super::super::claims::sql::{holds_card, member_standing, StandingValues};
use super::super::prepared::hand_written;
use super::super::schema::{discount_sales, member_codes, merchants, offers};
use super::super::{Backend, DbConn};
use super::record;
use super::rows::SaleRow;
use super::webhooks::enqueue_event;
use super::DbMerchants;
use domain::members::identity::PersonName;
use domain::members::MemberId;
use domain::merchants::ports::{CodeUse, MemberFacts, NewSale, Recorded, Sales};
use domain::merchants::sale::{DailyTotals, MemberCode};
use domain::merchants::webhook::{self, EventType};
use domain::merchants::{MemberRef, MerchantId, Sale, SaleId};
use domain::shared::idempotency::KeyedAnswer;
use domain::shared::{Page, PageRequest};

pub(super) fn code_hash(code: &MemberCode) -> String {
    hex::encode(Sha256::digest(code.as_str().as_bytes()))
}

/// The member's standing for a merchant's benefit (`$1` consent version, `member` the SQL naming
/// the member): the rule claims use, without the session clause (no member token is involved at
/// a till).
fn standing(backend: Backend, member: &str, consent: &str) -> String {
    member_standing(backend, &StandingValues::outside_campaigns(member, consent, "FALSE"))
}

/// The member behind a code or reference row `c` (found by `filter`, whose placeholders start at
/// `$2`) and their facts, in one look-up: `present` is false once the member is erased.
fn holder_sql(backend: Backend, from: &str, filter: &str) -> String {
    format!(
        "SELECT c.member_id, m.name_cipher, m.id IS NOT NULL AS present, {} AS in_standing, {} AS cardholder
         FROM {from} LEFT JOIN members m ON m.id = c.member_id AND m.erased_at IS NULL
         WHERE {filter}",
        standing(backend, "c.member_id", "$1"),
        holds_card("c.member_id")
    )
}

fn by_code_sql(backend: Backend) -> String {
    holder_sql(backend, "member_codes c", "c.code_hash = $2 AND c.expires_at > $3")
}

fn by_reference_sql(backend: Backend) -> String {
    holder_sql(backend, "merchant_members c", "c.merchant_id = $2 AND c.reference = $3")
}

static PG_BY_CODE: LazyLock<String> = LazyLock::new(|| by_code_sql(Backend::Postgres));
static SQLITE_BY_CODE: LazyLock<String> = LazyLock::new(|| by_code_sql(Backend::Sqlite));
static PG_BY_REFERENCE: LazyLock<String> = LazyLock::new(|| by_reference_sql(Backend::Postgres));
static SQLITE_BY_REFERENCE: LazyLock<String> = LazyLock::new(|| by_reference_sql(Backend::Sqlite));

/// The member `$2` (also once erased: `present` says), with their facts.
fn present_facts_sql(backend: Backend) -> String {
    format!(
        "SELECT m.id AS member_id, m.name_cipher, m.erased_at IS NULL AS present, {} AS in_standing,
                {} AS cardholder
         FROM members m WHERE m.id = $2",
        standing(backend, "m.id", "$1"),
        holds_card("m.id")
    )
}

static PG_PRESENT_FACTS: LazyLock<String> = LazyLock::new(|| present_facts_sql(Backend::Postgres));
static SQLITE_PRESENT_FACTS: LazyLock<String> = LazyLock::new(|| present_facts_sql(Backend::Sqlite));

/// The columns a member's facts are read from, by every look-up a till makes.
#[derive(QueryableByName)]
pub(in crate::db) struct FactsColumns {
    #[diesel(sql_type = Nullable<Text>)]
    name_cipher: Option<String>,
    /// False once the member is erased: then there are no facts to give.
    #[diesel(sql_type = Bool)]
    present: bool,
    #[diesel(sql_type = Bool)]
    in_standing: bool,
    #[diesel(sql_type = Bool)]
    cardholder: bool,
}

impl FactsColumns {
    /// What a merchant may learn of the member: a masked name, activated, cardholder.
    pub(in crate::db) fn open(self, crypto: &crate::crypto::FieldCrypto) -> anyhow::Result<Option<MemberFacts>> {
        if !self.present {
            return Ok(None);
        }
        let masked_name = match self.name_cipher {
            Some(sealed) => {
                let name = crypto.open(&sealed)?;
                Some(PersonName::parse(&name).map_err(|_| anyhow::anyhow!("stored name is invalid"))?.masked())
            }
            None => None,
        };
        Ok(Some(MemberFacts { masked_name, activated: self.in_standing, cardholder: self.cardholder }))
    }
}

#[derive(QueryableByName)]
struct HolderRow {
    #[diesel(sql_type = Text)]
    member_id: String,
    #[diesel(embed)]
    facts: FactsColumns,
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
    fn holder(&self, row: HolderRow) -> anyhow::Result<(MemberId, Option<MemberFacts>)> {
        Ok((row.member_id.parse()?, row.facts.open(&self.crypto)?))
    }

    /// The member by id, with their facts (none once erased).
    async fn by_id(&self, member: MemberId) -> anyhow::Result<Option<(MemberId, Option<MemberFacts>)>> {
        let (pg, lite) = (PG_PRESENT_FACTS.as_str(), SQLITE_PRESENT_FACTS.as_str());
        let consent = self.consent_version.clone();
        let row: Option<HolderRow> = self
            .db
            .run(move |conn| {
                hand_written!(conn, pg, lite, [Text => consent, Text => member.to_string()], get_result)
                    .optional()
                    .map_err(anyhow::Error::from)
            })
            .await?;
        row.map(|row| self.holder(row)).transpose()
    }
}

/// The holder of live code `hash` at `at`, spending the code first when `spend` says so:
/// `Err(true)` when the code is live but was used, `Err(false)` when it is unknown or expired.
fn live_code(
    conn: &mut DbConn,
    consent: String,
    hash: String,
    at: NaiveDateTime,
    spend: bool,
) -> anyhow::Result<Result<Option<HolderRow>, bool>> {
    let live = || member_codes::table.find(hash.clone()).filter(member_codes::expires_at.gt(at));
    // The row lock the update takes orders two tills spending one code at once.
    let spent_now = spend
        && diesel::update(live().filter(member_codes::used_at.is_null()))
            .set(member_codes::used_at.eq(at))
            .execute(conn)?
            == 1;
    if !spent_now {
        match live().select(member_codes::used_at).first::<Option<NaiveDateTime>>(conn).optional()? {
            None => return Ok(Err(false)),
            Some(Some(_)) => return Ok(Err(true)),
            Some(None) if spend => return Ok(Err(true)),
            Some(None) => {}
        }
    }
    let (pg, lite) = (PG_BY_CODE.as_str(), SQLITE_BY_CODE.as_str());
    Ok(Ok(hand_written!(conn, pg, lite, [Text => consent, Text => hash, Timestamp => at], get_result).optional()?))
}

impl DbMerchants {
    /// A code's look-up as the port tells it: the holder's row, or whether a live code was spent.
    fn code_use(&self, found: Result<Option<HolderRow>, bool>) -> anyhow::Result<CodeUse> {
        match found {
            Ok(Some(row)) => {
                let (member, facts) = self.holder(row)?;
                Ok(CodeUse::Fresh(member, facts))
            }
            Ok(None) | Err(false) => Ok(CodeUse::Unknown),
            Err(true) => Ok(CodeUse::Spent),
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

    async fn code_holder(&self, code: &MemberCode, now: DateTime<Utc>) -> anyhow::Result<CodeUse> {
        let (consent, hash) = (self.consent_version.clone(), code_hash(code));
        let found = self.db.run(move |conn| live_code(conn, consent, hash, now.naive_utc(), false)).await?;
        self.code_use(found)
    }

    async fn spend_code(&self, code: &MemberCode, now: DateTime<Utc>) -> anyhow::Result<CodeUse> {
        let (consent, hash) = (self.consent_version.clone(), code_hash(code));
        let found = self.db.transaction(move |conn| live_code(conn, consent, hash, now.naive_utc(), true)).await?;
        self.code_use(found)
    }

    async fn member_facts(&self, member: MemberId) -> anyhow::Result<Option<MemberFacts>> {
        Ok(self.by_id(member).await?.and_then(|(_, facts)| facts))
    }

    async fn reference(
        &self,
        merchant: MerchantId,
        member: MemberId,
        _now: DateTime<Utc>,
    ) -> anyhow::Result<MemberRef> {
        // The member's id enciphered under the merchant's own key: nothing to store, nothing to
        // look up (a till's verification is one look-up the shorter).
        Ok(MemberRef::from_digest(self.crypto.pseudonym(&merchant.to_string(), *member.0.as_bytes())))
    }

    async fn member_for_reference(
        &self,
        merchant: MerchantId,
        reference: &MemberRef,
    ) -> anyhow::Result<Option<(MemberId, Option<MemberFacts>)>> {
        let member =
            MemberId(uuid::Uuid::from_bytes(self.crypto.id_of_pseudonym(&merchant.to_string(), reference.bytes())));
        if let Some(found) = self.by_id(member).await? {
            return Ok(Some(found));
        }
        // A reference handed out before references were enciphered was kept in a table.
        let (pg, lite) = (PG_BY_REFERENCE.as_str(), SQLITE_BY_REFERENCE.as_str());
        let (consent, reference) = (self.consent_version.clone(), reference.as_str().to_owned());
        let row: Option<HolderRow> = self
            .db
            .run(move |conn| {
                hand_written!(conn, pg, lite, [Text => consent, Text => merchant.to_string(), Text => reference], get_result)
                    .optional()
                    .map_err(anyhow::Error::from)
            })
            .await?;
        row.map(|row| self.holder(row)).transpose()
    }

    async fn record(&self, sale: NewSale, answer: Option<KeyedAnswer>) -> anyhow::Result<Recorded> {
        let consent = self.consent_version.clone();
        match self.db.backend() {
            Backend::Postgres => self.db.run(move |conn| record::in_one_statement(conn, sale, answer, consent)).await,
            Backend::Sqlite => {
                let written = self.db.transaction(move |conn| record::step_by_step(conn, sale, answer, consent)).await;
                match written {
                    Err(e) => match e.downcast_ref::<record::RolledBack>() {
                        Some(record::RolledBack(answer)) => Ok(*answer),
                        None => Err(e),
                    },
                    ok => ok,
                }
            }
        }
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
                    super::usage::give_back(conn, &offer, &member, day)?;
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

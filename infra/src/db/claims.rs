//! Claims with their vouchers and ledger rows. A granted claim costs one round trip on PostgreSQL:
//! a single statement checks the slot and sequences against the gift, inserts the claim and its
//! ledger row, and lets the unique constraints answer races.

use chrono::NaiveDateTime;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Nullable, Text, Timestamp};
use diesel::sqlite::SqliteConnection;
use std::sync::LazyLock;

use super::claim_batch::ClaimBatcher;
use super::error::StoreError;
use super::prepared::Prepared;
use super::schema::{claims, gifts};
use super::{Database, DbConn};
use domain::campaigns::ports::{
    Claim, ClaimStore, Counted, CountedClaim, GiftUsage, GrantedSlot, Inserted, NewClaim, Notice,
};
use domain::campaigns::{CampaignId, GiftId};
use domain::members::MemberId;

/// The claim, if the slot and sequences are within the gift's stock and limits, the campaign is
/// open, and the member is in standing (see [`Standing`]). `position` is the backend's substring
/// search (`strpos` or `instr`), for the comma-joined list of unions.
fn insert_claim_sql(position: &str) -> String {
    format!(
        "INSERT INTO claims (id, campaign_id, gift_id, member_id, slot, gift_seq, campaign_seq, voucher_code,
                             request_key, status, claimed_at, expires_at)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, 'issued', $10, $11
         FROM gifts g JOIN campaigns k ON k.id = g.campaign_id
         WHERE g.id = $3 AND $5 <= g.stock AND $6 <= g.per_member_limit AND $7 <= k.per_member_limit
           AND k.state = 'published' AND k.starts_at <= $10 AND $10 < k.ends_at
           AND EXISTS (SELECT 1 FROM members mb
                       JOIN roster r ON r.id_index = mb.id_index AND r.name_index = mb.name_index AND r.status = 'active'
                       WHERE mb.id = $4 AND mb.suspension IS NULL AND mb.erased_at IS NULL AND mb.consent_version = $12
                         AND ($13 = '' OR {position}(',' || $13 || ',', ',' || r.union_org_code || ',') > 0)
                         AND ($14 IS NULL OR r.joined_at < $14))"
    )
}

static SQLITE_INSERT_CLAIM: LazyLock<String> = LazyLock::new(|| insert_claim_sql("instr"));

const LEDGER_ROW: &str = "
    INSERT INTO ledger (campaign_id, gift_id, claim_id, kind, amount_fen, funder, at)
    SELECT g.campaign_id, g.id, $1, 'claim', g.unit_cost_fen, g.funder, $2 FROM gifts g WHERE g.id = $3";

const MEMBER_MAIL: &str = "
    INSERT INTO outbox (recipient, subject, body, status, attempts, next_attempt_at, created_at)
    SELECT mb.email, $1, $2, 'pending', 0, c.claimed_at, c.claimed_at
    FROM claims c JOIN members mb ON mb.id = c.member_id WHERE c.id = $3 AND mb.email IS NOT NULL";

const STAFF_MAIL: &str = "
    INSERT INTO outbox (recipient, subject, body, status, attempts, next_attempt_at, created_at)
    SELECT u.email, $1, $2, 'pending', 0, $3, $3
    FROM admin_users u WHERE u.email IS NOT NULL AND NOT u.disabled AND u.role IN ('admin', 'operator')";

/// PostgreSQL: the claim, its ledger row and its mails in one statement, one round trip.
static PG_INSERT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "WITH c AS ({} RETURNING id, gift_id, member_id, claimed_at),
         l AS (INSERT INTO ledger (campaign_id, gift_id, claim_id, kind, amount_fen, funder, at)
               SELECT g.campaign_id, g.id, c.id, 'claim', g.unit_cost_fen, g.funder, c.claimed_at
               FROM c JOIN gifts g ON g.id = c.gift_id),
         m AS (INSERT INTO outbox (recipient, subject, body, status, attempts, next_attempt_at, created_at)
               SELECT mb.email, $15, $16, 'pending', 0, c.claimed_at, c.claimed_at
               FROM c JOIN members mb ON mb.id = c.member_id WHERE mb.email IS NOT NULL),
         a AS (INSERT INTO outbox (recipient, subject, body, status, attempts, next_attempt_at, created_at)
               SELECT u.email, $17, $18, 'pending', 0, c.claimed_at, c.claimed_at
               FROM c CROSS JOIN admin_users u
               WHERE $19 AND u.email IS NOT NULL AND NOT u.disabled AND u.role IN ('admin', 'operator'))
         SELECT count(*) AS n FROM c",
        insert_claim_sql("strpos")
    )
});

fn pg_insert(pg: &mut PgConnection, c: &NewClaim) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Inserted {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let alert = c.staff_alert.clone().unwrap_or(Notice { subject: String::new(), body: String::new() });
    Prepared::new(&PG_INSERT)
        .bind::<Text, _>(c.id.to_string())
        .bind::<Text, _>(c.campaign.to_string())
        .bind::<Text, _>(c.gift.to_string())
        .bind::<Text, _>(c.member.to_string())
        .bind::<Integer, _>(c.slot as i32)
        .bind::<Integer, _>(c.gift_seq as i32)
        .bind::<Integer, _>(c.campaign_seq as i32)
        .bind::<Text, _>(c.voucher_code.clone())
        .bind::<Text, _>(c.request_key.clone())
        .bind::<Timestamp, _>(c.claimed_at.naive_utc())
        .bind::<Timestamp, _>(c.expires_at.naive_utc())
        .bind::<Text, _>(c.standing.consent_version.clone())
        .bind::<Text, _>(c.standing.union_codes.join(","))
        .bind::<Nullable<Timestamp>, _>(c.standing.joined_before.map(|t| t.naive_utc()))
        .bind::<Text, _>(c.confirmation.subject.clone())
        .bind::<Text, _>(c.confirmation.body.clone())
        .bind::<Text, _>(alert.subject)
        .bind::<Text, _>(alert.body)
        .bind::<diesel::sql_types::Bool, _>(c.staff_alert.is_some())
        .get_result::<Inserted>(pg)
        .map(|r| r.n)
}

/// SQLite: the same rows, statement by statement, in one immediate transaction.
fn sqlite_insert(lite: &mut SqliteConnection, c: &NewClaim) -> QueryResult<i64> {
    lite.immediate_transaction(|lite| sqlite_rows(lite, c))
}

fn sqlite_rows(lite: &mut SqliteConnection, c: &NewClaim) -> QueryResult<i64> {
    {
        let n = bind_claim(&SQLITE_INSERT_CLAIM, c).execute(lite)?;
        if n == 0 {
            return Ok(0);
        }
        diesel::sql_query(LEDGER_ROW)
            .bind::<Text, _>(c.id.to_string())
            .bind::<Timestamp, _>(c.claimed_at.naive_utc())
            .bind::<Text, _>(c.gift.to_string())
            .execute(lite)?;
        diesel::sql_query(MEMBER_MAIL)
            .bind::<Text, _>(&c.confirmation.subject)
            .bind::<Text, _>(&c.confirmation.body)
            .bind::<Text, _>(c.id.to_string())
            .execute(lite)?;
        if let Some(alert) = &c.staff_alert {
            diesel::sql_query(STAFF_MAIL)
                .bind::<Text, _>(&alert.subject)
                .bind::<Text, _>(&alert.body)
                .bind::<Timestamp, _>(c.claimed_at.naive_utc())
                .execute(lite)?;
        }
        Ok(1)
    }
}

/// PostgreSQL, database-only mode: the counter on the gift row, the claim, its ledger row and its
/// mails in one statement. Every granted claim of a gift queues on that row's lock: this is the
/// baseline the gate is measured against.
const PG_COUNTED: &str = "
    WITH k AS (SELECT 1 FROM campaigns
               WHERE id = $2 AND state = 'published' AND starts_at <= $7 AND $7 < ends_at),
         n AS (SELECT count(*) FILTER (WHERE gift_id = $3) AS gift_n, count(*) AS campaign_n
               FROM claims WHERE campaign_id = $2 AND member_id = $4),
         u AS (UPDATE gifts SET claimed = claimed + 1
               WHERE id = $3 AND claimed < $9 AND EXISTS (SELECT 1 FROM k)
                 AND (SELECT gift_n FROM n) < $10 AND (SELECT campaign_n FROM n) < $11
               RETURNING claimed, campaign_id, unit_cost_fen, funder),
         ins AS (INSERT INTO claims (id, campaign_id, gift_id, member_id, slot, gift_seq, campaign_seq,
                                     voucher_code, request_key, status, claimed_at, expires_at)
                 SELECT $1, $2, $3, $4, u.claimed, n.gift_n + 1, n.campaign_n + 1, $5, $6, 'issued', $7, $8
                 FROM u CROSS JOIN n
                 RETURNING id, slot, gift_seq, campaign_seq, member_id, claimed_at),
         l AS (INSERT INTO ledger (campaign_id, gift_id, claim_id, kind, amount_fen, funder, at)
               SELECT u.campaign_id, $3, ins.id, 'claim', u.unit_cost_fen, u.funder, ins.claimed_at
               FROM ins CROSS JOIN u),
         m AS (INSERT INTO outbox (recipient, subject, body, status, attempts, next_attempt_at, created_at)
               SELECT mb.email, $12, $13, 'pending', 0, ins.claimed_at, ins.claimed_at
               FROM ins JOIN members mb ON mb.id = ins.member_id WHERE mb.email IS NOT NULL),
         a AS (INSERT INTO outbox (recipient, subject, body, status, attempts, next_attempt_at, created_at)
               SELECT au.email, x.subject, x.body, 'pending', 0, ins.claimed_at, ins.claimed_at
               FROM ins
               JOIN (VALUES ($14::int, $15::text, $16::text), ($17::int, $18::text, $19::text))
                    AS x (slot, subject, body) ON x.slot = ins.slot
               CROSS JOIN admin_users au
               WHERE au.email IS NOT NULL AND NOT au.disabled AND au.role IN ('admin', 'operator'))
    SELECT (SELECT slot FROM ins) AS slot, (SELECT gift_seq FROM ins) AS gift_seq,
           (SELECT campaign_seq FROM ins) AS campaign_seq, EXISTS (SELECT 1 FROM k) AS open,
           (SELECT gift_n FROM n) AS gift_n, (SELECT campaign_n FROM n) AS campaign_n,
           EXISTS (SELECT 1 FROM claims WHERE request_key = $6) AS known";

/// What a counted claim statement saw: the slot it took, if any, and why not otherwise.
#[derive(QueryableByName, Default)]
struct CountedRow {
    #[diesel(sql_type = diesel::sql_types::Nullable<Integer>)]
    slot: Option<i32>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Integer>)]
    gift_seq: Option<i32>,
    #[diesel(sql_type = diesel::sql_types::Nullable<Integer>)]
    campaign_seq: Option<i32>,
    #[diesel(sql_type = diesel::sql_types::Bool)]
    open: bool,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    gift_n: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    campaign_n: i64,
    /// The request was stored before: a retry, answered with its claim whatever else changed.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    known: bool,
}

fn pg_counted(pg: &mut PgConnection, c: &CountedClaim) -> QueryResult<CountedRow> {
    let alert = |i: usize| {
        c.alerts
            .get(i)
            .map_or((0, String::new(), String::new()), |(slot, n)| (*slot as i32, n.subject.clone(), n.body.clone()))
    };
    let (a1, a2) = (alert(0), alert(1));
    let claim = &c.claim;
    Prepared::new(PG_COUNTED)
        .bind::<Text, _>(claim.id.to_string())
        .bind::<Text, _>(claim.campaign.to_string())
        .bind::<Text, _>(claim.gift.to_string())
        .bind::<Text, _>(claim.member.to_string())
        .bind::<Text, _>(claim.voucher_code.clone())
        .bind::<Text, _>(claim.request_key.clone())
        .bind::<Timestamp, _>(claim.claimed_at.naive_utc())
        .bind::<Timestamp, _>(claim.expires_at.naive_utc())
        .bind::<Integer, _>(c.released as i32)
        .bind::<diesel::sql_types::BigInt, _>(i64::from(c.gift_limit))
        .bind::<diesel::sql_types::BigInt, _>(i64::from(c.campaign_limit))
        .bind::<Text, _>(claim.confirmation.subject.clone())
        .bind::<Text, _>(claim.confirmation.body.clone())
        .bind::<Integer, _>(a1.0)
        .bind::<Text, _>(a1.1)
        .bind::<Text, _>(a1.2)
        .bind::<Integer, _>(a2.0)
        .bind::<Text, _>(a2.1)
        .bind::<Text, _>(a2.2)
        .get_result(pg)
}

/// SQLite, database-only mode: the same decisions step by step in one immediate transaction
/// (SQLite has one writer anyway).
fn sqlite_counted(lite: &mut SqliteConnection, c: &CountedClaim) -> QueryResult<CountedRow> {
    use super::schema::campaigns;
    lite.immediate_transaction(|lite| {
        let claim = &c.claim;
        let at = claim.claimed_at.naive_utc();
        let open = campaigns::table
            .filter(campaigns::id.eq(claim.campaign.to_string()))
            .filter(campaigns::state.eq("published"))
            .filter(campaigns::starts_at.le(at))
            .filter(campaigns::ends_at.gt(at))
            .count()
            .get_result::<i64>(lite)?
            > 0;
        let held: Vec<String> = claims::table
            .filter(claims::campaign_id.eq(claim.campaign.to_string()))
            .filter(claims::member_id.eq(claim.member.to_string()))
            .select(claims::gift_id)
            .load(lite)?;
        let gift_id = claim.gift.to_string();
        let gift_n = held.iter().filter(|g| **g == gift_id).count() as i64;
        let campaign_n = held.len() as i64;
        let known =
            claims::table.filter(claims::request_key.eq(&claim.request_key)).count().get_result::<i64>(lite)? > 0;
        let mut row = CountedRow { open, gift_n, campaign_n, known, ..CountedRow::default() };
        if known || !open || gift_n >= i64::from(c.gift_limit) || campaign_n >= i64::from(c.campaign_limit) {
            return Ok(row);
        }
        let slot: Option<i32> =
            diesel::update(gifts::table.find(&gift_id).filter(gifts::claimed.lt(c.released as i32)))
                .set(gifts::claimed.eq(gifts::claimed + 1))
                .returning(gifts::claimed)
                .get_result(lite)
                .optional()?;
        let Some(slot) = slot else { return Ok(row) };
        let mut new = claim.clone();
        new.slot = slot as u32;
        new.gift_seq = gift_n as u32 + 1;
        new.campaign_seq = campaign_n as u32 + 1;
        new.staff_alert = c.alerts.iter().find(|(s, _)| *s == new.slot).map(|(_, n)| n.clone());
        if sqlite_rows(lite, &new)? == 0 {
            // The claim insert re-checks the slot against the stock: a counter past it is a
            // collision to resync, never a grant.
            return Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                Box::new("claims_slot beyond the stock".to_owned()),
            ));
        }
        row.slot = Some(slot);
        row.gift_seq = Some(new.gift_seq as i32);
        row.campaign_seq = Some(new.campaign_seq as i32);
        Ok(row)
    })
}

#[derive(Clone)]
pub struct DbClaims {
    db: Database,
    batcher: Option<ClaimBatcher>,
}

impl DbClaims {
    /// Runs the PostgreSQL or the SQLite form of a write; unique violations come back as answers.
    async fn per_backend<A, T>(
        &self,
        arg: &A,
        pg: fn(&mut PgConnection, &A) -> QueryResult<T>,
        lite: fn(&mut SqliteConnection, &A) -> QueryResult<T>,
    ) -> Result<T, StoreError>
    where
        A: Clone + Send + 'static,
        T: Send + 'static,
    {
        let arg = arg.clone();
        self.db
            .run(move |conn| {
                let done = match conn {
                    DbConn::Pg(c) => pg(c, &arg),
                    DbConn::Sqlite(c) => lite(c, &arg),
                };
                done.map_err(StoreError::from)
            })
            .await
    }

    pub fn new(db: Database) -> Self {
        Self { db, batcher: None }
    }

    /// On PostgreSQL, granted claims are written in batches by `writers` threads (see
    /// [`ClaimBatcher`]); elsewhere one by one.
    pub fn batched(db: Database, writers: usize) -> Self {
        let batcher = (db.backend() == super::Backend::Postgres).then(|| ClaimBatcher::start(db.clone(), writers));
        Self { db, batcher }
    }
}

fn bind_claim(
    sql: &str,
    c: &NewClaim,
) -> impl RunQueryDsl<PgConnection>
       + RunQueryDsl<SqliteConnection>
       + diesel::query_builder::QueryFragment<diesel::pg::Pg>
       + diesel::query_builder::QueryFragment<diesel::sqlite::Sqlite>
       + diesel::query_builder::QueryId {
    diesel::sql_query(sql.to_owned())
        .bind::<Text, _>(c.id.to_string())
        .bind::<Text, _>(c.campaign.to_string())
        .bind::<Text, _>(c.gift.to_string())
        .bind::<Text, _>(c.member.to_string())
        .bind::<Integer, _>(c.slot as i32)
        .bind::<Integer, _>(c.gift_seq as i32)
        .bind::<Integer, _>(c.campaign_seq as i32)
        .bind::<Text, _>(c.voucher_code.clone())
        .bind::<Text, _>(c.request_key.clone())
        .bind::<Timestamp, _>(c.claimed_at.naive_utc())
        .bind::<Timestamp, _>(c.expires_at.naive_utc())
        .bind::<Text, _>(c.standing.consent_version.clone())
        .bind::<Text, _>(c.standing.union_codes.join(","))
        .bind::<Nullable<Timestamp>, _>(c.standing.joined_before.map(|t| t.naive_utc()))
}

/// Which rule a refused insert broke, read from the constraint (PostgreSQL) or message (SQLite).
fn classify(what: &str) -> Option<Refusal> {
    if what.contains("slot") {
        Some(Refusal::Slot)
    } else if what.contains("seq") {
        Some(Refusal::Member)
    } else if what.contains("request") {
        Some(Refusal::Replay)
    } else {
        None
    }
}

enum Refusal {
    Slot,
    Member,
    Replay,
}

type ClaimRow = (String, i32, String, String, String, String, String, NaiveDateTime, NaiveDateTime);

fn to_claim(r: ClaimRow) -> anyhow::Result<Claim> {
    Ok(Claim {
        id: r.0.parse()?,
        slot: u32::try_from(r.1)?,
        campaign: CampaignId(r.2.parse()?),
        gift: GiftId(r.3.parse()?),
        gift_name: r.4,
        voucher_code: r.5,
        status: r.6,
        claimed_at: r.7.and_utc(),
        expires_at: r.8.and_utc(),
    })
}

impl DbClaims {
    async fn find(&self, filter: ClaimFilter) -> anyhow::Result<Vec<Claim>> {
        let rows: Vec<ClaimRow> = self
            .db
            .run(move |conn| {
                let query = claims::table
                    .inner_join(gifts::table.on(gifts::id.eq(claims::gift_id)))
                    .select((
                        claims::id,
                        claims::slot,
                        claims::campaign_id,
                        claims::gift_id,
                        gifts::name,
                        claims::voucher_code,
                        claims::status,
                        claims::claimed_at,
                        claims::expires_at,
                    ))
                    .order(claims::claimed_at.desc())
                    .into_boxed();
                let query = match filter {
                    ClaimFilter::Request(key) => query.filter(claims::request_key.eq(key)),
                    ClaimFilter::Member(m) => query.filter(claims::member_id.eq(m)),
                };
                Ok::<_, anyhow::Error>(query.limit(500).load(conn)?)
            })
            .await?;
        rows.into_iter().map(to_claim).collect()
    }
}

enum ClaimFilter {
    Request(String),
    Member(String),
}

impl ClaimStore for DbClaims {
    async fn insert(&self, claim: &NewClaim) -> anyhow::Result<Inserted> {
        if let Some(batcher) = &self.batcher {
            if batcher.insert(claim.clone()).await? {
                return Ok(Inserted::Done);
            }
        }
        let outcome = self.per_backend(claim, pg_insert, sqlite_insert).await;
        // A retried request trips over its own slot first: look for it before blaming the gate.
        if let Err(StoreError::UniqueViolation(_)) = &outcome {
            if let Some(previous) = self.find_by_request(&claim.request_key).await? {
                return Ok(Inserted::Replay(previous));
            }
        }
        match outcome {
            Ok(1) => Ok(Inserted::Done),
            // Nothing inserted: the campaign closed meanwhile, the slot is beyond the stock, or a
            // sequence is beyond a limit.
            Ok(_) => {
                let state = self.gift_state(claim).await?;
                Ok(if !state.open {
                    Inserted::Closed
                } else if claim.slot > state.stock {
                    Inserted::SlotTaken
                } else if claim.gift_seq > state.gift_limit || claim.campaign_seq > state.campaign_limit {
                    Inserted::MemberLimit
                } else {
                    Inserted::OutOfStanding
                })
            }
            Err(StoreError::UniqueViolation(what)) => match classify(&what) {
                Some(Refusal::Slot) => Ok(Inserted::SlotTaken),
                Some(Refusal::Member) => Ok(Inserted::MemberLimit),
                Some(Refusal::Replay) => {
                    let previous = self.find_by_request(&claim.request_key).await?;
                    previous.map(Inserted::Replay).ok_or_else(|| anyhow::anyhow!("replayed claim vanished"))
                }
                None => Err(anyhow::anyhow!("claim refused by {what}")),
            },
            Err(StoreError::Other(e)) => Err(e),
        }
    }

    async fn insert_counted(&self, counted: &CountedClaim) -> anyhow::Result<Counted> {
        let outcome = self.per_backend(counted, pg_counted, sqlite_counted).await;
        let refused = match outcome {
            Ok(CountedRow { slot: Some(slot), gift_seq: Some(g), campaign_seq: Some(c), .. }) => {
                let at = GrantedSlot {
                    slot: u32::try_from(slot)?,
                    gift_seq: u32::try_from(g)?,
                    campaign_seq: u32::try_from(c)?,
                };
                return Ok(Counted::Done(at));
            }
            Ok(CountedRow { known: true, .. }) => String::from("claims_request"),
            Ok(row) => {
                return Ok(if !row.open {
                    Counted::Closed
                } else if row.gift_n >= i64::from(counted.gift_limit)
                    || row.campaign_n >= i64::from(counted.campaign_limit)
                {
                    Counted::LimitReached
                } else {
                    Counted::SoldOut
                })
            }
            Err(StoreError::UniqueViolation(what)) => what,
            Err(StoreError::Other(e)) => return Err(e),
        };
        if let Some(previous) = self.find_by_request(&counted.claim.request_key).await? {
            return Ok(Counted::Replay(previous));
        }
        match classify(&refused) {
            Some(Refusal::Slot) => Ok(Counted::SlotTaken),
            // Two claims of one member raced past the same count: the later one is over the limit.
            Some(Refusal::Member) => Ok(Counted::LimitReached),
            Some(Refusal::Replay) => Err(anyhow::anyhow!("replayed claim vanished")),
            None => Err(anyhow::anyhow!("claim refused by {refused}")),
        }
    }

    async fn find_by_request(&self, request_key: &str) -> anyhow::Result<Option<Claim>> {
        Ok(self.find(ClaimFilter::Request(request_key.to_owned())).await?.into_iter().next())
    }

    async fn of_member(&self, member: MemberId) -> anyhow::Result<Vec<Claim>> {
        self.find(ClaimFilter::Member(member.to_string())).await
    }

    async fn usage(&self, gift: GiftId) -> anyhow::Result<GiftUsage> {
        let id = gift.to_string();
        let rows: Vec<(i32, String, String, i32, i32)> = self
            .db
            .run(move |conn| {
                Ok::<_, anyhow::Error>(
                    claims::table
                        .filter(claims::gift_id.eq(id))
                        .filter(claims::status.ne("voided"))
                        .select((
                            claims::slot,
                            claims::member_id,
                            claims::request_key,
                            claims::gift_seq,
                            claims::campaign_seq,
                        ))
                        .load(conn)?,
                )
            })
            .await?;
        let mut usage = GiftUsage::default();
        let mut per_member = std::collections::HashMap::<String, u32>::new();
        for (slot, member, request, gift_seq, campaign_seq) in rows {
            let slot = u32::try_from(slot)?;
            usage.used_slots.push(slot);
            *per_member.entry(member).or_default() += 1;
            let granted =
                GrantedSlot { slot, gift_seq: u32::try_from(gift_seq)?, campaign_seq: u32::try_from(campaign_seq)? };
            usage.requests.push((request, granted));
        }
        for (member, n) in per_member {
            usage.per_member.push((MemberId(member.parse()?), n));
        }
        Ok(usage)
    }

    async fn campaign_counts(&self, campaign: CampaignId) -> anyhow::Result<Vec<(MemberId, u32)>> {
        let id = campaign.to_string();
        let rows: Vec<(String, i64)> = self
            .db
            .run(move |conn| {
                Ok::<_, anyhow::Error>(
                    claims::table
                        .filter(claims::campaign_id.eq(id))
                        .filter(claims::status.ne("voided"))
                        .group_by(claims::member_id)
                        .select((claims::member_id, diesel::dsl::count_star()))
                        .load(conn)?,
                )
            })
            .await?;
        rows.into_iter().map(|(m, n)| Ok((MemberId(m.parse()?), u32::try_from(n)?))).collect()
    }
}

impl DbClaims {
    /// The gift's stock and limits, and whether its campaign takes claims at the claim's time.
    async fn gift_state(&self, claim: &NewClaim) -> anyhow::Result<GiftState> {
        use super::schema::campaigns;
        let (gift, at) = (claim.gift.to_string(), claim.claimed_at.naive_utc());
        let (stock, gift_limit, campaign_limit, state, starts, ends): (
            i32,
            i32,
            i32,
            String,
            NaiveDateTime,
            NaiveDateTime,
        ) = self
            .db
            .run(move |conn| {
                Ok::<_, anyhow::Error>(
                    gifts::table
                        .inner_join(campaigns::table.on(campaigns::id.eq(gifts::campaign_id)))
                        .filter(gifts::id.eq(gift))
                        .select((
                            gifts::stock,
                            gifts::per_member_limit,
                            campaigns::per_member_limit,
                            campaigns::state,
                            campaigns::starts_at,
                            campaigns::ends_at,
                        ))
                        .first(conn)?,
                )
            })
            .await?;
        Ok(GiftState {
            stock: u32::try_from(stock)?,
            gift_limit: u32::try_from(gift_limit)?,
            campaign_limit: u32::try_from(campaign_limit)?,
            open: state == "published" && starts <= at && at < ends,
        })
    }
}

struct GiftState {
    stock: u32,
    gift_limit: u32,
    campaign_limit: u32,
    open: bool,
}

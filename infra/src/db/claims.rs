//! Claims with their vouchers and ledger rows. A granted claim costs one round trip on PostgreSQL:
//! a single statement checks the slot and sequences against the gift, inserts the claim and its
//! ledger row, and lets the unique constraints answer races.

use chrono::NaiveDateTime;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text, Timestamp};
use diesel::sqlite::SqliteConnection;

use super::error::StoreError;
use super::schema::{claims, gifts};
use super::{Database, DbConn};
use domain::campaigns::ports::{Claim, ClaimStore, GiftUsage, GrantedSlot, Inserted, NewClaim, Notice};
use domain::campaigns::{CampaignId, GiftId};
use domain::members::MemberId;

const INSERT_CLAIM: &str = "
    INSERT INTO claims (id, campaign_id, gift_id, member_id, slot, gift_seq, campaign_seq, voucher_code,
                        request_key, status, claimed_at, expires_at)
    SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, 'issued', $10, $11
    FROM gifts g JOIN campaigns k ON k.id = g.campaign_id
    WHERE g.id = $3 AND $5 <= g.stock AND $6 <= g.per_member_limit AND $7 <= k.per_member_limit
      AND k.state = 'published' AND k.starts_at <= $10 AND $10 < k.ends_at";

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
fn pg_insert(pg: &mut PgConnection, c: &NewClaim) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Inserted {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let sql = format!(
        "WITH c AS ({INSERT_CLAIM} RETURNING id, gift_id, member_id, claimed_at),
         l AS (INSERT INTO ledger (campaign_id, gift_id, claim_id, kind, amount_fen, funder, at)
               SELECT g.campaign_id, g.id, c.id, 'claim', g.unit_cost_fen, g.funder, c.claimed_at
               FROM c JOIN gifts g ON g.id = c.gift_id),
         m AS (INSERT INTO outbox (recipient, subject, body, status, attempts, next_attempt_at, created_at)
               SELECT mb.email, $12, $13, 'pending', 0, c.claimed_at, c.claimed_at
               FROM c JOIN members mb ON mb.id = c.member_id WHERE mb.email IS NOT NULL),
         a AS (INSERT INTO outbox (recipient, subject, body, status, attempts, next_attempt_at, created_at)
               SELECT u.email, $14, $15, 'pending', 0, c.claimed_at, c.claimed_at
               FROM c CROSS JOIN admin_users u
               WHERE $16 AND u.email IS NOT NULL AND NOT u.disabled AND u.role IN ('admin', 'operator'))
         SELECT count(*) AS n FROM c"
    );
    let alert = c.staff_alert.clone().unwrap_or(Notice { subject: String::new(), body: String::new() });
    diesel::sql_query(sql)
        .bind::<Text, _>(c.id.to_string())
        .bind::<Text, _>(c.campaign.to_string())
        .bind::<Text, _>(c.gift.to_string())
        .bind::<Text, _>(c.member.to_string())
        .bind::<Integer, _>(c.slot as i32)
        .bind::<Integer, _>(c.gift_seq as i32)
        .bind::<Integer, _>(c.campaign_seq as i32)
        .bind::<Text, _>(&c.voucher_code)
        .bind::<Text, _>(&c.request_key)
        .bind::<Timestamp, _>(c.claimed_at.naive_utc())
        .bind::<Timestamp, _>(c.expires_at.naive_utc())
        .bind::<Text, _>(&c.confirmation.subject)
        .bind::<Text, _>(&c.confirmation.body)
        .bind::<Text, _>(alert.subject)
        .bind::<Text, _>(alert.body)
        .bind::<diesel::sql_types::Bool, _>(c.staff_alert.is_some())
        .get_result::<Inserted>(pg)
        .map(|r| r.n)
}

/// SQLite: the same rows, statement by statement, in one immediate transaction.
fn sqlite_insert(lite: &mut SqliteConnection, c: &NewClaim) -> QueryResult<i64> {
    lite.immediate_transaction(|lite| {
        let n = bind_claim(INSERT_CLAIM, c).execute(lite)?;
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
    })
}

#[derive(Clone)]
pub struct DbClaims(pub Database);

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
            .0
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
        let c = claim.clone();
        let outcome = self
            .0
            .run(move |conn| {
                let inserted = match conn {
                    DbConn::Pg(pg) => pg_insert(pg, &c),
                    DbConn::Sqlite(lite) => sqlite_insert(lite, &c),
                };
                inserted.map_err(StoreError::from)
            })
            .await;
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
                let (stock, open) = self.gift_state(claim).await?;
                Ok(if !open {
                    Inserted::Closed
                } else if claim.slot > stock {
                    Inserted::SlotTaken
                } else {
                    Inserted::MemberLimit
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

    async fn find_by_request(&self, request_key: &str) -> anyhow::Result<Option<Claim>> {
        Ok(self.find(ClaimFilter::Request(request_key.to_owned())).await?.into_iter().next())
    }

    async fn of_member(&self, member: MemberId) -> anyhow::Result<Vec<Claim>> {
        self.find(ClaimFilter::Member(member.to_string())).await
    }

    async fn usage(&self, gift: GiftId) -> anyhow::Result<GiftUsage> {
        let id = gift.to_string();
        let rows: Vec<(i32, String, String, i32, i32)> = self
            .0
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
            .0
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
    /// The gift's stock, and whether its campaign takes claims at the claim's time.
    async fn gift_state(&self, claim: &NewClaim) -> anyhow::Result<(u32, bool)> {
        use super::schema::campaigns;
        let (gift, at) = (claim.gift.to_string(), claim.claimed_at.naive_utc());
        let (stock, state, starts, ends): (i32, String, NaiveDateTime, NaiveDateTime) = self
            .0
            .run(move |conn| {
                Ok::<_, anyhow::Error>(
                    gifts::table
                        .inner_join(campaigns::table.on(campaigns::id.eq(gifts::campaign_id)))
                        .filter(gifts::id.eq(gift))
                        .select((gifts::stock, campaigns::state, campaigns::starts_at, campaigns::ends_at))
                        .first(conn)?,
                )
            })
            .await?;
        Ok((u32::try_from(stock)?, state == "published" && starts <= at && at < ends))
    }
}

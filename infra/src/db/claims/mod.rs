//! Claims with their vouchers and ledger rows. A granted claim costs one statement on PostgreSQL
//! (under load, one for all the claims waiting: see `claim_batch`), which checks the slot and
//! sequences against the gift, inserts the claim and its ledger row, and lets the unique
//! constraints answer races.

mod batch;
mod counted;
mod pages;
mod single;
pub(in crate::db) mod sql;

use chrono::NaiveDateTime;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;

use self::batch::ClaimBatcher;
use self::counted::{pg_counted, sqlite_counted, CountedRow};
use self::pages::{PageReader, PageRequest};
use self::single::{pg_insert, sqlite_insert};
use super::error::StoreError;
use super::schema::{claims, gifts};
use super::{Database, DbConn};
use domain::campaigns::model::{CampaignState, ClaimStatus};
use domain::campaigns::ports::{Claim, ClaimStore, Counted, CountedClaim, GiftUsage, GrantedSlot, Inserted, NewClaim};
use domain::campaigns::{CampaignId, GiftId};
use domain::members::MemberId;

#[derive(Clone)]
pub struct DbClaims {
    db: Database,
    batcher: Option<ClaimBatcher>,
    pages: PageReader,
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
        let pages = PageReader::start(db.clone(), PAGE_READERS);
        Self { db, batcher: None, pages }
    }

    /// Granted claims are written in batches (see [`ClaimBatcher`]) by `writers` threads on
    /// PostgreSQL, by one on SQLite: it has one writer at a time, and a second would only wait
    /// out the busy timeout's sleeps.
    pub fn batched(db: Database, writers: usize) -> Self {
        let writers = if db.backend() == super::Backend::Postgres { writers } else { 1 };
        let batcher = Some(ClaimBatcher::start(db.clone(), writers));
        let pages = PageReader::start(db.clone(), PAGE_READERS);
        Self { db, batcher, pages }
    }
}

/// Threads reading members' voucher pages (see [`PageReader`]): two keep a read going while
/// the other's answers are handed out.
const PAGE_READERS: usize = 2;

/// Which rule a refused insert broke, by the constraint's exact name.
fn classify(constraint: &str) -> Option<Refusal> {
    match constraint {
        "claims_slot" => Some(Refusal::Slot),
        "claims_gift_seq" | "claims_campaign_seq" => Some(Refusal::Member),
        "claims_request" => Some(Refusal::Replay),
        _ => None,
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
        status: ClaimStatus::parse(&r.6).ok_or_else(|| anyhow::anyhow!("claim has unknown status {}", r.6))?,
        claimed_at: r.7.and_utc(),
        expires_at: r.8.and_utc(),
    })
}

impl DbClaims {
    async fn find(&self, request_key: String) -> anyhow::Result<Option<Claim>> {
        let row: Option<ClaimRow> = self
            .db
            .run(move |conn| {
                let query = claims::table
                    .inner_join(gifts::table.on(gifts::id.eq(claims::gift_id)))
                    .select(CLAIM_COLUMNS)
                    .filter(claims::request_key.eq(request_key));
                Ok::<_, anyhow::Error>(query.first(conn).optional()?)
            })
            .await?;
        row.map(to_claim).transpose()
    }
}

/// What a claim reads as, its gift's name included.
const CLAIM_COLUMNS: (
    claims::id,
    claims::slot,
    claims::campaign_id,
    claims::gift_id,
    gifts::name,
    claims::voucher_code,
    claims::status,
    claims::claimed_at,
    claims::expires_at,
) = (
    claims::id,
    claims::slot,
    claims::campaign_id,
    claims::gift_id,
    gifts::name,
    claims::voucher_code,
    claims::status,
    claims::claimed_at,
    claims::expires_at,
);

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
                } else if !row.standing {
                    Counted::OutOfStanding
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
            // Two claims of one member counted the same claims: the later one counts again, and
            // only that count can say whether the limit is reached.
            Some(Refusal::Member) => Ok(Counted::Raced),
            Some(Refusal::Replay) => Err(anyhow::anyhow!("replayed claim vanished")),
            None => Err(anyhow::anyhow!("claim refused by {refused}")),
        }
    }

    async fn find_by_request(&self, request_key: &str) -> anyhow::Result<Option<Claim>> {
        self.find(request_key.to_owned()).await
    }

    async fn member_page(
        &self,
        member: MemberId,
        limit: u16,
        before: Option<uuid::Uuid>,
    ) -> anyhow::Result<Vec<Claim>> {
        // The first page is below the greatest id (a UUIDv7's leading timestamp makes it year
        // 10889), so every page has the same shape. Ids are time-ordered and (member_id, id) is
        // the index: newest first.
        let page = PageRequest {
            member: member.to_string(),
            before: before.unwrap_or(uuid::Uuid::max()).to_string(),
            take: i32::from(limit) + 1,
        };
        self.pages.page(page).await?.into_iter().map(to_claim).collect()
    }

    async fn member_counts(&self, member: MemberId) -> anyhow::Result<Vec<(CampaignId, u32)>> {
        let member = member.to_string();
        let rows: Vec<(String, i64)> = self
            .db
            .run(move |conn| {
                Ok::<_, anyhow::Error>(
                    claims::table
                        .filter(claims::member_id.eq(member))
                        .filter(claims::status.ne(ClaimStatus::Voided.as_str()))
                        .group_by(claims::campaign_id)
                        .select((claims::campaign_id, diesel::dsl::count_star()))
                        .load(conn)?,
                )
            })
            .await?;
        rows.into_iter().map(|(campaign, n)| Ok((campaign.parse()?, u32::try_from(n)?))).collect()
    }

    async fn usage(&self, gift: GiftId) -> anyhow::Result<GiftUsage> {
        let id = gift.to_string();
        let rows: Vec<(i32, String, String, i32, i32)> = self
            .db
            .run(move |conn| {
                Ok::<_, anyhow::Error>(
                    claims::table
                        .filter(claims::gift_id.eq(id))
                        .filter(claims::status.ne(ClaimStatus::Voided.as_str()))
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
                        .filter(claims::status.ne(ClaimStatus::Voided.as_str()))
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
            open: state == CampaignState::Published.as_str() && starts <= at && at < ends,
        })
    }
}

struct GiftState {
    stock: u32,
    gift_limit: u32,
    campaign_limit: u32,
    open: bool,
}

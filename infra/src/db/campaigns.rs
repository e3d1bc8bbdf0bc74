//! Campaigns and gifts.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;

use super::schema::{campaigns, claims, gifts, union_nodes};
use super::unions::subtree_range;
use super::{audit, Database, DbConn};
use domain::admin::NewAuditEntry;
use domain::campaigns::model::{ClaimStatus, Release};
use domain::campaigns::ports::{CampaignRepository, Definition, Publishing, StockChange};
use domain::campaigns::report::CampaignReport;
use domain::campaigns::{Campaign, CampaignId, CampaignState, Eligibility, Gift, GiftId, Holiday, Window};
use domain::shared::money::Fen;
use domain::unions::{NodePath, Scope, UnionCode};

#[derive(Queryable, Insertable)]
#[diesel(table_name = campaigns)]
struct CampaignRow {
    id: String,
    title: String,
    holiday: String,
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
    per_member_limit: i32,
    budget_fen: i64,
    union_codes: String,
    state: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    joined_before: Option<NaiveDate>,
    cardholders_only: bool,
    scope_code: Option<String>,
}

#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = gifts)]
struct GiftRow {
    id: String,
    campaign_id: String,
    name: String,
    unit_cost_fen: i64,
    stock: i32,
    per_member_limit: i32,
    valid_until: NaiveDate,
    funder: String,
    created_at: NaiveDateTime,
    release_plan: String,
}

impl CampaignRow {
    /// The campaign, its part of the tree found in `paths` (code → path as the tree stands).
    fn campaign(self, paths: &HashMap<String, String>) -> anyhow::Result<Campaign> {
        let r = self;
        let within = r
            .scope_code
            .map(|code| {
                let path =
                    paths.get(&code).ok_or_else(|| anyhow::anyhow!("campaign {} is for unknown union {code}", r.id))?;
                Ok::<_, anyhow::Error>(Scope { path: NodePath::stored(path.clone()), code: UnionCode::stored(code) })
            })
            .transpose()?;
        Ok(Campaign {
            id: CampaignId(r.id.parse()?),
            title: r.title,
            holiday: Holiday::parse(&r.holiday).ok_or_else(|| anyhow::anyhow!("bad holiday {}", r.holiday))?,
            window: Window::new(r.starts_at.and_utc(), r.ends_at.and_utc())?,
            per_member_limit: u32::try_from(r.per_member_limit)?,
            budget: Fen::new(r.budget_fen),
            eligibility: Eligibility {
                union_codes: r.union_codes.split(',').filter(|c| !c.is_empty()).map(str::to_owned).collect(),
                joined_before: r.joined_before,
                cardholders_only: r.cardholders_only,
                within,
            },
            state: r.state.parse().map_err(|_| anyhow::anyhow!("bad state {}", r.state))?,
            created_at: r.created_at.and_utc(),
        })
    }
}

impl TryFrom<GiftRow> for Gift {
    type Error = anyhow::Error;
    fn try_from(r: GiftRow) -> anyhow::Result<Self> {
        Ok(Gift {
            id: GiftId(r.id.parse()?),
            campaign_id: CampaignId(r.campaign_id.parse()?),
            name: r.name,
            unit_cost: Fen::new(r.unit_cost_fen),
            stock: u32::try_from(r.stock)?,
            per_member_limit: u32::try_from(r.per_member_limit)?,
            valid_until: r.valid_until,
            funder: r.funder.parse().map_err(|_| anyhow::anyhow!("bad funder {}", r.funder))?,
            release: if r.release_plan.is_empty() {
                Release::default()
            } else {
                serde_json::from_str(&r.release_plan)?
            },
        })
    }
}

#[derive(Clone)]
pub struct DbCampaigns(pub Database);

/// Takes the campaign row's lock for the rest of the transaction and reads its state and budget
/// as they are under it. On PostgreSQL `FOR UPDATE`, the one lock that waits for the claims in
/// flight (each holds `FOR KEY SHARE` on its campaign, see `claims::sql`), so a state change and
/// a claim are ordered. On SQLite the transaction holds the one write lock from its start
/// ([`Database::transaction`]): nothing commits between this read and the writes.
fn lock_campaign(conn: &mut DbConn, id: &str) -> QueryResult<Option<(CampaignState, i64)>> {
    let row = campaigns::table.find(id).select((campaigns::state, campaigns::budget_fen));
    let found: Option<(String, i64)> = match conn {
        DbConn::Pg(pg) => row.for_update().first(pg).optional()?,
        DbConn::Sqlite(lite) => row.first(lite).optional()?,
    };
    found
        .map(|(state, budget)| {
            let state = state.parse().map_err(|_| {
                diesel::result::Error::DeserializationError(format!("campaign {id} has unknown state {state}").into())
            })?;
            Ok((state, budget))
        })
        .transpose()
}

/// What the campaign's gifts cost at full stock, with `(gift, stock)` in place of its stored
/// stock; `None` past what an `i64` holds.
fn full_cost(conn: &mut DbConn, campaign: &str, with: Option<(&str, i32)>) -> QueryResult<Option<i64>> {
    let all: Vec<(String, i32, i64)> = gifts::table
        .filter(gifts::campaign_id.eq(campaign))
        .select((gifts::id, gifts::stock, gifts::unit_cost_fen))
        .load(conn)?;
    Ok(all.iter().try_fold(0i64, |sum, (gid, old, unit)| {
        let units = with.filter(|(g, _)| g == gid).map_or(*old, |(_, stock)| stock);
        sum.checked_add(i64::from(units).checked_mul(*unit)?)
    }))
}

type Loaded = Vec<(Campaign, Vec<Gift>)>;

/// Campaign rows with their gifts and the paths of the unions they are for, as read in one go.
type Rows = (Vec<CampaignRow>, Vec<GiftRow>, HashMap<String, String>);

/// The gifts of `rows` and where in the tree their campaigns' unions stand now (a moved subtree
/// takes its campaigns along).
fn around(conn: &mut DbConn, rows: Vec<CampaignRow>) -> QueryResult<Rows> {
    let ids: Vec<&String> = rows.iter().map(|r| &r.id).collect();
    let gift_rows: Vec<GiftRow> =
        gifts::table.filter(gifts::campaign_id.eq_any(ids)).select(GiftRow::as_select()).load(conn)?;
    let codes: Vec<&String> = rows.iter().filter_map(|r| r.scope_code.as_ref()).collect();
    let paths = if codes.is_empty() {
        HashMap::new()
    } else {
        union_nodes::table
            .filter(union_nodes::code.eq_any(codes))
            .select((union_nodes::code, union_nodes::path))
            .load::<(String, String)>(conn)?
            .into_iter()
            .collect()
    };
    Ok((rows, gift_rows, paths))
}

fn assemble((rows, gift_rows, paths): Rows) -> anyhow::Result<Loaded> {
    let mut gifts: Vec<Gift> = gift_rows.into_iter().map(Gift::try_from).collect::<anyhow::Result<_>>()?;
    gifts.sort_by_key(|g| g.id);
    rows.into_iter()
        .map(|r| {
            let c = r.campaign(&paths)?;
            let mine = gifts.iter().filter(|g| g.campaign_id == c.id).cloned().collect();
            Ok((c, mine))
        })
        .collect()
}

impl CampaignRepository for DbCampaigns {
    async fn insert_campaign(&self, c: &Campaign, entry: NewAuditEntry) -> anyhow::Result<()> {
        let row = CampaignRow {
            id: c.id.to_string(),
            title: c.title.clone(),
            holiday: c.holiday.code().to_owned(),
            starts_at: c.window.starts_at().naive_utc(),
            ends_at: c.window.ends_at().naive_utc(),
            per_member_limit: i32::try_from(c.per_member_limit)?,
            budget_fen: c.budget.get(),
            union_codes: c.eligibility.union_codes.join(","),
            state: c.state.as_str().to_owned(),
            created_at: c.created_at.naive_utc(),
            updated_at: c.created_at.naive_utc(),
            joined_before: c.eligibility.joined_before,
            cardholders_only: c.eligibility.cardholders_only,
            scope_code: c.eligibility.within.as_ref().map(|s| s.code.to_string()),
        };
        self.0
            .transaction(move |conn| {
                diesel::insert_into(campaigns::table).values(&row).execute(conn)?;
                audit::append(conn, entry)?;
                Ok::<_, anyhow::Error>(())
            })
            .await
    }

    async fn insert_gift(&self, g: &Gift, entry: NewAuditEntry) -> anyhow::Result<bool> {
        let row = GiftRow {
            id: g.id.to_string(),
            campaign_id: g.campaign_id.to_string(),
            name: g.name.clone(),
            unit_cost_fen: g.unit_cost.get(),
            stock: i32::try_from(g.stock)?,
            per_member_limit: i32::try_from(g.per_member_limit)?,
            valid_until: g.valid_until,
            funder: g.funder.as_str().to_owned(),
            created_at: entry.at.naive_utc(),
            release_plan: if g.release.is_empty() { String::new() } else { serde_json::to_string(&g.release)? },
        };
        self.0
            .transaction(move |conn| {
                if lock_campaign(conn, &row.campaign_id)?.map(|(state, _)| state) != Some(CampaignState::Draft) {
                    return Ok(false);
                }
                diesel::insert_into(gifts::table).values(&row).execute(conn)?;
                audit::append(conn, entry)?;
                Ok::<_, anyhow::Error>(true)
            })
            .await
    }

    async fn get(&self, id: CampaignId) -> anyhow::Result<Option<Definition>> {
        let id = id.to_string();
        let found = self
            .0
            .run(move |conn| {
                let rows: Vec<CampaignRow> = campaigns::table.filter(campaigns::id.eq(&id)).load(conn)?;
                Ok::<_, anyhow::Error>(around(conn, rows)?)
            })
            .await?;
        Ok(assemble(found)?.into_iter().next().map(Arc::new))
    }

    async fn list(&self, published_only: bool, under: Option<&NodePath>) -> anyhow::Result<Loaded> {
        let under = under.map(|p| subtree_range(p.as_str()));
        let found = self
            .0
            .run(move |conn| {
                let mut query = campaigns::table.order(campaigns::starts_at.desc()).limit(200).into_boxed();
                if published_only {
                    query = query.filter(campaigns::state.eq(CampaignState::Published.as_str()));
                }
                if let Some((lo, hi)) = under {
                    let inside = union_nodes::table
                        .filter(union_nodes::path.ge(lo))
                        .filter(union_nodes::path.lt(hi))
                        .select(union_nodes::code.nullable());
                    query = query.filter(campaigns::scope_code.eq_any(inside));
                }
                let rows: Vec<CampaignRow> = query.load(conn)?;
                Ok::<_, anyhow::Error>(around(conn, rows)?)
            })
            .await?;
        assemble(found)
    }

    async fn publish(&self, id: CampaignId, entry: NewAuditEntry) -> anyhow::Result<Publishing> {
        let id = id.to_string();
        self.0
            .transaction(move |conn| {
                let Some((CampaignState::Draft, budget)) = lock_campaign(conn, &id)? else {
                    return Ok(Publishing::NotDraft);
                };
                let gifts: i64 = gifts::table.filter(gifts::campaign_id.eq(&id)).count().get_result(conn)?;
                if gifts == 0 {
                    return Ok(Publishing::NoGifts);
                }
                match full_cost(conn, &id, None)? {
                    Some(needed) if needed <= budget => {}
                    needed => return Ok(Publishing::OverBudget { needed, budget }),
                }
                diesel::update(campaigns::table.find(&id))
                    .set((
                        campaigns::state.eq(CampaignState::Published.as_str()),
                        campaigns::updated_at.eq(entry.at.naive_utc()),
                    ))
                    .execute(conn)?;
                audit::append(conn, entry)?;
                Ok::<_, anyhow::Error>(Publishing::Published)
            })
            .await
    }

    async fn raise_budget(
        &self,
        id: CampaignId,
        budget: Fen,
        seen: Option<Fen>,
        entry: NewAuditEntry,
    ) -> anyhow::Result<bool> {
        let (id, budget) = (id.to_string(), budget.get());
        self.0
            .transaction(move |conn| {
                // The filter is the rule: a budget never drops below what was granted against it,
                // and a form that saw another budget changes nothing.
                // (Without `seen`, the budget as it is: the filter then only keeps it from dropping.)
                let target = campaigns::table.find(id).filter(campaigns::budget_fen.le(budget));
                let set = (campaigns::budget_fen.eq(budget), campaigns::updated_at.eq(entry.at.naive_utc()));
                let raised = match seen {
                    Some(seen) => {
                        diesel::update(target.filter(campaigns::budget_fen.eq(seen.get()))).set(set).execute(conn)?
                    }
                    None => diesel::update(target).set(set).execute(conn)?,
                };
                if raised == 1 {
                    audit::append(conn, entry)?;
                }
                Ok::<_, anyhow::Error>(raised == 1)
            })
            .await
    }

    async fn cancel(&self, id: CampaignId, entry: NewAuditEntry) -> anyhow::Result<Option<u64>> {
        let id = id.to_string();
        self.0
            .transaction(move |conn| {
                let now = entry.at.naive_utc();
                // Under the row's lock: a second cancel waits for the first to commit, then finds
                // it cancelled; the claims in flight commit first, and later ones find it cancelled.
                match lock_campaign(conn, &id)? {
                    None | Some((CampaignState::Cancelled, _)) => return Ok(None),
                    Some(_) => {}
                }
                diesel::update(campaigns::table.find(&id))
                    .set((campaigns::state.eq(CampaignState::Cancelled.as_str()), campaigns::updated_at.eq(now)))
                    .execute(conn)?;
                let voided = match conn {
                    // A voucher redeemed at this moment keeps its row out of both: the void row
                    // is written for exactly the claims this statement voided.
                    DbConn::Pg(_) => diesel::sql_query(
                        "WITH v AS (UPDATE claims SET status = 'voided' WHERE campaign_id = $2 AND status = 'issued'
                                    RETURNING id, gift_id, campaign_id)
                         INSERT INTO ledger (campaign_id, gift_id, claim_id, kind, amount_fen, funder, at)
                         SELECT v.campaign_id, v.gift_id, v.id, 'void', -g.unit_cost_fen, g.funder, $1
                         FROM v JOIN gifts g ON g.id = v.gift_id",
                    )
                    .bind::<diesel::sql_types::Timestamp, _>(now)
                    .bind::<diesel::sql_types::Text, _>(&id)
                    .execute(conn)?,
                    // One writer: nothing redeems between the two statements.
                    DbConn::Sqlite(_) => {
                        let voided = diesel::sql_query(
                            "INSERT INTO ledger (campaign_id, gift_id, claim_id, kind, amount_fen, funder, at)
                             SELECT c.campaign_id, c.gift_id, c.id, 'void', -g.unit_cost_fen, g.funder, $1
                             FROM claims c JOIN gifts g ON g.id = c.gift_id
                             WHERE c.campaign_id = $2 AND c.status = 'issued'",
                        )
                        .bind::<diesel::sql_types::Timestamp, _>(now)
                        .bind::<diesel::sql_types::Text, _>(&id)
                        .execute(conn)?;
                        diesel::update(
                            claims::table
                                .filter(claims::campaign_id.eq(&id))
                                .filter(claims::status.eq(ClaimStatus::Issued.as_str())),
                        )
                        .set(claims::status.eq(ClaimStatus::Voided.as_str()))
                        .execute(conn)?;
                        voided
                    }
                };
                audit::append(conn, entry)?;
                Ok::<_, anyhow::Error>(Some(voided as u64))
            })
            .await
    }

    async fn report(&self, id: CampaignId, now: chrono::DateTime<chrono::Utc>) -> anyhow::Result<CampaignReport> {
        let id = id.to_string();
        self.0
            .snapshot(move |conn| {
                let budget: i64 = campaigns::table.find(&id).select(campaigns::budget_fen).first(conn)?;
                super::reports::campaign_report(conn, &id, budget, now.naive_utc())
            })
            .await
    }

    async fn record(&self, entry: NewAuditEntry) -> anyhow::Result<()> {
        self.0.transaction(move |conn| Ok::<_, anyhow::Error>(audit::append(conn, entry)?)).await
    }

    async fn raise_stock(
        &self,
        gift: GiftId,
        stock: u32,
        seen: Option<u32>,
        entry: NewAuditEntry,
    ) -> anyhow::Result<StockChange> {
        let (id, stock) = (gift.to_string(), i32::try_from(stock)?);
        self.0
            .transaction(move |conn| {
                let campaign: String = gifts::table.find(&id).select(gifts::campaign_id).first(conn)?;
                // Under the campaign's lock, so two raises of its gifts cannot both pass the
                // budget on the sum they each saw.
                let (_, budget) = lock_campaign(conn, &campaign)?.ok_or(diesel::result::Error::NotFound)?;
                if let Some(seen) = seen {
                    let now: i32 = gifts::table.find(&id).select(gifts::stock).first(conn)?;
                    if i64::from(now) != i64::from(seen) {
                        return Ok(StockChange::Changed { stock: u32::try_from(now).unwrap_or_default() });
                    }
                }
                match full_cost(conn, &campaign, Some((&id, stock)))? {
                    Some(needed) if needed <= budget => {}
                    other => return Ok(StockChange::OverBudget { needed: other.unwrap_or(i64::MAX), budget }),
                }
                // The filter is the rule: stock never drops, whatever two staff do at once.
                let n = diesel::update(gifts::table.find(&id).filter(gifts::stock.le(stock)))
                    .set(gifts::stock.eq(stock))
                    .execute(conn)?;
                if n == 0 {
                    return Ok(StockChange::Decrease);
                }
                audit::append(conn, entry)?;
                Ok::<_, anyhow::Error>(StockChange::Raised)
            })
            .await
    }
}

use chrono::{DateTime, NaiveDate, Utc};
use std::future::Future;

use super::error::{CampaignError, ClaimError};
use super::model::*;
use super::ports::*;
use super::voucher;
use super::window::Window;
use crate::admin::{Actor, NewAuditEntry};
use crate::members::{MemberId, Profile};
use crate::shared::money::Fen;
use crate::shared::Clock;

#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub title: String,
    pub holiday: Holiday,
    pub window: Window,
    pub per_member_limit: u32,
    pub budget: Fen,
    pub eligibility: Eligibility,
}

#[derive(Debug, Clone)]
pub struct NewGift {
    pub release: Release,
    pub name: String,
    pub unit_cost: Fen,
    pub stock: u32,
    pub per_member_limit: u32,
    pub valid_until: NaiveDate,
    pub funder: Funder,
}

/// What reconciliation found for one gift before repairing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiftDrift {
    pub gift: GiftId,
    /// `None` when the gate held nothing for the gift.
    pub gate_remaining: Option<u32>,
    pub database_remaining: u32,
}

impl GiftDrift {
    pub fn drifted(&self) -> bool {
        self.gate_remaining != Some(self.database_remaining)
    }
}

/// A gift as a member sees it now.
#[derive(Debug, Clone)]
pub struct GiftOffer {
    pub gift: Gift,
    /// `None` when the gate cannot say (not loaded yet).
    pub remaining: Option<u32>,
}

pub struct CampaignService<R, S, G, C> {
    pub campaigns: R,
    pub claims: S,
    pub gate: G,
    pub clock: C,
    /// Staff are alerted when a gift's remaining stock falls to this share (percent) of its stock.
    pub low_stock_percent: u32,
    /// The privacy policy version members must have accepted to claim.
    pub consent_version: String,
}

/// The alert, if any, that the claim taking `slot` must send. Slots are unique per gift in the
/// database, so each alert goes out exactly once.
pub fn stock_alert(gift: &Gift, campaign: &Campaign, slot: u32, low_stock_percent: u32) -> Option<Notice> {
    let low_mark = (u64::from(gift.stock) * u64::from(low_stock_percent)).div_ceil(100) as u32;
    let (subject, what) = if slot == gift.stock {
        ("礼品已领完 / Gift sold out", "已全部领完 / is sold out".to_owned())
    } else if low_mark > 0 && slot == gift.stock.saturating_sub(low_mark) {
        ("礼品库存告急 / Gift running low", format!("仅剩 {low_mark} 份 / has {low_mark} left"))
    } else {
        return None;
    };
    Some(Notice {
        subject: format!("【{}】{subject}", campaign.title),
        body: format!("活动「{}」的礼品「{}」{what}（库存 / stock {}）。\n", campaign.title, gift.name, gift.stock),
    })
}

fn confirmation(gift: &Gift, campaign: &Campaign, code: &str) -> Notice {
    let until = gift.valid_until;
    Notice {
        subject: format!("【苏工惠】{}：领取成功 / Gift claimed", campaign.title),
        body: format!(
            "您已成功领取「{}」，券码 {code}，请于 {until} 前到指定职工服务中心/站/点领取。\n\
             You claimed \"{}\". Voucher {code}, valid until the end of {until} (Beijing time).\n",
            gift.name, gift.name
        ),
    }
}

fn invalid(field: &'static str, problem: &str) -> CampaignError {
    CampaignError::Invalid { field, problem: problem.to_owned() }
}

fn text(field: &'static str, raw: &str, max: usize) -> Result<String, CampaignError> {
    let t = raw.trim();
    if t.is_empty() || t.chars().count() > max || t.chars().any(char::is_control) {
        return Err(invalid(field, &format!("must be 1-{max} printable characters")));
    }
    Ok(t.to_owned())
}

fn limit(field: &'static str, n: u32) -> Result<u32, CampaignError> {
    if (1..=10).contains(&n) {
        Ok(n)
    } else {
        Err(invalid(field, "must be 1-10"))
    }
}

/// The claim as its member sees it, once stored.
fn granted(new: NewClaim, g: &Gift) -> Claim {
    Claim {
        id: new.id,
        slot: new.slot,
        campaign: new.campaign,
        gift: new.gift,
        gift_name: g.name.clone(),
        voucher_code: new.voucher_code,
        status: "issued".into(),
        claimed_at: new.claimed_at,
        expires_at: new.expires_at,
    }
}

/// How many times one claim may rebuild the gate before it gives up with 503.
const MAX_REBUILDS: u32 = 3;

impl<R, S, G, C> CampaignService<R, S, G, C>
where
    R: CampaignRepository,
    S: ClaimStore,
    G: InventoryGate,
    C: Clock,
{
    fn audit(&self, actor: &Actor, action: &'static str, target: String, after: serde_json::Value) -> NewAuditEntry {
        NewAuditEntry::by(actor, self.clock.now(), action, target).change(None, Some(after))
    }

    pub async fn create(&self, actor: &Actor, new: NewCampaign) -> Result<Campaign, CampaignError> {
        if !actor.role.may_write() {
            return Err(CampaignError::Forbidden);
        }
        if new.budget.get() < 0 {
            return Err(invalid("budget_fen", "must not be negative"));
        }
        let campaign = Campaign {
            id: CampaignId::new(),
            title: text("title", &new.title, 60)?,
            holiday: new.holiday,
            window: new.window,
            per_member_limit: limit("per_member_limit", new.per_member_limit)?,
            budget: new.budget,
            eligibility: new.eligibility,
            state: CampaignState::Draft,
            created_at: self.clock.now(),
        };
        let after = serde_json::json!({"title": campaign.title, "budget_fen": campaign.budget.get(),
            "starts_at": campaign.window.starts_at(), "ends_at": campaign.window.ends_at()});
        self.campaigns
            .insert_campaign(&campaign, self.audit(actor, "campaign.create", campaign.id.to_string(), after))
            .await?;
        Ok(campaign)
    }

    pub async fn get(&self, id: CampaignId) -> Result<(Campaign, Vec<Gift>), CampaignError> {
        self.campaigns.get(id).await?.ok_or(CampaignError::NotFound)
    }

    pub async fn list_all(&self) -> Result<Vec<(Campaign, Vec<Gift>)>, CampaignError> {
        Ok(self.campaigns.list(false).await?)
    }

    pub async fn add_gift(&self, actor: &Actor, campaign: CampaignId, new: NewGift) -> Result<Gift, CampaignError> {
        if !actor.role.may_write() {
            return Err(CampaignError::Forbidden);
        }
        let (c, _) = self.get(campaign).await?;
        if c.state != CampaignState::Draft {
            return Err(CampaignError::NotDraft);
        }
        if new.unit_cost.get() < 0 {
            return Err(invalid("unit_cost_fen", "must not be negative"));
        }
        if new.stock > 10_000_000 {
            return Err(invalid("stock", "must be at most 10,000,000"));
        }
        if crate::campaigns::window::end_of_day_shanghai(new.valid_until) < c.window.ends_at() {
            return Err(invalid("valid_until", "vouchers must stay valid at least until the campaign ends"));
        }
        if !new.release.waves.is_empty() {
            let planned: u64 = new.release.waves.iter().map(|w| u64::from(w.quantity)).sum();
            if planned != u64::from(new.stock) {
                return Err(invalid("waves", "the waves' quantities must add up to the stock"));
            }
            if new.release.waves.iter().any(|w| !c.window.contains(w.at)) {
                return Err(invalid("waves", "every wave must be released inside the campaign window"));
            }
        }
        if new.release.daily_cap == Some(0) {
            return Err(invalid("daily_cap", "must be at least 1"));
        }
        let gift = Gift {
            id: GiftId::new(),
            campaign_id: campaign,
            release: new.release,
            name: text("name", &new.name, 60)?,
            unit_cost: new.unit_cost,
            stock: new.stock,
            per_member_limit: limit("per_member_limit", new.per_member_limit)?,
            valid_until: new.valid_until,
            funder: new.funder,
        };
        let after = serde_json::json!({"campaign": campaign.to_string(), "name": gift.name, "stock": gift.stock,
            "unit_cost_fen": gift.unit_cost.get(), "funder": gift.funder.as_str()});
        self.campaigns.insert_gift(&gift, self.audit(actor, "gift.create", gift.id.to_string(), after)).await?;
        Ok(gift)
    }

    /// Publishes a draft: refused without gifts or when the full stock would cost more than the
    /// budget. The gate is loaded for every gift so the first claim finds it warm.
    pub async fn publish(&self, actor: &Actor, id: CampaignId) -> Result<Campaign, CampaignError> {
        if !actor.role.may_write() {
            return Err(CampaignError::Forbidden);
        }
        let (mut c, gifts) = self.get(id).await?;
        if c.state != CampaignState::Draft {
            return Err(CampaignError::NotDraft);
        }
        if gifts.is_empty() {
            return Err(CampaignError::NoGifts);
        }
        let needed = gifts
            .iter()
            .try_fold(Fen::ZERO, |acc, g| g.full_cost().and_then(|cost| acc.checked_add(cost)))
            .ok_or_else(|| invalid("stock", "total cost overflows"))?;
        if needed > c.budget {
            return Err(CampaignError::OverBudget { needed: needed.get(), budget: c.budget.get() });
        }
        let audit = self.audit(actor, "campaign.publish", id.to_string(), serde_json::json!({"state": "published"}));
        self.campaigns.set_state(id, CampaignState::Published, audit).await?;
        for gift in &gifts {
            // A failure here is repaired by the first claim, which rebuilds a cold gate.
            let _ = self.gate.load(id, gift.id, gift.stock, &GiftUsage::default(), &[]).await;
        }
        c.state = CampaignState::Published;
        Ok(c)
    }

    pub async fn cancel(&self, actor: &Actor, id: CampaignId) -> Result<Campaign, CampaignError> {
        if !actor.role.may_write() {
            return Err(CampaignError::Forbidden);
        }
        let (mut c, _) = self.get(id).await?;
        if matches!(c.status_at(self.clock.now()), CampaignStatus::Cancelled | CampaignStatus::Ended) {
            return Err(CampaignError::Closed);
        }
        let audit = self.audit(actor, "campaign.cancel", id.to_string(), serde_json::json!({"state": "cancelled"}));
        self.campaigns.cancel(id, audit).await?;
        c.state = CampaignState::Cancelled;
        Ok(c)
    }

    pub async fn report(&self, id: CampaignId) -> Result<super::report::CampaignReport, CampaignError> {
        self.get(id).await?;
        Ok(self.campaigns.report(id, self.clock.now()).await?)
    }

    /// Raises a gift's stock, live or not; lowering it is refused (slots up to the stock may
    /// already be someone's).
    pub async fn raise_stock(
        &self,
        actor: &Actor,
        campaign: CampaignId,
        gift: GiftId,
        stock: u32,
    ) -> Result<Gift, CampaignError> {
        if !actor.role.may_write() {
            return Err(CampaignError::Forbidden);
        }
        let (c, gifts) = self.get(campaign).await?;
        let mut g = gifts.into_iter().find(|g| g.id == gift).ok_or(CampaignError::GiftNotFound)?;
        if matches!(c.status_at(self.clock.now()), CampaignStatus::Cancelled | CampaignStatus::Ended) {
            return Err(CampaignError::Closed);
        }
        if stock < g.stock {
            return Err(CampaignError::StockDecrease);
        }
        let audit = NewAuditEntry::by(actor, self.clock.now(), "gift.stock", gift.to_string())
            .change(Some(serde_json::json!({"stock": g.stock})), Some(serde_json::json!({"stock": stock})));
        if !self.campaigns.raise_stock(gift, stock, audit).await? {
            return Err(CampaignError::StockDecrease);
        }
        g.stock = stock;
        Ok(g)
    }

    /// Live and upcoming campaigns with what is left of each gift.
    pub async fn visible(&self) -> Result<Vec<(Campaign, Vec<GiftOffer>)>, ClaimError> {
        let now = self.clock.now();
        let mut out = Vec::new();
        for (c, gifts) in self.campaigns.list(true).await? {
            if !matches!(c.status_at(now), CampaignStatus::Scheduled | CampaignStatus::Live) {
                continue;
            }
            let mut offers = Vec::with_capacity(gifts.len());
            for gift in gifts {
                // Members see what they could claim now: the released part of the stock.
                let released = gift.released_at(now, &c.window);
                let remaining =
                    self.gate.remaining(c.id, gift.id, released).await.map_err(|e| ClaimError::Unavailable(e.0))?;
                offers.push(GiftOffer { gift, remaining });
            }
            out.push((c, offers));
        }
        Ok(out)
    }

    pub async fn vouchers(&self, profile: &Profile) -> Result<Vec<Claim>, ClaimError> {
        Ok(self.claims.of_member(profile.member.id).await?)
    }

    /// Claims one unit of a gift for `member`. `request_key` identifies the member's request: the
    /// same key gets the same claim back (`true` in the answer marks a replay).
    ///
    /// `claimant` loads the member's profile (and refuses a suspended one or one without consent).
    /// With the gate it runs only to explain a refusal: the insert itself re-checks the member's
    /// [`Standing`], so sold-out and limit answers never touch the database and a granted claim
    /// costs one statement.
    pub async fn claim<E: From<ClaimError>>(
        &self,
        member: MemberId,
        claimant: impl Future<Output = Result<Profile, E>>,
        campaign: CampaignId,
        gift: GiftId,
        request_key: &str,
    ) -> Result<(Claim, bool), E> {
        let (c, gifts) = self.campaigns.get(campaign).await.map_err(ClaimError::from)?.ok_or(ClaimError::NotFound)?;
        let g = gifts.into_iter().find(|g| g.id == gift).ok_or(ClaimError::NotFound)?;
        let now = self.clock.now();
        if c.status_at(now) != CampaignStatus::Live {
            return Err(ClaimError::NotLive.into());
        }
        let ticket = Ticket {
            campaign,
            gift,
            member,
            request: request_key,
            stock: g.released_at(now, &c.window),
            gift_limit: g.per_member_limit,
            campaign_limit: c.per_member_limit,
        };
        let unavailable = |e: GateUnavailable| ClaimError::Unavailable(e.0);
        let mut claimant = Some(claimant);
        let mut rebuilds = 0;
        loop {
            let (slot, gift_seq, campaign_seq, fresh) = match self.gate.reserve(&ticket).await.map_err(unavailable)? {
                GateAnswer::Granted { slot, gift_seq, campaign_seq, fresh } => (slot, gift_seq, campaign_seq, fresh),
                GateAnswer::SoldOut => return Err(self.sold_out(&g, &c, now).into()),
                GateAnswer::LimitReached => return Err(ClaimError::LimitReached.into()),
                GateAnswer::Cold => {
                    rebuilds += 1;
                    if rebuilds > MAX_REBUILDS {
                        return Err(
                            ClaimError::Unavailable(anyhow::anyhow!("the gate stays cold after rebuilding")).into()
                        );
                    }
                    self.rebuild(campaign, &g).await?;
                    continue;
                }
                GateAnswer::DatabaseDecides => {
                    let profile = claimant
                        .take()
                        .ok_or_else(|| anyhow::anyhow!("claimant already consumed"))
                        .map_err(ClaimError::from)?
                        .await?;
                    c.eligibility.check(&profile).map_err(ClaimError::Ineligible)?;
                    return Ok(self.claim_counted(&ticket, &c, &g, now).await?);
                }
            };
            let new = self.new_claim(&ticket, &c, &g, now, GrantedSlot { slot, gift_seq, campaign_seq });
            match self.claims.insert(&new).await.map_err(ClaimError::from)? {
                Inserted::Done => return Ok((granted(new, &g), false)),
                Inserted::Replay(previous) => {
                    // The request was stored before. A gate that remembered it handed out the same
                    // slot; one that did not (or another gift's gate) took a new one: give it back.
                    if previous.gift != gift || previous.slot != slot {
                        self.gate.give_back(&ticket, Some(slot)).await.map_err(unavailable)?;
                    }
                    return if previous.gift == gift {
                        Ok((previous, true))
                    } else {
                        Err(ClaimError::KeyReused.into())
                    };
                }
                Inserted::Closed => {
                    self.gate.give_back(&ticket, Some(slot)).await.map_err(unavailable)?;
                    return Err(ClaimError::NotLive.into());
                }
                Inserted::OutOfStanding => {
                    // Rare: load the member to tell them why. A replayed slot may be stored, so
                    // only a fresh one goes back.
                    if fresh {
                        self.gate.give_back(&ticket, Some(slot)).await.map_err(unavailable)?;
                    }
                    let who = claimant.take().ok_or_else(|| anyhow::anyhow!("claimant already consumed"));
                    let profile = who.map_err(ClaimError::from)?.await?;
                    c.eligibility.check(&profile).map_err(ClaimError::Ineligible)?;
                    return Err(ClaimError::Unavailable(anyhow::anyhow!(
                        "the member's standing changed during the claim"
                    ))
                    .into());
                }
                Inserted::MemberLimit => {
                    // The database knows better: the slot is free again, the member is at the limit.
                    self.gate.give_back(&ticket, Some(slot)).await.map_err(unavailable)?;
                    self.rebuild(campaign, &g).await?;
                    return Err(ClaimError::LimitReached.into());
                }
                Inserted::SlotTaken => {
                    // The slot is someone's already: keep it consumed, undo only the member's count,
                    // repair the gate from the database, and try again.
                    self.gate.give_back(&ticket, None).await.map_err(unavailable)?;
                    rebuilds += 1;
                    if rebuilds > MAX_REBUILDS {
                        return Err(
                            ClaimError::Unavailable(anyhow::anyhow!("gate and database keep disagreeing")).into()
                        );
                    }
                    self.rebuild(campaign, &g).await?;
                }
            }
        }
    }

    /// The database-only mode: one conditional statement decides, counts and inserts.
    async fn claim_counted(
        &self,
        ticket: &Ticket<'_>,
        c: &Campaign,
        g: &Gift,
        now: DateTime<Utc>,
    ) -> Result<(Claim, bool), ClaimError> {
        let low_mark = (u64::from(g.stock) * u64::from(self.low_stock_percent)).div_ceil(100) as u32;
        let alerts = [g.stock, g.stock.saturating_sub(low_mark)]
            .into_iter()
            .filter_map(|slot| stock_alert(g, c, slot, self.low_stock_percent).map(|n| (slot, n)))
            .collect();
        let counted = CountedClaim {
            claim: self.new_claim(ticket, c, g, now, GrantedSlot { slot: 0, gift_seq: 0, campaign_seq: 0 }),
            released: ticket.stock,
            gift_limit: ticket.gift_limit,
            campaign_limit: ticket.campaign_limit,
            alerts,
        };
        for _ in 0..=MAX_REBUILDS {
            match self.claims.insert_counted(&counted).await? {
                Counted::Done(at) => {
                    let mut new = counted.claim.clone();
                    new.slot = at.slot;
                    return Ok((granted(new, g), false));
                }
                Counted::SoldOut => return Err(self.sold_out(g, c, now)),
                Counted::LimitReached => return Err(ClaimError::LimitReached),
                Counted::Replay(previous) if previous.gift == g.id => return Ok((previous, true)),
                Counted::Replay(_) => return Err(ClaimError::KeyReused),
                Counted::Closed => return Err(ClaimError::NotLive),
                Counted::SlotTaken => self.rebuild(c.id, g).await?,
            }
        }
        Err(ClaimError::Unavailable(anyhow::anyhow!("the gift's counter keeps colliding with stored claims")))
    }

    fn sold_out(&self, g: &Gift, c: &Campaign, now: DateTime<Utc>) -> ClaimError {
        match g.next_release(now, &c.window) {
            Some(next) => ClaimError::NotYetReleased { next },
            None => ClaimError::SoldOut,
        }
    }

    fn new_claim(&self, t: &Ticket<'_>, c: &Campaign, g: &Gift, now: DateTime<Utc>, at: GrantedSlot) -> NewClaim {
        let voucher_code = voucher::new_code();
        NewClaim {
            id: uuid::Uuid::now_v7(),
            campaign: c.id,
            gift: g.id,
            member: t.member,
            slot: at.slot,
            gift_seq: at.gift_seq,
            campaign_seq: at.campaign_seq,
            confirmation: confirmation(g, c, &voucher_code),
            staff_alert: stock_alert(g, c, at.slot, self.low_stock_percent),
            voucher_code,
            request_key: t.request.to_owned(),
            claimed_at: now,
            expires_at: g.voucher_expires_at(),
            standing: Standing {
                consent_version: self.consent_version.clone(),
                union_codes: c.eligibility.union_codes.clone(),
                joined_before: c.eligibility.joined_cutoff(),
            },
        }
    }

    /// Compares each gift's gate with the claims in the database and reloads the gate from the
    /// database, which is the truth. `actor` is `None` when the server does it by itself.
    pub async fn reconcile(&self, actor: Option<&Actor>, campaign: CampaignId) -> Result<Vec<GiftDrift>, ClaimError> {
        if actor.is_some_and(|a| !a.role.may_write()) {
            return Err(ClaimError::Forbidden);
        }
        let (c, gifts) = self.campaigns.get(campaign).await?.ok_or(ClaimError::NotFound)?;
        let counts = self.claims.campaign_counts(campaign).await?;
        let mut found = Vec::with_capacity(gifts.len());
        for g in &gifts {
            let gate_remaining =
                self.gate.remaining(campaign, g.id, g.stock).await.map_err(|e| ClaimError::Unavailable(e.0))?;
            let usage = self.claims.usage(g.id).await?;
            let database_remaining = g.stock.saturating_sub(usage.used_slots.len() as u32);
            if c.state == CampaignState::Published {
                self.gate
                    .load(campaign, g.id, g.stock, &usage, &counts)
                    .await
                    .map_err(|e| ClaimError::Unavailable(e.0))?;
            }
            found.push(GiftDrift { gift: g.id, gate_remaining, database_remaining });
        }
        if let Some(actor) = actor {
            let drift: Vec<_> = found
                .iter()
                .map(|d| serde_json::json!({"gift": d.gift.to_string(), "gate": d.gate_remaining, "database": d.database_remaining}))
                .collect();
            let audit = NewAuditEntry::by(actor, self.clock.now(), "campaign.reconcile", campaign.to_string())
                .change(None, Some(serde_json::json!({ "gifts": drift })));
            self.campaigns.record(audit).await?;
        }
        Ok(found)
    }

    /// Loads the gate for one gift from the database.
    pub async fn rebuild(&self, campaign: CampaignId, gift: &Gift) -> Result<(), ClaimError> {
        let usage = self.claims.usage(gift.id).await?;
        let counts = self.claims.campaign_counts(campaign).await?;
        self.gate.load(campaign, gift.id, gift.stock, &usage, &counts).await.map_err(|e| ClaimError::Unavailable(e.0))
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use std::sync::Arc;

pub use super::claiming::stock_alert;

/// The most units one gift may have.
pub const MAX_STOCK: u32 = 10_000_000;
use super::board::{Board, GiftOffer};
use super::error::{CampaignError, ClaimError};
use super::model::*;
use super::ports::*;
use super::window::Window;
use crate::admin::{Actor, NewAuditEntry};
use crate::members::MemberId;
use crate::shared::money::{Fen, MAX_BUDGET, MAX_PAYMENT};
use crate::shared::paging::IdCursor;
use crate::shared::{Clock, Limit};

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

pub struct CampaignService<R, S, G, C> {
    pub campaigns: R,
    pub claims: S,
    pub gate: G,
    pub clock: C,
    /// Staff are alerted when a gift's remaining stock falls to this share (percent) of its stock.
    pub low_stock_percent: u32,
    /// The privacy policy version members must have accepted to claim.
    pub consent_version: String,
    /// What members see of the campaigns: see [`super::board`].
    pub board: super::board::BoardCache,
}

fn invalid(field: &'static str, problem: &str) -> CampaignError {
    CampaignError::Invalid { field, problem: problem.to_owned() }
}

fn text(field: &'static str, raw: &str, max: usize) -> Result<String, CampaignError> {
    crate::shared::text::visible(raw, max)
        .ok_or_else(|| invalid(field, &format!("must be 1-{max} printable characters, some of them visible")))
}

/// Campaigns are planned for this century, and none runs longer than a year.
fn sane_window(window: &Window, now: DateTime<Utc>) -> Result<(), CampaignError> {
    let years = 2000..=2100;
    if !years.contains(&window.starts_at().year()) || !years.contains(&window.ends_at().year()) {
        return Err(invalid("starts_at", "the window must lie between the years 2000 and 2100"));
    }
    if window.ends_at() - window.starts_at() > chrono::Duration::days(366) {
        return Err(invalid("ends_at", "a campaign runs at most 366 days"));
    }
    if window.ends_at() <= now {
        return Err(invalid("ends_at", "the campaign must end in the future"));
    }
    Ok(())
}

/// At most 200 grassroots unions, each code 1–32 printable characters.
fn union_codes(codes: &[String]) -> Result<(), CampaignError> {
    let bad = codes.len() > 200 || codes.iter().any(|c| crate::shared::text::visible(c, 32).is_none_or(|v| v != *c));
    if bad {
        return Err(invalid("union_codes", "at most 200 codes of 1-32 printable characters"));
    }
    Ok(())
}

fn limit(field: &'static str, n: u32) -> Result<u32, CampaignError> {
    if (1..=10).contains(&n) {
        Ok(n)
    } else {
        Err(invalid(field, "must be 1-10"))
    }
}

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
        Fen::bounded(new.budget.get(), 0, MAX_BUDGET).map_err(|e| invalid("budget_fen", &e.to_string()))?;
        sane_window(&new.window, self.clock.now())?;
        union_codes(&new.eligibility.union_codes)?;
        let mut eligibility = new.eligibility;
        eligibility.within = actor.place(eligibility.within).map_err(|_| CampaignError::NotFound)?;
        let campaign = Campaign {
            id: CampaignId::new(),
            title: text("title", &new.title, 60)?,
            holiday: new.holiday,
            window: new.window,
            per_member_limit: limit("per_member_limit", new.per_member_limit)?,
            budget: new.budget,
            eligibility,
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

    /// A campaign with its gifts, for staff: one outside `actor`'s part of the tree is not found.
    pub async fn get(&self, actor: &Actor, id: CampaignId) -> Result<(Campaign, Vec<Gift>), CampaignError> {
        let (c, gifts) = self.load(id).await?;
        if !c.seen_by(actor) {
            return Err(CampaignError::NotFound);
        }
        Ok((c, gifts))
    }

    async fn load(&self, id: CampaignId) -> Result<(Campaign, Vec<Gift>), CampaignError> {
        self.campaigns.get(id).await?.map(std::sync::Arc::unwrap_or_clone).ok_or(CampaignError::NotFound)
    }

    /// Every campaign of `actor`'s part of the tree: a district's staff see the district's and
    /// those of the unions under it, not the city's.
    pub async fn list_all(&self, actor: &Actor) -> Result<Vec<(Campaign, Vec<Gift>)>, CampaignError> {
        Ok(self.campaigns.list(false, actor.confined_to()).await?)
    }

    pub async fn add_gift(&self, actor: &Actor, campaign: CampaignId, new: NewGift) -> Result<Gift, CampaignError> {
        if !actor.role.may_write() {
            return Err(CampaignError::Forbidden);
        }
        let (c, _) = self.get(actor, campaign).await?;
        if c.state != CampaignState::Draft {
            return Err(CampaignError::NotDraft);
        }
        Fen::bounded(new.unit_cost.get(), 0, MAX_PAYMENT).map_err(|e| invalid("unit_cost_fen", &e.to_string()))?;
        if new.stock > MAX_STOCK {
            return Err(invalid("stock", "must be at most 10,000,000"));
        }
        if crate::campaigns::window::end_of_day_shanghai(new.valid_until) < c.window.ends_at() {
            return Err(invalid("valid_until", "vouchers must stay valid at least until the campaign ends"));
        }
        if !new.release.waves.is_empty() {
            if new.release.waves.iter().any(|w| w.quantity == 0) {
                return Err(invalid("waves", "every wave releases at least one unit"));
            }
            let mut times: Vec<_> = new.release.waves.iter().map(|w| w.at).collect();
            times.sort_unstable();
            if times.windows(2).any(|pair| pair[0] == pair[1]) {
                return Err(invalid("waves", "two waves at the same time"));
            }
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
        // Checked above through the cache for a quick answer; decided here, under the campaign's lock.
        if !self.campaigns.insert_gift(&gift, self.audit(actor, "gift.create", gift.id.to_string(), after)).await? {
            return Err(CampaignError::NotDraft);
        }
        Ok(gift)
    }

    /// Publishes a draft: refused without gifts or when the full stock would cost more than the
    /// budget. The gate is loaded for every gift so the first claim finds it warm.
    pub async fn publish(&self, actor: &Actor, id: CampaignId) -> Result<Campaign, CampaignError> {
        if !actor.role.may_write() {
            return Err(CampaignError::Forbidden);
        }
        self.get(actor, id).await?;
        let audit = self.audit(actor, "campaign.publish", id.to_string(), serde_json::json!({"state": "published"}));
        match self.campaigns.publish(id, audit).await? {
            Publishing::Published => {}
            Publishing::NotDraft => return Err(CampaignError::NotDraft),
            Publishing::NoGifts => return Err(CampaignError::NoGifts),
            Publishing::OverBudget { needed: None, .. } => return Err(invalid("stock", "total cost overflows")),
            Publishing::OverBudget { needed: Some(needed), budget } => {
                return Err(CampaignError::OverBudget { needed, budget })
            }
        }
        self.board.forget();
        // Read again: the gifts as published, not as a cache last saw them.
        let (mut c, gifts) = self.load(id).await?;
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
        let (mut c, _) = self.get(actor, id).await?;
        match c.status_at(self.clock.now()) {
            CampaignStatus::Cancelled => return Err(CampaignError::AlreadyCancelled),
            CampaignStatus::Ended => return Err(CampaignError::Closed),
            _ => {}
        }
        let audit = self.audit(actor, "campaign.cancel", id.to_string(), serde_json::json!({"state": "cancelled"}));
        if self.campaigns.cancel(id, audit).await?.is_none() {
            return Err(CampaignError::AlreadyCancelled);
        }
        self.board.forget();
        c.state = CampaignState::Cancelled;
        Ok(c)
    }

    pub async fn report(&self, actor: &Actor, id: CampaignId) -> Result<super::report::CampaignReport, CampaignError> {
        self.get(actor, id).await?;
        Ok(self.campaigns.report(id, self.clock.now()).await?)
    }

    /// Raises a campaign's budget (union funds are audited: this is its own action in the log).
    /// Lowering it is refused: the stock already granted was judged against the old figure.
    /// With `seen`, only while the budget is still the one the caller saw (a form shown before
    /// someone else raised it is refused as [`CampaignError::Changed`], not applied over theirs).
    pub async fn raise_budget(
        &self,
        actor: &Actor,
        id: CampaignId,
        budget: Fen,
        seen: Option<Fen>,
    ) -> Result<Campaign, CampaignError> {
        if !actor.role.may_write() {
            return Err(CampaignError::Forbidden);
        }
        let (mut c, _) = self.get(actor, id).await?;
        if matches!(c.status_at(self.clock.now()), CampaignStatus::Cancelled | CampaignStatus::Ended) {
            return Err(CampaignError::Closed);
        }
        Fen::bounded(budget.get(), 0, MAX_BUDGET).map_err(|e| invalid("budget_fen", &e.to_string()))?;
        if seen.is_some_and(|seen| seen != c.budget) {
            return Err(CampaignError::Changed { now: c.budget.get() });
        }
        if budget < c.budget {
            return Err(CampaignError::BudgetDecrease);
        }
        let audit = NewAuditEntry::by(actor, self.clock.now(), "campaign.budget", id.to_string()).change(
            Some(serde_json::json!({"budget_fen": c.budget.get()})),
            Some(serde_json::json!({"budget_fen": budget.get()})),
        );
        if !self.campaigns.raise_budget(id, budget, seen, audit).await? {
            let (now, _) = self.get(actor, id).await?;
            if seen.is_some_and(|seen| seen != now.budget) {
                return Err(CampaignError::Changed { now: now.budget.get() });
            }
            return Err(CampaignError::BudgetDecrease);
        }
        self.board.forget();
        c.budget = budget;
        Ok(c)
    }

    /// Raises a gift's stock, live or not; lowering it is refused (slots up to the stock may
    /// already be someone's). With `seen`, only while the stock is still the one the caller saw.
    pub async fn raise_stock(
        &self,
        actor: &Actor,
        campaign: CampaignId,
        gift: GiftId,
        stock: u32,
        seen: Option<u32>,
    ) -> Result<Gift, CampaignError> {
        if !actor.role.may_write() {
            return Err(CampaignError::Forbidden);
        }
        let (c, gifts) = self.get(actor, campaign).await?;
        let mut g = gifts.into_iter().find(|g| g.id == gift).ok_or(CampaignError::GiftNotFound)?;
        if matches!(c.status_at(self.clock.now()), CampaignStatus::Cancelled | CampaignStatus::Ended) {
            return Err(CampaignError::Closed);
        }
        if seen.is_some_and(|seen| seen != g.stock) {
            return Err(CampaignError::Changed { now: i64::from(g.stock) });
        }
        if stock < g.stock {
            return Err(CampaignError::StockDecrease);
        }
        if stock > MAX_STOCK {
            return Err(invalid("stock", "must be at most 10,000,000"));
        }
        let audit = NewAuditEntry::by(actor, self.clock.now(), "gift.stock", gift.to_string())
            .change(Some(serde_json::json!({"stock": g.stock})), Some(serde_json::json!({"stock": stock})));
        match self.campaigns.raise_stock(gift, stock, seen, audit).await? {
            StockChange::Raised => {}
            StockChange::Changed { stock } => return Err(CampaignError::Changed { now: i64::from(stock) }),
            StockChange::Decrease => return Err(CampaignError::StockDecrease),
            StockChange::OverBudget { needed, budget } => return Err(CampaignError::OverBudget { needed, budget }),
        }
        self.board.forget();
        g.stock = stock;
        Ok(g)
    }

    /// Live and upcoming campaigns with what is left of each gift.
    /// The board, at most [`super::board::FRESH_FOR_MS`] old unless another request is reading it
    /// right now.
    pub async fn board(&self) -> Result<Arc<Board>, ClaimError> {
        self.board.get(self.clock.now(), || self.visible()).await
    }

    /// What each gift of a published campaign has left, as the inventory gate says (`None` where
    /// it holds nothing yet): the opening monitor's figure, read without touching the claims.
    pub async fn stock_left(&self, actor: &Actor, id: CampaignId) -> Result<Vec<(Gift, Option<u32>)>, CampaignError> {
        let (c, gifts) = self.get(actor, id).await?;
        let mut left = Vec::with_capacity(gifts.len());
        for gift in gifts {
            let remaining = match c.state {
                CampaignState::Draft => Some(gift.stock),
                _ => self.gate.remaining(c.id, gift.id, gift.stock).await.map_err(|e| CampaignError::Unknown(e.0))?,
            };
            left.push((gift, remaining));
        }
        Ok(left)
    }

    pub async fn visible(&self) -> Result<Vec<(Campaign, Vec<GiftOffer>)>, ClaimError> {
        let now = self.clock.now();
        let mut out = Vec::new();
        for (c, gifts) in self.campaigns.list(true, None).await? {
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

    /// A page of the member's vouchers, newest first: one indexed read.
    pub async fn vouchers(
        &self,
        member: MemberId,
        limit: Limit,
        after: Option<IdCursor>,
    ) -> Result<(Vec<Claim>, Option<IdCursor>), ClaimError> {
        let mut rows = self.claims.member_page(member, limit.get(), after.map(|c| c.0)).await?;
        let more = rows.len() > usize::from(limit.get());
        rows.truncate(usize::from(limit.get()));
        let next = if more { rows.last().map(|c| IdCursor(c.id)) } else { None };
        Ok((rows, next))
    }

    /// How many gifts the member holds in each campaign (voided ones given back).
    pub async fn claims_per_campaign(&self, member: MemberId) -> Result<Vec<(CampaignId, u32)>, ClaimError> {
        Ok(self.claims.member_counts(member).await?)
    }

    /// Compares each gift's gate with the claims in the database and reloads the gate from the
    /// database, which is the truth. `actor` is `None` when the server does it by itself.
    pub async fn reconcile(&self, actor: Option<&Actor>, campaign: CampaignId) -> Result<Vec<GiftDrift>, ClaimError> {
        if actor.is_some_and(|a| !a.role.may_write()) {
            return Err(ClaimError::Forbidden);
        }
        let definition = self.campaigns.get(campaign).await?.ok_or(ClaimError::NotFound)?;
        let (c, gifts) = &*definition;
        if actor.is_some_and(|a| !c.seen_by(a)) {
            return Err(ClaimError::NotFound);
        }
        let counts = self.claims.campaign_counts(campaign).await?;
        let mut found = Vec::with_capacity(gifts.len());
        for g in gifts {
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

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

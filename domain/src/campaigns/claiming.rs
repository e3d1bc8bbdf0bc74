//! Claiming a gift: the gate's answer first, then one statement that stores the claim — or, in
//! the database-only mode, one statement that decides and stores.

use chrono::{DateTime, Utc};
use std::future::Future;

use super::error::ClaimError;
use super::model::*;
use super::ports::*;
use super::service::CampaignService;
use super::voucher;
use crate::members::ports::MemberSession;
use crate::members::Profile;
use crate::shared::Clock;

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

/// The claim as its member sees it, once stored.
fn granted(new: NewClaim, g: &Gift) -> Claim {
    Claim {
        id: new.id,
        slot: new.slot,
        campaign: new.campaign,
        gift: new.gift,
        gift_name: g.name.clone(),
        voucher_code: new.voucher_code,
        status: ClaimStatus::Issued,
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
    /// Claims one unit of a gift for `member`. `request_key` identifies the member's request: the
    /// same key gets the same claim back (`true` in the answer marks a replay).
    ///
    /// `claimant` loads the member's profile (and refuses a suspended one or one without consent).
    /// With the gate it runs only to explain a refusal: the insert itself re-checks the member's
    /// [`Standing`], so sold-out and limit answers never touch the database and a granted claim
    /// costs one statement.
    ///
    /// Everything after the gate's answer is boxed, and `claimant` is a function rather than a
    /// future: the claim handler's future, copied on every request, is 1.8 KB instead of the
    /// 5.8 KB it was while it held every branch inline.
    pub async fn claim<E: From<ClaimError>, F: Future<Output = Result<Profile, E>>>(
        &self,
        session: MemberSession,
        claimant: impl FnOnce() -> F,
        campaign: CampaignId,
        gift: GiftId,
        request_key: &str,
    ) -> Result<(Claim, bool), E> {
        let member = session.member;
        let definition = self.campaigns.get(campaign).await.map_err(ClaimError::from)?.ok_or(ClaimError::NotFound)?;
        let (c, gifts) = &*definition;
        let g = gifts.iter().find(|g| g.id == gift).ok_or(ClaimError::NotFound)?;
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
                GateAnswer::SoldOut => return Err(self.sold_out(g, c, now).into()),
                GateAnswer::LimitReached => return Err(ClaimError::LimitReached.into()),
                GateAnswer::Cold => {
                    rebuilds += 1;
                    if rebuilds > MAX_REBUILDS {
                        return Err(
                            ClaimError::Unavailable(anyhow::anyhow!("the gate stays cold after rebuilding")).into()
                        );
                    }
                    Box::pin(self.rebuild(campaign, g)).await?;
                    continue;
                }
                GateAnswer::DatabaseDecides => {
                    let load = claimant.take().ok_or_else(|| anyhow::anyhow!("claimant already consumed"));
                    let profile = Box::pin(load.map_err(ClaimError::from)?()).await?;
                    c.eligibility.check(&profile).map_err(ClaimError::Ineligible)?;
                    return Ok(Box::pin(self.claim_counted(&ticket, c, g, now, session.issued_at)).await?);
                }
            };
            let new =
                self.new_claim(&ticket, c, g, now, session.issued_at, GrantedSlot { slot, gift_seq, campaign_seq });
            match Box::pin(self.claims.insert(&new)).await.map_err(ClaimError::from)? {
                Inserted::Done => return Ok((granted(new, g), false)),
                Inserted::Replay(previous) => {
                    // The request was stored before. A gate that remembered it handed out the same
                    // slot; one that did not (or another gift's gate) took a new one: give it back.
                    if previous.gift != gift || previous.slot != slot {
                        Box::pin(self.gate.give_back(&ticket, Some(slot))).await.map_err(unavailable)?;
                    }
                    return if previous.gift == gift {
                        Ok((previous, true))
                    } else {
                        Err(ClaimError::KeyReused.into())
                    };
                }
                Inserted::Closed => {
                    Box::pin(self.gate.give_back(&ticket, Some(slot))).await.map_err(unavailable)?;
                    return Err(ClaimError::NotLive.into());
                }
                Inserted::OutOfStanding => {
                    // Rare: load the member to tell them why. A replayed slot may be stored, so
                    // only a fresh one goes back.
                    if fresh {
                        Box::pin(self.gate.give_back(&ticket, Some(slot))).await.map_err(unavailable)?;
                    }
                    let load = claimant.take().ok_or_else(|| anyhow::anyhow!("claimant already consumed"));
                    let profile = Box::pin(load.map_err(ClaimError::from)?()).await?;
                    c.eligibility.check(&profile).map_err(ClaimError::Ineligible)?;
                    return Err(ClaimError::Unavailable(anyhow::anyhow!(
                        "the member's standing changed during the claim"
                    ))
                    .into());
                }
                Inserted::MemberLimit => {
                    // The database knows better: the slot is free again, the member is at the limit.
                    Box::pin(self.gate.give_back(&ticket, Some(slot))).await.map_err(unavailable)?;
                    Box::pin(self.rebuild(campaign, g)).await?;
                    return Err(ClaimError::LimitReached.into());
                }
                Inserted::SlotTaken => {
                    // The slot is someone's already: keep it consumed, undo only the member's count,
                    // repair the gate from the database, and try again.
                    Box::pin(self.gate.give_back(&ticket, None)).await.map_err(unavailable)?;
                    rebuilds += 1;
                    if rebuilds > MAX_REBUILDS {
                        return Err(
                            ClaimError::Unavailable(anyhow::anyhow!("gate and database keep disagreeing")).into()
                        );
                    }
                    Box::pin(self.rebuild(campaign, g)).await?;
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
        token_issued_at: DateTime<Utc>,
    ) -> Result<(Claim, bool), ClaimError> {
        let low_mark = (u64::from(g.stock) * u64::from(self.low_stock_percent)).div_ceil(100) as u32;
        let alerts = [g.stock, g.stock.saturating_sub(low_mark)]
            .into_iter()
            .filter_map(|slot| stock_alert(g, c, slot, self.low_stock_percent).map(|n| (slot, n)))
            .collect();
        let counted = CountedClaim {
            claim: self.new_claim(
                ticket,
                c,
                g,
                now,
                token_issued_at,
                GrantedSlot { slot: 0, gift_seq: 0, campaign_seq: 0 },
            ),
            released: ticket.stock,
            gift_limit: ticket.gift_limit,
            campaign_limit: ticket.campaign_limit,
            alerts,
        };
        // Each race means another claim of this member was stored, so races end by the limit.
        let mut races = 0;
        let mut rebuilds = 0;
        while rebuilds <= MAX_REBUILDS && races <= ticket.campaign_limit.max(ticket.gift_limit) {
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
                // The member was loaded and judged eligible just before: their standing changed
                // since. A retry loads them again and says why.
                Counted::OutOfStanding => {
                    return Err(ClaimError::Unavailable(anyhow::anyhow!(
                        "the member's standing changed during the claim"
                    )))
                }
                Counted::Raced => races += 1,
                Counted::SlotTaken => {
                    rebuilds += 1;
                    self.rebuild(c.id, g).await?
                }
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

    fn new_claim(
        &self,
        t: &Ticket<'_>,
        c: &Campaign,
        g: &Gift,
        now: DateTime<Utc>,
        token_issued_at: DateTime<Utc>,
        at: GrantedSlot,
    ) -> NewClaim {
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
                token_issued_at,
            },
        }
    }

    /// Loads the gate for one gift from the database.
    pub async fn rebuild(&self, campaign: CampaignId, gift: &Gift) -> Result<(), ClaimError> {
        let usage = self.claims.usage(gift.id).await?;
        let counts = self.claims.campaign_counts(campaign).await?;
        self.gate.load(campaign, gift.id, gift.stock, &usage, &counts).await.map_err(|e| ClaimError::Unavailable(e.0))
    }
}

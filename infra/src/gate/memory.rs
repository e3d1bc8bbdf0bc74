use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use domain::campaigns::ports::{GateAnswer, GateUnavailable, GiftUsage, InventoryGate, Ticket};
use domain::campaigns::{CampaignId, GiftId};
use domain::members::MemberId;

#[derive(Default)]
struct GiftGate {
    next: u32,
    free: VecDeque<u32>,
    members: HashMap<MemberId, u32>,
    requests: HashMap<String, (u32, u32, u32)>,
}

#[derive(Default)]
struct State {
    gifts: HashMap<GiftId, GiftGate>,
    campaigns: HashMap<(CampaignId, MemberId), u32>,
}

/// One lock around all decisions: within one process that is as atomic as the Lua script.
#[derive(Clone, Default)]
pub struct MemoryGate {
    state: Arc<Mutex<State>>,
}

impl InventoryGate for MemoryGate {
    async fn reserve(&self, t: &Ticket<'_>) -> Result<GateAnswer, GateUnavailable> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let State { gifts, campaigns } = &mut *state;
        let Some(gate) = gifts.get_mut(&t.gift) else { return Ok(GateAnswer::Cold) };
        if let Some(&(slot, gift_seq, campaign_seq)) = gate.requests.get(t.request) {
            return Ok(GateAnswer::Granted { slot, gift_seq, campaign_seq, fresh: false });
        }
        let gift_count = gate.members.get(&t.member).copied().unwrap_or(0);
        let campaign_count = campaigns.get(&(t.campaign, t.member)).copied().unwrap_or(0);
        if gift_count >= t.gift_limit || campaign_count >= t.campaign_limit {
            return Ok(GateAnswer::LimitReached);
        }
        let slot = match gate.free.pop_front() {
            Some(slot) => slot,
            None if gate.next < t.stock => {
                gate.next += 1;
                gate.next
            }
            None => return Ok(GateAnswer::SoldOut),
        };
        gate.members.insert(t.member, gift_count + 1);
        campaigns.insert((t.campaign, t.member), campaign_count + 1);
        gate.requests.insert(t.request.to_owned(), (slot, gift_count + 1, campaign_count + 1));
        Ok(GateAnswer::Granted { slot, gift_seq: gift_count + 1, campaign_seq: campaign_count + 1, fresh: true })
    }

    async fn give_back(&self, t: &Ticket<'_>, slot: Option<u32>) -> Result<(), GateUnavailable> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let State { gifts, campaigns } = &mut *state;
        // Only a reservation the gate still remembers is undone, and only once.
        let Some(gate) = gifts.get_mut(&t.gift) else { return Ok(()) };
        if gate.requests.remove(t.request).is_none() {
            return Ok(());
        }
        if let Some(n) = gate.members.get_mut(&t.member) {
            *n = n.saturating_sub(1);
        }
        if let Some(slot) = slot {
            gate.free.push_front(slot);
        }
        if let Some(n) = campaigns.get_mut(&(t.campaign, t.member)) {
            *n = n.saturating_sub(1);
        }
        Ok(())
    }

    async fn remaining(&self, _: CampaignId, gift: GiftId, stock: u32) -> Result<Option<u32>, GateUnavailable> {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        Ok(state.gifts.get(&gift).map(|g| stock.saturating_sub(g.next) + g.free.len() as u32))
    }

    async fn load(
        &self,
        campaign: CampaignId,
        gift: GiftId,
        stock: u32,
        usage: &GiftUsage,
        campaign_counts: &[(MemberId, u32)],
    ) -> Result<(), GateUnavailable> {
        let (next, holes) = super::holes(&usage.used_slots, stock);
        metrics::counter!("inventory_gate_rebuilds_total").increment(1);
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.gifts.insert(
            gift,
            GiftGate {
                next,
                free: holes.into(),
                members: usage.per_member.iter().copied().collect(),
                requests: usage
                    .requests
                    .iter()
                    .map(|(request, g)| (request.clone(), (g.slot, g.gift_seq, g.campaign_seq)))
                    .collect(),
            },
        );
        state.campaigns.retain(|(c, _), _| *c != campaign);
        for &(member, n) in campaign_counts {
            state.campaigns.insert((campaign, member), n);
        }
        Ok(())
    }
}

//! The inventory gate: Redis (one Lua script per decision) in production, an in-process twin in
//! the embedded default. Both give the same answers under the same concurrency. The database-only
//! mode has no gate at all.

mod database;
mod memory;
mod redis;

pub use self::database::DatabaseGate;
pub use self::memory::MemoryGate;
pub use self::redis::RedisGate;

use domain::campaigns::ports::{GateAnswer, GateUnavailable, GiftUsage, InventoryGate, Ticket};
use domain::campaigns::{CampaignId, GiftId};
use domain::members::MemberId;

#[derive(Clone)]
pub enum AnyGate {
    Redis(RedisGate),
    Memory(MemoryGate),
    Off(DatabaseGate),
}

impl InventoryGate for AnyGate {
    async fn reserve(&self, t: &Ticket<'_>) -> Result<GateAnswer, GateUnavailable> {
        match self {
            Self::Redis(g) => g.reserve(t).await,
            Self::Memory(g) => g.reserve(t).await,
            Self::Off(g) => g.reserve(t).await,
        }
    }

    async fn give_back(&self, t: &Ticket<'_>, slot: Option<u32>) -> Result<(), GateUnavailable> {
        match self {
            Self::Redis(g) => g.give_back(t, slot).await,
            Self::Memory(g) => g.give_back(t, slot).await,
            Self::Off(g) => g.give_back(t, slot).await,
        }
    }

    async fn remaining(&self, campaign: CampaignId, gift: GiftId, stock: u32) -> Result<Option<u32>, GateUnavailable> {
        match self {
            Self::Redis(g) => g.remaining(campaign, gift, stock).await,
            Self::Memory(g) => g.remaining(campaign, gift, stock).await,
            Self::Off(g) => g.remaining(campaign, gift, stock).await,
        }
    }

    async fn load(
        &self,
        campaign: CampaignId,
        gift: GiftId,
        stock: u32,
        usage: &GiftUsage,
        campaign_counts: &[(MemberId, u32)],
    ) -> Result<(), GateUnavailable> {
        match self {
            Self::Redis(g) => g.load(campaign, gift, stock, usage, campaign_counts).await,
            Self::Memory(g) => g.load(campaign, gift, stock, usage, campaign_counts).await,
            Self::Off(g) => g.load(campaign, gift, stock, usage, campaign_counts).await,
        }
    }
}

/// Free slots after a rebuild: `next` is the highest slot ever used, `holes` the unused ones below
/// it; fresh slots above `next` need no storage, so a large stock costs nothing to load.
pub(crate) fn holes(used: &[u32], stock: u32) -> (u32, Vec<u32>) {
    let next = used.iter().copied().filter(|s| *s <= stock).max().unwrap_or(0);
    let mut taken = vec![false; next as usize + 1];
    for &s in used {
        if s <= next {
            taken[s as usize] = true;
        }
    }
    let holes = (1..=next).filter(|s| !taken[*s as usize]).collect();
    (next, holes)
}

#[cfg(test)]
mod tests {
    #[test]
    fn holes_are_the_unused_slots_below_the_highest_used() {
        assert_eq!(super::holes(&[], 10), (0, vec![]));
        assert_eq!(super::holes(&[3, 1, 6], 10), (6, vec![2, 4, 5]));
        assert_eq!(super::holes(&[12, 2], 10), (2, vec![1]), "slots beyond the stock are ignored");
    }
}

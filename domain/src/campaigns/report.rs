//! What auditors (经审) read about a campaign: counts and money, all derived from the claims and the
//! append-only ledger, never from counters kept elsewhere.

use crate::shared::money::Fen;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub claimed: u64,
    pub redeemed: u64,
    pub expired: u64,
    pub voided: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiftLine {
    pub gift_id: String,
    pub name: String,
    pub stock: u32,
    pub counts: Counts,
    pub spent: Fen,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnionLine {
    /// Empty when the member's roster row is gone or the member erased their identity.
    pub union_org_code: String,
    pub union_org_name: String,
    pub counts: Counts,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunderLine {
    pub funder: String,
    pub spent: Fen,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignReport {
    pub budget: Fen,
    /// The ledger's sum: claims minus voids.
    pub spent: Fen,
    pub gifts: Vec<GiftLine>,
    pub unions: Vec<UnionLine>,
    pub funders: Vec<FunderLine>,
}

impl CampaignReport {
    /// The totals of every breakdown agree with the ledger.
    pub fn is_consistent(&self) -> bool {
        let by_gift: i64 = self.gifts.iter().map(|g| g.spent.get()).sum();
        let by_funder: i64 = self.funders.iter().map(|f| f.spent.get()).sum();
        let claimed_by_gift: u64 = self.gifts.iter().map(|g| g.counts.claimed).sum();
        let claimed_by_union: u64 = self.unions.iter().map(|u| u.counts.claimed).sum();
        by_gift == self.spent.get() && by_funder == self.spent.get() && claimed_by_gift == claimed_by_union
    }
}

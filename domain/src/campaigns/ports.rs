use chrono::{DateTime, Utc};
use std::future::Future;
use std::sync::Arc;
use uuid::Uuid;

use super::model::{Campaign, CampaignId, ClaimStatus, Gift, GiftId};
use crate::admin::NewAuditEntry;
use crate::members::MemberId;
use crate::shared::money::Fen;
use crate::unions::NodePath;

/// A campaign with its gifts, shared rather than copied: every claim reads one, and a cache hands
/// the same copy to all of them.
pub type Definition = Arc<(Campaign, Vec<Gift>)>;

/// Campaigns and gifts. Every write carries its audit row, committed together.
pub trait CampaignRepository: Send + Sync + 'static {
    fn insert_campaign(&self, c: &Campaign, audit: NewAuditEntry) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// Adds a gift to a draft: `false`, having written nothing, when its campaign is no longer a
    /// draft — judged under the campaign row's lock in the insert's transaction, never from a cache.
    fn insert_gift(&self, g: &Gift, audit: NewAuditEntry) -> impl Future<Output = anyhow::Result<bool>> + Send;
    fn get(&self, id: CampaignId) -> impl Future<Output = anyhow::Result<Option<Definition>>> + Send;
    /// Newest first; `published_only` for members; `under`, the campaigns for a part of the tree
    /// inside that subtree (none for the whole federation).
    fn list(
        &self,
        published_only: bool,
        under: Option<&NodePath>,
    ) -> impl Future<Output = anyhow::Result<Vec<(Campaign, Vec<Gift>)>>> + Send;
    /// Publishes a draft, in one transaction that takes the campaign row's lock and judges on the
    /// rows as they are there: it MUST refuse anything but a draft, a campaign without gifts, and
    /// one whose gifts' full stock costs more than its budget.
    fn publish(&self, id: CampaignId, audit: NewAuditEntry) -> impl Future<Output = anyhow::Result<Publishing>> + Send;
    /// Cancels the campaign: every unredeemed voucher is voided and its cost returned to the budget
    /// by a `void` ledger row, all in one transaction. Returns how many vouchers were voided, or
    /// `None`, having changed nothing, when the campaign was cancelled already: the state is
    /// checked under the row's lock in that transaction, so of two cancels at once one voids.
    fn cancel(&self, id: CampaignId, audit: NewAuditEntry) -> impl Future<Output = anyhow::Result<Option<u64>>> + Send;
    /// Sets the campaign's budget and appends `audit`, in one transaction that MUST refuse
    /// (`false`) to lower it.
    /// Raises the budget to `budget` if that is no lower than it is and, with `seen`, only while
    /// it is still `seen`; false otherwise.
    fn raise_budget(
        &self,
        id: CampaignId,
        budget: Fen,
        seen: Option<Fen>,
        audit: NewAuditEntry,
    ) -> impl Future<Output = anyhow::Result<bool>> + Send;
    fn report(
        &self,
        id: CampaignId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<super::report::CampaignReport>> + Send;
    /// Appends an audit row for an action that changes no campaign row.
    fn record(&self, audit: NewAuditEntry) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// Sets a gift's stock and appends `audit`, in one transaction that MUST refuse to lower the
    /// stock and MUST refuse a stock whose cost, with the campaign's other gifts, exceeds its
    /// budget — both judged on the rows as they are in that transaction.
    /// Raises a gift's stock; with `seen`, only while it is still `seen`.
    fn raise_stock(
        &self,
        gift: GiftId,
        stock: u32,
        seen: Option<u32>,
        audit: NewAuditEntry,
    ) -> impl Future<Output = anyhow::Result<StockChange>> + Send;
}

/// A claim the gate granted, on its way into the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewClaim {
    pub id: Uuid,
    pub campaign: CampaignId,
    pub gift: GiftId,
    pub member: MemberId,
    pub slot: u32,
    pub gift_seq: u32,
    pub campaign_seq: u32,
    pub voucher_code: String,
    /// Identifies the member's request (derived from their Idempotency-Key).
    pub request_key: String,
    pub claimed_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// Mailed to the member if they have a confirmed address, in the same transaction.
    pub confirmation: Notice,
    /// What the member must still be when the claim is stored.
    pub standing: Standing,
    /// Mailed to every active admin and operator with an address, in the same transaction: the
    /// claim that takes the low-stock or the last slot reports it.
    pub staff_alert: Option<Notice>,
}

/// The member's standing a claim insert re-checks in its own statement: an active (not suspended,
/// not erased) member who accepted the current privacy policy and is activated on the roster, in
/// one of the campaign's unions, having joined before the cutoff. Checked there, a suspension or
/// roster change between the gate's answer and the insert cannot slip through, and the granted
/// path needs no separate read of the member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub consent_version: String,
    /// Empty: any union.
    pub union_codes: Vec<String>,
    pub joined_before: Option<DateTime<Utc>>,
    /// When the claimant's access token was issued: a token from before a suspension stays dead.
    pub token_issued_at: DateTime<Utc>,
}

/// The text of an e-mail whose recipients the store looks up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub subject: String,
    pub body: String,
}

/// A member's claim with its voucher.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub id: Uuid,
    pub slot: u32,
    pub campaign: CampaignId,
    pub gift: GiftId,
    pub gift_name: String,
    pub voucher_code: String,
    pub status: ClaimStatus,
    pub claimed_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What the database said to a claim insert: its unique constraints are the last word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inserted {
    Done,
    /// The slot is someone's already, or beyond the stock.
    SlotTaken,
    /// The member already holds that sequence number: the gate let them over their limit.
    MemberLimit,
    /// The same request was stored before (a retry): here is its claim.
    Replay(Claim),
    /// The campaign was cancelled or its window closed before the claim reached the database.
    Closed,
    /// The member is not in the required [`Standing`] (any more).
    OutOfStanding,
}

/// The state the gate is rebuilt from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GiftUsage {
    pub used_slots: Vec<u32>,
    /// Per member: claims of this gift.
    pub per_member: Vec<(MemberId, u32)>,
    /// Every stored claim's request with the answer it got, so a rebuilt gate still replays them.
    pub requests: Vec<(String, GrantedSlot)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrantedSlot {
    pub slot: u32,
    pub gift_seq: u32,
    pub campaign_seq: u32,
}

/// A claim for the database-only mode: the database picks the slot (a counter on the gift that
/// only rises while it is below the released stock) and the member's sequences.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountedClaim {
    /// Its `slot`, `gift_seq`, `campaign_seq` and `staff_alert` are ignored.
    pub claim: NewClaim,
    pub released: u32,
    pub gift_limit: u32,
    pub campaign_limit: u32,
    /// The staff alert to send if the claim takes the given slot.
    pub alerts: Vec<(u32, Notice)>,
}

/// What a publish came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Publishing {
    Published,
    /// Published or cancelled already.
    NotDraft,
    NoGifts,
    /// The gifts' full stock would cost `needed` fen (`None`: more than an `i64` holds) against
    /// a budget of `budget`.
    OverBudget {
        needed: Option<i64>,
        budget: i64,
    },
}

/// What a stock change came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockChange {
    Raised,
    /// Below the stock as stored.
    Decrease,
    /// No longer the stock the caller saw: someone changed it meanwhile.
    Changed {
        stock: u32,
    },
    /// The campaign's gifts would cost `needed` fen against a budget of `budget`.
    OverBudget {
        needed: i64,
        budget: i64,
    },
}

/// What the database said to a counted claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Counted {
    Done(GrantedSlot),
    SoldOut,
    LimitReached,
    /// The counter is behind a slot taken another way (after a switch from the gate): resync it.
    SlotTaken,
    /// Another claim of the same member took the sequence this one counted on: count again.
    Raced,
    /// The member is not in the required [`Standing`] (any more).
    OutOfStanding,
    Replay(Claim),
    Closed,
}

pub trait ClaimStore: Send + Sync + 'static {
    /// Inserts the claim, its voucher and its ledger row atomically, the slot checked against the
    /// gift's stock in the same statement. Unique violations are answers, not errors.
    fn insert(&self, claim: &NewClaim) -> impl Future<Output = anyhow::Result<Inserted>> + Send;
    /// The database-only mode's claim: counter, claim, ledger row and mails in one round trip.
    fn insert_counted(&self, claim: &CountedClaim) -> impl Future<Output = anyhow::Result<Counted>> + Send;
    fn find_by_request(&self, request_key: &str) -> impl Future<Output = anyhow::Result<Option<Claim>>> + Send;
    /// Up to `limit + 1` of the member's claims, newest (highest id) first, below `before`.
    fn member_page(
        &self,
        member: MemberId,
        limit: u16,
        before: Option<Uuid>,
    ) -> impl Future<Output = anyhow::Result<Vec<Claim>>> + Send;
    /// How many claims the member holds in each campaign, voided ones not counted.
    fn member_counts(&self, member: MemberId) -> impl Future<Output = anyhow::Result<Vec<(CampaignId, u32)>>> + Send;
    fn usage(&self, gift: GiftId) -> impl Future<Output = anyhow::Result<GiftUsage>> + Send;
    /// Per member: claims across the campaign.
    fn campaign_counts(
        &self,
        campaign: CampaignId,
    ) -> impl Future<Output = anyhow::Result<Vec<(MemberId, u32)>>> + Send;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ticket<'a> {
    pub campaign: CampaignId,
    pub gift: GiftId,
    pub member: MemberId,
    /// The same request id always gets the same answer from the gate.
    pub request: &'a str,
    pub stock: u32,
    pub gift_limit: u32,
    pub campaign_limit: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GateAnswer {
    Granted {
        slot: u32,
        gift_seq: u32,
        campaign_seq: u32,
        /// `false` when the gate replays what it answered this request before: such a slot may
        /// already be in the database, so it is never given back on the replay's behalf.
        fresh: bool,
    },
    SoldOut,
    LimitReached,
    /// The gate holds nothing for this gift (never loaded, or lost with a Redis restart).
    Cold,
    /// This gate keeps no inventory: the database counts, one conditional update per claim (the
    /// database-only mode, kept as the baseline the gate is measured against).
    DatabaseDecides,
}

#[derive(Debug, thiserror::Error)]
#[error("inventory gate unavailable")]
pub struct GateUnavailable(#[source] pub anyhow::Error);

/// The inventory gate in front of the database: atomic per gift, answers sold-out and limit-reached
/// without touching the database.
pub trait InventoryGate: Send + Sync + 'static {
    fn reserve(&self, t: &Ticket<'_>) -> impl Future<Output = Result<GateAnswer, GateUnavailable>> + Send;

    /// Undoes the member's counts of a reservation, and returns the slot to the free list when
    /// given. The slot MUST NOT be given back when the database said it is taken.
    fn give_back(&self, t: &Ticket<'_>, slot: Option<u32>) -> impl Future<Output = Result<(), GateUnavailable>> + Send;

    fn remaining(
        &self,
        campaign: CampaignId,
        gift: GiftId,
        stock: u32,
    ) -> impl Future<Output = Result<Option<u32>, GateUnavailable>> + Send;

    /// Replaces the gate's state for a gift: free slots are `1..=stock` minus `used`, member counts
    /// as given, claims paused meanwhile. One rebuilder at a time: a caller that finds another at
    /// work waits for it (briefly) instead of loading twice.
    fn load(
        &self,
        campaign: CampaignId,
        gift: GiftId,
        stock: u32,
        usage: &GiftUsage,
        campaign_counts: &[(MemberId, u32)],
    ) -> impl Future<Output = Result<(), GateUnavailable>> + Send;
}

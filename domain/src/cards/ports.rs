use chrono::NaiveDate;
use std::future::Future;

use super::code::DayHandle;
use super::model::{Card, HistoryEntry, NewCard, Transition};
use super::verify::{CardHandles, CardId};
use crate::members::MemberId;

/// Whether an application was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Written,
    /// The member is not in standing (the rule every benefit uses).
    NotInStanding,
    /// The member holds a card that is not cancelled.
    AlreadyHeld,
}

/// A bank event as kept: its answer is given again to a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptEvent {
    pub event_id: String,
    pub card: CardId,
    pub kind: &'static str,
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    pub outcome: super::bank::EventOutcome,
    pub received_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventWrite {
    Written,
    /// The card changed since it was read: decide again.
    CardMoved,
    /// Another request kept this event id first.
    Duplicate,
    /// The card number the event sets belongs to another card.
    NumberTaken,
}

/// Cards, their history and their daily handles.
pub trait CardStore: CardHandles {
    fn apply(&self, card: &NewCard) -> impl Future<Output = anyhow::Result<Applied>> + Send;
    /// The member's cards, newest first.
    fn cards_of(&self, member: MemberId) -> impl Future<Output = anyhow::Result<Vec<Card>>> + Send;
    fn card(&self, id: CardId) -> impl Future<Output = anyhow::Result<Option<Card>>> + Send;
    /// The history of these cards, oldest first.
    fn history(&self, cards: Vec<CardId>) -> impl Future<Output = anyhow::Result<Vec<HistoryEntry>>> + Send;
    /// The card's code secret, opened.
    fn secret(&self, card: CardId) -> impl Future<Output = anyhow::Result<Vec<u8>>> + Send;
    /// Applies the change with its history entry; `false` when the card was no longer in `from`.
    fn transition(&self, change: &Transition) -> impl Future<Output = anyhow::Result<bool>> + Send;
    /// The card's handles for `days`, drawing (and keeping) any it has not got yet.
    fn handles(
        &self,
        card: CardId,
        days: Vec<NaiveDate>,
    ) -> impl Future<Output = anyhow::Result<Vec<(NaiveDate, DayHandle)>>> + Send;
    /// Forgets handles of days before `day`: they can find no card any more.
    fn forget_handles_before(&self, day: NaiveDate) -> impl Future<Output = anyhow::Result<u64>> + Send;
    /// Up to `limit` steps of every card's life before `before` (a `seq`), newest first.
    fn changes(
        &self,
        before: Option<i64>,
        limit: u16,
    ) -> impl Future<Output = anyhow::Result<Vec<super::model::CardChange>>> + Send;
    /// Up to `limit` applications the bank has not issued yet, after `after`, oldest first.
    fn applications(&self, after: Option<CardId>, limit: u16)
        -> impl Future<Output = anyhow::Result<Vec<Card>>> + Send;
    fn kept_event(&self, event_id: &str) -> impl Future<Output = anyhow::Result<Option<KeptEvent>>> + Send;
    /// Keeps the event and, in the same transaction, applies its change and inserts its new card.
    fn keep_event(
        &self,
        event: &KeptEvent,
        change: Option<&Transition>,
        new_card: Option<&NewCard>,
    ) -> impl Future<Output = anyhow::Result<EventWrite>> + Send;
}

/// The bank's card transactions and the rebates they earn.
pub trait CardFeed: Send + Sync + 'static {
    /// Those of `ids` already kept, with their answers.
    fn kept_transactions(
        &self,
        ids: Vec<super::rebate::TransactionId>,
    ) -> impl Future<Output = anyhow::Result<Vec<super::rebate::KeptTransaction>>> + Send;
    /// Every card with one of these account tokens.
    fn cards_by_accounts(
        &self,
        tokens: Vec<super::model::AccountToken>,
    ) -> impl Future<Output = anyhow::Result<Vec<Card>>> + Send;
    /// Keeps the transactions (ids distinct), answering each in order: `Duplicate` for one kept
    /// meanwhile by another request. With a rebate, atomically: the member's standing (an active
    /// card included), the offer still published by an active merchant, a use within the offer's
    /// limits (counted in the order given), then the rebate.
    fn record_batch(
        &self,
        txs: Vec<super::rebate::NewTransaction>,
    ) -> impl Future<Output = anyhow::Result<Vec<super::rebate::TxWrite>>> + Send;
    /// Keeps a refund or reversal once by its id: under its transaction's lock, applies
    /// [`super::refund::effect`], writes the refund, the clawback's negative rebate row and, when
    /// the purchase is refunded whole, gives its use of the offer back. A refund id kept before is
    /// answered as kept (whatever was sent now: the caller compares).
    fn record_refund(
        &self,
        refund: super::refund::NewRefund,
    ) -> impl Future<Output = anyhow::Result<super::refund::RefundWrite>> + Send;
    /// Closes payout day `day` (once): waits for every write counting into it; later writes count
    /// into the next open day.
    fn close_payout_day(
        &self,
        day: NaiveDate,
        at: chrono::DateTime<chrono::Utc>,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// The rebates of payout day `day`, in the order they were recorded.
    fn rebates_on(&self, day: NaiveDate)
        -> impl Future<Output = anyhow::Result<Vec<super::rebate::RebateLine>>> + Send;
    /// Transactions received on Beijing day `day` at bank merchant ids that are none of ours.
    fn unknown_merchants_on(
        &self,
        day: NaiveDate,
    ) -> impl Future<Output = anyhow::Result<Vec<super::rebate::UnknownMerchant>>> + Send;
    /// Up to `limit` of the member's transactions before `before` (a `seq`), newest first.
    fn member_transactions(
        &self,
        member: MemberId,
        before: Option<i64>,
        limit: u16,
    ) -> impl Future<Output = anyhow::Result<Vec<super::rebate::TxLine>>> + Send;
    fn member_rebates(
        &self,
        member: MemberId,
        before: Option<i64>,
        limit: u16,
    ) -> impl Future<Output = anyhow::Result<Vec<super::rebate::RebateLine>>> + Send;
}

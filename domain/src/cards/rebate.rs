//! Card transactions at partner merchants, as the bank reports them, and the rebates they earn:
//! a transaction at a merchant with a cardholder offer valid that day gets the offer's discount
//! back, within the offer's per-member limits, paid by the offer's funder.

use chrono::{DateTime, NaiveDate, Utc};
use std::collections::BTreeMap;

use super::model::AccountToken;
use super::verify::CardId;
use crate::members::MemberId;
use crate::merchants::offer::{Audience, Funder, Offer, OfferId, OfferStatus};
use crate::merchants::{BankMerchantId, MerchantId};
use crate::shared::money::Fen;

/// The bank's id for a transaction: 1–64 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TransactionId(String);

impl TransactionId {
    pub fn parse(raw: &str) -> Option<Self> {
        ((1..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic())).then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardTransaction {
    pub id: TransactionId,
    pub bank_merchant: BankMerchantId,
    pub account: AccountToken,
    pub amount: Fen,
    pub occurred_at: DateTime<Utc>,
}

impl CardTransaction {
    /// The same message again: every field alike, the time to the microsecond the database keeps.
    pub fn same_as(&self, other: &CardTransaction) -> bool {
        (&self.id, &self.bank_merchant, &self.account, self.amount, self.occurred_at.timestamp_micros())
            == (&other.id, &other.bank_merchant, &other.account, other.amount, other.occurred_at.timestamp_micros())
    }
}

/// What became of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TxOutcome {
    Rebated,
    /// The merchant has no cardholder offer valid that day (or none applies to the amount).
    NoOffer,
    /// The member has used the offer as often as it allows.
    LimitReached,
    /// The bank's merchant id is none of ours: kept and reported, not refused.
    UnknownMerchant,
    /// No card of ours has this account token.
    UnknownCard,
    /// The card was not active (frozen, lost, cancelled, not yet active).
    CardNotActive,
    /// The member is not in standing (suspended, erased, off the roster).
    NotInStanding,
    /// The purchase got a cardholder offer at the merchant's till already: one purchase, one
    /// benefit (a till sale of that merchant's cardholder offer, by the member, that Beijing day,
    /// whose amount paid is what the card was charged, not reversed, not matched before).
    DiscountedAtTill,
}

impl TxOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rebated => "rebated",
            Self::NoOffer => "no_offer",
            Self::LimitReached => "limit_reached",
            Self::UnknownMerchant => "unknown_merchant",
            Self::UnknownCard => "unknown_card",
            Self::CardNotActive => "card_not_active",
            Self::NotInStanding => "not_in_standing",
            Self::DiscountedAtTill => "discounted_at_till",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::Rebated,
            Self::NoOffer,
            Self::LimitReached,
            Self::UnknownMerchant,
            Self::UnknownCard,
            Self::CardNotActive,
            Self::NotInStanding,
            Self::DiscountedAtTill,
        ]
        .into_iter()
        .find(|o| o.as_str() == raw)
    }
}

/// A rebate a matched transaction may get, checked again (standing, the offer as it stood when
/// the purchase happened, limits) in the write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebateDraft {
    pub offer: OfferId,
    pub amount: Fen,
    pub funder: Funder,
    /// The transaction's Beijing day: what the daily limit counts by.
    pub day: NaiveDate,
    pub daily_limit: Option<u32>,
    pub total_limit: Option<u32>,
}

/// A transaction to keep, with what the service matched it to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTransaction {
    pub tx: CardTransaction,
    pub merchant: Option<MerchantId>,
    pub card: Option<(CardId, MemberId)>,
    /// The outcome unless the rebate's write decides otherwise.
    pub outcome: TxOutcome,
    /// The rebates it may get, the largest first: the write gives the first one the offer's
    /// history and the member's limits allow.
    pub rebates: Vec<RebateDraft>,
    pub received_at: DateTime<Utc>,
    /// The Beijing day of `received_at`: the payout file a rebate belongs to.
    pub payout_day: NaiveDate,
}

/// A transaction as kept: its answer is given again to a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptTransaction {
    pub id: TransactionId,
    /// The transaction as first sent: a repeat must be the same message.
    pub first: CardTransaction,
    pub outcome: TxOutcome,
    pub rebate: Fen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxWrite {
    Written {
        outcome: TxOutcome,
        rebate: Fen,
    },
    /// Another request kept this transaction id first.
    Duplicate,
}

/// One rebate, for the payout file and the member's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebateLine {
    pub seq: i64,
    pub transaction: String,
    pub merchant: MerchantId,
    pub merchant_name: String,
    pub bank_merchant_id: String,
    pub offer: OfferId,
    pub offer_title: String,
    pub member: MemberId,
    pub card: CardId,
    pub card_last4: Option<String>,
    pub account_token: String,
    pub spent: Fen,
    pub rebate: Fen,
    pub funder: Funder,
    pub payout_day: NaiveDate,
    pub occurred_at: DateTime<Utc>,
    /// For a clawback (a negative `rebate`), the refund or reversal that took it back.
    pub refund: Option<String>,
}

/// One of a member's card transactions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TxLine {
    pub seq: i64,
    pub transaction: String,
    pub merchant_name: Option<String>,
    pub amount: Fen,
    pub occurred_at: DateTime<Utc>,
    pub outcome: TxOutcome,
    pub rebate: Fen,
}

/// Transactions at a bank merchant id that is none of ours, on one day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownMerchant {
    pub bank_merchant_id: String,
    pub transactions: i64,
    pub amount: Fen,
}

/// The payout file for a day, with its totals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RebateFile {
    pub day: NaiveDate,
    pub lines: Vec<RebateLine>,
    pub unknown_merchants: Vec<UnknownMerchant>,
}

impl RebateFile {
    pub fn total(&self) -> Fen {
        Fen::new(self.lines.iter().map(|l| l.rebate.get()).sum())
    }

    /// What each funder owes that day, every funder listed.
    pub fn by_funder(&self) -> Vec<(Funder, Fen)> {
        [Funder::Merchant, Funder::Union, Funder::Bank]
            .into_iter()
            .map(|f| (f, Fen::new(self.lines.iter().filter(|l| l.funder == f).map(|l| l.rebate.get()).sum())))
            .collect()
    }
}

/// A member's uses of one offer as the store keeps them: in all, and per Beijing day, each day
/// on its own whatever order the days are reported in.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    pub total_used: u32,
    pub days: BTreeMap<NaiveDate, u32>,
}

impl Usage {
    /// Takes one use on `day` if the limits allow, as a sale's statement does; `false` otherwise.
    pub fn take(&mut self, day: NaiveDate, daily: Option<u32>, total: Option<u32>) -> bool {
        let used_that_day = self.days.get(&day).copied().unwrap_or(0);
        if daily.is_some_and(|d| used_that_day >= d) || total.is_some_and(|t| self.total_used >= t) {
            return false;
        }
        self.days.insert(day, used_that_day + 1);
        self.total_used += 1;
        true
    }
}

/// The cardholder offers that would give a rebate on `amount` spent on Beijing day `day`, the
/// largest rebate first: when the best is at the member's limit the next is tried. Paused or
/// expired offers are listed too: whether one was published when the purchase happened is the
/// store's to say, from the offer's history.
pub fn rebate_candidates(offers: &[Offer], amount: Fen, day: NaiveDate) -> Vec<(&Offer, Fen)> {
    let mut found: Vec<(&Offer, Fen)> = offers
        .iter()
        .filter(|o| o.audience == Audience::Cardholders && o.status != OfferStatus::Draft && o.terms_hold_on(day))
        .filter_map(|o| o.discount.price(amount, o.cap).ok().map(|p| (o, p.discount)))
        .filter(|(_, rebate)| rebate.get() > 0)
        .collect();
    found.sort_by_key(|(o, rebate)| (std::cmp::Reverse(rebate.get()), o.id));
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merchants::offer::{Limits, OfferStatus, Weekdays};
    use crate::merchants::pricing::Discount;

    fn offer(discount: Discount, audience: Audience, status: OfferStatus) -> Offer {
        Offer {
            id: OfferId::new(),
            merchant: MerchantId::new(),
            title: "x".into(),
            discount,
            cap: None,
            valid_from: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            valid_until: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            weekdays: Weekdays::ALL,
            stores: None,
            audience,
            limits: Limits { daily: None, total: None },
            status,
            funder: Funder::Bank,
        }
    }

    #[test]
    fn cardholder_offers_are_tried_largest_rebate_first() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        let ten_off = offer(Discount::percent_off(1_000).unwrap(), Audience::Cardholders, OfferStatus::Published);
        let save_30 =
            offer(Discount::spend_save(10_000, 3_000).unwrap(), Audience::Cardholders, OfferStatus::Published);
        let for_all = offer(Discount::amount_off(9_000).unwrap(), Audience::Activated, OfferStatus::Published);
        let paused = offer(Discount::amount_off(8_000).unwrap(), Audience::Cardholders, OfferStatus::Paused);
        let draft = offer(Discount::amount_off(9_500).unwrap(), Audience::Cardholders, OfferStatus::Draft);
        let offers = [ten_off.clone(), save_30.clone(), for_all, paused.clone(), draft];
        let ids = |found: Vec<(&Offer, Fen)>| found.into_iter().map(|(o, f)| (o.id, f.get())).collect::<Vec<_>>();
        // 200.00: the paused offer's 80.00 (it may have been published at the purchase), then
        // 满100减30's 30.00, then 10% off's 20.00; the draft never was published.
        assert_eq!(
            ids(rebate_candidates(&offers, Fen::new(20_000), day)),
            [(paused.id, 8_000), (save_30.id, 3_000), (ten_off.id, 2_000)]
        );
        // 50.00 is under the threshold.
        assert_eq!(ids(rebate_candidates(&offers, Fen::new(5_000), day)), [(paused.id, 5_000), (ten_off.id, 500)]);
        // Outside the offers' dates nothing applies.
        assert!(rebate_candidates(&offers, Fen::new(20_000), NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()).is_empty());
    }

    #[test]
    fn uses_count_per_day_in_whatever_order_the_days_come_and_in_all() {
        let d = |n| NaiveDate::from_ymd_opt(2026, 12, n).unwrap();
        let mut u = Usage::default();
        for (day, taken) in [(2, true), (1, true), (2, false), (1, false), (2, false), (3, true)] {
            assert_eq!(u.take(d(day), Some(1), None), taken, "day {day}");
        }
        assert_eq!((u.total_used, u.days.get(&d(2)).copied()), (3, Some(1)));
        assert!(!u.take(d(4), Some(1), Some(3)), "three in all");
        let mut free = Usage { total_used: 9, days: BTreeMap::from([(d(1), 5)]) };
        assert!(free.take(d(1), None, None));
    }

    #[test]
    fn outcomes_and_ids_parse_back() {
        for o in [TxOutcome::Rebated, TxOutcome::NoOffer, TxOutcome::UnknownMerchant, TxOutcome::NotInStanding] {
            assert_eq!(TxOutcome::parse(o.as_str()), Some(o));
        }
        assert!(TransactionId::parse("").is_none() && TransactionId::parse("a b").is_none());
        assert_eq!(TransactionId::parse("TX-1").unwrap().as_str(), "TX-1");
    }
}

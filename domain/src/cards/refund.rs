//! Refunds and reversals of card transactions, as the bank reports them: goods returned (a refund,
//! part or all of what was paid) or the payment cancelled (a reversal, all of what is left). The
//! rebate follows what the member finally paid: what the offer gives on the amount left, never
//! more than was given; the difference is clawed back as a negative rebate row on the payout day
//! the refund is processed. A purchase refunded whole gives its use of the offer back.

use chrono::{DateTime, NaiveDate, Utc};

use super::rebate::TransactionId;
use crate::merchants::offer::Offer;
use crate::shared::money::Fen;

/// The bank's id for a refund or reversal: the same shape as a transaction's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RefundId(TransactionId);

impl RefundId {
    pub fn parse(raw: &str) -> Option<Self> {
        TransactionId::parse(raw).map(Self)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundKind {
    /// Goods returned: part or all of the amount, possibly several times.
    Refund,
    /// The payment cancelled: all that is left of it.
    Reversal,
}

impl RefundKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Refund => "refund",
            Self::Reversal => "reversal",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Refund, Self::Reversal].into_iter().find(|k| k.as_str() == raw)
    }
}

/// A refund or reversal as the bank sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardRefund {
    pub id: RefundId,
    pub transaction: TransactionId,
    pub kind: RefundKind,
    /// Required for a refund; a reversal may leave it out (then it is all that is left).
    pub amount: Option<Fen>,
    pub occurred_at: DateTime<Utc>,
}

impl CardRefund {
    /// The same message again: every field alike, the time to the microsecond the database keeps.
    pub fn same_as(&self, other: &CardRefund) -> bool {
        let key =
            |r: &CardRefund| (r.id.clone(), r.transaction.clone(), r.kind, r.amount, r.occurred_at.timestamp_micros());
        key(self) == key(other)
    }
}

/// What the store holds of a refund's transaction, read under its lock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refundable {
    pub amount: Fen,
    /// Refunded by the refunds kept before this one.
    pub refunded: Fen,
    /// The rebate as it stands: given, less what earlier refunds clawed back.
    pub rebate: Fen,
    /// The offer that gave the rebate, if one did.
    pub offer: Option<Offer>,
}

/// What a refund does to its transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundEffect {
    Taken {
        amount: Fen,
        /// Taken back from the rebate (0 when none was given, or the offer still gives as much).
        clawback: Fen,
        /// The transaction's amount left after it.
        remaining: Fen,
    },
    /// More than is left of the transaction, or a reversal naming another amount than what is left.
    Exceeds { remaining: Fen },
}

impl RefundEffect {
    /// Whether the purchase is now refunded whole (its use of the offer is given back).
    pub fn whole(self) -> bool {
        matches!(self, RefundEffect::Taken { remaining, .. } if remaining.get() == 0)
    }
}

/// The rule, applied by the store under the transaction's lock.
pub fn effect(of: &Refundable, refund: &CardRefund) -> RefundEffect {
    let remaining = Fen::new(of.amount.get() - of.refunded.get());
    let amount = refund.amount.unwrap_or(remaining);
    let whole_reversal = refund.kind == RefundKind::Reversal && amount != remaining;
    if amount.get() <= 0 || amount > remaining || whole_reversal {
        return RefundEffect::Exceeds { remaining };
    }
    let left = Fen::new(remaining.get() - amount.get());
    let still_given = match &of.offer {
        Some(offer) if left.get() > 0 => offer.discount.price(left, offer.cap).map_or(0, |p| p.discount.get()),
        _ => 0,
    };
    let clawback = Fen::new((of.rebate.get() - still_given).max(0));
    RefundEffect::Taken { amount, clawback, remaining: left }
}

/// A refund as kept: a replay is answered with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptRefund {
    pub first: CardRefund,
    pub amount: Fen,
    pub clawback: Fen,
    pub remaining: Fen,
    pub payout_day: NaiveDate,
}

/// A refund to keep: as sent, with when it was received and the payout day that makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefund {
    pub refund: CardRefund,
    pub received_at: DateTime<Utc>,
    pub payout_day: NaiveDate,
}

/// What keeping a refund came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundWrite {
    /// Kept now, or kept before (a replay is answered as it was first).
    Kept(KeptRefund),
    /// Its transaction is not kept (yet): send the transaction first.
    UnknownTransaction,
    Exceeds {
        remaining: Fen,
    },
    /// Another request kept a refund of this id meanwhile: read it again.
    Raced,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merchants::pricing::Discount;

    fn refundable(amount: i64, refunded: i64, rebate: i64, discount: Option<Discount>) -> Refundable {
        let offer = discount.map(|discount| Offer {
            id: crate::merchants::offer::OfferId::new(),
            merchant: crate::merchants::MerchantId::new(),
            title: "x".into(),
            discount,
            cap: None,
            valid_from: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            valid_until: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            weekdays: crate::merchants::offer::Weekdays::ALL,
            stores: None,
            audience: crate::merchants::offer::Audience::Cardholders,
            limits: crate::merchants::offer::Limits { daily: None, total: None },
            status: crate::merchants::offer::OfferStatus::Published,
            funder: crate::merchants::offer::Funder::Union,
        });
        Refundable { amount: Fen::new(amount), refunded: Fen::new(refunded), rebate: Fen::new(rebate), offer }
    }

    fn refund(kind: RefundKind, amount: Option<i64>) -> CardRefund {
        CardRefund {
            id: RefundId::parse("RF-1").unwrap(),
            transaction: TransactionId::parse("TX-1").unwrap(),
            kind,
            amount: amount.map(Fen::new),
            occurred_at: DateTime::from_timestamp(1_765_000_000, 0).unwrap(),
        }
    }

    fn taken(amount: i64, clawback: i64, remaining: i64) -> RefundEffect {
        RefundEffect::Taken { amount: Fen::new(amount), clawback: Fen::new(clawback), remaining: Fen::new(remaining) }
    }

    #[test]
    fn the_rebate_follows_what_was_finally_paid() {
        let save_30 = Some(Discount::spend_save(10_000, 3_000).unwrap());
        // 128.00 with 满100减30: 28.00 back leaves 100.00, still 30.00 off; 1 fen more and it is not.
        assert_eq!(
            effect(&refundable(12_800, 0, 3_000, save_30), &refund(RefundKind::Refund, Some(2_800))),
            taken(2_800, 0, 10_000)
        );
        assert_eq!(
            effect(&refundable(12_800, 2_800, 3_000, save_30), &refund(RefundKind::Refund, Some(1))),
            taken(1, 3_000, 9_999)
        );
        // 10% off: a quarter back takes back a quarter, rounded as the offer rounds.
        let ten = Some(Discount::percent_off(1_000).unwrap());
        assert_eq!(
            effect(&refundable(12_345, 0, 1_234, ten), &refund(RefundKind::Refund, Some(3_000))),
            taken(3_000, 300, 9_345)
        );
        // A reversal takes all that is left, and the rest of the rebate with it.
        assert_eq!(
            effect(&refundable(12_345, 3_000, 934, ten), &refund(RefundKind::Reversal, None)),
            taken(9_345, 934, 0)
        );
        assert!(effect(&refundable(12_345, 3_000, 934, ten), &refund(RefundKind::Reversal, None)).whole());
        // No rebate given: nothing to claw back.
        assert_eq!(
            effect(&refundable(5_000, 0, 0, None), &refund(RefundKind::Refund, Some(5_000))),
            taken(5_000, 0, 0)
        );
    }

    #[test]
    fn more_than_is_left_is_refused() {
        let exceeds = |remaining| RefundEffect::Exceeds { remaining: Fen::new(remaining) };
        assert_eq!(
            effect(&refundable(10_000, 6_000, 0, None), &refund(RefundKind::Refund, Some(4_001))),
            exceeds(4_000)
        );
        assert_eq!(
            effect(&refundable(10_000, 6_000, 0, None), &refund(RefundKind::Reversal, Some(3_000))),
            exceeds(4_000)
        );
        assert_eq!(effect(&refundable(10_000, 10_000, 0, None), &refund(RefundKind::Reversal, None)), exceeds(0));
    }
}

//! What a discounted sale costs: integer fen throughout; a percentage's discount rounds down to
//! whole fen (in the merchant's favour, as tills do), never below zero and never above the
//! offer's cap or the sale.

use crate::shared::money::{Fen, OutOfRange};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discount {
    /// Basis points of the amount (1–10 000): 1 500 is 15% off, i.e. 八五折.
    PercentOff { bps: u32 },
    /// A fixed amount off any sale (never more than the sale).
    AmountOff { amount: Fen },
    /// 满 X 减 Y: `save` off a sale of at least `threshold`.
    SpendSave { threshold: Fen, save: Fen },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidDiscount {
    #[error("percent_bps must be 1-10000")]
    Percent,
    #[error("amount_fen {0}")]
    Amount(OutOfRange),
    #[error("spend-X-save-Y needs 0 < save_fen <= threshold_fen <= 1000000000")]
    SpendSave,
    #[error("cap_fen {0}")]
    Cap(OutOfRange),
}

/// A sale's amounts; `discount + to_pay == original`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priced {
    pub original: Fen,
    pub discount: Fen,
    pub to_pay: Fen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotApplicable {
    #[error("the amount {0}")]
    Amount(OutOfRange),
    #[error("the sale is below the offer's threshold")]
    BelowThreshold { threshold: Fen },
}

impl Discount {
    pub fn percent_off(bps: i64) -> Result<Self, InvalidDiscount> {
        match u32::try_from(bps) {
            Ok(bps @ 1..=10_000) => Ok(Discount::PercentOff { bps }),
            _ => Err(InvalidDiscount::Percent),
        }
    }

    pub fn amount_off(fen: i64) -> Result<Self, InvalidDiscount> {
        Ok(Discount::AmountOff { amount: Fen::payment(fen).map_err(InvalidDiscount::Amount)? })
    }

    pub fn spend_save(threshold: i64, save: i64) -> Result<Self, InvalidDiscount> {
        match (Fen::payment(threshold), Fen::payment(save)) {
            (Ok(threshold), Ok(save)) if save <= threshold => Ok(Discount::SpendSave { threshold, save }),
            _ => Err(InvalidDiscount::SpendSave),
        }
    }

    /// The most one sale may be discounted.
    pub fn cap(fen: i64) -> Result<Fen, InvalidDiscount> {
        Fen::payment(fen).map_err(InvalidDiscount::Cap)
    }

    pub fn kind(self) -> &'static str {
        match self {
            Discount::PercentOff { .. } => "percent_off",
            Discount::AmountOff { .. } => "amount_off",
            Discount::SpendSave { .. } => "spend_save",
        }
    }

    /// Prices a sale of `original`. Percentages round down (to whole fen, in the merchant's
    /// favour, as tills do), and the discount never exceeds `cap` or the sale itself.
    pub fn price(self, original: Fen, cap: Option<Fen>) -> Result<Priced, NotApplicable> {
        let original = Fen::payment(original.get()).map_err(NotApplicable::Amount)?;
        let amount = original.get();
        let off = match self {
            // i128: a bps (≤ 10⁴) times any i64 amount cannot overflow it.
            Discount::PercentOff { bps } => (i128::from(amount) * i128::from(bps) / 10_000) as i64,
            Discount::AmountOff { amount: off } => off.get(),
            Discount::SpendSave { threshold, save } => {
                if original < threshold {
                    return Err(NotApplicable::BelowThreshold { threshold });
                }
                save.get()
            }
        };
        let off = off.min(cap.map_or(i64::MAX, Fen::get)).min(amount);
        Ok(Priced { original, discount: Fen::new(off), to_pay: Fen::new(amount - off) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::money::MAX_PAYMENT;

    fn fen(n: i64) -> Fen {
        Fen::new(n)
    }

    #[test]
    fn percent_off_rounds_down_to_whole_fen() {
        let d = Discount::percent_off(1_500).unwrap();
        let p = d.price(fen(9_999), None).unwrap();
        // 15% of 99.99 is 14.9985: 14.99 off, 85.00 to pay.
        assert_eq!((p.discount, p.to_pay), (fen(1_499), fen(8_500)));
        assert_eq!(Discount::percent_off(10_000).unwrap().price(fen(123), None).unwrap().to_pay, fen(0));
        assert_eq!(Discount::percent_off(1).unwrap().price(fen(99), None).unwrap().discount, fen(0));
        let most = Discount::percent_off(5_000).unwrap().price(MAX_PAYMENT, None).unwrap();
        assert_eq!(most.discount.get() + most.to_pay.get(), MAX_PAYMENT.get());
        let over = Discount::percent_off(1_000).unwrap().price(fen(10i64.pow(15)), None);
        assert!(matches!(over, Err(NotApplicable::Amount(_))), "a mistyped 10¹⁵ is refused, not discounted");
    }

    #[test]
    fn amount_off_never_exceeds_the_sale() {
        let d = Discount::amount_off(2_000).unwrap();
        assert_eq!(d.price(fen(5_000), None).unwrap().to_pay, fen(3_000));
        let small = d.price(fen(1_500), None).unwrap();
        assert_eq!((small.discount, small.to_pay), (fen(1_500), fen(0)));
    }

    #[test]
    fn spend_save_needs_the_threshold() {
        let d = Discount::spend_save(10_000, 2_000).unwrap();
        assert_eq!(d.price(fen(9_999), None), Err(NotApplicable::BelowThreshold { threshold: fen(10_000) }));
        assert_eq!(d.price(fen(10_000), None).unwrap().to_pay, fen(8_000));
        assert_eq!(d.price(fen(25_000), None).unwrap().discount, fen(2_000));
    }

    #[test]
    fn the_cap_bounds_every_kind() {
        let cap = Some(fen(500));
        assert_eq!(Discount::percent_off(5_000).unwrap().price(fen(10_000), cap).unwrap().discount, fen(500));
        assert_eq!(Discount::amount_off(800).unwrap().price(fen(10_000), cap).unwrap().discount, fen(500));
        assert_eq!(Discount::spend_save(1_000, 900).unwrap().price(fen(1_000), cap).unwrap().discount, fen(500));
        assert_eq!(Discount::amount_off(300).unwrap().price(fen(10_000), cap).unwrap().discount, fen(300));
    }

    #[test]
    fn refuses_nonsense() {
        assert!(Discount::percent_off(0).is_err());
        assert!(Discount::percent_off(10_001).is_err());
        assert!(Discount::percent_off(-5).is_err());
        assert!(Discount::amount_off(0).is_err());
        assert!(Discount::spend_save(1_000, 0).is_err());
        assert!(Discount::spend_save(1_000, 1_001).is_err());
        let d = Discount::amount_off(100).unwrap();
        assert!(matches!(d.price(fen(0), None), Err(NotApplicable::Amount(_))));
        assert!(matches!(d.price(fen(-100), None), Err(NotApplicable::Amount(_))));
    }
}

//! What a discounted sale costs: integer fen throughout, rounding in the member's favour never
//! below zero and never above the offer's cap.

use crate::shared::money::Fen;

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
    #[error("amount_fen must be positive")]
    Amount,
    #[error("spend-X-save-Y needs 0 < save_fen <= threshold_fen")]
    SpendSave,
    #[error("cap_fen must be positive")]
    Cap,
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
    #[error("the amount must be a positive number of fen")]
    NotPositive,
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
        if fen > 0 {
            Ok(Discount::AmountOff { amount: Fen::new(fen) })
        } else {
            Err(InvalidDiscount::Amount)
        }
    }

    pub fn spend_save(threshold: i64, save: i64) -> Result<Self, InvalidDiscount> {
        if 0 < save && save <= threshold {
            Ok(Discount::SpendSave { threshold: Fen::new(threshold), save: Fen::new(save) })
        } else {
            Err(InvalidDiscount::SpendSave)
        }
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
        let amount = original.get();
        if amount <= 0 {
            return Err(NotApplicable::NotPositive);
        }
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
        let huge = Discount::percent_off(5_000).unwrap().price(fen(i64::MAX), None).unwrap();
        assert_eq!(huge.discount.get() + huge.to_pay.get(), i64::MAX);
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
        assert_eq!(d.price(fen(0), None), Err(NotApplicable::NotPositive));
        assert_eq!(d.price(fen(-100), None), Err(NotApplicable::NotPositive));
    }
}

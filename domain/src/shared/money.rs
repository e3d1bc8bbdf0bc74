use serde::{Deserialize, Serialize};
use std::fmt;

/// An amount of money in fen (分), the only unit money is ever stored or computed in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fen(i64);

/// The most one payment may be: ten million yuan. A sale, a card transaction, a gift's unit
/// cost, a discount and its cap are each a payment.
pub const MAX_PAYMENT: Fen = Fen(1_000_000_000);

/// The most a campaign's budget may be: ten billion yuan.
pub const MAX_BUDGET: Fen = Fen(1_000_000_000_000);

/// An amount outside what its field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("must be {min} to {max} fen")]
pub struct OutOfRange {
    pub min: i64,
    pub max: i64,
}

impl Fen {
    pub const ZERO: Fen = Fen(0);

    /// An amount coming in, `min..=max` fen or refused: every amount a client or the bank sends
    /// passes here, so sums of them stay far inside an `i64` (9×10⁹ payments at the bound).
    pub fn bounded(raw: i64, min: i64, max: Fen) -> Result<Fen, OutOfRange> {
        if (min..=max.0).contains(&raw) {
            Ok(Fen(raw))
        } else {
            Err(OutOfRange { min, max: max.0 })
        }
    }

    /// A payment: 1 fen to [`MAX_PAYMENT`].
    pub fn payment(raw: i64) -> Result<Fen, OutOfRange> {
        Self::bounded(raw, 1, MAX_PAYMENT)
    }

    pub const fn new(fen: i64) -> Self {
        Self(fen)
    }

    pub const fn get(self) -> i64 {
        self.0
    }

    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }

    pub fn checked_mul(self, n: i64) -> Option<Fen> {
        self.0.checked_mul(n).map(Fen)
    }
}

impl fmt::Display for Fen {
    /// Renders yuan with two decimals (`¥12.30`), for people; machines get the integer.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}¥{}.{:02}", abs / 100, abs % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_yuan_without_floats() {
        assert_eq!(Fen::new(1230).to_string(), "¥12.30");
        assert_eq!(Fen::new(-5).to_string(), "-¥0.05");
    }

    #[test]
    fn amounts_coming_in_are_bounded() {
        assert_eq!(Fen::payment(1), Ok(Fen::new(1)));
        assert_eq!(Fen::payment(1_000_000_000), Ok(MAX_PAYMENT));
        assert_eq!(Fen::payment(1_000_000_001), Err(OutOfRange { min: 1, max: 1_000_000_000 }));
        assert!(Fen::payment(0).is_err() && Fen::payment(-1).is_err() && Fen::payment(5 * 10i64.pow(18)).is_err());
        assert_eq!(Fen::bounded(0, 0, MAX_BUDGET), Ok(Fen::ZERO));
        assert_eq!(Fen::payment(0).unwrap_err().to_string(), "must be 1 to 1000000000 fen");
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(Fen::new(i64::MAX).checked_add(Fen::new(1)), None);
        assert_eq!(Fen::new(250).checked_mul(4), Some(Fen::new(1000)));
    }
}

//! Discounted sales recorded by partner merchants, and reversing them.

use chrono::{DateTime, NaiveDate, Utc};

use super::model::{MerchantId, StoreId};
use super::offer::OfferId;
use super::pricing::Priced;
use crate::shared::ids::uuid_id;

uuid_id!(SaleId);

/// How a merchant knows a member: a per-merchant pseudonym (`mr_…`), so two merchants cannot
/// match their customers, and neither learns who the member is.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MemberRef(String);

impl MemberRef {
    pub fn parse(raw: &str) -> Option<Self> {
        let hex = raw.strip_prefix("mr_")?;
        (hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
            .then(|| Self(raw.to_owned()))
    }

    /// The 16 bytes it spells.
    pub fn bytes(&self) -> [u8; 16] {
        let hex = self.0.as_bytes();
        let nibble = |c: u8| if c.is_ascii_digit() { c - b'0' } else { c - b'a' + 10 };
        std::array::from_fn(|i| nibble(hex[3 + 2 * i]) << 4 | nibble(hex[4 + 2 * i]))
    }

    /// From the 16 bytes of (merchant, member) the adapter computes.
    pub fn from_digest(digest: [u8; 16]) -> Self {
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        Self(format!("mr_{hex}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A member's short-lived code as the app shows it: 18 digits, like a WeChat Pay payment code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberCode(String);

impl MemberCode {
    pub const PREFIX: &'static str = "66";

    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim();
        (raw.len() == 18 && raw.starts_with(Self::PREFIX) && raw.bytes().all(|b| b.is_ascii_digit()))
            .then(|| Self(raw.to_owned()))
    }

    pub fn random() -> Self {
        let digits: String = (0..4).map(|_| crate::shared::random::six_digits()).collect();
        Self(format!("{}{}", Self::PREFIX, &digits[..16]))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which system the sale came through, as the merchant says (`pos`, `mini_program`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel(String);

impl Channel {
    pub fn parse(raw: &str) -> Option<Self> {
        let ok = (1..=32).contains(&raw.len())
            && raw.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        ok.then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sale {
    pub id: SaleId,
    pub merchant: MerchantId,
    pub store: StoreId,
    pub offer: OfferId,
    pub offer_title: String,
    pub member_ref: MemberRef,
    pub priced: Priced,
    /// The till or cashier reference the merchant sent.
    pub till_ref: String,
    pub channel: String,
    pub day: NaiveDate,
    pub at: DateTime<Utc>,
    pub reversed_at: Option<DateTime<Utc>>,
}

/// One Beijing day's totals for a merchant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyTotals {
    pub day: NaiveDate,
    pub sales: i64,
    pub reversals: i64,
    pub original: i64,
    pub discount: i64,
    pub paid: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_codes_look_like_payment_codes() {
        let c = MemberCode::random();
        assert_eq!(c.as_str().len(), 18);
        assert_eq!(MemberCode::parse(c.as_str()), Some(c));
        for bad in ["", "661234", "771234567890123456", "66123456789012345a", "6612345678901234567"] {
            assert_eq!(MemberCode::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn references_round_trip() {
        let r = MemberRef::from_digest([0xab; 16]);
        assert_eq!(r.as_str(), format!("mr_{}", "ab".repeat(16)));
        assert_eq!(MemberRef::parse(r.as_str()), Some(r.clone()));
        assert_eq!(r.bytes(), [0xab; 16]);
        let mixed: [u8; 16] = std::array::from_fn(|i| (i * 17) as u8);
        assert_eq!(MemberRef::from_digest(mixed).bytes(), mixed);
        assert_eq!(MemberRef::parse("mr_ABAB"), None);
        assert_eq!(MemberRef::parse(&format!("mx_{}", "ab".repeat(16))), None);
    }

    #[test]
    fn channels_are_plain_words() {
        assert!(Channel::parse("pos").is_some());
        assert!(Channel::parse("mini_program").is_some());
        assert!(Channel::parse("").is_none());
        assert!(Channel::parse("POS").is_none());
        assert!(Channel::parse("a b").is_none());
    }
}

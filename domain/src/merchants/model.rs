use chrono::{DateTime, Utc};

use super::geo::GeoPoint;
use crate::shared::ids::uuid_id;
use crate::shared::EmailAddress;

uuid_id!(MerchantId);
uuid_id!(StoreId);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MerchantStatus {
    Active,
    /// Its keys are refused and its offers hidden until it is active again.
    Suspended,
}

impl MerchantStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MerchantStatus::Active => "active",
            MerchantStatus::Suspended => "suspended",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(MerchantStatus::Active),
            "suspended" => Some(MerchantStatus::Suspended),
            _ => None,
        }
    }
}

/// What a partner is: a merchant with stores and offers, or the bank that issues the 会员服务卡
/// (its keys reach `/v1/bank/…`, a merchant's `/v1/partner/…`, never the other's).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PartnerKind {
    Merchant,
    Bank,
}

impl PartnerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Merchant => "merchant",
            Self::Bank => "bank",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [Self::Merchant, Self::Bank].into_iter().find(|k| k.as_str() == raw)
    }
}

/// The number the bank knows a merchant by in card transactions: 1–32 letters, digits, `-`, `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BankMerchantId(String);

impl BankMerchantId {
    pub fn parse(raw: &str) -> Option<Self> {
        ((1..=32).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
            .then(|| Self(raw.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The store refused a bank merchant id that another merchant has.
#[derive(Debug, thiserror::Error)]
#[error("the bank merchant id is another merchant's")]
pub struct BankMerchantIdTaken;

/// The merchant number its systems send as `mchid`: ten digits, as WeChat Pay's are.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mchid(String);

impl Mchid {
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == 10 && raw.bytes().all(|b| b.is_ascii_digit()) && !raw.starts_with('0'))
            .then(|| Self(raw.to_owned()))
    }

    /// A fresh random number (the store's unique constraint settles the rare collision).
    pub fn random() -> Self {
        let n = u128::from_le_bytes(uuid::Uuid::new_v4().into_bytes()) % 9_000_000_000;
        Self(format!("{}", 1_000_000_000 + n as u64))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merchant {
    pub id: MerchantId,
    pub mchid: Mchid,
    pub name: String,
    /// 餐饮, 超市, 影院 …: what members filter by.
    pub category: String,
    pub contact: String,
    /// Where the daily settlement statement is mailed.
    pub settlement_email: EmailAddress,
    pub status: MerchantStatus,
    pub created_at: DateTime<Utc>,
    pub kind: PartnerKind,
    pub bank_merchant_id: Option<BankMerchantId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Store {
    pub id: StoreId,
    pub merchant: MerchantId,
    pub name: String,
    pub address: String,
    /// 姑苏区, 工业园区 …
    pub district: String,
    pub location: GeoPoint,
    /// Opening hours as the merchant writes them (`10:00-22:00`).
    pub hours: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merchant_numbers_are_ten_digits() {
        for _ in 0..100 {
            let m = Mchid::random();
            assert_eq!(Mchid::parse(m.as_str()), Some(m));
        }
        for bad in ["", "123", "0123456789", "12345678901", "12345abcde"] {
            assert_eq!(Mchid::parse(bad), None, "{bad}");
        }
    }
}

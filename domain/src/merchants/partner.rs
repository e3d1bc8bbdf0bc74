//! Partner credentials: the RSA keys merchants' systems sign requests with, and what a request
//! signed with one may do.

use chrono::{DateTime, Utc};

use super::model::{MerchantId, StoreId};

/// A key's serial number as WeChat Pay prints certificate serials: hex, compared without regard
/// to case (SDKs send it as configured, in either case).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct KeySerial(String);

impl KeySerial {
    pub fn parse(raw: &str) -> Option<Self> {
        ((8..=64).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| Self(raw.to_ascii_uppercase()))
    }

    /// 40 random hex digits.
    pub fn random() -> Self {
        let (a, b) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
        Self(format!("{}{}", a.simple(), &b.simple().to_string()[..8]).to_ascii_uppercase())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A registered public key: it signs for its whole merchant, or for one store only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartnerKey {
    pub serial: KeySerial,
    pub merchant: MerchantId,
    pub store: Option<StoreId>,
    /// SubjectPublicKeyInfo DER of an RSA key of at least 2048 bits.
    pub public_key_der: Vec<u8>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Who signed a request: established by the edge from a verified signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partner {
    pub merchant: MerchantId,
    /// Set when the key is a store key: the request may act for this store only.
    pub store: Option<StoreId>,
}

impl Partner {
    pub fn may_act_for(&self, store: StoreId) -> bool {
        self.store.is_none_or(|own| own == store)
    }
}

/// How far a request's timestamp may be from our clock, either way.
pub const TIMESTAMP_TOLERANCE_SECS: i64 = 300;
/// How long a nonce is remembered: longer than the timestamp tolerance on both sides, so a
/// replay within the tolerance always finds it.
pub const NONCE_MEMORY_SECS: u64 = 600;

/// Whether a request signed at `timestamp` (Unix seconds) may be accepted at `now`.
pub fn fresh(timestamp: i64, now: DateTime<Utc>) -> bool {
    timestamp.checked_sub(now.timestamp()).is_some_and(|skew| skew.abs() <= TIMESTAMP_TOLERANCE_SECS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_hex_and_case_blind() {
        let s = KeySerial::random();
        assert_eq!(s.as_str().len(), 40);
        assert_eq!(KeySerial::parse(&s.as_str().to_ascii_lowercase()), Some(s));
        for bad in ["", "1234567", "XYZ12345678", &"A".repeat(65)] {
            assert_eq!(KeySerial::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn store_keys_act_for_their_store_only() {
        let (merchant, store) = (MerchantId::new(), StoreId::new());
        let whole = Partner { merchant, store: None };
        let one = Partner { merchant, store: Some(store) };
        assert!(whole.may_act_for(store) && whole.may_act_for(StoreId::new()));
        assert!(one.may_act_for(store));
        assert!(!one.may_act_for(StoreId::new()));
    }

    #[test]
    fn timestamps_within_five_minutes_either_way() {
        let now = DateTime::from_timestamp(1_800_000_000, 0).unwrap();
        let t = now.timestamp();
        assert!(fresh(t, now));
        assert!(fresh(t - 300, now) && fresh(t + 300, now));
        assert!(!fresh(t - 301, now) && !fresh(t + 301, now));
        assert!(!fresh(i64::MIN, now) && !fresh(i64::MAX, now));
    }
}

//! Discount offers: what they give, when and where they apply, to whom, and how often.

use chrono::{DateTime, Datelike, NaiveDate, Utc};

use super::model::{MerchantId, StoreId};
use super::pricing::Discount;
pub use crate::campaigns::model::Funder;
use crate::campaigns::SHANGHAI;
use crate::shared::ids::uuid_id;
use crate::shared::money::Fen;

uuid_id!(OfferId);

/// The days of the week an offer applies, in Beijing time: bit 0 Monday … bit 6 Sunday.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Weekdays(u8);

impl Weekdays {
    pub const ALL: Weekdays = Weekdays(0b111_1111);

    /// From ISO weekday numbers (1 Monday … 7 Sunday); at least one.
    pub fn from_iso(days: &[u8]) -> Option<Self> {
        let mut bits = 0u8;
        for &d in days {
            if !(1..=7).contains(&d) {
                return None;
            }
            bits |= 1 << (d - 1);
        }
        (bits != 0).then_some(Self(bits))
    }

    pub fn from_bits(bits: i32) -> Option<Self> {
        (1..=0b111_1111).contains(&bits).then_some(Self(bits as u8))
    }

    pub fn bits(self) -> i32 {
        i32::from(self.0)
    }

    pub fn iso(self) -> Vec<u8> {
        (1..=7).filter(|d| self.0 & (1 << (d - 1)) != 0).collect()
    }

    pub fn includes(self, date: NaiveDate) -> bool {
        self.0 & (1 << date.weekday().num_days_from_monday()) != 0
    }
}

/// Who may use an offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Members activated on the roster.
    Activated,
    /// Activated members holding an active 会员服务卡.
    Cardholders,
}

impl Audience {
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Activated => "activated",
            Audience::Cardholders => "cardholders",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "activated" => Some(Audience::Activated),
            "cardholders" => Some(Audience::Cardholders),
            _ => None,
        }
    }
}

/// draft → published ⇄ paused → expired. Only a published offer can be used; expiry is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OfferStatus {
    Draft,
    Published,
    Paused,
    Expired,
}

impl OfferStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OfferStatus::Draft => "draft",
            OfferStatus::Published => "published",
            OfferStatus::Paused => "paused",
            OfferStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "draft" => Some(OfferStatus::Draft),
            "published" => Some(OfferStatus::Published),
            "paused" => Some(OfferStatus::Paused),
            "expired" => Some(OfferStatus::Expired),
            _ => None,
        }
    }

    /// Whether staff may move an offer from this status to `to`.
    pub fn may_become(self, to: OfferStatus) -> bool {
        use OfferStatus::*;
        matches!((self, to), (Draft | Paused, Published) | (Published, Paused) | (Draft | Published | Paused, Expired))
    }
}

/// Per member: how many sales a day (Beijing date) and in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub daily: Option<u32>,
    pub total: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offer {
    pub id: OfferId,
    pub merchant: MerchantId,
    pub title: String,
    pub discount: Discount,
    /// The most one sale can be discounted.
    pub cap: Option<Fen>,
    /// Beijing dates, both included.
    pub valid_from: NaiveDate,
    pub valid_until: NaiveDate,
    pub weekdays: Weekdays,
    /// `None`: every store of the merchant, present and future.
    pub stores: Option<Vec<StoreId>>,
    pub audience: Audience,
    pub limits: Limits,
    pub status: OfferStatus,
    /// Who pays the discount when it is given as a rebate on a card transaction.
    pub funder: Funder,
}

impl Offer {
    /// Usable at `store` at `now`: published, within its dates, on one of its weekdays, there.
    pub fn applies(&self, store: StoreId, now: DateTime<Utc>) -> bool {
        let today = now.with_timezone(&SHANGHAI).date_naive();
        self.valid_on(today) && self.stores.as_ref().is_none_or(|s| s.contains(&store))
    }

    /// Published, within its dates and on one of its weekdays on Beijing day `day`, at any store.
    pub fn valid_on(&self, day: NaiveDate) -> bool {
        self.status == OfferStatus::Published && self.terms_hold_on(day)
    }

    /// Within its dates and on one of its weekdays on Beijing day `day`, whatever its status.
    pub fn terms_hold_on(&self, day: NaiveDate) -> bool {
        (self.valid_from..=self.valid_until).contains(&day) && self.weekdays.includes(day)
    }

    /// Whether a member with this standing may use it.
    pub fn admits(&self, activated: bool, cardholder: bool) -> bool {
        match self.audience {
            Audience::Activated => activated,
            Audience::Cardholders => activated && cardholder,
        }
    }
}

/// The Beijing date of an instant: what daily limits and statements count by.
pub fn beijing_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&SHANGHAI).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn offer() -> Offer {
        Offer {
            id: OfferId::new(),
            merchant: MerchantId::new(),
            title: "满100减20".into(),
            discount: Discount::SpendSave { threshold: Fen::new(10_000), save: Fen::new(2_000) },
            cap: None,
            valid_from: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            valid_until: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            // Monday to Friday.
            weekdays: Weekdays::from_iso(&[1, 2, 3, 4, 5]).unwrap(),
            stores: None,
            audience: Audience::Activated,
            limits: Limits { daily: Some(1), total: None },
            status: OfferStatus::Published,
            funder: Funder::Merchant,
        }
    }

    fn beijing(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        SHANGHAI.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn applies_on_its_beijing_dates_and_weekdays() {
        let o = offer();
        let store = StoreId::new();
        // 2026-12-02 is a Wednesday.
        assert!(o.applies(store, beijing(2026, 12, 2, 12)));
        // Friday 23:30 Beijing is still Friday, though it is Friday 15:30 UTC …
        assert!(o.applies(store, beijing(2026, 12, 4, 23)));
        // … and Saturday 00:30 Beijing is Friday 16:30 UTC, but Saturday where the offer is.
        assert!(!o.applies(store, SHANGHAI.with_ymd_and_hms(2026, 12, 5, 0, 30, 0).unwrap().with_timezone(&Utc)));
        // The first day starts at Beijing midnight, the last ends at the next one.
        assert!(!o.applies(store, beijing(2026, 11, 30, 23)));
        assert!(o.applies(store, beijing(2026, 12, 1, 0)));
        assert!(o.applies(store, beijing(2026, 12, 31, 23)));
        assert!(!o.applies(store, beijing(2027, 1, 1, 0)));
    }

    #[test]
    fn only_published_offers_at_listed_stores_apply() {
        let store = StoreId::new();
        let now = beijing(2026, 12, 2, 12);
        for status in [OfferStatus::Draft, OfferStatus::Paused, OfferStatus::Expired] {
            assert!(!Offer { status, ..offer() }.applies(store, now), "{status:?}");
        }
        let listed = Offer { stores: Some(vec![store]), ..offer() };
        assert!(listed.applies(store, now));
        assert!(!listed.applies(StoreId::new(), now));
    }

    #[test]
    fn cardholder_offers_need_a_card_and_activation() {
        let o = Offer { audience: Audience::Cardholders, ..offer() };
        assert!(o.admits(true, true));
        assert!(!o.admits(true, false));
        assert!(!o.admits(false, true));
        assert!(offer().admits(true, false));
        assert!(!offer().admits(false, false));
    }

    #[test]
    fn status_moves() {
        use OfferStatus::*;
        assert!(Draft.may_become(Published));
        assert!(Published.may_become(Paused));
        assert!(Paused.may_become(Published));
        assert!(Paused.may_become(Expired));
        assert!(!Expired.may_become(Published));
        assert!(!Published.may_become(Draft));
        assert!(!Draft.may_become(Paused));
    }

    #[test]
    fn weekdays_round_trip() {
        assert_eq!(Weekdays::from_iso(&[1, 7]).unwrap().iso(), vec![1, 7]);
        assert_eq!(Weekdays::from_iso(&[]), None);
        assert_eq!(Weekdays::from_iso(&[0]), None);
        assert_eq!(Weekdays::from_iso(&[8]), None);
        assert_eq!(Weekdays::from_bits(0), None);
        assert_eq!(Weekdays::from_bits(128), None);
        assert_eq!(Weekdays::from_bits(Weekdays::ALL.bits()), Some(Weekdays::ALL));
    }
}

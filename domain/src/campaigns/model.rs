use chrono::{DateTime, NaiveDate, Utc};
use std::str::FromStr;

use super::window::{end_of_day_shanghai, Window};
use crate::admin::Actor;
use crate::members::{MemberStatus, Profile};
use crate::shared::ids::uuid_id;
use crate::shared::money::Fen;
use crate::unions::Scope;

uuid_id!(CampaignId);
uuid_id!(GiftId);

/// The holidays 会员有礼 runs on, or another occasion named by the organisers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Holiday {
    LaborDay,
    DragonBoat,
    MidAutumn,
    NationalDay,
    NewYear,
    SpringFestival,
    Custom(String),
}

impl Holiday {
    pub fn code(&self) -> &str {
        match self {
            Holiday::LaborDay => "labor_day",
            Holiday::DragonBoat => "dragon_boat",
            Holiday::MidAutumn => "mid_autumn",
            Holiday::NationalDay => "national_day",
            Holiday::NewYear => "new_year",
            Holiday::SpringFestival => "spring_festival",
            Holiday::Custom(name) => name,
        }
    }

    pub fn display_name(&self) -> &str {
        match self {
            Holiday::LaborDay => "劳动节",
            Holiday::DragonBoat => "端午节",
            Holiday::MidAutumn => "中秋节",
            Holiday::NationalDay => "国庆节",
            Holiday::NewYear => "元旦",
            Holiday::SpringFestival => "春节",
            Holiday::Custom(name) => name,
        }
    }

    /// A known code, or a custom occasion of 1–20 characters.
    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw.trim() {
            "labor_day" => Holiday::LaborDay,
            "dragon_boat" => Holiday::DragonBoat,
            "mid_autumn" => Holiday::MidAutumn,
            "national_day" => Holiday::NationalDay,
            "new_year" => Holiday::NewYear,
            "spring_festival" => Holiday::SpringFestival,
            other if (1..=20).contains(&other.chars().count()) && !other.chars().any(char::is_control) => {
                Holiday::Custom(other.to_owned())
            }
            _ => return None,
        })
    }
}

/// Who pays for a gift; the ledger keeps each funder's share.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Funder {
    Union,
    Bank,
    Merchant,
}

impl Funder {
    pub fn as_str(self) -> &'static str {
        match self {
            Funder::Union => "union",
            Funder::Bank => "bank",
            Funder::Merchant => "merchant",
        }
    }
}

impl FromStr for Funder {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "union" => Ok(Funder::Union),
            "bank" => Ok(Funder::Bank),
            "merchant" => Ok(Funder::Merchant),
            _ => Err(()),
        }
    }
}

/// Who may claim, beyond being an activated member.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Eligibility {
    /// Only members of these grassroots unions; empty means every union.
    pub union_codes: Vec<String>,
    /// Only members on the roster before this day (Beijing time) began.
    pub joined_before: Option<NaiveDate>,
    /// Only members who hold an active 会员服务卡.
    pub cardholders_only: bool,
    /// Only members of unions in this part of the tree; `None` for the whole federation. Also the
    /// part of the tree whose staff see and run the campaign.
    pub within: Option<Scope>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ineligible {
    NotActivated,
    OtherUnion,
    JoinedTooLate,
    /// The campaign is for holders of an active 会员服务卡.
    NoCard,
}

impl Eligibility {
    /// Members must have joined the roster before this instant: the start of `joined_before`
    /// in Beijing.
    pub fn joined_cutoff(&self) -> Option<chrono::DateTime<chrono::Utc>> {
        self.joined_before.map(|day| super::window::end_of_day_shanghai(day.pred_opt().unwrap_or(day)))
    }

    pub fn check(&self, profile: &Profile) -> Result<(), Ineligible> {
        if profile.status() != MemberStatus::Activated {
            return Err(Ineligible::NotActivated);
        }
        let union = profile.affiliation.as_ref().map(|a| a.union_org_code.as_str()).unwrap_or_default();
        if !self.union_codes.is_empty() && !self.union_codes.iter().any(|c| c == union) {
            return Err(Ineligible::OtherUnion);
        }
        if let Some(within) = &self.within {
            let path = profile.affiliation.as_ref().and_then(|a| a.union_path.as_ref());
            if !path.is_some_and(|p| within.holds(p)) {
                return Err(Ineligible::OtherUnion);
            }
        }
        if let Some(cutoff) = self.joined_cutoff() {
            let joined = profile.affiliation.as_ref().and_then(|a| a.joined_at);
            if joined.is_none_or(|t| t >= cutoff) {
                return Err(Ineligible::JoinedTooLate);
            }
        }
        if self.cardholders_only && !profile.cardholder {
            return Err(Ineligible::NoCard);
        }
        Ok(())
    }
}

/// What organisers decided; the time-based status derives from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignState {
    Draft,
    Published,
    Cancelled,
}

impl CampaignState {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignState::Draft => "draft",
            CampaignState::Published => "published",
            CampaignState::Cancelled => "cancelled",
        }
    }
}

/// Where a claim's voucher stands. An issued voucher past its date reads `expired` in reports,
/// but is stored as issued: expiry is a matter of time, not a write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClaimStatus {
    Issued,
    Redeemed,
    /// The campaign was cancelled before the voucher was used.
    Voided,
}

impl ClaimStatus {
    pub const ALL: [ClaimStatus; 3] = [ClaimStatus::Issued, ClaimStatus::Redeemed, ClaimStatus::Voided];

    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Issued => "issued",
            ClaimStatus::Redeemed => "redeemed",
            ClaimStatus::Voided => "voided",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

impl FromStr for CampaignState {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "draft" => Ok(CampaignState::Draft),
            "published" => Ok(CampaignState::Published),
            "cancelled" => Ok(CampaignState::Cancelled),
            _ => Err(()),
        }
    }
}

/// What members and staff see at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CampaignStatus {
    Draft,
    Scheduled,
    Live,
    Ended,
    Cancelled,
}

impl CampaignStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CampaignStatus::Draft => "draft",
            CampaignStatus::Scheduled => "scheduled",
            CampaignStatus::Live => "live",
            CampaignStatus::Ended => "ended",
            CampaignStatus::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    pub id: CampaignId,
    pub title: String,
    pub holiday: Holiday,
    pub window: Window,
    /// Gifts one member may claim across the whole campaign.
    pub per_member_limit: u32,
    pub budget: Fen,
    pub eligibility: Eligibility,
    pub state: CampaignState,
    pub created_at: DateTime<Utc>,
}

impl Campaign {
    /// Whether `actor` works in the part of the tree the campaign is for: only they see and run it.
    pub fn seen_by(&self, actor: &Actor) -> bool {
        actor.reaches(self.eligibility.within.as_ref())
    }

    pub fn status_at(&self, now: DateTime<Utc>) -> CampaignStatus {
        match self.state {
            CampaignState::Draft => CampaignStatus::Draft,
            CampaignState::Cancelled => CampaignStatus::Cancelled,
            CampaignState::Published if now < self.window.starts_at() => CampaignStatus::Scheduled,
            CampaignState::Published if self.window.contains(now) => CampaignStatus::Live,
            CampaignState::Published => CampaignStatus::Ended,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gift {
    pub id: GiftId,
    pub campaign_id: CampaignId,
    pub name: String,
    pub unit_cost: Fen,
    /// Slots 1..=stock exist; stock only ever grows once published.
    pub stock: u32,
    pub per_member_limit: u32,
    /// Vouchers are redeemable until the end of this day, Beijing time.
    pub valid_until: NaiveDate,
    pub funder: Funder,
    pub release: Release,
}

/// When a gift's stock becomes claimable: all at once by default, or in waves (e.g. 10:00 / 14:00 /
/// 20:00 so members on shifts get a chance), and/or at most `daily_cap` more per Beijing day of the
/// campaign (unclaimed units roll over to the next day).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Release {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub waves: Vec<Wave>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_cap: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Wave {
    pub at: DateTime<Utc>,
    pub quantity: u32,
}

impl Release {
    pub fn is_empty(&self) -> bool {
        self.waves.is_empty() && self.daily_cap.is_none()
    }
}

impl Gift {
    /// How much of the stock is claimable at `now`. Stock added after the waves were planned is
    /// released at once.
    pub fn released_at(&self, now: DateTime<Utc>, window: &super::window::Window) -> u32 {
        let planned: u32 = self.release.waves.iter().map(|w| w.quantity).sum();
        let mut released = if self.release.waves.is_empty() {
            self.stock
        } else {
            let due: u32 = self.release.waves.iter().filter(|w| w.at <= now).map(|w| w.quantity).sum();
            due + self.stock.saturating_sub(planned)
        };
        if let Some(cap) = self.release.daily_cap {
            let day = |t: DateTime<Utc>| t.with_timezone(&super::window::SHANGHAI).date_naive();
            let days = (day(now) - day(window.starts_at())).num_days().max(0) as u32 + 1;
            released = released.min(cap.saturating_mul(days));
        }
        released.min(self.stock)
    }

    /// When more of the stock will be released after `now`, if ever.
    pub fn next_release(&self, now: DateTime<Utc>, window: &super::window::Window) -> Option<DateTime<Utc>> {
        let released = self.released_at(now, window);
        if released >= self.stock {
            return None;
        }
        let wave = self.release.waves.iter().map(|w| w.at).filter(|at| *at > now).min();
        let next_day = self.release.daily_cap.map(|_| {
            let today = now.with_timezone(&super::window::SHANGHAI).date_naive();
            super::window::end_of_day_shanghai(today)
        });
        [wave, next_day].into_iter().flatten().filter(|t| *t < window.ends_at()).min()
    }

    pub fn voucher_expires_at(&self) -> DateTime<Utc> {
        end_of_day_shanghai(self.valid_until)
    }

    /// What the whole stock costs if every unit is claimed.
    pub fn full_cost(&self) -> Option<Fen> {
        self.unit_cost.checked_mul(i64::from(self.stock))
    }
}

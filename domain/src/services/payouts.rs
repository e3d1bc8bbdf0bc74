//! The union fund's side: yearly budgets per kind and union, the payouts approvals make, and what
//! a kind allows once.

use chrono::{DateTime, Datelike, Utc};

use super::form::{Answers, Value};
use super::model::{CaseId, Kind, KindCode, OncePer};
use crate::campaigns::window::SHANGHAI;
use crate::members::MemberId;
use crate::shared::ids::uuid_id;
use crate::shared::money::Fen;
use crate::unions::UnionCode;

uuid_id!(
    /// A payout, as the bank and the auditor name it.
    PayoutId
);

/// The most a budget may be: a hundred million yuan.
pub const MAX_BUDGET: Fen = Fen::new(10_000_000_000);

/// A budget year in Beijing time.
pub fn year_of(at: DateTime<Utc>) -> i32 {
    at.with_timezone(&SHANGHAI).year()
}

/// The school year (September to August) `at` falls in, by the year it began.
pub fn school_year_of(at: DateTime<Utc>) -> i32 {
    let day = at.with_timezone(&SHANGHAI).date_naive();
    if day.month() >= 9 {
        day.year()
    } else {
        day.year() - 1
    }
}

/// What a kind allows once, for one approval: a person in a year, or a child in a school year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Once {
    Person {
        year: i32,
    },
    /// The child's 身份证 number, as the member gave it.
    Child {
        id_number: String,
        school_year: i32,
    },
}

/// What `kind` allows once for a case with `answers` approved at `at`; `None` when it pays as often as approved.
pub fn once(kind: &Kind, answers: &Answers, at: DateTime<Utc>) -> Option<Once> {
    match &kind.money.as_ref()?.once {
        OncePer::Unlimited => None,
        OncePer::PersonYear => Some(Once::Person { year: year_of(at) }),
        OncePer::ChildSchoolYear { field } => match answers.get(field.as_str()) {
            Some(Value::IdNumber(id)) => Some(Once::Child { id_number: id.clone(), school_year: school_year_of(at) }),
            // The child's number was optional on the form and not given: nothing to count once by.
            _ => None,
        },
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Budget {
    pub kind: KindCode,
    pub union: UnionCode,
    pub union_name: String,
    pub year: i32,
    pub cap: Fen,
    pub spent: Fen,
}

impl Budget {
    pub fn left(&self) -> Fen {
        Fen::new(self.cap.get() - self.spent.get())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayoutState {
    Due,
    Paid,
}

impl PayoutState {
    pub fn as_str(self) -> &'static str {
        match self {
            PayoutState::Due => "due",
            PayoutState::Paid => "paid",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [PayoutState::Due, PayoutState::Paid].into_iter().find(|s| s.as_str() == raw)
    }
}

/// What an approval pays out of the union fund (funder `union`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payout {
    pub id: PayoutId,
    pub case: CaseId,
    /// The case's number, as the auditor quotes it.
    pub number: String,
    pub kind: KindCode,
    /// The union whose budget it draws on.
    pub budget: UnionCode,
    pub year: i32,
    pub member: MemberId,
    pub amount: Fen,
    pub state: PayoutState,
    pub created_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    /// `bank`, or the member of staff who marked it paid.
    pub paid_by: Option<String>,
    /// The bank's reference for the transfer.
    pub bank_ref: Option<String>,
    /// The account behind the member's active card, where the bank pays it: its token and last
    /// four digits (`None` without one: paid another way, then marked paid by staff).
    pub account: Option<(String, String)>,
}

/// Which payouts are wanted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PayoutFilter {
    pub state: Option<PayoutState>,
    pub year: Option<i32>,
    pub kind: Option<KindCode>,
}

/// A payout file: its lines and what they add up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutFile {
    pub payouts: Vec<Payout>,
    pub total: Fen,
}

impl PayoutFile {
    pub fn of(payouts: Vec<Payout>) -> Self {
        let total = Fen::new(payouts.iter().map(|p| p.amount.get()).sum());
        Self { payouts, total }
    }
}

/// A bank's reference for a transfer: 1–64 visible ASCII characters.
pub fn bank_ref(raw: &str) -> Option<String> {
    let t = raw.trim();
    ((1..=64).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_graphic())).then(|| t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn school_years_turn_in_september_in_beijing() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(school_year_of(at("2026-08-31T15:59:59Z")), 2025, "23:59 on 31 August in Beijing");
        assert_eq!(school_year_of(at("2026-08-31T16:00:00Z")), 2026, "midnight starting 1 September");
        assert_eq!(year_of(at("2026-12-31T16:00:00Z")), 2027);
    }

    #[test]
    fn bank_references_are_short_and_visible() {
        assert_eq!(bank_ref(" BOSZ-20261207-01 ").as_deref(), Some("BOSZ-20261207-01"));
        assert!(bank_ref("").is_none() && bank_ref("a b").is_none() && bank_ref(&"x".repeat(65)).is_none());
    }
}

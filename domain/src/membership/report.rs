//! A part of the tree's membership by month: joins, transfers in and out, leaving, decisions inside
//! and past their limits, the median time to decide. Counted from the applications decided, so it
//! is recomputable from them at any time.

use chrono::{DateTime, Datelike, Utc};
use std::collections::BTreeMap;

use super::model::{ApplicationKind, ApplicationState};
use crate::campaigns::window::SHANGHAI;

/// A calendar month in Beijing time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    pub fn of(at: DateTime<Utc>) -> Self {
        let local = at.with_timezone(&SHANGHAI);
        Self { year: local.year(), month: local.month() }
    }

    /// `2026-10`.
    pub fn parse(raw: &str) -> Option<Self> {
        let (y, m) = raw.split_once('-')?;
        if !(y.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (year, month) = (y.parse().ok()?, m.parse().ok()?);
        ((2000..=2100).contains(&year) && (1..=12).contains(&month) && y.len() == 4 && m.len() == 2)
            .then_some(Self { year, month })
    }

    /// Midnight starting the month, Beijing time.
    pub fn starts(self) -> DateTime<Utc> {
        use chrono::TimeZone;
        SHANGHAI
            .with_ymd_and_hms(self.year, self.month, 1, 0, 0, 0)
            .single()
            .map_or(DateTime::<Utc>::MIN_UTC, |t| t.with_timezone(&Utc))
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Self { year: self.year + 1, month: 1 }
        } else {
            Self { year: self.year, month: self.month + 1 }
        }
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// One decided application as the report reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub kind: ApplicationKind,
    pub state: ApplicationState,
    /// Its union lies in the part reported on.
    pub union_inside: bool,
    /// A transfer's sending union lies in it.
    pub from_inside: bool,
    pub submitted_at: DateTime<Utc>,
    pub decided_at: DateTime<Utc>,
    pub late: bool,
}

/// What a report is counted from: the part's active roster rows and activated members now, the
/// applications decided in its months and the activations in them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Basis {
    pub members: u64,
    pub activated: u64,
    pub decided: Vec<Decided>,
    pub activations: Vec<DateTime<Utc>>,
}

/// A part of the tree's report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub members: u64,
    pub activated: u64,
    pub months: BTreeMap<Month, MonthFigures>,
}

/// At most three years in one report.
pub const MAX_MONTHS: usize = 36;

/// One month's figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MonthFigures {
    pub joins: u64,
    pub transfers_in: u64,
    pub transfers_out: u64,
    pub leaves: u64,
    /// Accounts whose real name was bound in the month, of members active in the part now.
    pub activations: u64,
    /// Approvals and refusals by the part's officers (of applications to its unions).
    pub decisions: u64,
    pub decided_in_time: u64,
    pub decided_late: u64,
    /// The median of the time from submission to decision, in seconds.
    pub median_seconds_to_decide: Option<i64>,
}

/// Figures per month over `[from, to]`, every month present.
pub fn by_month(
    from: Month,
    to: Month,
    decided: &[Decided],
    activations: &[DateTime<Utc>],
) -> BTreeMap<Month, MonthFigures> {
    let mut months = BTreeMap::new();
    let mut m = from;
    while m <= to {
        months.insert(m, MonthFigures::default());
        m = m.next();
    }
    let mut waits: BTreeMap<Month, Vec<i64>> = BTreeMap::new();
    for d in decided {
        let month = Month::of(d.decided_at);
        let Some(f) = months.get_mut(&month) else { continue };
        if d.union_inside && matches!(d.state, ApplicationState::Approved | ApplicationState::Refused) {
            f.decisions += 1;
            if d.late {
                f.decided_late += 1;
            } else {
                f.decided_in_time += 1;
            }
            waits.entry(month).or_default().push((d.decided_at - d.submitted_at).num_seconds());
        }
        if d.state != ApplicationState::Approved {
            continue;
        }
        match d.kind {
            ApplicationKind::Join if d.union_inside => f.joins += 1,
            ApplicationKind::Transfer if d.union_inside && !d.from_inside => f.transfers_in += 1,
            ApplicationKind::Transfer if d.from_inside && !d.union_inside => f.transfers_out += 1,
            ApplicationKind::Leave if d.union_inside => f.leaves += 1,
            _ => {}
        }
    }
    for at in activations {
        if let Some(f) = months.get_mut(&Month::of(*at)) {
            f.activations += 1;
        }
    }
    for (month, mut w) in waits {
        w.sort_unstable();
        let median = if w.len() % 2 == 1 { w[w.len() / 2] } else { (w[w.len() / 2 - 1] + w[w.len() / 2]) / 2 };
        if let Some(f) = months.get_mut(&month) {
            f.median_seconds_to_decide = Some(median);
        }
    }
    months
}

impl Report {
    pub fn of(basis: &Basis, from: Month, to: Month) -> Self {
        Self {
            members: basis.members,
            activated: basis.activated,
            months: by_month(from, to, &basis.decided, &basis.activations),
        }
    }
}

/// The months `[from, to]`, if `from` is not after `to` and they are at most [`MAX_MONTHS`].
pub fn span(from: Month, to: Month) -> Option<usize> {
    let n = (to.year - from.year) * 12 + to.month as i32 - from.month as i32 + 1;
    usize::try_from(n).ok().filter(|n| (1..=MAX_MONTHS).contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        SHANGHAI.with_ymd_and_hms(2026, 10, d, h, 0, 0).unwrap().with_timezone(&Utc)
    }

    fn decided(kind: ApplicationKind, inside: (bool, bool), hours: i64, late: bool) -> Decided {
        Decided {
            kind,
            state: ApplicationState::Approved,
            union_inside: inside.0,
            from_inside: inside.1,
            submitted_at: at(20, 9) - chrono::Duration::hours(hours),
            decided_at: at(20, 9),
            late,
        }
    }

    #[test]
    fn moves_within_the_part_are_neither_in_nor_out_and_the_median_is_of_its_own_decisions() {
        let rows = [
            decided(ApplicationKind::Join, (true, false), 10, false),
            decided(ApplicationKind::Transfer, (true, false), 30, true),
            decided(ApplicationKind::Transfer, (false, true), 1000, false),
            decided(ApplicationKind::Transfer, (true, true), 20, false),
            Decided { state: ApplicationState::Refused, ..decided(ApplicationKind::Join, (true, false), 40, true) },
        ];
        let oct = Month { year: 2026, month: 10 };
        let figures = by_month(oct, oct.next(), &rows, &[at(3, 12), at(31, 23)]);
        let f = &figures[&oct];
        assert_eq!((f.joins, f.transfers_in, f.transfers_out, f.leaves), (1, 1, 1, 0));
        assert_eq!((f.decisions, f.decided_in_time, f.decided_late), (4, 2, 2));
        assert_eq!(f.median_seconds_to_decide, Some(25 * 3600));
        assert_eq!(f.activations, 2, "23:00 on the 31st is October in Beijing");
        assert_eq!(figures[&oct.next()], MonthFigures::default());
    }

    #[test]
    fn months_parse_strictly() {
        assert_eq!(Month::parse("2026-10"), Some(Month { year: 2026, month: 10 }));
        for bad in ["2026-13", "2026-1", "26-10", "2026/10", "1999-01", "", "2026-+1", "+026-10"] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
    }
}

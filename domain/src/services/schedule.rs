//! A case's deadline, computed from its events, its kind's limits and the working-day calendar —
//! never kept as a counter — so a calendar corrected later moves the deadlines of open cases.
//!
//! - Submission starts the acceptance limit; acceptance starts the answer limit; a reopening
//!   starts a review as long as the answer limit.
//! - A return stops the clock. The working days strictly between the running limit's start and the
//!   return count as used (neither the day it started nor the day of the return); when the member
//!   answers, what is left (at least one day) runs from then.
//! - An escalation starts the full limit again, from the moment the last one ran out (not from
//!   when the escalation was noticed), as membership applications do.

use chrono::{DateTime, Days, Utc};

use super::model::{EventKind, TimeLimits};
use crate::campaigns::window::SHANGHAI;
use crate::shared::working_days::WorkingCalendar;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    /// When the running limit ends; `None` while stopped or done.
    pub due: Option<DateTime<Utc>>,
    /// Ran past a limit: escalated, or answered, decided or closed after it.
    pub late: bool,
}

/// Working days strictly between the Beijing days of `from` and `until`.
fn used(calendar: &WorkingCalendar, from: DateTime<Utc>, until: DateTime<Utc>) -> u32 {
    let first = from.with_timezone(&SHANGHAI).date_naive();
    let last = until.with_timezone(&SHANGHAI).date_naive();
    let mut day = first + Days::new(1);
    let mut n = 0;
    while day < last {
        if calendar.is_working(day) {
            n += 1;
        }
        day = day + Days::new(1);
    }
    n
}

pub fn schedule<'a>(
    events: impl IntoIterator<Item = (DateTime<Utc>, &'a EventKind)>,
    limits: TimeLimits,
    calendar: &WorkingCalendar,
) -> Schedule {
    let mut full = 0;
    let mut left = 0;
    let mut start = DateTime::<Utc>::MIN_UTC;
    let mut due: Option<DateTime<Utc>> = None;
    let mut late = false;
    let begin = |limit: u32, at: DateTime<Utc>, full: &mut u32, left: &mut u32, start: &mut DateTime<Utc>| {
        *full = limit;
        *left = limit;
        *start = at;
        Some(calendar.deadline(at, limit))
    };
    for (at, kind) in events {
        match kind {
            EventKind::Submitted => due = begin(limits.accept_days, at, &mut full, &mut left, &mut start),
            EventKind::Accepted => {
                late |= due.is_some_and(|d| at >= d);
                due = begin(limits.answer_days, at, &mut full, &mut left, &mut start);
            }
            EventKind::Reopened => due = begin(limits.answer_days, at, &mut full, &mut left, &mut start),
            EventKind::Returned => {
                if due.take().is_some() {
                    left = left.saturating_sub(used(calendar, start, at)).max(1);
                }
            }
            EventKind::Resubmitted => {
                start = at;
                due = Some(calendar.deadline(at, left.max(1)));
            }
            EventKind::Escalated { .. } => {
                if let Some(d) = due {
                    late = true;
                    start = WorkingCalendar::ran_out(d);
                    left = full;
                    due = Some(calendar.deadline(start, full));
                }
            }
            EventKind::Answered
            | EventKind::Approved { .. }
            | EventKind::Refused
            | EventKind::Closed
            | EventKind::Withdrawn => {
                late |= due.is_some_and(|d| at >= d) && !matches!(kind, EventKind::Withdrawn);
                due = None;
            }
            EventKind::Assigned { .. }
            | EventKind::Message
            | EventKind::Note
            | EventKind::Rated { .. }
            | EventKind::Reminded => {}
        }
    }
    Schedule { due, late }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::working_days::CalendarYear;
    use chrono::TimeZone;

    fn beijing(s: &str) -> DateTime<Utc> {
        let t: chrono::NaiveDateTime = s.parse().unwrap();
        SHANGHAI.from_local_datetime(&t).unwrap().with_timezone(&Utc)
    }

    const LIMITS: TimeLimits = TimeLimits { accept_days: 2, answer_days: 5 };

    fn run(events: &[(&str, EventKind)], calendar: &WorkingCalendar) -> Schedule {
        schedule(events.iter().map(|(at, k)| (beijing(at), k)), LIMITS, calendar)
    }

    #[test]
    fn acceptance_then_answer_limits_follow_one_another() {
        let cal = WorkingCalendar::default();
        // Tuesday 1 December 2026: accepted by the end of Thursday.
        let s = run(&[("2026-12-01T09:00:00", EventKind::Submitted)], &cal);
        assert_eq!(s.due, Some(beijing("2026-12-04T00:00:00")));
        let s =
            run(&[("2026-12-01T09:00:00", EventKind::Submitted), ("2026-12-02T10:00:00", EventKind::Accepted)], &cal);
        assert_eq!(s.due, Some(beijing("2026-12-10T00:00:00")));
        assert!(!s.late);
    }

    #[test]
    fn a_return_stops_the_clock_and_the_answer_starts_what_is_left() {
        let cal = WorkingCalendar::default();
        // Accepted Monday 7 December (5 days: due end of Monday 14th). Returned Wednesday 9th:
        // Tuesday 8th used. The member answers on Monday 21st: 4 days left, due end of Friday 25th.
        let events = [
            ("2026-12-04T09:00:00", EventKind::Submitted),
            ("2026-12-07T09:00:00", EventKind::Accepted),
            ("2026-12-09T15:00:00", EventKind::Returned),
        ];
        assert_eq!(run(&events, &cal).due, None);
        let mut events = events.to_vec();
        events.push(("2026-12-21T20:00:00", EventKind::Resubmitted));
        assert_eq!(run(&events, &cal).due, Some(beijing("2026-12-26T00:00:00")));
    }

    #[test]
    fn a_corrected_calendar_moves_an_open_deadline() {
        let events = [("2026-12-30T09:00:00", EventKind::Submitted)];
        let plain = run(&events, &WorkingCalendar::default());
        assert_eq!(plain.due, Some(beijing("2027-01-02T00:00:00")));
        let new_year = CalendarYear::parse(2027, &["2027-01-01".parse().unwrap()], &[]).unwrap();
        let corrected = run(&events, &WorkingCalendar::new(new_year.days()));
        assert_eq!(corrected.due, Some(beijing("2027-01-05T00:00:00")));
    }

    #[test]
    fn an_escalation_counts_from_when_the_limit_ran_out_and_marks_it_late() {
        let cal = WorkingCalendar::default();
        let to = crate::unions::UnionCode::parse("SZ01").unwrap();
        let s = run(
            &[("2026-12-01T09:00:00", EventKind::Submitted), ("2026-12-08T11:00:00", EventKind::Escalated { to })],
            &cal,
        );
        // Ran out at the end of Thursday 3rd; two more working days: Friday 4th and Monday 7th.
        assert_eq!(s.due, Some(beijing("2026-12-08T00:00:00")));
        assert!(s.late);
    }

    #[test]
    fn answering_after_the_limit_is_late_and_stops_the_clock() {
        let cal = WorkingCalendar::default();
        let s = run(
            &[
                ("2026-12-01T09:00:00", EventKind::Submitted),
                ("2026-12-02T09:00:00", EventKind::Accepted),
                ("2026-12-10T09:00:00", EventKind::Answered),
            ],
            &cal,
        );
        assert_eq!(s, Schedule { due: None, late: true });
    }
}

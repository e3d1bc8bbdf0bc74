//! Working days in Asia/Shanghai: Monday to Friday, less the public holidays, plus the weekend days
//! worked instead (调休). Time limits ("decide within 5 working days") are counted in them.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use std::collections::BTreeMap;

use crate::campaigns::window::SHANGHAI;

/// What a day is when it is not what its weekday says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum DayOff {
    /// A public holiday (法定节假日), though a weekday.
    Holiday,
    /// A weekend day worked instead of a holiday (调休上班).
    MakeUpWorkday,
}

impl DayOff {
    pub fn as_str(self) -> &'static str {
        match self {
            DayOff::Holiday => "holiday",
            DayOff::MakeUpWorkday => "workday",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "holiday" => Some(DayOff::Holiday),
            "workday" => Some(DayOff::MakeUpWorkday),
            _ => None,
        }
    }
}

fn weekend(day: NaiveDate) -> bool {
    matches!(day.weekday(), Weekday::Sat | Weekday::Sun)
}

/// One year's calendar as the State Council announces it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarYear {
    year: i32,
    holidays: Vec<NaiveDate>,
    workdays: Vec<NaiveDate>,
}

/// Why a year's calendar was refused, in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{en}")]
pub struct InvalidCalendar {
    pub zh: String,
    pub en: String,
}

impl InvalidCalendar {
    fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self { zh: zh.into(), en: en.into() }
    }
}

impl CalendarYear {
    /// Holidays and make-up workdays of `year`: each date in that year, none named twice, every
    /// make-up workday a Saturday or Sunday (a weekday is worked anyway).
    pub fn parse(year: i32, holidays: &[NaiveDate], workdays: &[NaiveDate]) -> Result<Self, InvalidCalendar> {
        if !(2000..=2100).contains(&year) {
            return Err(InvalidCalendar::new("年份须在 2000–2100 之间", "the year must be 2000-2100"));
        }
        let mut seen = std::collections::BTreeSet::new();
        for day in holidays.iter().chain(workdays) {
            if day.year() != year {
                return Err(InvalidCalendar::new(format!("{day} 不在 {year} 年内"), format!("{day} is not in {year}")));
            }
            if !seen.insert(*day) {
                return Err(InvalidCalendar::new(format!("{day} 出现了两次"), format!("{day} is named twice")));
            }
        }
        if let Some(day) = workdays.iter().find(|d| !weekend(**d)) {
            return Err(InvalidCalendar::new(
                format!("调休上班日 {day} 须为周六或周日"),
                format!("the make-up workday {day} must be a Saturday or Sunday"),
            ));
        }
        let mut holidays = holidays.to_vec();
        let mut workdays = workdays.to_vec();
        holidays.sort();
        workdays.sort();
        Ok(Self { year, holidays, workdays })
    }

    pub fn year(&self) -> i32 {
        self.year
    }

    pub fn holidays(&self) -> &[NaiveDate] {
        &self.holidays
    }

    pub fn workdays(&self) -> &[NaiveDate] {
        &self.workdays
    }

    /// Every day that differs from its weekday.
    pub fn days(&self) -> impl Iterator<Item = (NaiveDate, DayOff)> + '_ {
        self.holidays
            .iter()
            .map(|d| (*d, DayOff::Holiday))
            .chain(self.workdays.iter().map(|d| (*d, DayOff::MakeUpWorkday)))
    }
}

/// The days loaded, for counting working days across years.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkingCalendar {
    days: BTreeMap<NaiveDate, DayOff>,
}

impl WorkingCalendar {
    pub fn new(days: impl IntoIterator<Item = (NaiveDate, DayOff)>) -> Self {
        Self { days: days.into_iter().collect() }
    }

    pub fn is_working(&self, day: NaiveDate) -> bool {
        match self.days.get(&day) {
            Some(DayOff::Holiday) => false,
            Some(DayOff::MakeUpWorkday) => true,
            None => !weekend(day),
        }
    }

    /// The end of the `n`th working day after the day `from` falls on in Beijing time (midnight
    /// starting the day after it): the day something arrives does not count, however early.
    pub fn deadline(&self, from: DateTime<Utc>, n: u32) -> DateTime<Utc> {
        let mut day = from.with_timezone(&SHANGHAI).date_naive();
        let mut left = n;
        while left > 0 {
            day = day + Days::new(1);
            if self.is_working(day) {
                left -= 1;
            }
        }
        let end = (day + Days::new(1)).and_time(NaiveTime::MIN);
        SHANGHAI.from_local_datetime(&end).single().map_or(from, |t| t.with_timezone(&Utc))
    }

    /// The instant a limit that starts when another ran out (at `due`, the midnight ending its
    /// last day) counts from: within that last day, so the next limit's days are the ones after it.
    pub fn ran_out(due: DateTime<Utc>) -> DateTime<Utc> {
        due - chrono::Duration::seconds(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn beijing(s: &str) -> DateTime<Utc> {
        let t: chrono::NaiveDateTime = s.parse().unwrap();
        SHANGHAI.from_local_datetime(&t).unwrap().with_timezone(&Utc)
    }

    /// 2025's 国庆 and 中秋: 1–8 October off, Sunday 28 September and Saturday 11 October worked.
    fn national_day_2025() -> WorkingCalendar {
        let holidays: Vec<_> = (1..=8).map(|n| d(&format!("2025-10-{n:02}"))).collect();
        let year = CalendarYear::parse(2025, &holidays, &[d("2025-09-28"), d("2025-10-11")]).unwrap();
        WorkingCalendar::new(year.days())
    }

    #[test]
    fn five_working_days_from_a_tuesday_end_the_next_tuesday_at_midnight() {
        let due = WorkingCalendar::default().deadline(beijing("2026-12-01T09:30:00"), 5);
        assert_eq!(due, beijing("2026-12-09T00:00:00"));
    }

    #[test]
    fn a_late_evening_arrival_counts_from_its_beijing_day_not_its_utc_day() {
        // 23:30 Beijing on Friday is 15:30 UTC on Friday; 00:30 Beijing on Saturday is Friday in UTC.
        let cal = WorkingCalendar::default();
        assert_eq!(cal.deadline(beijing("2026-12-04T23:30:00"), 1), beijing("2026-12-08T00:00:00"));
        assert_eq!(cal.deadline(beijing("2026-12-05T00:30:00"), 1), beijing("2026-12-08T00:00:00"));
    }

    #[test]
    fn holidays_are_skipped_and_a_make_up_saturday_counts() {
        let cal = national_day_2025();
        // Tuesday 30 September: 1–8 October off, Thursday 9, Friday 10, Saturday 11 (worked),
        // Monday 13, Tuesday 14.
        assert_eq!(cal.deadline(beijing("2025-09-30T10:00:00"), 5), beijing("2025-10-15T00:00:00"));
        assert!(cal.is_working(d("2025-10-11")));
        assert!(cal.is_working(d("2025-09-28")));
        assert!(!cal.is_working(d("2025-10-06")));
        // Without the calendar the same request would be due on 8 October.
        assert_eq!(
            WorkingCalendar::default().deadline(beijing("2025-09-30T10:00:00"), 5),
            beijing("2025-10-08T00:00:00")
        );
    }

    #[test]
    fn a_limit_that_follows_one_run_out_counts_the_working_days_after_it() {
        let cal = WorkingCalendar::default();
        let first = cal.deadline(beijing("2026-12-01T09:30:00"), 5);
        let second = cal.deadline(WorkingCalendar::ran_out(first), 5);
        assert_eq!(second, beijing("2026-12-16T00:00:00"));
    }

    #[test]
    fn a_year_is_refused_for_a_weekday_make_up_day_a_day_of_another_year_or_a_day_named_twice() {
        assert!(CalendarYear::parse(2025, &[], &[d("2025-10-10")]).is_err());
        assert!(CalendarYear::parse(2025, &[d("2026-01-01")], &[]).is_err());
        assert!(CalendarYear::parse(2025, &[d("2025-10-01"), d("2025-10-01")], &[]).is_err());
        assert!(CalendarYear::parse(2025, &[d("2025-10-04")], &[d("2025-10-04")]).is_err());
        assert!(CalendarYear::parse(1999, &[], &[]).is_err());
        assert!(CalendarYear::parse(2025, &[d("2025-10-04")], &[d("2025-10-11")]).is_ok());
    }
}

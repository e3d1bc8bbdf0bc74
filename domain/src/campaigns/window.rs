//! Campaign windows are announced in Beijing time (Asia/Shanghai) and stored in UTC.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};

/// Asia/Shanghai has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact for
/// every date a campaign can have.
pub const SHANGHAI: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// `[starts_at, ends_at)`: open from the start second, closed at the end second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a campaign window must end after it starts")]
pub struct InvalidWindow;

impl Window {
    /// From Beijing wall-clock times as organisers write them.
    pub fn shanghai(starts: NaiveDateTime, ends: NaiveDateTime) -> Result<Self, InvalidWindow> {
        // chrono reads a second of 60 as a leap second; no campaign starts or ends on one.
        if [starts, ends].iter().any(|t| chrono::Timelike::nanosecond(t) >= 1_000_000_000) {
            return Err(InvalidWindow);
        }
        let utc = |t: NaiveDateTime| SHANGHAI.from_local_datetime(&t).single().map(|t| t.with_timezone(&Utc));
        Self::new(utc(starts).ok_or(InvalidWindow)?, utc(ends).ok_or(InvalidWindow)?)
    }

    pub fn new(starts_at: DateTime<Utc>, ends_at: DateTime<Utc>) -> Result<Self, InvalidWindow> {
        if ends_at > starts_at {
            Ok(Self { starts_at, ends_at })
        } else {
            Err(InvalidWindow)
        }
    }

    pub fn starts_at(&self) -> DateTime<Utc> {
        self.starts_at
    }

    pub fn ends_at(&self) -> DateTime<Utc> {
        self.ends_at
    }

    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.starts_at <= t && t < self.ends_at
    }
}

/// "Valid until 2026-10-07" means until the end of that day in Beijing: the first instant of the
/// next day is the first instant it is no longer valid.
pub fn end_of_day_shanghai(date: NaiveDate) -> DateTime<Utc> {
    let next = date.succ_opt().unwrap_or(date).and_time(NaiveTime::MIN);
    SHANGHAI.from_local_datetime(&next).single().map(|t| t.with_timezone(&Utc)).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn windows_are_beijing_time_half_open() {
        let w = Window::shanghai(at("2026-10-01 10:00:00"), at("2026-10-07 22:00:00")).unwrap();
        assert_eq!(w.starts_at().to_rfc3339(), "2026-10-01T02:00:00+00:00");
        assert!(!w.contains(w.starts_at() - chrono::Duration::seconds(1)));
        assert!(w.contains(w.starts_at()));
        assert!(w.contains(w.ends_at() - chrono::Duration::seconds(1)));
        assert!(!w.contains(w.ends_at()));
        assert!(Window::shanghai(at("2026-10-01 10:00:00"), at("2026-10-01 10:00:00")).is_err());
    }

    #[test]
    fn valid_until_is_the_end_of_the_beijing_day() {
        let d = NaiveDate::from_ymd_opt(2026, 10, 7).unwrap();
        assert_eq!(end_of_day_shanghai(d).to_rfc3339(), "2026-10-07T16:00:00+00:00");
    }
}

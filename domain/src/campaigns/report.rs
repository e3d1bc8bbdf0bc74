//! What auditors (经审) read about a campaign: counts and money, all derived from the claims and the
//! append-only ledger, never from counters kept elsewhere.

use chrono::{DateTime, Duration, Utc};

use crate::shared::money::Fen;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub claimed: u64,
    pub redeemed: u64,
    pub expired: u64,
    pub voided: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiftLine {
    pub gift_id: String,
    pub name: String,
    pub stock: u32,
    pub counts: Counts,
    pub spent: Fen,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnionLine {
    /// Empty when the member's roster row is gone or the member erased their identity.
    pub union_org_code: String,
    pub union_org_name: String,
    pub counts: Counts,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunderLine {
    pub funder: String,
    pub spent: Fen,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignReport {
    pub budget: Fen,
    /// The ledger's sum: claims minus voids.
    pub spent: Fen,
    pub gifts: Vec<GiftLine>,
    pub unions: Vec<UnionLine>,
    pub funders: Vec<FunderLine>,
    /// Claims over time, from the claims' own times.
    pub timeline: Timeline,
}

impl CampaignReport {
    /// The totals of every breakdown agree with the ledger.
    pub fn is_consistent(&self) -> bool {
        let by_gift: i64 = self.gifts.iter().map(|g| g.spent.get()).sum();
        let by_funder: i64 = self.funders.iter().map(|f| f.spent.get()).sum();
        let claimed_by_gift: u64 = self.gifts.iter().map(|g| g.counts.claimed).sum();
        let claimed_by_union: u64 = self.unions.iter().map(|u| u.counts.claimed).sum();
        let claimed_in_time: u64 = self.timeline.points.iter().map(|(_, n)| n).sum();
        by_gift == self.spent.get()
            && by_funder == self.spent.get()
            && claimed_by_gift == claimed_by_union
            && claimed_by_gift == claimed_in_time
    }
}

/// Claims over time: how many were made in each bucket of `bucket_minutes`, from the first claim's
/// bucket to the last's, empty buckets included (a chart of an opening shows its lulls too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeline {
    pub bucket_minutes: i64,
    pub points: Vec<(DateTime<Utc>, u64)>,
}

/// At most this many buckets; past it, buckets widen.
pub const MAX_BUCKETS: i64 = 720;
const WIDTHS: [i64; 5] = [1, 5, 15, 60, 1440];
/// Buckets start on Beijing's minutes, hours and days.
const BEIJING_MINUTES: i64 = 8 * 60;

impl Timeline {
    /// From per-minute counts in time order (minutes without claims left out): one-minute buckets
    /// for an opening, wider ones for a campaign that ran for days.
    pub fn of_minutes(minutes: &[(DateTime<Utc>, u64)]) -> Self {
        let (Some(first), Some(last)) = (minutes.first(), minutes.last()) else {
            return Self { bucket_minutes: 1, points: Vec::new() };
        };
        let floor = |at: DateTime<Utc>, width: i64| {
            let local = at.timestamp().div_euclid(60) + BEIJING_MINUTES;
            let start = local - local.rem_euclid(width) - BEIJING_MINUTES;
            DateTime::from_timestamp(start * 60, 0).unwrap_or(at)
        };
        let buckets = |width: i64| (last.0 - floor(first.0, width)).num_minutes() / width + 1;
        let width = WIDTHS.into_iter().find(|w| buckets(*w) <= MAX_BUCKETS).unwrap_or(1440);
        let start = floor(first.0, width);
        let mut points: Vec<(DateTime<Utc>, u64)> =
            (0..buckets(width)).map(|i| (start + Duration::minutes(i * width), 0)).collect();
        for (at, n) in minutes {
            let i = usize::try_from((*at - start).num_minutes() / width).unwrap_or(0);
            if let Some(point) = points.get_mut(i) {
                point.1 += n;
            }
        }
        Self { bucket_minutes: width, points }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn an_opening_is_drawn_minute_by_minute_with_its_lulls() {
        let t = Timeline::of_minutes(&[(at("2026-10-01T02:00:00Z"), 900), (at("2026-10-01T02:03:00Z"), 4)]);
        assert_eq!(t.bucket_minutes, 1);
        let counts: Vec<u64> = t.points.iter().map(|(_, n)| *n).collect();
        assert_eq!(counts, [900, 0, 0, 4]);
        assert_eq!(t.points[1].0, at("2026-10-01T02:01:00Z"));
    }

    #[test]
    fn a_long_campaign_gets_wider_buckets_on_beijing_boundaries() {
        // 03:30 UTC is 11:30 in Beijing; ten days later, 14,000-odd minutes on: hourly buckets.
        let t = Timeline::of_minutes(&[(at("2026-10-01T03:30:00Z"), 5), (at("2026-10-11T03:31:00Z"), 7)]);
        assert_eq!(t.bucket_minutes, 60);
        assert!(t.points.len() as i64 <= MAX_BUCKETS);
        assert_eq!(t.points[0], (at("2026-10-01T03:00:00Z"), 5));
        assert_eq!(t.points.last().unwrap(), &(at("2026-10-11T03:00:00Z"), 7));
        let three_days = Timeline::of_minutes(&[(at("2026-10-01T03:31:00Z"), 1), (at("2026-10-04T03:31:00Z"), 1)]);
        assert_eq!((three_days.bucket_minutes, three_days.points[0].0), (15, at("2026-10-01T03:30:00Z")));
        assert_eq!(t.points.iter().map(|(_, n)| n).sum::<u64>(), 12);
        let days = Timeline::of_minutes(&[(at("2026-01-01T15:59:00Z"), 1), (at("2026-03-01T00:00:00Z"), 1)]);
        assert_eq!(days.bucket_minutes, 1440);
        assert_eq!(days.points[0].0, at("2025-12-31T16:00:00Z"), "a day starts at Beijing's midnight");
    }

    #[test]
    fn no_claims_no_points() {
        assert_eq!(Timeline::of_minutes(&[]).points, Vec::new());
    }
}

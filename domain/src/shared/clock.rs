use chrono::{DateTime, Duration, Utc};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// Where "now" comes from, so rules about time can be tested without sleeping.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
}

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// The system's time moved by an offset a test sets: time still passes, but a test can jump to
/// the opening second of a campaign or past a code's lifetime instead of sleeping. Clones share
/// the offset.
#[derive(Debug, Clone, Default)]
pub struct TestClock {
    offset_ns: Arc<AtomicI64>,
}

impl TestClock {
    pub fn advance(&self, by: Duration) {
        self.offset_ns.fetch_add(nanos(by), Ordering::SeqCst);
    }

    /// From now on the clock reads `at`, and runs on from there.
    pub fn set(&self, at: DateTime<Utc>) {
        self.offset_ns.store(nanos(at - Utc::now()), Ordering::SeqCst);
    }
}

impl Clock for TestClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::nanoseconds(self.offset_ns.load(Ordering::SeqCst))
    }
}

/// Whole nanoseconds, so that a clock set to a second's edge never reads a moment before it
/// (offsets beyond ±292 years saturate).
fn nanos(d: Duration) -> i64 {
    d.num_nanoseconds().unwrap_or(if d < Duration::zero() { i64::MIN } else { i64::MAX })
}

/// The clock a server runs on: the system's in production, a [`TestClock`] under tests.
#[derive(Debug, Clone)]
pub enum AppClock {
    System,
    Test(TestClock),
}

impl AppClock {
    /// The time, without importing [`Clock`] into every handler.
    pub fn now(&self) -> DateTime<Utc> {
        match self {
            AppClock::System => Utc::now(),
            AppClock::Test(clock) => clock.now(),
        }
    }
}

impl Clock for AppClock {
    fn now(&self) -> DateTime<Utc> {
        AppClock::now(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_clock_moves_only_when_told_and_its_clones_follow() {
        let clock = TestClock::default();
        let shared = AppClock::Test(clock.clone());
        let target = Utc::now() + Duration::days(30);
        clock.set(target);
        assert!((shared.now() - target).num_milliseconds().abs() < 1_000);
        clock.advance(Duration::seconds(31));
        assert!((shared.now() - target - Duration::seconds(31)).num_milliseconds().abs() < 1_000);
        assert!((AppClock::System.now() - Utc::now()).num_milliseconds().abs() < 1_000);
    }

    #[test]
    fn a_clock_set_to_an_edge_never_reads_before_it() {
        let clock = TestClock::default();
        for _ in 0..1_000 {
            let edge = Utc::now() + Duration::minutes(10) + Duration::nanoseconds(999_999);
            clock.set(edge);
            assert!(clock.now() >= edge);
        }
    }
}

use chrono::{DateTime, Duration, Utc};

use crate::shared::EmailAddress;

/// A plain-text message to one recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundEmail {
    pub to: EmailAddress,
    pub subject: String,
    pub body: String,
}

/// A message in the outbox, due or leased to a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub id: i64,
    pub email: OutboundEmail,
    /// Delivery attempts made before this one.
    pub attempts: u32,
}

/// When to try again after a failed delivery: doubling from `first_delay`, never more than
/// `max_delay`, and dead after `max_attempts` attempts in all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub first_delay: Duration,
    pub max_delay: Duration,
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    /// 30 s, 1 min, 2 min … capped at an hour; ten attempts span about four hours.
    fn default() -> Self {
        Self { first_delay: Duration::seconds(30), max_delay: Duration::hours(1), max_attempts: 10 }
    }
}

impl RetryPolicy {
    /// `attempts` counts the attempt that just failed. `None` means give up.
    pub fn next_attempt(&self, attempts: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if attempts >= self.max_attempts {
            return None;
        }
        let doublings = attempts.saturating_sub(1).min(20);
        let delay = self.first_delay.checked_mul(1 << doublings).unwrap_or(self.max_delay);
        Some(now + delay.min(self.max_delay))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backs_off_exponentially_up_to_the_cap_then_gives_up() {
        let p = RetryPolicy { first_delay: Duration::seconds(30), max_delay: Duration::minutes(5), max_attempts: 6 };
        let now = DateTime::UNIX_EPOCH;
        let delays: Vec<_> = (1..=6).map(|a| p.next_attempt(a, now).map(|t| (t - now).num_seconds())).collect();
        assert_eq!(delays, vec![Some(30), Some(60), Some(120), Some(240), Some(300), None]);
    }
}

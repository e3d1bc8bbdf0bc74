use chrono::{DateTime, Duration, Utc};
use std::fmt;

/// What a job does; the payload's shape depends on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// An e-mail: payload `{"to", "subject", "body"}`.
    Mail,
    /// A Standard Webhooks event to a partner merchant (see `merchants::webhook`).
    Webhook,
}

impl JobKind {
    pub const ALL: [JobKind; 2] = [JobKind::Mail, JobKind::Webhook];

    pub fn as_str(self) -> &'static str {
        match self {
            JobKind::Mail => "mail",
            JobKind::Webhook => "webhook",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == raw)
    }
}

impl fmt::Display for JobKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Waiting for its next attempt (or leased to a runner making it).
    Pending,
    Done,
    /// Given up: a permanent failure, or out of attempts. Staff may re-queue it.
    Dead,
}

impl JobState {
    pub const ALL: [JobState; 3] = [JobState::Pending, JobState::Done, JobState::Dead];

    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Pending => "pending",
            JobState::Done => "done",
            JobState::Dead => "dead",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// A due job leased to a runner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub kind: JobKind,
    pub payload: String,
    /// Attempts made before this one.
    pub attempts: u32,
    /// Whose job it is (a webhook's merchant), for lanes that cap each owner's jobs in flight.
    pub owner: Option<String>,
}

/// A job as staff see it: its bookkeeping, never its payload (mails carry addresses and codes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobRecord {
    pub id: i64,
    pub kind: String,
    pub state: JobState,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("only admins and operators may re-queue jobs")]
    Forbidden,
    #[error("no such job")]
    NotFound,
    /// Only a dead job is re-queued: a pending one is queued already, a done one stays done.
    #[error("the job is {0:?}, not dead")]
    NotDead(JobState),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

/// A failure as it is kept: mail servers quote the recipient (`550 <alice@…>: rejected`), and
/// what staff and auditors read must not carry members' addresses.
pub fn redact_addresses(error: &str) -> String {
    let words: Vec<&str> = error.split(' ').map(|w| if w.contains('@') { "<address>" } else { w }).collect();
    words.join(" ").chars().take(500).collect()
}

/// When to try again after a failed attempt: doubling from `first_delay`, never more than
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

    #[test]
    fn failures_are_kept_without_addresses() {
        let kept =
            redact_addresses("permanent failure: 550 5.1.1 <alice@union.example.cn>: Recipient address rejected");
        assert_eq!(kept, "permanent failure: 550 5.1.1 <address> Recipient address rejected");
        assert_eq!(redact_addresses(&"x".repeat(600)).len(), 500);
    }

    #[test]
    fn kinds_and_states_round_trip_their_names() {
        for k in JobKind::ALL {
            assert_eq!(JobKind::parse(k.as_str()), Some(k));
        }
        for s in JobState::ALL {
            assert_eq!(JobState::parse(s.as_str()), Some(s));
        }
        assert_eq!(JobState::parse("sent"), None);
    }
}

//! What each campaign's claims came to on this server — granted, refused by reason, unavailable,
//! and how long they took — counted where they are answered, for the console's opening monitor.
//!
//! A claim adds to one of a few shards, chosen by its worker thread, under that shard's lock: the
//! workers of a flood do not meet there, and a monitor reading once a second takes each lock once.

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::sync::Mutex;
use std::time::Duration;

const SHARDS: usize = 16;
/// Latency buckets of a quarter power of two of microseconds each: 1 µs up to about a minute.
const BUCKETS: usize = 104;

/// One campaign's claims, from the server's start (or this campaign's first claim) on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub granted: u64,
    /// By the problem's code (`campaign.sold_out`, `campaign.limit_reached`, …).
    pub refused: BTreeMap<&'static str, u64>,
    /// Answered 503: a dependency was down or the server shed the claim.
    pub unavailable: u64,
    /// A retry answered with the claim it repeats.
    pub replayed: u64,
    latency: Vec<u64>,
}

impl Default for Tally {
    fn default() -> Self {
        Self { granted: 0, refused: BTreeMap::new(), unavailable: 0, replayed: 0, latency: vec![0; BUCKETS] }
    }
}

fn bucket(elapsed: Duration) -> usize {
    let micros = elapsed.as_micros().max(1) as f64;
    ((micros.log2() * 4.0) as usize).min(BUCKETS - 1)
}

fn bucket_upper(i: usize) -> Duration {
    Duration::from_micros(2f64.powf((i + 1) as f64 / 4.0) as u64)
}

/// How a claim was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Granted,
    Replayed,
    Refused(&'static str),
    Unavailable,
}

impl Tally {
    pub fn answered(&self) -> u64 {
        self.granted + self.replayed + self.refused.values().sum::<u64>() + self.unavailable
    }

    fn add(&mut self, answer: Answer, elapsed: Duration) {
        match answer {
            Answer::Granted => self.granted += 1,
            Answer::Replayed => self.replayed += 1,
            Answer::Refused(code) => *self.refused.entry(code).or_default() += 1,
            Answer::Unavailable => self.unavailable += 1,
        }
        self.latency[bucket(elapsed)] += 1;
    }

    fn merge(&mut self, other: &Tally) {
        self.granted += other.granted;
        self.unavailable += other.unavailable;
        self.replayed += other.replayed;
        for (code, n) in &other.refused {
            *self.refused.entry(code).or_default() += n;
        }
        for (mine, theirs) in self.latency.iter_mut().zip(&other.latency) {
            *mine += theirs;
        }
    }

    /// The 99th percentile of the claims answered since `before` was read (an upper bound, to a
    /// fifth of itself); `None` when none were.
    pub fn p99_since(&self, before: &Tally) -> Option<Duration> {
        let window: Vec<u64> =
            self.latency.iter().zip(&before.latency).map(|(now, then)| now - then.min(now)).collect();
        let total: u64 = window.iter().sum();
        if total == 0 {
            return None;
        }
        let wanted = total - total / 100;
        let mut seen = 0;
        window
            .iter()
            .position(|n| {
                seen += n;
                seen >= wanted
            })
            .map(bucket_upper)
    }
}

thread_local! {
    /// This thread's shard, worked out once.
    static SHARD: usize = {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        std::thread::current().id().hash(&mut hasher);
        hasher.finish() as usize % SHARDS
    };
}

/// Every campaign's tally on this server.
pub struct Tallies {
    shards: Vec<Mutex<HashMap<uuid::Uuid, Tally>>>,
}

impl Default for Tallies {
    fn default() -> Self {
        Self { shards: (0..SHARDS).map(|_| Mutex::default()).collect() }
    }
}

impl Tallies {
    pub fn record(&self, campaign: uuid::Uuid, answer: Answer, elapsed: Duration) {
        let shard = &self.shards[SHARD.with(|s| *s)];
        if let Ok(mut shard) = shard.lock() {
            shard.entry(campaign).or_default().add(answer, elapsed);
        }
    }

    pub fn of(&self, campaign: uuid::Uuid) -> Tally {
        let mut sum = Tally::default();
        for shard in &self.shards {
            if let Some(t) = shard.lock().ok().as_ref().and_then(|s| s.get(&campaign)) {
                sum.merge(t);
            }
        }
        sum
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_add_up_across_threads() {
        let tallies = std::sync::Arc::new(Tallies::default());
        let campaign = uuid::Uuid::new_v4();
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let tallies = tallies.clone();
                std::thread::spawn(move || {
                    for i in 0..1000 {
                        let answer = match i % 4 {
                            0 => Answer::Granted,
                            1 => Answer::Refused("campaign.sold_out"),
                            2 => Answer::Refused("campaign.limit_reached"),
                            _ => Answer::Unavailable,
                        };
                        tallies.record(campaign, answer, Duration::from_millis(2));
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        let t = tallies.of(campaign);
        assert_eq!((t.granted, t.unavailable, t.answered()), (1000, 1000, 4000));
        assert_eq!(t.refused["campaign.sold_out"], 1000);
        assert_eq!(tallies.of(uuid::Uuid::new_v4()).answered(), 0);
    }

    #[test]
    fn the_p99_is_of_the_window_and_bounds_it_from_above() {
        let tallies = Tallies::default();
        let c = uuid::Uuid::new_v4();
        for _ in 0..1000 {
            tallies.record(c, Answer::Granted, Duration::from_millis(200));
        }
        let before = tallies.of(c);
        for i in 0..1000 {
            let ms = if i < 995 { 2 } else { 50 };
            tallies.record(c, Answer::Granted, Duration::from_millis(ms));
        }
        let p99 = tallies.of(c).p99_since(&before).unwrap();
        assert!(p99 >= Duration::from_millis(2) && p99 <= Duration::from_micros(2400), "{p99:?}");
        assert_eq!(tallies.of(c).p99_since(&tallies.of(c)), None);
    }
}

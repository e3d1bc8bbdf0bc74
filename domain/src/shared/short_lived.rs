//! A small in-process map whose entries live a few seconds of the Clock's time: for what may be a
//! moment old on a page (a member's standing, their claim counts) and is checked again where it
//! matters (the claim re-reads the member before writing). For one more TTL an entry is still
//! served while one caller reads it again, so a page someone keeps refreshing never waits for that
//! read (behind a database busy with claims, it is the slowest part of the page).

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

pub struct ShortLived<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
    ttl: Duration,
    /// At this many entries the expired ones are swept; if all are live, everything goes.
    max: usize,
    /// Counts forgets by stripe of keys, so a value read before one is not kept after it — and a
    /// read is not thrown away for every other key's forget (at an opening, every claim forgets
    /// its member: one counter for all would keep almost nothing).
    forgets: [AtomicU64; STRIPES],
    stripes: RandomState,
}

/// Forget counters; a read is thrown away needlessly only when another key of its stripe was
/// forgotten meanwhile.
const STRIPES: usize = 256;

struct Entry<V> {
    value: V,
    at: DateTime<Utc>,
    /// Someone was told to read it again.
    due_taken: bool,
}

/// What [`ShortLived::lookup`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup<V> {
    /// Put less than the TTL ago, or a little older while someone reads it again.
    Fresh(V),
    /// Older than the TTL, younger than two, and the caller is the one to read it again (off the
    /// request's path) and [`ShortLived::put_read`] it.
    Due(V),
    Missing,
}

/// When a read for the map began: see [`ShortLived::put_read`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadStart {
    stripe: usize,
    forgets: u64,
}

impl<K: Eq + Hash, V: Clone> ShortLived<K, V> {
    pub fn new(ttl: Duration, max: usize) -> Self {
        Self {
            entries: Mutex::default(),
            ttl,
            max,
            forgets: std::array::from_fn(|_| AtomicU64::new(0)),
            stripes: RandomState::new(),
        }
    }

    fn stripe(&self, key: &K) -> usize {
        (self.stripes.hash_one(key) % STRIPES as u64) as usize
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<K, Entry<V>>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The value, fresh or due to be read again; see [`Lookup`].
    pub fn lookup(&self, key: &K, now: DateTime<Utc>) -> Lookup<V> {
        let mut entries = self.entries();
        let Some(entry) = entries.get_mut(key).filter(|e| now >= e.at && now - e.at < self.ttl * 2) else {
            return Lookup::Missing;
        };
        if now - entry.at < self.ttl {
            return Lookup::Fresh(entry.value.clone());
        }
        if std::mem::replace(&mut entry.due_taken, true) {
            Lookup::Fresh(entry.value.clone())
        } else {
            Lookup::Due(entry.value.clone())
        }
    }

    /// Taken before reading the value of `key` to [`Self::put_read`].
    pub fn read_start(&self, key: &K) -> ReadStart {
        let stripe = self.stripe(key);
        ReadStart { stripe, forgets: self.forgets[stripe].load(Ordering::Acquire) }
    }

    /// Keeps a value read since `start`, unless its key was forgotten meanwhile (the read may
    /// predate the change that caused it; the next caller reads again).
    pub fn put_read(&self, key: K, value: V, now: DateTime<Utc>, start: ReadStart) {
        let mut entries = self.entries();
        if self.forgets[start.stripe].load(Ordering::Acquire) != start.forgets {
            return;
        }
        if entries.len() >= self.max {
            let kept = self.ttl * 2;
            entries.retain(|_, e| now >= e.at && now - e.at < kept);
            if entries.len() >= self.max {
                entries.clear();
            }
        }
        entries.insert(key, Entry { value, at: now, due_taken: false });
    }

    pub fn forget(&self, key: &K) {
        let mut entries = self.entries();
        self.forgets[self.stripe(key)].fetch_add(1, Ordering::AcqRel);
        entries.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn entries_live_for_the_ttl_and_the_map_stays_bounded() {
        let t0 = Utc.with_ymd_and_hms(2026, 10, 1, 2, 0, 0).unwrap();
        let cache = ShortLived::new(Duration::seconds(5), 2);
        cache.put_read(1, "a", t0, cache.read_start(&1));
        assert_eq!(cache.lookup(&1, t0 + Duration::milliseconds(4_999)), Lookup::Fresh("a"));
        assert_eq!(cache.lookup(&1, t0 + Duration::seconds(5)), Lookup::Due("a"), "fresh for the TTL alone");
        assert_eq!(cache.lookup(&1, t0 - Duration::seconds(1)), Lookup::Missing, "a clock set back does not revive it");
        cache.forget(&1);
        assert_eq!(cache.lookup(&1, t0), Lookup::Missing);

        cache.put_read(1, "a", t0, cache.read_start(&1));
        cache.put_read(2, "b", t0 + Duration::seconds(8), cache.read_start(&2));
        // Full: entry 1, two TTLs old, is swept; the live one stays.
        cache.put_read(3, "c", t0 + Duration::seconds(10), cache.read_start(&3));
        assert_eq!(cache.lookup(&2, t0 + Duration::seconds(10)), Lookup::Fresh("b"));
        assert_eq!(cache.lookup(&3, t0 + Duration::seconds(10)), Lookup::Fresh("c"));
        // Full of live entries: they all go rather than growing without bound.
        cache.put_read(4, "d", t0 + Duration::seconds(11), cache.read_start(&4));
        assert_eq!(cache.lookup(&2, t0 + Duration::seconds(11)), Lookup::Missing);
        assert_eq!(cache.lookup(&4, t0 + Duration::seconds(11)), Lookup::Fresh("d"));
    }

    #[test]
    fn past_its_ttl_an_entry_is_served_while_one_caller_reads_it_again() {
        let t0 = Utc.with_ymd_and_hms(2026, 10, 1, 2, 0, 0).unwrap();
        let cache = ShortLived::new(Duration::seconds(5), 10);
        assert_eq!(cache.lookup(&1, t0), Lookup::Missing);
        cache.put_read(1, "a", t0, cache.read_start(&1));
        assert_eq!(cache.lookup(&1, t0 + Duration::seconds(4)), Lookup::Fresh("a"));
        assert_eq!(
            cache.lookup(&1, t0 + Duration::seconds(5)),
            Lookup::Due("a"),
            "the first caller past the TTL reads"
        );
        assert_eq!(cache.lookup(&1, t0 + Duration::seconds(6)), Lookup::Fresh("a"), "the others do not");
        cache.put_read(1, "b", t0 + Duration::seconds(7), cache.read_start(&1));
        assert_eq!(cache.lookup(&1, t0 + Duration::seconds(12)), Lookup::Due("b"), "due again a TTL after its read");
        assert_eq!(
            cache.lookup(&1, t0 + Duration::seconds(17)),
            Lookup::Missing,
            "the read never came: two TTLs on, gone"
        );
        cache.put_read(2, "c", t0, cache.read_start(&2));
        cache.forget(&2);
        assert_eq!(cache.lookup(&2, t0), Lookup::Missing);
    }

    #[test]
    fn a_read_begun_before_a_forget_is_not_kept() {
        let t0 = Utc.with_ymd_and_hms(2026, 10, 1, 2, 0, 0).unwrap();
        let cache = ShortLived::new(Duration::seconds(5), 10);
        let start = cache.read_start(&1);
        cache.forget(&1);
        cache.put_read(1, "before the claim", t0, start);
        assert_eq!(cache.lookup(&1, t0), Lookup::Missing);
        let start = cache.read_start(&1);
        cache.put_read(1, "after", t0, start);
        assert_eq!(cache.lookup(&1, t0), Lookup::Fresh("after"));
    }

    #[test]
    fn other_keys_forgotten_during_a_read_do_not_throw_it_away() {
        let t0 = Utc.with_ymd_and_hms(2026, 10, 1, 2, 0, 0).unwrap();
        let cache = ShortLived::new(Duration::seconds(5), 10);
        let start = cache.read_start(&1);
        let others: Vec<u32> = (2..).filter(|k| cache.stripe(k) != cache.stripe(&1)).take(100).collect();
        for other in &others {
            cache.forget(other);
        }
        cache.put_read(1, "kept", t0, start);
        assert_eq!(cache.lookup(&1, t0), Lookup::Fresh("kept"), "a claim by someone else says nothing of this member");
    }
}

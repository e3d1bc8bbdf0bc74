//! A small in-process map whose entries live a few seconds of the Clock's time: for what may be a
//! moment old on a page (a member's standing, their claim counts) and is checked again where it
//! matters (the claim re-reads the member before writing).

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;

pub struct ShortLived<K, V> {
    entries: Mutex<HashMap<K, (V, DateTime<Utc>)>>,
    ttl: Duration,
    /// At this many entries the expired ones are swept; if all are live, everything goes.
    max: usize,
}

impl<K: Eq + Hash, V: Clone> ShortLived<K, V> {
    pub fn new(ttl: Duration, max: usize) -> Self {
        Self { entries: Mutex::default(), ttl, max }
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<K, (V, DateTime<Utc>)>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The value put less than the TTL before `now`.
    pub fn get(&self, key: &K, now: DateTime<Utc>) -> Option<V> {
        let entries = self.entries();
        let (value, at) = entries.get(key)?;
        (now >= *at && now - *at < self.ttl).then(|| value.clone())
    }

    pub fn put(&self, key: K, value: V, now: DateTime<Utc>) {
        let mut entries = self.entries();
        if entries.len() >= self.max {
            let ttl = self.ttl;
            entries.retain(|_, (_, at)| now >= *at && now - *at < ttl);
            if entries.len() >= self.max {
                entries.clear();
            }
        }
        entries.insert(key, (value, now));
    }

    pub fn forget(&self, key: &K) {
        self.entries().remove(key);
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
        cache.put(1, "a", t0);
        assert_eq!(cache.get(&1, t0 + Duration::milliseconds(4_999)), Some("a"));
        assert_eq!(cache.get(&1, t0 + Duration::seconds(5)), None);
        assert_eq!(cache.get(&1, t0 - Duration::seconds(1)), None, "a clock set back does not revive it");
        cache.forget(&1);
        assert_eq!(cache.get(&1, t0), None);

        cache.put(1, "a", t0);
        cache.put(2, "b", t0 + Duration::seconds(4));
        // Full: the expired entry 1 is swept, the live one stays.
        cache.put(3, "c", t0 + Duration::seconds(6));
        assert_eq!(cache.get(&2, t0 + Duration::seconds(6)), Some("b"));
        assert_eq!(cache.get(&3, t0 + Duration::seconds(6)), Some("c"));
        // Full of live entries: they all go rather than growing without bound.
        cache.put(4, "d", t0 + Duration::seconds(7));
        assert_eq!(cache.get(&2, t0 + Duration::seconds(7)), None);
        assert_eq!(cache.get(&4, t0 + Duration::seconds(7)), Some("d"));
    }
}

use chrono::{DateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::keys::Digests;
use domain::shared::ephemeral::{CodeCheck, CodeStore, EphemeralError, OneTimeStore, RateDecision, RateLimiter};

/// Past this many live keys, expired ones are swept on the next write.
const SWEEP_AT: usize = 10_000;

/// Live entries with their expiry: the shape of each of the three maps below.
type Expiring<V> = Arc<Mutex<HashMap<String, (V, Instant)>>>;

/// The embedded default: correct within one process, which is all the embedded default runs.
#[derive(Clone, Default)]
pub struct MemoryEphemeral {
    windows: Expiring<u32>,
    tokens: Expiring<String>,
    /// Code hash, tries left, and the end of its lifetime on the caller's clock.
    codes: Expiring<(String, u32, DateTime<Utc>)>,
    /// Codes are kept as keyed digests, never as themselves.
    digests: Digests,
}

fn sweep<V>(map: &mut HashMap<String, (V, Instant)>, now: Instant) {
    if map.len() >= SWEEP_AT {
        map.retain(|_, (_, until)| *until > now);
    }
}

impl RateLimiter for MemoryEphemeral {
    async fn hit(&self, key: &str, limit: u32, window: Duration) -> Result<RateDecision, EphemeralError> {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(|p| p.into_inner());
        sweep(&mut windows, now);
        let entry = windows.entry(key.to_owned()).or_insert((0, now + window));
        if entry.1 <= now {
            *entry = (0, now + window);
        }
        entry.0 = entry.0.saturating_add(1);
        Ok(if entry.0 <= limit {
            RateDecision::Allowed { remaining: limit - entry.0 }
        } else {
            RateDecision::Limited { retry_after: (entry.1 - now).max(Duration::from_millis(1)) }
        })
    }
}

impl OneTimeStore for MemoryEphemeral {
    async fn put_if_absent(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, EphemeralError> {
        let now = Instant::now();
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        sweep(&mut tokens, now);
        match tokens.get(key) {
            Some((_, until)) if *until > now => Ok(false),
            _ => {
                tokens.insert(key.to_owned(), (value.to_owned(), now + ttl));
                Ok(true)
            }
        }
    }

    async fn take(&self, key: &str) -> Result<Option<String>, EphemeralError> {
        let now = Instant::now();
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        Ok(tokens.remove(key).filter(|(_, until)| *until > now).map(|(value, _)| value))
    }
}

impl CodeStore for MemoryEphemeral {
    async fn issue(
        &self,
        key: &str,
        code: &str,
        now: DateTime<Utc>,
        ttl: Duration,
        max_tries: u32,
    ) -> Result<(), EphemeralError> {
        let instant = Instant::now();
        let mut codes = self.codes.lock().unwrap_or_else(|p| p.into_inner());
        sweep(&mut codes, instant);
        let ends = now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::MAX);
        codes.insert(key.to_owned(), ((self.digests.code(key, code), max_tries, ends), instant + ttl));
        Ok(())
    }

    async fn check(&self, key: &str, code: &str, now: DateTime<Utc>) -> Result<CodeCheck, EphemeralError> {
        let mut codes = self.codes.lock().unwrap_or_else(|p| p.into_inner());
        let Some(((hash, tries_left, ends), _)) = codes.get_mut(key) else { return Ok(CodeCheck::Missing) };
        if *ends <= now {
            codes.remove(key);
            return Ok(CodeCheck::Missing);
        }
        if *hash == self.digests.code(key, code) {
            codes.remove(key);
            return Ok(CodeCheck::Valid);
        }
        *tries_left = tries_left.saturating_sub(1);
        let left = *tries_left;
        if left == 0 {
            codes.remove(key);
        }
        Ok(CodeCheck::Wrong { tries_left: left })
    }
}

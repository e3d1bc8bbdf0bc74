//! `Idempotency-Key`: a client that retries a request after a time-out gets the first answer back
//! instead of a second execution. Any route can opt in (claims keep their own gate-based replay).
//!
//! Keys are scoped per caller, so one caller can neither collide with nor read another's. Only a
//! successful (2xx) answer is stored; a request that failed releases its key, so a retry runs
//! again — nothing happened that a replay would need to repeat. Stored answers are kept for the
//! retention (at least 24 hours) and then purged.

use chrono::{DateTime, Duration, Utc};
use std::future::Future;

use super::Clock;

/// A client's key: 1–255 visible ASCII characters (a UUID is the usual choice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an Idempotency-Key is 1-255 visible ASCII characters")]
pub struct InvalidKey;

impl IdempotencyKey {
    pub fn parse(raw: &str) -> Result<Self, InvalidKey> {
        let ok = (1..=255).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(InvalidKey)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A digest of what a request asks (method, path and query, body), made at the edge: the same key
/// with another fingerprint is a client bug, not a retry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(pub String);

/// The answer given the first time, replayed as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    pub status: u16,
    /// The headers that carry meaning (content type, location), in order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What a request with a key may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// First time (or the earlier attempt failed, expired, or its server died): run it.
    Run,
    /// Answered before: send this again.
    Replay(StoredResponse),
    /// The key was used for a different request.
    Mismatch,
    /// The first request with this key is still running.
    InFlight,
}

pub trait IdempotencyStore: Send + Sync + 'static {
    /// Claims `(scope, key)` for a run until `locked_until`, unless it holds a live answer or a
    /// live run. Of concurrent callers with one key, exactly one MUST get [`Begin::Run`]. A row
    /// past `expires_at`, or a run whose lock passed (its server died), is taken over.
    fn begin(
        &self,
        scope: &str,
        key: &IdempotencyKey,
        fingerprint: &Fingerprint,
        now: DateTime<Utc>,
        locked_until: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<Begin>> + Send;

    /// Stores the answer of the run that [`IdempotencyStore::begin`] allowed.
    fn complete(
        &self,
        scope: &str,
        key: &IdempotencyKey,
        response: &StoredResponse,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Forgets a run that failed, so the key can be used again.
    fn release(&self, scope: &str, key: &IdempotencyKey) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Deletes keys whose retention ended before `now`; returns how many.
    fn purge(&self, now: DateTime<Utc>) -> impl Future<Output = anyhow::Result<u64>> + Send;
}

/// The rules around the store: how long answers are kept and how long a run may hold its key.
pub struct Idempotency<S, C> {
    pub store: S,
    pub clock: C,
    /// How long an answer is kept; at least 24 hours.
    pub retention: Duration,
    /// How long a run holds its key before another server may take it over.
    pub lock: Duration,
}

impl<S: IdempotencyStore, C: Clock> Idempotency<S, C> {
    pub async fn begin(&self, scope: &str, key: &IdempotencyKey, fingerprint: &Fingerprint) -> anyhow::Result<Begin> {
        let now = self.clock.now();
        self.store.begin(scope, key, fingerprint, now, now + self.lock, now + self.retention).await
    }

    pub async fn complete(&self, scope: &str, key: &IdempotencyKey, response: &StoredResponse) -> anyhow::Result<()> {
        self.store.complete(scope, key, response).await
    }

    pub async fn release(&self, scope: &str, key: &IdempotencyKey) -> anyhow::Result<()> {
        self.store.release(scope, key).await
    }

    pub async fn purge(&self) -> anyhow::Result<u64> {
        self.store.purge(self.clock.now()).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_of_sensible_length() {
        assert!(IdempotencyKey::parse("0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b5a").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        for bad in ["", " ", "a b", "键", "a\u{0}", &"k".repeat(256)] {
            assert_eq!(IdempotencyKey::parse(bad), Err(InvalidKey), "{bad:?}");
        }
    }
}

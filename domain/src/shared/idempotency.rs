//! `Idempotency-Key`: a client that retries a request after a time-out gets the first answer back
//! instead of a second execution. Any route can opt in (claims keep their own gate-based replay).
//!
//! Keys are scoped per caller, so one caller can neither collide with nor read another's. Only a
//! successful (2xx) answer is stored. A request refused for its content (4xx) releases its key,
//! so the corrected request may use it: nothing happened. A server-side failure (5xx) keeps the
//! key locked until the lock passes, since the work may have gone through before the failure.
//! Stored answers are kept for the retention (at least 24 hours) and then purged.

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

/// Which run holds a key: completing or releasing it takes the token, so a run whose lock passed
/// (and was taken over) cannot touch its successor's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunToken(pub String);

/// What a request with a key may do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// First time (or the earlier attempt expired, or its server died): run it.
    Run(RunToken),
    /// Answered before: send this again.
    Replay(StoredResponse),
    /// The key was used for a different request.
    Mismatch,
    /// The first request with this key is still running.
    InFlight,
}

/// An answer that the work writes itself, in the same commit as its effect (a sale is one
/// statement): there is no moment when the work is done and its answer not yet kept, and no
/// separate claim of the key before it. The write MUST fail as a whole, writing nothing, when
/// `(scope, key)` is held already; the request then goes the usual way ([`Idempotency::begin`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedAnswer {
    pub scope: String,
    pub key: IdempotencyKey,
    pub fingerprint: Fingerprint,
    pub response: StoredResponse,
    pub at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What became of work given a [`KeyedAnswer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kept {
    /// Done, and its answer kept.
    Written,
    /// The key was held already: nothing was written.
    KeyHeld,
}

pub trait IdempotencyStore: Send + Sync + 'static {
    /// Claims `(scope, key)` for a run by `token` until `locked_until`, unless it holds a live
    /// answer or a live run. Of concurrent callers with one key, exactly one MUST get
    /// [`Begin::Run`]. A row past `expires_at`, or a run whose lock passed (its server died), is
    /// taken over.
    #[allow(clippy::too_many_arguments)]
    fn begin(
        &self,
        scope: &str,
        key: &IdempotencyKey,
        fingerprint: &Fingerprint,
        token: &RunToken,
        now: DateTime<Utc>,
        locked_until: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<Begin>> + Send;

    /// Stores the answer of the run `token`, if it still holds the key.
    fn complete(
        &self,
        scope: &str,
        key: &IdempotencyKey,
        token: &RunToken,
        response: &StoredResponse,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Forgets the run `token` (if it still holds the key), so the key can be used again.
    fn release(
        &self,
        scope: &str,
        key: &IdempotencyKey,
        token: &RunToken,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;

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
        let token = RunToken(uuid::Uuid::new_v4().simple().to_string());
        self.store.begin(scope, key, fingerprint, &token, now, now + self.lock, now + self.retention).await
    }

    /// `response`, to be kept under `key` by the work's own write.
    pub fn keyed(
        &self,
        scope: &str,
        key: &IdempotencyKey,
        fingerprint: &Fingerprint,
        response: StoredResponse,
    ) -> KeyedAnswer {
        let at = self.clock.now();
        KeyedAnswer {
            scope: scope.to_owned(),
            key: key.clone(),
            fingerprint: fingerprint.clone(),
            response,
            at,
            expires_at: at + self.retention,
        }
    }

    pub async fn complete(
        &self,
        scope: &str,
        key: &IdempotencyKey,
        token: &RunToken,
        response: &StoredResponse,
    ) -> anyhow::Result<()> {
        self.store.complete(scope, key, token, response).await
    }

    pub async fn release(&self, scope: &str, key: &IdempotencyKey, token: &RunToken) -> anyhow::Result<()> {
        self.store.release(scope, key, token).await
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

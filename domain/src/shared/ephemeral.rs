//! Ports for short-lived state that must be shared by every API instance: rate-limit windows and
//! one-time tokens (nonces, codes). Redis backs them in production; an in-process map in the embedded
//! default. Both adapters pass the same contract tests.

use chrono::{DateTime, Utc};
use std::future::Future;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum EphemeralError {
    /// The store did not answer in time or at all. Callers fail closed: a limiter that cannot count
    /// does not let the request through.
    #[error("ephemeral store unavailable")]
    Unavailable(#[source] anyhow::Error),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateDecision {
    Allowed { remaining: u32 },
    Limited { retry_after: Duration },
}

/// Counts hits per key in fixed windows.
pub trait RateLimiter: Send + Sync + 'static {
    /// Counts one hit on `key`. The first hit opens a window of `window`; hits beyond `limit` inside
    /// it are refused with the time left until the window closes (never zero).
    fn hit(
        &self,
        key: &str,
        limit: u32,
        window: Duration,
    ) -> impl Future<Output = Result<RateDecision, EphemeralError>> + Send;
}

/// Values that live for a while and can be consumed once.
pub trait OneTimeStore: Send + Sync + 'static {
    /// Stores `value` under `key` for `ttl` unless the key is already live. MUST return `false`, and
    /// change nothing, when it is: this is how a nonce is accepted exactly once.
    fn put_if_absent(
        &self,
        key: &str,
        value: &str,
        ttl: Duration,
    ) -> impl Future<Output = Result<bool, EphemeralError>> + Send;

    /// Removes and returns the live value under `key`; of two concurrent takes at most one sees it.
    fn take(&self, key: &str) -> impl Future<Output = Result<Option<String>, EphemeralError>> + Send;
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeCheck {
    /// Right code: it is consumed and cannot be used again.
    Valid,
    Wrong {
        tries_left: u32,
    },
    /// Never issued, expired, consumed, or burned by too many wrong tries.
    Missing,
}

/// One-time codes (SMS logins, e-mail confirmations) kept only as hashes, with a try budget.
/// A code's lifetime is measured on the caller's clock (`now`), so it ends when the service's
/// time says, in tests as in production; the store may forget it a little later.
pub trait CodeStore: Send + Sync + 'static {
    /// Stores `code` (hashed) under `key` from `now` for `ttl`, replacing any earlier code for that
    /// key.
    fn issue(
        &self,
        key: &str,
        code: &str,
        now: DateTime<Utc>,
        ttl: Duration,
        max_tries: u32,
    ) -> impl Future<Output = Result<(), EphemeralError>> + Send;

    /// Checks an answer at `now` atomically; the `max_tries`-th wrong answer burns the code, and a
    /// code past its lifetime is [`CodeCheck::Missing`].
    fn check(
        &self,
        key: &str,
        code: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<CodeCheck, EphemeralError>> + Send;
}

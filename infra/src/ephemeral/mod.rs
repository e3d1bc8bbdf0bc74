//! Rate limits and one-time tokens: Redis when configured, an in-process map otherwise. The API
//! holds an [`Ephemeral`] and never knows which.

mod keys;
mod memory;
mod redis;

pub use self::keys::StoreKeys;
pub use self::memory::MemoryEphemeral;
pub use self::redis::RedisEphemeral;

use chrono::{DateTime, Utc};
use domain::shared::ephemeral::{CodeCheck, CodeStore, EphemeralError, OneTimeStore, RateDecision, RateLimiter};
use std::time::Duration;

#[derive(Clone)]
pub enum Ephemeral {
    Redis(RedisEphemeral),
    Memory(MemoryEphemeral),
}

impl RateLimiter for Ephemeral {
    async fn hit(&self, key: &str, limit: u32, window: Duration) -> Result<RateDecision, EphemeralError> {
        match self {
            Self::Redis(r) => r.hit(key, limit, window).await,
            Self::Memory(m) => m.hit(key, limit, window).await,
        }
    }
}

impl OneTimeStore for Ephemeral {
    async fn put_if_absent(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, EphemeralError> {
        match self {
            Self::Redis(r) => r.put_if_absent(key, value, ttl).await,
            Self::Memory(m) => m.put_if_absent(key, value, ttl).await,
        }
    }

    async fn take(&self, key: &str) -> Result<Option<String>, EphemeralError> {
        match self {
            Self::Redis(r) => r.take(key).await,
            Self::Memory(m) => m.take(key).await,
        }
    }
}

impl CodeStore for Ephemeral {
    async fn issue(
        &self,
        key: &str,
        code: &str,
        now: DateTime<Utc>,
        ttl: Duration,
        max_tries: u32,
    ) -> Result<(), EphemeralError> {
        match self {
            Self::Redis(r) => r.issue(key, code, now, ttl, max_tries).await,
            Self::Memory(m) => m.issue(key, code, now, ttl, max_tries).await,
        }
    }

    async fn check(&self, key: &str, code: &str, now: DateTime<Utc>) -> Result<CodeCheck, EphemeralError> {
        match self {
            Self::Redis(r) => r.check(key, code, now).await,
            Self::Memory(m) => m.check(key, code, now).await,
        }
    }
}

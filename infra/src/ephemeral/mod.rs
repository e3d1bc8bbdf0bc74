//! Rate limits and one-time tokens: Redis when configured, an in-process map otherwise. The API
//! holds an [`Ephemeral`] and never knows which.

mod memory;
mod redis;

pub use self::memory::MemoryEphemeral;
pub use self::redis::RedisEphemeral;

use domain::shared::ephemeral::{EphemeralError, OneTimeStore, RateDecision, RateLimiter};
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

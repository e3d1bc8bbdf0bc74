use std::sync::{Arc, LazyLock};
use std::time::Duration;

use crate::redis_client::Redis;
use domain::shared::ephemeral::{EphemeralError, OneTimeStore, RateDecision, RateLimiter};

/// Fixed window: the first hit sets the expiry; a key that somehow lost its TTL gets one back.
static HIT: LazyLock<Arc<redis::Script>> = LazyLock::new(|| {
    Arc::new(redis::Script::new(
        r"
        local n = redis.call('INCR', KEYS[1])
        local ttl = redis.call('PTTL', KEYS[1])
        if ttl < 0 then
            redis.call('PEXPIRE', KEYS[1], ARGV[1])
            ttl = tonumber(ARGV[1])
        end
        return {n, ttl}
        ",
    ))
});

#[derive(Clone)]
pub struct RedisEphemeral {
    redis: Redis,
}

impl RedisEphemeral {
    pub fn new(redis: Redis) -> Self {
        Self { redis }
    }
}

fn unavailable(e: anyhow::Error) -> EphemeralError {
    EphemeralError::Unavailable(e)
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

impl RateLimiter for RedisEphemeral {
    async fn hit(&self, key: &str, limit: u32, window: Duration) -> Result<RateDecision, EphemeralError> {
        let key = self.redis.key(&format!("rl:{key}"));
        let (count, ttl_ms): (u64, u64) = self
            .redis
            .call(|mut c| async move { HIT.key(&key).arg(millis(window)).invoke_async(&mut c).await })
            .await
            .map_err(unavailable)?;
        Ok(if count <= u64::from(limit) {
            RateDecision::Allowed { remaining: limit - count as u32 }
        } else {
            RateDecision::Limited { retry_after: Duration::from_millis(ttl_ms.max(1)) }
        })
    }
}

impl OneTimeStore for RedisEphemeral {
    async fn put_if_absent(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, EphemeralError> {
        let key = self.redis.key(&format!("ot:{key}"));
        let value = value.to_owned();
        let set: Option<String> = self
            .redis
            .call(|mut c| async move {
                redis::cmd("SET").arg(&key).arg(&value).arg("NX").arg("PX").arg(millis(ttl)).query_async(&mut c).await
            })
            .await
            .map_err(unavailable)?;
        Ok(set.is_some())
    }

    async fn take(&self, key: &str) -> Result<Option<String>, EphemeralError> {
        let key = self.redis.key(&format!("ot:{key}"));
        self.redis
            .call(|mut c| async move { redis::cmd("GETDEL").arg(&key).query_async(&mut c).await })
            .await
            .map_err(unavailable)
    }
}

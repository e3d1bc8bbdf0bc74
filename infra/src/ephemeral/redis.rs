use chrono::{DateTime, Utc};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use super::keys::{Digests, StoreKeys};
use crate::redis_client::Redis;
use domain::shared::ephemeral::{CodeCheck, CodeStore, EphemeralError, OneTimeStore, RateDecision, RateLimiter};

/// Replaces a code with a new one and its tries and end, expiring with it, in one command.
static SAVE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
        redis.call('DEL', KEYS[1])
        redis.call('HSET', KEYS[1], 'h', ARGV[1], 't', ARGV[2], 'e', ARGV[3])
        redis.call('PEXPIRE', KEYS[1], ARGV[4])
        return 1
        ",
    )
});

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

/// Right code: delete and answer 1. Wrong: spend a try, delete on the last, answer 2 + tries left.
/// Missing or past its end (`e`, milliseconds on the caller's clock, against `ARGV[2]`): 0. One
/// script, so two concurrent answers cannot both spend the same try.
static CHECK: LazyLock<Arc<redis::Script>> = LazyLock::new(|| {
    Arc::new(redis::Script::new(
        r"
        local stored = redis.call('HGET', KEYS[1], 'h')
        if not stored then return 0 end
        local ends = tonumber(redis.call('HGET', KEYS[1], 'e'))
        if ends and ends <= tonumber(ARGV[2]) then
            redis.call('DEL', KEYS[1])
            return 0
        end
        if stored == ARGV[1] then
            redis.call('DEL', KEYS[1])
            return 1
        end
        local left = redis.call('HINCRBY', KEYS[1], 't', -1)
        if left <= 0 then redis.call('DEL', KEYS[1]) end
        return 2 + math.max(left, 0)
        ",
    ))
});

#[derive(Clone)]
pub struct RedisEphemeral {
    redis: Redis,
    keys: StoreKeys,
}

impl RedisEphemeral {
    pub fn new(redis: Redis, keys: StoreKeys) -> Self {
        Self { redis, keys }
    }

    /// The Redis key for the domain's `key` of `kind`, under `digests`.
    fn name(&self, kind: &str, digests: &Digests, key: &str) -> String {
        self.redis.key(&format!("{kind}:{}", digests.key(key)))
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
        let key = self.name("rl", self.keys.current(), key);
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
        // A nonce or code used before a rotation stays used.
        if let Some(previous) = self.keys.previous() {
            let old = self.name("ot", previous, key);
            let exists: bool = self
                .redis
                .call(|mut c| async move { redis::cmd("EXISTS").arg(&old).query_async(&mut c).await })
                .await
                .map_err(unavailable)?;
            if exists {
                return Ok(false);
            }
        }
        let key = self.name("ot", self.keys.current(), key);
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
        let previous = self.keys.previous().map(|d| self.name("ot", d, key));
        for name in std::iter::once(self.name("ot", self.keys.current(), key)).chain(previous) {
            let taken: Option<String> = self
                .redis
                .call(|mut c| async move { redis::cmd("GETDEL").arg(&name).query_async(&mut c).await })
                .await
                .map_err(unavailable)?;
            if taken.is_some() {
                return Ok(taken);
            }
        }
        Ok(None)
    }
}

impl CodeStore for RedisEphemeral {
    async fn issue(
        &self,
        key: &str,
        code: &str,
        now: DateTime<Utc>,
        ttl: Duration,
        max_tries: u32,
    ) -> Result<(), EphemeralError> {
        // A new code replaces the one before, whichever key that was kept under.
        if let Some(previous) = self.keys.previous() {
            let old = self.name("code", previous, key);
            self.redis
                .call(|mut c| async move { redis::cmd("DEL").arg(&old).query_async::<i64>(&mut c).await })
                .await
                .map_err(unavailable)?;
        }
        let hash = self.keys.current().code(key, code);
        let ends = (now.timestamp_millis() + millis(ttl) as i64).to_string();
        let key = self.name("code", self.keys.current(), key);
        self.redis
            .call(|mut c| async move {
                SAVE.key(&key).arg(&hash).arg(max_tries).arg(&ends).arg(millis(ttl)).invoke_async::<i64>(&mut c).await
            })
            .await
            .map(drop)
            .map_err(unavailable)
    }

    async fn check(&self, key: &str, code: &str, now: DateTime<Utc>) -> Result<CodeCheck, EphemeralError> {
        let answer = self.check_under(self.keys.current(), key, code, now).await?;
        match (answer, self.keys.previous()) {
            // Issued before a rotation: checked (and its tries spent) where it was kept.
            (CodeCheck::Missing, Some(previous)) => self.check_under(previous, key, code, now).await,
            (answer, _) => Ok(answer),
        }
    }
}

impl RedisEphemeral {
    async fn check_under(
        &self,
        digests: &Digests,
        key: &str,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<CodeCheck, EphemeralError> {
        let hash = digests.code(key, code);
        let key = self.name("code", digests, key);
        let now = now.timestamp_millis();
        let answer: i64 = self
            .redis
            .call(|mut c| async move { CHECK.key(&key).arg(&hash).arg(now).invoke_async(&mut c).await })
            .await
            .map_err(unavailable)?;
        Ok(match answer {
            1 => CodeCheck::Valid,
            0 => CodeCheck::Missing,
            n => CodeCheck::Wrong { tries_left: u32::try_from(n - 2).unwrap_or(0) },
        })
    }
}

//! One shared Redis connection that fails fast and rebuilds itself.

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// After this many failures in a row the connection is thrown away and made anew: a manager that
/// keeps failing is not trusted to recover by itself.
const REBUILD_AFTER: u32 = 3;

#[derive(Clone)]
pub struct Redis {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    config: ConnectionManagerConfig,
    manager: RwLock<ConnectionManager>,
    failures: AtomicU32,
    prefix: String,
    timeout: Duration,
}

impl Redis {
    /// Parses the URL and prepares a lazy connection: nothing is dialled until the first command,
    /// so the server starts (unready) while Redis is down.
    pub fn new(url: &str, prefix: &str, timeout: Duration) -> anyhow::Result<Self> {
        let client = redis::Client::open(url)?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(timeout);
        let manager = ConnectionManager::new_lazy_with_config(client.clone(), config.clone())?;
        Ok(Self {
            inner: Arc::new(Inner {
                client,
                config,
                manager: RwLock::new(manager),
                failures: AtomicU32::new(0),
                prefix: prefix.to_owned(),
                timeout,
            }),
        })
    }

    /// Every key this process writes starts with the configured prefix (tests use one each).
    pub fn key(&self, suffix: &str) -> String {
        format!("{}:{suffix}", self.inner.prefix)
    }

    pub fn prefix(&self) -> &str {
        &self.inner.prefix
    }

    /// Runs `work` on the shared connection within the timeout, counting failures.
    pub async fn call<T, F, Fut>(&self, work: F) -> anyhow::Result<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let conn = self.inner.manager.read().unwrap_or_else(|p| p.into_inner()).clone();
        let outcome = match tokio::time::timeout(self.inner.timeout, work(conn)).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) if !is_connection_trouble(&e) => return Err(e.into()),
            Ok(Err(e)) => Err(anyhow::Error::from(e)),
            Err(_) => Err(anyhow::Error::new(crate::unavailable::Unavailable("Redis"))
                .context(format!("no answer within {:?}", self.inner.timeout))),
        };
        match outcome {
            Ok(value) => {
                self.inner.failures.store(0, Ordering::Relaxed);
                Ok(value)
            }
            Err(e) => {
                self.note_failure();
                Err(e)
            }
        }
    }

    pub async fn ping(&self) -> anyhow::Result<()> {
        self.call(|mut c| async move { redis::cmd("PING").query_async::<String>(&mut c).await }).await.map(drop)
    }

    /// The server's `maxmemory-policy`; `None` when it will not say (`CONFIG` renamed or refused,
    /// as managed services do). An answer of any kind means the server is reachable.
    pub async fn eviction_policy(&self) -> anyhow::Result<Option<String>> {
        let asked = self
            .call(|mut c| async move {
                redis::cmd("CONFIG").arg("GET").arg("maxmemory-policy").query_async::<Vec<String>>(&mut c).await
            })
            .await;
        match asked {
            Ok(pair) => Ok(pair.into_iter().nth(1)),
            Err(e) if e.downcast_ref::<redis::RedisError>().is_some_and(|r| !is_connection_trouble(r)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn note_failure(&self) {
        let failures = self.inner.failures.fetch_add(1, Ordering::Relaxed) + 1;
        if failures % REBUILD_AFTER != 0 {
            return;
        }
        match ConnectionManager::new_lazy_with_config(self.inner.client.clone(), self.inner.config.clone()) {
            Ok(fresh) => {
                tracing::warn!(failures, "redis kept failing: connection rebuilt");
                *self.inner.manager.write().unwrap_or_else(|p| p.into_inner()) = fresh;
            }
            Err(e) => tracing::error!(error = %e, "redis connection could not be rebuilt"),
        }
    }
}

/// Errors that say nothing about the command: the connection or server is unwell.
/// Whether Redis may keep the inventory gate's keys under memory pressure: it never evicts
/// (`noeviction`), or evicts only keys with a time to live (`volatile-*`), which the gate's
/// counters never have. Under `allkeys-*` a full Redis would silently drop stock and claims.
pub fn keeps_gate_keys(policy: &str) -> bool {
    policy == "noeviction" || policy.starts_with("volatile-")
}

fn is_connection_trouble(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.is_connection_refusal()
}

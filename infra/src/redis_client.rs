//! Redis connections that fail fast and rebuild themselves: to one node, or to a Redis Cluster
//! (several `redis://` URLs separated by commas, or one with `?cluster=true`).
//!
//! Each runtime thread sends over a connection of its own. A multiplexed connection is driven by
//! a task on the thread that first used it; a command from any other thread costs two wake-ups
//! across threads (a system call and a context switch each), and under a flood the driver also
//! queues behind whatever else its thread is serving. One per thread made sold-out claims about
//! a quarter faster (docs/benchmarks.md, the opening minute).

use redis::aio::{ConnectionLike, ConnectionManager, ConnectionManagerConfig};
use redis::cluster::{ClusterClient, ClusterClientBuilder, ClusterConfig};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{MultipleNodeRoutingInfo, RoutingInfo};
use redis::{Cmd, ErrorKind, Pipeline, RedisError, RedisFuture, ServerErrorKind, Value};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// After this many failures in a row the connection is thrown away and made anew: a connection
/// that keeps failing is not trusted to recover by itself (a cluster client was seen to stay stuck
/// for good after its master died unless it was rebuilt).
const REBUILD_AFTER: u32 = 3;

#[derive(Clone)]
pub struct Redis {
    inner: Arc<Inner>,
}

enum Target {
    Node {
        client: redis::Client,
        config: ConnectionManagerConfig,
        /// By thread slot ([`thread_slot`]).
        managers: Vec<RwLock<ConnectionManager>>,
    },
    /// Made on first use and again after a rebuild. It connects in a task of its own, never
    /// inside a call: a node that is gone without a word (no refusal, no answer) would otherwise
    /// make every connect outlast the call's timeout, and the cluster would stay unreachable.
    Cluster {
        client: ClusterClient,
        /// By thread slot ([`thread_slot`]).
        connections: Vec<RwLock<Option<ClusterConnection>>>,
    },
}

struct Inner {
    target: Target,
    failures: AtomicU32,
    prefix: String,
    timeout: Duration,
}

/// A connection to a node or to the cluster: what every command is sent over.
#[derive(Clone)]
pub enum Conn {
    Node(ConnectionManager),
    Cluster(ClusterConnection),
}

impl ConnectionLike for Conn {
    fn req_packed_command<'a>(&'a mut self, cmd: &'a Cmd) -> RedisFuture<'a, Value> {
        match self {
            Conn::Node(c) => c.req_packed_command(cmd),
            Conn::Cluster(c) => c.req_packed_command(cmd),
        }
    }

    fn req_packed_commands<'a>(
        &'a mut self,
        pipeline: &'a Pipeline,
        offset: usize,
        count: usize,
    ) -> RedisFuture<'a, Vec<Value>> {
        match self {
            Conn::Node(c) => c.req_packed_commands(pipeline, offset, count),
            Conn::Cluster(c) => c.req_packed_commands(pipeline, offset, count),
        }
    }

    fn get_db(&self) -> i64 {
        match self {
            Conn::Node(c) => c.get_db(),
            Conn::Cluster(c) => c.get_db(),
        }
    }
}

/// Connections per process: one for each server worker (as many as cores by default) and one for
/// the main thread's jobs and probes. Threads past that share, still correctly.
fn slots() -> usize {
    std::thread::available_parallelism().map_or(4, |n| n.get()) + 1
}

/// This thread's connection among `slots`: threads are numbered as they first send a command.
fn thread_slot(slots: usize) -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local!(static SLOT: usize = NEXT.fetch_add(1, Ordering::Relaxed));
    SLOT.with(|slot| slot % slots)
}

/// The cluster's node URLs, when `url` names a cluster.
fn cluster_nodes(url: &str) -> Option<Vec<String>> {
    let nodes: Vec<&str> = url.split(',').map(str::trim).filter(|n| !n.is_empty()).collect();
    let flagged = nodes.iter().any(|n| n.ends_with("?cluster=true"));
    (nodes.len() > 1 || flagged).then(|| nodes.iter().map(|n| n.trim_end_matches("?cluster=true").to_owned()).collect())
}

impl Redis {
    /// Parses the URL and prepares lazy connections: nothing is dialled until the first command,
    /// so the server starts (unready) while Redis is down.
    pub fn new(url: &str, prefix: &str, timeout: Duration) -> anyhow::Result<Self> {
        let target = match cluster_nodes(url) {
            Some(nodes) => Target::Cluster {
                client: ClusterClientBuilder::new(nodes).retries(1).build()?,
                connections: (0..slots()).map(|_| RwLock::new(None)).collect(),
            },
            None => {
                let client = redis::Client::open(url)?;
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(timeout))
                    .set_response_timeout(Some(timeout))
                    .set_number_of_retries(1)
                    .set_max_delay(timeout);
                let managers = (0..slots())
                    .map(|_| Ok(RwLock::new(ConnectionManager::new_lazy_with_config(client.clone(), config.clone())?)))
                    .collect::<anyhow::Result<_>>()?;
                Target::Node { client, config, managers }
            }
        };
        Ok(Self { inner: Arc::new(Inner { target, failures: AtomicU32::new(0), prefix: prefix.to_owned(), timeout }) })
    }

    /// Whether this is a Redis Cluster.
    pub fn is_cluster(&self) -> bool {
        matches!(self.inner.target, Target::Cluster { .. })
    }

    /// Every key this process writes starts with the configured prefix (tests use one each).
    pub fn key(&self, suffix: &str) -> String {
        format!("{}:{suffix}", self.inner.prefix)
    }

    pub fn prefix(&self) -> &str {
        &self.inner.prefix
    }

    fn connection(&self) -> Conn {
        match &self.inner.target {
            Target::Node { managers, .. } => {
                Conn::Node(managers[thread_slot(managers.len())].read().unwrap_or_else(|p| p.into_inner()).clone())
            }
            Target::Cluster { client, connections } => {
                let connection = &connections[thread_slot(connections.len())];
                if let Some(c) = connection.read().unwrap_or_else(|p| p.into_inner()).as_ref() {
                    return Conn::Cluster(c.clone());
                }
                let mut slot = connection.write().unwrap_or_else(|p| p.into_inner());
                let config = ClusterConfig::new()
                    .set_connection_timeout(self.inner.timeout)
                    .set_response_timeout(self.inner.timeout);
                Conn::Cluster(
                    slot.get_or_insert_with(|| client.get_pending_async_connection_with_config(config)).clone(),
                )
            }
        }
    }

    /// Runs `work` on this thread's connection within the timeout, counting failures.
    pub async fn call<T, F, Fut>(&self, work: F) -> anyhow::Result<T>
    where
        F: FnOnce(Conn) -> Fut,
        Fut: std::future::Future<Output = redis::RedisResult<T>>,
    {
        let outcome = match tokio::time::timeout(self.inner.timeout, work(self.connection())).await {
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

    /// The server's `maxmemory-policy` — on a cluster, the first master's that would evict the
    /// gate's keys, else any master's; `None` when it will not say (`CONFIG` renamed or refused,
    /// as managed services do). A refusal of any other kind (a wrong password, say) is an error.
    pub async fn eviction_policy(&self) -> anyhow::Result<Option<String>> {
        let asked = self
            .call(|mut c| async move {
                let get = redis::cmd("CONFIG").arg("GET").arg("maxmemory-policy").clone();
                match &mut c {
                    Conn::Cluster(cluster) => {
                        let every_master = RoutingInfo::MultiNode((MultipleNodeRoutingInfo::AllMasters, None));
                        cluster.route_command(get, every_master).await
                    }
                    Conn::Node(_) => c.req_packed_command(&get).await,
                }
            })
            .await;
        let answer = match asked {
            Err(e) if e.downcast_ref::<RedisError>().is_some_and(will_not_say) => return Ok(None),
            other => other?,
        };
        // A cluster answers with each master's reply by address.
        let replies = match answer {
            Value::Map(by_node) => by_node.into_iter().map(|(_, reply)| reply).collect(),
            one => vec![one],
        };
        let mut policies = Vec::new();
        for reply in replies {
            match reply {
                Value::ServerError(e) if will_not_say(&RedisError::from(e.clone())) => {}
                Value::ServerError(e) => return Err(RedisError::from(e).into()),
                pair => policies.extend(redis::from_redis_value::<Vec<String>>(pair)?.into_iter().nth(1)),
            }
        }
        Ok(policies.iter().find(|p| !keeps_gate_keys(p)).or(policies.first()).cloned())
    }

    fn note_failure(&self) {
        let failures = self.inner.failures.fetch_add(1, Ordering::Relaxed) + 1;
        if failures % REBUILD_AFTER != 0 {
            return;
        }
        match &self.inner.target {
            Target::Node { client, config, managers } => {
                for manager in managers {
                    match ConnectionManager::new_lazy_with_config(client.clone(), config.clone()) {
                        Ok(fresh) => *manager.write().unwrap_or_else(|p| p.into_inner()) = fresh,
                        Err(e) => return tracing::error!(error = %e, "redis connection could not be rebuilt"),
                    }
                }
                tracing::warn!(failures, "redis kept failing: connections rebuilt");
            }
            Target::Cluster { connections, .. } => {
                tracing::warn!(failures, "redis cluster kept failing: its connections are made anew on the next calls");
                for connection in connections {
                    *connection.write().unwrap_or_else(|p| p.into_inner()) = None;
                }
            }
        }
    }
}

/// Whether Redis may keep the inventory gate's keys under memory pressure: it never evicts
/// (`noeviction`), or evicts only keys with a time to live (`volatile-*`), which the gate's
/// counters never have. Under `allkeys-*` a full Redis would silently drop stock and claims.
pub fn keeps_gate_keys(policy: &str) -> bool {
    policy == "noeviction" || policy.starts_with("volatile-")
}

/// Errors that say nothing about the command: the connection or server is unwell.
fn is_connection_trouble(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.is_connection_refusal() || e.is_cluster_error()
}

/// `CONFIG` renamed away or refused by an ACL: the server is there but will not say.
fn will_not_say(e: &RedisError) -> bool {
    matches!(e.kind(), ErrorKind::Server(ServerErrorKind::ResponseError | ServerErrorKind::NoPerm))
}

#[cfg(test)]
mod tests {
    use super::{cluster_nodes, thread_slot};

    #[test]
    fn a_thread_keeps_its_connection_and_the_next_thread_gets_another() {
        let here = thread_slot(1000);
        assert_eq!(thread_slot(1000), here);
        let there = std::thread::spawn(|| thread_slot(1000)).join().unwrap();
        assert_ne!(there, here);
    }

    #[test]
    fn several_urls_or_the_flag_name_a_cluster() {
        assert_eq!(cluster_nodes("redis://a:6379"), None);
        assert_eq!(cluster_nodes("redis://a:7000,redis://b:7001").unwrap(), ["redis://a:7000", "redis://b:7001"]);
        assert_eq!(cluster_nodes("redis://a:7000?cluster=true").unwrap(), ["redis://a:7000"]);
    }
}

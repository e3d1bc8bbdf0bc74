//! One contract, two adapters: the in-process store and Redis must answer alike.

use domain::shared::ephemeral::{CodeCheck, CodeStore, EphemeralError, OneTimeStore, RateDecision, RateLimiter};
use infra::ephemeral::{MemoryEphemeral, RedisEphemeral};
use infra::redis_client::Redis;
use std::time::Duration;
use tests::{Services, SmtpServer};

async fn rate_limiter_contract(store: impl RateLimiter + Clone) {
    let window = Duration::from_millis(800);
    for expected in [2, 1, 0] {
        assert_eq!(store.hit("k", 3, window).await.unwrap(), RateDecision::Allowed { remaining: expected });
    }
    match store.hit("k", 3, window).await.unwrap() {
        RateDecision::Limited { retry_after } => assert!(retry_after > Duration::ZERO && retry_after <= window),
        other => panic!("fourth hit allowed: {other:?}"),
    }
    assert_eq!(
        store.hit("other", 3, window).await.unwrap(),
        RateDecision::Allowed { remaining: 2 },
        "keys are separate"
    );
    tokio::time::sleep(window + Duration::from_millis(100)).await;
    assert_eq!(store.hit("k", 3, window).await.unwrap(), RateDecision::Allowed { remaining: 2 }, "a new window");

    // Concurrent hits are counted exactly.
    let hits = (0..40).map(|_| {
        let s = store.clone();
        async move { s.hit("burst", 10, Duration::from_secs(5)).await.unwrap() }
    });
    let decisions = futures_join_all(hits).await;
    let allowed = decisions.iter().filter(|d| matches!(d, RateDecision::Allowed { .. })).count();
    assert_eq!(allowed, 10);
}

async fn one_time_store_contract(store: impl OneTimeStore + Clone) {
    let ttl = Duration::from_millis(500);
    assert!(store.put_if_absent("n1", "v1", ttl).await.unwrap());
    assert!(!store.put_if_absent("n1", "v2", ttl).await.unwrap(), "a live key is not replaced");
    assert_eq!(store.take("n1").await.unwrap().as_deref(), Some("v1"));
    assert_eq!(store.take("n1").await.unwrap(), None, "taken once");
    assert_eq!(store.take("never").await.unwrap(), None);

    assert!(store.put_if_absent("n2", "v", ttl).await.unwrap());
    tokio::time::sleep(ttl + Duration::from_millis(100)).await;
    assert_eq!(store.take("n2").await.unwrap(), None, "expired");
    assert!(store.put_if_absent("n2", "again", ttl).await.unwrap(), "an expired key can be set again");

    // Of many concurrent writers one wins; of many concurrent takers one gets the value.
    let puts = (0..30).map(|i| {
        let s = store.clone();
        async move { s.put_if_absent("race", &i.to_string(), Duration::from_secs(5)).await.unwrap() }
    });
    assert_eq!(futures_join_all(puts).await.into_iter().filter(|w| *w).count(), 1);
    let takes = (0..30).map(|_| {
        let s = store.clone();
        async move { s.take("race").await.unwrap() }
    });
    assert_eq!(futures_join_all(takes).await.into_iter().flatten().count(), 1);
}

/// Codes live for their lifetime on the caller's clock, burn after the last wrong try, and are
/// used once.
async fn code_store_contract(store: impl CodeStore + Clone) {
    let t0 = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap();
    let ttl = Duration::from_secs(300);
    let at = |secs: i64| t0 + chrono::Duration::seconds(secs);
    store.issue("c1", "123456", t0, ttl, 3).await.unwrap();
    assert_eq!(store.check("c1", "000000", at(1)).await.unwrap(), CodeCheck::Wrong { tries_left: 2 });
    assert_eq!(store.check("c1", "123456", at(299)).await.unwrap(), CodeCheck::Valid);
    assert_eq!(store.check("c1", "123456", at(299)).await.unwrap(), CodeCheck::Missing, "used once");

    store.issue("c2", "123456", t0, ttl, 3).await.unwrap();
    assert_eq!(store.check("c2", "123456", at(300)).await.unwrap(), CodeCheck::Missing, "over at its end");

    store.issue("c3", "123456", t0, ttl, 2).await.unwrap();
    assert_eq!(store.check("c3", "1", at(1)).await.unwrap(), CodeCheck::Wrong { tries_left: 1 });
    assert_eq!(store.check("c3", "2", at(2)).await.unwrap(), CodeCheck::Wrong { tries_left: 0 });
    assert_eq!(store.check("c3", "123456", at(3)).await.unwrap(), CodeCheck::Missing, "burned");

    // A new code replaces the old one and its spent tries.
    store.issue("c4", "111111", t0, ttl, 3).await.unwrap();
    store.issue("c4", "222222", at(10), ttl, 3).await.unwrap();
    assert_eq!(store.check("c4", "111111", at(11)).await.unwrap(), CodeCheck::Wrong { tries_left: 2 });
    assert_eq!(store.check("c4", "222222", at(309)).await.unwrap(), CodeCheck::Valid);
}

async fn futures_join_all<F: std::future::Future + Send + 'static>(futures: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

fn redis_store() -> Option<(RedisEphemeral, String)> {
    if !Services::available_or_skip() {
        return None;
    }
    let prefix = format!("sgh_t_{}", uuid::Uuid::new_v4().simple());
    let redis = Redis::new(&Services::redis_url(), &prefix, Duration::from_millis(500)).unwrap();
    Some((RedisEphemeral::new(redis), prefix))
}

fn cleanup(prefix: &str) {
    let mut conn = redis::Client::open(Services::redis_url()).unwrap().get_connection().unwrap();
    let keys: Vec<String> = redis::cmd("KEYS").arg(format!("{prefix}:*")).query(&mut conn).unwrap();
    if !keys.is_empty() {
        let _: () = redis::cmd("DEL").arg(keys).query(&mut conn).unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_rate_limiter() {
    rate_limiter_contract(MemoryEphemeral::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_one_time_store() {
    one_time_store_contract(MemoryEphemeral::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_code_store() {
    code_store_contract(MemoryEphemeral::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_code_store() {
    if let Some((store, prefix)) = redis_store() {
        code_store_contract(store).await;
        cleanup(&prefix);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_rate_limiter() {
    if let Some((store, prefix)) = redis_store() {
        rate_limiter_contract(store).await;
        cleanup(&prefix);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_one_time_store() {
    if let Some((store, prefix)) = redis_store() {
        one_time_store_contract(store).await;
        cleanup(&prefix);
    }
}

/// An unreachable Redis is reported as unavailable within the timeout, not waited on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_outage_fails_fast() {
    let port = SmtpServer::unused_port();
    let redis = Redis::new(&format!("redis://127.0.0.1:{port}"), "sgh_t_dead", Duration::from_millis(300)).unwrap();
    let store = RedisEphemeral::new(redis);
    for _ in 0..4 {
        let started = std::time::Instant::now();
        let outcome = store.hit("k", 1, Duration::from_secs(1)).await;
        assert!(matches!(outcome, Err(EphemeralError::Unavailable(_))), "{outcome:?}");
        assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
    }
}

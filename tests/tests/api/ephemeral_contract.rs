//! One contract, two adapters: the in-process store and Redis must answer alike.

use domain::shared::ephemeral::{CodeCheck, CodeStore, EphemeralError, OneTimeStore, RateDecision, RateLimiter};
use infra::ephemeral::{MemoryEphemeral, RedisEphemeral, StoreKeys};
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
    Some((RedisEphemeral::new(redis, StoreKeys::new(&[7; 32], None)), prefix))
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
    let store = RedisEphemeral::new(redis, StoreKeys::new(&[7; 32], None));
    for _ in 0..4 {
        let started = std::time::Instant::now();
        let outcome = store.hit("k", 1, Duration::from_secs(1)).await;
        assert!(matches!(outcome, Err(EphemeralError::Unavailable(_))), "{outcome:?}");
        assert!(started.elapsed() < Duration::from_secs(2), "took {:?}", started.elapsed());
    }
}

/// Redis sees keyed digests: no key is the plain hash of what it stands for, and the same phone is
/// another name under another server key. Through a rotation (the old key kept as previous) codes
/// issued before still sign in, used nonces stay used, tickets are still taken; a code issued
/// anew replaces the old one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_keys_are_keyed_digests_that_survive_a_rotation() {
    use sha2::{Digest, Sha256};
    let Some((_, prefix)) = redis_store() else { return };
    let redis = || Redis::new(&Services::redis_url(), &prefix, Duration::from_millis(500)).unwrap();
    let (old_key, new_key) = ([1u8; 32], [2u8; 32]);
    let before = RedisEphemeral::new(redis(), StoreKeys::new(&old_key, None));
    let now = chrono::Utc::now();
    let ttl = Duration::from_secs(300);
    before.issue("otp:13800000001", "123456", now, ttl, 5).await.unwrap();
    before.issue("otp:13800000002", "222222", now, ttl, 5).await.unwrap();
    assert!(before.put_if_absent("nonce:m1:n1", "1", ttl).await.unwrap());
    assert!(before.put_if_absent("wxbind:t1", "openid", ttl).await.unwrap());

    let mut conn = redis::Client::open(Services::redis_url()).unwrap().get_connection().unwrap();
    let names: Vec<String> = redis::cmd("KEYS").arg(format!("{prefix}:*")).query(&mut conn).unwrap();
    assert_eq!(names.len(), 4, "{names:?}");
    for plain in ["otp:13800000001", "otp:13800000002", "nonce:m1:n1", "wxbind:t1"] {
        let unkeyed = hex::encode(&Sha256::digest(plain.as_bytes())[..16]);
        assert!(names.iter().all(|n| !n.contains(&unkeyed) && !n.contains(plain)), "{plain} readable in {names:?}");
    }
    for name in names.iter().filter(|n| n.contains(":code:")) {
        let kept: String = redis::cmd("HGET").arg(name).arg("h").query(&mut conn).unwrap();
        for guess in ["otp:13800000001\x00123456", "otp:13800000002\x00222222"] {
            assert_ne!(kept, hex::encode(Sha256::digest(guess.as_bytes())), "a plain hash of the code");
        }
    }

    let after = RedisEphemeral::new(redis(), StoreKeys::new(&new_key, Some(&old_key)));
    assert_eq!(after.check("otp:13800000001", "123456", now).await.unwrap(), CodeCheck::Valid);
    assert!(!after.put_if_absent("nonce:m1:n1", "1", ttl).await.unwrap(), "a nonce used before stays used");
    assert_eq!(after.take("wxbind:t1").await.unwrap().as_deref(), Some("openid"));
    after.issue("otp:13800000002", "333333", now, ttl, 5).await.unwrap();
    let replaced = after.check("otp:13800000002", "222222", now).await.unwrap();
    assert_eq!(replaced, CodeCheck::Wrong { tries_left: 4 }, "the code before is no longer the one");
    assert_eq!(after.check("otp:13800000002", "333333", now).await.unwrap(), CodeCheck::Valid);

    // Another server key, another name for the same phone: nothing in Redis is shared by meaning.
    after.issue("otp:13800000001", "444444", now, ttl, 5).await.unwrap();
    let renamed: Vec<String> = redis::cmd("KEYS").arg(format!("{prefix}:code:*")).query(&mut conn).unwrap();
    assert!(renamed.iter().all(|n| !names.contains(n)), "{renamed:?} vs {names:?}");
    cleanup(&prefix);
}

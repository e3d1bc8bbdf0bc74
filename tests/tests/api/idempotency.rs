//! `Idempotency-Key` as a shared capability: replayed answers, mismatches, a burst of one key,
//! scopes per caller, released keys after failures, and retention.

use domain::admin::Role;
use domain::shared::idempotency::{Begin, Fingerprint, IdempotencyKey, IdempotencyStore, RunToken, StoredResponse};
use infra::db::idempotency::DbIdempotency;
use serde_json::json;
use tests::{on_both_backends, Backend, Req, TestApp};

fn campaign(title: &str) -> serde_json::Value {
    json!({"title": title, "holiday": "national_day", "starts_at": "2031-10-01T00:00:00",
        "ends_at": "2031-10-08T00:00:00", "per_member_limit": 1, "budget_fen": 1_000_000})
}

fn create(token: &str, key: &str, body: serde_json::Value) -> Req {
    Req::post("/v1/admin/campaigns").bearer(token).header("idempotency-key", key).json(body)
}

on_both_backends!(a_repeated_request_gets_the_first_answer_and_a_changed_one_is_refused);

async fn a_repeated_request_gets_the_first_answer_and_a_changed_one_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let op = app.staff(Role::Operator).await;

    let first = app.send(create(&op, "k-1", campaign("国庆"))).await;
    assert_eq!(first.status, 201, "{}", first.text());
    assert!(first.header("idempotent-replayed").is_none());
    let again = app.send(create(&op, "k-1", campaign("国庆"))).await;
    assert_eq!(again.status, 201);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.json(), first.json(), "the stored answer, byte for byte");
    assert_eq!(again.header("content-type"), Some("application/json"));
    assert_eq!(app.count("SELECT count(*) AS n FROM campaigns").await, 1);

    let other = app.send(create(&op, "k-1", campaign("中秋"))).await;
    other.problem(422, "idempotency.mismatch");
    // The same key on another route is another request too.
    let id = first.json()["id"].as_str().unwrap().to_owned();
    let gift = json!({"name": "月饼", "unit_cost_fen": 100, "stock": 1, "per_member_limit": 1,
        "valid_until": "2031-12-31", "funder": "union"});
    let req = Req::post(&format!("/v1/admin/campaigns/{id}/gifts")).bearer(&op).header("idempotency-key", "k-1");
    app.send(req.json(gift)).await.problem(422, "idempotency.mismatch");

    // Keys belong to their caller: another operator's "k-1" is theirs alone.
    app.create_admin("op.two", Role::Operator, None).await;
    let op2 = app.login("op.two").await;
    let theirs = app.send(create(&op2, "k-1", campaign("国庆"))).await;
    assert_eq!(theirs.status, 201);
    assert!(theirs.header("idempotent-replayed").is_none());
    assert_ne!(theirs.json()["id"], first.json()["id"]);

    for bad in ["", "with space", "键", &"k".repeat(256)] {
        let r = app
            .send(Req::post("/v1/admin/campaigns").bearer(&op).header("idempotency-key", bad).json(campaign("x")))
            .await;
        assert_eq!((r.status, r.json()["code"].as_str()), (400, Some("idempotency.invalid_key")), "{bad:?}");
    }
    // Without a key the route works as before.
    assert_eq!(app.send(Req::post("/v1/admin/campaigns").bearer(&op).json(campaign("元旦"))).await.status, 201);
}

on_both_backends!(a_failed_request_releases_its_key);

async fn a_failed_request_releases_its_key(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let op = app.staff(Role::Operator).await;
    let mut bad = campaign("国庆");
    bad["ends_at"] = json!("2031-09-01T00:00:00");
    app.send(create(&op, "k-2", bad)).await.problem(422, "validation.invalid_field");
    // Nothing was created, so the corrected request may use the same key.
    assert_eq!(app.send(create(&op, "k-2", campaign("国庆"))).await.status, 201);
    assert_eq!(app.count("SELECT count(*) AS n FROM campaigns").await, 1);
}

on_both_backends!(a_burst_of_one_key_runs_once);

async fn a_burst_of_one_key_runs_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let op = app.staff(Role::Operator).await;
    let replies = app.send_all((0..20).map(|_| create(&op, "burst", campaign("五一"))).collect()).await;
    let created: Vec<_> = replies.iter().filter(|r| r.status == 201).map(|r| r.json()["id"].clone()).collect();
    let in_flight = replies.iter().filter(|r| r.status == 409).inspect(|r| {
        assert_eq!(r.json()["code"], "idempotency.in_flight");
        assert!(r.header("retry-after").is_some());
    });
    assert_eq!(created.len() + in_flight.count(), 20, "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
    assert!(!created.is_empty());
    assert!(created.iter().all(|id| *id == created[0]), "every 201 is the one campaign: {created:?}");
    assert_eq!(app.count("SELECT count(*) AS n FROM campaigns").await, 1, "exactly one execution");
}

on_both_backends!(answers_are_kept_a_day_then_the_key_is_new_and_purged);

async fn answers_are_kept_a_day_then_the_key_is_new_and_purged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let op = app.staff(Role::Operator).await;
    let first = app.send(create(&op, "k-3", campaign("国庆"))).await.json();
    app.clock.advance(chrono::Duration::hours(23));
    let op = app.login("t.operator").await;
    let kept = app.send(create(&op, "k-3", campaign("国庆"))).await;
    assert_eq!((kept.header("idempotent-replayed"), kept.json()), (Some("true"), first.clone()));
    app.clock.advance(chrono::Duration::hours(2));
    let op = app.login("t.operator").await;
    let later = app.send(create(&op, "k-3", campaign("国庆"))).await;
    assert_eq!(later.status, 201);
    assert!(later.header("idempotent-replayed").is_none(), "past retention the key starts afresh");
    assert_eq!(app.count("SELECT count(*) AS n FROM campaigns").await, 2);

    // The purge deletes what is past retention and nothing else.
    let store = DbIdempotency(app.database().await);
    let key = IdempotencyKey::parse("k-4").unwrap();
    let now = domain::shared::Clock::now(&app.clock);
    let fp = Fingerprint("f".into());
    let day = chrono::Duration::hours(24);
    let token = RunToken("t1".into());
    assert_eq!(store.begin("s", &key, &fp, &token, now, now, now + day).await.unwrap(), Begin::Run(token));
    assert_eq!(store.purge(now + chrono::Duration::hours(1)).await.unwrap(), 0);
    assert_eq!(store.purge(now + day + chrono::Duration::hours(1)).await.unwrap(), 2);
    assert_eq!(app.count("SELECT count(*) AS n FROM idempotency_keys").await, 0);
}

on_both_backends!(a_run_taken_over_after_its_lock_cannot_touch_its_successor);

async fn a_run_taken_over_after_its_lock_cannot_touch_its_successor(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let store = DbIdempotency(app.database().await);
    let (key, fp) = (IdempotencyKey::parse("k").unwrap(), Fingerprint("f".into()));
    let now = domain::shared::Clock::now(&app.clock);
    let (lock, day) = (chrono::Duration::minutes(2), chrono::Duration::hours(24));
    let (first, second) = (RunToken("first".into()), RunToken("second".into()));
    assert_eq!(
        store.begin("s", &key, &fp, &first, now, now + lock, now + day).await.unwrap(),
        Begin::Run(first.clone())
    );
    assert_eq!(store.begin("s", &key, &fp, &second, now, now + lock, now + day).await.unwrap(), Begin::InFlight);
    // The first run's server died: after its lock a retry takes the key over.
    let later = now + lock + chrono::Duration::seconds(1);
    assert_eq!(
        store.begin("s", &key, &fp, &second, later, later + lock, later + day).await.unwrap(),
        Begin::Run(second.clone())
    );
    // The first run wakes up: it may neither release nor answer for the second.
    let stale = StoredResponse { status: 201, headers: vec![], body: b"first".to_vec() };
    store.release("s", &key, &first).await.unwrap();
    store.complete("s", &key, &first, &stale).await.unwrap();
    let third = RunToken("third".into());
    assert_eq!(store.begin("s", &key, &fp, &third, later, later + lock, later + day).await.unwrap(), Begin::InFlight);
    let answer = StoredResponse {
        status: 201,
        headers: vec![("content-type".into(), "application/json".into())],
        body: b"{}".to_vec(),
    };
    store.complete("s", &key, &second, &answer).await.unwrap();
    assert_eq!(
        store.begin("s", &key, &fp, &third, later, later + lock, later + day).await.unwrap(),
        Begin::Replay(answer)
    );
}

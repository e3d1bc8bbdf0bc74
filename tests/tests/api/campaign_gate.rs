//! The gate loses its state or falls behind the database: the database still decides, nothing is
//! oversold and nothing is stranded.

use domain::admin::Role;
use std::time::Duration;
use tests::redis_server::PrivateRedis;
use tests::{on_both_backends, on_each_redis, Backend, Options, Req, Services, TestApp, TestRedis};

fn gate_keys(app: &TestApp) -> Vec<String> {
    let prefix = app.env.redis_prefix.clone().unwrap();
    TestRedis::of(&app.env).keys(&format!("{prefix}:{{c:*")).unwrap()
}

async fn claim_all(app: &TestApp, tokens: &[String], campaign: &str, gift: &str) -> (usize, usize, usize) {
    let replies = app.send_all(tokens.iter().map(|t| app.claim_req(t, campaign, gift, "k")).collect()).await;
    let granted = replies.iter().filter(|r| r.status == 201).count();
    let sold_out = replies.iter().filter(|r| r.status == 409).count();
    (granted, sold_out, replies.len() - granted - sold_out)
}

on_each_redis!(a_flushed_redis_is_rebuilt_from_the_database, a_gate_rolled_back_behind_the_database_strands_nothing);

async fn a_flushed_redis_is_rebuilt_from_the_database(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let op = app.staff(Role::Operator).await;
    let (campaign, gift) = app.live_campaign(&op, 30, 1, 1).await;
    let members = app.activated_members(60, "SZ-400").await;
    assert_eq!(claim_all(&app, &members[..10], &campaign, &gift).await, (10, 0, 0));

    let keys = gate_keys(&app);
    assert!(keys.iter().all(|k| k.contains(&format!("{{c:{campaign}}}"))), "hash-tagged per campaign: {keys:?}");
    // All of one campaign's keys share a slot, so one DEL takes them on a cluster too.
    let _: () = TestRedis::of(&app.env).query(redis::cmd("DEL").arg(&keys)).unwrap();

    // The ten who already have one get their first answer again for the same key (the rebuilt gate
    // remembers every stored request) and are refused a second gift with a new key.
    let replays = app.send_all(members[..10].iter().map(|t| app.claim_req(t, &campaign, &gift, "k")).collect()).await;
    assert!(replays.iter().all(|r| r.status == 200), "{:?}", replays.iter().map(|r| r.status).collect::<Vec<_>>());
    let second = app.send_all(members[..10].iter().map(|t| app.claim_req(t, &campaign, &gift, "k2")).collect()).await;
    assert!(second.iter().all(|r| r.status == 409 && r.json()["code"] == "campaign.limit_reached"));
    // Twenty more get the rest; nobody gets more.
    assert_eq!(claim_all(&app, &members[10..], &campaign, &gift).await, (20, 30, 0));
    assert_eq!(app.count("SELECT count(*) AS n FROM claims").await, 30);
    let listed = app.send(Req::get("/v1/campaigns").bearer(&members[0])).await.json();
    assert_eq!(listed["items"][0]["gifts"][0]["remaining"], 0);
}

async fn a_gate_rolled_back_behind_the_database_strands_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let op = app.staff(Role::Operator).await;
    let (campaign, gift) = app.live_campaign(&op, 40, 1, 1).await;
    let members = app.activated_members(80, "SZ-401").await;
    assert_eq!(claim_all(&app, &members[..25], &campaign, &gift).await, (25, 0, 0));

    // As after a failover that lost writes: the replica's gate is behind — it thinks only 5 slots
    // went and knows none of the members.
    let prefix = app.env.redis_prefix.clone().unwrap();
    let base = format!("{prefix}:{{c:{campaign}}}");
    let r = TestRedis::of(&app.env);
    let _: () = r.query(redis::cmd("SET").arg(format!("{base}:g:{gift}:next")).arg(5)).unwrap();
    let _: () = r
        .query(
            redis::cmd("DEL")
                .arg(format!("{base}:g:{gift}:m"))
                .arg(format!("{base}:m"))
                .arg(format!("{base}:g:{gift}:req")),
        )
        .unwrap();

    // Slots 6..25 are handed out again and refused by the database; the gate is repaired each time
    // and the remaining 15 still all go, exactly once.
    let (granted, sold_out, errors) = claim_all(&app, &members[25..], &campaign, &gift).await;
    assert_eq!((granted, sold_out, errors), (15, 40, 0));
    assert_eq!(claim_all(&app, &members[..25], &campaign, &gift).await.0, 0, "earlier winners stay at their limit");
    assert_eq!(app.count("SELECT count(*) AS n FROM claims").await, 40);
    assert_eq!(app.count("SELECT count(DISTINCT slot) AS n FROM claims WHERE slot BETWEEN 1 AND 40").await, 40);
}

#[actix_web::test]
async fn a_stopped_redis_answers_503_then_claims_recover() {
    if !Services::available_or_skip() {
        return;
    }
    // A private Redis this test may stop and start.
    let port = tests::SmtpServer::unused_port();
    let start = || PrivateRedis::start(port, &[]);
    let server = start();
    let options = Options::default().var("SGH_REDIS_URL", format!("redis://127.0.0.1:{port}"));
    let app = TestApp::spawn_with(Backend::PostgresRedis, options).await;
    let op = app.staff(Role::Operator).await;
    let (campaign, gift) = app.live_campaign(&op, 10, 1, 1).await;
    let members = app.activated_members(10, "SZ-402").await;
    assert_eq!(claim_all(&app, &members[..3], &campaign, &gift).await, (3, 0, 0));

    drop(server);
    let started = std::time::Instant::now();
    let down = app.send(app.claim_req(&members[3], &campaign, &gift, "k")).await;
    let body = down.problem(503, "inventory.unavailable");
    assert_eq!(down.header("retry-after"), Some("1"), "{body}");
    assert!(started.elapsed() < Duration::from_secs(3), "fails fast, took {:?}", started.elapsed());
    assert_eq!(app.count("SELECT count(*) AS n FROM claims").await, 3, "no unguarded path to the database");

    let _server = start();
    std::thread::sleep(Duration::from_millis(500));
    let mut recovered = None;
    for _ in 0..20 {
        let r = app.send(app.claim_req(&members[3], &campaign, &gift, "k")).await;
        if r.status != 503 {
            recovered = Some(r);
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(recovered.map(|r| r.status), Some(201), "claims work again once Redis is back");
    assert_eq!(claim_all(&app, &members[4..], &campaign, &gift).await, (6, 0, 0));
    assert_eq!(app.count("SELECT count(*) AS n FROM claims").await, 10);
}

/// A plain Redis (nothing persisted) restarted under a claim flood comes back empty: callers get
/// 503 while it is down, then the gate is rebuilt from the database and exactly the stock goes.
#[actix_web::test]
async fn a_redis_restart_that_loses_everything_mid_flood_strands_nothing() {
    if !Services::available_or_skip() {
        return;
    }
    let port = tests::SmtpServer::unused_port();
    let server = PrivateRedis::start(port, &[]);
    let options = Options::default().var("SGH_REDIS_URL", server.url());
    let app = TestApp::spawn_with(Backend::PostgresRedis, options).await;
    let op = app.staff(Role::Operator).await;
    let (campaign, gift) = app.live_campaign(&op, 150, 1, 1).await;
    let members = app.activated_members(300, "SZ-403").await;

    let restart = async move {
        drop(server);
        actix_web::rt::time::sleep(Duration::from_secs(1)).await;
        PrivateRedis::start(port, &[])
    };
    let through = app.claims_through_outage(&members, (&campaign, &gift), 40, restart).await;
    let window = through.window.expect("callers saw 503 while Redis was down");
    eprintln!(
        "restart: 503 for {:.1} s after Redis was stopped for 1 s ({} answers); {} granted, {} refused",
        window.as_secs_f64(),
        through.unavailable,
        through.granted,
        through.refused
    );
    assert!(window < Duration::from_secs(5), "503 window {window:?}");
    assert_eq!((through.granted, through.refused), (150, 150), "{} answers 503", through.unavailable);
    assert_eq!(app.count("SELECT count(*) AS n FROM claims").await, 150);
    assert_eq!(app.count("SELECT count(DISTINCT slot) AS n FROM claims WHERE slot BETWEEN 1 AND 150").await, 150);
    assert_eq!(app.count("SELECT count(DISTINCT member_id) AS n FROM claims").await, 150);
}

on_both_backends!(the_window_opens_and_closes_on_the_second);

async fn the_window_opens_and_closes_on_the_second(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let op = app.staff(Role::Operator).await;
    // Whole seconds in Beijing time: opens ten minutes from now, for ten minutes. The test moves
    // the server's clock to each edge instead of waiting for it.
    let opens = (app.clock.now() + chrono::Duration::minutes(10)).with_nanosecond(0).unwrap();
    let closes = opens + chrono::Duration::minutes(10);
    let fmt =
        |t: chrono::DateTime<chrono::Utc>| (t + chrono::Duration::hours(8)).format("%Y-%m-%dT%H:%M:%S").to_string();
    let (campaign, gift) = app.campaign_between(&op, &fmt(opens), &fmt(closes), 10, 1, 1, &[]).await;
    let members = app.activated_members(2, "SZ-403").await;

    app.clock.set(opens - chrono::Duration::seconds(5));
    app.send(app.claim_req(&members[0], &campaign, &gift, "early")).await.problem(409, "campaign.not_live");
    app.clock.set(opens);
    let on_time = app.send(app.claim_req(&members[0], &campaign, &gift, "on-time")).await;
    assert_eq!(on_time.status, 201, "{}", on_time.text());
    app.clock.set(closes - chrono::Duration::seconds(5));
    let last = app.send(app.claim_req(&members[1], &campaign, &gift, "last")).await;
    assert_eq!(last.status, 201, "{}", last.text());
    app.clock.set(closes);
    app.send(app.claim_req(&members[1], &campaign, &gift, "late")).await.problem(409, "campaign.not_live");
}

use chrono::Timelike;
use domain::shared::Clock;

on_both_backends!(campaigns_for_some_unions_refuse_the_others);

async fn campaigns_for_some_unions_refuse_the_others(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let op = app.staff(Role::Operator).await;
    let fmt = |d: chrono::Duration| {
        (chrono::Utc::now() + chrono::Duration::hours(8) + d).format("%Y-%m-%dT%H:%M:%S").to_string()
    };
    let (campaign, gift) = app
        .campaign_between(
            &op,
            &fmt(chrono::Duration::minutes(-1)),
            &fmt(chrono::Duration::hours(1)),
            5,
            1,
            1,
            &["SZ-IN"],
        )
        .await;
    let inside = app.activated_members(1, "SZ-IN").await.remove(0);
    let outside = app.activated_members(1, "SZ-OUT").await.remove(0);
    assert_eq!(app.send(app.claim_req(&inside, &campaign, &gift, "k")).await.status, 201);
    let body = app.send(app.claim_req(&outside, &campaign, &gift, "k")).await.problem(403, "campaign.ineligible");
    assert_eq!(body["reason"], "other_union");
}

on_both_backends!(reconcile_reports_drift_and_repairs_the_gate);

async fn reconcile_reports_drift_and_repairs_the_gate(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let op = app.staff(Role::Operator).await;
    let auditor = app.staff(Role::Auditor).await;
    let (campaign, gift) = app.live_campaign(&op, 20, 1, 1).await;
    let members = app.activated_members(5, "SZ-500").await;
    assert_eq!(claim_all(&app, &members, &campaign, &gift).await, (5, 0, 0));
    let path = format!("/v1/admin/campaigns/{campaign}/reconcile");
    app.send(Req::post(&path).bearer(&auditor)).await.problem(403, "auth.forbidden");

    let clean = app.send(Req::post(&path).bearer(&op)).await.json();
    assert_eq!(clean["gifts"][0]["drifted"], false, "{clean}");
    assert_eq!(clean["gifts"][0]["database_remaining"], 15);

    if backend.is_postgres() {
        let prefix = app.env.redis_prefix.clone().unwrap();
        let _: () = TestRedis::of(&app.env)
            .query(redis::cmd("SET").arg(format!("{prefix}:{{c:{campaign}}}:g:{gift}:next")).arg(15))
            .unwrap();
        let drift = app.send(Req::post(&path).bearer(&op)).await.json();
        assert_eq!(
            drift["gifts"][0],
            serde_json::json!({"gift_id": gift, "gate_remaining": 5, "database_remaining": 15, "drifted": true})
        );
    }
    let listed = app.send(Req::get("/v1/campaigns").bearer(&members[0])).await.json();
    assert_eq!(listed["items"][0]["gifts"][0]["remaining"], 15);
    let audit = app.send(Req::get("/v1/admin/audit").bearer(&auditor)).await.json();
    assert_eq!(audit["items"][0]["action"], "campaign.reconcile");
}

on_both_backends!(campaigns_for_earlier_members_refuse_newcomers);

async fn campaigns_for_earlier_members_refuse_newcomers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let op = app.staff(Role::Operator).await;
    let member = app.activated_members(1, "SZ-900").await.remove(0);
    let beijing_now = chrono::Utc::now() + chrono::Duration::hours(8);
    let fmt = |d: chrono::Duration| (beijing_now + d).format("%Y-%m-%dT%H:%M:%S").to_string();
    let today = beijing_now.date_naive();
    let valid_until = (today + chrono::Duration::days(30)).to_string();
    let mut answers = Vec::new();
    for joined_before in [today + chrono::Duration::days(1), today] {
        let body = serde_json::json!({"title": "老会员专享", "holiday": "spring_festival", "starts_at": fmt(chrono::Duration::minutes(-1)),
            "ends_at": fmt(chrono::Duration::hours(1)), "per_member_limit": 1, "budget_fen": 100000,
            "joined_before": joined_before.to_string()});
        let c = app.send(Req::post("/v1/admin/campaigns").bearer(&op).json(body)).await.json();
        assert_eq!(c["joined_before"], joined_before.to_string());
        let id = c["id"].as_str().unwrap().to_owned();
        let gift = serde_json::json!({"name": "春联", "unit_cost_fen": 100, "stock": 5, "per_member_limit": 1,
            "valid_until": valid_until, "funder": "union"});
        let g = app.send(Req::post(&format!("/v1/admin/campaigns/{id}/gifts")).bearer(&op).json(gift)).await.json();
        app.send(Req::post(&format!("/v1/admin/campaigns/{id}/publish")).bearer(&op)).await;
        answers.push(
            app.send(app.claim_req(&member, &id, g["id"].as_str().unwrap(), &format!("k-{joined_before}"))).await,
        );
    }
    assert_eq!(answers[0].status, 201, "joined today, before tomorrow: {}", answers[0].text());
    assert_eq!(answers[1].problem(403, "campaign.ineligible")["reason"], "joined_too_late");
}

/// Two stateless instances behind a load balancer: a cancellation on one is final on the other at
/// once, even though the other still has the campaign in its one-second cache.
#[actix_web::test]
async fn a_cancellation_on_one_instance_stops_claims_on_another() {
    if !Services::available_or_skip() {
        return;
    }
    let a = TestApp::spawn(Backend::PostgresRedis).await;
    let b = TestApp::start(a.env.share(), Options::default()).await;
    let op = a.staff(Role::Operator).await;
    let (campaign, gift) = a.live_campaign(&op, 10, 1, 1).await;
    let members = a.activated_members(2, "SZ-950").await;
    assert_eq!(
        a.send(a.claim_req(&members[0], &campaign, &gift, "k")).await.status,
        201,
        "A has the campaign cached now"
    );

    let op_b = b.login("t.operator").await;
    assert_eq!(b.send(Req::post(&format!("/v1/admin/campaigns/{campaign}/cancel")).bearer(&op_b)).await.status, 200);
    a.send(a.claim_req(&members[1], &campaign, &gift, "k")).await.problem(409, "campaign.not_live");
    assert_eq!(a.count("SELECT count(*) AS n FROM claims WHERE status = 'issued'").await, 0, "nothing slipped through");
}

//! Every Redis port on a Redis Cluster (three masters started here): one-time codes and their
//! limits, partner nonces, card codes and a claim flood through the inventory gate.

use domain::admin::Role;
use serde_json::json;
use std::time::{Duration, Instant};
use tests::redis_server::PrivateRedis;
use tests::{Backend, Options, Req, Services, SmtpServer, TestApp};

/// `masters` empty masters (each with `replicas` replicas) joined into a cluster; stopped when
/// dropped.
fn cluster_of(masters: usize, replicas: usize) -> (Vec<PrivateRedis>, String) {
    let dir = std::env::temp_dir().join(format!("sgh-cluster-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let nodes: Vec<PrivateRedis> = (0..masters * (1 + replicas))
        .map(|_| {
            let port = SmtpServer::unused_port();
            let conf = dir.join(format!("nodes-{port}.conf")).display().to_string();
            PrivateRedis::start(
                port,
                // A replica takes over however long its master was gone: the database, not Redis,
                // is the truth the gate is rebuilt from.
                &[
                    "--cluster-enabled",
                    "yes",
                    "--cluster-config-file",
                    &conf,
                    "--cluster-node-timeout",
                    "1000",
                    "--cluster-replica-validity-factor",
                    "0",
                ],
            )
        })
        .collect();
    let addresses: Vec<String> = nodes.iter().map(|n| format!("127.0.0.1:{}", n.port)).collect();
    let created = std::process::Command::new("redis-cli")
        .arg("--cluster")
        .arg("create")
        .args(&addresses)
        .args(["--cluster-replicas", &replicas.to_string(), "--cluster-yes"])
        .output()
        .expect("redis-cli runs");
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stdout));
    let deadline = Instant::now() + Duration::from_secs(15);
    while !nodes.iter().all(|n| n.cli(&["CLUSTER", "INFO"]).contains("cluster_state:ok")) {
        assert!(Instant::now() < deadline, "the cluster did not form");
        std::thread::sleep(Duration::from_millis(100));
    }
    let url = nodes.iter().map(|n| n.url()).collect::<Vec<_>>().join(",");
    (nodes, url)
}

#[actix_web::test]
async fn every_redis_port_works_on_a_cluster() {
    if !Services::available_or_skip() {
        return;
    }
    let (nodes, url) = cluster_of(3, 0);
    let app = TestApp::spawn_with(
        Backend::PostgresRedis,
        Options::default().var("SGH_REDIS_URL", &url).var("SGH_OTP_RESEND_SECS", 60),
    )
    .await;
    let ready = app.send(Req::get("/readyz")).await;
    assert_eq!(ready.status, 200, "{}", ready.text());
    // Every master is asked whether it would evict the gate's keys.
    for node in &nodes {
        assert_eq!(node.cli(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]), "OK");
        let ready = app.send(Req::get("/readyz")).await;
        assert_eq!(ready.problem(503, "service.not_ready")["checks"]["redis"], "evicts_keys", "node {}", node.port);
        assert_eq!(node.cli(&["CONFIG", "SET", "maxmemory-policy", "noeviction"]), "OK");
    }
    assert_eq!(app.send(Req::get("/readyz")).await.status, 200);

    // One-time codes and the per-phone limit.
    let phone = "13600000001";
    assert_eq!(app.request_code(phone).await.status, 202);
    app.request_code(phone).await.problem(429, "rate_limited");
    let code = app.sms.last_code(phone);
    let token = app.send(Req::post("/v1/auth/token").json(json!({"phone": phone, "code": code}))).await;
    assert_eq!(token.status, 200, "{}", token.text());

    // Partner nonces, once each; a card code, once.
    let staff = app.staff(Role::Admin).await;
    let partner = app.partner(&staff, 0, json!({})).await;
    let bank = app.bank(&staff, 3).await;
    let today = domain::shared::Clock::now(&app.clock).date_naive();
    let list = || Req::get(&format!("/v1/partner/sales?from={today}&to={today}"));
    let now = domain::shared::Clock::now(&app.clock).timestamp();
    assert_eq!(app.send(partner.sign_at(list(), now, "cluster-nonce")).await.status, 200);
    app.send(partner.sign_at(list(), now, "cluster-nonce")).await.problem(401, "partner.nonce_reused");
    let members = app.activated_members(80, "SZ-800").await;
    app.active_card(&members[0], &bank, 81).await;
    let card_code = app.card_code(&members[0]).await;
    let verify = || {
        Req::post("/v1/partner/member-codes/verify")
            .json(json!({"store_id": partner.stores[0], "member_code": card_code}))
    };
    assert_eq!(app.send(partner.sign(&app, verify())).await.status, 200);
    app.send(partner.sign(&app, verify())).await.problem(409, "member_code.replayed");

    // A claim flood through the gate: exactly the stock.
    let (campaign, gift) = app.live_campaign(&staff, 30, 1, 1).await;
    let replies = app.send_all(members.iter().map(|t| app.claim_req(t, &campaign, &gift, "k")).collect()).await;
    let granted = replies.iter().filter(|r| r.status == 201).count();
    let sold_out = replies.iter().filter(|r| r.status == 409).count();
    assert_eq!((granted, sold_out), (30, 50), "{:?}", replies.iter().map(|r| r.status).collect::<Vec<_>>());
    assert_eq!(app.count("SELECT count(*) AS n FROM claims").await, 30);
    assert_eq!(app.count("SELECT count(DISTINCT slot) AS n FROM claims WHERE slot BETWEEN 1 AND 30").await, 30);
    // The gate's keys for one campaign live on one node (one hash tag).
    let holding = nodes.iter().filter(|n| !n.cli(&["KEYS", &format!("*{{c:{campaign}}}*")]).is_empty()).count();
    assert_eq!(holding, 1);
}

/// Claims for `tokens` at once: (granted, unavailable, statuses other than 201, 409, 503 and a
/// replay's 200).
async fn flood(app: &TestApp, tokens: &[String], campaign: &str, gift: &str) -> (usize, usize, Vec<u16>) {
    let replies = app.send_all(tokens.iter().map(|t| app.claim_req(t, campaign, gift, "k")).collect()).await;
    let count = |s: u16| replies.iter().filter(|r| r.status == s).count();
    let other = replies.iter().map(|r| r.status).filter(|s| ![200, 201, 409, 503].contains(s)).collect();
    (count(201), count(503), other)
}

/// The port of the master that serves `slot`, from `CLUSTER NODES`.
fn master_of(node: &PrivateRedis, slot: u16) -> u16 {
    node.cli(&["CLUSTER", "NODES"])
        .lines()
        .find(|l| {
            l.contains("master")
                && l.split_whitespace().skip(8).any(|range| {
                    let (a, b) = range.split_once('-').unwrap_or((range, range));
                    a.parse::<u16>().is_ok_and(|a| a <= slot) && b.parse::<u16>().is_ok_and(|b| slot <= b)
                })
        })
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|addr| addr.split(['@', ':']).nth(1))
        .and_then(|p| p.parse().ok())
        .expect("a master serves the slot")
}

/// Under a claim flood the master holding the campaign's keys is killed: callers get 503 only
/// while its replica is promoted, claims are granted again without a restart, nothing is oversold,
/// and after a reconcile exactly the whole stock is claimed.
#[actix_web::test]
async fn a_killed_master_fails_over_without_overselling_or_stranding_stock() {
    if !Services::available_or_skip() {
        return;
    }
    let (mut nodes, url) = cluster_of(3, 1);
    let app = TestApp::spawn_with(Backend::PostgresRedis, Options::default().var("SGH_REDIS_URL", &url)).await;
    let staff = app.staff(Role::Admin).await;
    let (campaign, gift) = app.live_campaign(&staff, 150, 1, 1).await;
    let members = app.activated_members(300, "SZ-900").await;
    let (granted, _, other) = flood(&app, &members[..40], &campaign, &gift).await;
    assert_eq!((granted, other), (40, vec![]));

    let slot: u16 = nodes[0].cli(&["CLUSTER", "KEYSLOT", &format!("{{c:{campaign}}}")]).parse().unwrap();
    let owner = master_of(&nodes[0], slot);

    // Everyone else claims at once; the master goes once 20 more claims were granted.
    let through = app
        .claims_through_outage(&members[40..], (&campaign, &gift), 20, async { nodes.retain(|n| n.port != owner) })
        .await;
    let window = through.window.expect("callers saw 503 while the replica was promoted");
    eprintln!(
        "failover: 503 for {:.1} s after the master was killed ({} answers); {} granted, {} refused",
        window.as_secs_f64(),
        through.unavailable,
        through.granted,
        through.refused
    );
    assert!(window < Duration::from_secs(15), "503 window {window:?}");
    assert!(through.granted <= 110, "{through:?}");
    assert_eq!(through.granted + through.refused, 260);

    // Reconciled, then the rest: exactly the stock, each slot once, nobody twice.
    let reconciled = app.send(Req::post(&format!("/v1/admin/campaigns/{campaign}/reconcile")).bearer(&staff)).await;
    assert_eq!(reconciled.status, 200, "{}", reconciled.text());
    let (_, unavailable, other) = flood(&app, &members, &campaign, &gift).await;
    assert_eq!((unavailable, other), (0, vec![]));
    assert_eq!(app.count("SELECT count(*) AS n FROM claims").await, 150);
    assert_eq!(app.count("SELECT count(DISTINCT slot) AS n FROM claims WHERE slot BETWEEN 1 AND 150").await, 150);
    assert_eq!(app.count("SELECT count(DISTINCT member_id) AS n FROM claims").await, 150);
}

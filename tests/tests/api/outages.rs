//! A database that goes away under a running server: every route answers 503 with `Retry-After`
//! (partners retry on 503, never on 500), and the server recovers by itself when it is back.

use domain::admin::Role;
use tests::{Backend, Options, Req, Services, TcpProxy, TestApp, TEST_PASSWORD};

/// Host and port of the test PostgreSQL, from its URL.
fn postgres_addr() -> std::net::SocketAddr {
    let url = Services::postgres_admin_url();
    let after_scheme = url.split_once("://").map_or(url.as_str(), |(_, rest)| rest);
    let host_port = after_scheme.rsplit_once('@').map_or(after_scheme, |(_, rest)| rest);
    let host_port = host_port.split('/').next().unwrap_or(host_port);
    let host_port = if host_port.contains(':') { host_port.to_owned() } else { format!("{host_port}:5432") };
    std::net::ToSocketAddrs::to_socket_addrs(&host_port).expect("postgres address").next().unwrap()
}

#[actix_web::test]
async fn a_database_outage_answers_503_on_every_route_and_the_server_recovers() {
    if !Services::available_or_skip() {
        return;
    }
    let proxy = TcpProxy::start(postgres_addr());
    let env = tests::TestEnv::create(Backend::PostgresRedis);
    let direct = env.database_url();
    let (before_host, after_host) = direct.split_once('@').expect("postgres URL with a user");
    let db_name = after_host.split_once('/').expect("database name").1;
    let via_proxy = format!("{before_host}@{}/{db_name}", proxy.addr);
    let options = Options::default().var("SGH_DATABASE_URL", via_proxy).var("SGH_DATABASE_WAIT_MS", 1000);
    let app = TestApp::start(env, options).await;
    let admin = app.staff(Role::Admin).await;
    let member = app.activated_members(1, "SZ-500").await.remove(0);

    let calls = || {
        [
            Req::get("/v1/admin/audit").bearer(&admin),
            Req::get("/v1/me").bearer(&member),
            Req::post("/v1/admin/session").json(serde_json::json!({"username": "t.admin", "password": TEST_PASSWORD})),
        ]
    };
    for req in calls() {
        let reply = app.send(req).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
    }
    let board = app.send(Req::get("/v1/campaigns")).await;
    assert_eq!(board.status, 200, "{}", board.text());
    // Due for a re-read when the database goes.
    app.clock.advance(chrono::Duration::milliseconds(domain::campaigns::board::FRESH_FOR_MS));

    proxy.cut();
    // The campaign page keeps showing the last board it read; claims say 503 for themselves.
    let stale = app.send(Req::get("/v1/campaigns")).await;
    assert_eq!((stale.status, stale.text()), (200, board.text()));
    for req in calls() {
        let started = std::time::Instant::now();
        let reply = app.send(req).await;
        reply.problem(503, "service.unavailable");
        assert!(reply.header("retry-after").is_some(), "a 503 says when to retry");
        assert!(started.elapsed() < std::time::Duration::from_secs(4), "an outage answers within the wait");
    }
    let ready = app.send(Req::get("/readyz")).await;
    assert_eq!(ready.status, 503);

    proxy.restore();
    // Connections that died with the outage are dropped by the pool, not handed out again.
    for req in calls() {
        let reply = app.send(req).await;
        assert_eq!(reply.status, 200, "after the outage: {}", reply.text());
    }
}

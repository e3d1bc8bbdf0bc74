use tests::{on_both_backends, Backend, Options, Req, Services, TestApp};

on_both_backends!(probes_answer_and_docs_are_served);

async fn probes_answer_and_docs_are_served(backend: Backend) {
    let app = TestApp::spawn(backend).await;

    let health = app.send(Req::get("/healthz")).await;
    assert_eq!((health.status, health.json()), (200, serde_json::json!({"status": "ok"})));

    let ready = app.send(Req::get("/readyz")).await;
    assert_eq!(ready.status, 200, "{}", ready.text());
    let expected_redis = if backend == Backend::Embedded { "not_configured" } else { "ok" };
    assert_eq!(ready.json()["checks"], serde_json::json!({"database": "ok", "redis": expected_redis}));

    let docs = app.send(Req::get("/docs/")).await;
    assert_eq!(docs.status, 200);
    assert!(docs.text().contains("swagger"), "docs page is the Swagger UI");
    // The client follows the redirect from `/docs` to `/docs/`.
    let redirected = app.send(Req::get("/docs")).await;
    assert_eq!(redirected.status, 200);
    assert!(redirected.text().contains("swagger"));

    let spec = app.send(Req::get("/openapi.json")).await;
    assert_eq!(spec.status, 200);
    assert_eq!(spec.json()["openapi"], "3.1.0");
}

#[actix_web::test]
async fn readiness_fails_naming_the_database_when_it_is_gone() {
    if !Services::available_or_skip() {
        return;
    }
    let app = TestApp::spawn(Backend::PostgresRedis).await;
    assert_eq!(app.send(Req::get("/readyz")).await.status, 200);

    app.env.drop_database_now();

    let ready = app.send(Req::get("/readyz")).await;
    let body = ready.problem(503, "service.not_ready");
    assert_eq!(body["failed"], serde_json::json!(["database"]));
    assert_eq!(body["checks"]["redis"], "ok");
    assert!(ready.header("retry-after").is_some());
    // The process itself is still alive.
    assert_eq!(app.send(Req::get("/healthz")).await.status, 200);
}

#[actix_web::test]
async fn readiness_fails_naming_redis_when_it_does_not_answer() {
    if !Services::available_or_skip() {
        return;
    }
    let dead = tests::SmtpServer::unused_port();
    let options = Options::default().var("SGH_REDIS_URL", format!("redis://127.0.0.1:{dead}"));
    let app = TestApp::spawn_with(Backend::PostgresRedis, options).await;

    let started = std::time::Instant::now();
    let body = app.send(Req::get("/readyz")).await.problem(503, "service.not_ready");
    assert_eq!(body["failed"], serde_json::json!(["redis"]));
    assert_eq!(body["checks"]["database"], "ok");
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "probe fails fast");
}

/// A Redis that may evict keys would silently drop the gate's stock and claims: the server will
/// not start on one, and readiness fails while one is configured so.
#[actix_web::test]
async fn a_redis_that_may_evict_the_gates_keys_is_refused_and_reported() {
    if !Services::available_or_skip() {
        return;
    }
    let evicting = tests::redis_server::PrivateRedis::start(
        tests::SmtpServer::unused_port(),
        &["--maxmemory-policy", "allkeys-lru"],
    );
    let env = tests::TestEnv::create(Backend::PostgresRedis);
    let mut vars = env.vars();
    vars.push(("SGH_REDIS_URL".into(), evicting.url()));
    vars.push(("SGH_BIND".into(), "127.0.0.1:0".into()));
    vars.push(("SGH_PLATFORM_KEY_FILE".into(), tests::partners::platform_key_file().display().to_string()));
    let config = api::config::Config::from_vars(vars).unwrap();
    let refused = match api::startup::Application::build(config).await {
        Ok(_) => panic!("the server started on an evicting Redis"),
        Err(e) => format!("{e:#}"),
    };
    assert!(refused.contains("maxmemory-policy allkeys-lru") && refused.contains("noeviction"), "{refused}");

    let redis = tests::redis_server::PrivateRedis::start(
        tests::SmtpServer::unused_port(),
        &["--maxmemory-policy", "noeviction"],
    );
    let app = TestApp::spawn_with(Backend::PostgresRedis, Options::default().var("SGH_REDIS_URL", redis.url())).await;
    assert_eq!(app.send(Req::get("/readyz")).await.status, 200);
    assert_eq!(redis.cli(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"]), "OK");
    let ready = app.send(Req::get("/readyz")).await;
    let problem = ready.problem(503, "service.not_ready");
    assert_eq!(
        (problem["checks"]["redis"].as_str(), problem["failed"].clone()),
        (Some("evicts_keys"), serde_json::json!(["redis"]))
    );
    // Keys with a time to live may go; the gate's have none.
    assert_eq!(redis.cli(&["CONFIG", "SET", "maxmemory-policy", "volatile-lru"]), "OK");
    assert_eq!(app.send(Req::get("/readyz")).await.status, 200);

    // A Redis that wants a password the server was not given is not ready, whatever its policy.
    let locked =
        tests::redis_server::PrivateRedis::start(tests::SmtpServer::unused_port(), &["--requirepass", "not-given"]);
    let app = TestApp::spawn_with(Backend::PostgresRedis, Options::default().var("SGH_REDIS_URL", locked.url())).await;
    let ready = app.send(Req::get("/readyz")).await;
    assert_eq!(ready.problem(503, "service.not_ready")["checks"]["redis"], "failed");
}

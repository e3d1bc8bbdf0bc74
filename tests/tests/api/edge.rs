//! Request ids, metrics and CORS.

use tests::{on_both_backends, Backend, Options, Req, TestApp};

on_both_backends!(request_ids_are_ours_with_the_clients_beside);

/// Every request gets our own id; a client's `X-Request-Id` is echoed beside it, never taken for
/// ours (two requests may carry the same one, or someone else's).
async fn request_ids_are_ours_with_the_clients_beside(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mine = app.send(Req::get("/healthz").header("x-request-id", "till-42.abc")).await;
    assert_eq!(mine.header("x-client-request-id"), Some("till-42.abc"));
    let ours = mine.header("x-request-id").unwrap();
    assert!(uuid::Uuid::parse_str(ours).is_ok(), "{ours}");
    let again = app.send(Req::get("/healthz").header("x-request-id", "till-42.abc")).await;
    assert_ne!(again.header("x-request-id"), Some(ours), "the same client id twice is two requests");
    let made = app.send(Req::get("/healthz")).await;
    let id = made.header("x-request-id").unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    assert_eq!(made.header("x-client-request-id"), None);
    let hostile = app.send(Req::get("/healthz").header("x-request-id", "a b\"<script>")).await;
    assert_eq!(hostile.header("x-client-request-id"), None, "not plain: not echoed");
    assert!(uuid::Uuid::parse_str(hostile.header("x-request-id").unwrap()).is_ok());
}

on_both_backends!(metrics_count_requests_per_route);

async fn metrics_count_requests_per_route(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.send(Req::get("/healthz")).await;
    let id = uuid::Uuid::now_v7();
    app.send(Req::get(&format!("/v1/admin/users/{id}"))).await;
    let metrics = app.send(Req::get("/metrics")).await;
    assert_eq!(metrics.status, 200);
    assert!(metrics.header("content-type").unwrap().starts_with("text/plain"));
    let text = metrics.text();
    assert!(text.contains(r#"http_requests_total{method="GET",route="/healthz",status="200"}"#), "{text}");
    // Routes are labelled by pattern, not by the ids in them.
    assert!(text.contains(r#"route="/v1/admin/users/{id}",status="401""#), "{text}");
    assert!(!text.contains(&id.to_string()));
    assert!(text.contains("http_request_duration_seconds_bucket"), "{text}");
}

on_both_backends!(invented_methods_do_not_grow_the_metrics);

async fn invented_methods_do_not_grow_the_metrics(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for i in 0..5 {
        let method = actix_web::http::Method::from_bytes(format!("FOO{i}").as_bytes()).unwrap();
        let reply = app.send(Req::new(method, "/healthz")).await;
        assert_eq!(reply.status, 405, "{}", reply.text());
    }
    let text = app.send(Req::get("/metrics")).await.text();
    assert!(!text.contains("FOO"), "{text}");
    assert!(text.contains(r#"method="other""#), "{text}");
}

on_both_backends!(metrics_can_leave_the_api_address_or_ask_for_a_token);

async fn metrics_can_leave_the_api_address_or_ask_for_a_token(backend: Backend) {
    let apart = TestApp::spawn_with(backend, Options::default().var("SGH_METRICS_BIND", "127.0.0.1:0")).await;
    let on_api = apart.send(Req::get("/metrics")).await;
    assert_eq!(on_api.status, 404, "{}", on_api.text());
    let own = apart.metrics_address.clone().expect("a metrics listener");
    let scraped = awc::Client::new().get(format!("{own}/metrics")).send().await.unwrap().body().await.unwrap();
    assert!(String::from_utf8_lossy(&scraped).contains("http_requests_total"));
    // Nothing else is served there.
    let api_there = awc::Client::new().get(format!("{own}/v1/campaigns")).send().await.unwrap();
    assert_eq!(api_there.status(), 404);
    let env = apart.stop().await;

    let token = "scraper-token-0123456789";
    let guarded = TestApp::start(env, Options::default().var("SGH_METRICS_TOKEN", token)).await;
    let anonymous = guarded.send(Req::get("/metrics")).await;
    assert_eq!(anonymous.status, 401, "{}", anonymous.text());
    assert_eq!(anonymous.json()["code"], "metrics.token_required");
    assert_eq!(guarded.send(Req::get("/metrics").bearer("wrong-token-0123456789")).await.status, 401);
    assert_eq!(guarded.send(Req::get("/metrics").bearer(token)).await.status, 200);
}

on_both_backends!(cors_allows_only_configured_origins);

async fn cors_allows_only_configured_origins(backend: Backend) {
    let origin = "https://h5.union.example.cn";
    let app = TestApp::spawn_with(backend, Options::default().var("SGH_CORS_ORIGINS", origin)).await;
    let preflight = |from: &str| {
        Req::new(actix_web::http::Method::OPTIONS, "/v1/admin/session")
            .header("origin", from)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "content-type")
    };
    let allowed = app.send(preflight(origin)).await;
    assert_eq!(allowed.status, 200, "{}", allowed.text());
    assert_eq!(allowed.header("access-control-allow-origin"), Some(origin));
    let other = app.send(preflight("https://evil.example.com")).await;
    assert_ne!(other.header("access-control-allow-origin"), Some("https://evil.example.com"));
    assert!(other.status >= 400 && other.status < 500, "{}", other.status);
    // Refused as a problem like every other refusal, not as plain text.
    assert_eq!(other.header("content-type"), Some("application/problem+json"));
    assert_eq!(other.json()["code"], "request.refused");
}

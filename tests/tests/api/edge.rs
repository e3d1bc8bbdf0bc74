//! Request ids, metrics and CORS.

use tests::{on_both_backends, Backend, Options, Req, TestApp};

on_both_backends!(request_ids_are_kept_or_made);

async fn request_ids_are_kept_or_made(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mine = app.send(Req::get("/healthz").header("x-request-id", "till-42.abc")).await;
    assert_eq!(mine.header("x-request-id"), Some("till-42.abc"));
    let made = app.send(Req::get("/healthz")).await;
    let id = made.header("x-request-id").unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    let hostile = app.send(Req::get("/healthz").header("x-request-id", "a b\"<script>")).await;
    assert_ne!(hostile.header("x-request-id"), Some("a b\"<script>"));
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

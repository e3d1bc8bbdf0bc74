//! Bad input of every kind is a 4xx problem+json, never a 500.

use domain::admin::Role;
use serde_json::json;
use tests::{on_both_backends, Backend, Options, Req, TestApp};

on_both_backends!(bad_input_is_answered_with_problems);

async fn bad_input_is_answered_with_problems(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options::default().var("SGH_BODY_LIMIT_BYTES", 1024)).await;
    let token = app.staff(Role::Admin).await;
    let login = "/v1/admin/session";

    // 1. Malformed JSON.
    let r = app.send(Req::post(login).raw("application/json", b"{\"username\": ".to_vec())).await;
    r.problem(400, "request.malformed_json");

    // 2. Wrong content type.
    let r = app.send(Req::post(login).raw("text/plain", b"username=root".to_vec())).await;
    r.problem(415, "request.unsupported_media_type");

    // 3. Unknown field.
    let r = app.send(Req::post(login).json(json!({"username": "a", "password": "b", "otp": "1"}))).await;
    assert!(r.problem(400, "request.unknown_field")["detail"].as_str().unwrap().contains("otp"));

    // 4. Missing field and 5. wrong type.
    app.send(Req::post(login).json(json!({"username": "a"}))).await.problem(400, "request.invalid_body");
    app.send(Req::post(login).json(json!({"username": 7, "password": "b"}))).await.problem(400, "request.invalid_body");

    // 6. Oversize body.
    let big = json!({"username": "a", "password": "x".repeat(4096)});
    app.send(Req::post(login).json(big)).await.problem(413, "request.too_large");

    // 7. Bad path parameter.
    let r = app.send(Req::get("/v1/admin/users/not-a-uuid").bearer(&token)).await;
    r.problem(400, "request.invalid_path");

    // 8. Bad query parameters: not a number, out of range, forged cursor, unknown parameter.
    app.send(Req::get("/v1/admin/audit?limit=abc").bearer(&token)).await.problem(400, "request.invalid_query");
    app.send(Req::get("/v1/admin/audit?limit=0").bearer(&token)).await.problem(400, "request.invalid_limit");
    app.send(Req::get("/v1/admin/audit?limit=101").bearer(&token)).await.problem(400, "request.invalid_limit");
    app.send(Req::get("/v1/admin/audit?cursor=bm90LWEtY3Vyc29y").bearer(&token))
        .await
        .problem(400, "request.invalid_cursor");
    app.send(Req::get("/v1/admin/audit?page=2").bearer(&token)).await.problem(400, "request.invalid_query");

    // 9. Field-level validation.
    let weak = json!({"username": "new.user", "password": "short", "display_name": "新用户", "role": "operator"});
    let body =
        app.send(Req::post("/v1/admin/users").bearer(&token).json(weak)).await.problem(422, "validation.invalid_field");
    assert_eq!(body["field"], "password");
    let bad_role =
        json!({"username": "new.user", "password": "long enough password", "display_name": "x", "role": "root"});
    app.send(Req::post("/v1/admin/users").bearer(&token).json(bad_role)).await.problem(400, "request.invalid_body");
    let bad_email = json!({"username": "new.user", "password": "long enough password", "display_name": "x",
        "role": "operator", "email": "not-an-address"});
    let body = app
        .send(Req::post("/v1/admin/users").bearer(&token).json(bad_email))
        .await
        .problem(422, "validation.invalid_field");
    assert_eq!(body["field"], "email");
    let empty =
        app.send(Req::patch(&format!("/v1/admin/users/{}", uuid::Uuid::now_v7())).bearer(&token).json(json!({}))).await;
    empty.problem(422, "request.empty_change");

    // 10. Unknown route, and a known path with the wrong method.
    app.send(Req::get("/v1/nothing-here")).await.problem(404, "route.not_found");
    // A known path with another method: 405, saying which methods it takes.
    let wrong = app.send(Req::get("/v1/admin/session")).await;
    wrong.problem(405, "route.method_not_allowed");
    assert_eq!(wrong.header("allow"), Some("POST"));

    // 11. Missing and malformed credentials.
    app.send(Req::get("/v1/admin/me")).await.problem(401, "auth.invalid_token");
    app.send(Req::get("/v1/admin/me").header("authorization", "Basic cm9vdDpyb290"))
        .await
        .problem(401, "auth.invalid_token");
}

on_both_backends!(problems_speak_english_on_request);

async fn problems_speak_english_on_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let zh = app.send(Req::get("/v1/nothing-here")).await.problem(404, "route.not_found");
    assert_eq!(zh["title"], "请求的接口不存在");
    let en = app.send(Req::get("/v1/nothing-here").header("accept-language", "en-GB,en;q=0.9")).await;
    assert_eq!(en.problem(404, "route.not_found")["title"], "No such endpoint");
    let zh_first = app.send(Req::get("/v1/nothing-here").header("accept-language", "zh-CN,en;q=0.5")).await;
    assert_eq!(zh_first.problem(404, "route.not_found")["title"], "请求的接口不存在");
}

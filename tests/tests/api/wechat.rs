//! WeChat mini-program login through code2session (a local stub behind the real adapter).

use serde_json::{json, Value};
use tests::{on_both_backends, Backend, Options, Req, TestApp};

fn wechat(code: &str) -> Req {
    Req::post("/v1/auth/wechat").json(json!({"code": code}))
}

async fn token_with_ticket(app: &TestApp, phone: &str, ticket: &str) -> tests::Reply {
    let code = app.fresh_code(phone).await;
    app.send(Req::post("/v1/auth/token").json(json!({"phone": phone, "code": code, "bind_ticket": ticket}))).await
}

on_both_backends!(an_unknown_wechat_user_binds_a_phone_then_signs_in_directly);

async fn an_unknown_wechat_user_binds_a_phone_then_signs_in_directly(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = app.send(wechat("ok:openid-1:union-1")).await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert!(!first.text().contains("SESSION-KEY"), "the session key never leaves");
    let first: Value = first.json();
    assert_eq!(first["status"], "needs_phone");
    assert_eq!(first["expires_in"], 600);
    let ticket = first["bind_ticket"].as_str().unwrap().to_owned();

    let bound = token_with_ticket(&app, "13800000021", &ticket).await;
    assert_eq!(bound.status, 200, "{}", bound.text());
    let token = bound.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.send(Req::get("/v1/me").bearer(&token)).await.json()["wechat_bound"], true);

    // The ticket was used up.
    token_with_ticket(&app, "13800000021", &ticket).await.problem(401, "auth.bind_ticket_invalid");

    let again = app.send(wechat("ok:openid-1:union-1")).await;
    assert!(!again.text().contains("SESSION-KEY"));
    let again = again.json();
    assert_eq!(again["status"], "signed_in");
    let direct = again["tokens"]["access_token"].as_str().unwrap();
    let me = app.send(Req::get("/v1/me").bearer(direct)).await.json();
    assert_eq!(me["phone"], "138****0021");

    // A member already bound to one WeChat cannot take another.
    let other_ticket = app.send(wechat("ok:openid-2")).await.json()["bind_ticket"].as_str().unwrap().to_owned();
    token_with_ticket(&app, "13800000021", &other_ticket).await.problem(409, "auth.wechat_taken");
}

on_both_backends!(bad_codes_and_missing_configuration_are_explained);

async fn bad_codes_and_missing_configuration_are_explained(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.send(wechat("expired-code")).await.problem(401, "auth.wechat_code_invalid");
    app.send(wechat("")).await.problem(401, "auth.wechat_code_invalid");

    let unconfigured = Options::default().var("SGH_WECHAT_APPID", "").var("SGH_WECHAT_SECRET", "");
    let app = TestApp::spawn_with(backend, unconfigured).await;
    app.send(wechat("ok:openid-3")).await.problem(503, "wechat.not_configured");
}

//! Where webhooks may go: never to our own machine or the networks behind it (server-side request
//! forgery), checked when an endpoint is registered and again at every send, unless the operator
//! lists the network (`SGH_WEBHOOK_ALLOWED_NETWORKS`, as a sandbox would). Every address used here
//! is loopback: the rules themselves are unit-tested over literal addresses in the domain.

use domain::admin::Role;
use serde_json::{json, Value};
use std::time::Duration;
use tests::partners::Partner;
use tests::receiver::WebhookReceiver;
use tests::{on_both_backends, Backend, Options, Req, TestApp};

on_both_backends!(internal_addresses_are_refused_at_registration_and_at_each_send, resends_are_rate_limited);

fn put(app: &TestApp, partner: &Partner, url: &str) -> Req {
    partner.sign(app, Req::put("/v1/partner/webhook-endpoint").json(json!({"url": url})))
}

fn without_allowlist() -> Options {
    Options::default().var("SGH_WEBHOOK_ALLOWED_NETWORKS", "")
}

async fn internal_addresses_are_refused_at_registration_and_at_each_send(backend: Backend) {
    let app = TestApp::spawn_with(backend, without_allowlist()).await;
    let staff = app.staff(Role::Admin).await;
    let partner = app.partner(&staff, 0, json!({"daily_limit": null})).await;
    let member = app.activated_members(1, "SZ001").await.remove(0);
    let receiver = WebhookReceiver::start(&[]);
    let port = receiver.url.rsplit(':').next().unwrap().split('/').next().unwrap().to_owned();
    for url in [
        receiver.url.clone(),
        format!("http://127.9.8.7:{port}/events"),
        format!("http://[::1]:{port}/events"),
        format!("http://[::ffff:127.0.0.1]:{port}/events"),
        format!("http://localhost:{port}/events"),
        format!("http://2130706433:{port}/events"),
        format!("http://127.1:{port}/events"),
        format!("http://user@127.0.0.1:{port}/events"),
    ] {
        let refused = app.send(put(&app, &partner, &url)).await;
        refused.problem(422, "validation.invalid_field");
        assert_eq!(refused.json()["field"], "url", "{url}: {}", refused.text());
    }
    let endpoint = app.send(partner.sign(&app, Req::get("/v1/partner/webhook-endpoint"))).await.json();
    assert_eq!(endpoint["url"], Value::Null, "nothing was registered");

    // A sandbox lists loopback: the endpoint is taken and events arrive.
    let env = app.stop().await;
    let app = TestApp::start(env, Options::default()).await;
    assert_eq!(app.send(put(&app, &partner, &receiver.url)).await.status, 200);
    app.sell_by_code(&partner, &member, "s-1").await;
    assert_eq!(receiver.wait_for(1).await.len(), 1);

    // The operator takes loopback off the list: what was registered is checked again at the send.
    let env = app.stop().await;
    let app = TestApp::start(env, without_allowlist()).await;
    app.sell_by_code(&partner, &member, "s-2").await;
    let mut failed = None;
    for _ in 0..200 {
        let list = app.send(partner.sign(&app, Req::get("/v1/partner/webhook-deliveries"))).await.json();
        failed = list["items"].as_array().unwrap().iter().find(|d| d["attempts"] == 1 && d["state"] != "done").cloned();
        if failed.is_some() {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    let failed = failed.expect("the delivery was attempted");
    // The merchant learns it did not get through, nothing about the address.
    assert_eq!(failed["last_error"], "temporary failure: unreachable", "{failed}");
    assert_eq!(receiver.received().len(), 1, "nothing reached the refused address");
}

async fn resends_are_rate_limited(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options::default().var("SGH_WEBHOOK_RESENDS_PER_MINUTE", 3)).await;
    let staff = app.staff(Role::Admin).await;
    let partner = app.partner(&staff, 0, json!({})).await;
    let resend = || partner.sign(&app, Req::post("/v1/partner/webhook-deliveries/999999/resend"));
    for _ in 0..3 {
        app.send(resend()).await.problem(404, "webhook_delivery.not_found");
    }
    let limited = app.send(resend()).await;
    limited.problem(429, "rate_limited");
    assert!(limited.header("retry-after").is_some());
}

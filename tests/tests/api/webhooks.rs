//! Webhooks to merchants: Standard Webhooks headers signed with our Ed25519 key, retried on the
//! Standard Webhooks schedule until the receiver takes them, stopped by a 410, listed and re-sent.

use domain::admin::Role;
use serde_json::{json, Value};
use std::time::Duration;
use tests::partners::Partner;
use tests::receiver::WebhookReceiver;
use tests::{on_both_backends, Backend, Req, TestApp};

on_both_backends!(
    events_are_retried_until_the_receiver_takes_them,
    a_410_stops_the_deliveries_of_an_event,
    staff_see_a_merchants_deliveries_and_send_it_a_test_event
);

async fn set_endpoint(app: &TestApp, partner: &Partner, url: &str) {
    let reply = app.send(partner.sign(app, Req::put("/v1/partner/webhook-endpoint").json(json!({"url": url})))).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    app.assert_signed(&reply).await;
}

async fn deliveries(app: &TestApp, partner: &Partner) -> Vec<Value> {
    let reply = app.send(partner.sign(app, Req::get("/v1/partner/webhook-deliveries"))).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["items"].as_array().unwrap().clone()
}

/// Waits for the runner (it polls on the wall clock) to settle `delivery` into `state`.
async fn wait_state(app: &TestApp, partner: &Partner, event: &str, state: &str) -> Value {
    for _ in 0..200 {
        let found = deliveries(app, partner).await.into_iter().find(|d| d["event_id"] == event);
        if let Some(d) = found.filter(|d| d["state"] == state) {
            return d;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("delivery {event} never became {state}: {:?}", deliveries(app, partner).await);
}

/// Waits until the runner has recorded `n` failed attempts of `event` (and so scheduled the next
/// one from the clock's time then): a clock moved before that would move the schedule with it.
async fn wait_failures(app: &TestApp, partner: &Partner, event: &str, n: u64) {
    for _ in 0..200 {
        let found = deliveries(app, partner).await.into_iter().find(|d| d["event_id"] == event);
        if found.is_some_and(|d| d["attempts"].as_u64() == Some(n)) {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("delivery {event} never recorded {n} attempts: {:?}", deliveries(app, partner).await);
}

async fn sell(app: &TestApp, partner: &Partner, member: &str, key: &str) -> Value {
    let code = app.member_code(member).await;
    let sale = Req::post("/v1/partner/sales").header("idempotency-key", key).json(json!({
        "store_id": partner.stores[0], "member_code": code, "offer_id": partner.offer,
        "original_fen": 12_800, "till_ref": "POS-1", "channel": "pos"
    }));
    let reply = app.send(partner.sign(app, sale)).await;
    assert_eq!(reply.status, 201, "{}", reply.text());
    reply.json()
}

async fn events_are_retried_until_the_receiver_takes_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let partner = app.partner(&staff, 0, json!({"daily_limit": null})).await;
    let member = app.activated_members(1, "SZ001").await.remove(0);
    let receiver = WebhookReceiver::start(&[503, 500]);
    set_endpoint(&app, &partner, &receiver.url).await;
    let got = app.send(partner.sign(&app, Req::get("/v1/partner/webhook-endpoint"))).await.json();
    assert_eq!(got["url"], receiver.url.as_str());

    let sale = sell(&app, &partner, &member, "s-1").await;
    let first = receiver.wait_for(1).await;
    assert_eq!(first.len(), 1, "the first attempt is made at once");
    let event = first[0].id.clone();
    assert!(event.starts_with("msg_"));
    // The schedule: 5 s after the first failure, then 5 min after the second.
    wait_failures(&app, &partner, &event, 1).await;
    app.clock.advance(chrono::Duration::seconds(5));
    assert_eq!(receiver.wait_for(2).await.len(), 2);
    wait_failures(&app, &partner, &event, 2).await;
    app.clock.advance(chrono::Duration::minutes(5));
    let all = receiver.wait_for(3).await;
    assert_eq!(all.len(), 3);
    let done = wait_state(&app, &partner, &event, "done").await;
    assert_eq!(done["attempts"], 3, "{done}");
    assert_eq!(done["event_type"], "sale.recorded");
    // Delivered: the failures before it are history, not its state.
    assert!(done["last_error"].is_null(), "{done}");

    // Every attempt: the same id and body, its own timestamp, a signature our published key verifies.
    let keys = app.send(Req::get("/v1/partner/platform-keys")).await.json();
    let public = keys["webhook_public_key"].as_str().unwrap();
    for r in &all {
        assert_eq!((&r.id, &r.body), (&event, &all[0].body));
        assert!(infra::signing::verify_webhook(public, &r.id, r.timestamp, &r.body, &r.signature), "{r:?}");
    }
    assert!(all[2].timestamp >= all[0].timestamp + 305);
    let body: Value = serde_json::from_str(&all[0].body).unwrap();
    assert_eq!(body["type"], "sale.recorded");
    assert_eq!(body["data"]["sale_id"], sale["id"]);
    assert_eq!(body["data"]["member_ref"], sale["member_ref"]);

    // A reversal is an event of its own; a re-send delivers an event again under its own id.
    let id = sale["id"].as_str().unwrap();
    let reverse = Req::post(&format!("/v1/partner/sales/{id}/reversal"))
        .header("idempotency-key", "r-1")
        .json(json!({"till_ref": "POS-1"}));
    assert_eq!(app.send(partner.sign(&app, reverse)).await.status, 200);
    let four = receiver.wait_for(4).await;
    let reversal: Value = serde_json::from_str(&four[3].body).unwrap();
    assert_eq!(reversal["type"], "sale.reversed");
    assert!(reversal["data"]["reversed_at"].is_string());
    let resend =
        app.send(partner.sign(&app, Req::post(&format!("/v1/partner/webhook-deliveries/{}/resend", done["id"])))).await;
    assert_eq!(resend.status, 200, "{}", resend.text());
    let five = receiver.wait_for(5).await;
    assert_eq!(five[4].id, event);

    // Another merchant sees none of these, and cannot re-send them.
    let other = app.partner(&staff, 1, json!({})).await;
    assert!(deliveries(&app, &other).await.is_empty());
    let theirs =
        app.send(other.sign(&app, Req::post(&format!("/v1/partner/webhook-deliveries/{}/resend", done["id"])))).await;
    theirs.problem(404, "webhook_delivery.not_found");
}

async fn a_410_stops_the_deliveries_of_an_event(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let partner = app.partner(&staff, 0, json!({"daily_limit": null})).await;
    let member = app.activated_members(1, "SZ001").await.remove(0);
    let receiver = WebhookReceiver::start(&[410]);
    set_endpoint(&app, &partner, &receiver.url).await;
    sell(&app, &partner, &member, "s-1").await;
    let event = receiver.wait_for(1).await[0].id.clone();
    let dead = wait_state(&app, &partner, &event, "dead").await;
    assert_eq!(dead["attempts"], 1);
    assert!(dead["last_error"].as_str().unwrap().contains("410"), "{dead}");
    app.clock.advance(chrono::Duration::hours(30));
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(receiver.received().len(), 1, "nothing more after a 410");

    // Without an endpoint no event is queued.
    let reply = app.send(partner.sign(&app, Req::put("/v1/partner/webhook-endpoint").json(json!({"url": null})))).await;
    assert_eq!(reply.json()["url"], Value::Null);
    sell(&app, &partner, &app.token_for_member_of(&member), "s-2").await;
    assert_eq!(deliveries(&app, &partner).await.len(), 1);
    let bad =
        app.send(partner.sign(&app, Req::put("/v1/partner/webhook-endpoint").json(json!({"url": "ftp://x"})))).await;
    bad.problem(422, "validation.invalid_field");
}

async fn staff_see_a_merchants_deliveries_and_send_it_a_test_event(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let auditor = app.staff(Role::Auditor).await;
    let partner = app.partner(&staff, 0, json!({})).await;
    let webhook = format!("/v1/admin/merchants/{}/webhook", partner.merchant_id);
    let test = format!("{webhook}/test-events");

    // No endpoint yet: nothing to send to, and nothing queued.
    let none = app.send(Req::post(&test).bearer(&staff)).await;
    assert_eq!(
        (none.status, none.json()["code"].as_str()),
        (404, Some("webhook_endpoint.not_found")),
        "{}",
        none.text()
    );
    let empty = app.send(Req::get(&webhook).bearer(&auditor)).await;
    assert_eq!(empty.status, 200, "{}", empty.text());
    assert_eq!(empty.json(), json!({"url": null, "deliveries": [], "next_cursor": null}));

    let receiver = WebhookReceiver::start(&[]);
    set_endpoint(&app, &partner, &receiver.url).await;
    assert_eq!(app.send(Req::post(&test).bearer(&auditor)).await.status, 403, "an auditor reads, never sends");
    let sent = app.send(Req::post(&test).bearer(&staff)).await;
    assert_eq!(sent.status, 202, "{}", sent.text());
    let queued = sent.json();
    assert_eq!(queued["event_type"], "webhook.test");

    // Delivered like any event: signed with the published key, under the id the answer named.
    let got = receiver.wait_for(1).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].id, queued["event_id"].as_str().unwrap());
    let public = app.send(Req::get("/v1/partner/platform-keys")).await.json()["webhook_public_key"].clone();
    assert!(infra::signing::verify_webhook(
        public.as_str().unwrap(),
        &got[0].id,
        got[0].timestamp,
        &got[0].body,
        &got[0].signature
    ));
    let body: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!((&body["type"], &body["data"]), (&json!("webhook.test"), &json!({"test": true})));

    // Staff and the merchant see the same delivery settle.
    wait_state(&app, &partner, &got[0].id, "done").await;
    let seen = app.send(Req::get(&webhook).bearer(&auditor)).await.json();
    assert_eq!(seen["url"], receiver.url.as_str());
    assert_eq!(seen["deliveries"][0]["event_id"], queued["event_id"]);
    assert_eq!(seen["deliveries"][0]["state"], "done");
    let audit = app.send(Req::get("/v1/admin/audit?action=webhook.test").bearer(&staff)).await.json();
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(1), "{audit}");
    assert_eq!(audit["items"][0]["target"], partner.merchant_id.as_str());

    let unknown = format!("/v1/admin/merchants/{}/webhook", uuid::Uuid::now_v7());
    assert_eq!(app.send(Req::get(&unknown).bearer(&staff)).await.status, 404);
    assert_eq!(app.send(Req::post(&format!("{unknown}/test-events")).bearer(&staff)).await.status, 404);
}

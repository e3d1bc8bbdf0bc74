//! The partner API's WeChat Pay v3 signatures: what is accepted, each way a request is refused,
//! and the platform signature on every answer.

use domain::admin::Role;
use domain::shared::Clock;
use serde_json::json;
use tests::partners::{merchant_key, sign_as};
use tests::{on_both_backends, Backend, Req, TestApp};

on_both_backends!(
    a_signed_verification_is_answered_and_the_answer_is_signed,
    every_bad_signature_is_refused_with_its_own_code,
    revoked_keys_and_suspended_merchants_are_refused_at_once,
    a_store_key_acts_for_its_own_store_only,
    each_merchant_has_its_own_request_budget,
);

async fn each_merchant_has_its_own_request_budget(backend: Backend) {
    let app = TestApp::spawn_with(backend, tests::Options::default().var("SGH_PARTNER_REQUESTS_PER_MINUTE", 3)).await;
    let staff = app.staff(Role::Admin).await;
    let (a, b) = (app.partner(&staff, 0, json!({})).await, app.partner(&staff, 1, json!({})).await);
    let today = app.clock.now().date_naive();
    let list = || Req::get(&format!("/v1/partner/sales?from={today}&to={today}"));
    for _ in 0..3 {
        assert_eq!(app.send(a.sign(&app, list())).await.status, 200);
    }
    let limited = app.send(a.sign(&app, list())).await;
    limited.problem(429, "rate_limited");
    assert!(limited.header("retry-after").is_some());
    // Another merchant's budget is its own.
    assert_eq!(app.send(b.sign(&app, list())).await.status, 200);
}

async fn a_signed_verification_is_answered_and_the_answer_is_signed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let partner = app.partner(&staff, 0, json!({})).await;
    let member = app.activated_members(1, "SZ001").await.remove(0);
    let code = app.member_code(&member).await;

    let verify = |code: &str| {
        Req::post("/v1/partner/member-codes/verify").json(json!({"store_id": partner.stores[0], "member_code": code}))
    };
    let reply = app.send(partner.sign(&app, verify(&code))).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!(reply.header("content-type"), Some("application/json; charset=utf-8"));
    app.assert_signed(&reply).await;
    let body = reply.json();
    assert!(body["member_ref"].as_str().unwrap().starts_with("mr_"), "{body}");
    assert_eq!(body["masked_name"], "测***");
    assert_eq!(body["activated"], true);
    assert_eq!(body["cardholder"], false);
    assert_eq!(body["offers"][0]["id"], partner.offer.as_str());

    // The same member gets the same reference at this merchant every time …
    let again = app.send(partner.sign(&app, verify(&app.member_code(&member).await))).await.json();
    assert_eq!(again["member_ref"], body["member_ref"]);
    // … and another one at another merchant.
    let other = app.partner(&staff, 1, json!({})).await;
    let elsewhere = app
        .send(
            other.sign(
                &app,
                Req::post("/v1/partner/member-codes/verify")
                    .json(json!({"store_id": other.stores[0], "member_code": app.member_code(&member).await})),
            ),
        )
        .await
        .json();
    assert_ne!(elsewhere["member_ref"], body["member_ref"]);

    // Codes expire on the server's clock.
    let stale = app.member_code(&member).await;
    app.clock.advance(chrono::Duration::seconds(121));
    app.send(partner.sign(&app, verify(&stale))).await.problem(422, "member_code.invalid");

    // A GET with a query string is signed over the raw target; the serial is case-blind.
    let today = app.clock.now().date_naive();
    let lower = tests::partners::Partner { serial: partner.serial.to_ascii_lowercase(), ..partner.clone() };
    let list =
        app.send(lower.sign(&app, Req::get(&format!("/v1/partner/sales?from={today}&to={today}&limit=5")))).await;
    assert_eq!(list.status, 200, "{}", list.text());
    app.assert_signed(&list).await;

    // Errors are JSON with a machine code and a message.
    let refused = app.send(Req::post("/v1/partner/member-codes/verify").json(json!({}))).await;
    let problem = refused.problem(401, "partner.signature_missing");
    assert!(problem["message"].as_str().is_some_and(|m| !m.is_empty()), "{problem}");
}

async fn every_bad_signature_is_refused_with_its_own_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let partner = app.partner(&staff, 0, json!({})).await;
    let today = app.clock.now().date_naive();
    let list = || Req::get(&format!("/v1/partner/sales?from={today}&to={today}"));
    let now = app.clock.now().timestamp();

    // Within five minutes either way is fine; beyond, the timestamp is refused. (The server's clock
    // may tick a second on between here and its check: the exact bounds are `partner::fresh`'s
    // unit test.)
    assert_eq!(app.send(partner.sign_at(list(), now - 299, "n-early")).await.status, 200);
    assert_eq!(app.send(partner.sign_at(list(), now + 300, "n-late")).await.status, 200);
    app.send(partner.sign_at(list(), now - 301, "n-stale")).await.problem(401, "partner.timestamp_expired");
    app.send(partner.sign_at(list(), now + 302, "n-future")).await.problem(401, "partner.timestamp_expired");

    // A nonce is accepted once.
    assert_eq!(app.send(partner.sign_at(list(), now, "replayed-nonce")).await.status, 200);
    app.send(partner.sign_at(list(), now, "replayed-nonce")).await.problem(401, "partner.nonce_reused");

    // Signed with another key under this key's serial.
    let forged = sign_as(list(), &partner.mchid, &partner.serial, merchant_key(3), now, "n-forged");
    app.send(forged).await.problem(401, "partner.signature_invalid");

    // An unknown serial, and a serial of another merchant.
    let unknown = sign_as(list(), &partner.mchid, "0123456789ABCDEF", &partner.key_pem, now, "n-unknown");
    app.send(unknown).await.problem(401, "partner.serial_unknown");
    let other = app.partner(&staff, 1, json!({})).await;
    let borrowed = sign_as(list(), &partner.mchid, &other.serial, &other.key_pem, now, "n-borrowed");
    app.send(borrowed).await.problem(401, "partner.mchid_mismatch");

    // The body and the query are covered by the signature.
    let member = app.activated_members(1, "SZ001").await.remove(0);
    let code = app.member_code(&member).await;
    let verify =
        Req::post("/v1/partner/member-codes/verify").json(json!({"store_id": partner.stores[0], "member_code": code}));
    let signed = partner.sign(&app, verify);
    let tampered = Req::post("/v1/partner/member-codes/verify")
        .json(json!({"store_id": partner.stores[1], "member_code": code}))
        .header("authorization", &signed_authorization(&signed));
    app.send(tampered).await.problem(401, "partner.signature_invalid");
    let signed = partner.sign(&app, list());
    let other_day = today.pred_opt().unwrap();
    let tampered = Req::get(&format!("/v1/partner/sales?from={other_day}&to={today}"))
        .header("authorization", &signed_authorization(&signed));
    app.send(tampered).await.problem(401, "partner.signature_invalid");

    // A refused request did not spend its nonce: signed properly, it goes through.
    assert_eq!(app.send(partner.sign_at(list(), now, "n-forged")).await.status, 200);

    for garbled in ["", "Bearer abc", "WECHATPAY2-SHA256-RSA2048 mchid=1", "WECHATPAY2-SHA256-RSA2048 ä"] {
        app.send(list().header("authorization", garbled)).await.problem(401, "partner.signature_missing");
    }
}

/// The Authorization header a helper put on `req`.
fn signed_authorization(req: &Req) -> String {
    req.header_value("authorization").unwrap().to_owned()
}

async fn revoked_keys_and_suspended_merchants_are_refused_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let partner = app.partner(&staff, 0, json!({})).await;
    let today = app.clock.now().date_naive();
    let list = || Req::get(&format!("/v1/partner/sales?from={today}&to={today}"));
    assert_eq!(app.send(partner.sign(&app, list())).await.status, 200);

    // A second key for rotation works beside the first; revoking the first leaves the second.
    let (serial, pem) = app.register_key(&staff, &partner.merchant_id, None, 2).await;
    let rotated = tests::partners::Partner { serial, key_pem: pem, ..partner.clone() };
    assert_eq!(app.send(rotated.sign(&app, list())).await.status, 200);
    let revoke = format!("/v1/admin/merchants/{}/keys/{}/revocation", partner.merchant_id, partner.serial);
    assert_eq!(app.send(Req::post(&revoke).bearer(&staff)).await.status, 204);
    app.send(partner.sign(&app, list())).await.problem(401, "partner.key_revoked");
    assert_eq!(app.send(rotated.sign(&app, list())).await.status, 200);
    app.send(Req::post(&revoke).bearer(&staff)).await.problem(404, "partner_key.not_found");

    let status = format!("/v1/admin/merchants/{}/status", partner.merchant_id);
    let suspended = app.send(Req::put(&status).bearer(&staff).json(json!({"status": "suspended"}))).await;
    assert_eq!(suspended.json()["status"], "suspended");
    app.send(rotated.sign(&app, list())).await.problem(403, "partner.merchant_suspended");
    app.send(Req::put(&status).bearer(&staff).json(json!({"status": "active"}))).await;
    assert_eq!(app.send(rotated.sign(&app, list())).await.status, 200);

    let audit = app.send(Req::get("/v1/admin/audit").bearer(&staff)).await.json();
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for action in [
        "merchant.create",
        "store.create",
        "offer.create",
        "offer.status",
        "partner_key.register",
        "partner_key.revoke",
        "merchant.status",
    ] {
        assert!(actions.contains(&action), "{action} audited: {actions:?}");
    }
}

async fn a_store_key_acts_for_its_own_store_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let partner = app.partner(&staff, 0, json!({})).await;
    let (serial, key_pem) = app.register_key(&staff, &partner.merchant_id, Some(&partner.stores[0]), 1).await;
    let store_key = tests::partners::Partner { serial, key_pem, ..partner.clone() };
    let member = app.activated_members(1, "SZ001").await.remove(0);

    let verify = |store: &str, code: &str| {
        Req::post("/v1/partner/member-codes/verify").json(json!({"store_id": store, "member_code": code}))
    };
    let own = app.send(store_key.sign(&app, verify(&partner.stores[0], &app.member_code(&member).await))).await;
    assert_eq!(own.status, 200, "{}", own.text());
    let other = app.send(store_key.sign(&app, verify(&partner.stores[1], &app.member_code(&member).await))).await;
    other.problem(403, "partner.other_store");
    let sale = Req::post("/v1/partner/sales").header("idempotency-key", "store-key-sale").json(json!({
        "store_id": partner.stores[1], "member_code": app.member_code(&member).await, "offer_id": partner.offer,
        "original_fen": 12_800, "till_ref": "POS-1", "channel": "pos"
    }));
    app.send(store_key.sign(&app, sale)).await.problem(403, "partner.other_store");
    // Settlement totals are the whole merchant's: a store key may not read them.
    let today = app.clock.now().date_naive();
    let totals = Req::get(&format!("/v1/partner/settlements?from={today}&to={today}"));
    app.send(store_key.sign(&app, totals)).await.problem(403, "partner.other_store");
}

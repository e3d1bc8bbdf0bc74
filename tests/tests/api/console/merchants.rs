//! Merchants from the console: registered, placed, given offers and keys, their webhook tested;
//! refused fields beside the field with the form kept, and nothing for an auditor to press.

use super::*;
use tests::partners::merchant_key;
use tests::receiver::WebhookReceiver;

on_both_backends!(a_merchant_is_registered_with_stores_offers_keys_and_a_tested_webhook);

/// The id in a `Location: /console/merchants/{id}?done=…`.
fn merchant_in(location: Option<&str>) -> String {
    let rest = location.and_then(|l| l.strip_prefix("/console/merchants/")).expect("a merchant's page");
    rest.split(['?', '#']).next().unwrap().to_owned()
}

async fn a_merchant_is_registered_with_stores_offers_keys_and_a_tested_webhook(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.staff(Role::Operator).await;
    app.create_admin("audit.li", Role::Auditor, None).await;
    let ops = app.console_sign_in("t.operator").await;
    let auditor = app.console_sign_in("audit.li").await;

    let list = app.console_get(Some(&ops), "/console/merchants").await;
    assert_eq!(list.status, 200, "{}", list.text());
    assert!(list.text().contains(r#"data-testid="merchant-form""#));

    // A bad e-mail: the API's message beside the field, what was typed kept, nothing registered.
    let mut form = vec![
        ("name", "得月楼"),
        ("category", "餐饮"),
        ("contact", "陈经理 0512-65238940"),
        ("settlement_email", "not an address"),
        ("_csrf", ops.csrf.as_str()),
    ];
    let refused = app.console_post(Some(&ops), "/console/merchants", &form).await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert!(refused.text().contains(r#"id="settlement_email-error""#), "{}", refused.text());
    assert!(refused.text().contains(r#"value="得月楼""#));
    assert_eq!(app.send(Req::get("/v1/admin/merchants").bearer(&token)).await.json()["items"], json!([]));

    form[3] = ("settlement_email", "finance@deyuelou.example");
    let made = app.console_post(Some(&ops), "/console/merchants", &form).await;
    assert_eq!(made.status, 303, "{}", made.text());
    let id = merchant_in(made.header("location"));
    let page = format!("/console/merchants/{id}");
    let shown = app.console_get(Some(&ops), &format!("{page}?done=create")).await;
    assert_eq!(shown.status, 200);
    assert!(shown.text().contains("得月楼") && shown.text().contains(r#"data-picker"#), "{}", shown.text());

    // A store: a latitude that is no number is the form's own refusal; one out of range the API's.
    let store = |lat: &'static str| {
        vec![
            ("name", "太监弄店"),
            ("address", "姑苏区太监弄 43 号"),
            ("district", "姑苏区"),
            ("hours", "10:30-21:00"),
            ("lat", lat),
            ("lng", "120.624100"),
        ]
    };
    for bad in ["北纬31度", "131.3"] {
        let mut fields = store(bad);
        fields.push(("_csrf", &ops.csrf));
        let refused = app.console_post(Some(&ops), &format!("{page}/stores"), &fields).await;
        assert_eq!(refused.status, 422, "{bad}: {}", refused.text());
        assert!(refused.text().contains(r#"id="lat-error""#), "{bad}: {}", refused.text());
        assert!(refused.text().contains(r#"value="姑苏区太监弄 43 号""#), "the form is kept");
    }
    let mut fields = store("31.310900");
    fields.push(("_csrf", &ops.csrf));
    let added = app.console_post(Some(&ops), &format!("{page}/stores"), &fields).await;
    assert_eq!(added.status, 303, "{}", added.text());
    let detail = app.send(Req::get(&format!("/v1/admin/merchants/{id}")).bearer(&token)).await.json();
    assert_eq!(detail["stores"][0]["lat"], 31.3109);
    let store_id = detail["stores"][0]["id"].as_str().unwrap().to_owned();

    // An offer, in yuan and percent on the form, in fen and basis points in the API.
    let offer = |percent: &'static str| {
        vec![
            ("title", "会员 88 折"),
            ("kind", "percent_off"),
            ("percent", percent),
            ("cap_yuan", "50"),
            ("valid_from", "2026-12-01"),
            ("valid_until", "2027-03-31"),
            ("weekdays", "6"),
            ("weekdays", "7"),
            ("stores", store_id.as_str()),
            ("audience", "activated"),
            ("funder", "merchant"),
            ("_csrf", ops.csrf.as_str()),
        ]
    };
    let refused = app.console_post(Some(&ops), &format!("{page}/offers"), &offer("")).await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert!(refused.text().contains(r#"id="percent-error""#), "{}", refused.text());
    assert!(refused.text().contains(r#"value="会员 88 折""#));
    let drafted = app.console_post(Some(&ops), &format!("{page}/offers"), &offer("12")).await;
    assert_eq!(drafted.status, 303, "{}", drafted.text());
    let detail = app.send(Req::get(&format!("/v1/admin/merchants/{id}")).bearer(&token)).await.json();
    let o = &detail["offers"][0];
    assert_eq!((&o["percent_bps"], &o["cap_fen"], &o["weekdays"]), (&json!(1200), &json!(5000), &json!([6, 7])));
    assert_eq!((&o["store_ids"], &o["status"]), (&json!([store_id]), &json!("draft")));
    let offer_id = o["id"].as_str().unwrap();
    let publish = format!("{page}/offers/{offer_id}/published");
    assert_eq!(app.console_post(Some(&ops), &publish, &[("_csrf", &ops.csrf)]).await.status, 303);
    let expire = format!("{page}/offers/{offer_id}/expired");
    assert_eq!(app.console_post(Some(&ops), &expire, &[("_csrf", &ops.csrf)]).await.status, 303);
    let again = app.console_post(Some(&ops), &publish, &[("_csrf", &ops.csrf)]).await;
    assert_eq!(again.status, 409, "expiry is final: {}", again.text());
    assert!(again.text().contains(r#"class="flash error""#), "{}", again.text());

    // A key: not a key is refused beside the field; a key is registered, then revoked.
    let refused = app
        .console_post(Some(&ops), &format!("{page}/keys"), &[("public_key_pem", "hello"), ("_csrf", &ops.csrf)])
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert!(refused.text().contains(r#"id="public_key_pem-error""#), "{}", refused.text());
    let pem = infra::signing::public_pem_of(merchant_key(0)).unwrap();
    let key = [("public_key_pem", pem.as_str()), ("store_id", ""), ("_csrf", &ops.csrf)];
    assert_eq!(app.console_post(Some(&ops), &format!("{page}/keys"), &key).await.status, 303);
    let detail = app.send(Req::get(&format!("/v1/admin/merchants/{id}")).bearer(&token)).await.json();
    let serial = detail["keys"][0]["serial_no"].as_str().unwrap().to_owned();
    let revoke = format!("{page}/keys/{serial}/revocation");
    assert!(app.console_get(Some(&ops), &page).await.text().contains(&revoke));

    // The auditor sees the merchant and presses nothing: no forms, and a forged post is refused.
    let seen = app.console_get(Some(&auditor), &page).await.text();
    assert!(seen.contains(&serial), "{seen}");
    for action in ["/stores\"", "/offers\"", "/keys\"", "/revocation\"", "/status\""] {
        assert!(!seen.contains(action), "{action}: {seen}");
    }
    assert_eq!(app.console_post(Some(&auditor), &revoke, &[("_csrf", &auditor.csrf)]).await.status, 403);
    assert_eq!(app.console_post(Some(&ops), &revoke, &[]).await.status, 403, "no CSRF token, no revocation");
    assert_eq!(app.console_post(Some(&ops), &revoke, &[("_csrf", &ops.csrf)]).await.status, 303);
    let detail = app.send(Req::get(&format!("/v1/admin/merchants/{id}")).bearer(&token)).await.json();
    assert!(detail["keys"][0]["revoked_at"].is_string());

    // The webhook: the merchant sets its endpoint through the partner API; staff send a test event.
    let test = format!("{page}/webhook/test-events");
    assert!(!app.console_get(Some(&ops), &page).await.text().contains(&test), "no endpoint, no button");
    let receiver = WebhookReceiver::start(&[]);
    let (serial, private) = app.register_key(&token, &id, None, 1).await;
    let mchid = detail["merchant"]["mchid"].as_str().unwrap();
    let set = Req::put("/v1/partner/webhook-endpoint").json(json!({"url": receiver.url}));
    let set = tests::partners::sign_as(set, mchid, &serial, &private, app.clock.now().timestamp(), "n-1");
    assert_eq!(app.send(set).await.status, 200);
    assert!(app.console_get(Some(&ops), &page).await.text().contains(&test));
    let sent = app.console_post(Some(&ops), &test, &[("_csrf", &ops.csrf)]).await;
    assert_eq!(sent.status, 303, "{}", sent.text());
    let got = receiver.wait_for(1).await;
    assert_eq!(got.len(), 1);
    let mut shown = String::new();
    for _ in 0..100 {
        shown = app.console_get(Some(&ops), &page).await.text();
        if shown.contains(&format!(r#"data-event="{}""#, got[0].id)) && shown.contains(r#"data-status="done""#) {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(shown.contains(&got[0].id) && shown.contains("webhook.test"), "{shown}");

    // Suspending, from the console, refuses the merchant's requests at once.
    let suspended =
        app.console_post(Some(&ops), &format!("{page}/status"), &[("status", "suspended"), ("_csrf", &ops.csrf)]).await;
    assert_eq!(suspended.status, 303);
    let m = app.send(Req::get(&format!("/v1/admin/merchants/{id}")).bearer(&token)).await.json();
    assert_eq!(m["merchant"]["status"], "suspended");
    let audit = app.send(Req::get("/v1/admin/audit?action=merchant.").bearer(&token)).await.json();
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(2), "created and suspended: {audit}");
}

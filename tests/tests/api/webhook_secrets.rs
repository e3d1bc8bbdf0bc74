//! Webhook deliveries verified by the stock Standard Webhooks library from PyPI
//! (`standardwebhooks`), as a merchant's developer installs it: each endpoint's `whsec_` secret
//! is shown once, signs every delivery (`v1`), and is rotated with a 24-hour overlap in which the
//! old and the new secret both sign. `SGH_PYTHON` names an interpreter with the library (`.ci/run`
//! puts it in its virtualenv); without it the test is skipped, or fails under `CI=true`.

use domain::admin::Role;
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use tests::receiver::{Received, WebhookReceiver};
use tests::{on_both_backends, Backend, Req, TestApp};

fn check(secret: &str, delivery: &Received, expect: bool) -> Value {
    json!({"secret": secret, "id": delivery.id, "timestamp": delivery.timestamp,
           "signature": delivery.signature, "body": delivery.body, "expect": expect})
}

/// Runs the library over `checks`, each with the receiver's clock at the delivery's time.
fn library_verifies(python: &str, checks: Vec<Value>) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/client/verify_webhooks.py");
    for check in checks {
        let task = json!({"now": check["timestamp"], "checks": [check]});
        let mut child = Command::new(python)
            .arg(&script)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python runs");
        child.stdin.take().unwrap().write_all(task.to_string().as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        let printed = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{task}\n{printed}");
    }
}

on_both_backends!(the_stock_library_verifies_every_delivery_through_a_rotation);

async fn the_stock_library_verifies_every_delivery_through_a_rotation(backend: Backend) {
    let Some(python) = tests::tool_or_skip("SGH_PYTHON", "the Standard Webhooks library test") else { return };
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let partner = app.partner(&staff, 0, json!({"daily_limit": null})).await;
    let member = app.activated_members(1, "SZ001").await.remove(0);
    let receiver = WebhookReceiver::start(&[]);
    let put = |url: &str| partner.sign(&app, Req::put("/v1/partner/webhook-endpoint").json(json!({"url": url})));

    // The secret is shown once: when the endpoint is first set.
    let set = app.send(put(&receiver.url)).await;
    assert_eq!(set.status, 200, "{}", set.text());
    let first = set.json()["secret"].as_str().expect("a secret the first time").to_owned();
    assert!(first.starts_with("whsec_"), "{first}");
    assert_eq!(app.send(put(&receiver.url)).await.json()["secret"], Value::Null);
    let read = app.send(partner.sign(&app, Req::get("/v1/partner/webhook-endpoint"))).await.json();
    assert_eq!((read["url"].as_str(), &read["secret"]), (Some(receiver.url.as_str()), &Value::Null));
    // Stored sealed, never as it was shown.
    let plain = app.count("SELECT COUNT(*) AS n FROM merchants WHERE webhook_secret_cipher LIKE 'whsec%'").await;
    assert_eq!(plain, 0);

    app.sell_by_code(&partner, &member, "s-1").await;
    let one = receiver.wait_for(1).await.remove(0);
    let mut tampered = one.clone();
    tampered.body = tampered.body.replace("sale.recorded", "sale.reversed");
    let wrong = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

    let rotation = app.send(partner.sign(&app, Req::post("/v1/partner/webhook-endpoint/secret-rotation"))).await;
    assert_eq!(rotation.status, 200, "{}", rotation.text());
    app.assert_signed(&rotation).await;
    let second = rotation.json()["secret"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    app.sell_by_code(&partner, &member, "s-2").await;
    let two = receiver.wait_for(2).await.remove(1);
    assert_eq!(two.signature.split(' ').filter(|s| s.starts_with("v1,")).count(), 2, "{}", two.signature);
    assert!(two.signature.split(' ').any(|s| s.starts_with("v1a,")), "the Ed25519 signature stays");

    // Past the overlap only the new secret signs.
    app.clock.advance(chrono::Duration::hours(25));
    app.sell_by_code(&partner, &member, "s-3").await;
    let three = receiver.wait_for(3).await.remove(2);
    assert_eq!(three.signature.split(' ').filter(|s| s.starts_with("v1,")).count(), 1, "{}", three.signature);

    library_verifies(
        &python,
        vec![
            check(&first, &one, true),
            check(&first, &tampered, false),
            check(wrong, &one, false),
            check(&first, &two, true),
            check(&second, &two, true),
            check(&first, &three, false),
            check(&second, &three, true),
        ],
    );

    // Rotating needs an endpoint; removing it forgets the secrets, and a new one gets a new secret.
    let removed =
        app.send(partner.sign(&app, Req::put("/v1/partner/webhook-endpoint").json(json!({"url": null})))).await;
    assert_eq!(removed.json()["url"], Value::Null);
    let none = app.send(partner.sign(&app, Req::post("/v1/partner/webhook-endpoint/secret-rotation"))).await;
    none.problem(404, "webhook_endpoint.not_found");
    let again = app.send(put(&receiver.url)).await.json();
    assert!(again["secret"].as_str().is_some_and(|s| s != first && s != second), "{again}");
}

//! A stock WeChat Pay API v3 SDK (the Python `wechatpayv3`, base URL and keys changed) signs its
//! calls so that we accept them, and verifies our answers' signatures (`tests/client/wechatpay_sdk.py`).
//!
//! `SGH_PYTHON` names an interpreter with `wechatpayv3` installed (`.ci/run` puts it in its
//! virtualenv); without it the test is skipped, or fails under `CI=true`.

use domain::admin::Role;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use tests::{Backend, Req, TestApp};

#[actix_web::test]
async fn the_stock_wechat_pay_sdk_calls_the_partner_api_and_verifies_its_answers() {
    let Some(python) = tests::tool_or_skip("SGH_PYTHON", "the WeChat Pay SDK test") else { return };
    let app = TestApp::spawn(Backend::Embedded).await;
    let staff = app.staff(Role::Admin).await;
    let partner = app.partner(&staff, 0, json!({})).await;
    let member = app.activated_members(1, "SZ001").await.remove(0);
    let code = app.member_code(&member).await;
    let keys = app.send(Req::get("/v1/partner/platform-keys")).await.json();

    let dir = std::env::temp_dir().join(format!("sgh-sdk-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let (key_file, platform_file) = (dir.join("merchant.pem"), dir.join("platform.pem"));
    std::fs::write(&key_file, &partner.key_pem).unwrap();
    std::fs::write(&platform_file, keys["data"][0]["public_key_pem"].as_str().unwrap()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/client/wechatpay_sdk.py");
    let args: Vec<String> = vec![
        app.address.clone(),
        partner.mchid.clone(),
        key_file.display().to_string(),
        partner.serial.clone(),
        platform_file.display().to_string(),
        keys["data"][0]["public_key_id"].as_str().unwrap().to_owned(),
        partner.stores[0].clone(),
        code,
        partner.offer.clone(),
    ];
    let run = tokio::task::spawn_blocking(move || {
        Command::new(python).arg(script).args(args).env("NO_PROXY", "127.0.0.1").output()
    })
    .await
    .unwrap()
    .expect("python runs");
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    let out: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(out["verify"]["status"], 200, "{out}");
    assert_eq!(out["verify"]["body"]["activated"], true);
    assert_eq!(out["sale"]["status"], 201, "{out}");
    assert_eq!(out["sale"]["body"]["discount_fen"], 2_000);
    assert_eq!(out["sale"]["body"]["till_ref"], "POS-SDK/收银员 1");
    assert_eq!(out["list"]["status"], 200);
    assert_eq!(out["list"]["body"]["items"][0]["id"], out["sale"]["body"]["id"]);
    assert_eq!(out["reversal"]["status"], 200);
    assert!(out["reversal"]["body"]["reversed_at"].is_string());
    assert_eq!(out["error"]["status"], 404);
    assert!(out["error"]["body"]["code"].is_string() && out["error"]["body"]["message"].is_string(), "{out}");
}

//! Several API instances on one database and one Redis (a node or a cluster): what one instance sends or counts, the
//! other sees; a claim flood through both stays exact.

use domain::admin::Role;
use serde_json::json;
use tests::{on_each_redis, Backend, Options, Req, TestApp};

on_each_redis!(two_instances_share_codes_limits_and_stock);

async fn two_instances_share_codes_limits_and_stock(backend: Backend) {
    // The real resend interval: the per-phone limit is what is shared.
    let options = || Options::default().var("SGH_OTP_RESEND_SECS", 60);
    let a = TestApp::spawn_with(backend, options()).await;
    let b = TestApp::start(a.env.share(), options()).await;

    // A code sent through one instance signs in through the other; the phone's limit counts both.
    let phone = "13700000001";
    assert_eq!(a.request_code(phone).await.status, 202);
    let again = b.request_code(phone).await;
    again.problem(429, "rate_limited");
    let code = a.sms.last_code(phone);
    let signed_in = b.send(Req::post("/v1/auth/token").json(json!({"phone": phone, "code": code}))).await;
    assert_eq!(signed_in.status, 200, "{}", signed_in.text());
    // …and is spent there: the first instance refuses it.
    let reused = a.send(Req::post("/v1/auth/token").json(json!({"phone": phone, "code": code}))).await;
    assert_eq!(reused.status, 401, "{}", reused.text());

    // A flood through both: exactly the stock, each slot once, nobody twice.
    let op = a.staff(Role::Operator).await;
    let (campaign, gift) = a.live_campaign(&op, 40, 1, 1).await;
    let members = a.activated_members(100, "SZ-500").await;
    let (first, second) = members.split_at(50);
    let through = |app: &TestApp, tokens: &[String]| {
        tokens.iter().map(|t| app.claim_req(t, &campaign, &gift, "k")).collect::<Vec<_>>()
    };
    let (ra, rb) = futures_util::future::join(a.send_all(through(&a, first)), b.send_all(through(&b, second))).await;
    let granted = ra.iter().chain(&rb).filter(|r| r.status == 201).count();
    let sold_out = ra.iter().chain(&rb).filter(|r| r.status == 409).count();
    assert_eq!((granted, sold_out), (40, 60), "{:?}", ra.iter().chain(&rb).map(|r| r.status).collect::<Vec<_>>());
    assert_eq!(a.count("SELECT count(*) AS n FROM claims").await, 40);
    assert_eq!(a.count("SELECT count(DISTINCT slot) AS n FROM claims WHERE slot BETWEEN 1 AND 40").await, 40);
    assert_eq!(a.count("SELECT count(DISTINCT member_id) AS n FROM claims").await, 40);
    // Each member's second try, through the other instance, is refused.
    let (ra, rb) = futures_util::future::join(a.send_all(through(&a, second)), b.send_all(through(&b, first))).await;
    assert_eq!(ra.iter().chain(&rb).filter(|r| r.status == 201).count(), 0);
    assert_eq!(a.count("SELECT count(*) AS n FROM claims").await, 40);
}

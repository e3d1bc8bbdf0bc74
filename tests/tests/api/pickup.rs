//! Redeeming vouchers at pickup points.

use domain::admin::Role;
use serde_json::json;
use tests::{on_both_backends, Backend, Req, TestApp};

on_both_backends!(vouchers_are_redeemed_once_at_a_listed_point_by_its_operator);

async fn vouchers_are_redeemed_once_at_a_listed_point_by_its_operator(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.staff(Role::Admin).await;
    let op = app.staff(Role::Operator).await;
    let (campaign, gift) = app.live_campaign(&op, 5, 1, 1).await;
    let members = app.activated_members(3, "SZ-600").await;
    let code = |reply: tests::Reply| reply.json()["voucher_code"].as_str().unwrap().to_owned();
    let v1 = code(app.send(app.claim_req(&members[0], &campaign, &gift, "k")).await);
    let v2 = code(app.send(app.claim_req(&members[1], &campaign, &gift, "k")).await);

    let point = |name: &str| {
        Req::post("/v1/admin/pickup-points")
            .bearer(&op)
            .json(json!({"name": name, "kind": "center", "address": "星海街 200 号"}))
    };
    let here = app.send(point("园区职工服务中心")).await.json()["id"].as_str().unwrap().to_owned();
    let elsewhere = app.send(point("吴中职工服务站")).await.json()["id"].as_str().unwrap().to_owned();
    let listing = Req::new(
        actix_web::http::Method::PUT,
        &format!("/v1/admin/campaigns/{campaign}/gifts/{gift}/pickup-points/{here}"),
    )
    .bearer(&op);
    assert_eq!(app.send(listing).await.status, 204);

    let clerk_id = app.create_admin("clerk.here", Role::PickupOperator, None).await;
    let other_id = app.create_admin("clerk.there", Role::PickupOperator, None).await;
    let assign = |point: &str, id: &str| {
        Req::new(actix_web::http::Method::PUT, &format!("/v1/admin/pickup-points/{point}/operators/{id}")).bearer(&root)
    };
    assert_eq!(app.send(assign(&here, &clerk_id)).await.status, 204);
    assert_eq!(app.send(assign(&elsewhere, &other_id)).await.status, 204);
    let op_id = app.send(Req::get("/v1/admin/me").bearer(&op)).await.json()["id"].as_str().unwrap().to_owned();
    app.send(assign(&here, &op_id)).await.problem(422, "pickup_point.not_an_operator");
    let clerk = app.login("clerk.here").await;
    let other = app.login("clerk.there").await;

    // Pickup operators redeem and nothing else.
    app.send(Req::get("/v1/admin/users").bearer(&clerk)).await.problem(403, "auth.forbidden");
    assert_eq!(app.send(Req::get("/v1/admin/me").bearer(&clerk)).await.json()["role"], "pickup_operator");

    let voucher = |token: &str, path: &str, code: &str, point: &str| {
        Req::post(&format!("/v1/pickup/vouchers/{path}"))
            .bearer(token)
            .json(json!({"code": code, "pickup_point_id": point}))
    };
    let checked = app.send(voucher(&clerk, "check", &v1.to_lowercase(), &here)).await.json();
    assert_eq!((checked["redeemable"].as_bool(), checked["gift_name"].as_str()), (Some(true), Some("月饼礼盒")));
    // Checking changed nothing; only this point's operators may even look.
    app.send(voucher(&other, "check", &v1, &here)).await.problem(403, "auth.forbidden");
    app.send(voucher(&op, "redeem", &v1, &here)).await.problem(403, "auth.forbidden");

    let redeemed = app.send(voucher(&clerk, "redeem", &v1, &here)).await;
    assert_eq!(redeemed.status, 200, "{}", redeemed.text());
    // A success says so, unlike the check's refusal for an already redeemed voucher.
    assert_eq!(redeemed.json()["redeemed"], true, "{}", redeemed.text());
    assert_eq!(redeemed.json()["pickup_point_id"], here.as_str());
    assert!(redeemed.json()["redeemed_at"].as_str().unwrap().ends_with("+08:00"));
    let again = app.send(voucher(&clerk, "redeem", &v1, &here)).await;
    assert_eq!(again.status, 200, "a retry of the same redemption answers the same");
    assert_eq!(again.json()["redeemed_at"], redeemed.json()["redeemed_at"]);
    // The other point does not hand out this gift.
    app.send(voucher(&other, "redeem", &v2, &elsewhere)).await.problem(409, "voucher.wrong_point");
    let body = app.send(voucher(&clerk, "check", &v1, &here)).await.json();
    assert_eq!((body["redeemable"].as_bool(), body["reason"].as_str()), (Some(false), Some("redeemed")));

    // Validity is checked at the moment of redemption: a voucher that expired a second ago is refused.
    let v3 = code(app.send(app.claim_req(&members[2], &campaign, &gift, "k")).await);
    let db = app.database().await;
    let expire = format!(
        "UPDATE claims SET expires_at = '{}' WHERE voucher_code = '{v3}'",
        (chrono::Utc::now() - chrono::Duration::seconds(1)).naive_utc().format("%Y-%m-%d %H:%M:%S")
    );
    db.run(move |conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query(expire).execute(conn).map_err(anyhow::Error::from)
    })
    .await
    .unwrap();
    let checked = app.send(voucher(&clerk, "check", &v3, &here)).await.json();
    assert_eq!(checked["reason"], "expired");
    app.send(voucher(&clerk, "redeem", &v3, &here)).await.problem(409, "voucher.expired");

    let typo = format!("{}{}", &v2[..12], if v2.ends_with('2') { '3' } else { '2' });
    app.send(voucher(&clerk, "redeem", &typo, &here)).await.problem(404, "voucher.not_found");

    // Vouchers of a cancelled campaign are void.
    assert_eq!(app.send(Req::post(&format!("/v1/admin/campaigns/{campaign}/cancel")).bearer(&op)).await.status, 200);
    app.send(voucher(&clerk, "redeem", &v2, &here)).await.problem(409, "voucher.voided");

    let report = app.send(Req::get(&format!("/v1/admin/campaigns/{campaign}/report")).bearer(&op)).await.json();
    assert_eq!((report["gifts"][0]["redeemed"].as_u64(), report["gifts"][0]["voided"].as_u64()), (Some(1), Some(2)));
    assert_eq!(report["spent_fen"], 8800, "the redeemed one stays spent, the voided ones are returned");
}

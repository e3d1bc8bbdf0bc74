//! Campaign gift vouchers redeemed at partner stores (核销) through the signed partner API: once,
//! before they expire, where their gift is listed; recorded with store and till; an event to the
//! merchant.

use domain::admin::Role;
use serde_json::json;
use tests::receiver::WebhookReceiver;
use tests::{on_both_backends, Backend, Req, TestApp};

on_both_backends!(vouchers_are_redeemed_once_at_a_listed_store);

async fn vouchers_are_redeemed_once_at_a_listed_store(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let (campaign, gift) = app.live_campaign(&staff, 5, 1, 1).await;
    let members = app.activated_members(2, "SZ-600").await;
    let code = |reply: tests::Reply| reply.json()["voucher_code"].as_str().unwrap().to_owned();
    let v1 = code(app.send(app.claim_req(&members[0], &campaign, &gift, "k")).await);
    let v2 = code(app.send(app.claim_req(&members[1], &campaign, &gift, "k")).await);
    let partner = app.partner(&staff, 0, json!({})).await;
    let other = app.partner(&staff, 1, json!({})).await;
    let receiver = WebhookReceiver::start(&[]);
    let endpoint = Req::put("/v1/partner/webhook-endpoint").json(json!({"url": receiver.url}));
    assert_eq!(app.send(partner.sign(&app, endpoint)).await.status, 200);

    let (here, not_listed) = (&partner.stores[0], &partner.stores[1]);
    let listing = format!("/v1/admin/campaigns/{campaign}/gifts/{gift}/stores/{here}");
    assert_eq!(app.send(Req::put(&listing).bearer(&staff)).await.status, 204);
    let nowhere = format!("/v1/admin/campaigns/{campaign}/gifts/{gift}/stores/0193a2c4-8b00-7d11-8e21-6a7b8c9d0e24");
    app.send(Req::put(&nowhere).bearer(&staff)).await.problem(404, "store.not_found");

    let check = |store: &str, code: &str| {
        Req::post("/v1/partner/vouchers/check").json(json!({"store_id": store, "code": code}))
    };
    let redeem = |store: &str, code: &str| {
        Req::post("/v1/partner/vouchers/redeem").json(json!({"store_id": store, "code": code, "till_ref": "POS-03"}))
    };
    let checked = app.send(partner.sign(&app, check(here, &v1.to_lowercase()))).await;
    assert_eq!(checked.status, 200, "{}", checked.text());
    app.assert_signed(&checked).await;
    assert_eq!(checked.json()["redeemable"], true);
    let wrong = app.send(partner.sign(&app, check(not_listed, &v1))).await.json();
    assert_eq!(wrong["reason"], "wrong_point");
    app.send(partner.sign(&app, redeem(not_listed, &v1))).await.problem(409, "voucher.wrong_point");
    // Another merchant cannot even name this merchant's store.
    app.send(other.sign(&app, redeem(here, &v1))).await.problem(404, "store.not_found");

    let redeemed = app.send(partner.sign(&app, redeem(here, &v1))).await;
    assert_eq!(redeemed.status, 200, "{}", redeemed.text());
    let body = redeemed.json();
    assert_eq!((body["redeemed"].as_bool(), body["store_id"].as_str()), (Some(true), Some(here.as_str())));
    // A retry of the same redemption answers the same; elsewhere it is already redeemed.
    let again = app.send(partner.sign(&app, redeem(here, &v1))).await.json();
    assert_eq!(again["redeemed_at"], body["redeemed_at"]);
    app.send(partner.sign(&app, check(not_listed, &v1))).await;
    app.send(partner.sign(&app, redeem(not_listed, &v1))).await.problem(409, "voucher.redeemed");
    app.send(partner.sign(&app, redeem(here, "ZZZZ-ZZZZ-ZZZZZ"))).await.problem(404, "voucher.not_found");
    let till: Vec<String> = {
        let db = app.database().await;
        db.run(|conn| {
            use diesel::RunQueryDsl;
            #[derive(diesel::QueryableByName)]
            struct T {
                #[diesel(sql_type = diesel::sql_types::Text)]
                t: String,
            }
            let rows: Vec<T> =
                diesel::sql_query("SELECT redeemed_till_ref AS t FROM claims WHERE redeemed_store IS NOT NULL")
                    .load(conn)?;
            Ok::<_, anyhow::Error>(rows.into_iter().map(|r| r.t).collect())
        })
        .await
        .unwrap()
    };
    assert_eq!(till, ["POS-03"]);

    // The merchant hears of it, once.
    let events = receiver.wait_for(1).await;
    let event: serde_json::Value = serde_json::from_str(&events[0].body).unwrap();
    assert_eq!(event["type"], "voucher.redeemed");
    assert_eq!(event["data"]["store_id"], here.as_str());
    assert_eq!(event["data"]["till_ref"], "POS-03");
    assert!(!events[0].body.contains(&v1), "the voucher code is not sent around");

    // Expired vouchers are refused, on the server's clock.
    app.clock.advance(chrono::Duration::days(400));
    app.send(partner.sign(&app, redeem(here, &v2))).await.problem(409, "voucher.expired");
    assert_eq!(receiver.received().len(), 1);
}

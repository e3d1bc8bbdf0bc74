//! The member's rights over their data: an export that holds everything kept about them, and
//! consent withdrawn (benefits stop at once, the records that must stay stay, and the member is told).

use chrono::Duration;
use domain::admin::Role;
use domain::members::roster::RosterStatus::Active;
use domain::shared::Clock;
use serde_json::{json, Value};
use tests::{on_both_backends, Backend, Req, TestApp};

async fn export(app: &TestApp, token: &str) -> Value {
    let reply = app.send(Req::get("/v1/me/export").bearer(token)).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

on_both_backends!(the_export_holds_everything_kept_about_the_member);

async fn the_export_holds_everything_kept_about_the_member(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let mut members = app.activated_members(2, "SZ-620").await;
    let (shopper, cardholder) = (members.remove(0), members.remove(0));

    // A voucher and a discounted sale for one; a card, a transaction and its rebate for the other.
    let (campaign, gift) = app.live_campaign(&staff, 5, 1, 1).await;
    assert_eq!(app.send(app.claim_req(&shopper, &campaign, &gift, "k")).await.status, 201);
    let partner = app.partner(&staff, 0, json!({})).await;
    app.sell_by_code(&partner, &shopper, "sale-1").await;
    let bank = app.bank(&staff, 3).await;
    app.card_merchant(&staff, "BOSZ-M-000620", json!({})).await;
    app.active_card(&cardholder, &bank, 62).await;
    let tx = json!({"transaction_id": "TX-620", "bank_merchant_id": "BOSZ-M-000620", "account_token": "acct_tok_00000062",
        "amount_fen": 12_800, "occurred_at": app.clock.now()});
    let fed = app.send(bank.sign(&app, Req::post("/v1/bank/transactions").json(tx))).await;
    assert_eq!(fed.json()["outcome"], "rebated", "{}", fed.text());

    // An application to leave, open.
    let leave = app.send(Req::post("/v1/me/applications").bearer(&shopper).json(json!({"kind": "leave"}))).await;
    assert_eq!(leave.status, 201, "{}", leave.text());

    let mine = export(&app, &shopper).await;
    assert_eq!(mine["applications"].as_array().map(Vec::len), Some(1), "{}", mine["applications"]);
    assert_eq!(
        (&mine["applications"][0]["id"], &mine["applications"][0]["kind"]),
        (&leave.json()["id"], &json!("leave"))
    );
    let spells = app.send(Req::get("/v1/me/memberships").bearer(&shopper)).await.json();
    assert_eq!(mine["memberships"], spells["items"], "the spells of membership as the member reads them");
    assert_eq!(mine["member"]["status"], "activated");
    // What the account holds, whole, beside the masked view the app shows.
    let held = &mine["held"];
    let (phone, id, name) =
        (held["phone"].as_str().unwrap(), held["id_number"].as_str().unwrap(), held["name"].as_str().unwrap());
    assert!(phone.len() == 11 && phone.bytes().all(|b| b.is_ascii_digit()), "{held}");
    assert_eq!(format!("{}****{}", &phone[..3], &phone[7..]), mine["member"]["phone"].as_str().unwrap());
    assert_eq!(
        format!("{}**********{}", &id[..4], &id[14..]),
        mine["member"]["real_name"]["id_number"].as_str().unwrap()
    );
    let masked: String = name.chars().take(1).chain(name.chars().skip(1).map(|_| '*')).collect();
    assert_eq!(masked, mine["member"]["real_name"]["name"].as_str().unwrap());
    assert_eq!((held["real_name_bound"].as_bool(), held["suspension"].is_null()), (Some(true), true), "{held}");
    assert_eq!(mine["consents"].as_array().map(Vec::len), Some(1), "{}", mine["consents"]);
    assert_eq!(mine["consents"][0]["action"], "given");
    assert_eq!(mine["vouchers"][0]["gift_id"], gift.as_str());
    assert_eq!(
        (mine["discount_sales"][0]["merchant_name"].as_str(), mine["discount_sales"][0]["paid_fen"].as_i64()),
        (Some("松鹤楼"), Some(10_800))
    );
    assert!(mine["card"].is_null() && mine["card_transactions"] == json!([]) && mine["rebates"] == json!([]));

    let theirs = export(&app, &cardholder).await;
    assert_eq!(theirs["card"]["card"]["status"], "active", "{}", theirs["card"]);
    assert!(theirs["card"]["history"].as_array().is_some_and(|h| h.len() >= 3), "{}", theirs["card"]);
    assert_eq!(theirs["card_transactions"].as_array().map(Vec::len), Some(1), "{}", theirs["card_transactions"]);
    assert_eq!(theirs["rebates"].as_array().map(Vec::len), Some(1), "{}", theirs["rebates"]);
    assert_eq!(theirs["vouchers"], json!([]), "nobody else's vouchers");
    assert_eq!(theirs["discount_sales"], json!([]), "nobody else's sales");
    assert_eq!(theirs["applications"], json!([]), "nobody else's applications");
}

on_both_backends!(withdrawn_consent_stops_benefits_at_once_and_says_what_is_kept);

async fn withdrawn_consent_stops_benefits_at_once_and_says_what_is_kept(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Operator).await;
    let token = app.activated_members(1, "SZ-621").await.remove(0);
    let (campaign, gift) = app.live_campaign(&staff, 5, 1, 1).await;
    // A cardholder whose purchases earn rebates, and a worker about to bind their name.
    let admin = app.staff(Role::Admin).await;
    let bank = app.bank(&admin, 3).await;
    app.card_merchant(&admin, "BOSZ-M-000621", json!({})).await;
    app.active_card(&token, &bank, 63).await;
    let purchase = |id: &str| {
        let tx = json!({"transaction_id": id, "bank_merchant_id": "BOSZ-M-000621", "account_token": "acct_tok_00000063",
            "amount_fen": 12_800, "occurred_at": app.clock.now()});
        bank.sign(&app, Req::post("/v1/bank/transactions").json(tx))
    };
    let fed = app.send(purchase("TX-621-1")).await;
    assert_eq!(fed.json()["outcome"], "rebated", "{}", fed.text());
    app.seed_roster(&[("赵会员", &tests::members::id_number("19900101", 621), "SZ-621", Active)]).await;
    let binder = app.unlisted_member(621).await;
    let binder_withdrew = app.send(Req::post("/v1/me/consents/withdrawal").bearer(&binder)).await;
    assert_eq!(binder_withdrew.status, 200, "{}", binder_withdrew.text());
    let bind = app
        .send(Req::put("/v1/me/real-name").bearer(&binder).json(json!({"name": "赵会员",
            "id_number": tests::members::id_number("19900101", 621)})))
        .await;
    bind.problem(403, "consent.required");
    // The member's page has just been read: the withdrawal must not wait for it to go stale.
    assert_eq!(app.send(Req::get("/v1/campaigns").bearer(&token)).await.status, 200);

    let withdraw = || Req::post("/v1/me/consents/withdrawal").bearer(&token);
    let (a, b) = futures_util::future::join(app.send(withdraw()), app.send(withdraw())).await;
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "two withdrawals at once: one is recorded");
    let done = if a.status == 200 { a } else { b };
    let body = done.json();
    assert!(body["member"]["consent"].is_null(), "{body}");
    assert!(body["stopped"].as_array().unwrap().contains(&json!("gift_claims")));
    let kept: Vec<&str> = body["kept"].as_array().unwrap().iter().map(|k| k["record"].as_str().unwrap()).collect();
    assert!(kept.contains(&"vouchers") && kept.contains(&"consent_history"), "{kept:?}");
    assert_eq!(body["erase_with"], "DELETE /v1/me");

    // At once: no gift, no member code for a till.
    app.send(app.claim_req(&token, &campaign, &gift, "after")).await.problem(403, "consent.required");
    let code = app.send(Req::post("/v1/me/member-code").bearer(&token)).await;
    assert_eq!(code.status, 403, "{}", code.text());
    assert_eq!(app.count("SELECT count(*) AS n FROM claims").await, 0);
    // The card's purchases earn nothing from the moment of withdrawal.
    let fed = app.send(purchase("TX-621-2")).await;
    assert_eq!(fed.json()["outcome"], "not_in_standing", "{}", fed.text());
    // The account stays: the member reads and exports; the history shows both steps.
    let history = export(&app, &token).await["consents"].clone();
    let actions: Vec<&str> = history.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["given", "withdrawn"]);
    app.send(withdraw()).await.problem(409, "consent.not_given");

    // Consenting again brings the benefits back.
    app.clock.advance(Duration::seconds(1));
    let version = app.config.members.privacy_policy_version.clone();
    let again = app.send(Req::post("/v1/me/consents").bearer(&token).json(json!({"version": version}))).await;
    assert_eq!(again.status, 200, "{}", again.text());
    assert_eq!(app.send(app.claim_req(&token, &campaign, &gift, "again")).await.status, 201);
    let history = export(&app, &token).await["consents"].as_array().unwrap().len();
    assert_eq!(history, 3);
}

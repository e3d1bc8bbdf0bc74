//! The bank's card transactions: matched to partner merchants and cardholder offers, rebated
//! within the offers' limits (also under concurrency), exactly once per transaction id, one by
//! one and in batches; the daily payout file; the member's own lists.

use chrono::Duration;
use domain::admin::Role;
use domain::shared::Clock;
use serde_json::{json, Value};
use tests::{on_both_backends, Backend, Req, TestApp};

on_both_backends!(
    card_transactions_earn_rebates_once_each_and_fill_the_payout_file,
    concurrent_transactions_earn_no_more_rebates_than_the_limit,
    identical_batches_posted_at_once_keep_each_transaction_once,
    daily_limits_count_each_day_whatever_order_the_days_come_in,
    when_the_best_offer_is_used_up_the_next_one_pays,
    offers_are_judged_as_they_stood_when_the_purchase_happened,
    a_purchase_discounted_at_the_till_earns_no_rebate_on_top,
);

fn tx(id: &str, bank_merchant: &str, token: &str, amount: i64, at: chrono::DateTime<chrono::Utc>) -> Value {
    json!({"transaction_id": id, "bank_merchant_id": bank_merchant, "account_token": token, "amount_fen": amount,
        "occurred_at": at})
}

async fn card_transactions_earn_rebates_once_each_and_fill_the_payout_file(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let bank = app.bank(&staff, 3).await;
    app.card_merchant(&staff, "BOSZ-M-000101", json!({"total_limit": 2})).await;
    let mut members = app.activated_members(2, "SZ001").await;
    let (member, other) = (members.remove(0), members.remove(0));
    app.active_card(&member, &bank, 41).await;
    let token = "acct_tok_00000041";
    let now = app.clock.now();
    let post = |body: Value| bank.sign(&app, Req::post("/v1/bank/transactions").json(body));

    let first = app.send(post(tx("TX-1", "BOSZ-M-000101", token, 12_800, now))).await;
    assert_eq!(first.status, 200, "{}", first.text());
    app.assert_signed(&first).await;
    assert_eq!((first.json()["outcome"].as_str(), first.json()["rebate_fen"].as_i64()), (Some("rebated"), Some(3_000)));
    // The same transaction again: the same answer, no second rebate.
    assert_eq!(app.send(post(tx("TX-1", "BOSZ-M-000101", token, 12_800, now))).await.json(), first.json());
    // The same id with other content is not the same transaction: 409 naming both, nothing taken.
    let changed = app.send(post(tx("TX-1", "BOSZ-M-000101", token, 1_280, now))).await;
    let both = changed.problem(409, "bank.transaction_conflict");
    assert_eq!(
        (both["first"]["amount_fen"].as_i64(), both["again"]["amount_fen"].as_i64()),
        (Some(12_800), Some(1_280))
    );
    let twice = json!({"transactions": [tx("TX-10", "BOSZ-M-000101", token, 100, now), tx("TX-10", "BOSZ-M-000101", token, 200, now)]});
    let refused = app.send(bank.sign(&app, Req::post("/v1/bank/transactions/batch").json(twice))).await;
    assert_eq!(refused.problem(409, "bank.transaction_conflict")["transaction_id"], "TX-10");
    assert_eq!(app.count("SELECT count(*) AS n FROM card_transactions WHERE transaction_id = 'TX-10'").await, 0);
    let outcome = |r: tests::Reply| r.json()["outcome"].as_str().unwrap().to_owned();
    // Once a day; unknown merchants are kept and reported; unknown cards kept.
    assert_eq!(outcome(app.send(post(tx("TX-2", "BOSZ-M-000101", token, 20_000, now))).await), "limit_reached");
    assert_eq!(outcome(app.send(post(tx("TX-3", "BOSZ-M-999999", token, 5_600, now))).await), "unknown_merchant");
    assert_eq!(
        outcome(app.send(post(tx("TX-4", "BOSZ-M-000101", "acct_tok_unknown1", 12_800, now))).await),
        "unknown_card"
    );
    app.send(post(tx("TX-5", "BOSZ-M-000101", token, 0, now))).await.problem(422, "validation.invalid_field");

    // A batch: each transaction on its own; posting it again changes nothing.
    let tomorrow = now + Duration::days(1);
    let batch = json!({"transactions": [
        tx("TX-1", "BOSZ-M-000101", token, 12_800, now),
        tx("TX-6", "BOSZ-M-000101", token, -5, tomorrow),
        tx("TX-7", "BOSZ-M-000101", token, 5_000, tomorrow),
        tx("TX-8", "BOSZ-M-000101", token, 15_000, tomorrow),
        tx("TX-9", "BOSZ-M-000101", token, 15_000, tomorrow + Duration::days(1)),
    ]});
    let sent = app.send(bank.sign(&app, Req::post("/v1/bank/transactions/batch").json(batch.clone()))).await;
    assert_eq!(sent.status, 200, "{}", sent.text());
    let answer = sent.json();
    assert_eq!((answer["accepted"].as_u64(), answer["rejected"].as_u64()), (Some(4), Some(1)));
    let outcomes: Vec<Value> = answer["results"].as_array().unwrap().iter().map(|r| r["outcome"].clone()).collect();
    // 50.00 is under the threshold; the second rebate uses the total limit of 2; a third has none left.
    assert_eq!(outcomes, [json!("rebated"), Value::Null, json!("no_offer"), json!("rebated"), json!("limit_reached")]);
    assert_eq!(answer["results"][1]["problem"]["field"], "amount_fen");
    let again = app.send(bank.sign(&app, Req::post("/v1/bank/transactions/batch").json(batch))).await.json();
    assert_eq!(again, answer);
    let too_many: Vec<Value> = (0..1_001).map(|i| tx(&format!("B-{i}"), "BOSZ-M-000101", token, 100, now)).collect();
    let refused =
        app.send(bank.sign(&app, Req::post("/v1/bank/transactions/batch").json(json!({"transactions": too_many}))));
    refused.await.problem(422, "validation.invalid_field");

    // A frozen card earns nothing.
    app.send(Req::post("/v1/me/card/freeze").bearer(&member)).await;
    assert_eq!(outcome(app.send(post(tx("TX-10", "BOSZ-M-000101", token, 12_800, now))).await), "card_not_active");

    // The member's lists, paged; the other member sees nothing.
    let mine = app.send(Req::get("/v1/me/card/transactions?limit=3").bearer(&member)).await.json();
    assert_eq!(mine["items"].as_array().unwrap().len(), 3);
    assert_eq!(mine["items"][0]["transaction_id"], "TX-10");
    let cursor = mine["next_cursor"].as_str().unwrap();
    let rest = app.send(Req::get(&format!("/v1/me/card/transactions?cursor={cursor}")).bearer(&member)).await.json();
    // TX-1, TX-2, TX-7, TX-8, TX-9, TX-10 are this card's (TX-3's merchant is unknown, still the card's).
    assert_eq!(rest["items"].as_array().unwrap().len() + 3, 7, "{rest}");
    let rebates = app.send(Req::get("/v1/me/rebates").bearer(&member)).await.json();
    let got: Vec<i64> =
        rebates["items"].as_array().unwrap().iter().map(|r| r["rebate_fen"].as_i64().unwrap()).collect();
    assert_eq!(got, [3_000, 3_000]);
    assert_eq!(app.send(Req::get("/v1/me/rebates").bearer(&other)).await.json()["items"], json!([]));
    assert_eq!(app.send(Req::get("/v1/me/card/transactions").bearer(&other)).await.json()["items"], json!([]));
    // The day's payout file, once the day is over: both rebates, the union pays, the unknown
    // merchant reported.
    let day = now.with_timezone(&domain::campaigns::SHANGHAI).date_naive();
    let early = app.send(bank.sign(&app, Req::get(&format!("/v1/bank/rebates?date={day}")))).await;
    assert_eq!(
        early.problem(409, "day.not_closed")["closes_at"],
        format!("{}T00:00:00+08:00", day + Duration::days(1))
    );
    app.clock.advance(Duration::days(2));
    let file = app.send(bank.sign(&app, Req::get(&format!("/v1/bank/rebates?date={day}")))).await;
    assert_eq!(file.status, 200, "{}", file.text());
    app.assert_signed(&file).await;
    let file = file.json();
    assert_eq!((file["count"].as_u64(), file["total_rebate_fen"].as_i64()), (Some(2), Some(6_000)));
    let union = file["by_funder"].as_array().unwrap().iter().find(|f| f["funder"] == "union").unwrap().clone();
    assert_eq!(union["rebate_fen"], 6_000);
    assert_eq!(
        file["unknown_merchants"],
        json!([{"bank_merchant_id": "BOSZ-M-999999", "transactions": 1, "amount_fen": 5_600}])
    );
    let ids: Vec<&str> =
        file["rebates"].as_array().unwrap().iter().map(|r| r["transaction_id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["TX-1", "TX-8"]);
    let csv = app.send(bank.sign(&app, Req::get(&format!("/v1/bank/rebates?date={day}&format=csv")))).await;
    assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
    let text = csv.text();
    assert!(text.contains("rebate,TX-1,BOSZ-M-000101,得月楼") && text.contains("total,,,,,,,,6000"), "{text}");
    let empty = app.send(bank.sign(&app, Req::get("/v1/bank/rebates?date=2020-01-01"))).await.json();
    assert_eq!((empty["count"].as_u64(), empty["total_rebate_fen"].as_i64()), (Some(0), Some(0)));

    app.assert_books_balance().await;
}

async fn concurrent_transactions_earn_no_more_rebates_than_the_limit(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let bank = app.bank(&staff, 3).await;
    app.card_merchant(&staff, "BOSZ-M-000202", json!({})).await;
    let member = app.activated_members(1, "SZ001").await.remove(0);
    app.active_card(&member, &bank, 51).await;
    let now = app.clock.now();
    let reqs: Vec<Req> = (0..20)
        .map(|i| {
            let body = tx(&format!("C-{i}"), "BOSZ-M-000202", "acct_tok_00000051", 12_800, now);
            bank.sign(&app, Req::post("/v1/bank/transactions").json(body))
        })
        .collect();
    let replies = app.send_all(reqs).await;
    let rebated = replies.iter().filter(|r| r.json()["outcome"] == "rebated").count();
    let limited = replies.iter().filter(|r| r.json()["outcome"] == "limit_reached").count();
    assert_eq!((rebated, limited), (1, 19), "{:?}", replies.iter().map(|r| r.text()).collect::<Vec<_>>());
    let day = now.with_timezone(&domain::campaigns::SHANGHAI).date_naive();
    app.clock.advance(Duration::days(1));
    let file = app.send(bank.sign(&app, Req::get(&format!("/v1/bank/rebates?date={day}")))).await.json();
    assert_eq!(file["total_rebate_fen"], 3_000);
    app.assert_books_balance().await;
}

async fn identical_batches_posted_at_once_keep_each_transaction_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let bank = app.bank(&staff, 3).await;
    app.card_merchant(&staff, "BOSZ-M-000303", json!({"daily_limit": null, "total_limit": 30})).await;
    let members = app.activated_members(3, "SZ001").await;
    for (i, member) in members.iter().enumerate() {
        app.active_card(member, &bank, 60 + i as u64).await;
    }
    let now = app.clock.now();
    // 60 transactions over three cards, one of them twice in the batch itself.
    let mut items: Vec<Value> = (0..60)
        .map(|i| tx(&format!("D-{i}"), "BOSZ-M-000303", &format!("acct_tok_{:08}", 60 + i % 3), 10_000, now))
        .collect();
    items.push(items[0].clone());
    let batch = json!({"transactions": items});
    let reqs = (0..4).map(|_| bank.sign(&app, Req::post("/v1/bank/transactions/batch").json(batch.clone()))).collect();
    let replies = app.send_all(reqs).await;
    for r in &replies {
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json(), replies[0].json(), "every copy gets the same answers");
    }
    let results = replies[0].json()["results"].as_array().unwrap().clone();
    assert_eq!(results[0], results[60], "a repeat within the batch gets the first's answer");
    let rebated = results[..60].iter().filter(|r| r["outcome"] == "rebated").count();
    assert_eq!(rebated, 60, "20 a card, within the total of 30");
    assert_eq!(app.count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM card_transactions").await, 60);
    assert_eq!(app.count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM rebates").await, 60);
    assert_eq!(app.count("SELECT CAST(SUM(total_used) AS BIGINT) AS n FROM offer_usage").await, 60);
    app.assert_books_balance().await;
}

/// The outcomes of `txs` sent one by one.
async fn outcomes_one_by_one(app: &TestApp, bank: &tests::partners::Partner, txs: Vec<Value>) -> Vec<String> {
    let mut outcomes = Vec::new();
    for body in txs {
        let reply = app.send(bank.sign(app, Req::post("/v1/bank/transactions").json(body))).await;
        assert_eq!(reply.status, 200, "{}", reply.text());
        outcomes.push(reply.json()["outcome"].as_str().unwrap().to_owned());
    }
    outcomes
}

async fn daily_limits_count_each_day_whatever_order_the_days_come_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let bank = app.bank(&staff, 3).await;
    // Once a day, as a T+1 feed and late batches report them: D2, D1, D2, D1, D2.
    app.card_merchant(&staff, "BOSZ-M-000404", json!({})).await;
    let members = app.activated_members(2, "SZ001").await;
    app.active_card(&members[0], &bank, 71).await;
    app.active_card(&members[1], &bank, 72).await;
    let (d1, d2) = (app.clock.now(), app.clock.now() + Duration::days(1));
    let days = [d2, d1, d2, d1, d2];
    let expected = ["rebated", "rebated", "limit_reached", "limit_reached", "limit_reached"];
    let one_by_one =
        days.iter().enumerate().map(|(i, at)| tx(&format!("E-{i}"), "BOSZ-M-000404", "acct_tok_00000071", 12_800, *at));
    assert_eq!(outcomes_one_by_one(&app, &bank, one_by_one.collect()).await, expected);
    let batch: Vec<Value> = days
        .iter()
        .enumerate()
        .map(|(i, at)| tx(&format!("F-{i}"), "BOSZ-M-000404", "acct_tok_00000072", 12_800, *at))
        .collect();
    let sent =
        app.send(bank.sign(&app, Req::post("/v1/bank/transactions/batch").json(json!({"transactions": batch})))).await;
    assert_eq!(sent.status, 200, "{}", sent.text());
    let outcomes: Vec<Value> =
        sent.json()["results"].as_array().unwrap().iter().map(|r| r["outcome"].clone()).collect();
    assert_eq!(outcomes, expected.map(|o| json!(o)));
    assert_eq!(app.count("SELECT CAST(SUM(total_used) AS BIGINT) AS n FROM offer_usage").await, 4);
    assert_eq!(app.count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM offer_day_usage WHERE used = 1").await, 4);
    app.assert_books_balance().await;
}

async fn when_the_best_offer_is_used_up_the_next_one_pays(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let bank = app.bank(&staff, 3).await;
    // 满100减30 once in all, beside 10% off as often as the member likes, paid by the bank.
    let (merchant, _) = app.card_merchant(&staff, "BOSZ-M-000505", json!({"total_limit": 1})).await;
    let today = app.clock.now().with_timezone(&domain::campaigns::SHANGHAI).date_naive();
    let made = app
        .send(Req::post(&format!("/v1/admin/merchants/{merchant}/offers")).bearer(&staff).json(json!({
            "title": "持卡九折", "kind": "percent_off", "percent_bps": 1000, "valid_from": today,
            "valid_until": today + Duration::days(30), "audience": "cardholders", "funder": "bank"
        })))
        .await;
    assert_eq!(made.status, 201, "{}", made.text());
    app.set_offer_status(&staff, &merchant, made.json()["id"].as_str().unwrap(), "published").await;
    let member = app.activated_members(1, "SZ001").await.remove(0);
    app.active_card(&member, &bank, 81).await;
    let now = app.clock.now();
    let mut rebates = Vec::new();
    for (i, at) in [now, now, now + Duration::days(1)].into_iter().enumerate() {
        let body = tx(&format!("G-{i}"), "BOSZ-M-000505", "acct_tok_00000081", 12_800, at);
        let reply = app.send(bank.sign(&app, Req::post("/v1/bank/transactions").json(body))).await.json();
        assert_eq!(reply["outcome"], "rebated", "{reply}");
        rebates.push(reply["rebate_fen"].as_i64().unwrap());
    }
    assert_eq!(rebates, [3_000, 1_280, 1_280]);
    let by_bank = app.count("SELECT CAST(SUM(amount_fen) AS BIGINT) AS n FROM rebates WHERE funder = 'bank'").await;
    let by_union = app.count("SELECT CAST(SUM(amount_fen) AS BIGINT) AS n FROM rebates WHERE funder = 'union'").await;
    assert_eq!((by_bank, by_union), (2_560, 3_000));
    app.assert_books_balance().await;
}

async fn offers_are_judged_as_they_stood_when_the_purchase_happened(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let bank = app.bank(&staff, 3).await;
    let published = app.clock.now();
    let (merchant, offer) = app.card_merchant(&staff, "BOSZ-M-000606", json!({"daily_limit": null})).await;
    let member = app.activated_members(1, "SZ001").await.remove(0);
    app.active_card(&member, &bank, 91).await;
    app.clock.advance(Duration::minutes(4));
    let paused = app.clock.now();
    app.set_offer_status(&staff, &merchant, &offer, "paused").await;
    app.clock.advance(Duration::minutes(4));
    let token = "acct_tok_00000091";
    let at = |id: &str, when| tx(id, "BOSZ-M-000606", token, 12_800, when);
    // Reported now, while the offer is paused: a purchase made while it was published still
    // earns; one before it was published, or after the pause, does not.
    let outcomes = outcomes_one_by_one(
        &app,
        &bank,
        vec![
            at("H-1", published - Duration::minutes(2)),
            at("H-2", published + Duration::minutes(2)),
            at("H-3", paused + Duration::minutes(2)),
        ],
    )
    .await;
    assert_eq!(outcomes, ["no_offer", "rebated", "no_offer"]);
    // Published again: a purchase made during the pause still earns nothing, in a batch too.
    app.set_offer_status(&staff, &merchant, &offer, "published").await;
    let batch = json!({"transactions": [at("H-4", paused + Duration::minutes(3)), at("H-5", app.clock.now())]});
    let sent = app.send(bank.sign(&app, Req::post("/v1/bank/transactions/batch").json(batch))).await.json();
    let outcomes: Vec<Value> = sent["results"].as_array().unwrap().iter().map(|r| r["outcome"].clone()).collect();
    assert_eq!(outcomes, [json!("no_offer"), json!("rebated")]);
    app.assert_books_balance().await;
}

async fn a_purchase_discounted_at_the_till_earns_no_rebate_on_top(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let bank = app.bank(&staff, 3).await;
    // One merchant the bank knows and whose till signs sales: 满100减30 for cardholders.
    let (merchant, offer) = app.card_merchant(&staff, "BOSZ-M-000909", json!({"daily_limit": null})).await;
    let store = app
        .send(Req::post(&format!("/v1/admin/merchants/{merchant}/stores")).bearer(&staff).json(json!({
            "name": "观前街店", "address": "苏州", "district": "姑苏区", "lat": 31.3107, "lng": 120.6237, "hours": "10:00-21:30"
        })))
        .await
        .json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (serial, key_pem) = app.register_key(&staff, &merchant, None, 0).await;
    let mchid = app.send(Req::get(&format!("/v1/admin/merchants/{merchant}")).bearer(&staff)).await.json()["merchant"]
        ["mchid"]
        .as_str()
        .unwrap()
        .to_owned();
    let till =
        tests::partners::Partner { merchant_id: merchant, mchid, stores: vec![store.clone()], offer, serial, key_pem };
    let member = app.activated_members(1, "SZ001").await.remove(0);
    app.active_card(&member, &bank, 121).await;
    // At the till: 150.00, 30.00 off, 120.00 paid with the card.
    let body = json!({"store_id": store, "offer_id": till.offer, "original_fen": 15_000, "till_ref": "POS-1",
        "channel": "pos", "member_code": app.card_code(&member).await});
    let sale =
        app.send(till.sign(&app, Req::post("/v1/partner/sales").header("idempotency-key", "t1").json(body))).await;
    assert_eq!((sale.status, sale.json()["paid_fen"].as_i64()), (201, Some(12_000)), "{}", sale.text());
    // The card payment of that purchase earns nothing more; a second payment of the same amount
    // (another purchase, no till sale left to match) and a larger one earn their rebates, one by
    // one and in a batch alike.
    let now = app.clock.now();
    let token = "acct_tok_00000121";
    let paid = |id: &str, amount: i64| tx(id, "BOSZ-M-000909", token, amount, now);
    assert_eq!(outcomes_one_by_one(&app, &bank, vec![paid("J-1", 12_000)]).await, ["discounted_at_till"]);
    let batch = json!({"transactions": [paid("J-2", 12_000), paid("J-3", 20_000)]});
    let sent = app.send(bank.sign(&app, Req::post("/v1/bank/transactions/batch").json(batch))).await.json();
    let got: Vec<(Value, Value)> =
        sent["results"].as_array().unwrap().iter().map(|r| (r["outcome"].clone(), r["rebate_fen"].clone())).collect();
    assert_eq!(got, [(json!("rebated"), json!(3_000)), (json!("rebated"), json!(3_000))]);
    let matched = "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM discount_sales WHERE card_transaction_id = 'J-1'";
    assert_eq!(app.count(matched).await, 1);
    app.assert_books_balance().await;
}

//! Closed payout days: a day's file is served once the Beijing day is over, its first serve
//! closes the day, and a write decided before midnight that commits after the bank's pull lands
//! in the next day's file, so a file once served never changes and nothing falls between two.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use domain::admin::Role;
use domain::campaigns::SHANGHAI;
use domain::shared::Clock;
use serde_json::{json, Value};
use tests::{on_both_backends, Backend, Req, TestApp};

on_both_backends!(a_served_payout_file_never_changes_and_later_writes_land_in_the_next_one);

fn beijing(day: NaiveDate, h: u32, m: u32, s: u32) -> chrono::DateTime<Utc> {
    SHANGHAI.from_local_datetime(&day.and_hms_opt(h, m, s).unwrap()).unwrap().with_timezone(&Utc)
}

fn tx(id: &str, merchant: &str, amount: i64, at: chrono::DateTime<Utc>) -> Value {
    json!({"transaction_id": id, "bank_merchant_id": merchant, "account_token": "acct_tok_00000111",
        "amount_fen": amount, "occurred_at": at})
}

async fn a_served_payout_file_never_changes_and_later_writes_land_in_the_next_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let day = app.clock.now().with_timezone(&SHANGHAI).date_naive();
    let next = day + Duration::days(1);
    app.clock.set(beijing(day, 23, 58, 0));
    let staff = app.staff(Role::Admin).await;
    let bank = app.bank(&staff, 3).await;
    app.card_merchant(&staff, "BOSZ-M-000808", json!({"daily_limit": null})).await;
    let member = app.activated_members(1, "SZ001").await.remove(0);
    app.active_card(&member, &bank, 111).await;
    let post = |body: Value| bank.sign(&app, Req::post("/v1/bank/transactions").json(body));
    let first = app.send(post(tx("P-1", "BOSZ-M-000808", 12_800, app.clock.now()))).await.json();
    assert_eq!(first["outcome"], "rebated", "{first}");

    // Just after midnight the bank pulls the day's file: that closes the day.
    app.clock.set(beijing(next, 0, 0, 30));
    let file = |d: NaiveDate| bank.sign(&app, Req::get(&format!("/v1/bank/rebates?date={d}")));
    let served = app.send(file(day)).await;
    assert_eq!(served.status, 200, "{}", served.text());
    let served = served.json();
    assert_eq!((served["count"].as_u64(), served["total_rebate_fen"].as_i64()), (Some(1), Some(3_000)));
    app.send(file(next)).await.problem(409, "day.not_closed");

    // A batch decided at 23:59:59 that commits after the pull, a refund beside it, and a
    // transaction at a merchant we do not know: all land in the next day's file.
    app.clock.set(beijing(day, 23, 59, 59));
    let late = app.send(post(tx("P-2", "BOSZ-M-000808", 20_000, app.clock.now()))).await.json();
    assert_eq!(late["outcome"], "rebated", "{late}");
    app.send(post(tx("P-3", "BOSZ-M-999999", 5_600, app.clock.now()))).await;
    let refund =
        json!({"refund_id": "PR-1", "transaction_id": "P-1", "kind": "reversal", "occurred_at": app.clock.now()});
    let refunded = app.send(bank.sign(&app, Req::post("/v1/bank/refunds").json(refund))).await.json();
    assert_eq!(
        (refunded["clawback_fen"].as_i64(), refunded["payout_day"].as_str()),
        (Some(3_000), Some(next.to_string().as_str()))
    );

    app.clock.set(beijing(next + Duration::days(1), 0, 0, 30));
    assert_eq!(app.send(file(day)).await.json(), served, "a served file never changes");
    let following = app.send(file(next)).await.json();
    let lines: Vec<(String, i64)> = following["rebates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["transaction_id"].as_str().unwrap().to_owned(), l["rebate_fen"].as_i64().unwrap()))
        .collect();
    assert_eq!(lines, [("P-2".to_owned(), 3_000), ("P-1".to_owned(), -3_000)]);
    assert_eq!(following["unknown_merchants"][0]["bank_merchant_id"], "BOSZ-M-999999");
    app.assert_books_balance().await;
}

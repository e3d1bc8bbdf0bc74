//! The bank's refunds and reversals: each kept once by its id, never more than was paid (also when
//! sent at once), the rebate following what the cardholder finally paid, clawed back on the payout
//! day the refund is processed, and a purchase refunded whole giving its offer use back.

use chrono::Duration;
use domain::admin::Role;
use domain::shared::Clock;
use serde_json::{json, Value};
use tests::{on_both_backends, Backend, Req, TestApp};

on_both_backends!(
    refunds_claw_back_what_the_rebate_no_longer_earns,
    refunds_sent_at_once_never_take_back_more_than_was_paid,
);

fn tx(id: &str, amount: i64, at: chrono::DateTime<chrono::Utc>) -> Value {
    json!({"transaction_id": id, "bank_merchant_id": "BOSZ-M-000707", "account_token": "acct_tok_00000101",
        "amount_fen": amount, "occurred_at": at})
}

fn refund(id: &str, tx: &str, kind: &str, amount: Option<i64>, at: chrono::DateTime<chrono::Utc>) -> Req {
    let mut body = json!({"refund_id": id, "transaction_id": tx, "kind": kind, "occurred_at": at});
    if let Some(amount) = amount {
        body["amount_fen"] = json!(amount);
    }
    Req::post("/v1/bank/refunds").json(body)
}

/// The bank, a merchant it knows with 满100减30 for cardholders once a day (paid by the union),
/// and a member holding card 101 (`acct_tok_00000101`).
async fn cardholder_at_a_merchant(backend: Backend) -> (TestApp, tests::partners::Partner, String) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let bank = app.bank(&staff, 3).await;
    app.card_merchant(&staff, "BOSZ-M-000707", json!({})).await;
    let member = app.activated_members(1, "SZ001").await.remove(0);
    app.active_card(&member, &bank, 101).await;
    (app, bank, member)
}

async fn refunds_claw_back_what_the_rebate_no_longer_earns(backend: Backend) {
    let (app, bank, member) = cardholder_at_a_merchant(backend).await;
    let (day1, bought) = (app.clock.now().with_timezone(&domain::campaigns::SHANGHAI).date_naive(), app.clock.now());
    let post_tx = |body: Value| bank.sign(&app, Req::post("/v1/bank/transactions").json(body));
    let first = app.send(post_tx(tx("R-1", 12_800, bought))).await.json();
    assert_eq!((first["outcome"].as_str(), first["rebate_fen"].as_i64()), (Some("rebated"), Some(3_000)));

    let answer = |r: &Value| (r["amount_fen"].as_i64(), r["clawback_fen"].as_i64(), r["remaining_fen"].as_i64());
    // 28.00 back leaves 100.00: still 满100, nothing clawed back. The same message again is the
    // same answer; the same id with another amount is a conflict naming both.
    let part = app.send(bank.sign(&app, refund("RF-1", "R-1", "refund", Some(2_800), bought))).await;
    assert_eq!(part.status, 200, "{}", part.text());
    app.assert_signed(&part).await;
    assert_eq!(answer(&part.json()), (Some(2_800), Some(0), Some(10_000)));
    let again = app.send(bank.sign(&app, refund("RF-1", "R-1", "refund", Some(2_800), bought))).await;
    assert_eq!(again.json(), part.json());
    let other = app.send(bank.sign(&app, refund("RF-1", "R-1", "refund", Some(2_900), bought))).await;
    let both = other.problem(409, "bank.refund_conflict");
    assert_eq!(
        (both["first"]["amount_fen"].as_i64(), both["again"]["amount_fen"].as_i64()),
        (Some(2_800), Some(2_900))
    );
    // One fen more and the purchase is under 100.00: the whole 30.00 comes back.
    let under = app.send(bank.sign(&app, refund("RF-2", "R-1", "refund", Some(1), bought))).await.json();
    assert_eq!(answer(&under), (Some(1), Some(3_000), Some(9_999)));
    // The member sees the clawback beside the rebate.
    let mine = app.send(Req::get("/v1/me/rebates").bearer(&member)).await.json();
    let lines: Vec<(i64, Value)> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["rebate_fen"].as_i64().unwrap(), r["refund_id"].clone()))
        .collect();
    assert_eq!(lines, [(-3_000, json!("RF-2")), (3_000, Value::Null)]);
    let exceeds = app.send(bank.sign(&app, refund("RF-3", "R-1", "refund", Some(10_000), bought))).await;
    assert_eq!(exceeds.problem(409, "bank.refund_exceeds")["remaining_fen"], 9_999);
    let not_all = app.send(bank.sign(&app, refund("RF-3", "R-1", "reversal", Some(5_000), bought))).await;
    not_all.problem(409, "bank.refund_exceeds");
    app.send(bank.sign(&app, refund("RF-9", "R-404", "refund", Some(100), bought)))
        .await
        .problem(409, "bank.transaction_not_kept");
    app.send(bank.sign(&app, refund("RF-9", "R-1", "refund", None, bought)))
        .await
        .problem(422, "validation.invalid_field");
    app.send(bank.sign(&app, refund("RF-9", "R-1", "return", Some(100), bought)))
        .await
        .problem(422, "validation.invalid_field");

    // Reversed whole (what is left): nothing more to claw back, and the day's use is given back,
    // so another purchase that day earns the offer again.
    let reversed = app.send(bank.sign(&app, refund("RF-4", "R-1", "reversal", None, bought))).await.json();
    assert_eq!(answer(&reversed), (Some(9_999), Some(0), Some(0)));
    let second = app.send(post_tx(tx("R-2", 15_000, bought + Duration::minutes(5)))).await.json();
    assert_eq!(second["outcome"], "rebated", "{second}");

    // Returned the next day: the clawback is on the next day's payout file.
    app.clock.advance(Duration::days(1));
    let day2 = day1 + Duration::days(1);
    let back = app.send(bank.sign(&app, refund("RF-5", "R-2", "refund", Some(15_000), app.clock.now()))).await.json();
    assert_eq!(
        (answer(&back), back["payout_day"].as_str()),
        ((Some(15_000), Some(3_000), Some(0)), Some(day2.to_string().as_str()))
    );

    app.clock.advance(Duration::days(1));
    let file = |day: chrono::NaiveDate| bank.sign(&app, Req::get(&format!("/v1/bank/rebates?date={day}")));
    let first_day = app.send(file(day1)).await.json();
    let lines: Vec<(String, i64, Value)> = first_day["rebates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                l["transaction_id"].as_str().unwrap().to_owned(),
                l["rebate_fen"].as_i64().unwrap(),
                l["refund_id"].clone(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("R-1".to_owned(), 3_000, Value::Null),
            ("R-1".to_owned(), -3_000, json!("RF-2")),
            ("R-2".to_owned(), 3_000, Value::Null)
        ]
    );
    assert_eq!(first_day["total_rebate_fen"], 3_000);
    let second_day = app.send(file(day2)).await.json();
    assert_eq!((second_day["count"].as_u64(), second_day["total_rebate_fen"].as_i64()), (Some(1), Some(-3_000)));
    let csv = app.send(bank.sign(&app, Req::get(&format!("/v1/bank/rebates?date={day2}&format=csv")))).await.text();
    assert!(
        csv.contains("clawback,R-2,BOSZ-M-000707") && csv.contains(",-3000,union,") && csv.contains(",RF-5\n"),
        "{csv}"
    );
    app.assert_books_balance().await;
}

async fn refunds_sent_at_once_never_take_back_more_than_was_paid(backend: Backend) {
    let (app, bank, _) = cardholder_at_a_merchant(backend).await;
    let now = app.clock.now();
    let sent = app.send(bank.sign(&app, Req::post("/v1/bank/transactions").json(tx("S-1", 12_800, now)))).await;
    assert_eq!(sent.json()["rebate_fen"], 3_000);
    // Ten refunds of 20.00 at once against 128.00: six fit, four find too little left; the
    // rebate is clawed back once, whole, when the purchase drops under 100.00.
    let reqs =
        (0..10).map(|i| bank.sign(&app, refund(&format!("SR-{i}"), "S-1", "refund", Some(2_000), now))).collect();
    let replies = app.send_all(reqs).await;
    let taken = replies.iter().filter(|r| r.status == 200).count();
    let refused = replies.iter().filter(|r| r.status == 409 && r.json()["code"] == "bank.refund_exceeds").count();
    assert_eq!((taken, refused), (6, 4), "{:?}", replies.iter().map(|r| r.text()).collect::<Vec<_>>());
    let clawed: i64 =
        replies.iter().filter(|r| r.status == 200).map(|r| r.json()["clawback_fen"].as_i64().unwrap()).sum();
    assert_eq!(clawed, 3_000);
    assert_eq!(app.count("SELECT CAST(SUM(amount_fen) AS BIGINT) AS n FROM rebates").await, 0);
    app.assert_books_balance().await;
}

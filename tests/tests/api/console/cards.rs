//! Cards and the bank in the console and the staff API: applications waiting for the bank, every
//! card's status changes, a day's payout file — the same file the bank is paid by.

use super::*;
use serde_json::Value;
use tests::partners::Partner;

on_both_backends!(staff_follow_cards_and_read_the_days_payout_file);

async fn rebated_sale(app: &TestApp, bank: &Partner, token: &str, id: &str) {
    let tx = json!({"transaction_id": id, "bank_merchant_id": "BOSZ-M-000101", "account_token": token,
        "amount_fen": 12_800, "occurred_at": app.clock.now()});
    let reply = app.send(bank.sign(app, Req::post("/v1/bank/transactions").json(tx))).await;
    assert_eq!(reply.json()["outcome"], "rebated", "{}", reply.text());
}

async fn staff_follow_cards_and_read_the_days_payout_file(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.staff(Role::Admin).await;
    app.create_admin("audit.li", Role::Auditor, None).await;
    let auditor_token = app.login("audit.li").await;
    let bank = app.bank(&admin, 3).await;
    app.card_merchant(&admin, "BOSZ-M-000101", json!({"daily_limit": 5})).await;
    let members = app.activated_members(3, "SZ001").await;
    let card = app.active_card(&members[0], &bank, 41).await;
    let waiting = app.send(Req::post("/v1/me/card/application").bearer(&members[1])).await.json()["id"].clone();
    let lost = app.send(Req::post("/v1/me/card/report-lost").bearer(&members[0])).await;
    assert_eq!(lost.status, 200, "{}", lost.text());
    // Reported lost after the sale would not matter: a rebate needs an active card at the time.
    let second = app.active_card(&members[2], &bank, 42).await;
    rebated_sale(&app, &bank, "acct_tok_00000042", "TX-1").await;
    rebated_sale(&app, &bank, "acct_tok_00000042", "TX-2").await;

    // The staff API: applications waiting, changes newest first with the last four digits.
    let apps = app.send(Req::get("/v1/admin/cards/applications").bearer(&auditor_token)).await;
    assert_eq!(apps.status, 200, "{}", apps.text());
    assert_eq!(
        apps.json()["items"].as_array().unwrap().iter().map(|a| a["card_id"].clone()).collect::<Vec<_>>(),
        std::slice::from_ref(&waiting)
    );
    let changes = app.send(Req::get("/v1/admin/cards/changes?limit=3").bearer(&auditor_token)).await.json();
    let first = &changes["items"][0];
    assert_eq!(
        (first["card_id"].as_str(), first["event"].as_str(), first["to"].as_str()),
        (Some(second.as_str()), Some("activated"), Some("active")),
        "{changes}"
    );
    assert_eq!(first["card_last4"].as_str().map(str::len), Some(4));
    let rest = app
        .send(
            Req::get(&format!("/v1/admin/cards/changes?cursor={}", changes["next_cursor"].as_str().unwrap()))
                .bearer(&auditor_token),
        )
        .await
        .json();
    let all: Vec<Value> =
        changes["items"].as_array().unwrap().iter().chain(rest["items"].as_array().unwrap()).cloned().collect();
    // Three cards: applied, issued, activated each (but the waiting one), and one reported lost.
    assert_eq!(all.len(), 3 + 3 + 1 + 1, "{all:?}");
    assert!(all.iter().any(|c| c["card_id"] == card.as_str() && c["event"] == "reported_lost" && c["to"] == "lost"));
    assert!(all.iter().any(|c| c["card_id"] == waiting && c["card_last4"].is_null()));

    // The payout file: refused while the day runs; staff reading it close it as the bank's read would.
    let day = app.clock.now().with_timezone(&domain::campaigns::SHANGHAI).date_naive();
    let early = app.send(Req::get(&format!("/v1/admin/cards/payouts?date={day}")).bearer(&auditor_token)).await;
    early.problem(409, "day.not_closed");
    app.clock.advance(chrono::Duration::days(1));
    // A day on, the staff token of the morning has long expired.
    let auditor_token = app.login("audit.li").await;
    let file = app.send(Req::get(&format!("/v1/admin/cards/payouts?date={day}")).bearer(&auditor_token)).await;
    assert_eq!(file.status, 200, "{}", file.text());
    assert_eq!((file.json()["count"].as_u64(), file.json()["total_rebate_fen"].as_i64()), (Some(2), Some(6_000)));
    let banks = app.send(bank.sign(&app, Req::get(&format!("/v1/bank/rebates?date={day}")))).await;
    assert_eq!(banks.json(), file.json(), "staff read the bank's file");

    // The console: the same, as pages, for the auditor too; the CSV is the bank's.
    let session = app.console_sign_in("audit.li").await;
    let page = app.console_get(Some(&session), "/console/cards").await;
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    assert!(html.contains(&format!(r#"data-card="{card}""#)) && html.contains(waiting.as_str().unwrap()), "{html}");
    let shown = app.console_get(Some(&session), &format!("/console/cards/payouts?date={day}")).await;
    assert_eq!(shown.status, 200, "{}", shown.text());
    assert!(shown.text().contains(r#"data-figure="count">2<"#) && shown.text().contains("¥60.00"), "{}", shown.text());
    assert!(shown.text().contains("data-chart="));
    let csv = app.console_get(Some(&session), &format!("/console/cards/payouts.csv?date={day}")).await;
    let bank_csv = app.send(bank.sign(&app, Req::get(&format!("/v1/bank/rebates?date={day}&format=csv")))).await;
    assert_eq!(csv.text(), bank_csv.text());
    let future = app
        .console_get(Some(&session), &format!("/console/cards/payouts?date={}", day + chrono::Duration::days(5)))
        .await;
    assert_eq!(future.status, 409, "a day not over yet: {}", future.text());
    let garbage = app.console_get(Some(&session), "/console/cards/payouts?date=yesterday").await;
    assert_eq!(garbage.status, 422);

    // Below the city federation: neither the API nor the page.
    let admin = app.login("t.admin").await;
    app.load_tree(&admin, "工会编码,工会名称,类型,上级工会编码\nSZ-SIP,苏州工业园区总工会,区总工会,ROOT\n").await;
    let district = app.staff_in(&admin, "sip.ops", "operator", "SZ-SIP").await;
    let refused = app.send(Req::get("/v1/admin/cards/changes").bearer(&district)).await;
    refused.problem(403, "auth.federation_only");
    let town_console = app.console_sign_in("sip.ops").await;
    assert_eq!(app.console_get(Some(&town_console), "/console/cards").await.status, 403);
}

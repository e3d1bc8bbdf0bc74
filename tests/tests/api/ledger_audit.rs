//! The auditor's proof: `GET /v1/admin/ledger/audit` recomputes the money figures from their rows
//! and names a hand-edited row to the fen.

use domain::admin::Role;
use tests::{on_both_backends, Backend, Req, TestApp};

on_both_backends!(the_ledger_check_names_a_row_that_does_not_add_up);

async fn the_ledger_check_names_a_row_that_does_not_add_up(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let op = app.staff(Role::Operator).await;
    let auditor = app.staff(Role::Auditor).await;
    let (campaign, gift) = app.live_campaign(&op, 5, 1, 1).await;
    let members = app.activated_members(3, "SZ-890").await;
    let claims = app.send_all(members.iter().map(|m| app.claim_req(m, &campaign, &gift, "k")).collect()).await;
    assert!(claims.iter().all(|r| r.status == 201));

    let audit = || Req::get("/v1/admin/ledger/audit").bearer(&auditor);
    let clean = app.send(audit()).await.json();
    assert_eq!((clean["clean"].as_bool(), clean["rows_checked"].as_u64()), (Some(true), Some(3)), "{clean}");
    app.assert_books_balance().await;

    // The ledger is append-only; what a bug could do is append: a void row for a voucher still
    // issued, as two cancels at once once wrote.
    let db = app.database().await;
    db.run(|conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query(
            "INSERT INTO ledger (campaign_id, gift_id, claim_id, kind, amount_fen, funder, at)
             SELECT campaign_id, gift_id, claim_id, 'void', -amount_fen, funder, at FROM ledger
             WHERE id = (SELECT MIN(id) FROM ledger)",
        )
        .execute(conn)
        .map_err(anyhow::Error::from)
    })
    .await
    .unwrap();
    let found = app.send(audit()).await.json();
    assert_eq!(found["clean"], false, "{found}");
    let findings = found["findings"].as_array().unwrap();
    // The voucher's own rows, and its campaign's spent: each 8,800 fen short.
    assert_eq!(findings.len(), 2, "{found}");
    assert!(findings.iter().all(|f| f["book"] == "campaign" && f["subject"] == campaign.as_str()), "{found}");
    assert!(findings.iter().all(|f| f["expected_fen"].as_i64().unwrap() - f["found_fen"].as_i64().unwrap() == 8_800));

    let pickup = app.staff(Role::PickupOperator).await;
    app.send(Req::get("/v1/admin/ledger/audit").bearer(&pickup)).await.problem(403, "auth.forbidden");
    assert_eq!(app.send(Req::get("/v1/admin/ledger/audit")).await.status, 401);
}

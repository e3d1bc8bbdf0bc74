//! Money under concurrency: staff cancelling, publishing and adding gifts at once, cancels racing
//! claims and redemptions, reports read mid-flood — the ledger adds up to the fen every time.

use domain::admin::Role;
use serde_json::json;
use tests::{on_both_backends, on_every_inventory_mode, Backend, Options, Req, TestApp};

on_both_backends!(eight_staff_cancelling_at_once_void_each_voucher_once);

/// Eight cancels of one campaign at once: one cancels, seven are told it was done, and the ledger
/// has one `void` per voucher, so the campaign's spent returns to zero and no lower.
async fn eight_staff_cancelling_at_once_void_each_voucher_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let op = app.staff(Role::Operator).await;
    let (campaign, gift) = app.live_campaign(&op, 40, 1, 1).await;
    let members = app.activated_members(20, "SZ-880").await;
    let claims: Vec<Req> =
        members.iter().enumerate().map(|(i, m)| app.claim_req(m, &campaign, &gift, &format!("k{i}"))).collect();
    assert!(app.send_all(claims).await.iter().all(|r| r.status == 201));
    let cancel = format!("/v1/admin/campaigns/{campaign}/cancel");
    let replies = app.send_all((0..8).map(|_| Req::post(&cancel).bearer(&op)).collect()).await;
    let done = replies.iter().filter(|r| r.status == 200).count();
    let told = replies.iter().filter(|r| r.status == 409 && r.json()["code"] == "campaign.already_cancelled").count();
    assert_eq!((done, told), (1, 7), "{:?}", replies.iter().map(|r| r.text()).collect::<Vec<_>>());
    assert_eq!(app.count("SELECT count(*) AS n FROM ledger WHERE kind = 'void'").await, 20);
    assert_eq!(app.count("SELECT CAST(SUM(amount_fen) AS BIGINT) AS n FROM ledger").await, 0);
    assert_eq!(app.count("SELECT count(*) AS n FROM audit_log WHERE action = 'campaign.cancel'").await, 1);
    app.assert_books_balance().await;
}

on_both_backends!(publish_and_cancel_pressed_together_end_cancelled);

/// Staff publishing, cancelling and adding gifts to one draft at once: a publish never overwrites
/// a cancel, at most one publish succeeds, and a gift is added only while it is a draft.
async fn publish_and_cancel_pressed_together_end_cancelled(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let op = app.staff(Role::Operator).await;
    let beijing = |d: chrono::Duration| {
        (chrono::Utc::now() + chrono::Duration::hours(8) + d).format("%Y-%m-%dT%H:%M:%S").to_string()
    };
    for round in 0..3 {
        let body = json!({"title": "端午会员有礼", "holiday": "dragon_boat", "starts_at": beijing(chrono::Duration::hours(1)),
            "ends_at": beijing(chrono::Duration::days(2)), "per_member_limit": 1, "budget_fen": 1_000_000});
        let id = app.send(Req::post("/v1/admin/campaigns").bearer(&op).json(body)).await.json()["id"]
            .as_str()
            .unwrap()
            .to_owned();
        let valid_until = (chrono::Utc::now() + chrono::Duration::days(30)).date_naive().to_string();
        let gift = json!({"name": "粽子礼盒", "unit_cost_fen": 1000, "stock": 10, "per_member_limit": 1,
            "valid_until": valid_until, "funder": "union"});
        let add = || Req::post(&format!("/v1/admin/campaigns/{id}/gifts")).bearer(&op).json(gift.clone());
        assert_eq!(app.send(add()).await.status, 201);
        let mut race = Vec::new();
        for i in 0..12 {
            race.push(match (i + round) % 3 {
                0 => Req::post(&format!("/v1/admin/campaigns/{id}/publish")).bearer(&op),
                1 => Req::post(&format!("/v1/admin/campaigns/{id}/cancel")).bearer(&op),
                _ => add(),
            });
        }
        let replies = app.send_all(race).await;
        assert!(replies.iter().all(|r| r.status < 500), "{:?}", replies.iter().map(|r| r.text()).collect::<Vec<_>>());
        let published = replies.iter().filter(|r| r.status == 200 && r.json()["status"] != "cancelled").count();
        assert!(published <= 1, "{published} publishes of one draft");
        let now = app.send(Req::get(&format!("/v1/admin/campaigns/{id}")).bearer(&op)).await.json();
        assert_eq!(now["status"], "cancelled", "a publish overwrote a cancel: {now}");
        let added = replies.iter().filter(|r| r.status == 201).count();
        assert_eq!(now["gifts"].as_array().map(Vec::len), Some(1 + added));
    }
}

on_every_inventory_mode!(cancels_racing_claims_and_redemptions_leave_a_ledger_that_adds_up);

/// Eight cancels in the middle of a claim flood and of redemptions at a pickup point: whatever
/// order they land in, no voucher is left issued in the cancelled campaign, each voided voucher has
/// exactly one −cost row and no redeemed one has any, and the ledger sums to the vouchers kept.
async fn cancels_racing_claims_and_redemptions_leave_a_ledger_that_adds_up(backend: Backend, options: Options) {
    let app = TestApp::spawn_with(backend, options).await;
    let op = app.staff(Role::Operator).await;
    let (campaign, gift) = app.live_campaign(&op, 100, 1, 1).await;
    let members = app.activated_members(90, "SZ-881").await;
    let (early, late) = members.split_at(30);
    let held = app.send_all(early.iter().map(|m| app.claim_req(m, &campaign, &gift, "k")).collect()).await;
    let codes: Vec<String> = held.iter().map(|r| r.json()["voucher_code"].as_str().unwrap().to_owned()).collect();
    assert_eq!(codes.len(), 30);

    let point = Req::post("/v1/admin/pickup-points")
        .bearer(&op)
        .json(json!({"name": "园区职工服务中心", "kind": "center", "address": "星海街 200 号"}));
    let point = app.send(point).await.json()["id"].as_str().unwrap().to_owned();
    let put = |path: String, token: &str| Req::new(actix_web::http::Method::PUT, &path).bearer(token);
    let listed = put(format!("/v1/admin/campaigns/{campaign}/gifts/{gift}/pickup-points/{point}"), &op);
    assert_eq!(app.send(listed).await.status, 204);
    let root = app.staff(Role::Admin).await;
    let clerk_id = app.create_admin("clerk.race", Role::PickupOperator, None).await;
    assert_eq!(app.send(put(format!("/v1/admin/pickup-points/{point}/operators/{clerk_id}"), &root)).await.status, 204);
    let clerk = app.login("clerk.race").await;

    let redeem = |code: &String| {
        Req::post("/v1/pickup/vouchers/redeem").bearer(&clerk).json(json!({"code": code, "pickup_point_id": point}))
    };
    let cancel = format!("/v1/admin/campaigns/{campaign}/cancel");
    let mut race: Vec<Req> = Vec::new();
    let mut claims = late.iter().map(|m| app.claim_req(m, &campaign, &gift, "k"));
    let mut redemptions = codes.iter().map(redeem);
    for i in 0..60 {
        race.extend(claims.next());
        race.extend(redemptions.next());
        if i % 4 == 0 && (8..40).contains(&i) {
            race.push(Req::post(&cancel).bearer(&op));
        }
    }
    let replies = app.send_all(race).await;
    assert!(replies.iter().all(|r| r.status < 500), "{:?}", replies.iter().map(|r| r.text()).collect::<Vec<_>>());
    let cancelled = replies.iter().filter(|r| r.status == 200 && r.json()["status"] == "cancelled").count();
    assert_eq!(cancelled, 1, "one cancel cancels; the others are told it was done");

    let sql = |q: &'static str| app.count(q);
    assert_eq!(
        sql("SELECT count(*) AS n FROM claims WHERE status = 'issued'").await,
        0,
        "issued in a cancelled campaign"
    );
    let redeemed = replies.iter().filter(|r| r.json()["redeemed"] == true).count() as i64;
    assert_eq!(sql("SELECT count(*) AS n FROM claims WHERE status = 'redeemed'").await, redeemed);
    let unpaired = "SELECT count(*) AS n FROM claims c
        WHERE (SELECT count(*) FROM ledger l WHERE l.claim_id = c.id AND l.kind = 'void')
              <> CASE WHEN c.status = 'voided' THEN 1 ELSE 0 END
           OR (SELECT count(*) FROM ledger l WHERE l.claim_id = c.id AND l.kind = 'claim') <> 1";
    assert_eq!(sql(unpaired).await, 0, "a claim without its row, a void without a voided claim, or two");
    let kept = "SELECT CAST(COALESCE(SUM(g.unit_cost_fen), 0) AS BIGINT) AS n
        FROM claims c JOIN gifts g ON g.id = c.gift_id WHERE c.status = 'redeemed'";
    let spent = sql("SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) AS n FROM ledger").await;
    assert_eq!(spent, sql(kept).await, "the ledger sums to the vouchers kept, to the fen");
    assert!(spent > 0 || redeemed == 0);
    app.assert_books_balance().await;
}

on_every_inventory_mode!(the_report_read_during_a_claim_flood_always_adds_up);

/// Staff watching an opening: 200 reads of the report among 300 claims, each read from one
/// snapshot — never a 500 for breakdowns that disagree with the ledger mid-flight.
async fn the_report_read_during_a_claim_flood_always_adds_up(backend: Backend, options: Options) {
    let app = TestApp::spawn_with(backend, options).await;
    let op = app.staff(Role::Operator).await;
    let (campaign, gift) = app.live_campaign(&op, 250, 1, 1).await;
    let members = app.activated_members(300, "SZ-882").await;
    let report = format!("/v1/admin/campaigns/{campaign}/report");
    let mut claims = members.iter().map(|m| app.claim_req(m, &campaign, &gift, "k"));
    let mut flood = Vec::new();
    for i in 0..500 {
        if i % 5 == 1 || i % 5 == 3 {
            flood.push(Req::get(&report).bearer(&op));
        } else {
            flood.extend(claims.next());
        }
    }
    let replies = app.send_all(flood).await;
    let reports: Vec<_> = replies.iter().filter(|r| r.json()["gifts"].is_array() || r.status >= 500).collect();
    assert_eq!(
        reports.len(),
        200,
        "{:?}",
        replies.iter().filter(|r| r.status >= 500).map(|r| r.text()).collect::<Vec<_>>()
    );
    assert!(reports.iter().all(|r| r.status == 200));
    let last = app.send(Req::get(&report).bearer(&op)).await.json();
    assert_eq!(last["spent_fen"], 250 * 8800, "{last}");
    app.assert_books_balance().await;
}

//! 会员有礼: campaign lifecycle, claims through the inventory gate, and the database's guarantees.

use domain::admin::Role;
use domain::shared::Clock;
use serde_json::json;
use tests::{on_both_backends, on_every_inventory_mode, Backend, Options, Req, TestApp};

on_both_backends!(campaign_lifecycle_is_checked_and_audited);

async fn campaign_lifecycle_is_checked_and_audited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let op = app.staff(Role::Operator).await;
    let auditor = app.staff(Role::Auditor).await;
    let body = json!({"title": "中秋会员有礼", "holiday": "mid_autumn", "starts_at": "2030-09-15T10:00:00",
        "ends_at": "2030-09-20T22:00:00", "per_member_limit": 1, "budget_fen": 100000});
    app.send(Req::post("/v1/admin/campaigns").bearer(&auditor).json(body.clone())).await.problem(403, "auth.forbidden");
    let created = app.send(Req::post("/v1/admin/campaigns").bearer(&op).json(body)).await;
    assert_eq!(created.status, 201, "{}", created.text());
    let c = created.json();
    assert_eq!((c["status"].as_str(), c["holiday_name"].as_str()), (Some("draft"), Some("中秋节")));
    assert_eq!(c["starts_at"], "2030-09-15T10:00:00+08:00", "shown in Beijing time");
    let id = c["id"].as_str().unwrap();

    let publish = format!("/v1/admin/campaigns/{id}/publish");
    app.send(Req::post(&publish).bearer(&op)).await.problem(409, "campaign.no_gifts");
    let gift = json!({"name": "月饼", "unit_cost_fen": 100, "stock": 1001, "per_member_limit": 1,
        "valid_until": "2030-10-31", "funder": "bank"});
    let g = app.send(Req::post(&format!("/v1/admin/campaigns/{id}/gifts")).bearer(&op).json(gift)).await;
    assert_eq!(g.status, 201, "{}", g.text());
    let gift_id = g.json()["id"].as_str().unwrap().to_owned();
    let over = app.send(Req::post(&publish).bearer(&op)).await.problem(409, "campaign.over_budget");
    assert_eq!((over["needed_fen"].as_i64(), over["budget_fen"].as_i64()), (Some(100_100), Some(100_000)));

    let bad_gift = json!({"name": "x", "unit_cost_fen": 1, "stock": 1, "per_member_limit": 1, "valid_until": "2030-09-01", "funder": "union"});
    let r = app.send(Req::post(&format!("/v1/admin/campaigns/{id}/gifts")).bearer(&op).json(bad_gift)).await;
    assert_eq!(r.problem(422, "validation.invalid_field")["field"], "valid_until");
    let bad_funder = json!({"name": "x", "unit_cost_fen": 1, "stock": 1, "per_member_limit": 1, "valid_until": "2030-10-01", "funder": "me"});
    app.send(Req::post(&format!("/v1/admin/campaigns/{id}/gifts")).bearer(&op).json(bad_funder))
        .await
        .problem(422, "validation.invalid_field");
    let small = json!({"name": "茶叶", "unit_cost_fen": 0, "stock": 5, "per_member_limit": 1, "valid_until": "2030-10-01", "funder": "merchant"});
    assert_eq!(
        app.send(Req::post(&format!("/v1/admin/campaigns/{id}/gifts")).bearer(&op).json(small)).await.status,
        201
    );

    // Lower the big gift's cost? Not possible after creation; a second campaign would. Here the
    // stock rule: it may only grow, and only this way.
    let stock =
        |n: u32| Req::patch(&format!("/v1/admin/campaigns/{id}/gifts/{gift_id}")).bearer(&op).json(json!({"stock": n}));
    app.send(stock(1000)).await.problem(409, "gift.stock_decrease");

    let ok_body = json!({"title": "中秋会员有礼", "holiday": "mid_autumn", "starts_at": "2030-09-15T10:00:00",
        "ends_at": "2030-09-20T22:00:00", "per_member_limit": 1, "budget_fen": 120_000});
    let c2 = app.send(Req::post("/v1/admin/campaigns").bearer(&op).json(ok_body)).await.json();
    let id2 = c2["id"].as_str().unwrap();
    let gift = json!({"name": "月饼", "unit_cost_fen": 100, "stock": 1001, "per_member_limit": 1, "valid_until": "2030-10-31", "funder": "bank"});
    let g2 = app.send(Req::post(&format!("/v1/admin/campaigns/{id2}/gifts")).bearer(&op).json(gift)).await.json();
    let published = app.send(Req::post(&format!("/v1/admin/campaigns/{id2}/publish")).bearer(&op)).await;
    assert_eq!(published.status, 200, "{}", published.text());
    assert_eq!(published.json()["status"], "scheduled");
    let late_gift = json!({"name": "x", "unit_cost_fen": 0, "stock": 1, "per_member_limit": 1, "valid_until": "2030-10-31", "funder": "union"});
    app.send(Req::post(&format!("/v1/admin/campaigns/{id2}/gifts")).bearer(&op).json(late_gift))
        .await
        .problem(409, "campaign.not_draft");
    let raise = |n: u32| {
        Req::patch(&format!("/v1/admin/campaigns/{id2}/gifts/{}", g2["id"].as_str().unwrap()))
            .bearer(&op)
            .json(json!({"stock": n}))
    };
    // The budget is a hard cap on a live campaign too: 1,201 units at 100 fen exceed 120,000 fen.
    let over = app.send(raise(1201)).await.problem(409, "campaign.over_budget");
    assert_eq!((over["needed_fen"].as_i64(), over["budget_fen"].as_i64()), (Some(120_100), Some(120_000)));
    assert_eq!(app.send(raise(1200)).await.json()["stock"], 1200);
    let cancelled = app.send(Req::post(&format!("/v1/admin/campaigns/{id2}/cancel")).bearer(&op)).await.json();
    assert_eq!(cancelled["status"], "cancelled");

    let audit = app.send(Req::get("/v1/admin/audit?limit=100").bearer(&auditor)).await.json();
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for action in ["campaign.create", "gift.create", "campaign.publish", "gift.stock", "campaign.cancel"] {
        assert!(actions.contains(&action), "{action} missing from {actions:?}");
    }
    assert_eq!(
        app.send(Req::get("/v1/admin/campaigns").bearer(&auditor)).await.json()["items"].as_array().unwrap().len(),
        2
    );
}

on_every_inventory_mode!(claims_check_eligibility_keys_and_limits);

async fn claims_check_eligibility_keys_and_limits(backend: Backend, options: Options) {
    let app = TestApp::spawn_with(backend, options).await;
    let op = app.staff(Role::Operator).await;
    let (campaign, gift) = app.live_campaign(&op, 2, 1, 1).await;
    let members = app.activated_members(3, "SZ-100").await;

    // Not activated (no real name) and no consent.
    let stranger = app.member_token("13700000101").await;
    app.send(app.claim_req(&stranger, &campaign, &gift, "k1")).await.problem(403, "consent.required");
    app.send(Req::post("/v1/me/consents").bearer(&stranger).json(json!({"version": "2026-11"}))).await;
    let body = app.send(app.claim_req(&stranger, &campaign, &gift, "k1")).await.problem(403, "campaign.ineligible");
    assert_eq!(body["reason"], "not_activated");
    let listed = app.send(Req::get("/v1/campaigns").bearer(&stranger)).await.json();
    assert_eq!(listed["items"][0]["eligible"], false);
    assert_eq!(listed["items"][0]["ineligible_reason"], "not_activated");

    let path = format!("/v1/campaigns/{campaign}/gifts/{gift}/claims");
    app.send(Req::post(&path).bearer(&members[0])).await.problem(400, "idempotency.key_required");

    let first = app.send(app.claim_req(&members[0], &campaign, &gift, "key-1")).await;
    assert_eq!(first.status, 201, "{}", first.text());
    let voucher = first.json();
    let code = voucher["voucher_code"].as_str().unwrap();
    assert!(domain::campaigns::voucher::parse_code(code).is_some(), "{code}");
    assert_eq!(voucher["qr_payload"], format!("sgh:voucher:{code}"));
    assert!(voucher["expires_at"].as_str().unwrap().ends_with("T00:00:00+08:00"), "end of a Beijing day");

    // The same key replays the same voucher; a second claim is over the limit.
    let replay = app.send(app.claim_req(&members[0], &campaign, &gift, "key-1")).await;
    assert_eq!((replay.status, replay.json()["voucher_code"].as_str()), (200, Some(code)));
    app.send(app.claim_req(&members[0], &campaign, &gift, "key-2")).await.problem(409, "campaign.limit_reached");

    assert_eq!(app.send(app.claim_req(&members[1], &campaign, &gift, "a")).await.status, 201);
    app.send(app.claim_req(&members[2], &campaign, &gift, "a")).await.problem(409, "campaign.sold_out");

    let mine = app.send(Req::get("/v1/me/vouchers").bearer(&members[0])).await.json();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(mine["items"][0]["voucher_code"], code);
    // What is left is read again once the board's second has passed.
    app.clock.advance(chrono::Duration::milliseconds(domain::campaigns::board::FRESH_FOR_MS));
    let listed = app.send(Req::get("/v1/campaigns").bearer(&members[0])).await.json();
    assert_eq!(
        (listed["items"][0]["claims_left"].as_u64(), listed["items"][0]["gifts"][0]["remaining"].as_u64()),
        (Some(0), Some(0))
    );

    let other = app.live_campaign(&op, 5, 1, 1).await;
    app.send(app.claim_req(&members[0], &other.0, &other.1, "key-1")).await.problem(422, "idempotency.key_reused");
    assert_eq!(app.count("SELECT count(*) AS n FROM claims").await, 2);
    assert_eq!(app.count("SELECT count(*) AS n FROM ledger").await, 2);
}

on_every_inventory_mode!(five_hundred_claimers_for_fifty_gifts_get_exactly_fifty);

async fn five_hundred_claimers_for_fifty_gifts_get_exactly_fifty(backend: Backend, options: Options) {
    let app = TestApp::spawn_with(backend, options).await;
    let op = app.staff(Role::Operator).await;
    let (campaign, gift) = app.live_campaign(&op, 50, 1, 1).await;
    let members = app.activated_members(500, "SZ-200").await;
    let reqs = members.iter().map(|t| app.claim_req(t, &campaign, &gift, "flood")).collect();
    let replies = app.send_all(reqs).await;
    let granted = replies.iter().filter(|r| r.status == 201).count();
    let sold_out = replies.iter().filter(|r| r.status == 409 && r.json()["code"] == "campaign.sold_out").count();
    assert_eq!((granted, sold_out), (50, 450), "{:?}", replies.iter().find(|r| r.status >= 500).map(|r| r.text()));
    assert_eq!(app.count("SELECT count(*) AS n FROM claims").await, 50);
    assert_eq!(app.count("SELECT count(DISTINCT slot) AS n FROM claims WHERE slot BETWEEN 1 AND 50").await, 50);
    assert_eq!(app.count("SELECT count(*) AS n FROM ledger").await, 50);
}

on_every_inventory_mode!(one_member_claiming_in_parallel_gets_only_the_limit);

async fn one_member_claiming_in_parallel_gets_only_the_limit(backend: Backend, options: Options) {
    let app = TestApp::spawn_with(backend, options).await;
    let op = app.staff(Role::Operator).await;
    let (campaign, gift) = app.live_campaign(&op, 100, 2, 2).await;
    let member = app.activated_members(1, "SZ-300").await.remove(0);
    let reqs = (0..30).map(|i| app.claim_req(&member, &campaign, &gift, &format!("k{i}"))).collect();
    let replies = app.send_all(reqs).await;
    let granted = replies.iter().filter(|r| r.status == 201).count();
    let limited = replies.iter().filter(|r| r.status == 409 && r.json()["code"] == "campaign.limit_reached").count();
    assert_eq!((granted, limited), (2, 28));
    assert_eq!(app.count("SELECT count(*) AS n FROM claims").await, 2);
}

on_every_inventory_mode!(one_member_claiming_in_parallel_under_the_limit_gets_every_claim);

/// Claims of one member that race for the same sequence number must count again, not be refused as
/// over the limit while the member is under it and stock is left.
async fn one_member_claiming_in_parallel_under_the_limit_gets_every_claim(backend: Backend, options: Options) {
    let app = TestApp::spawn_with(backend, options).await;
    let op = app.staff(Role::Operator).await;
    let (campaign, gift) = app.live_campaign(&op, 100, 10, 10).await;
    let members = app.activated_members(2, "SZ-301").await;
    for (member, tries, wanted) in [(&members[0], 8, 8), (&members[1], 14, 10)] {
        let reqs = (0..tries).map(|i| app.claim_req(member, &campaign, &gift, &format!("k{i}"))).collect();
        let replies = app.send_all(reqs).await;
        let granted = replies.iter().filter(|r| r.status == 201).count();
        let limited =
            replies.iter().filter(|r| r.status == 409 && r.json()["code"] == "campaign.limit_reached").count();
        let other: Vec<_> = replies.iter().filter(|r| r.status != 201 && r.status != 409).map(|r| r.text()).collect();
        assert_eq!((granted, limited), (wanted, tries - wanted), "{other:?}");
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM claims").await, 18);
    assert_eq!(app.count("SELECT count(DISTINCT slot) AS n FROM claims").await, 18);
}

on_every_inventory_mode!(reports_add_up_to_the_ledger_and_cancelling_voids_vouchers);

async fn reports_add_up_to_the_ledger_and_cancelling_voids_vouchers(backend: Backend, options: Options) {
    let app = TestApp::spawn_with(backend, options).await;
    let op = app.staff(Role::Operator).await;
    let auditor = app.staff(Role::Auditor).await;
    let (campaign, gift) = app.live_campaign(&op, 10, 1, 1).await;
    let north = app.activated_members(3, "SZ-N").await;
    let south = app.activated_members(2, "SZ-S").await;
    for t in north.iter().chain(&south) {
        assert_eq!(app.send(app.claim_req(t, &campaign, &gift, "k")).await.status, 201);
    }
    let report = app.send(Req::get(&format!("/v1/admin/campaigns/{campaign}/report")).bearer(&auditor)).await;
    assert_eq!(report.status, 200, "{}", report.text());
    let r = report.json();
    assert_eq!((r["spent_fen"].as_i64(), r["budget_fen"].as_i64()), (Some(5 * 8800), Some(100_000_000_000)));
    assert_eq!(r["gifts"][0]["claimed"], 5);
    let unions: Vec<(String, u64)> = r["unions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["union_org_code"].as_str().unwrap().to_owned(), u["claimed"].as_u64().unwrap()))
        .collect();
    assert_eq!(unions, [("SZ-N".to_owned(), 3), ("SZ-S".to_owned(), 2)]);
    assert_eq!(r["funders"], json!([{"funder": "union", "spent_fen": 44000}]));
    assert_eq!(app.count("SELECT CAST(SUM(amount_fen) AS BIGINT) AS n FROM ledger").await, 44_000, "report = ledger");

    let csv = app.send(Req::get(&format!("/v1/admin/campaigns/{campaign}/report.csv")).bearer(&auditor)).await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    let text = csv.text();
    assert!(text.contains("union,SZ-N,SZ-N 工会,,3,0,0,0,"), "{text}");
    assert!(text.contains("total,spent,,,,,,,44000"), "{text}");

    // Auditors change nothing.
    let cancel = format!("/v1/admin/campaigns/{campaign}/cancel");
    app.send(Req::post(&cancel).bearer(&auditor)).await.problem(403, "auth.forbidden");
    assert_eq!(app.send(Req::post(&cancel).bearer(&op)).await.json()["status"], "cancelled");
    app.send(Req::post(&cancel).bearer(&op)).await.problem(409, "campaign.already_cancelled");

    let mine = app.send(Req::get("/v1/me/vouchers").bearer(&north[0])).await.json();
    assert_eq!(mine["items"][0]["status"], "voided");
    let r = app.send(Req::get(&format!("/v1/admin/campaigns/{campaign}/report")).bearer(&auditor)).await.json();
    assert_eq!((r["spent_fen"].as_i64(), r["gifts"][0]["voided"].as_u64()), (Some(0), Some(5)));
    assert_eq!(app.count("SELECT count(*) AS n FROM ledger WHERE kind = 'void'").await, 5);
    app.send(app.claim_req(&south[0], &campaign, &gift, "after")).await.problem(409, "campaign.not_live");
}

on_every_inventory_mode!(claims_mail_the_member_and_alert_staff_on_low_and_sold_out_stock);

async fn claims_mail_the_member_and_alert_staff_on_low_and_sold_out_stock(backend: Backend, options: Options) {
    let app = TestApp::spawn_with(backend, options).await;
    let op = app.staff(Role::Operator).await;
    app.create_admin("ops.alerts", Role::Operator, Some("alerts@union.example.cn")).await;
    let (campaign, gift) = app.live_campaign(&op, 10, 1, 1).await;
    let members = app.activated_members(12, "SZ-700").await;
    // Confirmed addresses, sealed as confirmation seals them.
    let crypto = app.infra().await.crypto;
    let db = app.database().await;
    db.run(move |conn| {
        use diesel::prelude::*;
        use infra::db::schema::members;
        let ids: Vec<String> = members::table.select(members::id).load(conn)?;
        for id in ids {
            let sealed = crypto.seal(&format!("member{}@example.cn", &id[..8]));
            diesel::update(members::table.find(&id)).set(members::email_cipher.eq(sealed)).execute(conn)?;
        }
        Ok::<_, anyhow::Error>(())
    })
    .await
    .unwrap();

    let replies = app.send_all(members.iter().map(|t| app.claim_req(t, &campaign, &gift, "k")).collect()).await;
    assert_eq!(replies.iter().filter(|r| r.status == 201).count(), 10);
    let member_mails =
        app.count("SELECT count(*) AS n FROM jobs WHERE kind = 'mail' AND payload LIKE '%Gift claimed%'").await;
    assert_eq!(member_mails, 10, "one confirmation per granted claim, none for the sold-out answers");
    // 10% of 10 is 1 left: the claim taking slot 9 says so, the one taking slot 10 says sold out.
    let low = app.count("SELECT count(*) AS n FROM jobs WHERE payload LIKE '%running low%' AND payload LIKE '%alerts@union.example.cn%'").await;
    let sold = app.count("SELECT count(*) AS n FROM jobs WHERE payload LIKE '%sold out%' AND payload LIKE '%alerts@union.example.cn%'").await;
    assert_eq!((low, sold), (1, 1));
    // The payloads the claim statements build in SQL are mails the runner can send (as .eml files here).
    for _ in 0..200 {
        if app.count("SELECT count(*) AS n FROM jobs WHERE state <> 'done'").await == 0 {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM jobs WHERE state <> 'done'").await, 0);
}

on_every_inventory_mode!(stock_released_in_waves_and_daily_caps);

async fn stock_released_in_waves_and_daily_caps(backend: Backend, options: Options) {
    let app = TestApp::spawn_with(backend, options).await;
    // Noon in Beijing, whatever the time of the run: a wave ten minutes on and the daily cap's day
    // must not straddle Beijing midnight (the test failed in the minutes after 16:00 UTC).
    let noon = chrono::Utc::now().date_naive().and_hms_opt(4, 0, 0).unwrap().and_utc();
    app.clock.set(noon);
    let op = app.staff(Role::Operator).await;
    let beijing = |d: chrono::Duration| {
        (app.clock.now() + chrono::Duration::hours(8) + d).format("%Y-%m-%dT%H:%M:%S").to_string()
    };
    let body = json!({"title": "元旦会员有礼", "holiday": "new_year", "starts_at": beijing(chrono::Duration::minutes(-1)),
        "ends_at": beijing(chrono::Duration::days(2)), "per_member_limit": 1, "budget_fen": 1_000_000});
    let id = app.send(Req::post("/v1/admin/campaigns").bearer(&op).json(body)).await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let next_wave = beijing(chrono::Duration::minutes(10));
    let valid_until = (app.clock.now() + chrono::Duration::days(30)).date_naive().to_string();
    let gift = |name: &str, extra: serde_json::Value| {
        let mut g = json!({"name": name, "unit_cost_fen": 100, "stock": 4, "per_member_limit": 1,
            "valid_until": valid_until, "funder": "union"});
        g.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        Req::post(&format!("/v1/admin/campaigns/{id}/gifts")).bearer(&op).json(g)
    };
    let bad =
        app.send(gift("x", json!({"waves": [{"at": beijing(chrono::Duration::minutes(-1)), "quantity": 3}]}))).await;
    assert_eq!(bad.problem(422, "validation.invalid_field")["field"], "waves");
    let waves = json!({"waves": [{"at": beijing(chrono::Duration::seconds(-30)), "quantity": 2}, {"at": next_wave, "quantity": 2}]});
    let waved = app.send(gift("分批礼品", waves)).await;
    assert_eq!(waved.status, 201, "{}", waved.text());
    let waved = waved.json()["id"].as_str().unwrap().to_owned();
    let capped = app.send(gift("限日礼品", json!({"daily_cap": 1}))).await.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(app.send(Req::post(&format!("/v1/admin/campaigns/{id}/publish")).bearer(&op)).await.status, 200);

    let members = app.activated_members(6, "SZ-800").await;
    let claim = |i: usize, gift: &str| app.claim_req(&members[i], &id, gift, gift);
    assert_eq!(app.send(claim(0, &waved)).await.status, 201);
    assert_eq!(app.send(claim(1, &waved)).await.status, 201);
    let pending = app.send(claim(2, &waved)).await.problem(409, "campaign.wave_pending");
    assert!(pending["next_release_at"].as_str().unwrap().starts_with(&next_wave), "{pending}");
    let listed = app.send(Req::get(&format!("/v1/campaigns/{id}")).bearer(&members[2])).await.json();
    let remaining: Vec<u64> =
        listed["gifts"].as_array().unwrap().iter().map(|g| g["remaining"].as_u64().unwrap()).collect();
    assert!(remaining.contains(&0), "{listed}");

    app.clock.advance(chrono::Duration::minutes(10) + chrono::Duration::seconds(1));
    assert_eq!(app.send(claim(2, &waved)).await.status, 201);
    assert_eq!(app.send(claim(3, &waved)).await.status, 201);
    app.send(claim(4, &waved)).await.problem(409, "campaign.sold_out");

    // One a day: the second member today waits for Beijing midnight.
    assert_eq!(app.send(claim(4, &capped)).await.status, 201);
    let body = app.send(claim(5, &capped)).await.problem(409, "campaign.wave_pending");
    assert!(body["next_release_at"].as_str().unwrap().ends_with("T00:00:00+08:00"), "{body}");
}

on_both_backends!(unknown_campaigns_gifts_and_points_are_404_problems);

async fn unknown_campaigns_gifts_and_points_are_404_problems(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.staff(Role::Admin).await;
    let (campaign, gift) = app.live_campaign(&root, 1, 1, 1).await;
    let member = app.activated_members(1, "SZ-404").await.remove(0);
    let ghost = uuid::Uuid::now_v7().to_string();
    let put = |path: String| Req::new(actix_web::http::Method::PUT, &path).bearer(&root);

    app.send(app.claim_req(&member, &ghost, &gift, "k")).await.problem(404, "campaign.not_found");
    app.send(app.claim_req(&member, &campaign, &ghost, "k")).await.problem(404, "campaign.not_found");
    app.send(Req::get(&format!("/v1/campaigns/{ghost}")).bearer(&member)).await.problem(404, "campaign.not_found");
    for path in ["publish", "cancel", "reconcile"] {
        let r = app.send(Req::post(&format!("/v1/admin/campaigns/{ghost}/{path}")).bearer(&root)).await;
        r.problem(404, "campaign.not_found");
    }
    app.send(Req::get(&format!("/v1/admin/campaigns/{ghost}/report")).bearer(&root))
        .await
        .problem(404, "campaign.not_found");
    let stock =
        Req::patch(&format!("/v1/admin/campaigns/{campaign}/gifts/{ghost}")).bearer(&root).json(json!({"stock": 5}));
    app.send(stock).await.problem(404, "gift.not_found");
    app.send(put(format!("/v1/admin/campaigns/{campaign}/gifts/{gift}/pickup-points/{ghost}")))
        .await
        .problem(404, "pickup_point.not_found");
    app.send(put(format!("/v1/admin/campaigns/{campaign}/gifts/{ghost}/pickup-points/{ghost}")))
        .await
        .problem(404, "pickup_point.not_found");
    app.send(put(format!("/v1/admin/pickup-points/{ghost}/operators/{ghost}"))).await.problem(404, "admin.not_found");
    app.send(Req::get("/v1/admin/campaigns/not-a-uuid/report").bearer(&root))
        .await
        .problem(400, "request.invalid_path");
}

/// Staff suspend the member signed in with `token`; their id.
pub(crate) async fn suspend(app: &TestApp, staff: &str, token: &str) -> String {
    let id = app.send(Req::get("/v1/me").bearer(token)).await.json()["id"].as_str().unwrap().to_owned();
    let suspend =
        Req::post(&format!("/v1/admin/members/{id}/suspension")).bearer(staff).json(json!({"reason": "核查中"}));
    assert_eq!(app.send(suspend).await.status, 200);
    id
}

on_every_inventory_mode!(a_member_suspended_after_signing_in_cannot_claim_and_takes_no_stock);

async fn a_member_suspended_after_signing_in_cannot_claim_and_takes_no_stock(backend: Backend, options: Options) {
    let app = TestApp::spawn_with(backend, options).await;
    let op = app.staff(Role::Operator).await;
    let (campaign, gift) = app.live_campaign(&op, 2, 1, 1).await;
    let members = app.activated_members(3, "SZ-800").await;
    suspend(&app, &op, &members[0]).await;

    // The access token is still valid for minutes: the claim itself refuses.
    for key in ["k1", "k1", "k2"] {
        app.send(app.claim_req(&members[0], &campaign, &gift, key)).await.problem(403, "member.suspended");
    }
    for t in &members[1..] {
        let r = app.send(app.claim_req(t, &campaign, &gift, "k")).await;
        assert_eq!(r.status, 201, "the refused claims gave their slots back: {}", r.text());
    }
    assert_eq!(app.count("SELECT count(*) AS n FROM claims").await, 2);
}

on_every_inventory_mode!(suspended_members_in_a_rush_of_claims_take_nothing_from_the_others);

/// Granted claims are written together: the refused ones among them must neither take a slot nor
/// cost anyone else theirs.
async fn suspended_members_in_a_rush_of_claims_take_nothing_from_the_others(backend: Backend, options: Options) {
    let app = TestApp::spawn_with(backend, options).await;
    let op = app.staff(Role::Operator).await;
    let (campaign, gift) = app.live_campaign(&op, 18, 1, 1).await;
    let members = app.activated_members(25, "SZ-802").await;
    for t in members[..24].iter().step_by(4) {
        suspend(&app, &op, t).await;
    }

    let rush = app.send_all(members[..24].iter().map(|t| app.claim_req(t, &campaign, &gift, "k")).collect()).await;
    let mut told_sold_out = Vec::new();
    for (i, r) in rush.iter().enumerate() {
        if i % 4 == 0 {
            // Sold-out answers come from the gate, before anyone is looked at.
            let code = r.json()["code"].as_str().map(str::to_owned);
            assert!(matches!(code.as_deref(), Some("member.suspended" | "campaign.sold_out")), "{}", r.text());
        } else if r.status != 201 {
            r.problem(409, "campaign.sold_out");
            told_sold_out.push(&members[i]);
        }
    }
    // A suspended member holds a slot until the database refuses their claim, so others may be
    // told "sold out" meanwhile; every such slot is back now.
    let again = app.send_all(told_sold_out.iter().map(|t| app.claim_req(t, &campaign, &gift, "k")).collect()).await;
    assert!(again.iter().all(|r| r.status == 201), "{:?}", again.iter().map(|r| r.text()).collect::<Vec<_>>());
    assert_eq!(app.count("SELECT count(*) AS n FROM claims").await, 18);
    assert_eq!(app.count("SELECT count(DISTINCT slot) AS n FROM claims WHERE slot BETWEEN 1 AND 18").await, 18);
    app.send(app.claim_req(&members[24], &campaign, &gift, "k")).await.problem(409, "campaign.sold_out");
}

on_every_inventory_mode!(a_token_issued_before_a_suspension_stays_dead_after_it_is_lifted);

async fn a_token_issued_before_a_suspension_stays_dead_after_it_is_lifted(backend: Backend, options: Options) {
    let app = TestApp::spawn_with(backend, options).await;
    let op = app.staff(Role::Operator).await;
    let (campaign, gift) = app.live_campaign(&op, 5, 1, 1).await;
    let old = app.activated_members(1, "SZ-801").await.remove(0);
    let id = suspend(&app, &op, &old).await;
    let path = format!("/v1/admin/members/{id}/suspension");
    app.clock.advance(chrono::Duration::seconds(5));
    let lifted = app.send(Req::new(actix_web::http::Method::DELETE, &path).bearer(&op)).await;
    assert_eq!(lifted.status, 200, "{}", lifted.text());

    // Lifted, but the token from before the suspension stays dead: on reads and on claims.
    app.send(Req::get("/v1/me").bearer(&old)).await.problem(401, "auth.invalid_token");
    app.send(app.claim_req(&old, &campaign, &gift, "k1")).await.problem(401, "auth.invalid_token");
    assert_eq!(app.count("SELECT count(*) AS n FROM claims").await, 0);
    // Signed in again, the member claims as before.
    let new = app.token_for(&id);
    assert_eq!(app.send(Req::get("/v1/me").bearer(&new)).await.status, 200);
    // The campaign pages remember the member for a few seconds, but not past their tokens' cut-off.
    assert_eq!(app.send(Req::get("/v1/campaigns").bearer(&new)).await.status, 200);
    app.send(Req::get("/v1/campaigns").bearer(&old)).await.problem(401, "auth.invalid_token");
    let r = app.send(app.claim_req(&new, &campaign, &gift, "k2")).await;
    assert_eq!(r.status, 201, "{}", r.text());
}

on_every_inventory_mode!(one_key_sent_twenty_times_at_once_claims_once);

async fn one_key_sent_twenty_times_at_once_claims_once(backend: Backend, options: Options) {
    let app = TestApp::spawn_with(backend, options).await;
    let op = app.staff(Role::Operator).await;
    let (campaign, gift) = app.live_campaign(&op, 10, 3, 3).await;
    let member = app.activated_members(1, "SZ-900").await.remove(0);
    let replies = app.send_all((0..20).map(|_| app.claim_req(&member, &campaign, &gift, "tap")).collect()).await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 1, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 19, "{statuses:?}");
    let codes: std::collections::HashSet<String> =
        replies.iter().map(|r| r.json()["voucher_code"].as_str().unwrap().to_owned()).collect();
    assert_eq!(codes.len(), 1, "every reply shows the same voucher");
    assert_eq!(app.count("SELECT count(*) AS n FROM claims").await, 1);
    // The member may still claim twice more with other keys: the replays took nothing.
    for key in ["tap-2", "tap-3"] {
        assert_eq!(app.send(app.claim_req(&member, &campaign, &gift, key)).await.status, 201);
    }
    app.send(app.claim_req(&member, &campaign, &gift, "tap-4")).await.problem(409, "campaign.limit_reached");
}

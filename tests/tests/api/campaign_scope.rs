//! Campaigns and pickup points of a part of the union tree: for the members of the unions under
//! it, seen and run by the staff whose scope holds it.

use serde_json::json;
use tests::{on_both_backends, on_every_inventory_mode, Backend, Options, Req, TestApp};

const TREE: &str = "工会编码,工会名称,类型,上级工会编码\n\
    SZ-SIP,苏州工业园区总工会,区总工会,ROOT\n\
    SZ-SIP-WT,娄葑街道总工会,街道总工会,SZ-SIP\n\
    SZ-SIP-G1,某科技公司工会,基层工会,SZ-SIP-WT\n\
    SZ-SIPX,园区某行业工会,产业工会,ROOT\n\
    SZ-SIPX-G1,某物流公司工会,基层工会,SZ-SIPX\n\
    SZ-GX,高新区总工会,区总工会,ROOT\n\
    SZ-GX-G01,某医院工会,基层工会,SZ-GX\n";

async fn campaign(app: &TestApp, staff: &str, scope: Option<&str>) -> tests::Reply {
    let beijing = |h: i64| {
        (domain::shared::Clock::now(&app.clock) + chrono::Duration::hours(8 + h))
            .format("%Y-%m-%dT%H:%M:%S")
            .to_string()
    };
    let mut body = json!({"title": "园区会员有礼", "holiday": "national_day", "starts_at": beijing(-1),
        "ends_at": beijing(24), "per_member_limit": 1, "budget_fen": 10_000_000});
    if let Some(scope) = scope {
        body["scope_code"] = json!(scope);
    }
    app.send(Req::post("/v1/admin/campaigns").bearer(staff).json(body)).await
}

on_every_inventory_mode!(a_district_campaign_is_claimed_only_by_members_of_unions_under_it);

async fn a_district_campaign_is_claimed_only_by_members_of_unions_under_it(backend: Backend, options: Options) {
    let app = TestApp::spawn_with(backend, options).await;
    let city = app.staff(domain::admin::Role::Admin).await;
    app.load_tree(&city, TREE).await;
    let inside = app.activated_members(3, "SZ-SIP-G1").await;
    // A code that merely starts like the district's, and another district.
    let beside = app.activated_members(2, "SZ-SIPX-G1").await;
    let elsewhere = app.activated_members(2, "SZ-GX-G01").await;
    let district = app.staff_in(&city, "sip.ops", "operator", "SZ-SIP").await;

    // Made by the district's operator without naming a part: the district's own.
    let (id, gift) = app.campaign_between(&district, &start(&app), &end(&app), 10, 1, 1, &[]).await;
    let seen = app.send(Req::get(&format!("/v1/admin/campaigns/{id}")).bearer(&district)).await;
    assert_eq!(seen.json()["scope_code"], "SZ-SIP", "{}", seen.text());

    for (i, token) in inside.iter().enumerate() {
        let reply = app.send(app.claim_req(token, &id, &gift, &format!("in-{i}"))).await;
        assert_eq!(reply.status, 201, "{}", reply.text());
    }
    for (i, token) in beside.iter().chain(&elsewhere).enumerate() {
        let reply = app.send(app.claim_req(token, &id, &gift, &format!("out-{i}"))).await;
        assert_eq!(reply.status, 403, "{}", reply.text());
        assert_eq!(reply.json()["code"], "campaign.ineligible");
        assert_eq!(reply.json()["reason"], "other_union");
    }
    // What members see says the same before they try.
    let page = app.send(Req::get(&format!("/v1/campaigns/{id}")).bearer(&elsewhere[0])).await;
    assert_eq!(page.json()["eligible"], false, "{}", page.text());
    assert_eq!(page.json()["ineligible_reason"], "other_union");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM claims").await, 3);
    app.assert_books_balance().await;
}

fn start(app: &TestApp) -> String {
    (domain::shared::Clock::now(&app.clock) + chrono::Duration::hours(8) - chrono::Duration::minutes(1))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}

fn end(app: &TestApp) -> String {
    (domain::shared::Clock::now(&app.clock) + chrono::Duration::hours(32)).format("%Y-%m-%dT%H:%M:%S").to_string()
}

on_both_backends!(staff_see_and_run_the_campaigns_and_pickup_points_of_their_part_of_the_tree);

async fn staff_see_and_run_the_campaigns_and_pickup_points_of_their_part_of_the_tree(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(domain::admin::Role::Admin).await;
    app.load_tree(&city, TREE).await;
    let sip = app.staff_in(&city, "sip.admin", "admin", "SZ-SIP").await;
    let gx = app.staff_in(&city, "gx.admin", "admin", "SZ-GX").await;

    let federation = campaign(&app, &city, None).await;
    assert_eq!(federation.status, 201, "{}", federation.text());
    assert_eq!(federation.json()["scope_code"], json!(null), "the city's staff make the whole federation's");
    let street = campaign(&app, &sip, Some("SZ-SIP-WT")).await;
    assert_eq!(street.status, 201, "{}", street.text());
    assert_eq!(street.json()["scope_code"], "SZ-SIP-WT");
    for (asked, who) in [("SZ-GX", &sip), ("ROOT", &sip), ("SZ-SIPX", &sip), ("SZ-SIP-WT", &gx)] {
        let refused = campaign(&app, who, Some(asked)).await;
        assert_eq!(refused.status, 404, "{asked}: {}", refused.text());
        assert_eq!(refused.json()["code"], "union.not_found");
    }
    let street = street.json()["id"].as_str().unwrap().to_owned();
    let federation = federation.json()["id"].as_str().unwrap().to_owned();

    let listed = |token: String| {
        let app = &app;
        async move {
            let list = app.send(Req::get("/v1/admin/campaigns").bearer(&token)).await.json();
            let mut ids: Vec<String> =
                list["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect();
            ids.sort();
            ids
        }
    };
    let mut both = vec![street.clone(), federation.clone()];
    both.sort();
    assert_eq!(listed(city.clone()).await, both);
    assert_eq!(listed(sip.clone()).await, vec![street.clone()]);
    assert!(listed(gx.clone()).await.is_empty());
    for (token, id, status) in
        [(&gx, &street, 404), (&sip, &federation, 404), (&sip, &street, 200), (&city, &street, 200)]
    {
        let reply = app.send(Req::get(&format!("/v1/admin/campaigns/{id}")).bearer(token)).await;
        assert_eq!(reply.status, status, "{}", reply.text());
        let report = app.send(Req::get(&format!("/v1/admin/campaigns/{id}/report")).bearer(token)).await;
        assert_eq!(report.status, status, "{}", report.text());
    }
    let cancelled = app.send(Req::post(&format!("/v1/admin/campaigns/{street}/cancel")).bearer(&gx)).await;
    assert_eq!(cancelled.status, 404, "{}", cancelled.text());

    // Pickup points: the district's own by default, listed to it and above it only.
    let point = |token: String, scope: Option<&'static str>| {
        let app = &app;
        async move {
            let mut body = json!({"name": "服务站", "kind": "station", "address": "星海街 1 号"});
            if let Some(scope) = scope {
                body["scope_code"] = json!(scope);
            }
            app.send(Req::post("/v1/admin/pickup-points").bearer(&token).json(body)).await
        }
    };
    let sip_point = point(sip.clone(), None).await;
    assert_eq!(sip_point.status, 201, "{}", sip_point.text());
    assert_eq!(sip_point.json()["scope_code"], "SZ-SIP");
    let city_point = point(city.clone(), None).await;
    assert_eq!(city_point.json()["scope_code"], json!(null));
    assert_eq!(point(gx.clone(), Some("SZ-SIP")).await.status, 404);
    let sip_point = sip_point.json()["id"].as_str().unwrap().to_owned();
    let city_point = city_point.json()["id"].as_str().unwrap().to_owned();
    let points = |token: String| {
        let app = &app;
        async move {
            let list = app.send(Req::get("/v1/admin/pickup-points").bearer(&token)).await.json();
            list["items"].as_array().unwrap().len()
        }
    };
    assert_eq!((points(city.clone()).await, points(sip.clone()).await, points(gx.clone()).await), (2, 1, 0));

    // A gift of the street's campaign handed out at the district's point, not at the city's.
    let gift = app
        .send(Req::post(&format!("/v1/admin/campaigns/{street}/gifts")).bearer(&sip).json(json!({"name": "月饼",
            "unit_cost_fen": 100, "stock": 10, "per_member_limit": 1, "valid_until": "2099-12-31", "funder": "union"})))
        .await;
    assert_eq!(gift.status, 201, "{}", gift.text());
    let gift = gift.json()["id"].as_str().unwrap().to_owned();
    let at = |point: &str| format!("/v1/admin/campaigns/{street}/gifts/{gift}/pickup-points/{point}");
    assert_eq!(app.send(Req::put(&at(&city_point)).bearer(&sip)).await.status, 404);
    assert_eq!(app.send(Req::put(&at(&sip_point)).bearer(&sip)).await.status, 204);
    assert_eq!(app.send(Req::put(&at(&city_point)).bearer(&city)).await.status, 204);

    // The federation's own: merchants, the jobs outbox, the ledger's proof.
    for path in ["/v1/admin/merchants", "/v1/admin/jobs", "/v1/admin/ledger/audit"] {
        let reply = app.send(Req::get(path).bearer(&sip)).await;
        assert_eq!(reply.status, 403, "{path}: {}", reply.text());
        assert_eq!(reply.json()["code"], "auth.federation_only");
        assert_eq!(app.send(Req::get(path).bearer(&city)).await.status, 200, "{path}");
    }
}

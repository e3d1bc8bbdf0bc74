//! What an outside audit tried: numbers out of range, control characters, spreadsheet formulas in
//! report cells, the wrong method on a known path. Each answers a 4xx problem, never a 500.

use domain::admin::Role;
use serde_json::json;
use tests::{on_both_backends, Backend, Req, TestApp};

on_both_backends!(stock_changes_respect_the_ceiling_and_the_budget);

async fn stock_changes_respect_the_ceiling_and_the_budget(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let op = app.staff(Role::Operator).await;
    // Budget 100,000,000,000 fen; the gift costs 8,800 fen a unit, 10 units.
    let (campaign, gift) = app.live_campaign(&op, 10, 1, 1).await;
    let stock = |n: serde_json::Value| {
        Req::patch(&format!("/v1/admin/campaigns/{campaign}/gifts/{gift}")).bearer(&op).json(json!({"stock": n}))
    };
    let too_many = app.send(stock(json!(3_000_000_000u64))).await;
    assert_eq!(too_many.problem(422, "validation.invalid_field")["field"], "stock");
    assert_eq!(app.send(stock(json!(5_000_000_000u64))).await.status, 400, "beyond 32 bits is not a number we take");
    assert_eq!(app.send(stock(json!(-1))).await.status, 400);
    // 10,000,000 units at 8,800 fen = 88,000,000,000 fen: within the budget.
    assert_eq!(app.send(stock(json!(10_000_000))).await.status, 200);

    // A campaign whose budget only covers the stock it has.
    let tight = json!({"title": "元旦", "holiday": "new_year", "starts_at": "2031-01-01T00:00:00",
        "ends_at": "2031-01-03T00:00:00", "per_member_limit": 1, "budget_fen": 10_000});
    let c = app.send(Req::post("/v1/admin/campaigns").bearer(&op).json(tight)).await.json();
    let id = c["id"].as_str().unwrap();
    let g = json!({"name": "年货", "unit_cost_fen": 1_000, "stock": 10, "per_member_limit": 1,
        "valid_until": "2031-02-01", "funder": "union"});
    let g = app.send(Req::post(&format!("/v1/admin/campaigns/{id}/gifts")).bearer(&op).json(g)).await.json();
    let raise = Req::patch(&format!("/v1/admin/campaigns/{id}/gifts/{}", g["id"].as_str().unwrap()))
        .bearer(&op)
        .json(json!({"stock": 11}));
    let over = app.send(raise.clone()).await.problem(409, "campaign.over_budget");
    assert_eq!((over["needed_fen"].as_i64(), over["budget_fen"].as_i64()), (Some(11_000), Some(10_000)));

    // Raising the budget is its own audited action; then the stock fits. A budget never drops.
    let budget =
        |n: i64| Req::put(&format!("/v1/admin/campaigns/{id}/budget")).bearer(&op).json(json!({"budget_fen": n}));
    app.send(budget(9_999)).await.problem(409, "campaign.budget_decrease");
    assert_eq!(app.send(budget(-1)).await.status, 422);
    let raised = app.send(budget(11_000)).await;
    assert_eq!(raised.json()["budget_fen"], 11_000, "{}", raised.text());
    assert_eq!(app.send(raise).await.status, 200);
    let audit = app.send(Req::get("/v1/admin/audit").bearer(&op)).await.json();
    let entry = audit["items"].as_array().unwrap().iter().find(|e| e["action"] == "campaign.budget").cloned().unwrap();
    assert_eq!(
        (entry["before"]["budget_fen"].as_i64(), entry["after"]["budget_fen"].as_i64()),
        (Some(10_000), Some(11_000))
    );
}

on_both_backends!(control_characters_are_refused_on_every_backend);

async fn control_characters_are_refused_on_every_backend(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let op = app.staff(Role::Operator).await;
    let body = r#"{"title": "国庆\u0000", "holiday": "national_day", "starts_at": "2031-10-01T00:00:00",
        "ends_at": "2031-10-08T00:00:00", "per_member_limit": 1, "budget_fen": 1000}"#;
    let r = app.send(Req::post("/v1/admin/campaigns").bearer(&op).raw("application/json", body.into())).await;
    r.problem(400, "request.control_character");
    let point = r#"{"name": "园区\u0007服务站", "kind": "station", "address": "星湖街"}"#;
    let r = app.send(Req::post("/v1/admin/pickup-points").bearer(&op).raw("application/json", point.into())).await;
    r.problem(400, "request.control_character");
    assert_eq!(app.count("SELECT count(*) AS n FROM campaigns").await, 0);
    // A line break is no control character to refuse here: the field's own rule decides.
    let title = r#"{"title": "国庆\n会员有礼", "holiday": "national_day", "starts_at": "2031-10-01T00:00:00",
        "ends_at": "2031-10-08T00:00:00", "per_member_limit": 1, "budget_fen": 1000}"#;
    let r = app.send(Req::post("/v1/admin/campaigns").bearer(&op).raw("application/json", title.into())).await;
    assert_eq!(r.problem(422, "validation.invalid_field")["field"], "title");
}

on_both_backends!(report_cells_never_start_a_formula);

async fn report_cells_never_start_a_formula(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let op = app.staff(Role::Operator).await;
    let c = json!({"title": "端午", "holiday": "dragon_boat", "starts_at": "2031-06-01T00:00:00",
        "ends_at": "2031-06-03T00:00:00", "per_member_limit": 1, "budget_fen": 1_000_000});
    let id =
        app.send(Req::post("/v1/admin/campaigns").bearer(&op).json(c)).await.json()["id"].as_str().unwrap().to_owned();
    let g = json!({"name": "=HYPERLINK(\"http://evil.example\",\"粽子\")", "unit_cost_fen": 100, "stock": 1,
        "per_member_limit": 1, "valid_until": "2031-07-01", "funder": "union"});
    assert_eq!(app.send(Req::post(&format!("/v1/admin/campaigns/{id}/gifts")).bearer(&op).json(g)).await.status, 201);
    let csv = app.send(Req::get(&format!("/v1/admin/campaigns/{id}/report.csv")).bearer(&op)).await.text();
    let line = csv.lines().find(|l| l.starts_with("gift,")).unwrap();
    let name = line.split(',').nth(2).unwrap();
    assert!(name.starts_with("\"'="), "{line}");
}

on_both_backends!(a_known_path_with_the_wrong_method_is_405_with_allow);

async fn a_known_path_with_the_wrong_method_is_405_with_allow(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let member = app.member_token("13900000088").await;
    let r = app.send(Req::new(actix_web::http::Method::PUT, "/v1/me").bearer(&member)).await;
    r.problem(405, "route.method_not_allowed");
    assert_eq!(r.header("allow"), Some("DELETE, GET, PATCH, HEAD"));
    let admin = app.staff(Role::Admin).await;
    let r = app.send(Req::get("/v1/admin/campaigns/0193a2c4-8b00-7d11-8e21-6a7b8c9d0e1f/publish").bearer(&admin)).await;
    assert_eq!((r.status, r.header("allow")), (405, Some("POST")));
    let r = app.send(Req::get("/v1/auth/otp")).await;
    assert_eq!((r.status, r.header("allow")), (405, Some("POST")));
    app.send(Req::get("/v1/no-such-thing")).await.problem(404, "route.not_found");
}

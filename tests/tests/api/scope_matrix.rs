//! The authorization matrix's scope dimension: every staff operation, tried by a district's admin
//! on what lies outside its district. `404`: it does not exist for them, whatever they send.
//! `inside`: a list, search, import or creation answered only from (or into) their part of the tree
//! (`staff_scope.rs` shows what each holds). `whole`: the federation's alone (the working-day
//! calendar, the time limits, the partner merchants, the jobs outbox, the ledger's proof): 403 below the city.
//! `-`: not about the tree (the caller's own session, the blank templates, the calendar and time limits
//! every part reads). An operation without a row
//! fails the test, so no route ships without a decision.

use domain::admin::Role;
use serde_json::{json, Value};
use tests::members::id_number;
use tests::spec::{concrete, request};
use tests::{on_both_backends, Backend, Req, TestApp, TEST_PASSWORD};

const SCOPE: &[(&str, &str, &str)] = &[
    ("POST", "/v1/admin/session", "-"),
    ("GET", "/v1/admin/me", "-"),
    ("GET", "/v1/admin/users", "inside"),
    ("POST", "/v1/admin/users", "inside"),
    ("GET", "/v1/admin/users/{id}", "404"),
    ("PATCH", "/v1/admin/users/{id}", "404"),
    ("GET", "/v1/admin/audit", "inside"),
    ("GET", "/v1/admin/jobs", "whole"),
    ("GET", "/v1/admin/ledger/audit", "whole"),
    ("POST", "/v1/admin/jobs/{id}/retry", "whole"),
    ("POST", "/v1/admin/members/search", "inside"),
    ("POST", "/v1/admin/members/{id}/suspension", "404"),
    ("DELETE", "/v1/admin/members/{id}/suspension", "404"),
    ("POST", "/v1/admin/roster/imports", "inside"),
    ("POST", "/v1/admin/roster/search", "inside"),
    ("GET", "/v1/admin/roster/template.xlsx", "-"),
    ("GET", "/v1/admin/roster/template.csv", "-"),
    ("GET", "/v1/admin/imports/{id}", "404"),
    ("GET", "/v1/admin/imports/{id}/rejected.csv", "404"),
    ("GET", "/v1/admin/unions/{code}/report", "404"),
    ("POST", "/v1/admin/unions/{code}/moves", "404"),
    ("GET", "/v1/admin/applications", "inside"),
    ("GET", "/v1/admin/applications/{id}", "404"),
    ("POST", "/v1/admin/applications/{id}/decision", "404"),
    ("POST", "/v1/admin/applications/{id}/comments", "404"),
    ("GET", "/v1/admin/service-kinds", "-"),
    ("POST", "/v1/admin/service-kinds", "whole"),
    ("PUT", "/v1/admin/service-kinds/{code}", "whole"),
    ("GET", "/v1/admin/service-cases", "inside"),
    ("GET", "/v1/admin/service-cases/{id}", "404"),
    ("POST", "/v1/admin/service-cases/{id}/steps", "404"),
    ("POST", "/v1/admin/service-cases/{id}/messages", "404"),
    ("POST", "/v1/admin/service-cases/{id}/notes", "404"),
    ("GET", "/v1/admin/service-cases/{id}/attachments/{attachment}", "404"),
    ("GET", "/v1/admin/service-case-reads", "inside"),
    ("GET", "/v1/admin/service-budgets", "inside"),
    ("PUT", "/v1/admin/service-budgets/{kind}/{union}/{year}", "whole"),
    ("GET", "/v1/admin/service-payouts", "inside"),
    ("GET", "/v1/admin/service-reports/{union}", "404"),
    ("POST", "/v1/admin/service-payouts/{id}/payment", "404"),
    ("GET", "/v1/admin/calendar/{year}", "-"),
    ("PUT", "/v1/admin/calendar/{year}", "whole"),
    ("GET", "/v1/admin/application-limits", "-"),
    ("PUT", "/v1/admin/application-limits", "whole"),
    ("GET", "/v1/admin/unions", "inside"),
    ("POST", "/v1/admin/unions", "inside"),
    ("GET", "/v1/admin/unions/{code}", "404"),
    ("PATCH", "/v1/admin/unions/{code}", "404"),
    ("POST", "/v1/admin/unions/{code}/merge", "404"),
    ("POST", "/v1/admin/unions/{code}/closure", "404"),
    ("POST", "/v1/admin/unions/imports", "inside"),
    ("GET", "/v1/admin/unions/export.csv", "inside"),
    ("GET", "/v1/admin/unions/template.csv", "-"),
    ("GET", "/v1/admin/campaigns", "inside"),
    ("POST", "/v1/admin/campaigns", "inside"),
    ("GET", "/v1/admin/campaigns/{id}", "404"),
    ("POST", "/v1/admin/campaigns/{id}/gifts", "404"),
    ("PATCH", "/v1/admin/campaigns/{id}/gifts/{gift}", "404"),
    ("PUT", "/v1/admin/campaigns/{id}/gifts/{gift}/pickup-points/{point}", "404"),
    ("POST", "/v1/admin/campaigns/{id}/publish", "404"),
    ("PUT", "/v1/admin/campaigns/{id}/budget", "404"),
    ("POST", "/v1/admin/campaigns/{id}/cancel", "404"),
    ("POST", "/v1/admin/campaigns/{id}/reconcile", "404"),
    ("GET", "/v1/admin/campaigns/{id}/report", "404"),
    ("GET", "/v1/admin/campaigns/{id}/report.csv", "404"),
    ("GET", "/v1/admin/pickup-points", "inside"),
    ("POST", "/v1/admin/pickup-points", "inside"),
    ("PUT", "/v1/admin/pickup-points/{id}/operators/{admin_id}", "404"),
    ("GET", "/v1/admin/cards/applications", "whole"),
    ("GET", "/v1/admin/cards/changes", "whole"),
    ("GET", "/v1/admin/cards/payouts", "whole"),
    ("GET", "/v1/admin/merchants", "whole"),
    ("POST", "/v1/admin/merchants", "whole"),
    ("GET", "/v1/admin/merchants/{id}", "whole"),
    ("PUT", "/v1/admin/merchants/{id}/status", "whole"),
    ("POST", "/v1/admin/merchants/{id}/stores", "whole"),
    ("POST", "/v1/admin/merchants/{id}/offers", "whole"),
    ("PUT", "/v1/admin/merchants/{id}/offers/{offer}/status", "whole"),
    ("POST", "/v1/admin/merchants/{id}/keys", "whole"),
    ("POST", "/v1/admin/merchants/{id}/keys/{serial}/revocation", "whole"),
    ("GET", "/v1/admin/merchants/{id}/webhook", "whole"),
    ("POST", "/v1/admin/merchants/{id}/webhook/test-events", "whole"),
    ("PUT", "/v1/admin/campaigns/{id}/gifts/{gift}/stores/{store}", "404"),
];

const TREE: &str = "工会编码,工会名称,类型,上级工会编码\n\
    SZ-SIP,苏州工业园区总工会,区总工会,ROOT\n\
    SZ-SIP-WT,娄葑街道总工会,街道总工会,SZ-SIP\n\
    SZ-GX,高新区总工会,区总工会,ROOT\n\
    SZ-GX-G01,某医院工会,基层工会,SZ-GX\n\
    SZ-GX-G02,某学校工会,基层工会,SZ-GX\n";

/// A body the operation takes, so that what answers is the scope, not the body's shape.
fn body(method: &str, path: &str) -> Option<Value> {
    Some(match (method, path) {
        ("PATCH", "/v1/admin/unions/{code}") => json!({"name": "改名"}),
        ("POST", "/v1/admin/unions/{code}/merge") => json!({"into": "SZ-GX-G02"}),
        ("PATCH", "/v1/admin/users/{id}") => json!({"display_name": "改名"}),
        ("POST", "/v1/admin/members/{id}/suspension") => json!({"reason": "核实身份"}),
        ("POST", "/v1/admin/applications/{id}/decision") => json!({"decision": "approve"}),
        ("POST", "/v1/admin/applications/{id}/comments") => json!({"text": "意见"}),
        ("PUT", "/v1/admin/calendar/{year}") => json!({"holidays": ["2026-10-01"], "workdays": []}),
        ("PUT", "/v1/admin/application-limits") => json!({"join": 5, "transfer": 5, "leave": 5}),
        ("POST", "/v1/admin/campaigns/{id}/gifts") => json!({"name": "月饼", "unit_cost_fen": 100, "stock": 1,
            "per_member_limit": 1, "valid_until": "2099-12-31", "funder": "union"}),
        ("PATCH", "/v1/admin/campaigns/{id}/gifts/{gift}") => json!({"stock": 5}),
        ("PUT", "/v1/admin/campaigns/{id}/budget") => json!({"budget_fen": 1_000_000}),
        ("POST" | "PUT", "/v1/admin/service-kinds" | "/v1/admin/service-kinds/{code}") => tests::services::legal_kind(),
        ("POST", "/v1/admin/service-cases/{id}/steps") => json!({"step": "accept"}),
        ("PUT", "/v1/admin/service-budgets/{kind}/{union}/{year}") => json!({"cap_fen": 1_000}),
        ("POST", "/v1/admin/service-payouts/{id}/payment") => json!({}),
        ("POST", "/v1/admin/service-cases/{id}/messages" | "/v1/admin/service-cases/{id}/notes") => {
            json!({"body": "您好"})
        }
        _ => return None,
    })
}

on_both_backends!(every_staff_operation_answers_outside_the_scope_as_the_table_says);

async fn every_staff_operation_answers_outside_the_scope_as_the_table_says(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    let reply = app.send(Req::post("/v1/admin/unions/imports").bearer(&city).raw("text/csv", TREE.into())).await;
    assert_eq!(reply.json()["inserted"], 5, "{}", reply.text());
    let made = app
        .send(
            Req::post("/v1/admin/users").bearer(&city).json(json!({"username": "sip.admin", "password": TEST_PASSWORD,
            "display_name": "园区", "role": "admin", "scope_code": "SZ-SIP"})),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text());
    let district = app.login("sip.admin").await;

    // What lies outside: a union, a member of it, the city's admin, an import the city ran.
    let city_admin = app.send(Req::get("/v1/admin/me").bearer(&city)).await.json()["id"].as_str().unwrap().to_owned();
    let id = id_number("19880808", 7);
    let csv = format!("姓名,身份证号,工会编码,工会名称,会员编号,状态\n王会员,{id},SZ-GX-G01,x,M7,在会\n");
    let job = app
        .send(
            Req::post("/v1/admin/roster/imports")
                .bearer(&city)
                .header("prefer", "respond-async")
                .raw("text/csv", csv.into_bytes()),
        )
        .await;
    let job_id = job.json()["id"].as_str().unwrap().to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while app.send(Req::get(&format!("/v1/admin/imports/{job_id}")).bearer(&city)).await.json()["state"] == "running" {
        assert!(std::time::Instant::now() < deadline, "the import job never ended");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let token = app.consenting_member("13800009007").await;
    let bound =
        app.send(Req::put("/v1/me/real-name").bearer(&token).json(json!({"name": "王会员", "id_number": id}))).await;
    assert_eq!(bound.status, 200, "{}", bound.text());
    let member = app.send(Req::get("/v1/me").bearer(&token)).await.json()["id"].as_str().unwrap().to_owned();
    let leave = app.send(Req::post("/v1/me/applications").bearer(&token).json(json!({"kind": "leave"}))).await;
    assert_eq!(leave.status, 201, "{}", leave.text());
    let application = leave.json()["id"].as_str().unwrap().to_owned();
    // The member's question, with a file.
    app.create_kind(&city, tests::services::legal_kind()).await;
    let form = tests::services::Form::default()
        .text("case", &tests::services::case_part("legal-aid", json!({"question": "加班费怎么算？"})))
        .file("contract", "合同.pdf", "application/pdf", tests::services::pdf(500));
    let filed = app.send(form.request("/v1/me/cases").bearer(&token)).await;
    assert_eq!(filed.status, 201, "{}", filed.text());
    let case = filed.json()["id"].as_str().unwrap().to_owned();
    let case_file = filed.json()["attachments"][0]["id"].as_str().unwrap().to_owned();
    // And a hardship payment approved to them by the city.
    let hardship = json!({"code": "hardship", "category": "application", "name": "困难帮扶", "accept_days": 2, "answer_days": 5,
        "fields": [{"key": "why", "label": "困难情况", "required": true, "type": "text", "max_chars": 200}],
        "money": {"max_amount_fen": 100_000, "once": "unlimited"}});
    app.create_kind(&city, hardship).await;
    let year = chrono::Datelike::year(
        &domain::shared::Clock::now(&app.clock).with_timezone(&domain::campaigns::window::SHANGHAI),
    );
    let budget = format!("/v1/admin/service-budgets/hardship/ROOT/{year}");
    assert_eq!(app.send(Req::put(&budget).bearer(&city).json(json!({"cap_fen": 1_000_000}))).await.status, 200);
    let form =
        tests::services::Form::default().text("case", &tests::services::case_part("hardship", json!({"why": "大病"})));
    let filed = app.send(form.request("/v1/me/cases").bearer(&token)).await;
    let steps = format!("/v1/admin/service-cases/{}/steps", filed.json()["id"].as_str().unwrap());
    app.send(Req::post(&steps).bearer(&city).json(json!({"step": "accept"}))).await;
    let approved =
        app.send(Req::post(&steps).bearer(&city).json(json!({"step": "approve", "amount_fen": 50_000}))).await;
    assert_eq!(approved.status, 200, "{}", approved.text());
    let payout = approved.json()["payout"]["id"].as_str().unwrap().to_owned();

    // The city's own campaign, with a gift, and pickup point: the whole federation's.
    let made = app
        .send(Req::post("/v1/admin/campaigns").bearer(&city).json(json!({"title": "国庆", "holiday": "national_day",
            "starts_at": "2099-10-01T10:00:00", "ends_at": "2099-10-07T22:00:00", "per_member_limit": 1,
            "budget_fen": 1_000_000})))
        .await;
    assert_eq!(made.status, 201, "{}", made.text());
    let campaign = made.json()["id"].as_str().unwrap().to_owned();
    let made = app
        .send(
            Req::post(&format!("/v1/admin/campaigns/{campaign}/gifts"))
                .bearer(&city)
                .json(body("POST", "/v1/admin/campaigns/{id}/gifts").unwrap()),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text());
    let gift = made.json()["id"].as_str().unwrap().to_owned();
    let made = app
        .send(
            Req::post("/v1/admin/pickup-points").bearer(&city).json(json!({"name": "市职工服务中心", "kind": "center",
            "address": "人民路 1 号"})),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text());
    let point = made.json()["id"].as_str().unwrap().to_owned();

    let spec = app.send(Req::get("/openapi.json")).await.json();
    let mut mismatches = Vec::new();
    let mut seen = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        if !path.starts_with("/v1/admin/") {
            continue;
        }
        for method in ["get", "post", "put", "patch", "delete"].into_iter().filter(|m| item.get(*m).is_some()) {
            let upper = method.to_uppercase();
            let Some((_, _, expected)) = SCOPE.iter().find(|(m, p, _)| *m == upper && p == path) else {
                panic!("{upper} {path} has no row in the scope table");
            };
            seen += 1;
            if *expected == "whole" {
                let mut req = request(&upper, &concrete(path)).bearer(&district);
                if let Some(body) = body(&upper, path) {
                    req = req.json(body);
                }
                let reply = app.send(req).await;
                if reply.status != 403 {
                    mismatches.push(format!("{upper} {path}: expected 403, got {} {}", reply.status, reply.text()));
                }
                continue;
            }
            if *expected != "404" {
                continue;
            }
            let filled = if path.starts_with("/v1/admin/users/") {
                path.replace("{id}", &city_admin)
            } else if path.starts_with("/v1/admin/members/") {
                path.replace("{id}", &member)
            } else if path.starts_with("/v1/admin/imports/") {
                path.replace("{id}", &job_id)
            } else if path.starts_with("/v1/admin/applications/") {
                path.replace("{id}", &application)
            } else if path.starts_with("/v1/admin/service-reports/") {
                path.replace("{union}", "SZ-GX-G01")
            } else if path.starts_with("/v1/admin/service-payouts/") {
                path.replace("{id}", &payout)
            } else if path.starts_with("/v1/admin/service-cases/") {
                path.replace("{id}", &case).replace("{attachment}", &case_file)
            } else if path.starts_with("/v1/admin/campaigns/") {
                concrete(&path.replace("{id}", &campaign).replace("{gift}", &gift).replace("{point}", &point))
            } else if path.starts_with("/v1/admin/pickup-points/") {
                path.replace("{id}", &point).replace("{admin_id}", &city_admin)
            } else {
                concrete(path).replace("{code}", "SZ-GX-G01")
            };
            let mut req = request(&upper, &filled).bearer(&district);
            if let Some(body) = body(&upper, path) {
                req = req.json(body);
            }
            let reply = app.send(req).await;
            if reply.status != 404 {
                mismatches.push(format!("{upper} {path}: expected 404, got {} {}", reply.status, reply.text()));
            }
            // The city's admin reaches the same thing.
            let mut req = request(&upper, &filled).bearer(&city);
            if let Some(body) = body(&upper, path) {
                req = req.json(body);
            }
            if upper == "GET" && app.send(req).await.status != 200 {
                mismatches.push(format!("{upper} {path}: the city does not reach it either"));
            }
        }
    }
    assert_eq!(seen, SCOPE.len(), "rows for operations that no longer exist");
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}

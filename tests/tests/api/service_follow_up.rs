//! After a case: the member's score within a week (a poor one reopens it), the report per kind,
//! and the member's cases in their export and through erasure.

use domain::admin::Role;
use serde_json::{json, Value};
use tests::services::{case_part, legal_kind, pdf, Form};
use tests::{on_both_backends, Backend, Req, TestApp};

use crate::membership::TREE;
use crate::services::kinds_of;
/// A legal question by `member`, accepted, answered and closed by `caseworker`: the case's id.
async fn closed_case(app: &TestApp, member: &str, caseworker: &str) -> String {
    let id = app.ask(member, "单位不缴社保怎么办？").await["id"].as_str().unwrap().to_owned();
    let steps = format!("/v1/admin/service-cases/{id}/steps");
    for step in [
        json!({"step": "accept"}),
        json!({"step": "answer", "body": "可向社保稽核部门举报。"}),
        json!({"step": "close"}),
    ] {
        let done = app.send(Req::post(&steps).bearer(caseworker).json(step)).await;
        assert_eq!(done.status, 200, "{}", done.text());
    }
    id
}

on_both_backends!(a_closed_case_is_scored_once_within_a_week_and_a_poor_score_reopens_it);

async fn a_closed_case_is_scored_once_within_a_week_and_a_poor_score_reopens_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, TREE).await;
    app.create_kind(&city, legal_kind()).await;
    let phone = app.member_of(&city, "SZ-SIP-WT-G01", 41).await;
    let member = app.member_token(&phone).await;
    let caseworker = app.staff_in(&city, "cw.wt", "caseworker", "SZ-SIP-WT").await;
    let rate = |id: &str, body: Value| Req::post(&format!("/v1/me/cases/{id}/rating")).json(body);

    // Not closed yet: nothing to score. Closed: once, 1 to 5.
    let open = app.ask(&member, "还没办完的").await["id"].as_str().unwrap().to_owned();
    app.send(rate(&open, json!({"score": 5})).bearer(&member)).await.problem(409, "case.wrong_state");
    let first = closed_case(&app, &member, &caseworker).await;
    app.send(rate(&first, json!({"score": 6})).bearer(&member)).await.problem(422, "validation.invalid_field");
    let scored = app.send(rate(&first, json!({"score": 5, "comment": "很满意"})).bearer(&member)).await;
    assert_eq!(scored.status, 200, "{}", scored.text());
    assert_eq!((scored.json()["score"].as_u64(), scored.json()["state"].as_str()), (Some(5), Some("closed")));
    app.send(rate(&first, json!({"score": 4})).bearer(&member)).await.problem(409, "case.wrong_state");

    // Not scored: reminded once after three days; after seven, too late.
    let second = closed_case(&app, &member, &caseworker).await;
    let poor = closed_case(&app, &member, &caseworker).await;
    app.clock.advance(chrono::Duration::days(4));
    let member = app.member_token(&phone).await;
    for _ in 0..2 {
        let case = app.send(Req::get(&format!("/v1/me/cases/{second}")).bearer(&member)).await.json();
        assert_eq!(kinds_of(&case["events"]).iter().filter(|k| **k == "reminded").count(), 1, "{case}");
    }
    // A poor score reopens it for a supervisor; the caseworker may not close it again.
    let reopened = app.send(rate(&poor, json!({"score": 1, "comment": "答复敷衍"})).bearer(&member)).await.json();
    assert_eq!(reopened["state"], "reopened", "{reopened}");
    assert!(reopened["due_at"].is_string());
    let caseworker = app.login("cw.wt").await;
    let supervisor = app.staff_in(&app.login("t.admin").await, "sip.ops", "operator", "SZ-SIP").await;
    let queue = app.send(Req::get("/v1/admin/service-cases?state=reopened").bearer(&supervisor)).await.json();
    assert_eq!(queue["items"][0]["id"], poor.as_str(), "{queue}");
    let steps = format!("/v1/admin/service-cases/{poor}/steps");
    app.send(Req::post(&steps).bearer(&caseworker).json(json!({"step": "close"})))
        .await
        .problem(403, "case.supervisor_only");
    let reviewed = app
        .send(Req::post(&steps).bearer(&supervisor).json(json!({"step": "close", "note": "已回访，重新答复"})))
        .await;
    assert_eq!(reviewed.json()["state"], "closed", "{}", reviewed.text());
    app.clock.advance(chrono::Duration::days(4));
    let member = app.member_token(&phone).await;
    app.send(rate(&second, json!({"score": 4})).bearer(&member)).await.problem(409, "case.rating_closed");

    // A member who leaves while a case is reopened for review: it is withdrawn with the rest, out of
    // every queue, its clock stopped.
    let caseworker = app.login("cw.wt").await;
    let last = closed_case(&app, &member, &caseworker).await;
    let reopened = app.send(rate(&last, json!({"score": 2})).bearer(&member)).await.json();
    assert_eq!(reopened["state"], "reopened", "{reopened}");
    assert_eq!(app.send(Req::new(actix_web::http::Method::DELETE, "/v1/me").bearer(&member)).await.status, 204);
    let supervisor = app.login("sip.ops").await;
    let case = app.send(Req::get(&format!("/v1/admin/service-cases/{last}")).bearer(&supervisor)).await.json();
    assert_eq!((case["state"].as_str(), &case["due_at"]), (Some("withdrawn"), &Value::Null), "{case}");
    let queue = app.send(Req::get("/v1/admin/service-cases?state=reopened").bearer(&supervisor)).await.json();
    assert!(queue["items"].as_array().unwrap().iter().all(|c| c["id"] != last.as_str()), "{queue}");
}

on_both_backends!(the_report_counts_cases_per_kind_with_their_times_and_scores);

async fn the_report_counts_cases_per_kind_with_their_times_and_scores(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, TREE).await;
    app.create_kind(&city, legal_kind()).await;
    let member = app.member_token(&app.member_of(&city, "SZ-SIP-WT-G01", 51).await).await;
    let caseworker = app.staff_in(&city, "cw.wt", "caseworker", "SZ-SIP-WT").await;
    let elsewhere = app.staff_in(&city, "xt.ops", "operator", "SZ-SIP-XT").await;
    let auditor = app.staff(Role::Auditor).await;
    let month = domain::membership::report::Month::of(domain::shared::Clock::now(&app.clock)).to_string();
    let good = closed_case(&app, &member, &caseworker).await;
    let poor = closed_case(&app, &member, &caseworker).await;
    for (id, score) in [(&good, 5), (&poor, 1)] {
        let rated = app
            .send(Req::post(&format!("/v1/me/cases/{id}/rating")).bearer(&member).json(json!({"score": score})))
            .await;
        assert_eq!(rated.status, 200, "{}", rated.text());
    }
    app.ask(&member, "还在等答复").await;
    let gone = app.ask(&member, "不问了").await["id"].as_str().unwrap().to_owned();
    app.send(Req::post(&format!("/v1/me/cases/{gone}/withdrawal")).bearer(&member)).await;

    let at = format!("/v1/admin/service-reports/SZ-SIP?from={month}&to={month}");
    let report = app.send(Req::get(&at).bearer(&auditor)).await;
    assert_eq!(report.status, 200, "{}", report.text());
    let lines = report.json()["lines"].clone();
    let legal = &lines[0];
    assert_eq!(legal["kind"], "legal-aid", "{lines}");
    let figures: Vec<u64> =
        ["received", "resolved", "resolved_in_time", "resolved_late", "withdrawn", "open", "scored", "low_scores"]
            .iter()
            .map(|k| legal[k].as_u64().unwrap())
            .collect();
    assert_eq!(figures, [4, 2, 2, 0, 1, 1, 2, 1], "{legal}");
    assert_eq!(legal["mean_score"], 3.0);
    assert!(legal["median_seconds_to_resolve"].as_i64().is_some_and(|s| s >= 0));
    assert_eq!(lines[1]["kind"], Value::Null);
    assert_eq!(lines[1]["received"], 4);
    let csv = app.send(Req::get(&at).bearer(&city).header("accept", "text/csv")).await.text();
    assert_eq!(csv.lines().count(), 3, "{csv}");
    assert!(csv.lines().nth(1).unwrap().starts_with("legal-aid,法律援助,4,2,2,0,1,1,"), "{csv}");
    assert_eq!(app.send(Req::get(&at).bearer(&caseworker)).await.status, 403);
    app.send(Req::get(&at.replace("SZ-SIP?", "SZ-SIP-WT?")).bearer(&elsewhere)).await.problem(404, "union.not_found");
    let wide = format!("/v1/admin/service-reports/SZ-SIP?from=2020-01&to={month}");
    app.send(Req::get(&wide).bearer(&auditor)).await.problem(422, "validation.invalid_field");
}

on_both_backends!(a_member_s_cases_are_in_their_export_and_erasure_keeps_only_what_the_books_need);

async fn a_member_s_cases_are_in_their_export_and_erasure_keeps_only_what_the_books_need(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, TREE).await;
    app.create_kind(&city, legal_kind()).await;
    let member = app.member_token(&app.member_of(&city, "SZ-SIP-WT-G01", 61).await).await;
    let caseworker = app.staff_in(&city, "cw.wt", "caseworker", "SZ-SIP-WT").await;
    let form = Form::default()
        .text("case", &case_part("legal-aid", json!({"question": "我的劳动合同是否有效？"})))
        .file("contract", "合同.pdf", "application/pdf", pdf(4_000));
    let filed = app.send(form.request("/v1/me/cases").bearer(&member)).await.json();
    let id = filed["id"].as_str().unwrap().to_owned();
    app.send(
        Req::post(&format!("/v1/admin/service-cases/{id}/notes")).bearer(&caseworker).json(json!({"body": "内部备注"})),
    )
    .await;
    let export = app.send(Req::get("/v1/me/export").bearer(&member)).await.json();
    let case = &export["cases"][0];
    assert_eq!(case["answers"]["question"], "我的劳动合同是否有效？", "{export}");
    assert_eq!(case["attachments"].as_array().unwrap().len(), 1);
    assert!(!kinds_of(&case["events"]).contains(&"note"), "staff's notes stay with the union");
    assert_eq!(app.stored_files(), 1);

    assert_eq!(app.send(Req::new(actix_web::http::Method::DELETE, "/v1/me").bearer(&member)).await.status, 204);
    assert_eq!(app.stored_files(), 0, "the files go with the account");
    let kept = app.send(Req::get(&format!("/v1/admin/service-cases/{id}")).bearer(&caseworker)).await.json();
    assert_eq!((kept["state"].as_str(), &kept["answers"]), (Some("withdrawn"), &json!({})), "{kept}");
    assert_eq!(kept["attachments"], json!([]));
    assert!(kept["events"].as_array().unwrap().iter().all(|e| e["body"].is_null()), "{kept}");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM service_cases").await, 1, "the case's facts stay for the books");
}

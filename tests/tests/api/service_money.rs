//! The union fund behind service windows: approvals draw on the nearest budget under its lock and
//! never pass its cap, each kind's once-per rule holds whoever asks, and the bank pays the file.

use domain::admin::Role;
use domain::campaigns::window::SHANGHAI;
use serde_json::{json, Value};
use tests::services::{case_part, illness_kind, pdf, Form};
use tests::{on_both_backends, Backend, Req, TestApp};

use crate::membership::TREE;
/// An application kind that pays, for any active member (no months of membership asked).
fn subsidy(code: &str, once: Value) -> Value {
    let mut kind = illness_kind();
    kind["code"] = json!(code);
    kind["eligibility"] = json!({"member": true});
    kind["fields"]
        .as_array_mut()
        .unwrap()
        .push(json!({"key": "child_id", "label": "子女身份证", "required": false, "type": "id_number"}));
    kind["money"] = once;
    kind
}

/// A case of `kind` by `member`, accepted by `caseworker`: its steps path.
async fn accepted(app: &TestApp, member: &str, kind: &str, answers: Value, caseworker: &str) -> String {
    let form = Form::default().text("case", &case_part(kind, answers)).file(
        "diagnosis_proof",
        "诊断.pdf",
        "application/pdf",
        pdf(2_000),
    );
    let filed = app.send(form.request("/v1/me/cases").bearer(member)).await;
    assert_eq!(filed.status, 201, "{}", filed.text());
    let steps = format!("/v1/admin/service-cases/{}/steps", filed.json()["id"].as_str().unwrap());
    let accepted = app.send(Req::post(&steps).bearer(caseworker).json(json!({"step": "accept"}))).await;
    assert_eq!(accepted.status, 200, "{}", accepted.text());
    steps
}

fn approve(amount: i64) -> Value {
    json!({"step": "approve", "amount_fen": amount})
}

on_both_backends!(approvals_pay_from_the_nearest_budget_never_past_its_cap_and_the_bank_pays_them);

async fn approvals_pay_from_the_nearest_budget_never_past_its_cap_and_the_bank_pays_them(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, TREE).await;
    // Open to anyone (members signing in by SMS one after another would meet the per-address code limit).
    let mut kind = subsidy("hardship", json!({"max_amount_fen": 500_000, "once": "person_year"}));
    kind["eligibility"] = json!({});
    app.create_kind(&city, kind).await;
    let caseworker = city.clone();
    let district = app.staff_in(&city, "sip.ops", "operator", "SZ-SIP").await;
    let auditor = app.staff(Role::Auditor).await;
    let year = chrono::Datelike::year(&domain::shared::Clock::now(&app.clock).with_timezone(&SHANGHAI));
    let answers = json!({"diagnosis": "重病", "self_paid_fen": 1_000_000});

    // No budget anywhere above the case: an approval that pays is refused.
    let members = app.unlisted_members(8).await;
    let first = accepted(&app, &members[0], "hardship", answers.clone(), &caseworker).await;
    app.send(Req::post(&first).bearer(&caseworker).json(approve(300_000))).await.problem(409, "case.no_budget");

    // The district's budget, set by the city; a district operator may not set its own.
    let budget = format!("/v1/admin/service-budgets/hardship/ROOT/{year}");
    app.send(Req::put(&budget).bearer(&district).json(json!({"cap_fen": 99_000_000})))
        .await
        .problem(403, "auth.federation_only");
    let set = app.send(Req::put(&budget).bearer(&city).json(json!({"cap_fen": 1_000_000}))).await;
    assert_eq!(set.status, 200, "{}", set.text());
    assert_eq!(set.json()["left_fen"], 1_000_000);

    // Eight approvals of ¥3,000 at once against ¥10,000: three pay, five are refused, exactly.
    let mut steps = vec![first];
    for member in &members[1..] {
        steps.push(accepted(&app, member, "hardship", answers.clone(), &caseworker).await);
    }
    let replies = futures_util::future::join_all(
        steps.iter().map(|s| app.send(Req::post(s).bearer(&caseworker).json(approve(300_000)))),
    )
    .await;
    let paid = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(paid, 3, "{:?}", replies.iter().map(|r| (r.status, r.text())).collect::<Vec<_>>());
    for refused in replies.iter().filter(|r| r.status != 200) {
        assert_eq!(refused.problem(409, "case.budget_exceeded")["left_fen"], 100_000);
    }
    let budgets = app.send(Req::get(&format!("/v1/admin/service-budgets?year={year}")).bearer(&auditor)).await.json();
    assert_eq!(
        (budgets["items"][0]["spent_fen"].as_i64(), budgets["items"][0]["left_fen"].as_i64()),
        (Some(900_000), Some(100_000))
    );
    app.send(Req::put(&budget).bearer(&city).json(json!({"cap_fen": 100}))).await.problem(409, "budget.below_spent");

    // Once a year per person: a second case of a member paid this year is refused, whatever the budget.
    app.send(Req::put(&budget).bearer(&city).json(json!({"cap_fen": 10_000_000}))).await;
    let winner = replies.iter().position(|r| r.status == 200).unwrap();
    let again = accepted(&app, &members[winner], "hardship", answers.clone(), &caseworker).await;
    app.send(Req::post(&again).bearer(&caseworker).json(approve(100_000))).await.problem(409, "case.already_paid");

    // The payout file: three lines and their total, as JSON and CSV, for the auditor and the bank.
    let file = app.send(Req::get("/v1/admin/service-payouts?state=due").bearer(&auditor)).await.json();
    assert_eq!((file["count"].as_u64(), file["total_fen"].as_i64()), (Some(3), Some(900_000)), "{file}");
    assert!(file["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["funder"] == "union" && p["case_number"].as_str().unwrap().starts_with("FW")));
    let csv = app.send(Req::get("/v1/admin/service-payouts?format=csv").bearer(&city)).await.text();
    assert_eq!(csv.lines().count(), 5, "{csv}");
    assert!(csv.trim_end().ends_with("TOTAL,3,,,,,900000,,,,,,,,"), "{csv}");
    let street = app.staff_in(&city, "cw.wt", "caseworker", "SZ-SIP-WT").await;
    assert_eq!(app.send(Req::get("/v1/admin/service-payouts").bearer(&street)).await.status, 403);
    let bank = app.bank(&city, 3).await;
    let due = app.send(bank.sign(&app, Req::get("/v1/bank/service-payouts?state=due"))).await;
    assert_eq!(due.status, 200, "{}", due.text());
    let ids: Vec<String> =
        due.json()["items"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 3);

    // The bank pays one (a retry is the same answer, another reference is refused); staff mark another.
    let pay = |id: &str, body: Value| {
        bank.sign(&app, Req::post(&format!("/v1/bank/service-payouts/{id}/payment")).json(body))
    };
    app.send(pay(&ids[0], json!({}))).await.problem(422, "validation.invalid_field");
    let paid = app.send(pay(&ids[0], json!({"bank_ref": "BOSZ-PAY-0001"}))).await;
    assert_eq!(paid.status, 200, "{}", paid.text());
    assert_eq!((paid.json()["state"].as_str(), paid.json()["paid_by"].as_str()), (Some("paid"), Some("bank")));
    assert_eq!(app.send(pay(&ids[0], json!({"bank_ref": "BOSZ-PAY-0001"}))).await.json(), paid.json());
    app.send(pay(&ids[0], json!({"bank_ref": "BOSZ-PAY-0002"}))).await.problem(409, "payout.paid");
    let by_staff = app
        .send(Req::post(&format!("/v1/admin/service-payouts/{}/payment", ids[1])).bearer(&city).json(json!({})))
        .await;
    assert_eq!(by_staff.json()["paid_by"], "t.admin", "{}", by_staff.text());
    assert_eq!(
        app.send(Req::post(&format!("/v1/admin/service-payouts/{}/payment", ids[2])).bearer(&auditor).json(json!({})))
            .await
            .status,
        403
    );
    let left = app.send(bank.sign(&app, Req::get("/v1/bank/service-payouts?state=due"))).await.json();
    assert_eq!((left["count"].as_u64(), left["total_fen"].as_i64()), (Some(1), Some(300_000)));

    // The member sees the payment on the case; the books add up.
    let case_id = due.json()["items"][0]["case_id"].as_str().unwrap().to_owned();
    let owner = due.json()["items"][0]["member_id"].as_str().unwrap().to_owned();
    for member in &members {
        let me = app.send(Req::get("/v1/me").bearer(member)).await.json();
        if me["id"] == owner.as_str() {
            let case = app.send(Req::get(&format!("/v1/me/cases/{case_id}")).bearer(member)).await.json();
            assert_eq!(
                (case["payout"]["state"].as_str(), case["payout"]["amount_fen"].as_i64()),
                (Some("paid"), Some(300_000))
            );
        }
    }
    app.assert_books_balance().await;
}

on_both_backends!(a_school_grant_pays_once_per_child_per_school_year_whoever_asks);

async fn a_school_grant_pays_once_per_child_per_school_year_whoever_asks(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, TREE).await;
    let kind = subsidy(
        "school-grant",
        json!({"max_amount_fen": 300_000, "once": "child_school_year", "child_field": "child_id"}),
    );
    app.create_kind(&city, kind).await;
    let year = chrono::Datelike::year(&domain::shared::Clock::now(&app.clock).with_timezone(&SHANGHAI));
    let set = app
        .send(
            Req::put(&format!("/v1/admin/service-budgets/school-grant/ROOT/{year}"))
                .bearer(&city)
                .json(json!({"cap_fen": 50_000_000})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.text());
    let caseworker = app.staff_in(&city, "cw.sip", "caseworker", "SZ-SIP").await;
    let child = tests::members::id_number("20080901", 5);
    let answers = |child: &str| json!({"diagnosis": "家庭困难", "self_paid_fen": 1, "child_id": child});
    // Both parents ask for the same child at once: one is paid.
    let mother = app.member_token(&app.member_of(&city, "SZ-SIP-WT-G01", 31).await).await;
    let father = app.member_token(&app.member_of(&city, "SZ-SIP-XT-G01", 32).await).await;
    let a = accepted(&app, &mother, "school-grant", answers(&child), &caseworker).await;
    let b = accepted(&app, &father, "school-grant", answers(&child), &caseworker).await;
    let (x, y) = tokio::join!(
        app.send(Req::post(&a).bearer(&caseworker).json(approve(200_000))),
        app.send(Req::post(&b).bearer(&caseworker).json(approve(200_000)))
    );
    let mut statuses = [x.status, y.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{} / {}", x.text(), y.text());
    let refused = if x.status == 409 { &x } else { &y };
    refused.problem(409, "case.already_paid");
    // Another child of the same parent is paid.
    let sibling = tests::members::id_number("20100301", 6);
    let c = accepted(&app, &mother, "school-grant", answers(&sibling), &caseworker).await;
    assert_eq!(app.send(Req::post(&c).bearer(&caseworker).json(approve(200_000))).await.status, 200);
    app.assert_books_balance().await;
}

on_both_backends!(two_hundred_approvals_at_once_spend_the_budget_exactly_and_no_more);

async fn two_hundred_approvals_at_once_spend_the_budget_exactly_and_no_more(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, TREE).await;
    app.create_kind(&city, subsidy("relief", json!({"max_amount_fen": 100_000, "once": "unlimited"}))).await;
    let year = chrono::Datelike::year(&domain::shared::Clock::now(&app.clock).with_timezone(&SHANGHAI));
    let cap = 13_700_000; // 137 approvals of ¥1,000
    let set = app
        .send(
            Req::put(&format!("/v1/admin/service-budgets/relief/SZ-SIP-WT/{year}"))
                .bearer(&city)
                .json(json!({"cap_fen": cap})),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.text());
    let member = app.member_token(&app.member_of(&city, "SZ-SIP-WT-J01", 71).await).await;
    let caseworkers = [
        app.staff_in(&city, "cw.1", "caseworker", "SZ-SIP-WT").await,
        app.staff_in(&city, "cw.2", "caseworker", "SZ-SIP").await,
        app.login("t.admin").await,
    ];
    let mut steps = Vec::new();
    for i in 0..200 {
        steps.push(
            accepted(&app, &member, "relief", json!({"diagnosis": "困难", "self_paid_fen": 1}), &caseworkers[i % 3])
                .await,
        );
    }
    let replies = futures_util::future::join_all(
        steps
            .iter()
            .enumerate()
            .map(|(i, s)| app.send(Req::post(s).bearer(&caseworkers[i % 3]).json(approve(100_000)))),
    )
    .await;
    let approved = replies.iter().filter(|r| r.status == 200).count();
    assert_eq!(
        approved,
        137,
        "{:?}",
        replies.iter().filter(|r| r.status != 200 && r.status != 409).map(|r| r.text()).collect::<Vec<_>>()
    );
    assert!(replies
        .iter()
        .filter(|r| r.status != 200)
        .all(|r| r.status == 409 && r.json()["code"] == "case.budget_exceeded"));
    let budget =
        app.send(Req::get(&format!("/v1/admin/service-budgets?year={year}&kind=relief")).bearer(&city)).await.json();
    assert_eq!(
        (budget["items"][0]["spent_fen"].as_i64(), budget["items"][0]["left_fen"].as_i64()),
        (Some(cap), Some(0))
    );
    let file = app.send(Req::get("/v1/admin/service-payouts?kind=relief").bearer(&city)).await.json();
    assert_eq!((file["count"].as_u64(), file["total_fen"].as_i64()), (Some(137), Some(cap)));
    app.assert_books_balance().await;
}

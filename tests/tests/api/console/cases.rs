//! The service windows in the console: a street's caseworker finds a member's illness subsidy in the
//! queue, opens it (a logged read) and its scan, returns it for a missing page, then, once the member
//! sends it, approves it in yuan within the budget; another street's caseworker sees none of it.

use super::*;
use tests::services::{case_part, illness_kind, pdf, Form};

on_both_backends!(a_caseworker_works_a_case_in_the_console);

async fn a_caseworker_works_a_case_in_the_console(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, crate::membership::TREE).await;
    let mut kind = illness_kind();
    kind["eligibility"] = json!({"member": true});
    app.create_kind(&city, kind).await;
    let year = chrono::Datelike::year(
        &domain::shared::Clock::now(&app.clock).with_timezone(&domain::campaigns::window::SHANGHAI),
    );
    let budget = format!("/v1/admin/service-budgets/illness-subsidy/SZ-SIP/{year}");
    assert_eq!(app.send(Req::put(&budget).bearer(&city).json(json!({"cap_fen": 1_000_000}))).await.status, 200);
    app.staff_in(&city, "cw.wt", "caseworker", "SZ-SIP-WT").await;
    app.staff_in(&city, "cw.xt", "caseworker", "SZ-SIP-XT").await;
    let member = app.member_token(&app.member_of(&city, "SZ-SIP-WT-G01", 81).await).await;
    let scan = pdf(3_000);
    let form = Form::default()
        .text("case", &case_part("illness-subsidy", json!({"diagnosis": "急性心肌梗死", "self_paid_fen": 4_830_000})))
        .file("diagnosis_proof", "诊断证明.pdf", "application/pdf", scan.clone());
    let filed = app.send(form.request("/v1/me/cases").bearer(&member)).await.json();
    let id = filed["id"].as_str().unwrap().to_owned();
    let file = filed["attachments"][0]["id"].as_str().unwrap().to_owned();

    let cw = app.console_sign_in("cw.wt").await;
    let other = app.console_sign_in("cw.xt").await;
    let queue = app.console_get(Some(&cw), "/console/cases").await;
    assert_eq!(queue.status, 200, "{}", queue.text());
    let html = queue.text();
    assert!(html.contains(&format!(r#"data-case="{id}""#)), "{html}");
    assert!(
        html.contains(r#"href="/console/cases""#) && !html.contains(r#"href="/console/campaigns""#),
        "a caseworker's sections: {html}"
    );
    assert!(!app.console_get(Some(&other), "/console/cases").await.text().contains(&id));
    let page = format!("/console/cases/{id}");
    assert_eq!(app.console_get(Some(&other), &page).await.status, 404);

    // The case and its scan, each a logged read.
    let html = app.console_get(Some(&cw), &page).await.text();
    assert!(html.contains("急性心肌梗死") && html.contains("诊断证明.pdf"), "{html}");
    assert!(html.contains("所患疾病") && html.contains("¥48,300.00"), "the form's labels, money in yuan: {html}");
    let got = app.console_get(Some(&cw), &format!("{page}/attachments/{file}")).await;
    assert_eq!((got.status, got.body.clone()), (200, scan));
    let reads = app.send(Req::get(&format!("/v1/admin/service-case-reads?case={id}")).bearer(&city)).await.json();
    assert!(reads["items"].as_array().unwrap().len() >= 2, "{reads}");

    // Accept, then return without saying what is missing: told why, nothing changed.
    let steps = format!("{page}/steps");
    let (steps, cw_ref, app_ref) = (&steps, &cw, &app);
    let step = move |pairs: Vec<(&'static str, &'static str)>| async move {
        let mut pairs: Vec<(&str, &str)> = pairs;
        pairs.push(("_csrf", cw_ref.csrf.as_str()));
        app_ref.console_post(Some(cw_ref), steps, &pairs).await
    };
    assert_eq!(step(vec![("step", "accept")]).await.status, 303);
    let refused = step(vec![("step", "return"), ("text", " ")]).await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert!(refused.text().contains("须为 1–2000 个可见字符"), "{}", refused.text());
    assert_eq!(step(vec![("step", "return"), ("text", "请补充发票")]).await.status, 303);
    let answer = Form::default().file("invoice", "发票.pdf", "application/pdf", pdf(800));
    assert_eq!(app.send(answer.request(&format!("/v1/me/cases/{id}/resubmission")).bearer(&member)).await.status, 200);

    // Approved in yuan; the note and the message land in the thread.
    let approved = step(vec![("step", "approve"), ("amount", "3000"), ("text", "符合条件")]).await;
    assert_eq!(approved.status, 303, "{}", approved.text());
    let note =
        app.console_post(Some(&cw), &format!("{page}/notes"), &[("body", "已电话回访"), ("_csrf", &cw.csrf)]).await;
    assert_eq!(note.status, 303, "{}", note.text());
    let html = app.console_get(Some(&cw), &page).await.text();
    assert!(
        html.contains(r#"data-state="approved""#) && html.contains("3,000.00") && html.contains("已电话回访"),
        "{html}"
    );
    let mine = app.send(Req::get(&format!("/v1/me/cases/{id}")).bearer(&member)).await.json();
    assert_eq!(mine["payout"]["amount_fen"], 300_000, "{mine}");
}

//! The roster file uploaded as an import job.

use super::*;

/// A roster file of `good` rows and one with a bad 身份证 number.
pub(super) fn roster_file(good: u32) -> Vec<u8> {
    let mut file = String::from("姓名,身份证号,工会编码,工会名称,会员编号,状态\n");
    for n in 0..good {
        file.push_str(&format!("吴某,{},SZ-640,某公司工会,C{n},在会\n", tests::members::id_number("19800101", n)));
    }
    file.push_str("李四,110105194912310021,SZ-640,某公司工会,C-bad,在会\n");
    file.into_bytes()
}

on_both_backends!(a_roster_file_is_imported_as_a_job_and_its_rejected_rows_downloaded);

/// The console's upload (as its script sends it): a job, its state as a fragment until it ends,
/// the rejected row with its reason as a file; without the session's token, or by an auditor, no
/// job.
async fn a_roster_file_is_imported_as_a_job_and_its_rejected_rows_downloaded(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.staff(Role::Operator).await;
    app.create_admin("audit.li", Role::Auditor, None).await;
    let ops = app.console_sign_in("t.operator").await;
    let auditor = app.console_sign_in("audit.li").await;
    let page = app.console_get(Some(&ops), "/console/roster").await;
    assert_eq!(page.status, 200);
    assert!(page.text().contains(r#"data-upload="/console/roster/imports""#));
    assert_eq!(app.console_get(Some(&auditor), "/console/roster").await.status, 403);

    let upload = |session: &tests::console::ConsoleSession, token: &str| {
        Req::post("/console/roster/imports")
            .header("cookie", &session.cookie)
            .header("x-csrf-token", token)
            .raw("text/csv", roster_file(20))
    };
    assert_eq!(app.send(upload(&ops, "forged")).await.status, 403);
    assert_eq!(app.send(upload(&auditor, &auditor.csrf)).await.status, 403);
    let wrong_type = app.send(upload(&ops, &ops.csrf).raw("application/pdf", b"%PDF".to_vec())).await;
    assert_eq!(wrong_type.status, 415, "{}", wrong_type.text());
    assert!(wrong_type.json()["message"].as_str().is_some_and(|m| m.contains("CSV")), "{}", wrong_type.text());

    let started = app.send(upload(&ops, &ops.csrf)).await;
    assert_eq!(started.status, 202, "{}", started.text());
    let job = started.json()["id"].as_str().unwrap().to_owned();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let done = loop {
        let fragment = app.console_get(Some(&ops), &format!("/console/imports/{job}")).await;
        assert_eq!(fragment.status, 200, "{}", fragment.text());
        let html = fragment.text();
        if html.contains("data-finished") {
            break html;
        }
        assert!(html.contains(&format!(r#"hx-get="/console/imports/{job}""#)), "a running job asks again: {html}");
        assert!(std::time::Instant::now() < deadline, "still running");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(done.contains(r#"data-count="inserted">20<"#) && done.contains(r#"data-count="rejected">1<"#), "{done}");
    let file = app.console_get(Some(&ops), &format!("/console/imports/{job}/rejected.csv")).await;
    assert_eq!(file.status, 200);
    let text = file.text();
    assert!(text.contains("C-bad") && !text.contains("C0,"), "{text}");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM roster WHERE union_org_code = 'SZ-640'").await, 20);
    assert_eq!(app.console_get(Some(&auditor), &format!("/console/imports/{job}")).await.status, 403);
}

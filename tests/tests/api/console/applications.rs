//! The application queue in the console: a grassroots union's officer sees their union's
//! applications, refuses one without a reason only to be told why, approves another; two officers
//! deciding the same one at once: one decides, the other is told it was decided.

use super::*;

const TREE: &str = "工会编码,工会名称,类型,上级工会编码,覆盖单位\n\
    SZ-SIP,苏州工业园区总工会,区总工会,ROOT,\n\
    SZ-SIP-WT,娄葑街道总工会,街道总工会,SZ-SIP,\n\
    SZ-SIP-WT-G01,某科技公司工会,基层工会,SZ-SIP-WT,苏州某某科技有限公司\n\
    SZ-SIP-XT,斜塘街道总工会,街道总工会,SZ-SIP,\n";

fn join(n: u32) -> serde_json::Value {
    json!({"kind": "join", "union_code": "SZ-SIP-WT-G01", "employer": "苏州某某科技有限公司", "position": "装配工",
        "started_on": "2026-03-01", "consent": true, "name": "李职工", "id_number": tests::members::id_number("19950505", n)})
}

on_both_backends!(an_officer_decides_their_unions_applications_in_the_console);

async fn an_officer_decides_their_unions_applications_in_the_console(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, TREE).await;
    app.staff_in(&city, "g01.chair", "union_officer", "SZ-SIP-WT-G01").await;
    app.staff_in(&city, "g01.clerk", "union_officer", "SZ-SIP-WT-G01").await;
    app.staff_in(&city, "xt.ops", "operator", "SZ-SIP-XT").await;
    let mut ids = Vec::new();
    for n in 1..=2 {
        let worker = app.unlisted_member(n).await;
        let filed = app.send(Req::post("/v1/me/applications").bearer(&worker).json(join(n))).await;
        assert_eq!(filed.status, 201, "{}", filed.text());
        ids.push(filed.json()["id"].as_str().unwrap().to_owned());
    }
    let chair = app.console_sign_in("g01.chair").await;
    let clerk = app.console_sign_in("g01.clerk").await;
    let elsewhere = app.console_sign_in("xt.ops").await;

    // The officer's console: the queue is theirs; campaigns and merchants are not offered.
    let queue = app.console_get(Some(&chair), "/console/applications").await;
    assert_eq!(queue.status, 200, "{}", queue.text());
    let html = queue.text();
    assert!(ids.iter().all(|id| html.contains(&format!(r#"data-application="{id}""#))), "{html}");
    assert!(html.contains("李**") && !html.contains("李职工"), "masked: {html}");
    assert!(
        html.contains(r#"href="/console/applications""#) && !html.contains(r#"href="/console/merchants""#),
        "{html}"
    );
    let other = app.console_get(Some(&elsewhere), "/console/applications").await.text();
    assert!(!other.contains(&ids[0]), "another street's operator sees none of them");
    assert_eq!(app.console_get(Some(&elsewhere), &format!("/console/applications/{}", ids[0])).await.status, 404);

    // A refusal needs its reason: the API's message beside the field, the choice kept.
    let page = format!("/console/applications/{}", ids[0]);
    let refused = app
        .console_post(
            Some(&chair),
            &format!("{page}/decision"),
            &[("decision", "refuse"), ("note", " "), ("_csrf", &chair.csrf)],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert!(refused.text().contains(r#"id="note-error""#), "{}", refused.text());
    assert!(refused.text().contains(r#"value="refuse" checked"#), "{}", refused.text());

    // A remark between unions, then two officers approving at once: one decides, one is told.
    let remark = app
        .console_post(Some(&clerk), &format!("{page}/comments"), &[("text", "已电话核实在职"), ("_csrf", &clerk.csrf)])
        .await;
    assert_eq!(remark.status, 303, "{}", remark.text());
    let decision = format!("{page}/decision");
    let (by_chair, by_clerk) = (
        [("decision", "approve"), ("_csrf", chair.csrf.as_str())],
        [("decision", "approve"), ("_csrf", clerk.csrf.as_str())],
    );
    let (a, b) = tokio::join!(
        app.console_post(Some(&chair), &decision, &by_chair),
        app.console_post(Some(&clerk), &decision, &by_clerk),
    );
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 409], "{} / {}", a.text(), b.text());
    let shown = app.console_get(Some(&chair), &format!("{page}?done=decision")).await.text();
    assert!(shown.contains("已电话核实在职") && shown.contains("data-member-no"), "{shown}");
    assert!(!shown.contains(r#"data-testid="decision-form""#), "decided: no form");
    let audit = app.send(Req::get("/v1/admin/audit?action=application.approve").bearer(&city)).await.json();
    assert_eq!(audit["items"].as_array().map(Vec::len), Some(1), "{audit}");

    // The other, refused with a reason; a forged post without the token changes nothing.
    let second = format!("/console/applications/{}/decision", ids[1]);
    assert_eq!(app.console_post(Some(&chair), &second, &[("decision", "approve")]).await.status, 403);
    let done = app
        .console_post(
            Some(&chair),
            &second,
            &[("decision", "refuse"), ("note", "不在本单位工作"), ("_csrf", &chair.csrf)],
        )
        .await;
    assert_eq!(done.status, 303, "{}", done.text());
    let after = app.send(Req::get(&format!("/v1/admin/applications/{}", ids[1])).bearer(&city)).await.json();
    assert_eq!((after["state"].as_str(), after["decision_note"].as_str()), (Some("refused"), Some("不在本单位工作")));
}

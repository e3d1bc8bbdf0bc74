//! Members found masked, suspended and lifted.

use super::*;

on_both_backends!(members_are_found_masked_and_suspended_with_a_reason);

/// The roster searched by a name's first character, an account found by its member number, both
/// masked and audit-logged as the API logs them; a suspension needs a reason, takes effect at once
/// and is lifted; an auditor finds the same people and can change nothing.
async fn members_are_found_masked_and_suspended_with_a_reason(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.staff(Role::Operator).await;
    app.create_admin("audit.li", Role::Auditor, None).await;
    let members = app.activated_members(3, "SZ-001").await;
    let ops = app.console_sign_in("t.operator").await;
    let auditor = app.console_sign_in("audit.li").await;

    let index = app.console_get(Some(&ops), "/console/members").await;
    assert_eq!(index.status, 200);
    let found = app
        .console_post(
            Some(&ops),
            "/console/members/search",
            &[("by", "name_prefix"), ("text", "测"), ("_csrf", &ops.csrf)],
        )
        .await;
    assert_eq!(found.status, 200, "{}", found.text());
    let html = found.text();
    assert!(!html.contains("测试会员"), "names are masked: {html}");
    let numbers: Vec<String> = html
        .split("<td>")
        .filter_map(|cell| cell.split("</td>").next())
        .filter(|cell| cell.starts_with('T') && cell[1..].chars().all(|c| c.is_ascii_digit()))
        .map(str::to_owned)
        .collect();
    assert_eq!(numbers.len(), 3, "{html}");
    let bad = app
        .console_post(
            Some(&ops),
            "/console/members/search",
            &[("by", "phone_suffix"), ("text", "12"), ("_csrf", &ops.csrf)],
        )
        .await;
    assert_eq!(bad.status, 422);
    assert!(bad.text().contains(r#"id="text-error""#) && bad.text().contains(r#"value="12""#), "{}", bad.text());

    let card =
        app.console_post(Some(&ops), "/console/members/lookup", &[("query", &numbers[0]), ("_csrf", &ops.csrf)]).await;
    assert_eq!(card.status, 200, "{}", card.text());
    let html = card.text();
    let id = html
        .split(r#"data-member=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a member card")
        .to_owned();
    assert!(html.contains(r#"data-standing="activated""#), "{html}");

    let suspend = format!("/console/members/{id}/suspend");
    let empty = app.console_post(Some(&ops), &suspend, &[("reason", "  "), ("_csrf", &ops.csrf)]).await;
    assert_eq!(empty.status, 422, "{}", empty.text());
    assert!(empty.text().contains(r#"id="reason-error""#), "{}", empty.text());
    let forged = app.console_post(Some(&auditor), &suspend, &[("reason", "冒用身份"), ("_csrf", &auditor.csrf)]).await;
    assert_eq!(forged.status, 403);
    let seen = app
        .console_post(Some(&auditor), "/console/members/lookup", &[("query", &numbers[0]), ("_csrf", &auditor.csrf)])
        .await;
    assert!(seen.text().contains(&id) && !seen.text().contains(&suspend), "an auditor sees no suspend form");

    let mut member = None;
    for t in &members {
        if app.send(Req::get("/v1/me").bearer(t)).await.json()["id"] == id.as_str() {
            member = Some(t.clone());
        }
    }
    let member = member.expect("the card's member is one of ours");
    let done = app.console_post(Some(&ops), &suspend, &[("reason", "冒用身份，待核实"), ("_csrf", &ops.csrf)]).await;
    assert_eq!(done.status, 200, "{}", done.text());
    assert!(
        done.text().contains(r#"data-standing="suspended""#) && done.text().contains("冒用身份，待核实"),
        "{}",
        done.text()
    );
    app.send(Req::get("/v1/me").bearer(&member)).await.problem(403, "member.suspended");
    let lifted = app.console_post(Some(&ops), &format!("/console/members/{id}/lift"), &[("_csrf", &ops.csrf)]).await;
    assert_eq!(lifted.status, 200, "{}", lifted.text());
    assert!(lifted.text().contains(r#"data-standing="activated""#), "{}", lifted.text());

    let audit = app.send(Req::get("/v1/admin/audit?limit=100").bearer(&token)).await.json();
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for wanted in ["roster.search", "member.lookup", "member.suspend", "member.unsuspend"] {
        assert!(actions.contains(&wanted), "{wanted} in {actions:?}");
    }
    let suspends = actions.iter().filter(|a| **a == "member.suspend").count();
    assert_eq!(suspends, 1, "the refused and forged attempts wrote nothing");
}

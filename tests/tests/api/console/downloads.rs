//! The blank templates staff fill in, offered where they upload, the API's own files; and the
//! inventory gate reconciled from a live campaign's page.

use super::*;

on_both_backends!(templates_are_the_apis_and_a_live_campaign_is_reconciled);

async fn templates_are_the_apis_and_a_live_campaign_is_reconciled(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.staff(Role::Operator).await;
    let ops = app.console_sign_in("t.operator").await;

    let roster = app.console_get(Some(&ops), "/console/roster").await.text();
    assert!(
        roster.contains(r#"href="/console/roster/template.xlsx""#)
            && roster.contains(r#"href="/console/roster/template.csv""#)
    );
    for (page, api) in [
        ("/console/roster/template.csv", "/v1/admin/roster/template.csv"),
        ("/console/roster/template.xlsx", "/v1/admin/roster/template.xlsx"),
        ("/console/unions/template.csv", "/v1/admin/unions/template.csv"),
    ] {
        let mine = app.console_get(Some(&ops), page).await;
        let theirs = app.send(Req::get(api).bearer(&token)).await;
        assert_eq!((mine.status, mine.header("content-type")), (200, theirs.header("content-type")), "{page}");
        assert_eq!(mine.body, theirs.body, "{page} is the API's file");
        assert_eq!(app.console_get(None, page).await.status, 303, "{page} asks for signing in");
    }

    // A live campaign: the gate agrees, and says so; an auditor has no button.
    let (campaign, _) = app.live_campaign(&token, 5, 1, 1).await;
    let page = format!("/console/campaigns/{campaign}");
    assert!(app.console_get(Some(&ops), &page).await.text().contains(&format!(r#"action="{page}/reconcile""#)));
    let done = app.console_post(Some(&ops), &format!("{page}/reconcile"), &[("_csrf", &ops.csrf)]).await;
    assert_eq!(done.status, 303, "{}", done.text());
    assert_eq!(done.header("location"), Some(format!("{page}?done=reconcile&drifted=0").as_str()));
    app.create_admin("audit.li", Role::Auditor, None).await;
    let auditor = app.console_sign_in("audit.li").await;
    assert!(!app.console_get(Some(&auditor), &page).await.text().contains("/reconcile"));
    assert_eq!(
        app.console_post(Some(&auditor), &format!("{page}/reconcile"), &[("_csrf", &auditor.csrf)]).await.status,
        403
    );
}

//! Reports in the console: a campaign's figures and charts against the database, its CSV, the
//! books check; claims over time in the API's report too.

use super::*;

on_both_backends!(a_campaigns_report_is_drawn_from_its_claims_and_downloaded);

/// Claims made over three minutes of an opening: the report's timeline has a point a minute adding
/// up to the claims, the page draws it beside the figures, the CSV is the API's, the books agree.
async fn a_campaigns_report_is_drawn_from_its_claims_and_downloaded(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.staff(Role::Operator).await;
    app.create_admin("audit.li", Role::Auditor, None).await;
    let auditor_token = app.login("audit.li").await;
    let members = app.activated_members(6, "SZ-001").await;
    let (campaign, gift) = app.live_campaign(&token, 10, 1, 1).await;

    // Two claims in the first minute, none in the second, one in the third.
    for (i, m) in members.iter().take(3).enumerate() {
        if i == 2 {
            app.clock.advance(chrono::Duration::minutes(2));
        }
        let reply = app.send(app.claim_req(m, &campaign, &gift, &format!("r-{i}"))).await;
        assert_eq!(reply.status, 201, "{}", reply.text());
    }
    let api = app.send(Req::get(&format!("/v1/admin/campaigns/{campaign}/report")).bearer(&auditor_token)).await;
    assert_eq!(api.status, 200, "{}", api.text());
    let timeline = api.json()["timeline"].clone();
    assert_eq!(timeline["bucket_minutes"], 1, "{timeline}");
    let counts: Vec<u64> =
        timeline["points"].as_array().unwrap().iter().map(|p| p["claimed"].as_u64().unwrap()).collect();
    assert_eq!(counts.iter().sum::<u64>(), 3, "{timeline}");
    assert_eq!(counts.first(), Some(&2), "{timeline}");
    assert_eq!(counts.last(), Some(&1), "{timeline}");
    assert!(counts.len() >= 3 && counts[1..counts.len() - 1].iter().all(|n| *n == 0), "the lull is drawn: {timeline}");
    assert!(timeline["points"][0]["at"].as_str().unwrap().ends_with("+08:00"));

    let auditor = app.console_sign_in("audit.li").await;
    let index = app.console_get(Some(&auditor), "/console/reports").await;
    assert_eq!(index.status, 200, "{}", index.text());
    assert!(index.text().contains(&format!("/console/campaigns/{campaign}/report")), "{}", index.text());

    let page = app.console_get(Some(&auditor), &format!("/console/campaigns/{campaign}/report")).await;
    assert_eq!(page.status, 200, "{}", page.text());
    let html = page.text();
    assert!(html.contains(r#"data-figure="claimed">3<"#), "{html}");
    assert_eq!(html.matches("data-chart=").count(), 4, "four pictures: {html}");
    let claimed_in_db = app.count("SELECT COUNT(*) AS n FROM claims").await;
    assert_eq!(claimed_in_db, 3);

    let csv = app.console_get(Some(&auditor), &format!("/console/campaigns/{campaign}/report.csv")).await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-disposition").is_some_and(|d| d.starts_with("attachment")));
    let api_csv =
        app.send(Req::get(&format!("/v1/admin/campaigns/{campaign}/report.csv")).bearer(&auditor_token)).await;
    assert_eq!(csv.text(), api_csv.text(), "the console's download is the API's file");
    assert!(csv.text().starts_with('\u{feff}'));

    let books = app.console_get(Some(&auditor), "/console/reports/books").await;
    assert_eq!(books.status, 200, "{}", books.text());
    assert!(books.text().contains(r#"data-testid="books-clean""#), "{}", books.text());

    // Outside the console's session, nothing: the download asks for signing in like every page.
    let anonymous = app.console_get(None, &format!("/console/campaigns/{campaign}/report.csv")).await;
    assert_eq!(anonymous.status, 303);
}

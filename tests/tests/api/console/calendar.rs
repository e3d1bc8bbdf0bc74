//! The working-day calendar and the time limits from the console: the year drawn, a make-up
//! workday on a weekday refused beside its field, the limits saved; a district's operator reads
//! them and changes neither (the calendar is the federation's).

use super::*;

on_both_backends!(the_calendar_and_the_time_limits_are_kept_from_the_console);

async fn the_calendar_and_the_time_limits_are_kept_from_the_console(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, "工会编码,工会名称,类型,上级工会编码\nSZ-SIP,苏州工业园区总工会,区总工会,ROOT\n").await;
    app.staff_in(&city, "sip.ops", "operator", "SZ-SIP").await;
    let ops = app.console_sign_in("t.admin").await;
    let sip = app.console_sign_in("sip.ops").await;

    let page = app.console_get(Some(&ops), "/console/calendar?year=2026").await;
    assert_eq!(page.status, 200, "{}", page.text());
    // 2026-10-03 is a Saturday: a weekend until the calendar says otherwise.
    assert!(page.text().contains(r#"<td class="rest" title="2026-10-03"#), "{}", page.text());

    // 2026-10-09 is a Friday: not a make-up workday. Refused, the dates typed kept.
    let holidays = "2026-10-01\n2026-10-02\n2026-10-05\n2026-10-06\n2026-10-07";
    let bad = [("holidays", holidays), ("workdays", "2026-10-09"), ("_csrf", ops.csrf.as_str())];
    let refused = app.console_post(Some(&ops), "/console/calendar/2026", &bad).await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert!(refused.text().contains("2026-10-09") && refused.text().contains("2026-10-07"), "{}", refused.text());
    let good = [("holidays", holidays), ("workdays", "2026-10-10"), ("_csrf", ops.csrf.as_str())];
    let saved = app.console_post(Some(&ops), "/console/calendar/2026", &good).await;
    assert_eq!(saved.status, 303, "{}", saved.text());
    let token = app.login("t.admin").await;
    let api = app.send(Req::get("/v1/admin/calendar/2026").bearer(&token)).await.json();
    assert_eq!(api["workdays"], json!(["2026-10-10"]), "{api}");
    let drawn = app.console_get(Some(&ops), "/console/calendar?year=2026").await.text();
    assert!(
        drawn.contains(r#"<td class="holiday" title="2026-10-01"#)
            && drawn.contains(r#"<td class="makeup" title="2026-10-10"#)
    );

    // The limits: out of range refused beside the field; in range saved.
    let limits =
        |join: &'static str| [("join", join), ("transfer", "5"), ("leave", "10"), ("_csrf", ops.csrf.as_str())];
    let refused = app.console_post(Some(&ops), "/console/calendar/limits", &limits("99")).await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert_eq!(app.console_post(Some(&ops), "/console/calendar/limits", &limits("3")).await.status, 303);
    let api = app.send(Req::get("/v1/admin/application-limits").bearer(&token)).await.json();
    assert_eq!(api, json!({"join": 3, "transfer": 5, "leave": 10}));

    // A district's operator reads both, and has no form to change either.
    let theirs = app.console_get(Some(&sip), "/console/calendar?year=2026").await;
    assert_eq!(theirs.status, 200, "{}", theirs.text());
    assert!(
        !theirs.text().contains(r#"data-testid="calendar-form""#)
            && !theirs.text().contains(r#"data-testid="limits-form""#)
    );
    let forged =
        app.console_post(Some(&sip), "/console/calendar/2026", &[("holidays", ""), ("_csrf", sip.csrf.as_str())]).await;
    assert_eq!(forged.status, 403);
}

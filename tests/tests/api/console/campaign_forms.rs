//! The campaign forms: what was typed kept, stale figures refused.

use super::*;

on_both_backends!(campaign_forms_keep_what_was_typed_and_refuse_stale_figures);

/// A new campaign and its gifts through the console's forms: a refused field gets the API's
/// message beside it with the form kept; the budget and stock forms refuse to overwrite a figure
/// someone else changed after the form was shown, and of two raises sent at once one wins.
async fn campaign_forms_keep_what_was_typed_and_refuse_stale_figures(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.staff(Role::Operator).await;
    app.create_admin("ops.wang", Role::Operator, None).await;
    let ops = app.console_sign_in("t.operator").await;
    let other = app.console_sign_in("ops.wang").await;
    let form = app.console_get(Some(&ops), "/console/campaigns/new").await;
    assert_eq!(form.status, 200);
    assert!(form.text().contains(r#"name="budget_yuan""#));

    let beijing =
        |d: chrono::Duration| (app.clock.now() + chrono::Duration::hours(8) + d).format("%Y-%m-%dT%H:%M").to_string();
    let (starts, ends) = (beijing(chrono::Duration::hours(1)), beijing(chrono::Duration::days(3)));
    let post = |session, fields: Vec<(&'static str, String)>| {
        let app = &app;
        async move {
            let mut form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let session: &tests::console::ConsoleSession = session;
            form.push(("_csrf", &session.csrf));
            app.console_post(Some(session), "/console/campaigns/new", &form).await
        }
    };
    let campaign = |budget: &str, ends: &str| {
        vec![
            ("title", "端午会员有礼".to_owned()),
            ("holiday", "dragon_boat".to_owned()),
            ("starts_at", starts.clone()),
            ("ends_at", ends.to_owned()),
            ("per_member_limit", "2".to_owned()),
            ("budget_yuan", budget.to_owned()),
        ]
    };
    let bad_money = post(&ops, campaign("十万", &ends)).await;
    assert_eq!(bad_money.status, 422, "{}", bad_money.text());
    let html = bad_money.text();
    assert!(html.contains(r#"id="budget_yuan-error""#) && html.contains("金额格式不正确"), "{html}");
    assert!(html.contains(r#"value="端午会员有礼""#) && html.contains(r#"value="十万""#), "the form is kept: {html}");
    let backwards = post(&ops, campaign("1000", &beijing(chrono::Duration::minutes(30)))).await;
    assert_eq!(backwards.status, 422);
    assert!(backwards.text().contains(r#"id="ends_at-error""#), "{}", backwards.text());
    let listed = app.send(Req::get("/v1/admin/campaigns").bearer(&token)).await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 0, "nothing half-written");

    let made = post(&ops, campaign("1,234.56", &ends)).await;
    assert_eq!(made.status, 303, "{}", made.text());
    let location = made.header("location").unwrap().to_owned();
    let id = location.trim_start_matches("/console/campaigns/").split('?').next().unwrap().to_owned();
    let c = app.send(Req::get(&format!("/v1/admin/campaigns/{id}")).bearer(&token)).await.json();
    assert_eq!(
        (c["status"].as_str(), c["budget_fen"].as_i64(), c["per_member_limit"].as_u64()),
        (Some("draft"), Some(123_456), Some(2))
    );

    // A gift: a forged funder and a bad wave line are refused beside their fields; then one with waves.
    let valid_until = (app.clock.now() + chrono::Duration::days(30)).date_naive().to_string();
    let wave_at = beijing(chrono::Duration::hours(2));
    let gift = |funder: &str, waves: &str| {
        vec![
            ("name", "粽子礼盒"),
            ("unit_cost_yuan", "12.34"),
            ("stock", "100"),
            ("per_member_limit", "1"),
            ("valid_until", valid_until.as_str()),
            ("funder", funder),
            ("waves", waves),
        ]
        .into_iter()
        .map(|(k, v)| (k, v.to_owned()))
        .collect::<Vec<_>>()
    };
    let add = |fields: Vec<(&'static str, String)>| {
        let (app, ops, id) = (&app, &ops, &id);
        async move {
            let mut form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            form.push(("_csrf", &ops.csrf));
            app.console_post(Some(ops), &format!("/console/campaigns/{id}/gifts"), &form).await
        }
    };
    let forged = add(gift("alien", "")).await;
    assert_eq!(forged.status, 422);
    assert!(forged.text().contains(r#"id="funder-error""#) || forged.text().contains("出资方"), "{}", forged.text());
    let bad_wave = add(gift("union", "明天 早上")).await;
    assert_eq!(bad_wave.status, 422);
    assert!(bad_wave.text().contains(r#"id="waves-error""#), "{}", bad_wave.text());
    assert!(bad_wave.text().contains("粽子礼盒"), "the gift form is kept");
    let added = add(gift("bank", &format!("{wave_at} 60\n{} 40", beijing(chrono::Duration::hours(5))))).await;
    assert_eq!(added.status, 303, "{}", added.text());
    let c = app.send(Req::get(&format!("/v1/admin/campaigns/{id}")).bearer(&token)).await.json();
    let g = &c["gifts"][0];
    assert_eq!(
        (g["unit_cost_fen"].as_i64(), g["funder"].as_str(), g["waves"].as_array().map(Vec::len)),
        (Some(1234), Some("bank"), Some(2)),
        "{c}"
    );
    let gift_id = g["id"].as_str().unwrap().to_owned();

    // The budget form showed 1234.56; someone raises it through the API; the form is now stale.
    let budget = format!("/console/campaigns/{id}/budget");
    let raised = app
        .send(Req::put(&format!("/v1/admin/campaigns/{id}/budget")).bearer(&token).json(json!({"budget_fen": 200_000})))
        .await;
    assert_eq!(raised.status, 200, "{}", raised.text());
    let stale =
        app.console_post(Some(&ops), &budget, &[("value", "3000"), ("seen", "123456"), ("_csrf", &ops.csrf)]).await;
    assert_eq!(stale.status, 409, "{}", stale.text());
    assert!(stale.text().contains("已被他人修改"), "{}", stale.text());
    let c = app.send(Req::get(&format!("/v1/admin/campaigns/{id}")).bearer(&token)).await.json();
    assert_eq!(c["budget_fen"], 200_000, "not overwritten");
    // Two operators with the same fresh form at once: one raises, the other is told it changed.
    let (a, b) = futures_util::future::join(
        app.console_post(Some(&ops), &budget, &[("value", "3000"), ("seen", "200000"), ("_csrf", &ops.csrf)]),
        app.console_post(Some(&other), &budget, &[("value", "4000"), ("seen", "200000"), ("_csrf", &other.csrf)]),
    )
    .await;
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 409], "{} / {}", a.text(), b.text());
    let c = app.send(Req::get(&format!("/v1/admin/campaigns/{id}")).bearer(&token)).await.json();
    let won = if a.status == 303 { 300_000 } else { 400_000 };
    assert_eq!(c["budget_fen"], won);

    // The stock form, the same way.
    let stock = format!("/console/campaigns/{id}/gifts/{gift_id}/stock");
    let fresh = app.console_post(Some(&ops), &stock, &[("value", "150"), ("seen", "100"), ("_csrf", &ops.csrf)]).await;
    assert_eq!(fresh.status, 303, "{}", fresh.text());
    let stale =
        app.console_post(Some(&other), &stock, &[("value", "120"), ("seen", "100"), ("_csrf", &other.csrf)]).await;
    assert_eq!(stale.status, 409, "{}", stale.text());
    let c = app.send(Req::get(&format!("/v1/admin/campaigns/{id}")).bearer(&token)).await.json();
    assert_eq!(c["gifts"][0]["stock"], 150);
    let edits =
        app.send(Req::get(&format!("/v1/admin/audit?action=campaign.budget&target={id}")).bearer(&token)).await.json();
    assert_eq!(edits["items"].as_array().unwrap().len(), 2, "the API's raise and the winner's: {edits}");
}

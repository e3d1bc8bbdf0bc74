//! Pickup points from the console: one added (a nameless one refused beside its field), an operator
//! assigned, and a gift listed there and at a partner store from the campaign's page.

use super::*;

on_both_backends!(pickup_points_are_kept_and_gifts_listed_from_the_console);

async fn pickup_points_are_kept_and_gifts_listed_from_the_console(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.staff(Role::Admin).await;
    let operator_id = app.create_admin("counter.li", Role::PickupOperator, None).await;
    let admin = app.console_sign_in("t.admin").await;

    let form = |name: &'static str| {
        vec![
            ("name", name),
            ("kind", "center"),
            ("address", "苏州工业园区星海街 200 号"),
            ("scope_code", ""),
            ("_csrf", admin.csrf.as_str()),
        ]
    };
    let refused = app.console_post(Some(&admin), "/console/pickup-points", &form(" ")).await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert!(
        refused.text().contains(r#"id="name-error""#) && refused.text().contains("星海街 200 号"),
        "{}",
        refused.text()
    );
    let made = app.console_post(Some(&admin), "/console/pickup-points", &form("园区职工服务中心")).await;
    assert_eq!(made.status, 303, "{}", made.text());
    let points = app.send(Req::get("/v1/admin/pickup-points").bearer(&token)).await.json();
    let point = points["items"][0]["id"].as_str().unwrap().to_owned();

    let page = app.console_get(Some(&admin), "/console/pickup-points").await.text();
    assert!(page.contains(&format!(r#"data-point="{point}""#)) && page.contains("counter.li"), "{page}");
    let assigned = app
        .console_post(
            Some(&admin),
            &format!("/console/pickup-points/{point}/operators"),
            &[("operator", &operator_id), ("_csrf", &admin.csrf)],
        )
        .await;
    assert_eq!(assigned.status, 303, "{}", assigned.text());

    // The campaign's page lists its gift at the point and at a store.
    let campaign = draft_campaign(&app, &token).await;
    let detail = app.send(Req::get(&format!("/v1/admin/campaigns/{campaign}")).bearer(&token)).await.json();
    let gift = detail["gifts"][0]["id"].as_str().unwrap().to_owned();
    let shown = app.console_get(Some(&admin), &format!("/console/campaigns/{campaign}")).await.text();
    assert!(shown.contains(r#"data-testid="listing""#) && shown.contains("园区职工服务中心"), "{shown}");
    let at = |kind: &str| format!("/console/campaigns/{campaign}/gifts/{gift}/{kind}");
    assert_eq!(
        app.console_post(Some(&admin), &at("pickup-points"), &[("place", &point), ("_csrf", &admin.csrf)]).await.status,
        303
    );
    let partner = app.partner(&token, 0, json!({})).await;
    let bad = app.console_post(Some(&admin), &at("stores"), &[("place", "not-a-store"), ("_csrf", &admin.csrf)]).await;
    assert_eq!(bad.status, 422, "{}", bad.text());
    let listed =
        app.console_post(Some(&admin), &at("stores"), &[("place", &partner.stores[0]), ("_csrf", &admin.csrf)]).await;
    assert_eq!(listed.status, 303, "{}", listed.text());
    for action in ["pickup_point.assign", "gift.pickup_point", "gift.store"] {
        let audit = app.send(Req::get(&format!("/v1/admin/audit?action={action}")).bearer(&token)).await.json();
        assert_eq!(audit["items"].as_array().map(Vec::len), Some(1), "{action}: {audit}");
    }
}

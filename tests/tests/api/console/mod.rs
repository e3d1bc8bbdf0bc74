//! The staff console: signing in with a strict cookie, CSRF on every form, the API's own roles and
//! scope on every page and button, state changes pressed twice at once; and the same in a real
//! browser (headless Chromium), screenshots included.

use domain::admin::Role;
use domain::shared::Clock;
use serde_json::json;
use std::time::Duration;
use tests::console::{csrf_in, set_cookie, ConsoleSession};
use tests::{on_both_backends, Backend, Req, TestApp};

/// A draft campaign with one gift, made through the API; its id.
pub(super) async fn draft_campaign(app: &TestApp, token: &str) -> String {
    let beijing = |d: chrono::Duration| {
        (app.clock.now() + chrono::Duration::hours(8) + d).format("%Y-%m-%dT%H:%M:%S").to_string()
    };
    let body = json!({"title": "中秋会员有礼", "holiday": "mid_autumn", "starts_at": beijing(chrono::Duration::hours(1)),
        "ends_at": beijing(chrono::Duration::days(2)), "per_member_limit": 1, "budget_fen": 10_000_000});
    let c = app.send(Req::post("/v1/admin/campaigns").bearer(token).json(body)).await;
    assert_eq!(c.status, 201, "{}", c.text());
    let id = c.json()["id"].as_str().unwrap().to_owned();
    let valid_until = (app.clock.now() + chrono::Duration::days(60)).date_naive().to_string();
    let gift = json!({"name": "月饼礼盒", "unit_cost_fen": 8800, "stock": 100, "per_member_limit": 1,
        "valid_until": valid_until, "funder": "union"});
    let g = app.send(Req::post(&format!("/v1/admin/campaigns/{id}/gifts")).bearer(token).json(gift)).await;
    assert_eq!(g.status, 201, "{}", g.text());
    id
}

pub(super) async fn status_of(app: &TestApp, token: &str, id: &str) -> String {
    let c = app.send(Req::get(&format!("/v1/admin/campaigns/{id}")).bearer(token)).await;
    c.json()["status"].as_str().unwrap().to_owned()
}

on_both_backends!(signing_in_gives_a_strict_cookie_and_every_page_asks_for_it);

async fn signing_in_gives_a_strict_cookie_and_every_page_asks_for_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin_id = app.create_admin("ops.zhang", Role::Operator, None).await;

    let away = app.console_get(None, "/console/campaigns").await;
    assert_eq!(away.status, 303);
    assert_eq!(away.header("location"), Some("/console/sign-in?next=/console/campaigns"));

    let form = app.console_get(None, "/console/sign-in").await;
    assert!(form.header("content-security-policy").is_some_and(|c| c.contains("script-src 'self'")));
    let pre = set_cookie(&form, "sgh_console_pre").unwrap().split(';').next().unwrap().to_owned();
    let pre = ConsoleSession { cookie: pre, csrf: csrf_in(&form.text()).unwrap() };

    // Without the form's token (a page elsewhere posting it): refused before any password is tried.
    let forged =
        app.console_post(Some(&pre), "/console/sign-in", &[("username", "ops.zhang"), ("password", "x")]).await;
    assert_eq!(forged.status, 403, "{}", forged.text());
    let cookieless =
        app.console_post(None, "/console/sign-in", &[("username", "ops.zhang"), ("_csrf", &pre.csrf)]).await;
    assert_eq!(cookieless.status, 403, "the token without its cookie is no token");

    // A wrong password: the API's message, the name kept in the form, no cookie.
    let wrong = app
        .console_post(
            Some(&pre),
            "/console/sign-in",
            &[("username", "ops.zhang"), ("password", "wrong password here"), ("_csrf", &pre.csrf)],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.text().contains("用户名或密码错误"), "{}", wrong.text());
    assert!(wrong.text().contains(r#"value="ops.zhang""#));
    assert!(set_cookie(&wrong, "sgh_console").is_none());

    // The cookie: HttpOnly, SameSite=Strict, only for the console's paths (not Secure over plain
    // HTTP); the landing page is the one asked for, and only if it is the console's.
    let form = [
        ("username", "ops.zhang"),
        ("password", tests::TEST_PASSWORD),
        ("_csrf", &pre.csrf),
        ("next", "/console/jobs"),
    ];
    let signed = app.console_post(Some(&pre), "/console/sign-in", &form).await;
    assert_eq!(signed.status, 303, "{}", signed.text());
    assert_eq!(signed.header("location"), Some("/console/jobs"));
    let cookie = set_cookie(&signed, "sgh_console").unwrap();
    let lower = cookie.to_ascii_lowercase();
    assert!(
        lower.contains("httponly") && lower.contains("samesite=strict") && lower.contains("path=/console"),
        "{cookie}"
    );
    assert!(!lower.contains("secure"), "{cookie}");
    let form = [
        ("username", "ops.zhang"),
        ("password", tests::TEST_PASSWORD),
        ("_csrf", &pre.csrf),
        ("next", "//evil.example/"),
    ];
    let elsewhere = app.console_post(Some(&pre), "/console/sign-in", &form).await;
    assert_eq!(elsewhere.header("location"), Some("/console/"));
    let session = app.console_sign_in("ops.zhang").await;

    // Every page says who is signed in, their role and their part of the tree, in the browser's language.
    let home = app.console_get(Some(&session), "/console/").await;
    let html = home.text();
    assert!(
        html.contains("ops.zhang") && html.contains("运营") && html.contains(r#"data-testid="scope">ROOT<"#),
        "{html}"
    );
    let english = app
        .send(Req::get("/console/").header("cookie", &session.cookie).header("accept-language", "en-GB,en;q=0.9"))
        .await;
    assert!(english.text().contains("Signed in as") && english.text().contains("Operator"), "{}", english.text());

    // A password change ends the console's sessions as it ends the API's tokens.
    let admin = app.staff(Role::Admin).await;
    app.clock.advance(chrono::Duration::seconds(2));
    let changed = app
        .send(
            Req::patch(&format!("/v1/admin/users/{admin_id}"))
                .bearer(&admin)
                .json(json!({"password": "a brand new long passphrase"})),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    let after = app.console_get(Some(&session), "/console/campaigns").await;
    assert_eq!(after.status, 303, "{}", after.text());
    assert!(after.header("location").is_some_and(|l| l.starts_with("/console/sign-in")));
}

on_both_backends!(forms_need_the_session_token_and_the_apis_role);

async fn forms_need_the_session_token_and_the_apis_role(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.staff(Role::Operator).await;
    app.create_admin("audit.li", Role::Auditor, None).await;
    app.create_admin("ops.wang", Role::Operator, None).await;
    let id = draft_campaign(&app, &token).await;
    let ops = app.console_sign_in("t.operator").await;
    let other = app.console_sign_in("ops.wang").await;
    let auditor = app.console_sign_in("audit.li").await;
    let publish = format!("/console/campaigns/{id}/publish");

    // No token, or another session's: 403, nothing changed.
    let bare = app.console_post(Some(&ops), &publish, &[]).await;
    assert_eq!(bare.status, 403, "{}", bare.text());
    let foreign = app.console_post(Some(&ops), &publish, &[("_csrf", &other.csrf)]).await;
    assert_eq!(foreign.status, 403);
    assert_eq!(status_of(&app, &token, &id).await, "draft");

    // The auditor sees no button, and a forged post with their own valid token is refused by the API's rule.
    let seen = app.console_get(Some(&auditor), &format!("/console/campaigns/{id}")).await;
    assert_eq!(seen.status, 200);
    assert!(seen.text().contains("中秋会员有礼") && !seen.text().contains(&publish), "{}", seen.text());
    let forged = app.console_post(Some(&auditor), &publish, &[("_csrf", &auditor.csrf)]).await;
    assert_eq!(forged.status, 403, "{}", forged.text());
    assert!(forged.text().contains("当前角色无权执行此操作"), "{}", forged.text());
    assert_eq!(status_of(&app, &token, &id).await, "draft");

    // Two operators press publish at once: one publishes, the other is told it is no longer a draft.
    let (a, b) = futures_util::future::join(
        app.console_post(Some(&ops), &publish, &[("_csrf", &ops.csrf)]),
        app.console_post(Some(&other), &publish, &[("_csrf", &other.csrf)]),
    )
    .await;
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 409], "{} / {}", a.text(), b.text());
    let loser = if a.status == 409 { a } else { b };
    assert!(loser.text().contains(r#"role="alert""#), "{}", loser.text());
    assert_eq!(status_of(&app, &token, &id).await, "scheduled");
    let done = app.console_get(Some(&ops), &format!("/console/campaigns/{id}?done=publish")).await;
    assert!(done.text().contains("已发布"));

    // Cancelling twice at once voids once: one 303, one 409.
    let cancel = format!("/console/campaigns/{id}/cancel");
    let (a, b) = futures_util::future::join(
        app.console_post(Some(&ops), &cancel, &[("_csrf", &ops.csrf)]),
        app.console_post(Some(&other), &cancel, &[("_csrf", &other.csrf)]),
    )
    .await;
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 409], "{} / {}", a.text(), b.text());
    assert_eq!(status_of(&app, &token, &id).await, "cancelled");
    let audit = app.send(Req::get("/v1/admin/audit?limit=100").bearer(&token)).await.json();
    let cancels = audit["items"].as_array().unwrap().iter().filter(|e| e["action"] == "campaign.cancel").count();
    assert_eq!(cancels, 1);

    // Unknown ids and actions are pages, not problems or panics.
    let missing = app.console_get(Some(&ops), "/console/campaigns/not-a-uuid").await;
    assert_eq!(missing.status, 404);
    assert!(missing.header("content-type").is_some_and(|c| c.starts_with("text/html")));
    let odd = app.console_post(Some(&ops), &format!("/console/campaigns/{id}/explode"), &[("_csrf", &ops.csrf)]).await;
    assert_eq!(odd.status, 404);
}

mod applications;
mod browser;
mod calendar;
mod campaign_forms;
mod cards;
mod cases;
mod downloads;
mod members;
mod merchants;
mod monitor;
mod pickup;
mod reports;
pub(super) mod roster;
mod staff;
mod unions;

//! The staff console: signing in with a strict cookie, CSRF on every form, the API's own roles and
//! scope on every page and button, state changes pressed twice at once; and the same in a real
//! browser (headless Chromium), screenshots included.

use domain::admin::Role;
use domain::shared::Clock;
use serde_json::json;
use std::time::Duration;
use tests::browser::Browser;
use tests::console::{csrf_in, set_cookie, ConsoleSession};
use tests::{on_both_backends, Backend, Options, Req, SmtpServer, TestApp};

/// A draft campaign with one gift, made through the API; its id.
async fn draft_campaign(app: &TestApp, token: &str) -> String {
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

async fn status_of(app: &TestApp, token: &str, id: &str) -> String {
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

fn smtp(port: u16) -> Options {
    Options::default().var("SGH_SMTP_URL", SmtpServer::url(port)).var("SGH_OUTBOX_RETRY_BASE_MS", 100)
}

async fn dead_job(app: &TestApp, token: &str) -> i64 {
    app.create_admin("mail.bad", Role::Operator, Some("reject@union.example.cn")).await;
    for _ in 0..200 {
        let dead = app.send(Req::get("/v1/admin/jobs?state=dead").bearer(token)).await.json();
        if let Some(id) = dead["items"][0]["id"].as_i64() {
            return id;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the mail to a refusing server never died");
}

/// In Chromium: sign in, publish a campaign, retry a dead job; an auditor sees no write buttons;
/// no JavaScript errors anywhere. Screenshots of each page when `SGH_CONSOLE_SCREENSHOTS` is set.
async fn a_browser_signs_in_publishes_and_retries(backend: Backend) {
    let Some(browser) = Browser::start_or_skip("the console in Chromium").await else { return };
    let server = SmtpServer::start(0);
    let app = TestApp::spawn_with(backend, smtp(server.port)).await;
    let token = app.staff(Role::Operator).await;
    app.create_admin("ops.zhang", Role::Operator, None).await;
    app.create_admin("audit.li", Role::Auditor, None).await;
    let job = dead_job(&app, &token).await;

    browser.goto(&format!("{}/console/campaigns", app.address)).await;
    assert!(browser.url().await.contains("/console/sign-in"), "signed out, the console asks to sign in");
    browser.keep_screenshot("sign-in").await;
    browser.find("input[name=username]").await.type_text("ops.zhang").await;
    browser.find("input[name=password]").await.type_text(tests::TEST_PASSWORD).await;
    browser.find("button[type=submit]").await.click().await;
    browser.wait_for("the campaign list", "return location.pathname === '/console/campaigns'").await;
    let cookie = browser.cookie("sgh_console").await.expect("a session cookie");
    assert_eq!(cookie["httpOnly"], true, "{cookie}");
    assert_eq!(cookie["sameSite"], "Strict", "{cookie}");
    assert_eq!(browser.run("return document.cookie.includes('sgh_console=')").await, false);
    assert_eq!(browser.find("[data-testid=role]").await.text().await, "运营");
    browser.keep_screenshot("campaigns").await;

    // A campaign made with the forms: a refused budget keeps the form and says why beside it.
    browser.find("a[href='/console/campaigns/new']").await.click().await;
    browser.wait_for("the form", "return location.pathname === '/console/campaigns/new'").await;
    let beijing =
        |d: chrono::Duration| (app.clock.now() + chrono::Duration::hours(8) + d).format("%Y-%m-%dT%H:%M").to_string();
    let set = |name: &str, value: &str| format!("document.querySelector('[name={name}]').value = '{value}';");
    let script = [
        set("holiday", "mid_autumn"),
        set("starts_at", &beijing(chrono::Duration::hours(1))),
        set("ends_at", &beijing(chrono::Duration::days(2))),
    ];
    browser.run(&format!("{} return true", script.concat())).await;
    browser.find("input[name=title]").await.type_text("中秋会员有礼").await;
    browser.find("input[name=per_member_limit]").await.type_text("1").await;
    browser.find("input[name=budget_yuan]").await.type_text("十万元").await;
    browser.find("form[action='/console/campaigns/new'] button[type=submit]").await.click().await;
    browser.wait_for("the refusal", "return !!document.getElementById('budget_yuan-error')").await;
    assert_eq!(browser.find("input[name=title]").await.attribute("value").await.as_deref(), Some("中秋会员有礼"));
    browser.keep_screenshot("campaign-new").await;
    browser.find("input[name=budget_yuan]").await.type_text("100000").await;
    browser.find("form[action='/console/campaigns/new'] button[type=submit]").await.click().await;
    browser.wait_for("the draft", "return !!document.querySelector('[data-status=draft]')").await;
    let url = browser.url().await;
    let id = url.split("/console/campaigns/").nth(1).unwrap().split('?').next().unwrap().to_owned();
    let gift = |name: &str| format!("form[data-testid=gift-form] [name={name}]");
    browser.find(&gift("name")).await.type_text("月饼礼盒").await;
    browser.find(&gift("unit_cost_yuan")).await.type_text("88").await;
    browser.find(&gift("stock")).await.type_text("100").await;
    let valid_until = (app.clock.now() + chrono::Duration::days(60)).date_naive().to_string();
    browser
        .run(&format!("document.querySelector(\"{}\").value = '{valid_until}'; return true", gift("valid_until")))
        .await;
    browser.find("form[data-testid=gift-form] button[type=submit]").await.click().await;
    browser
        .wait_for(
            "the gift",
            "return !!document.querySelector('.flash.ok') && document.body.textContent.includes('¥88.00')",
        )
        .await;
    browser.keep_screenshot("campaign").await;
    browser.find(&format!("form[action='/console/campaigns/{id}/publish'] button")).await.click().await;
    browser.wait_for("publishing", "return !!document.querySelector('[data-status=scheduled]')").await;
    assert!(browser.source().await.contains("已发布"));
    assert_eq!(status_of(&app, &token, &id).await, "scheduled");

    // The opening monitor during a small burst: its figures become the database's.
    let members = app.activated_members(8, "SZ-001").await;
    let (live, gift) = app.live_campaign(&token, 5, 1, 1).await;
    browser.goto(&format!("{}/console/campaigns/{live}/monitor", app.address)).await;
    browser
        .wait_for("the stream", "return document.querySelector('[data-monitor]').getAttribute('data-state') === 'open'")
        .await;
    let reqs = members.iter().enumerate().map(|(i, m)| app.claim_req(m, &live, &gift, &format!("b-{i}"))).collect();
    let granted = app.send_all(reqs).await.iter().filter(|r| r.status == 201).count();
    assert_eq!(granted, 5);
    browser
        .wait_for(
            "the monitor to catch up",
            "return document.querySelector('[data-field=granted]').textContent === '5' \
             && document.querySelector('[data-field=stock_left]').textContent === '0' \
             && !!document.querySelector('[data-reason=\"campaign.sold_out\"]')",
        )
        .await;
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM claims").await, 5);
    browser.keep_screenshot("monitor").await;

    // A member found by their member number and suspended with a reason.
    let roster = app
        .send(Req::post("/v1/admin/roster/search").bearer(&token).json(json!({"union_code": null, "limit": 1})))
        .await
        .json();
    let number = roster["items"][0]["member_no"].as_str().unwrap().to_owned();
    browser.find("a[href='/console/members']").await.click().await;
    browser.wait_for("the members page", "return location.pathname === '/console/members'").await;
    browser.find("form[data-testid=member-lookup] input[name=query]").await.type_text(&number).await;
    browser.find("form[data-testid=member-lookup] button").await.click().await;
    browser.wait_for("the account", "return !!document.querySelector('[data-member]')").await;
    browser.find("form[action$='/suspend'] input[name=reason]").await.type_text("冒用他人身份，待核实").await;
    browser.find("form[action$='/suspend'] button").await.click().await;
    browser.wait_for("the suspension", "return !!document.querySelector('[data-standing=suspended]')").await;
    browser.keep_screenshot("member").await;

    // A roster file uploaded with its progress; the rejected row offered as a download.
    let file = std::env::temp_dir().join(format!("roster-{}.csv", uuid::Uuid::new_v4()));
    std::fs::write(&file, roster_file(5)).unwrap();
    browser.find("a[href='/console/roster']").await.click().await;
    browser.wait_for("the roster page", "return location.pathname === '/console/roster'").await;
    browser.find("input[type=file]").await.choose_file(&file).await;
    browser.find("form[data-upload] button[type=submit]").await.click().await;
    browser.wait_for("the import to end", "return !!document.querySelector('[data-finished]')").await;
    assert_eq!(browser.find("[data-count=inserted]").await.text().await, "5");
    assert!(browser.try_find("a[href$='/rejected.csv']").await.is_some(), "the rejected rows are offered");
    assert_eq!(browser.run("return document.querySelector('[data-upload-progress]').value").await, 100);
    browser.keep_screenshot("roster").await;
    let _ = std::fs::remove_file(&file);

    browser.find("a[href='/console/jobs']").await.click().await;
    browser.wait_for("the jobs", "return location.pathname === '/console/jobs'").await;
    browser.goto(&format!("{}/console/jobs?state=dead", app.address)).await;
    browser.keep_screenshot("jobs").await;
    browser.find(&format!("form[action='/console/jobs/{job}/retry'] button")).await.click().await;
    browser.wait_for("the retry", "return !!document.querySelector('.flash.ok')").await;
    // Re-queued (the refusing server will bury it again: what matters is that it was retried).
    let audit =
        app.send(Req::get(&format!("/v1/admin/audit?action=job.retry&target={job}")).bearer(&token)).await.json();
    assert_eq!(audit["items"].as_array().unwrap().len(), 1, "{audit}");

    browser.goto(&format!("{}/console/audit", app.address)).await;
    assert!(browser.source().await.contains("job.retry"));
    browser.keep_screenshot("audit").await;
    assert_eq!(browser.errors().await, Vec::<String>::new(), "no errors in the browser's console");

    // The auditor: the same pages, no write buttons.
    browser.find("header form[action='/console/sign-out'] button").await.click().await;
    browser.wait_for("signing out", "return location.pathname === '/console/sign-in'").await;
    browser.find("input[name=username]").await.type_text("audit.li").await;
    browser.find("input[name=password]").await.type_text(tests::TEST_PASSWORD).await;
    browser.find("button[type=submit]").await.click().await;
    browser.wait_for("the overview", "return location.pathname === '/console/'").await;
    browser.goto(&format!("{}/console/campaigns/{id}", app.address)).await;
    assert!(browser.find_all("form[action$='/cancel']").await.is_empty(), "an auditor sees no cancel button");
    browser.goto(&format!("{}/console/jobs?state=dead", app.address)).await;
    assert!(browser.find_all("form[action$='/retry']").await.is_empty(), "nor a retry button");
    browser.resize(800, 1024).await;
    browser.keep_screenshot("jobs-tablet").await;
    assert_eq!(browser.errors().await, Vec::<String>::new());
}

mod a_browser_signs_in_publishes_and_retries {
    #[actix_web::test]
    async fn embedded() {
        super::a_browser_signs_in_publishes_and_retries(tests::Backend::Embedded).await
    }

    #[actix_web::test]
    async fn postgres_redis() {
        if tests::Services::available_or_skip() {
            super::a_browser_signs_in_publishes_and_retries(tests::Backend::PostgresRedis).await
        }
    }
}

/// The next event of a Server-Sent Events body whose JSON satisfies `wanted` (ten seconds at most).
async fn event_where<S, E>(body: &mut S, wanted: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, E>> + Unpin,
    E: std::fmt::Debug,
{
    use futures_util::StreamExt;
    let mut buffer = String::new();
    let mut last = serde_json::Value::Null;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while let Ok(Some(chunk)) = tokio::time::timeout_at(deadline, body.next()).await {
        buffer.push_str(&String::from_utf8_lossy(&chunk.expect("the stream goes on")));
        while let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) {
                last = serde_json::from_str(data).expect("events are JSON");
                if wanted(&last) {
                    return last;
                }
            }
        }
    }
    panic!("no event as wanted; the last was {last}");
}

on_both_backends!(the_monitor_streams_what_an_opening_came_to);

/// A burst of claims while the monitor streams: its granted count and stock left are the
/// database's, its refusals those the members were told, once a second.
async fn the_monitor_streams_what_an_opening_came_to(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.staff(Role::Operator).await;
    let members = app.activated_members(12, "SZ-001").await;
    let (campaign, gift) = app.live_campaign(&token, 5, 1, 1).await;
    let session = app.console_sign_in("t.operator").await;

    let page = app.console_get(Some(&session), &format!("/console/campaigns/{campaign}/monitor")).await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.text().contains(&format!(r#"data-monitor="/console/campaigns/{campaign}/live""#)));

    let client = awc::Client::builder().disable_redirects().timeout(Duration::from_secs(60)).finish();
    let mut stream = client
        .get(format!("{}/console/campaigns/{campaign}/live", app.address))
        .insert_header(("cookie", session.cookie.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers().get("content-type").unwrap(), "text/event-stream");
    let first = event_where(&mut stream, |_| true).await;
    assert_eq!((first["granted"].as_u64(), first["stock_left"].as_u64()), (Some(0), Some(5)), "{first}");

    let reqs =
        members.iter().enumerate().map(|(i, m)| app.claim_req(m, &campaign, &gift, &format!("burst-{i}"))).collect();
    let replies = app.send_all(reqs).await;
    let granted = replies.iter().filter(|r| r.status == 201).count();
    assert_eq!(granted, 5);
    let last = event_where(&mut stream, |e| e["granted"] == 5 && e["stock_left"] == 0).await;
    let in_database = app.count("SELECT COUNT(*) AS n FROM claims").await;
    assert_eq!(last["granted"].as_i64(), Some(in_database), "{last}");
    assert_eq!(last["refusals"]["campaign.sold_out"], 7, "{last}");
    assert_eq!(last["refused"], 7);
    assert_eq!(last["unavailable"], 0);
    assert!(last[format!("left:{gift}")] == 0, "{last}");

    // Outside the operator's reach, or signed out: no stream.
    let signed_out = client.get(format!("{}/console/campaigns/{campaign}/live", app.address)).send().await.unwrap();
    assert_eq!(signed_out.status(), 303);
}

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

/// A roster file of `good` rows and one with a bad 身份证 number.
fn roster_file(good: u32) -> Vec<u8> {
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

//! The console in Chromium: sign in, campaigns, the monitor, members, the roster, jobs, as an auditor.

use super::roster::roster_file;
use super::*;
use tests::browser::Browser;
use tests::{Options, SmtpServer};

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

    // A merchant registered, and a store placed by clicking the coordinate picker.
    browser.find("a[href='/console/merchants']").await.click().await;
    browser.wait_for("the merchants", "return location.pathname === '/console/merchants'").await;
    for (field, text) in [
        ("name", "得月楼"),
        ("category", "餐饮"),
        ("contact", "陈经理 0512-65238940"),
        ("settlement_email", "finance@deyuelou.example"),
    ] {
        browser.find(&format!("form[data-testid=merchant-form] input[name={field}]")).await.type_text(text).await;
    }
    browser.find("form[data-testid=merchant-form] button[type=submit]").await.click().await;
    browser.wait_for("the merchant's page", "return !!document.querySelector('[data-testid=store-form]')").await;
    for (field, text) in
        [("name", "太监弄店"), ("address", "姑苏区太监弄 43 号"), ("district", "姑苏区"), ("hours", "10:30-21:00")]
    {
        browser.find(&format!("form[data-testid=store-form] input[name={field}]")).await.type_text(text).await;
    }
    browser.find("[data-picker] svg").await.click().await;
    let typed = browser
        .run(
            "return [document.querySelector('input[name=lat]').value, document.querySelector('input[name=lng]').value]",
        )
        .await;
    let (lat, lng): (f64, f64) =
        (typed[0].as_str().unwrap().parse().unwrap(), typed[1].as_str().unwrap().parse().unwrap());
    assert!(
        (30.75..32.05).contains(&lat) && (119.9..121.35).contains(&lng),
        "a click on the picker is a place in Suzhou: {typed}"
    );
    assert!(!browser.find("[data-picker-preview]").await.text().await.is_empty(), "the picked place is previewed");
    browser.run("document.querySelector('[data-picker]').scrollIntoView(); return null").await;
    browser.keep_screenshot("merchant-store").await;
    browser.find("form[data-testid=store-form] button[type=submit]").await.click().await;
    browser.wait_for("the store", "return !!document.querySelector('[data-testid=stores]')").await;
    let merchants = app.send(Req::get("/v1/admin/merchants").bearer(&token)).await.json();
    let merchant = merchants["items"][0]["id"].as_str().unwrap().to_owned();
    let detail = app.send(Req::get(&format!("/v1/admin/merchants/{merchant}")).bearer(&token)).await.json();
    assert_eq!(detail["stores"][0]["name"], "太监弄店");
    assert!((detail["stores"][0]["lat"].as_f64().unwrap() - lat).abs() < 1e-6, "{detail}");
    browser.keep_screenshot("merchant").await;
    assert_eq!(browser.errors().await, Vec::<String>::new());

    // A member's question to the union's legal aid, for the service windows' pages.
    let admin = app.staff(Role::Admin).await;
    app.create_kind(&admin, tests::services::legal_kind()).await;
    let asker = app.activated_members(1, "SZ-600").await.remove(0);
    let case = app.ask(&asker, "单位拖欠工资三个月，应当怎么维权？").await["id"].as_str().unwrap().to_owned();

    // The other pages, each as staff find it: charts drawn, lists filled.
    let pages = [
        (
            format!("/console/campaigns/{live}/report"),
            "report",
            "document.querySelectorAll('[data-chart] canvas').length === 4",
        ),
        ("/console/reports".to_owned(), "reports", "!!document.querySelector('[data-testid=reports]')"),
        ("/console/cards".to_owned(), "cards", "!!document.querySelector('[data-testid=payout-form]')"),
        ("/console/unions".to_owned(), "unions", "!!document.querySelector('[data-testid=union]')"),
        ("/console/applications?state=all".to_owned(), "applications", "!!document.querySelector('main h1')"),
        ("/console/staff".to_owned(), "staff", "!!document.querySelector('[data-testid=staff]')"),
        (
            "/console/unions/ROOT/report".to_owned(),
            "union-report",
            "document.querySelectorAll('[data-chart] canvas').length === 2",
        ),
        ("/console/calendar?year=2026".to_owned(), "calendar", "!!document.querySelector('[data-testid=months]')"),
        ("/console/pickup-points".to_owned(), "pickup-points", "!!document.querySelector('main h1')"),
        ("/console/cases".to_owned(), "cases", "!!document.querySelector('[data-testid=cases] tr[data-case]')"),
        (format!("/console/cases/{case}"), "case", "!!document.querySelector('[data-testid=case]')"),
    ];
    for (path, shot, ready) in pages {
        browser.goto(&format!("{}{path}", app.address)).await;
        browser.wait_for(shot, &format!("return {ready}")).await;
        browser.keep_screenshot(shot).await;
    }
    assert_eq!(browser.errors().await, Vec::<String>::new());

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

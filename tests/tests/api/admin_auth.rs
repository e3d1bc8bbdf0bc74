//! Staff sign-in, lockout, tokens and roles.

use domain::admin::Role;
use serde_json::json;
use tests::{on_both_backends, Backend, Options, Req, TestApp, TEST_PASSWORD};

fn login(username: &str, password: &str) -> Req {
    Req::post("/v1/admin/session").json(json!({"username": username, "password": password}))
}

on_both_backends!(login_issues_a_working_token);

async fn login_issues_a_working_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_admin("ops.zhang", Role::Operator, None).await;

    let r = app.send(login("ops.zhang", TEST_PASSWORD)).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    assert_eq!(body["token_type"], "Bearer");
    assert!((890..=900).contains(&body["expires_in"].as_i64().unwrap()), "{body}");
    assert_eq!(body["admin"]["role"], "operator");
    assert!(body["admin"].get("password_hash").is_none());

    let me = app.send(Req::get("/v1/admin/me").bearer(body["access_token"].as_str().unwrap())).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["username"], "ops.zhang");

    // Unknown users and wrong passwords look the same.
    let unknown = app.send(login("nobody", TEST_PASSWORD)).await.problem(401, "admin.invalid_credentials");
    let wrong = app.send(login("ops.zhang", "wrong password here")).await.problem(401, "admin.invalid_credentials");
    assert_eq!(unknown["title"], wrong["title"]);
}

on_both_backends!(five_failures_lock_the_account_until_an_admin_unlocks_it);

async fn five_failures_lock_the_account_until_an_admin_unlocks_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.staff(Role::Admin).await;
    let id = app.create_admin("ops.wang", Role::Operator, None).await;

    for attempt in 1..=4 {
        let r = app.send(login("ops.wang", "not the password")).await;
        assert_eq!(r.status, 401, "attempt {attempt}");
    }
    // The fifth locks the account; the answer says no more than an unknown name's does.
    let locked = app.send(login("ops.wang", "not the password")).await.problem(401, "admin.invalid_credentials");
    let unknown = app.send(login("nobody.here", "not the password")).await.problem(401, "admin.invalid_credentials");
    assert_eq!((locked["title"].clone(), locked.get("locked_until")), (unknown["title"].clone(), None));

    // Even the right password is refused while locked, the same way.
    app.send(login("ops.wang", TEST_PASSWORD)).await.problem(401, "admin.invalid_credentials");
    let view = app.send(Req::get(&format!("/v1/admin/users/{id}")).bearer(&root)).await.json();
    assert!(view["locked_until"].is_string(), "{view}");

    let unlock =
        app.send(Req::patch(&format!("/v1/admin/users/{id}")).bearer(&root).json(json!({"unlock": true}))).await;
    assert_eq!(unlock.status, 200, "{}", unlock.text());
    assert!(unlock.json()["locked_until"].is_null());
    assert_eq!(app.send(login("ops.wang", TEST_PASSWORD)).await.status, 200);
}

on_both_backends!(parallel_wrong_passwords_each_count);

/// Wrong passwords at once each count: five at once lock the account, four do not (counted as
/// read-then-written, they once counted about one, leaving ~150 guesses per lock instead of 5).
/// Each attempt is counted before its password is looked at, so none in a burst past the fifth
/// is judged: not even the right password gets in until the lock runs out.
async fn parallel_wrong_passwords_each_count(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.staff(Role::Admin).await;
    let id = app.create_admin("ops.zhao", Role::Operator, None).await;
    let other = app.create_admin("ops.zhou", Role::Operator, None).await;
    let locked = |id: String| {
        let (app, root) = (&app, &root);
        async move {
            let view = app.send(Req::get(&format!("/v1/admin/users/{id}")).bearer(root)).await.json();
            view["locked_until"].is_string()
        }
    };
    let replies = app.send_all((0..4).map(|_| login("ops.zhou", "not the password")).collect()).await;
    assert!(replies.iter().all(|r| r.status == 401));
    assert!(!locked(other.clone()).await, "four wrong passwords do not lock");
    let replies = app.send_all((0..5).map(|_| login("ops.zhao", "not the password")).collect()).await;
    assert!(replies.iter().all(|r| r.status == 401));
    assert!(locked(id.clone()).await, "five wrong passwords at once lock");
    app.send(login("ops.zhao", TEST_PASSWORD)).await.problem(401, "admin.invalid_credentials");
    let locks = app.count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM audit_log WHERE action = 'admin_user.lock'").await;
    assert_eq!(locks, 1, "one lock, audited once");
    // The fourth account's count went on from four: its fifth attempt locks it too.
    app.send(login("ops.zhou", "not the password")).await.problem(401, "admin.invalid_credentials");
    assert!(locked(other.clone()).await);
}

on_both_backends!(a_new_password_or_role_ends_the_accounts_sessions);

async fn a_new_password_or_role_ends_the_accounts_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.staff(Role::Admin).await;
    let id = app.create_admin("ops.sun", Role::Operator, None).await;
    let token = |r: tests::Reply| r.json()["access_token"].as_str().unwrap().to_owned();
    let before = token(app.send(login("ops.sun", TEST_PASSWORD)).await);
    let me = |t: &str| Req::get("/v1/admin/me").bearer(t);
    assert_eq!(app.send(me(&before)).await.status, 200);
    app.clock.advance(chrono::Duration::seconds(2));
    let patch = |body: serde_json::Value| Req::patch(&format!("/v1/admin/users/{id}")).bearer(&root).json(body);
    assert_eq!(app.send(patch(json!({"password": "a new password, long enough"}))).await.status, 200);
    assert_eq!(app.send(me(&before)).await.status, 401, "the old password's token is dead");
    let after = token(app.send(login("ops.sun", "a new password, long enough")).await);
    assert_eq!(app.send(me(&after)).await.status, 200);
    // A display name change leaves sessions alone; a role change ends them.
    assert_eq!(app.send(patch(json!({"display_name": "孙"}))).await.status, 200);
    assert_eq!(app.send(me(&after)).await.status, 200);
    app.clock.advance(chrono::Duration::seconds(2));
    assert_eq!(app.send(patch(json!({"role": "auditor"}))).await.status, 200);
    assert_eq!(app.send(me(&after)).await.status, 401, "the old role's token is dead");
}

on_both_backends!(a_success_resets_the_failure_count);

async fn a_success_resets_the_failure_count(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_admin("ops.li", Role::Operator, None).await;
    for _ in 0..4 {
        assert_eq!(app.send(login("ops.li", "not the password")).await.status, 401);
    }
    assert_eq!(app.send(login("ops.li", TEST_PASSWORD)).await.status, 200);
    for _ in 0..4 {
        assert_eq!(app.send(login("ops.li", "not the password")).await.status, 401);
    }
    assert_eq!(app.send(login("ops.li", TEST_PASSWORD)).await.status, 200);
}

on_both_backends!(auditors_read_everything_and_change_nothing);

async fn auditors_read_everything_and_change_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.staff(Role::Admin).await;
    let auditor = app.staff(Role::Auditor).await;
    let operator = app.staff(Role::Operator).await;
    let target = app.create_admin("ops.target", Role::Operator, None).await;

    for path in ["/v1/admin/me", "/v1/admin/users", "/v1/admin/audit", &format!("/v1/admin/users/{target}")] {
        let r = app.send(Req::get(path).bearer(&auditor)).await;
        assert_eq!(r.status, 200, "auditor GET {path}: {}", r.text());
    }
    let new_user = json!({"username": "x.new", "password": TEST_PASSWORD, "display_name": "新", "role": "operator"});
    let patch = json!({"display_name": "改名"});
    for token in [&auditor, &operator] {
        app.send(Req::post("/v1/admin/users").bearer(token).json(new_user.clone()))
            .await
            .problem(403, "auth.forbidden");
        let r = app.send(Req::patch(&format!("/v1/admin/users/{target}")).bearer(token).json(patch.clone())).await;
        r.problem(403, "auth.forbidden");
    }
    // Nothing changed, and nothing was audited for the refused attempts.
    let audit = app.send(Req::get("/v1/admin/audit?limit=100").bearer(&root)).await.json();
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.iter().all(|a| *a == "admin_user.create"), "{actions:?}");
    let users = app.send(Req::get("/v1/admin/users").bearer(&root)).await.json();
    assert_eq!(users["items"].as_array().unwrap().len(), 4);

    // An admin may.
    assert_eq!(app.send(Req::post("/v1/admin/users").bearer(&root).json(new_user)).await.status, 201);
}

on_both_backends!(tokens_are_checked_against_key_expiry_and_account_state);

async fn tokens_are_checked_against_key_expiry_and_account_state(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.staff(Role::Admin).await;
    let id = app.create_admin("ops.zhao", Role::Operator, None).await;
    let token = app.login("ops.zhao").await;
    assert_eq!(app.send(Req::get("/v1/admin/me").bearer(&token)).await.status, 200);

    // A token signed with another key, or tampered with, is refused.
    let env = app.stop().await;
    let other = Options::default().var("SGH_ADMIN_JWT_SECRET", "another-secret-another-secret-another-secret");
    let app2 = TestApp::start(env, other).await;
    app2.send(Req::get("/v1/admin/me").bearer(&token)).await.problem(401, "auth.invalid_token");
    let env = app2.stop().await;
    let app = TestApp::start(env, Options::default().var("SGH_ADMIN_TOKEN_TTL_SECS", 1)).await;
    let mut tampered = token.clone();
    tampered.insert(tampered.len() - 3, 'A');
    app.send(Req::get("/v1/admin/me").bearer(&tampered)).await.problem(401, "auth.invalid_token");

    // Disabling an account ends its sessions at once.
    assert_eq!(app.send(Req::get("/v1/admin/me").bearer(&token)).await.status, 200);
    let r = app.send(Req::patch(&format!("/v1/admin/users/{id}")).bearer(&root).json(json!({"disabled": true}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    app.send(Req::get("/v1/admin/me").bearer(&token)).await.problem(401, "auth.inactive");
    app.send(login("ops.zhao", TEST_PASSWORD)).await.problem(403, "admin.disabled");

    // Tokens expire: this server issues one-second tokens (the verifier allows 5 s of clock skew).
    let short = app.login("t.admin").await;
    assert_eq!(app.send(Req::get("/v1/admin/me").bearer(&short)).await.status, 200);
    app.clock.advance(chrono::Duration::seconds(7));
    app.send(Req::get("/v1/admin/me").bearer(&short)).await.problem(401, "auth.invalid_token");
}

on_both_backends!(a_password_change_ends_sessions_begun_earlier_in_the_same_second);

/// Tokens carried their issue time in whole seconds: one issued a moment before a password change,
/// in the same second, outlived it.
async fn a_password_change_ends_sessions_begun_earlier_in_the_same_second(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.staff(Role::Admin).await;
    let id = app.create_admin("ops.qian", Role::Operator, None).await;
    let since_second = domain::shared::Clock::now(&app.clock).timestamp_subsec_millis();
    app.clock.advance(chrono::Duration::milliseconds(i64::from(1_100 - since_second)));
    let before = app.login("ops.qian").await;
    app.clock.advance(chrono::Duration::milliseconds(300));
    let changed = app
        .send(
            Req::patch(&format!("/v1/admin/users/{id}"))
                .bearer(&root)
                .json(json!({"password": "another long password 2026"})),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    app.send(Req::get("/v1/admin/me").bearer(&before)).await.problem(401, "auth.inactive");
    // A session begun after it, in that same second, stands.
    let after = app.send(login("ops.qian", "another long password 2026")).await;
    assert_eq!(after.status, 200, "{}", after.text());
    let token = after.json()["access_token"].as_str().unwrap().to_owned();
    assert_eq!(app.send(Req::get("/v1/admin/me").bearer(&token)).await.status, 200);
}

on_both_backends!(logins_per_address_are_rate_limited);

async fn logins_per_address_are_rate_limited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for _ in 0..30 {
        assert_eq!(app.send(login("nobody", "whatever password")).await.status, 401);
    }
    let r = app.send(login("nobody", "whatever password")).await;
    r.problem(429, "rate_limited");
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry));
}

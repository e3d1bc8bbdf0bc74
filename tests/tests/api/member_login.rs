//! Phone sign-in, codes, rate limits and the refresh-token family.

use domain::shared::Clock;
use serde_json::json;
use tests::{on_both_backends, Backend, Options, Req, TestApp};

fn token_req(phone: &str, code: &str) -> Req {
    Req::post("/v1/auth/token").json(json!({"phone": phone, "code": code}))
}

on_both_backends!(first_login_creates_the_account_and_shows_it_masked);

async fn first_login_creates_the_account_and_shows_it_masked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = app.member_login("+86 138-0013-8000").await;
    assert_eq!(first["new_account"], true);
    assert_eq!(first["token_type"], "Bearer");
    assert!((890..=900).contains(&first["expires_in"].as_i64().unwrap()));
    let params: serde_json::Value = serde_json::from_str(&app.sms.messages_to("13800138000").pop().unwrap()).unwrap();
    assert_eq!(params["minutes"], 5);
    assert!(
        params["code"].as_str().unwrap().chars().all(|c| c.is_ascii_digit())
            && params["code"].as_str().unwrap().len() == 6
    );

    let me = app.send(Req::get("/v1/me").bearer(first["access_token"].as_str().unwrap())).await;
    assert_eq!(me.status, 200, "{}", me.text());
    let me = me.json();
    assert_eq!(me["phone"], "138****8000");
    assert_eq!(me["status"], "registered");
    assert!(me["real_name"].is_null() && me["union"].is_null());
    assert!(!me.to_string().contains("13800138000"));

    let again = app.member_login("13800138000").await;
    assert_eq!(again["new_account"], false);
    let me2 = app.send(Req::get("/v1/me").bearer(again["access_token"].as_str().unwrap())).await.json();
    assert_eq!(me2["id"], me["id"], "same account for the same phone however written");
}

on_both_backends!(wrong_reused_and_burned_codes_are_refused);

async fn wrong_reused_and_burned_codes_are_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let phone = "13900000001";
    assert_eq!(app.request_code(phone).await.status, 202);
    let code = app.sms.last_code(phone);
    let wrong = if code == "000000" { "111111" } else { "000000" };

    let body = app.send(token_req(phone, wrong)).await.problem(401, "auth.code_wrong");
    assert_eq!(body["tries_left"], 4);
    assert_eq!(app.send(token_req(phone, &code)).await.status, 200, "a wrong try does not burn the code");
    app.send(token_req(phone, &code)).await.problem(401, "auth.code_invalid");

    // Five wrong answers burn a code: the right one no longer works.
    let app = TestApp::spawn(backend).await;
    app.request_code(phone).await;
    let code = app.sms.last_code(phone);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in (0..5).rev() {
        let body = app.send(token_req(phone, wrong)).await.problem(401, "auth.code_wrong");
        assert_eq!(body["tries_left"], left);
    }
    app.send(token_req(phone, &code)).await.problem(401, "auth.code_invalid");
    // A code never sent.
    app.send(token_req("13900000002", "123456")).await.problem(401, "auth.code_invalid");
}

on_both_backends!(codes_expire);

async fn codes_expire(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (phone, other) = ("13900000003", "13900000004");
    app.request_code(phone).await;
    app.request_code(other).await;
    let (code, other_code) = (app.sms.last_code(phone), app.sms.last_code(other));
    // Five minutes on the server's clock: a second before the end the code still works, at the
    // end it does not.
    app.clock.advance(chrono::Duration::seconds(299));
    assert_eq!(app.send(token_req(other, &other_code)).await.status, 200);
    app.clock.advance(chrono::Duration::seconds(1));
    app.send(token_req(phone, &code)).await.problem(401, "auth.code_invalid");
}

on_both_backends!(code_requests_are_rate_limited);

async fn code_requests_are_rate_limited(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options::default().var("SGH_OTP_RESEND_SECS", 60)).await;
    assert_eq!(app.request_code("13700000000").await.status, 202);
    let again = app.request_code("13700000000").await;
    again.problem(429, "rate_limited");
    let retry: u64 = again.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(app.sms.messages_to("13700000000").len(), 1, "no second SMS");

    // Ten requests per client address per hour, whatever the phone (the refused one counted too).
    for i in 1..9 {
        assert_eq!(app.request_code(&format!("1370000000{i}")).await.status, 202, "request {i}");
    }
    app.request_code("13700000099").await.problem(429, "rate_limited");

    for bad in ["12345", "12800000000", "+1 2025550123"] {
        let body = app.request_code(bad).await.problem(422, "validation.invalid_field");
        assert_eq!(body["field"], "phone");
    }
}

on_both_backends!(behind_a_trusted_proxy_each_client_has_its_own_bucket);

/// Behind a load balancer every member once shared the balancer's bucket (ten code requests an hour
/// for the whole city), and a client's own `X-Forwarded-For` must not buy it a fresh one.
async fn behind_a_trusted_proxy_each_client_has_its_own_bucket(backend: Backend) {
    let code = |phone: String, forwarded: &str| {
        Req::post("/v1/auth/otp").header("x-forwarded-for", forwarded).json(json!({"phone": phone}))
    };
    // The test client connects from loopback: here it plays the trusted load balancer.
    let app = TestApp::spawn_with(backend, Options::default().var("SGH_TRUSTED_PROXIES", "127.0.0.1,::1")).await;
    for i in 0..10 {
        assert_eq!(app.send(code(format!("1371000000{i}"), "198.51.100.7")).await.status, 202, "request {i}");
    }
    app.send(code("13710000010".into(), "198.51.100.7")).await.problem(429, "rate_limited");
    assert_eq!(app.send(code("13710000011".into(), "198.51.100.8")).await.status, 202, "another client");
    // IPv6 clients count per /64: another address in the block shares it, another block does not.
    for i in 0..10 {
        assert_eq!(app.send(code(format!("1372000000{i}"), "2001:db8:0:1::7")).await.status, 202, "request {i}");
    }
    app.send(code("13720000010".into(), "2001:db8:0:1::8")).await.problem(429, "rate_limited");
    assert_eq!(app.send(code("13720000011".into(), "\"[2001:db8:0:2::7]:4711\"")).await.status, 202);
    // The proxy appends to `X-Forwarded-For` and passes a `Forwarded` header on as the client wrote
    // it: that one is the client's own word, and buys no fresh bucket.
    let standard = |phone: String, client: &str| {
        Req::post("/v1/auth/otp")
            .header("forwarded", &format!("for={client};proto=https"))
            .json(json!({"phone": phone}))
    };
    let spoofed = |phone: String, claimed: &str| standard(phone, claimed).header("x-forwarded-for", "198.51.100.30");
    for i in 0..10 {
        assert_eq!(app.send(spoofed(format!("1375000000{i}"), &format!("192.0.2.{i}"))).await.status, 202);
    }
    app.send(spoofed("13750000010".into(), "192.0.2.99")).await.problem(429, "rate_limited");
    // Staff sign-in attempts are counted per client behind the proxy too.
    let staff = |client: &str| {
        Req::post("/v1/admin/session")
            .header("x-forwarded-for", client)
            .json(json!({"username": "nobody", "password": "whatever password"}))
    };
    for _ in 0..30 {
        assert_eq!(app.send(staff("198.51.100.20")).await.status, 401);
    }
    app.send(staff("198.51.100.20")).await.problem(429, "rate_limited");
    assert_eq!(app.send(staff("198.51.100.21")).await.status, 401, "another client");

    // A proxy that writes the standard `Forwarded` header (RFC 7239) instead: it names the client,
    // and an `X-Forwarded-For` is then the client's own word.
    let options =
        Options::default().var("SGH_TRUSTED_PROXIES", "127.0.0.1,::1").var("SGH_FORWARDED_HEADER", "forwarded");
    let app = TestApp::spawn_with(backend, options).await;
    for i in 0..10 {
        assert_eq!(app.send(standard(format!("1374000000{i}"), "192.0.2.60")).await.status, 202, "request {i}");
    }
    app.send(standard("13740000010".into(), "\"192.0.2.60:5122\"")).await.problem(429, "rate_limited");
    assert_eq!(app.send(standard("13740000011".into(), "192.0.2.61")).await.status, 202, "another client");
    for i in 0..10 {
        let request =
            standard(format!("1376000000{i}"), "192.0.2.70").header("x-forwarded-for", &format!("203.0.113.{i}"));
        assert_eq!(app.send(request).await.status, 202);
    }
    app.send(standard("13760000010".into(), "192.0.2.70")).await.problem(429, "rate_limited");

    // Without trusted proxies the header is the client's own word, and ignored.
    let app = TestApp::spawn(backend).await;
    for i in 0..10 {
        assert_eq!(app.send(code(format!("1373000000{i}"), &format!("203.0.113.{i}"))).await.status, 202);
    }
    app.send(code("13730000010".into(), "203.0.113.99")).await.problem(429, "rate_limited");
}

on_both_backends!(a_sign_in_ends_thirty_days_after_it_began_however_often_it_is_refreshed);

async fn a_sign_in_ends_thirty_days_after_it_began_however_often_it_is_refreshed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let mut token = app.member_login("13600000009").await["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |t: &str| Req::post("/v1/auth/refresh").json(json!({"refresh_token": t}));
    // Refreshed every ten days, each token good for thirty: the family still ends on day 30.
    for day in [10, 20, 29] {
        app.clock.set(app.clock.now() + chrono::Duration::days(if day == 29 { 9 } else { 10 }));
        let next = app.send(refresh(&token)).await;
        assert_eq!(next.status, 200, "day {day}: {}", next.text());
        token = next.json()["refresh_token"].as_str().unwrap().to_owned();
    }
    app.clock.set(app.clock.now() + chrono::Duration::days(1) + chrono::Duration::minutes(1));
    app.send(refresh(&token)).await.problem(401, "auth.refresh_invalid");
}

on_both_backends!(refresh_rotates_and_reuse_revokes_the_family);

async fn refresh_rotates_and_reuse_revokes_the_family(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let first = app.member_login("13600000000").await;
    let r1 = first["refresh_token"].as_str().unwrap().to_owned();
    let refresh = |t: &str| Req::post("/v1/auth/refresh").json(json!({"refresh_token": t}));

    let second = app.send(refresh(&r1)).await;
    assert_eq!(second.status, 200, "{}", second.text());
    let second = second.json();
    let r2 = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, r2);
    assert_eq!(app.send(Req::get("/v1/me").bearer(second["access_token"].as_str().unwrap())).await.status, 200);

    // The old token comes back: theft is assumed and the whole family dies, the fresh token too.
    app.send(refresh(&r1)).await.problem(401, "auth.refresh_reused");
    app.send(refresh(&r2)).await.problem(401, "auth.session_ended");

    // Another login of the same member is a separate family and unaffected; logout ends it, and
    // a signed-out token says so without raising the theft alarm for the member's other logins.
    let other = app.member_login("13600000000").await;
    let third = app.member_login("13600000000").await;
    let r3 = other["refresh_token"].as_str().unwrap().to_owned();
    let r4 = app.send(refresh(&r3)).await.json()["refresh_token"].as_str().unwrap().to_owned();
    assert_eq!(app.send(Req::post("/v1/auth/logout").json(json!({"refresh_token": r4}))).await.status, 204);
    app.send(refresh(&r4)).await.problem(401, "auth.session_ended");
    app.send(refresh(&r4)).await.problem(401, "auth.session_ended");
    assert_eq!(app.send(refresh(third["refresh_token"].as_str().unwrap())).await.status, 200, "other logins live on");
    app.send(refresh("not-a-token")).await.problem(401, "auth.refresh_invalid");
}

on_both_backends!(member_tokens_open_only_the_members_own_data);

async fn member_tokens_open_only_the_members_own_data(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.member_token("13500000001").await;
    let bob_id = {
        let bob = app.member_token("13500000002").await;
        app.send(Req::get("/v1/me").bearer(&bob)).await.json()["id"].as_str().unwrap().to_owned()
    };
    // Forge Alice's token to say Bob: the signature no longer matches.
    let parts: Vec<&str> = alice.split('.').collect();
    let claims = String::from_utf8(base64_url(parts[1])).unwrap();
    let alice_id = app.send(Req::get("/v1/me").bearer(&alice)).await.json()["id"].as_str().unwrap().to_owned();
    let forged_claims = claims.replace(&alice_id, &bob_id);
    let forged = format!("{}.{}.{}", parts[0], encode_url(forged_claims.as_bytes()), parts[2]);
    app.send(Req::get("/v1/me").bearer(&forged)).await.problem(401, "auth.invalid_token");

    // Member tokens are not staff tokens, and the reverse.
    for path in ["/v1/admin/me", "/v1/admin/users", "/v1/admin/audit"] {
        app.send(Req::get(path).bearer(&alice)).await.problem(401, "auth.invalid_token");
    }
    let search = Req::post("/v1/admin/members/search").json(json!({"query": "13500000002"}));
    app.send(search.bearer(&alice)).await.problem(401, "auth.invalid_token");
    let staff = app.staff(domain::admin::Role::Admin).await;
    app.send(Req::get("/v1/me").bearer(&staff)).await.problem(401, "auth.invalid_token");
}

fn base64_url(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(s).unwrap()
}

fn encode_url(b: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

on_both_backends!(a_spent_sms_budget_is_a_503_and_one_alert);

/// SMS pumping costs the union money: past the service-wide budget nobody gets a code (503 with
/// `Retry-After`, not a 500 and not a silent send), and the administrators hear of it once.
async fn a_spent_sms_budget_is_a_503_and_one_alert(backend: Backend) {
    let app = TestApp::spawn_with(backend, Options::default().var("SGH_SMS_BUDGET_PER_HOUR", 3)).await;
    app.create_admin("ops.sms", domain::admin::Role::Admin, Some("ops.sms@union.example.cn")).await;
    app.create_admin("ops.quiet", domain::admin::Role::Operator, Some("ops.quiet@union.example.cn")).await;
    for i in 0..3 {
        assert_eq!(app.request_code(&format!("1370000010{i}")).await.status, 202);
    }
    for i in 3..6 {
        let refused = app.request_code(&format!("1370000010{i}")).await;
        let problem = refused.problem(503, "sms.budget_spent");
        let wait: u64 = refused.header("retry-after").and_then(|s| s.parse().ok()).expect("Retry-After");
        assert!((1..=3600).contains(&wait), "{wait} {problem}");
    }
    assert!(app.sms.messages_to("13700000103").is_empty(), "nothing sent past the budget");
    let alerts_to = |address: &'static str| {
        let sql = match address {
            "admin" => "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM jobs WHERE payload LIKE '%ops.sms@%SMS budget%'",
            _ => "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM jobs WHERE payload LIKE '%ops.quiet@%SMS budget%'",
        };
        app.count(sql)
    };
    let (to_admin, to_operator) = (alerts_to("admin").await, alerts_to("operator").await);
    assert_eq!((to_admin, to_operator), (1, 0), "one alert, to the administrator");
}

//! Profile, e-mail confirmation, export, erasure, and personal data at rest.

use diesel::sql_types::{Nullable, Text};
use diesel::{QueryableByName, RunQueryDsl};
use domain::members::roster::RosterStatus::Active;
use serde_json::json;
use std::time::Duration;
use tests::members::id_number;
use tests::{on_both_backends, Backend, Req, TestApp};

on_both_backends!(profile_changes_and_email_is_confirmed_by_code);

async fn profile_changes_and_email_is_confirmed_by_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.member_token("13800000011").await;

    let r = app
        .send(
            Req::patch("/v1/me")
                .bearer(&token)
                .json(json!({"nickname": " 小张 ", "avatar_url": "https://img.example.cn/a.png"})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        (r.json()["member"]["nickname"].as_str(), r.json()["member"]["avatar_url"].as_str()),
        (Some("小张"), Some("https://img.example.cn/a.png"))
    );
    let bad = app.send(Req::patch("/v1/me").bearer(&token).json(json!({"avatar_url": "http://insecure"}))).await;
    assert_eq!(bad.problem(422, "validation.invalid_field")["field"], "avatar_url");
    let cleared = app.send(Req::patch("/v1/me").bearer(&token).json(json!({"nickname": null}))).await.json();
    assert!(cleared["member"]["nickname"].is_null());

    let r = app.send(Req::patch("/v1/me").bearer(&token).json(json!({"email": "Zhang@Example.CN"}))).await.json();
    assert_eq!(r["email_confirmation_sent_to"], "Zhang@example.cn");
    assert!(r["member"]["email"].is_null(), "not before confirmation");
    let mail = app.last_mail().await;
    assert!(mail.contains("To: Zhang@example.cn"), "{mail}");
    let code: String = mail.split("code is ").nth(1).unwrap().chars().take(6).collect();

    let confirm = |code: &str| Req::post("/v1/me/email/confirm").bearer(&token).json(json!({"code": code}));
    let wrong = if code == "000000" { "111111" } else { "000000" };
    app.send(confirm(wrong)).await.problem(422, "email.code_invalid");
    let ok = app.send(confirm(&code)).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.json()["email"], "Zhang@example.cn");
    app.send(confirm(&code)).await.problem(422, "email.code_invalid");
}

on_both_backends!(email_codes_take_five_wrong_tries_and_mails_are_limited);

/// A code once took a million guesses in its 30 minutes, and every `PATCH /v1/me` mailed any
/// address from the union's domain: now five wrong codes burn it, and mails are 3 an hour per
/// member and per address.
async fn email_codes_take_five_wrong_tries_and_mails_are_limited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.member_token("13800000021").await;
    let ask = |to: &str| Req::patch("/v1/me").bearer(&token).json(json!({"email": to, "nickname": "试试"}));
    assert_eq!(app.send(ask("li@example.cn")).await.status, 200);
    let mail = app.last_mail().await;
    let code: String = mail.split("code is ").nth(1).unwrap().chars().take(6).collect();
    let confirm = |code: &str| Req::post("/v1/me/email/confirm").bearer(&token).json(json!({"code": code}));
    let wrong: Vec<String> =
        (0..5).map(|i| format!("{:06}", (code.parse::<u32>().unwrap() + 1 + i) % 1_000_000)).collect();
    let replies = app.send_all(wrong.iter().map(|w| confirm(w)).collect()).await;
    assert!(replies.iter().all(|r| r.status == 422));
    // Five wrong tries, sent at once: the right code is burned with them.
    app.send(confirm(&code)).await.problem(422, "email.code_invalid");

    // Two more mails this hour are fine; the fourth is refused, and nothing of it is kept.
    assert_eq!(app.send(ask("li@example.cn")).await.status, 200);
    assert_eq!(app.send(ask("wang@example.cn")).await.status, 200);
    let refused =
        app.send(Req::patch("/v1/me").bearer(&token).json(json!({"email": "zhao@example.cn", "nickname": "改了"})));
    let refused = refused.await;
    refused.problem(429, "email.too_many_mails");
    assert!(refused.header("retry-after").is_some());
    let me = app.send(Req::get("/v1/me").bearer(&token)).await.json();
    assert_eq!(me["nickname"], "试试", "{me}");
    // Another member cannot mail the same address more than three times an hour either, however
    // its letters are cased.
    let other = app.member_token("13800000022").await;
    for (n, to, expected) in [(1, "li@example.cn", 200), (2, "LI@Example.CN", 429)] {
        let r = app.send(Req::patch("/v1/me").bearer(&other).json(json!({"email": to}))).await;
        assert_eq!(r.status, expected, "mail {n}: {}", r.text());
    }
}

on_both_backends!(export_then_erase);

async fn export_then_erase(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let id = id_number("19920202", 22);
    app.seed_roster(&[("周九", &id, "SZ-010", Active)]).await;
    let login = app.member_login("13800000012").await;
    let token = login["access_token"].as_str().unwrap().to_owned();
    app.send(Req::post("/v1/me/consents").bearer(&token).json(json!({"version": "2026-11"}))).await;
    let bind = Req::new(actix_web::http::Method::PUT, "/v1/me/real-name")
        .bearer(&token)
        .json(json!({"name": "周九", "id_number": id}));
    assert_eq!(app.send(bind).await.status, 200);

    let export = app.send(Req::get("/v1/me/export").bearer(&token)).await;
    assert_eq!(export.status, 200);
    let export = export.json();
    assert_eq!(export["member"]["status"], "activated");
    assert_eq!(export["member"]["phone"], "138****0012");
    assert!(export["exported_at"].is_string());

    assert_eq!(app.send(Req::new(actix_web::http::Method::DELETE, "/v1/me").bearer(&token)).await.status, 204);
    app.send(Req::get("/v1/me").bearer(&token)).await.problem(401, "auth.invalid_token");
    let refresh = Req::post("/v1/auth/refresh").json(json!({"refresh_token": login["refresh_token"]}));
    app.send(refresh).await.problem(401, "auth.session_ended");

    // The phone and ID number are free again: signing in makes a new, unbound account.
    let again = app.member_login("13800000012").await;
    assert_eq!(again["new_account"], true);
    let fresh = again["access_token"].as_str().unwrap();
    app.send(Req::post("/v1/me/consents").bearer(fresh).json(json!({"version": "2026-11"}))).await;
    let rebind = Req::new(actix_web::http::Method::PUT, "/v1/me/real-name")
        .bearer(fresh)
        .json(json!({"name": "周九", "id_number": id}));
    assert_eq!(app.send(rebind).await.json()["status"], "activated");
}

#[derive(QueryableByName)]
struct Dump {
    #[diesel(sql_type = Nullable<Text>)]
    dump: Option<String>,
}

on_both_backends!(no_phone_id_number_or_email_is_stored_in_plain_text);

/// Phones, names, 身份证 numbers and e-mail addresses are sealed wherever they are kept: the members
/// table, the audit log, and the mail jobs that carry a member's confirmation (which still reach
/// the member).
async fn no_phone_id_number_or_email_is_stored_in_plain_text(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let id = id_number("19930303", 33);
    let phone = "13812345678";
    app.seed_roster(&[("吴十", &id, "SZ-011", Active)]).await;
    let token = app.consenting_member(phone).await;
    let bind = Req::new(actix_web::http::Method::PUT, "/v1/me/real-name")
        .bearer(&token)
        .json(json!({"name": "吴十", "id_number": id}));
    assert_eq!(app.send(bind).await.status, 200);
    app.send(Req::post("/v1/auth/refresh").json(json!({"refresh_token": "x"}))).await;
    let email = "wu.shi@union.example.cn";
    assert_eq!(app.send(Req::patch("/v1/me").bearer(&token).json(json!({"email": email}))).await.status, 200);
    let mail = app.last_mail().await;
    assert!(mail.contains(&format!("To: {email}")), "{mail}");
    let code: String = mail.split("code is ").nth(1).unwrap().chars().take(6).collect();
    let confirmed = app.send(Req::post("/v1/me/email/confirm").bearer(&token).json(json!({"code": code}))).await;
    assert_eq!(confirmed.json()["email"], email, "{}", confirmed.text());
    // A claim's confirmation goes to the sealed address, and arrives.
    let operator = app.staff(domain::admin::Role::Operator).await;
    let (campaign, gift) = app.live_campaign(&operator, 5, 1, 1).await;
    assert_eq!(app.send(app.claim_req(&token, &campaign, &gift, "k1")).await.status, 201);
    let mut delivered = false;
    for _ in 0..100 {
        let mail = app.last_mail().await;
        if mail.contains("code is") {
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        assert!(mail.contains(&format!("To: {email}")), "{mail}");
        delivered = true;
        break;
    }
    assert!(delivered, "the claim's mail was sent to the member's address");
    let dead = app.count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM jobs WHERE state = 'dead'").await;
    assert_eq!(dead, 0, "no mail job failed");

    // The confirmation's mail job held the live code in plain text: now its body is sealed too.
    let needles = [phone.to_owned(), id.clone(), "吴十".to_owned(), email.to_owned(), format!("code is {code}")];
    match backend {
        Backend::Embedded => {
            let db = app.database().await;
            db.run(|conn| {
                diesel::sql_query("PRAGMA wal_checkpoint(TRUNCATE)").execute(conn).map_err(anyhow::Error::from)
            })
            .await
            .unwrap();
            let mut bytes = Vec::new();
            for entry in std::fs::read_dir(&app.env.dir).unwrap() {
                let path = entry.unwrap().path();
                if path.file_name().unwrap().to_string_lossy().starts_with("sgh.db") {
                    bytes.extend(std::fs::read(&path).unwrap());
                }
            }
            assert!(bytes.len() > 10_000, "the database file was read");
            for needle in &needles {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                    "{needle} found in the SQLite file"
                );
            }
        }
        Backend::PostgresRedis | Backend::PostgresRedisCluster => {
            let db = app.database().await;
            let mut all = String::new();
            for table in ["members", "roster", "refresh_tokens", "audit_log", "jobs"] {
                let sql = format!("SELECT string_agg(t::text, ' ') AS dump FROM {table} t");
                let dump: Dump = db
                    .run(move |conn| diesel::sql_query(sql).get_result(conn).map_err(anyhow::Error::from))
                    .await
                    .unwrap();
                all.push_str(&dump.dump.unwrap_or_default());
            }
            assert!(all.contains("k1:"), "ciphertexts were read");
            for needle in &needles {
                assert!(!all.contains(needle.as_str()), "{needle} found in PostgreSQL");
            }
            let prefix = app.env.redis_prefix.clone().unwrap();
            let keys = tests::TestRedis::of(&app.env).keys(&format!("{prefix}:*")).unwrap();
            assert!(!keys.is_empty());
            assert!(keys.iter().all(|k| !k.contains(phone)), "{keys:?}");
        }
    }
}

on_both_backends!(addresses_confirmed_before_sealing_are_sealed_at_the_next_start);

async fn addresses_confirmed_before_sealing_are_sealed_at_the_next_start(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.member_token("13800000077").await;
    // As the migration left a confirmed address: plain, no index.
    let db = app.database().await;
    db.run(|conn| {
        diesel::sql_query("UPDATE members SET email_cipher = 'legacy@union.example.cn', email_index = NULL")
            .execute(conn)
            .map_err(anyhow::Error::from)
    })
    .await
    .unwrap();
    let me = app.send(Req::get("/v1/me").bearer(&token)).await.json();
    assert_eq!(me["email"], "legacy@union.example.cn", "still read before it is sealed: {me}");
    let staff = app.staff(domain::admin::Role::Auditor).await;
    let found =
        app.send(Req::post("/v1/admin/members/search").bearer(&staff).json(json!({"query": "13800000077"}))).await;
    assert_eq!(found.json()["items"][0]["email"], "l***@union.example.cn", "masked for staff");

    let app = TestApp::start(app.stop().await, tests::Options::default()).await;
    let plain = app.count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM members WHERE email_cipher LIKE '%@%'").await;
    let indexed = app.count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM members WHERE email_index IS NOT NULL").await;
    assert_eq!((plain, indexed), (0, 1));
    let token = app.token_for(me["id"].as_str().unwrap());
    assert_eq!(app.send(Req::get("/v1/me").bearer(&token)).await.json()["email"], me["email"]);
}

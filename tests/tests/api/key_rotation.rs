//! `sgh rotate-keys` while the service runs: an interrupted run is continued by the next, members
//! keep signing in and claiming meanwhile, and afterwards everything reads under the new key alone.

use api::rotation::rotate;
use domain::admin::Role;
use serde_json::json;
use tests::services::{case_part, legal_kind, pdf, Form};
use tests::{on_both_backends, Backend, Options, Req, TestApp};

on_both_backends!(personal_data_is_re_encrypted_online_and_resumably);

const NEW_KEY: &str = "c2doLXRlc3Qtcm90YXRlZC1maWVsZC1rZXktMzJieXQ=";

/// Rows with a sealed value not under `k2`, in every table that seals.
const STALE: [&str; 5] = [
    "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM members
     WHERE phone_cipher NOT LIKE 'k2:%' OR name_cipher NOT LIKE 'k2:%' OR id_cipher NOT LIKE 'k2:%'
        OR email_cipher NOT LIKE 'k2:%' OR pending_email_cipher NOT LIKE 'k2:%'",
    "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM applications WHERE name_cipher NOT LIKE 'k2:%' OR id_cipher NOT LIKE 'k2:%'",
    "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM roster WHERE name_cipher NOT LIKE 'k2:%' OR id_cipher NOT LIKE 'k2:%'",
    "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM cards WHERE secret_cipher NOT LIKE 'k2:%'",
    "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM service_attachments WHERE sealed_with <> 'k2' OR name_cipher NOT LIKE 'k2:%'",
];

async fn stale(app: &TestApp) -> i64 {
    let mut n = 0;
    for sql in STALE {
        n += app.count(sql).await;
    }
    n
}

async fn personal_data_is_re_encrypted_online_and_resumably(backend: Backend) {
    // Under the first key (k1): members with their names and 身份证 numbers, the roster, a card.
    let first = TestApp::spawn(backend).await;
    let staff = first.staff(Role::Admin).await;
    let bank = first.bank(&staff, 3).await;
    let merchant = first.partner(&staff, 0, json!({})).await;
    let members = first.activated_members(30, "SZ-600").await;
    first.active_card(&members[0], &bank, 71).await;
    let (campaign, gift) = first.live_campaign(&staff, 100, 1, 1).await;
    // An e-mail address confirmed, another pending; a worker not on the roster applying to join
    // with their name and 身份证 number.
    let mailer = &members[1];
    let ask = |to: &str| Req::patch("/v1/me").bearer(mailer).json(json!({"email": to}));
    assert_eq!(first.send(ask("li@example.cn")).await.status, 200);
    let code = first.mail_code_to("li@example.cn").await;
    let confirmed = first.send(Req::post("/v1/me/email/confirm").bearer(mailer).json(json!({"code": code}))).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text());
    assert_eq!(first.send(ask("li.new@example.cn")).await.status, 200);
    first.load_tree(&staff, "工会编码,工会名称,类型,上级工会编码\nSZ-601,某公司工会,基层工会,ROOT\n").await;
    let worker = first.unlisted_member(1).await;
    let join = json!({"kind": "join", "union_code": "SZ-601", "employer": "苏州某某科技有限公司", "position": "装配工",
        "started_on": "2026-03-01", "consent": true, "name": "李职工", "id_number": tests::members::id_number("19950505", 1)});
    let applied = first.send(Req::post("/v1/me/applications").bearer(&worker).json(join)).await;
    assert_eq!(applied.status, 201, "{}", applied.text());
    // A question to the union's legal aid with a contract attached: the file is sealed too.
    first.create_kind(&staff, legal_kind()).await;
    let contract = pdf(150_000);
    let asked = Form::default()
        .text("case", &case_part("legal-aid", json!({"question": "单位拖欠工资怎么办？"})))
        .file("contract", "劳动合同.pdf", "application/pdf", contract.clone());
    let asked = first.send(asked.request("/v1/me/cases").bearer(&members[2])).await;
    assert_eq!(asked.status, 201, "{}", asked.text());
    let asked = asked.json();
    let file = format!(
        "/v1/me/cases/{}/attachments/{}",
        asked["id"].as_str().unwrap(),
        asked["attachments"][0]["id"].as_str().unwrap()
    );
    // A sign-in code sent under the old key, kept in Redis (the in-process store of the embedded
    // default ends with the process, and the code with it).
    let early_code = if backend.is_postgres() { Some(first.fresh_code("13900009999").await) } else { None };
    let before = stale(&first).await;
    assert!(before >= 62, "30 members, 30 roster rows, a card and an application sealed under k1: {before}");

    // Every instance learns the new key, with the old one to read by; then the rotation runs.
    let env = first.stop().await;
    let both = Options::default()
        .var("SGH_ENCRYPTION_KEY_ID", "k2")
        .var("SGH_ENCRYPTION_KEY", NEW_KEY)
        .var("SGH_ENCRYPTION_PREVIOUS_KEY_ID", "k1")
        .var("SGH_ENCRYPTION_PREVIOUS_KEY", api::config::DEV_ENCRYPTION_KEY);
    let app = TestApp::start(env.share(), both.clone()).await;
    if let Some(code) = early_code {
        let signed = app.send(Req::post("/v1/auth/token").json(json!({"phone": "13900009999", "code": code}))).await;
        assert_eq!(signed.status, 200, "a code sent before the rotation still signs in: {}", signed.text());
    }
    // SQLite has one writer: on the embedded default the rotation runs with the server stopped.
    let online = backend.is_postgres();
    let (app, config) = if online {
        let config = app.config.clone();
        (Some(app), config)
    } else {
        let config = app.config.clone();
        app.stop().await;
        (None, config)
    };
    let interrupted = rotate(&config, 7, Some(2), false).await.unwrap();
    assert_eq!((interrupted.rewritten, interrupted.finished), (14, false));

    // The rest, while members sign in and claim through the service (on PostgreSQL).
    let traffic = async {
        let Some(app) = &app else { return };
        for i in 0..5 {
            app.member_login(&format!("1380000{i:04}")).await;
        }
        let claimed =
            app.send_all(members[1..21].iter().map(|t| app.claim_req(t, &campaign, &gift, "k")).collect()).await;
        assert!(claimed.iter().all(|r| r.status == 201), "{:?}", claimed.iter().map(|r| r.status).collect::<Vec<_>>());
    };
    let (done, ()) = futures_util::future::join(rotate(&config, 7, None, false), traffic).await;
    let done = done.unwrap();
    // Nothing left once the run went through every table, unless a row changed while being read
    // (only with traffic): that one is left for the next run, which finishes it.
    assert_eq!(done.finished, done.remaining == 0, "{done:?}");
    assert!(done.finished || (online && done.changed_meanwhile > 0), "{done:?}");
    assert_eq!(done.files_resealed, 1, "the contract is sealed again under k2: {done:?}");
    let again = rotate(&config, 7, None, false).await.unwrap();
    assert!(again.finished && again.remaining == 0, "{again:?}");
    let app = match app {
        Some(app) => app,
        None => TestApp::start(env.share(), both).await,
    };
    assert_eq!(stale(&app).await, 0, "nothing is left under k1");
    let env = app.stop().await;

    // The new key alone reads everything: profiles, the roster's matches, the card's code.
    let app = TestApp::start(
        env.share(),
        Options::default().var("SGH_ENCRYPTION_KEY_ID", "k2").var("SGH_ENCRYPTION_KEY", NEW_KEY),
    )
    .await;
    let me = app.send(Req::get("/v1/me").bearer(&members[0])).await;
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["status"], "activated", "{}", me.text());
    let code = app.card_code(&members[0]).await;
    let verify =
        Req::post("/v1/partner/member-codes/verify").json(json!({"store_id": merchant.stores[0], "member_code": code}));
    let verified = app.send(merchant.sign(&app, verify)).await;
    assert_eq!(verified.status, 200, "{}", verified.text());
    assert!(verified.json()["masked_name"].as_str().is_some_and(|n| n.ends_with('*')), "{}", verified.text());
    let claim = app.send(app.claim_req(&members[25], &campaign, &gift, "k")).await;
    assert_eq!(claim.status, 201, "{}", claim.text());
    let me = app.send(Req::get("/v1/me").bearer(mailer)).await.json();
    assert_eq!(me["email"], "li@example.cn", "the confirmed address opens under the new key: {me}");
    let applications = app.send(Req::get("/v1/admin/applications").bearer(&app.login("t.admin").await)).await;
    assert_eq!(applications.status, 200, "{}", applications.text());
    let applicant = &applications.json()["items"][0]["applicant"];
    assert_eq!(applicant["name"], "李**", "the applicant's name opens under the new key: {applicant}");
    let fetched = app.send(Req::get(&file).bearer(&members[2])).await;
    assert_eq!(fetched.status, 200, "the contract opens under the new key alone: {}", fetched.text());
    assert!(fetched.body == contract, "the contract comes back as it was sent");
    drop(env);
}

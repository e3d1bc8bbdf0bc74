//! `sgh rotate-keys` while the service runs: an interrupted run is continued by the next, members
//! keep signing in and claiming meanwhile, and afterwards everything reads under the new key alone.

use api::rotation::rotate;
use domain::admin::Role;
use serde_json::json;
use tests::{on_both_backends, Backend, Options, Req, TestApp};

on_both_backends!(personal_data_is_re_encrypted_online_and_resumably);

const NEW_KEY: &str = "c2doLXRlc3Qtcm90YXRlZC1maWVsZC1rZXktMzJieXQ=";

/// Rows with a sealed value not under `k2`, in every table that seals.
const STALE: [&str; 3] = [
    "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM members
     WHERE phone_cipher NOT LIKE 'k2:%' OR name_cipher NOT LIKE 'k2:%' OR id_cipher NOT LIKE 'k2:%'",
    "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM roster WHERE name_cipher NOT LIKE 'k2:%' OR id_cipher NOT LIKE 'k2:%'",
    "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM cards WHERE secret_cipher NOT LIKE 'k2:%'",
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
    let before = stale(&first).await;
    assert!(before >= 61, "30 members, 30 roster rows and a card sealed under k1: {before}");

    // Every instance learns the new key, with the old one to read by; then the rotation runs.
    let env = first.stop().await;
    let both = Options::default()
        .var("SGH_ENCRYPTION_KEY_ID", "k2")
        .var("SGH_ENCRYPTION_KEY", NEW_KEY)
        .var("SGH_ENCRYPTION_PREVIOUS_KEY_ID", "k1")
        .var("SGH_ENCRYPTION_PREVIOUS_KEY", api::config::DEV_ENCRYPTION_KEY);
    let app = TestApp::start(env.share(), both.clone()).await;
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
    drop(env);
}

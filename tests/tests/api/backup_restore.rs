//! The backup runbook: `pg_dump` taken while claims are written, restored into a fresh database,
//! a server started on it with an empty Redis: personal data decrypts, the gate rebuilds from the
//! database, and stock and limits are exact.

use domain::admin::Role;
use tests::{Backend, Options, Req, Services, TestApp, TestEnv};

async fn claim(app: &TestApp, tokens: &[String], campaign: &str, gift: &str) -> Vec<tests::Reply> {
    app.send_all(tokens.iter().map(|t| app.claim_req(t, campaign, gift, "k")).collect()).await
}

#[actix_web::test]
async fn a_dump_taken_during_claims_restores_to_an_exact_service() {
    if !Services::available_or_skip() {
        return;
    }
    let app = TestApp::spawn(Backend::PostgresRedis).await;
    let op = app.staff(Role::Operator).await;
    let (campaign, gift) = app.live_campaign(&op, 50, 1, 1).await;
    let members = app.activated_members(120, "SZ-700").await;
    assert!(claim(&app, &members[..10], &campaign, &gift).await.iter().all(|r| r.status == 201));

    // The dump runs while twenty more claims are written.
    let dump = std::env::temp_dir().join(format!("sgh-dump-{}.sql", uuid::Uuid::new_v4().simple()));
    let url = app.env.database_url();
    let dumping = std::process::Command::new("pg_dump")
        .args(["--no-owner", "--dbname", &url, "--file"])
        .arg(&dump)
        .spawn()
        .expect("pg_dump runs");
    let during = claim(&app, &members[10..30], &campaign, &gift).await;
    let dumped = tokio::task::spawn_blocking(move || dumping.wait_with_output()).await.unwrap().unwrap();
    assert!(dumped.status.success(), "pg_dump failed");
    assert!(during.iter().all(|r| r.status == 201));

    // A fresh database from the dump, a fresh Redis prefix (the gate starts empty).
    let restored = TestEnv::create(Backend::PostgresRedis);
    let loaded = std::process::Command::new("psql")
        .args(["--quiet", "--set", "ON_ERROR_STOP=1", "--dbname", &restored.database_url(), "--file"])
        .arg(&dump)
        .output()
        .expect("psql runs");
    assert!(loaded.status.success(), "restore failed: {}", String::from_utf8_lossy(&loaded.stderr));
    let _ = std::fs::remove_file(&dump);
    let back = TestApp::start(restored.share(), Options::default()).await;
    let kept = back.count("SELECT count(*) AS n FROM claims").await;
    assert!((10..=30).contains(&kept), "the dump holds a consistent snapshot: {kept} claims");

    // Personal data decrypts under the same keys.
    let me = back.send(Req::get("/v1/me").bearer(&members[0])).await;
    assert_eq!((me.status, me.json()["status"].as_str()), (200, Some("activated")), "{}", me.text());
    // The gate rebuilds from the database: whoever claimed before the dump is at their limit, and
    // exactly the rest of the stock is claimable.
    let again = claim(&back, &members[..30], &campaign, &gift).await;
    let regranted = again.iter().filter(|r| r.status == 201).count() as i64;
    assert_eq!(regranted, 30 - kept, "those whose claims the dump missed may claim; nobody twice");
    let rest = claim(&back, &members[30..], &campaign, &gift).await;
    let granted = rest.iter().filter(|r| r.status == 201).count() as i64;
    assert_eq!(kept + regranted + granted, 50, "the whole stock and not one more");
    assert_eq!(back.count("SELECT count(*) AS n FROM claims").await, 50);
    assert_eq!(back.count("SELECT count(DISTINCT slot) AS n FROM claims WHERE slot BETWEEN 1 AND 50").await, 50);
    assert_eq!(back.count("SELECT count(DISTINCT member_id) AS n FROM claims").await, 50);
    drop(restored);
}

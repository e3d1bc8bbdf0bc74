//! Jobs leave through the outbox: mail delivered over SMTP, retried, not lost across restarts;
//! dead jobs listed and re-queued by staff.

use domain::admin::Role;
use domain::jobs::{JobState, JobStore};
use infra::db::jobs::DbJobs;
use serde_json::json;
use std::time::Duration;
use tests::{on_both_backends, Backend, Options, Req, SmtpServer, TestApp};

/// Mail jobs by state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct OutboxCounts {
    pending: i64,
    sent: i64,
    dead: i64,
}

async fn counts(app: &TestApp) -> OutboxCounts {
    let mut c = OutboxCounts::default();
    for (kind, state, n) in DbJobs(app.database().await).counts().await.unwrap() {
        assert_eq!(kind, "mail");
        match state {
            JobState::Pending => c.pending = n,
            JobState::Done => c.sent = n,
            JobState::Dead => c.dead = n,
        }
    }
    c
}

async fn wait_for_counts(app: &TestApp, want: impl Fn(&OutboxCounts) -> bool) -> OutboxCounts {
    for _ in 0..200 {
        let c = counts(app).await;
        if want(&c) {
            return c;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    counts(app).await
}

fn smtp(port: u16) -> Options {
    Options::default().var("SGH_SMTP_URL", SmtpServer::url(port)).var("SGH_OUTBOX_RETRY_BASE_MS", 100)
}

on_both_backends!(welcome_mail_is_delivered_over_smtp);

async fn welcome_mail_is_delivered_over_smtp(backend: Backend) {
    let server = SmtpServer::start(0);
    let app = TestApp::spawn_with(backend, smtp(server.port)).await;
    app.create_admin("mail.user", Role::Operator, Some("mail.user@union.example.cn")).await;

    let got = server.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, ["mail.user@union.example.cn"]);
    assert!(got[0].data.contains("Subject:"), "{}", got[0].data);
    assert!(got[0].data.contains("mail.user"), "the body names the account");
    assert!(!got[0].data.contains("a long test password"), "never the password");
    let c = wait_for_counts(&app, |c| c.sent == 1).await;
    assert_eq!(c, OutboxCounts { pending: 0, sent: 1, dead: 0 });
}

on_both_backends!(mail_survives_an_smtp_outage_and_a_worker_restart);

async fn mail_survives_an_smtp_outage_and_a_worker_restart(backend: Backend) {
    // The mail server is down while the first instance runs.
    let port = SmtpServer::unused_port();
    let app = TestApp::spawn_with(backend, smtp(port)).await;
    app.create_admin("mail.later", Role::Operator, Some("later@union.example.cn")).await;
    actix_web::rt::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(counts(&app).await, OutboxCounts { pending: 1, sent: 0, dead: 0 }, "failed attempts keep it pending");

    // The instance goes away; the mail server comes up; a new instance takes over the same database.
    let env = app.stop().await;
    let server = SmtpServer::start(port);
    let app = TestApp::start(env, smtp(port)).await;

    let got = server.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1, "delivered exactly once after the restart");
    assert_eq!(got[0].to, ["later@union.example.cn"]);
    // Named after its job, so the retries of one mail are one message.
    let id = got[0].data.lines().find(|l| l.to_ascii_lowercase().starts_with("message-id:")).expect("a Message-ID");
    assert!(id.contains("<sgh-job-") && id.ends_with("@sgh.localhost>"), "{id}");
    let c = wait_for_counts(&app, |c| c.sent == 1).await;
    assert_eq!(c, OutboxCounts { pending: 0, sent: 1, dead: 0 });
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.received().len(), 1, "and not again");
}

on_both_backends!(permanently_refused_mail_is_buried_not_retried);

async fn permanently_refused_mail_is_buried_not_retried(backend: Backend) {
    let server = SmtpServer::start(0);
    let app = TestApp::spawn_with(backend, smtp(server.port)).await;
    app.create_admin("mail.bad", Role::Operator, Some("reject@union.example.cn")).await;
    let c = wait_for_counts(&app, |c| c.dead == 1).await;
    assert_eq!(c, OutboxCounts { pending: 0, sent: 0, dead: 1 });
    assert!(server.received().is_empty());
}

on_both_backends!(without_smtp_mail_is_written_as_eml_files);

async fn without_smtp_mail_is_written_as_eml_files(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_admin("mail.file", Role::Operator, Some("file@union.example.cn")).await;
    wait_for_counts(&app, |c| c.sent == 1).await;
    let dir = app.config.jobs.mail_dir.clone();
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].extension().and_then(|e| e.to_str()), Some("eml"));
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(text.contains("To: file@union.example.cn"), "{text}");
}

on_both_backends!(dead_jobs_are_listed_and_requeued_by_staff);

async fn dead_jobs_are_listed_and_requeued_by_staff(backend: Backend) {
    let server = SmtpServer::start(0);
    let app = TestApp::spawn_with(backend, smtp(server.port)).await;
    let op = app.staff(Role::Operator).await;
    let auditor = app.staff(Role::Auditor).await;
    app.create_admin("mail.bad", Role::Operator, Some("reject@union.example.cn")).await;
    wait_for_counts(&app, |c| c.dead == 1).await;

    let dead = app.send(Req::get("/v1/admin/jobs?state=dead").bearer(&auditor)).await;
    assert_eq!(dead.status, 200, "{}", dead.text());
    let items = dead.json()["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 1, "{items:?}");
    let job = &items[0];
    assert_eq!(
        (job["kind"].as_str(), job["state"].as_str(), job["attempts"].as_u64()),
        (Some("mail"), Some("dead"), Some(1))
    );
    assert!(job["last_error"].as_str().unwrap().contains("550"), "{job}");
    assert!(job.get("payload").is_none(), "payloads carry addresses: never shown");
    let id = job["id"].as_i64().unwrap();
    let metrics = app.send(Req::get("/metrics")).await.text();
    assert!(metrics.contains(r#"jobs_finished_total{kind="mail",outcome="dead"}"#), "{metrics}");
    assert!(metrics.contains(r#"jobs{kind="mail",state="dead"}"#), "{metrics}");
    let pending = app.send(Req::get("/v1/admin/jobs?state=pending").bearer(&op)).await.json();
    assert_eq!(pending["items"], json!([]));

    // Auditors read but never write; bad input is a 4xx.
    app.send(Req::post(&format!("/v1/admin/jobs/{id}/retry")).bearer(&auditor)).await.problem(403, "auth.forbidden");
    app.send(Req::get("/v1/admin/jobs?state=sent").bearer(&op)).await.problem(400, "request.invalid_state");
    app.send(Req::post("/v1/admin/jobs/999999/retry").bearer(&op)).await.problem(404, "job.not_found");
    assert_eq!(app.send(Req::post("/v1/admin/jobs/x/retry").bearer(&op)).await.status, 400);

    let retried = app.send(Req::post(&format!("/v1/admin/jobs/{id}/retry")).bearer(&op)).await;
    assert_eq!(retried.status, 200, "{}", retried.text());
    assert_eq!((retried.json()["state"].as_str(), retried.json()["attempts"].as_u64()), (Some("pending"), Some(0)));
    let audit = app.send(Req::get("/v1/admin/audit").bearer(&op)).await.json();
    let entry = audit["items"].as_array().unwrap().iter().find(|e| e["action"] == "job.retry").cloned().unwrap();
    assert_eq!(entry["target"], id.to_string());
    assert_eq!(entry["before"]["state"], "dead");

    // The server still refuses the address: the re-queued job is tried once more and dies again.
    let c = wait_for_counts(&app, |c| c.dead == 1 && c.pending == 0).await;
    assert_eq!(c, OutboxCounts { pending: 0, sent: 0, dead: 1 });
    let again = app.send(Req::get("/v1/admin/jobs?state=dead&limit=1").bearer(&op)).await.json();
    assert_eq!(again["items"][0]["attempts"], 1);

    // Only a dead job is re-queued: a delivered one stays delivered.
    app.create_admin("mail.good", Role::Operator, Some("good@union.example.cn")).await;
    wait_for_counts(&app, |c| c.sent == 1).await;
    let done = app.send(Req::get("/v1/admin/jobs?state=done").bearer(&op)).await.json();
    let done_id = done["items"][0]["id"].as_i64().unwrap();
    let refused = app.send(Req::post(&format!("/v1/admin/jobs/{done_id}/retry")).bearer(&op)).await;
    assert_eq!(refused.problem(409, "job.not_dead")["state"], "done");
    assert_eq!(server.received().len(), 1, "the delivered mail is not sent again");
}

on_both_backends!(mail_queued_by_an_instance_of_the_previous_build_is_delivered);

/// During a rolling upgrade, instances of the previous build still write mail into `outbox`.
async fn mail_queued_by_an_instance_of_the_previous_build_is_delivered(backend: Backend) {
    let server = SmtpServer::start(0);
    let app = TestApp::spawn_with(backend, smtp(server.port)).await;
    let db = app.database().await;
    db.run(|conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query(
            "INSERT INTO outbox (recipient, subject, body, status, attempts, next_attempt_at, created_at)
             VALUES ('old.build@union.example.cn', 'old', 'body', 'pending', 0, '2026-12-01 00:00:00', '2026-12-01 00:00:00')",
        )
        .execute(conn)
        .map_err(anyhow::Error::from)
    })
    .await
    .unwrap();
    let got = server.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].to, ["old.build@union.example.cn"]);
    assert_eq!(app.count("SELECT count(*) AS n FROM outbox").await, 0, "nothing is left behind in the old table");
}

on_both_backends!(done_jobs_are_purged_after_their_keeping_and_dead_ones_stay);

async fn done_jobs_are_purged_after_their_keeping_and_dead_ones_stay(backend: Backend) {
    let server = SmtpServer::start(0);
    let app = TestApp::spawn_with(backend, smtp(server.port)).await;
    app.create_admin("mail.ok", Role::Operator, Some("ok@union.example.cn")).await;
    app.create_admin("mail.bad", Role::Operator, Some("reject@union.example.cn")).await;
    wait_for_counts(&app, |c| c.sent == 1 && c.dead == 1).await;
    let store = DbJobs(app.database().await);
    let now = domain::shared::Clock::now(&app.clock);
    assert_eq!(store.purge_done(now - chrono::Duration::hours(1)).await.unwrap(), 0, "finished after the cut");
    assert_eq!(store.purge_done(now + chrono::Duration::hours(1)).await.unwrap(), 1);
    assert_eq!(counts(&app).await, OutboxCounts { pending: 0, sent: 0, dead: 1 }, "dead jobs stay for staff");
}

//! Mail leaves through the outbox: delivered over SMTP, retried, and not lost across restarts.

use domain::admin::Role;
use infra::db::outbox::{DbOutbox, OutboxCounts};
use std::time::Duration;
use tests::{on_both_backends, Backend, Options, SmtpServer, TestApp};

async fn counts(app: &TestApp) -> OutboxCounts {
    DbOutbox(app.database().await).counts().await.unwrap()
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
    let dir = app.config.mail_dir.clone();
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].extension().and_then(|e| e.to_str()), Some("eml"));
    let text = std::fs::read_to_string(&files[0]).unwrap();
    assert!(text.contains("To: file@union.example.cn"), "{text}");
}

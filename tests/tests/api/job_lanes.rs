//! Jobs run in lanes: a merchant whose webhook endpoint hangs delays only its own deliveries,
//! never members' mail or other merchants' events; and each job is leased just before its own
//! attempt, so two instances never send one delivery twice however slow the receiver.

use domain::admin::Role;
use serde_json::json;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use tests::partners::Partner;
use tests::receiver::WebhookReceiver;
use tests::{on_both_backends, Backend, Options, Req, TestApp};

async fn set_endpoint(app: &TestApp, partner: &Partner, url: &str) {
    let put = Req::put("/v1/partner/webhook-endpoint").json(json!({"url": url}));
    assert_eq!(app.send(partner.sign(app, put)).await.status, 200);
}

fn mails(app: &TestApp) -> usize {
    std::fs::read_dir(&app.config.jobs.mail_dir).map_or(0, |d| d.count())
}

on_both_backends!(a_hanging_endpoint_holds_up_neither_mail_nor_other_merchants);

async fn a_hanging_endpoint_holds_up_neither_mail_nor_other_merchants(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let (slow, quick) = (
        app.partner(&staff, 0, json!({"daily_limit": null})).await,
        app.partner(&staff, 1, json!({"daily_limit": null})).await,
    );
    let member = app.activated_members(1, "SZ001").await.remove(0);
    let hanging = WebhookReceiver::start_slow(&[], Duration::from_secs(8));
    let answering = WebhookReceiver::start(&[]);
    set_endpoint(&app, &slow, &hanging.url).await;
    set_endpoint(&app, &quick, &answering.url).await;
    for i in 0..4 {
        app.sell_by_code(&slow, &member, &format!("slow-{i}")).await;
    }
    assert!(!hanging.wait_for(1).await.is_empty(), "the slow merchant's first delivery is under way");

    let started = Instant::now();
    app.sell_by_code(&quick, &member, "quick-1").await;
    let before = mails(&app);
    let token = app.token_for_member_of(&member);
    let patch = app.send(Req::patch("/v1/me").bearer(&token).json(json!({"email": "lane@example.cn"}))).await;
    assert_eq!(patch.status, 200, "{}", patch.text());
    assert_eq!(answering.wait_for(1).await.len(), 1, "the other merchant's event arrived");
    for _ in 0..100 {
        if mails(&app) > before {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(mails(&app) > before, "the member's mail was sent");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "neither waited for the hanging endpoint: {:?}",
        started.elapsed()
    );
    // The slow merchant's own deliveries are capped: two at a time reach it.
    assert!(hanging.received().len() <= 2, "{}", hanging.received().len());
}

on_both_backends!(two_instances_send_each_delivery_once_to_a_slow_receiver);

/// The clock runs 40 times faster than the wall: a receiver taking a second takes 40 s of the
/// leases' time. A lease taken for a batch would run out while its later jobs wait, and the other
/// instance would lease and send them again.
async fn two_instances_send_each_delivery_once_to_a_slow_receiver(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let partner = app.partner(&staff, 0, json!({"daily_limit": null})).await;
    let member = app.activated_members(1, "SZ001").await.remove(0);
    let receiver = WebhookReceiver::start_slow(&[], Duration::from_secs(1));
    set_endpoint(&app, &partner, &receiver.url).await;
    let other = TestApp::start(app.env.share(), Options::default()).await;
    // Both servers' clocks run fast together.
    let clocks = [app.clock.clone(), other.clock.clone()];
    let ticking = actix_web::rt::spawn(async move {
        loop {
            actix_web::rt::time::sleep(Duration::from_millis(250)).await;
            for clock in &clocks {
                clock.advance(chrono::Duration::seconds(10));
            }
        }
    });
    for i in 0..6 {
        app.sell_by_code(&partner, &member, &format!("s-{i}")).await;
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while receiver.received().len() < 6 && Instant::now() < deadline {
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    // Time for a second sending of any of them to arrive.
    actix_web::rt::time::sleep(Duration::from_secs(3)).await;
    ticking.abort();
    let mut times: HashMap<String, usize> = HashMap::new();
    for r in receiver.received() {
        *times.entry(r.id).or_default() += 1;
    }
    assert_eq!(times.len(), 6, "{times:?}");
    assert!(times.values().all(|n| *n == 1), "a delivery sent twice: {times:?}");
    drop(other);
}

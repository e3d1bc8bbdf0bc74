//! The catalogue as members and tills read it is kept in memory for a moment: a change made
//! through this instance shows at once, one made on another instance (here: written straight
//! through the repository) within the freshness window, and a paused offer is never used even
//! while a stale copy still lists it.

use chrono::Duration;
use domain::admin::{Actor, NewAuditEntry, Role};
use domain::merchants::cached::{DIRECTORY_FRESH_FOR_MS, FRESH_FOR_MS};
use domain::merchants::ports::Catalogue;
use domain::merchants::StoreId;
use domain::merchants::{geo::GeoPoint, Mchid, Merchant, MerchantId, MerchantStatus, OfferId, OfferStatus, Store};
use serde_json::{json, Value};
use tests::partners::Partner;
use tests::{on_both_backends, Backend, Req, TestApp};

on_both_backends!(
    a_pause_elsewhere_shows_within_a_second_and_is_never_used,
    the_search_directory_follows_changes_here_at_once_and_elsewhere_within_its_window
);

fn audit(what: &'static str, id: String) -> NewAuditEntry {
    NewAuditEntry::by(&Actor::command_line("other-instance"), chrono::Utc::now(), what, id)
}

async fn verify(app: &TestApp, partner: &Partner, member: &str) -> Value {
    let body = json!({"store_id": partner.stores[0], "member_code": app.member_code(member).await});
    let reply = app.send(partner.sign(app, Req::post("/v1/partner/member-codes/verify").json(body))).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

async fn a_pause_elsewhere_shows_within_a_second_and_is_never_used(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let partner = app.partner(&staff, 0, json!({"daily_limit": null})).await;
    let member = app.activated_members(1, "SZ001").await.remove(0);
    assert_eq!(verify(&app, &partner, &member).await["offers"].as_array().unwrap().len(), 1);

    // Another instance pauses the offer: this one may still list it for a moment…
    let offer: OfferId = partner.offer.parse().unwrap();
    let paused = app
        .catalogue()
        .await
        .set_offer_status(
            offer,
            OfferStatus::Published,
            OfferStatus::Paused,
            audit("offer.pause", partner.offer.clone()),
        )
        .await
        .unwrap();
    assert!(paused);
    let listed = verify(&app, &partner, &member).await;
    assert_eq!(listed["offers"].as_array().unwrap().len(), 1, "kept for the window: {listed}");
    // …but a sale checks the offer again where it is written.
    let sale = json!({
        "store_id": partner.stores[0], "member_code": app.member_code(&member).await, "offer_id": partner.offer,
        "original_fen": 12_800, "till_ref": "POS-1", "channel": "pos"
    });
    let refused = partner.sign(&app, Req::post("/v1/partner/sales").header("idempotency-key", "stale-1").json(sale));
    app.send(refused).await.problem(409, "offer.not_applicable");
    app.clock.advance(Duration::milliseconds(FRESH_FOR_MS));
    assert_eq!(verify(&app, &partner, &member).await["offers"].as_array().unwrap().len(), 0);

    // Published again through this instance: listed at once.
    app.set_offer_status(&staff, &partner.merchant_id, &partner.offer, "published").await;
    assert_eq!(verify(&app, &partner, &member).await["offers"].as_array().unwrap().len(), 1);
}

async fn search(app: &TestApp, member: &str) -> Vec<String> {
    let reply = app.send(Req::get("/v1/merchants?near=31.3107,120.6237&radius_m=1000").bearer(member)).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap().to_owned()).collect()
}

async fn the_search_directory_follows_changes_here_at_once_and_elsewhere_within_its_window(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let member = app.activated_members(1, "SZ001").await.remove(0);
    assert_eq!(search(&app, &member).await, Vec::<String>::new());
    // Made through this instance: found at once.
    let partner = app.partner(&staff, 0, json!({})).await;
    assert_eq!(search(&app, &member).await, [partner.merchant_id.as_str()]);

    // Made on another instance: found once the directory's window has passed.
    let catalogue = app.catalogue().await;
    let now = chrono::Utc::now();
    let merchant = Merchant {
        id: MerchantId::new(),
        mchid: Mchid::random(),
        name: "得月楼".into(),
        category: "餐饮".into(),
        contact: "李经理".into(),
        settlement_email: domain::shared::EmailAddress::parse("finance@deyuelou.example").unwrap(),
        status: MerchantStatus::Active,
        created_at: now,
        kind: domain::merchants::PartnerKind::Merchant,
        bank_merchant_id: None,
    };
    assert!(catalogue.insert_merchant(&merchant, audit("merchant.create", merchant.id.to_string())).await.unwrap());
    let store = Store {
        id: StoreId::new(),
        merchant: merchant.id,
        name: "太监弄店".into(),
        address: "观前街太监弄".into(),
        district: "姑苏区".into(),
        location: GeoPoint::from_degrees(31.3110, 120.6240).unwrap(),
        hours: "10:00-21:00".into(),
    };
    catalogue.insert_store(&store, audit("store.create", store.id.to_string())).await.unwrap();
    assert_eq!(search(&app, &member).await, [partner.merchant_id.as_str()], "kept for the window");
    app.clock.advance(Duration::milliseconds(DIRECTORY_FRESH_FOR_MS));
    assert_eq!(search(&app, &member).await, [partner.merchant_id.clone(), merchant.id.to_string()]);

    // Suspended through this instance: gone at once.
    let status = Req::put(&format!("/v1/admin/merchants/{}/status", merchant.id))
        .bearer(&staff)
        .json(json!({"status": "suspended"}));
    assert_eq!(app.send(status).await.status, 200);
    assert_eq!(search(&app, &member).await, [partner.merchant_id.as_str()]);
}

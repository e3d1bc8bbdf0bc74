//! What members see of partner merchants: nearby search checked against brute force, filters,
//! a merchant's page with the offers the member may use, and bad input.

use domain::admin::Role;
use serde_json::{json, Value};
use tests::partners::{brute_force_nearby, seed_catalogue, SUZHOU};
use tests::{on_both_backends, Backend, Req, TestApp};

on_both_backends!(
    nearby_search_finds_exactly_the_merchants_in_the_radius_nearest_first,
    a_merchant_page_shows_the_offers_the_member_may_use
);

/// Percent-encodes a query value.
fn enc(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// Every page of a search, followed by its cursors.
async fn all_pages(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/merchants?{query}&limit=7&cursor={c}"),
            None => format!("/v1/merchants?{query}&limit=7"),
        };
        let reply = app.send(Req::get(&path).bearer(token)).await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text());
        let page = reply.json();
        items.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
    }
}

async fn nearby_search_finds_exactly_the_merchants_in_the_radius_nearest_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let stores = seed_catalogue(&app.catalogue().await, 60, 4, 7).await.unwrap();
    // Seeded past the server, as another instance would: searched once the directory's window is over.
    app.clock.advance(chrono::Duration::milliseconds(domain::merchants::cached::DIRECTORY_FRESH_FOR_MS));
    let member = app.activated_members(1, "SZ001").await.remove(0);

    for (i, (_, lat, lng)) in SUZHOU.iter().enumerate().take(6) {
        let (lat, lng) = (lat + 0.01 * i as f64, lng - 0.005 * i as f64);
        for radius in [800, 3_000, 12_000] {
            let found = all_pages(&app, &member, &format!("near={lat},{lng}&radius_m={radius}")).await;
            let expected = brute_force_nearby(&stores, lat, lng, f64::from(radius));
            let got: Vec<&str> = found.iter().map(|m| m["id"].as_str().unwrap()).collect();
            let want: Vec<&str> = expected.iter().map(|(m, _)| m.as_str()).collect();
            assert_eq!(got, want, "near {lat},{lng} within {radius} m");
            for (m, (_, d)) in found.iter().zip(&expected) {
                assert!((m["distance_m"].as_f64().unwrap() - d).abs() <= 1.0, "{m} vs {d}");
                let s = &m["nearest_store"];
                assert!(stores
                    .iter()
                    .any(|x| x.store == s["id"].as_str().unwrap() && x.merchant == m["id"].as_str().unwrap()));
            }
        }
    }

    // Filters narrow the same search.
    let (_, lat, lng) = SUZHOU[0];
    let all = brute_force_nearby(&stores, lat, lng, 20_000.0);
    let cinemas = all_pages(&app, &member, &format!("near={lat},{lng}&radius_m=20000&category={}", enc("影院"))).await;
    let want: Vec<&String> = all
        .iter()
        .map(|(m, _)| m)
        .filter(|m| stores.iter().any(|s| &s.merchant == *m && s.category == "影院"))
        .collect();
    assert_eq!(cinemas.iter().map(|m| m["id"].as_str().unwrap()).collect::<Vec<_>>(), want);
    assert!(cinemas.iter().all(|m| m["category"] == "影院"));
    let in_district =
        all_pages(&app, &member, &format!("near={lat},{lng}&radius_m=20000&district={}", enc("工业园区"))).await;
    assert!(!in_district.is_empty());
    assert!(in_district.iter().all(|m| m["nearest_store"]["district"] == "工业园区"));

    // A suspended merchant disappears from the search.
    let staff = app.staff(Role::Admin).await;
    let gone = all[0].0.clone();
    let status =
        Req::put(&format!("/v1/admin/merchants/{gone}/status")).bearer(&staff).json(json!({"status": "suspended"}));
    assert_eq!(app.send(status).await.status, 200);
    let after = all_pages(&app, &member, &format!("near={lat},{lng}&radius_m=20000")).await;
    assert_eq!(after.len(), all.len() - 1);
    assert!(after.iter().all(|m| m["id"] != gone.as_str()));

    for bad in ["near=91,120", "near=abc", "near=31.3,120.6&radius_m=0", "near=31.3,120.6&radius_m=50001"] {
        let reply = app.send(Req::get(&format!("/v1/merchants?{bad}")).bearer(&member)).await;
        assert!(matches!(reply.status, 400 | 422), "{bad}: {}", reply.text());
    }
    app.send(Req::get("/v1/merchants?near=31.3,120.6&cursor=nonsense").bearer(&member))
        .await
        .problem(400, "request.invalid_cursor");
}

async fn a_merchant_page_shows_the_offers_the_member_may_use(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let partner = app.partner(&staff, 0, json!({})).await;
    // A draft, and an offer for cardholders only: neither is shown to an activated member.
    let merchant = &partner.merchant_id;
    let draft = app.send(Req::post(&format!("/v1/admin/merchants/{merchant}/offers")).bearer(&staff).json(json!({
        "title": "草稿", "kind": "percent_off", "percent_bps": 1500, "valid_from": "2026-01-01", "valid_until": "2030-12-31",
        "audience": "activated"
    }))).await;
    assert_eq!(draft.status, 201, "{}", draft.text());
    assert_eq!(draft.json()["status"], "draft");
    let cards = app.send(Req::post(&format!("/v1/admin/merchants/{merchant}/offers")).bearer(&staff).json(json!({
        "title": "持卡会员 9 折", "kind": "percent_off", "percent_bps": 1000, "valid_from": "2026-01-01", "valid_until": "2030-12-31",
        "audience": "cardholders"
    }))).await.json();
    app.set_offer_status(&staff, merchant, cards["id"].as_str().unwrap(), "published").await;

    let activated = app.activated_members(1, "SZ001").await.remove(0);
    let page = app.send(Req::get(&format!("/v1/merchants/{merchant}")).bearer(&activated)).await.json();
    assert_eq!(page["stores"].as_array().unwrap().len(), 2);
    let offers: Vec<&str> = page["offers"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(offers, [partner.offer.as_str()]);
    let registered = app.consenting_member("13900000777").await;
    let page = app.send(Req::get(&format!("/v1/merchants/{merchant}")).bearer(&registered)).await.json();
    assert_eq!(page["offers"].as_array().unwrap().len(), 0, "not activated: no offers");
    app.send(Req::get("/v1/merchants/0193a2c4-8b00-7d11-8e21-6a7b8c9d0e1f").bearer(&activated))
        .await
        .problem(404, "merchant.not_found");

    // What staff are told when an offer or store is wrong.
    let offers = format!("/v1/admin/merchants/{merchant}/offers");
    for (body, field) in [
        (
            json!({"title": "x", "kind": "percent_off", "percent_bps": 0, "valid_from": "2026-01-01", "valid_until": "2026-02-01", "audience": "activated"}),
            "percent_bps",
        ),
        (
            json!({"title": "x", "kind": "spend_save", "threshold_fen": 100, "amount_fen": 200, "valid_from": "2026-01-01", "valid_until": "2026-02-01", "audience": "activated"}),
            "amount_fen",
        ),
        (
            json!({"title": "x", "kind": "amount_off", "amount_fen": 100, "valid_from": "2026-03-01", "valid_until": "2026-02-01", "audience": "activated"}),
            "valid_until",
        ),
        (
            json!({"title": "x", "kind": "amount_off", "amount_fen": 100, "valid_from": "2026-01-01", "valid_until": "2026-02-01", "audience": "everyone"}),
            "audience",
        ),
        (
            json!({"title": "x", "kind": "amount_off", "amount_fen": 100, "valid_from": "2026-01-01", "valid_until": "2026-02-01", "audience": "activated", "weekdays": [0]}),
            "weekdays",
        ),
        (
            json!({"title": "x", "kind": "amount_off", "amount_fen": 100, "valid_from": "2026-01-01", "valid_until": "2026-02-01", "audience": "activated", "daily_limit": 0}),
            "daily_limit",
        ),
        (
            json!({"title": "x", "kind": "amount_off", "amount_fen": 100, "valid_from": "2026-01-01", "valid_until": "2026-02-01", "audience": "activated", "store_ids": ["0193a2c4-8b00-7d11-8e21-6a7b8c9d0e1f"]}),
            "store_ids",
        ),
        (
            json!({"title": " ", "kind": "amount_off", "amount_fen": 100, "valid_from": "2026-01-01", "valid_until": "2026-02-01", "audience": "activated"}),
            "title",
        ),
    ] {
        let problem =
            app.send(Req::post(&offers).bearer(&staff).json(body)).await.problem(422, "validation.invalid_field");
        assert_eq!(problem["field"], field, "{problem}");
    }
    let stores = format!("/v1/admin/merchants/{merchant}/stores");
    let far = json!({"name": "x", "address": "x", "district": "x", "lat": 95.0, "lng": 120.0, "hours": "x"});
    app.send(Req::post(&stores).bearer(&staff).json(far)).await.problem(422, "validation.invalid_field");
    let bad_key = Req::post(&format!("/v1/admin/merchants/{merchant}/keys"))
        .bearer(&staff)
        .json(json!({"public_key_pem": "not a key"}));
    app.send(bad_key).await.problem(422, "validation.invalid_field");
    let bad_mail = Req::post("/v1/admin/merchants")
        .bearer(&staff)
        .json(json!({"name": "x", "category": "x", "contact": "x", "settlement_email": "nope"}));
    app.send(bad_mail).await.problem(422, "validation.invalid_field");
    let auditor = app.staff(Role::Auditor).await;
    let listed = app.send(Req::get("/v1/admin/merchants").bearer(&auditor)).await.json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 1);
    let detail = app.send(Req::get(&format!("/v1/admin/merchants/{merchant}")).bearer(&auditor)).await.json();
    assert_eq!(detail["offers"].as_array().unwrap().len(), 3);
    assert_eq!(detail["keys"][0]["serial_no"], partner.serial.as_str());
}

//! The 会员服务卡: every member move and bank event, legal and not; the bank's events replayed and
//! out of order; the rotating code verified once, for the current and previous step only; and
//! cardholder-only offers.

use chrono::Duration;
use domain::admin::Role;
use domain::shared::Clock;
use serde_json::json;
use tests::cards::{card_number, code_from_seed};
use tests::{on_both_backends, Backend, Options, Req, TestApp};

on_both_backends!(
    every_member_move_is_legal_exactly_where_the_lifecycle_says,
    bank_events_are_idempotent_and_out_of_order_safe,
    a_card_code_verifies_once_for_its_step_and_the_previous_only,
    cardholder_offers_need_an_active_card,
    cardholder_campaigns_admit_only_active_cards,
);

async fn post(app: &TestApp, path: &str, token: &str) -> tests::Reply {
    app.send(Req::post(path).bearer(token)).await
}

async fn every_member_move_is_legal_exactly_where_the_lifecycle_says(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let bank = app.bank(&staff, 3).await;
    let mut members = app.activated_members(2, "SZ001").await;
    let (member, other) = (members.remove(0), members.remove(0));

    app.send(Req::get("/v1/me/card").bearer(&member)).await.problem(404, "card.not_found");
    let stranger = app.consenting_member("13900000001").await;
    post(&app, "/v1/me/card/application", &stranger).await.problem(403, "card.not_eligible");

    let applied = post(&app, "/v1/me/card/application", &member).await;
    assert_eq!(applied.status, 201, "{}", applied.text());
    assert_eq!(applied.json()["status"], "applied");
    let card = applied.json()["id"].as_str().unwrap().to_owned();
    post(&app, "/v1/me/card/application", &member).await.problem(409, "card.already_held");
    // An applied card can be neither frozen, unfrozen nor reported lost.
    for path in ["/v1/me/card/freeze", "/v1/me/card/unfreeze", "/v1/me/card/report-lost"] {
        let refused = post(&app, path, &member).await.problem(409, "card.illegal_transition");
        assert_eq!(refused["current"], "applied", "{path}");
    }
    // The other member sees none of it.
    app.send(Req::get("/v1/me/card").bearer(&other)).await.problem(404, "card.not_found");
    post(&app, "/v1/me/card/freeze", &other).await.problem(404, "card.not_found");

    let number = json!({"card_number": card_number(1), "account": {"token": "acct_tok_00000001", "last4": "6621"}});
    assert_eq!(app.card_event(&bank, "e1", "issued", &card, number).await.json()["status"], "issued");
    post(&app, "/v1/me/card/freeze", &member).await.problem(409, "card.illegal_transition");
    app.send(Req::get("/v1/me/card/code").bearer(&member)).await.problem(409, "card.not_active");
    assert_eq!(app.card_event(&bank, "e2", "activated", &card, json!({})).await.json()["status"], "active");

    post(&app, "/v1/me/card/unfreeze", &member).await.problem(409, "card.illegal_transition");
    assert_eq!(post(&app, "/v1/me/card/freeze", &member).await.json()["status"], "frozen");
    assert_eq!(
        post(&app, "/v1/me/card/freeze", &member).await.problem(409, "card.illegal_transition")["current"],
        "frozen"
    );
    assert_eq!(post(&app, "/v1/me/card/unfreeze", &member).await.json()["status"], "active");
    assert_eq!(post(&app, "/v1/me/card/report-lost", &member).await.json()["status"], "lost");
    for path in ["/v1/me/card/freeze", "/v1/me/card/unfreeze", "/v1/me/card/report-lost"] {
        let refused = post(&app, path, &member).await.problem(409, "card.illegal_transition");
        assert_eq!(refused["current"], "lost", "{path}");
    }
    post(&app, "/v1/me/card/application", &member).await.problem(409, "card.already_held");

    // The bank replaces the lost card: a new number, the old card cancelled.
    app.clock.advance(Duration::minutes(1));
    let replaced =
        app.card_event(&bank, "e3", "replaced", &card, json!({"replacement": {"card_number": card_number(2)}})).await;
    assert_eq!(replaced.status, 200, "{}", replaced.text());
    assert_eq!(replaced.json()["status"], "cancelled");
    let new_card = replaced.json()["replacement_card_id"].as_str().unwrap().to_owned();
    let view = app.send(Req::get("/v1/me/card").bearer(&member)).await.json();
    assert_eq!(view["card"]["id"], new_card.as_str());
    assert_eq!(view["card"]["status"], "issued");
    assert_eq!(view["card"]["number_last4"], &card_number(2)[15..]);
    assert_eq!(view["card"]["replaces"], card.as_str());
    let moves: Vec<(String, String)> = view["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["event"].as_str().unwrap().to_owned(), h["to"].as_str().unwrap().to_owned()))
        .collect();
    let expected = [
        ("applied", "applied"),
        ("issued", "issued"),
        ("activated", "active"),
        ("frozen", "frozen"),
        ("unfrozen", "active"),
        ("reported_lost", "lost"),
        ("replaced", "cancelled"),
        ("issued", "issued"),
    ];
    assert_eq!(moves, expected.map(|(e, t)| (e.to_owned(), t.to_owned())));
    assert!(!view.to_string().contains(&card_number(2)), "the full card number is never shown");
    let active = app.card_event(&bank, "e4", "activated", &new_card, json!({})).await;
    assert_eq!(active.json()["status"], "active");
    // A cancelled card takes nothing more; the bank may cancel the live one.
    app.send(Req::get("/v1/me/card").bearer(&other)).await.problem(404, "card.not_found");
    let cancelled = app.card_event(&bank, "e5", "cancelled", &new_card, json!({})).await;
    assert_eq!(cancelled.json()["status"], "cancelled");
    post(&app, "/v1/me/card/freeze", &member).await.problem(404, "card.not_found");
    assert_eq!(
        post(&app, "/v1/me/card/application", &member).await.status,
        201,
        "a member with no live card may apply again"
    );
}

async fn bank_events_are_idempotent_and_out_of_order_safe(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let bank = app.bank(&staff, 3).await;
    let merchant = app.partner(&staff, 0, json!({})).await;
    let member = app.activated_members(1, "SZ001").await.remove(0);
    let card = post(&app, "/v1/me/card/application", &member).await.json()["id"].as_str().unwrap().to_owned();

    // The bank sees the application.
    let pending = app.send(bank.sign(&app, Req::get("/v1/bank/card-applications?limit=10"))).await;
    assert_eq!(pending.status, 200, "{}", pending.text());
    app.assert_signed(&pending).await;
    assert!(pending.json()["items"].as_array().unwrap().iter().any(|a| a["card_id"] == card.as_str()));

    // Activation arrives before issuance (which happened a minute earlier at the bank).
    let issued_at = app.clock.now();
    app.clock.advance(Duration::minutes(1));
    let number = json!({"card_number": card_number(7)});
    let active = app.card_event(&bank, "act-1", "activated", &card, number.clone()).await;
    assert_eq!(
        (active.json()["outcome"].as_str(), active.json()["status"].as_str()),
        (Some("applied"), Some("active"))
    );
    let mut late = number.clone();
    late["occurred_at"] = json!(issued_at);
    let issued = app.card_event(&bank, "iss-1", "issued", &card, late).await;
    assert_eq!(
        (issued.json()["outcome"].as_str(), issued.json()["status"].as_str()),
        (Some("superseded"), Some("active"))
    );
    // The same event again: the same answer, nothing changed.
    let again = app.card_event(&bank, "act-1", "activated", &card, number.clone()).await;
    assert_eq!(again.json(), active.json());
    // An older cancellation never overwrites the newer state.
    let old_cancel = app.card_event(&bank, "can-0", "cancelled", &card, json!({"occurred_at": issued_at})).await;
    assert_eq!(old_cancel.json()["outcome"], "superseded");
    assert_eq!(app.send(Req::get("/v1/me/card").bearer(&member)).await.json()["card"]["status"], "active");
    let applications = app.send(bank.sign(&app, Req::get("/v1/bank/card-applications"))).await.json();
    assert!(!applications["items"].as_array().unwrap().iter().any(|a| a["card_id"] == card.as_str()));

    // A refused event is refused again when replayed.
    let member2 = app.activated_members(1, "SZ002").await.remove(0);
    let card2 = post(&app, "/v1/me/card/application", &member2).await.json()["id"].as_str().unwrap().to_owned();
    let replacement = json!({"replacement": {"card_number": card_number(8)}});
    let refused = app.card_event(&bank, "rep-1", "replaced", &card2, replacement.clone()).await;
    assert_eq!(refused.problem(409, "card.illegal_transition")["current"], "applied");
    app.card_event(&bank, "rep-1", "replaced", &card2, replacement).await.problem(409, "card.illegal_transition");

    // Bad input, unknown cards, a number another card has.
    app.card_event(&bank, "x-1", "issued", &card2, json!({})).await.problem(422, "validation.invalid_field");
    app.card_event(&bank, "x-2", "issued", &card2, json!({"card_number": "6214830000000000010"}))
        .await
        .problem(422, "validation.invalid_field");
    app.card_event(&bank, "x-3", "exploded", &card2, json!({})).await.problem(422, "validation.invalid_field");
    app.card_event(&bank, "x-4", "activated", &uuid::Uuid::now_v7().to_string(), json!({}))
        .await
        .problem(404, "card.not_found");
    app.card_event(&bank, "x-5", "issued", &card2, json!({"card_number": card_number(7)}))
        .await
        .problem(422, "validation.invalid_field");

    // A merchant's key cannot call the bank, nor the bank's a merchant route.
    let body = json!({"event_id": "m-1", "type": "cancelled", "card_id": card, "occurred_at": app.clock.now()});
    let by_merchant = merchant.sign(&app, Req::post("/v1/bank/card-events").json(body));
    app.send(by_merchant).await.problem(403, "partner.wrong_role");
    let verify = Req::post("/v1/partner/member-codes/verify")
        .json(json!({"store_id": merchant.stores[0], "member_code": "661234567890123456"}));
    app.send(bank.sign(&app, verify)).await.problem(403, "partner.wrong_role");
    assert_eq!(app.send(Req::get("/v1/me/card").bearer(&member)).await.json()["card"]["status"], "active");
}

async fn a_card_code_verifies_once_for_its_step_and_the_previous_only(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let bank = app.bank(&staff, 3).await;
    let (first, second) = (app.partner(&staff, 0, json!({})).await, app.partner(&staff, 1, json!({})).await);
    let member = app.activated_members(1, "SZ001").await.remove(0);
    app.active_card(&member, &bank, 11).await;
    let verify = |p: &tests::partners::Partner, code: &str| {
        Req::post("/v1/partner/member-codes/verify").json(json!({"store_id": p.stores[0], "member_code": code}))
    };

    // The app's offline code and the thin client's agree, and carry nothing personal.
    let seed = app.send(Req::get("/v1/me/card/code-seed").bearer(&member)).await;
    assert_eq!(seed.status, 200, "{}", seed.text());
    assert_eq!(seed.header("cache-control"), Some("no-store"));
    let seed = seed.json();
    assert_eq!(seed["handles"].as_array().unwrap().len(), 2);
    let code = app.card_code(&member).await;
    assert_eq!(code, code_from_seed(&seed, app.clock.now()));
    assert_eq!(code.len(), 18);

    let ok = app.send(first.sign(&app, verify(&first, &code))).await;
    assert_eq!(ok.status, 200, "{}", ok.text());
    assert_eq!(ok.json()["cardholder"], true);
    // Twice at the till, or a screenshot at a second merchant: refused.
    app.send(first.sign(&app, verify(&first, &code))).await.problem(409, "member_code.replayed");
    app.send(second.sign(&app, verify(&second, &code))).await.problem(409, "member_code.replayed");

    // The previous step's code still verifies; one from three steps ago has expired.
    let earlier = code_from_seed(&seed, app.clock.now());
    app.clock.advance(Duration::seconds(30));
    let previous = code_from_seed(&seed, app.clock.now() - Duration::seconds(30));
    assert_eq!(previous, earlier);
    let shown_then = code_from_seed(&seed, app.clock.now());
    app.clock.advance(Duration::seconds(30));
    assert_eq!(app.send(second.sign(&app, verify(&second, &shown_then))).await.status, 200);
    let old = code_from_seed(&seed, app.clock.now() - Duration::seconds(90));
    app.send(second.sign(&app, verify(&second, &old))).await.problem(422, "member_code.expired");
    let wrong = format!("{}{:06}", &code[..12], (code[12..].parse::<u32>().unwrap() + 1) % 1_000_000);
    app.send(second.sign(&app, verify(&second, &wrong))).await.problem(422, "member_code.invalid");

    // A frozen card's fresh code never verifies; the interim member code is not for cardholders.
    let fresh = code_from_seed(&seed, app.clock.now());
    assert_eq!(post(&app, "/v1/me/card/freeze", &member).await.status, 200);
    let refused = app.send(first.sign(&app, verify(&first, &fresh))).await.problem(403, "card.not_active");
    assert_eq!(refused["current"], "frozen");
    post(&app, "/v1/me/card/unfreeze", &member).await;
    app.send(Req::post("/v1/me/member-code").bearer(&member)).await.problem(409, "member_code.use_card");
    // The unfrozen card's code for this step was not spent by the refusal.
    assert_eq!(app.send(first.sign(&app, verify(&first, &fresh))).await.status, 200);

    // Handles are forgotten once their day has passed; a code with one finds no card.
    let store = infra::db::cards::DbCards::new(app.database().await, app.infra().await.crypto, String::new());
    let today = app.clock.now().with_timezone(&domain::campaigns::SHANGHAI).date_naive();
    let forget = |day| domain::cards::ports::CardStore::forget_handles_before(&store, day);
    assert_eq!(forget(today).await.unwrap(), 0);
    assert_eq!(forget(today + Duration::days(2)).await.unwrap(), 2);
    app.clock.advance(Duration::seconds(30));
    let forgotten = code_from_seed(&seed, app.clock.now());
    app.send(first.sign(&app, verify(&first, &forgotten))).await.problem(422, "member_code.invalid");
}

async fn cardholder_offers_need_an_active_card(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let bank = app.bank(&staff, 3).await;
    let partner = app.partner(&staff, 0, json!({"audience": "cardholders", "daily_limit": 5})).await;
    let mut members = app.activated_members(2, "SZ001").await;
    let (holder, plain) = (members.remove(0), members.remove(0));
    app.active_card(&holder, &bank, 21).await;
    let sale = |member: serde_json::Value, key: &str| {
        let mut body = json!({"store_id": partner.stores[0], "offer_id": partner.offer, "original_fen": 12_800,
            "till_ref": "POS-1", "channel": "pos"});
        for (k, v) in member.as_object().unwrap() {
            body[k] = v.clone();
        }
        Req::post("/v1/partner/sales").header("idempotency-key", key).json(body)
    };
    let plain_code = app.member_code(&plain).await;
    app.send(partner.sign(&app, sale(json!({"member_code": plain_code}), "p1")))
        .await
        .problem(403, "offer.not_qualified");

    let code = app.card_code(&holder).await;
    let recorded = app.send(partner.sign(&app, sale(json!({"member_code": code}), "h1"))).await;
    assert_eq!(recorded.status, 201, "{}", recorded.text());
    let member_ref = recorded.json()["member_ref"].as_str().unwrap().to_owned();
    // The same code again is spent; the reference from the sale works while the card is active.
    app.send(partner.sign(&app, sale(json!({"member_code": code}), "h2"))).await.problem(409, "member_code.replayed");
    assert_eq!(app.send(partner.sign(&app, sale(json!({"member_ref": member_ref}), "h3"))).await.status, 201);
    assert_eq!(post(&app, "/v1/me/card/freeze", &holder).await.status, 200);
    app.send(partner.sign(&app, sale(json!({"member_ref": member_ref}), "h4")))
        .await
        .problem(403, "offer.not_qualified");
}

async fn cardholder_campaigns_admit_only_active_cards(backend: Backend) {
    // With the inventory gate and without it: the same rule decides.
    for gate in ["on", "off"] {
        let app = TestApp::spawn_with(backend, Options::default().var("SGH_INVENTORY_GATE", gate)).await;
        let staff = app.staff(Role::Admin).await;
        let bank = app.bank(&staff, 3).await;
        let beijing = |d: Duration| (app.clock.now() + Duration::hours(8) + d).format("%Y-%m-%dT%H:%M:%S").to_string();
        let body = json!({"title": "持卡会员专享", "holiday": "new_year", "starts_at": beijing(Duration::minutes(-1)),
            "ends_at": beijing(Duration::days(1)), "per_member_limit": 1, "budget_fen": 1_000_000,
            "cardholders_only": true});
        let created = app.send(Req::post("/v1/admin/campaigns").bearer(&staff).json(body)).await;
        assert_eq!(created.status, 201, "{}", created.text());
        assert_eq!(created.json()["cardholders_only"], true);
        let campaign = created.json()["id"].as_str().unwrap().to_owned();
        let gift = json!({"name": "台历", "unit_cost_fen": 1500, "stock": 10, "per_member_limit": 1,
            "valid_until": (app.clock.now() + Duration::days(60)).date_naive().to_string(), "funder": "union"});
        let g = app.send(Req::post(&format!("/v1/admin/campaigns/{campaign}/gifts")).bearer(&staff).json(gift)).await;
        let gift = g.json()["id"].as_str().unwrap().to_owned();
        let published = app.send(Req::post(&format!("/v1/admin/campaigns/{campaign}/publish")).bearer(&staff)).await;
        assert_eq!(published.status, 200, "{}", published.text());

        let mut members = app.activated_members(2, "SZ001").await;
        let (holder, plain) = (members.remove(0), members.remove(0));
        app.active_card(&holder, &bank, 31).await;
        let page = app.send(Req::get(&format!("/v1/campaigns/{campaign}")).bearer(&plain)).await.json();
        assert_eq!((page["eligible"].as_bool(), page["ineligible_reason"].as_str()), (Some(false), Some("no_card")));
        let refused = app.send(app.claim_req(&plain, &campaign, &gift, "plain-1")).await;
        assert_eq!(refused.problem(403, "campaign.ineligible")["reason"], "no_card", "gate {gate}");
        let claimed = app.send(app.claim_req(&holder, &campaign, &gift, "holder-1")).await;
        assert_eq!(claimed.status, 201, "gate {gate}: {}", claimed.text());
        // The refused claim took no stock (the shared page is re-read after its second).
        app.clock.advance(Duration::seconds(2));
        let left = app.send(Req::get(&format!("/v1/campaigns/{campaign}"))).await.json();
        assert_eq!(left["gifts"][0]["remaining"], 9, "gate {gate}: {left}");
    }
}

//! Discounted sales through the signed partner API: pricing, limits under concurrency, one sale
//! per Idempotency-Key, reversals, lists and settlements, and merchants kept apart.

use domain::admin::Role;
use domain::shared::Clock;
use serde_json::{json, Value};
use tests::partners::Partner;
use tests::{on_both_backends, Backend, Req, TestApp};

on_both_backends!(
    a_sale_is_priced_recorded_listed_and_reversed_once,
    a_burst_of_one_idempotency_key_records_one_sale,
    a_retried_sale_gets_its_first_answer_though_its_limit_and_code_are_spent,
    twenty_parallel_sales_against_a_daily_limit_of_one_record_one,
    sales_dated_out_of_order_count_on_their_own_days,
    merchants_never_see_each_others_stores_sales_or_members,
    paused_and_expired_offers_are_refused_at_the_till,
    a_member_code_is_spent_at_its_first_use,
);

fn sale(partner: &Partner, store: usize, member: Value, original: i64, key: &str) -> Req {
    let mut body = json!({
        "store_id": partner.stores[store], "offer_id": partner.offer, "original_fen": original,
        "till_ref": "POS-03/收银员 017", "channel": "pos"
    });
    for (k, v) in member.as_object().unwrap() {
        body[k] = v.clone();
    }
    Req::post("/v1/partner/sales").header("idempotency-key", key).json(body)
}

async fn a_sale_is_priced_recorded_listed_and_reversed_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    // 满100减20, once a day, three times in all.
    let partner = app.partner(&staff, 0, json!({"total_limit": 3})).await;
    let member = app.activated_members(1, "SZ001").await.remove(0);

    let below = sale(&partner, 0, json!({"member_code": app.member_code(&member).await}), 9_999, "below");
    app.send(partner.sign(&app, below)).await.problem(422, "offer.below_threshold");
    // Every amount has a bound: the sums of absurd sales once broke a merchant's settlements.
    for (i, absurd) in [5 * 10i64.pow(18), 10i64.pow(15), 1_000_000_001].into_iter().enumerate() {
        let code = app.member_code(&member).await;
        let big = sale(&partner, 0, json!({"member_code": code}), absurd, &format!("absurd-{i}"));
        let refused = app.send(partner.sign(&app, big)).await.problem(422, "validation.invalid_field");
        assert_eq!(refused["field"], "original_fen", "{refused}");
    }
    let missing_key = Req::post("/v1/partner/sales").json(json!({
        "store_id": partner.stores[0], "member_code": app.member_code(&member).await, "offer_id": partner.offer,
        "original_fen": 12_800, "till_ref": "POS", "channel": "pos"
    }));
    app.send(partner.sign(&app, missing_key)).await.problem(400, "idempotency.key_required");

    let first = sale(&partner, 0, json!({"member_code": app.member_code(&member).await}), 12_800, "sale-1");
    let recorded = app.send(partner.sign(&app, first)).await;
    assert_eq!(recorded.status, 201, "{}", recorded.text());
    app.assert_signed(&recorded).await;
    let s = recorded.json();
    assert_eq!(
        (s["original_fen"].as_i64(), s["discount_fen"].as_i64(), s["paid_fen"].as_i64()),
        (Some(12_800), Some(2_000), Some(10_800))
    );
    assert_eq!(s["till_ref"], "POS-03/收银员 017");
    assert_eq!(s["channel"], "pos");
    let member_ref = s["member_ref"].as_str().unwrap().to_owned();

    // Once a day: the reference from the sale works as well as a code, and is refused today.
    let again = sale(&partner, 1, json!({"member_ref": member_ref}), 20_000, "sale-2");
    app.send(partner.sign(&app, again)).await.problem(409, "offer.limit_reached");

    // Reversing gives the day's use back, once, however often it is asked.
    let id = s["id"].as_str().unwrap();
    let reverse = |key: &str| {
        Req::post(&format!("/v1/partner/sales/{id}/reversal"))
            .header("idempotency-key", key)
            .json(json!({"till_ref": "POS-03"}))
    };
    let reversed = app.send(partner.sign(&app, reverse("rev-1"))).await;
    assert_eq!(reversed.status, 200, "{}", reversed.text());
    assert!(reversed.json()["reversed_at"].is_string());
    let twice = app.send(partner.sign(&app, reverse("rev-2"))).await;
    assert_eq!(twice.status, 200);
    assert_eq!(twice.json()["reversed_at"], reversed.json()["reversed_at"]);
    let after = sale(&partner, 1, json!({"member_ref": member_ref}), 20_000, "sale-3");
    assert_eq!(app.send(partner.sign(&app, after)).await.status, 201);
    let once_more = sale(&partner, 1, json!({"member_ref": member_ref}), 20_000, "sale-4");
    app.send(partner.sign(&app, once_more)).await.problem(409, "offer.limit_reached");

    // The next Beijing days the daily limit starts again, until the total (3, one given back) is
    // used up.
    for (day, expected) in [(2, 201), (3, 201), (4, 409)] {
        app.clock.advance(chrono::Duration::days(1));
        let r = app
            .send(
                partner.sign(&app, sale(&partner, 0, json!({"member_ref": member_ref}), 10_000, &format!("day{day}"))),
            )
            .await;
        assert_eq!(r.status, expected, "day {day}: {}", r.text());
    }
    let r =
        app.send(partner.sign(&app, sale(&partner, 0, json!({"member_ref": member_ref}), 10_000, "day4-total"))).await;
    r.problem(409, "offer.limit_reached");

    // Lists: the merchant's sales and totals, the member's history.
    let today = app.clock.now().with_timezone(&domain::campaigns::SHANGHAI).date_naive();
    let from = today - chrono::Duration::days(3);
    let listed = app
        .send(partner.sign(&app, Req::get(&format!("/v1/partner/sales?from={from}&to={today}&limit=3"))))
        .await
        .json();
    assert_eq!(listed["items"].as_array().unwrap().len(), 3);
    let cursor = listed["next_cursor"].as_str().unwrap();
    let rest = app
        .send(
            partner.sign(&app, Req::get(&format!("/v1/partner/sales?from={from}&to={today}&limit=3&cursor={cursor}"))),
        )
        .await
        .json();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert!(rest["next_cursor"].is_null());
    let totals =
        app.send(partner.sign(&app, Req::get(&format!("/v1/partner/settlements?from={from}&to={today}")))).await.json();
    let days = totals["items"].as_array().unwrap();
    assert_eq!(days.len(), 3, "{totals}");
    assert_eq!((days[0]["sales"].as_i64(), days[0]["reversals"].as_i64()), (Some(2), Some(1)));
    assert_eq!((days[0]["original_fen"].as_i64(), days[0]["paid_fen"].as_i64()), (Some(20_000), Some(18_000)));
    assert_eq!((days[1]["sales"].as_i64(), days[1]["discount_fen"].as_i64()), (Some(1), Some(2_000)));
    let history = app.send(Req::get("/v1/me/discount-sales").bearer(&app.token_for_member_of(&member))).await.json();
    let items = history["items"].as_array().unwrap();
    assert_eq!(items.len(), 4, "{history}");
    assert_eq!(items[0]["merchant_name"], "松鹤楼");
    assert!(items[3]["reversed_at"].is_string());
    app.assert_books_balance().await;
}

async fn a_burst_of_one_idempotency_key_records_one_sale(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let partner = app.partner(&staff, 0, json!({"daily_limit": null})).await;
    let member = app.activated_members(1, "SZ001").await.remove(0);
    let code = app.member_code(&member).await;
    let burst: Vec<Req> = (0..10)
        .map(|_| partner.sign(&app, sale(&partner, 0, json!({"member_code": code}), 12_800, "one-key")))
        .collect();
    let replies = app.send_all(burst).await;
    let mut ids = std::collections::BTreeSet::new();
    for r in &replies {
        match r.status {
            201 => {
                ids.insert(r.json()["id"].as_str().unwrap().to_owned());
            }
            // The first holds the key, or (a duplicate that came before the first took it) has
            // spent the member code: either way nothing more is sold.
            409 => assert!(
                ["idempotency.in_flight", "member_code.replayed"].contains(&r.json()["code"].as_str().unwrap()),
                "{}",
                r.text()
            ),
            other => panic!("unexpected {other}: {}", r.text()),
        }
    }
    assert_eq!(ids.len(), 1, "every answered request names the same sale");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM discount_sales").await, 1);
    // A retry after the burst replays the first answer.
    let retry = app.send(partner.sign(&app, sale(&partner, 0, json!({"member_code": code}), 12_800, "one-key"))).await;
    assert_eq!(retry.status, 201);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert!(ids.contains(retry.json()["id"].as_str().unwrap()));
}

async fn a_retried_sale_gets_its_first_answer_though_its_limit_and_code_are_spent(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let partner = app.partner(&staff, 0, json!({"daily_limit": 1})).await;
    let member = app.activated_members(1, "SZ001").await.remove(0);
    let code = app.member_code(&member).await;
    let first = app.send(partner.sign(&app, sale(&partner, 0, json!({"member_code": code}), 12_800, "till-7"))).await;
    assert_eq!(first.status, 201, "{}", first.text());
    assert_eq!(first.header("idempotent-replayed"), None);

    // The first run used up the day's limit: the retry still gets the sale, not the limit.
    let retry = app.send(partner.sign(&app, sale(&partner, 0, json!({"member_code": code}), 12_800, "till-7"))).await;
    assert_eq!((retry.status, retry.header("idempotent-replayed")), (201, Some("true")), "{}", retry.text());
    assert_eq!(retry.text(), first.text());
    app.assert_signed(&retry).await;

    // Nor does an expired member code stop the replay.
    app.clock.advance(chrono::Duration::minutes(10));
    let late = app.send(partner.sign(&app, sale(&partner, 0, json!({"member_code": code}), 12_800, "till-7"))).await;
    assert_eq!((late.status, late.text()), (201, first.text()));

    // The key with another request, here or on another route, is a client bug.
    let other = sale(&partner, 0, json!({"member_code": code}), 12_900, "till-7");
    app.send(partner.sign(&app, other)).await.problem(422, "idempotency.mismatch");
    let id = first.json()["id"].as_str().unwrap().to_owned();
    let reversal = Req::post(&format!("/v1/partner/sales/{id}/reversal"))
        .header("idempotency-key", "till-7")
        .json(json!({"till_ref": "POS-03"}));
    app.send(partner.sign(&app, reversal)).await.problem(422, "idempotency.mismatch");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM discount_sales").await, 1);

    // A refused sale keeps no answer: the corrected request may use its key.
    let fresh = app.member_code(&app.token_for_member_of(&member)).await;
    let below = sale(&partner, 0, json!({"member_code": fresh}), 9_999, "till-8");
    app.send(partner.sign(&app, below)).await.problem(422, "offer.below_threshold");
    app.clock.advance(chrono::Duration::days(1));
    let fresh = app.member_code(&app.token_for_member_of(&member)).await;
    let corrected =
        app.send(partner.sign(&app, sale(&partner, 0, json!({"member_code": fresh}), 10_000, "till-8"))).await;
    assert_eq!((corrected.status, corrected.header("idempotent-replayed")), (201, None), "{}", corrected.text());

    // Past its retention a key is free again: the sale's statement finds it held by an expired
    // answer and the request goes the long way, which takes the key over and records the sale.
    app.clock.advance(chrono::Duration::hours(25));
    let reference = json!({"member_ref": first.json()["member_ref"]});
    let reused = app.send(partner.sign(&app, sale(&partner, 0, reference, 12_800, "till-7"))).await;
    assert_eq!((reused.status, reused.header("idempotent-replayed")), (201, None), "{}", reused.text());
    assert_ne!(reused.json()["id"], first.json()["id"]);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM discount_sales").await, 3);
}

async fn twenty_parallel_sales_against_a_daily_limit_of_one_record_one(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let partner = app.partner(&staff, 0, json!({"daily_limit": 1})).await;
    let member = app.activated_members(1, "SZ001").await.remove(0);
    let verify = Req::post("/v1/partner/member-codes/verify")
        .json(json!({"store_id": partner.stores[0], "member_code": app.member_code(&member).await}));
    let reference = app.send(partner.sign(&app, verify)).await.json()["member_ref"].clone();
    let burst: Vec<Req> = (0..20)
        .map(|i| {
            let member = json!({"member_ref": reference});
            partner.sign(&app, sale(&partner, i % 2, member, 10_000 + i as i64, &format!("k{i}")))
        })
        .collect();
    let replies = app.send_all(burst).await;
    let created = replies.iter().filter(|r| r.status == 201).count();
    let limited = replies.iter().filter(|r| r.status == 409 && r.json()["code"] == "offer.limit_reached").count();
    assert_eq!((created, limited), (1, 19), "{:?}", replies.iter().map(|r| r.text()).collect::<Vec<_>>());
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM discount_sales").await, 1);
}

async fn merchants_never_see_each_others_stores_sales_or_members(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let a = app.partner(&staff, 0, json!({})).await;
    let b = app.partner(&staff, 1, json!({})).await;
    let member = app.activated_members(1, "SZ001").await.remove(0);
    let sold = app
        .send(a.sign(&app, sale(&a, 0, json!({"member_code": app.member_code(&member).await}), 12_800, "a-1")))
        .await
        .json();
    let (id, reference) = (sold["id"].as_str().unwrap(), sold["member_ref"].as_str().unwrap());

    // B cannot read, reverse or list A's sale, use A's store or offer, or A's member reference.
    app.send(b.sign(&app, Req::get(&format!("/v1/partner/sales/{id}")))).await.problem(404, "sale.not_found");
    let reverse = Req::post(&format!("/v1/partner/sales/{id}/reversal"))
        .header("idempotency-key", "b-rev")
        .json(json!({"till_ref": "x"}));
    app.send(b.sign(&app, reverse)).await.problem(404, "sale.not_found");
    let today = app.clock.now().with_timezone(&domain::campaigns::SHANGHAI).date_naive();
    let theirs = app.send(b.sign(&app, Req::get(&format!("/v1/partner/sales?from={today}&to={today}")))).await.json();
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0);
    let at_a = Req::post("/v1/partner/member-codes/verify")
        .json(json!({"store_id": a.stores[0], "member_code": app.member_code(&member).await}));
    app.send(b.sign(&app, at_a)).await.problem(404, "store.not_found");
    let a_offer = Partner { offer: a.offer.clone(), ..b.clone() };
    let r = app
        .send(b.sign(&app, sale(&a_offer, 0, json!({"member_code": app.member_code(&member).await}), 12_800, "b-1")))
        .await;
    r.problem(404, "offer.not_found");
    let r = app.send(b.sign(&app, sale(&b, 0, json!({"member_ref": reference}), 12_800, "b-2"))).await;
    r.problem(404, "member.unknown");
    // The same Idempotency-Key at two merchants is two requests.
    let r = app
        .send(b.sign(&app, sale(&b, 0, json!({"member_code": app.member_code(&member).await}), 12_800, "a-1")))
        .await;
    assert_eq!(r.status, 201, "{}", r.text());
    assert_ne!(r.json()["member_ref"], sold["member_ref"]);
}

async fn paused_and_expired_offers_are_refused_at_the_till(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let partner = app.partner(&staff, 0, json!({"daily_limit": null})).await;
    let member = app.activated_members(1, "SZ001").await.remove(0);
    let code = || async { json!({"member_code": app.member_code(&member).await}) };

    app.set_offer_status(&staff, &partner.merchant_id, &partner.offer, "paused").await;
    app.send(partner.sign(&app, sale(&partner, 0, code().await, 12_800, "p-1")))
        .await
        .problem(409, "offer.not_applicable");
    let verified = app
        .send(
            partner.sign(
                &app,
                Req::post("/v1/partner/member-codes/verify")
                    .json(json!({"store_id": partner.stores[0], "member_code": app.member_code(&member).await})),
            ),
        )
        .await
        .json();
    assert_eq!(verified["offers"].as_array().unwrap().len(), 0, "{verified}");
    app.set_offer_status(&staff, &partner.merchant_id, &partner.offer, "published").await;
    assert_eq!(app.send(partner.sign(&app, sale(&partner, 0, code().await, 12_800, "p-2"))).await.status, 201);
    app.set_offer_status(&staff, &partner.merchant_id, &partner.offer, "expired").await;
    app.send(partner.sign(&app, sale(&partner, 0, code().await, 12_800, "p-3")))
        .await
        .problem(409, "offer.not_applicable");
    let path = format!("/v1/admin/merchants/{}/offers/{}/status", partner.merchant_id, partner.offer);
    let back = app.send(Req::put(&path).bearer(&staff).json(json!({"status": "published"}))).await;
    back.problem(409, "offer.status_change");

    // A member who is not activated is told apart from one who is.
    let stranger = app.consenting_member("13900000999").await;
    let r = app
        .send(
            partner.sign(
                &app,
                Req::post("/v1/partner/member-codes/verify")
                    .json(json!({"store_id": partner.stores[0], "member_code": app.member_code(&stranger).await})),
            ),
        )
        .await;
    assert_eq!(r.json()["activated"], false);
}

/// A `66…` code is good for one verify or one sale, at one merchant: a screenshot passed around
/// buys nothing more. The till goes on with the `member_ref` it got.
async fn a_member_code_is_spent_at_its_first_use(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let (a, b) = (app.partner(&staff, 0, json!({})).await, app.partner(&staff, 1, json!({})).await);
    let member = app.activated_members(1, "SZ001").await.remove(0);
    let code = app.member_code(&member).await;
    let verify = |p: &Partner| {
        Req::post("/v1/partner/member-codes/verify").json(json!({"store_id": p.stores[0], "member_code": code}))
    };
    let first = app.send(a.sign(&app, verify(&a))).await;
    assert_eq!(first.status, 200, "{}", first.text());
    app.send(a.sign(&app, verify(&a))).await.problem(409, "member_code.replayed");
    app.send(b.sign(&app, verify(&b))).await.problem(409, "member_code.replayed");
    let again = app.send(a.sign(&app, sale(&a, 0, json!({"member_code": code}), 12_800, "a-1"))).await;
    again.problem(409, "member_code.replayed");
    let at_b = app.send(b.sign(&app, sale(&b, 0, json!({"member_code": code}), 12_800, "b-1"))).await;
    at_b.problem(409, "member_code.replayed");
    let reference = json!({"member_ref": first.json()["member_ref"]});
    let bought = app.send(a.sign(&app, sale(&a, 0, reference, 12_800, "a-2"))).await;
    assert_eq!(bought.status, 201, "{}", bought.text());
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM discount_sales").await, 1);

    // Used for a sale first, the same: and ten tills at once get one answer between them.
    let code = app.member_code(&app.token_for_member_of(&member)).await;
    let burst: Vec<Req> = (0..10)
        .map(|i| b.sign(&app, sale(&b, i % 2, json!({"member_code": code}), 12_800, &format!("burst-{i}"))))
        .collect();
    let replies = app.send_all(burst).await;
    let sold = replies.iter().filter(|r| r.status == 201).count();
    let replayed = replies.iter().filter(|r| r.status == 409 && r.json()["code"] == "member_code.replayed").count();
    assert_eq!((sold, replayed), (1, 9), "{:?}", replies.iter().map(|r| r.text()).collect::<Vec<_>>());
    // An expired code is unknown, not replayed.
    let late = app.member_code(&app.token_for_member_of(&member)).await;
    app.clock.advance(chrono::Duration::minutes(10));
    let expired =
        Req::post("/v1/partner/member-codes/verify").json(json!({"store_id": a.stores[0], "member_code": late}));
    app.send(a.sign(&app, expired)).await.problem(422, "member_code.invalid");
}

async fn sales_dated_out_of_order_count_on_their_own_days(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let staff = app.staff(Role::Admin).await;
    let partner = app.partner(&staff, 0, json!({"daily_limit": 1})).await;
    let member = app.activated_members(1, "SZ001").await.remove(0);
    let first = sale(&partner, 0, json!({"member_code": app.member_code(&member).await}), 12_800, "d-0");
    let first = app.send(partner.sign(&app, first)).await;
    assert_eq!(first.status, 201, "{}", first.text());
    let member_ref = first.json()["member_ref"].as_str().unwrap().to_owned();
    // Day 1 is used; then days 3, 2, 3, 2, 3 (a till whose clock is a day out, a sale priced at
    // 23:59:59 that commits after midnight): once a day each, whatever the order.
    let mut statuses = Vec::new();
    for (i, shift) in [2, -1, 1, -1, 1].into_iter().enumerate() {
        app.clock.advance(chrono::Duration::days(shift));
        let r = app
            .send(
                partner
                    .sign(&app, sale(&partner, 0, json!({"member_ref": member_ref}), 12_800, &format!("d-{}", i + 1))),
            )
            .await;
        statuses.push(r.status);
    }
    assert_eq!(statuses, [201, 201, 409, 409, 409]);
    assert_eq!(app.count("SELECT CAST(SUM(total_used) AS BIGINT) AS n FROM offer_usage").await, 3);
    app.assert_books_balance().await;
}

//! Real-name binding against the roster, and activation.

use domain::members::roster::RosterStatus::{Active, Left};
use serde_json::json;
use tests::members::{id_number, with_bad_check};
use tests::{on_both_backends, Backend, Req, TestApp};

fn bind(token: &str, name: &str, id: &str) -> Req {
    Req::new(actix_web::http::Method::PUT, "/v1/me/real-name")
        .bearer(token)
        .json(json!({"name": name, "id_number": id}))
}

on_both_backends!(a_roster_match_activates_the_member);

async fn a_roster_match_activates_the_member(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let zhang = id_number("19900307", 123);
    app.seed_roster(&[("张三", &zhang, "SZ-001", Active)]).await;
    let token = app.consenting_member("13800000001").await;

    let r = app.send(bind(&token, "张三", &zhang.to_lowercase())).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let me = r.json();
    assert_eq!(me["status"], "activated");
    assert_eq!(me["real_name"]["name"], "张*");
    assert_eq!(me["real_name"]["id_number"], format!("3205**********{}", &zhang[14..]));
    assert_eq!(me["union"]["union_org_code"], "SZ-001");
    assert_eq!(me["union"]["member_no"], "M00000");
    assert!(!me.to_string().contains(&zhang[4..14]));

    app.send(bind(&token, "张三", &zhang)).await.problem(409, "realname.already_bound");

    // One ID number backs one account.
    let other = app.consenting_member("13800000002").await;
    app.send(bind(&other, "张三", &zhang)).await.problem(409, "realname.id_taken");
}

on_both_backends!(bad_identities_and_roster_misses_are_refused_alike);

async fn bad_identities_and_roster_misses_are_refused_alike(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let li = id_number("19850101", 7);
    let wang = id_number("19791231", 8);
    app.seed_roster(&[("李四", &li, "SZ-002", Active), ("王五", &wang, "SZ-002", Left)]).await;
    let token = app.consenting_member("13800000003").await;

    for (id, reason) in [
        (with_bad_check(&li), "checkdigit"),
        (id_number("19900230", 1), "birthdate"),
        (id_number("20990101", 1), "birthdate"),
        (format!("99{}", &li[2..]), "region"),
        (li[..17].to_owned(), "format"),
    ] {
        let body = app.send(bind(&token, "李四", &id)).await.problem(422, "validation.invalid_field");
        assert_eq!((body["field"].as_str(), body["reason"].as_str()), (Some("id_number"), Some(reason)), "{id}");
    }
    let body = app.send(bind(&token, "Li Si", &li)).await.problem(422, "validation.invalid_field");
    assert_eq!(body["field"], "name");

    // Malformed input does not count; roster look-ups do, and they all answer alike.
    let miss = app.send(bind(&token, "赵六", &id_number("19700101", 9))).await.problem(422, "realname.not_matched");
    let mismatch = app.send(bind(&token, "李五", &li)).await.problem(422, "realname.not_matched");
    let left = app.send(bind(&token, "王五", &wang)).await.problem(422, "realname.not_matched");
    assert_eq!(miss["title"], mismatch["title"]);
    assert_eq!(mismatch["title"], left["title"], "the roster cannot be probed by the answers");
    let me = app.send(Req::get("/v1/me").bearer(&token)).await.json();
    assert_eq!(me["status"], "registered");
    assert!(me["real_name"].is_null(), "nothing stored on a miss");
    for seq in [10, 11] {
        app.send(bind(&token, "赵六", &id_number("19700101", seq))).await.problem(422, "realname.not_matched");
    }
    // Five look-ups failed today: even the right answer waits until tomorrow.
    let limited = app.send(bind(&token, "李四", &li)).await;
    limited.problem(429, "realname.too_many_attempts");
    assert!(limited.header("retry-after").is_some());

    let token = app.consenting_member("13800000004").await;
    assert_eq!(app.send(bind(&token, "李四", &li)).await.status, 200);
}

on_both_backends!(consent_comes_first);

async fn consent_comes_first(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.member_token("13800000005").await;
    let id = id_number("19900307", 5);
    app.send(bind(&token, "张三", &id)).await.problem(403, "consent.required");
    let bad = Req::post("/v1/me/consents").bearer(&token).json(json!({"version": "2019-01"}));
    app.send(bad).await.problem(422, "consent.unknown_version");
    let ok = app.send(Req::post("/v1/me/consents").bearer(&token).json(json!({"version": "2026-11"}))).await;
    assert_eq!(ok.status, 200);
    assert_eq!(ok.json()["consent"]["version"], "2026-11");
}

on_both_backends!(leaving_the_roster_ends_activation_on_the_next_import);

async fn leaving_the_roster_ends_activation_on_the_next_import(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let id = id_number("19880808", 88);
    app.seed_roster(&[("陈八", &id, "SZ-008", Active)]).await;
    let token = app.consenting_member("13800000008").await;
    assert_eq!(app.send(bind(&token, "陈八", &id)).await.json()["status"], "activated");

    app.seed_roster(&[("陈八", &id, "SZ-008", Left)]).await;
    let me = app.send(Req::get("/v1/me").bearer(&token)).await.json();
    assert_eq!(me["status"], "registered");
    assert!(me["union"].is_null());
    assert_eq!(me["real_name"]["name"], "陈*", "the binding itself stays");

    app.seed_roster(&[("陈八", &id, "SZ-009", Active)]).await;
    let me = app.send(Req::get("/v1/me").bearer(&token)).await.json();
    assert_eq!((me["status"].as_str(), me["union"]["union_org_code"].as_str()), (Some("activated"), Some("SZ-009")));
}

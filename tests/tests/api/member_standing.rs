//! A member's standing on every member route: suspended or erased, they are refused everywhere at
//! once (through this instance) or within a page's life (through another), not when their access
//! token happens to expire.

use chrono::Duration;
use domain::admin::Role;
use serde_json::json;
use tests::spec::{concrete, member_operations, request};
use tests::{on_both_backends, Backend, Req, TestApp};

use api::campaigns::MEMBER_FOR_SECS;

/// Every member operation in the served spec, called with `token`: (operation, status, code).
async fn walk(app: &TestApp, token: &str, claim: &str) -> Vec<(String, u16, String)> {
    let spec = app.send(Req::get("/openapi.json")).await.json();
    let operations = member_operations(&spec);
    assert!(operations.len() >= 20, "the spec names the member routes: {operations:?}");
    let mut out = Vec::new();
    // Erasing is the one route that would change what the others answer.
    for (method, path) in operations.into_iter().filter(|(m, p)| !(m == "DELETE" && p == "/v1/me")) {
        let concrete = if path.ends_with("/claims") { claim.to_owned() } else { concrete(&path) };
        let reply = app.send(request(&method, &concrete).bearer(token)).await;
        let code = reply.json()["code"].as_str().unwrap_or_default().to_owned();
        out.push((format!("{method} {path}"), reply.status, code));
    }
    out
}

fn refused_otherwise(walked: &[(String, u16, String)], status: u16, code: &str) -> Vec<String> {
    walked.iter().filter(|(_, s, c)| (*s, c.as_str()) != (status, code)).map(|w| format!("{w:?}")).collect()
}

on_both_backends!(every_member_route_refuses_a_suspended_member_at_once);

async fn every_member_route_refuses_a_suspended_member_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let operator = app.staff(Role::Operator).await;
    let (campaign, gift) = app.live_campaign(&operator, 10, 1, 1).await;
    let claim = format!("/v1/campaigns/{campaign}/gifts/{gift}/claims");
    let token = app.activated_members(1, "SZ-610").await.remove(0);
    let id = app.send(Req::get("/v1/me").bearer(&token)).await.json()["id"].as_str().unwrap().to_owned();

    // In standing, nothing says suspended; every route has just read (and may remember) the member.
    let before = walk(&app, &token, "/v1/campaigns/0193a2c4-8b00-7d11-8e21-6a7b8c9d0e1f/gifts/x/claims").await;
    assert!(before.iter().all(|(_, s, c)| *s != 401 && c != "member.suspended"), "{before:?}");

    let suspend =
        Req::post(&format!("/v1/admin/members/{id}/suspension")).bearer(&operator).json(json!({"reason": "核实中"}));
    assert_eq!(app.send(suspend).await.status, 200);
    let after = walk(&app, &token, &claim).await;
    let wrong = refused_otherwise(&after, 403, "member.suspended");
    assert!(wrong.is_empty(), "still served to a suspended member:\n{}", wrong.join("\n"));

    // Long after anything was remembered, the claim (which reads no standing up front) is refused
    // by its own insert, and nothing was granted.
    app.clock.advance(Duration::seconds(3 * MEMBER_FOR_SECS));
    app.send(app.claim_req(&token, &campaign, &gift, "late")).await.problem(403, "member.suspended");
    assert_eq!(app.count("SELECT count(*) AS n FROM claims").await, 0);

    // Lifted: served again at once.
    let lift =
        Req::new(actix_web::http::Method::DELETE, &format!("/v1/admin/members/{id}/suspension")).bearer(&operator);
    assert_eq!(app.send(lift).await.status, 200);
    let lifted = app.send(Req::get("/v1/me/card").bearer(&token)).await;
    assert_ne!((lifted.status, lifted.json()["code"].clone()), (403, json!("member.suspended")), "{}", lifted.text());
}

on_both_backends!(an_erased_member_is_turned_away_everywhere);

async fn an_erased_member_is_turned_away_everywhere(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let operator = app.staff(Role::Operator).await;
    let (campaign, gift) = app.live_campaign(&operator, 10, 1, 1).await;
    let claim = format!("/v1/campaigns/{campaign}/gifts/{gift}/claims");
    let token = app.activated_members(1, "SZ-611").await.remove(0);
    walk(&app, &token, "/v1/campaigns/0193a2c4-8b00-7d11-8e21-6a7b8c9d0e1f/gifts/x/claims").await;

    let erased = app.send(Req::new(actix_web::http::Method::DELETE, "/v1/me").bearer(&token)).await;
    assert_eq!(erased.status, 204, "{}", erased.text());
    let after = walk(&app, &token, &claim).await;
    let wrong = refused_otherwise(&after, 401, "auth.invalid_token");
    assert!(wrong.is_empty(), "still served to an erased member:\n{}", wrong.join("\n"));
    assert_eq!(app.count("SELECT count(*) AS n FROM claims").await, 0);
}

on_both_backends!(a_suspension_through_another_instance_holds_within_a_page_life);

async fn a_suspension_through_another_instance_holds_within_a_page_life(backend: Backend) {
    let a = TestApp::spawn(backend).await;
    let b = TestApp::start(a.env.share(), tests::Options::default()).await;
    let token = a.activated_members(1, "SZ-612").await.remove(0);
    let id = a.send(Req::get("/v1/me").bearer(&token)).await.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(
        a.send(Req::get("/v1/me/card/code-seed").bearer(&token)).await.problem(404, "card.not_found")["status"],
        404
    );

    let operator = b.staff(Role::Operator).await;
    let suspend =
        Req::post(&format!("/v1/admin/members/{id}/suspension")).bearer(&operator).json(json!({"reason": "核实中"}));
    assert_eq!(b.send(suspend).await.status, 200);
    // Instance a remembered the member in standing a moment ago; two page lives on it cannot.
    a.clock.advance(Duration::seconds(2 * MEMBER_FOR_SECS));
    for path in ["/v1/me/card/code-seed", "/v1/me/vouchers", "/v1/merchants", "/v1/campaigns"] {
        a.send(Req::get(path).bearer(&token)).await.problem(403, "member.suspended");
    }
}

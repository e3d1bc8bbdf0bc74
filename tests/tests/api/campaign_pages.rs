//! The pages members refresh around an opening: the campaign board served from memory (what is
//! left at most a second behind the claims, changes made here shown at once, changes made on
//! another instance within the second), with and without a token, with ETags; and the vouchers
//! page a page at a time.

use super::campaigns::suspend;
use api::campaigns::MEMBER_FOR_SECS;
use chrono::Duration;
use domain::admin::{Actor, NewAuditEntry, Role};
use domain::campaigns::board::FRESH_FOR_MS;
use domain::campaigns::ports::CampaignRepository;
use domain::campaigns::CampaignId;
use domain::members::roster::RosterStatus;
use domain::shared::Clock;
use serde_json::{json, Value};
use tests::members::id_number;
use tests::{on_both_backends, on_every_inventory_mode, Backend, Options, Req, TestApp};

on_every_inventory_mode!(the_board_shows_what_is_left_within_a_second_and_changes_made_here_at_once);
on_both_backends!(
    in_a_rush_pages_wait_their_turn_and_are_answered,
    the_board_without_a_token_is_the_shared_part,
    a_members_part_is_read_again_beside_the_page_once_it_is_due,
    vouchers_come_a_page_at_a_time,
    vouchers_read_together_go_each_to_their_member
);

fn a_second(app: &TestApp) {
    app.clock.advance(Duration::milliseconds(FRESH_FOR_MS));
}

async fn board(app: &TestApp, token: Option<&str>) -> Value {
    let req = Req::get("/v1/campaigns");
    let reply = app
        .send(match token {
            Some(t) => req.bearer(t),
            None => req,
        })
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

fn remaining(board: &Value, campaign: &str) -> Option<u64> {
    let c = board["items"].as_array().unwrap().iter().find(|c| c["id"] == campaign)?;
    c["gifts"][0]["remaining"].as_u64()
}

fn listed(board: &Value) -> Vec<String> {
    board["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_owned()).collect()
}

async fn the_board_shows_what_is_left_within_a_second_and_changes_made_here_at_once(
    backend: Backend,
    options: Options,
) {
    let app = TestApp::spawn_with(backend, options).await;
    let op = app.staff(Role::Operator).await;
    let (campaign, gift) = app.live_campaign(&op, 3, 1, 1).await;
    let members = app.activated_members(3, "SZ-100").await;
    let first = board(&app, Some(&members[0])).await;
    assert_eq!(remaining(&first, &campaign), Some(3));
    assert_eq!(
        (first["items"][0]["eligible"].as_bool(), first["items"][0]["claims_left"].as_u64()),
        (Some(true), Some(1))
    );

    // A claim: the claimant's own part counts it at once; what is left follows within the second.
    assert_eq!(app.send(app.claim_req(&members[0], &campaign, &gift, "k")).await.status, 201);
    let mine = board(&app, Some(&members[0])).await;
    assert_eq!(mine["items"][0]["claims_left"], 0);
    assert_eq!(remaining(&mine, &campaign), Some(3), "the board is a second's memory");
    a_second(&app);
    assert_eq!(remaining(&board(&app, Some(&members[1])).await, &campaign), Some(2));

    // Sold out shows sold out within a second of the last claim.
    for (i, m) in members.iter().enumerate().skip(1) {
        assert_eq!(app.send(app.claim_req(m, &campaign, &gift, &format!("k{i}"))).await.status, 201);
    }
    a_second(&app);
    assert_eq!(remaining(&board(&app, None).await, &campaign), Some(0));

    // Changes made through this instance show at once: more stock, a new campaign, a cancellation.
    let raise =
        Req::patch(&format!("/v1/admin/campaigns/{campaign}/gifts/{gift}")).bearer(&op).json(json!({"stock": 5}));
    assert_eq!(app.send(raise).await.status, 200);
    assert_eq!(board(&app, None).await["items"][0]["gifts"][0]["stock"], 5);
    let budget = Req::put(&format!("/v1/admin/campaigns/{campaign}/budget"))
        .bearer(&op)
        .json(json!({"budget_fen": 100_000_000_001i64}));
    assert_eq!(app.send(budget).await.status, 200);
    assert_eq!(board(&app, None).await["items"][0]["budget_fen"], 100_000_000_001i64);
    let (second, _) = app.live_campaign(&op, 10, 1, 1).await;
    assert_eq!(listed(&board(&app, None).await).len(), 2);
    assert_eq!(app.send(Req::post(&format!("/v1/admin/campaigns/{campaign}/cancel")).bearer(&op)).await.status, 200);
    assert_eq!(listed(&board(&app, None).await), vec![second.clone()]);

    // Another instance's change shows within the second.
    let infra = app.infra().await;
    let elsewhere = infra::db::campaigns::DbCampaigns(infra.db);
    let audit =
        NewAuditEntry::by(&Actor::command_line("other-instance"), app.clock.now(), "campaign.cancel", second.clone());
    elsewhere.cancel(CampaignId(second.parse().unwrap()), audit).await.unwrap();
    assert_eq!(listed(&board(&app, None).await), vec![second], "still the board of a moment ago");
    a_second(&app);
    assert!(listed(&board(&app, None).await).is_empty());
}

async fn in_a_rush_pages_wait_their_turn_and_are_answered(backend: Backend) {
    // One server thread where any claim answered makes a rush, and claims never give a page its
    // turn: every page in the rush waits its longest, a millisecond.
    let options = Options::default()
        .var("SGH_WORKERS", 1)
        .var("SGH_RUSH_CLAIMS_PER_SEC", 1)
        .var("SGH_RUSH_CLAIMS_PER_PAGE", 1000)
        .var("SGH_RUSH_PAGE_WAIT_MS", 1);
    let app = TestApp::spawn_with(backend, options).await;
    let op = app.staff(Role::Operator).await;
    let (campaign, gift) = app.live_campaign(&op, 3, 1, 1).await;
    let members = app.activated_members(20, "SZ-100").await;
    // The metrics are the process's, shared with the tests running beside this one: it looks for
    // the count to move.
    let held = async || {
        let text = app.send(Req::get("/metrics")).await.text();
        let line = text.lines().find_map(|l| l.strip_prefix(r#"campaign_pages_held_total{turn="deadline"} "#));
        line.map_or(0.0, |n| n.trim().parse::<f64>().unwrap())
    };
    let before = held().await;
    let mut waited = false;
    for round in 0..20 {
        let claims = members.iter().map(|t| app.claim_req(t, &campaign, &gift, &format!("k{round}")));
        let pages = members.iter().map(|t| Req::get("/v1/campaigns").bearer(t));
        let replies = app.send_all(claims.zip(pages).flat_map(|(c, p)| [c, p]).collect()).await;
        for (i, reply) in replies.iter().enumerate() {
            let expected: &[u16] = if i % 2 == 0 { &[201, 200, 409] } else { &[200] };
            assert!(expected.contains(&reply.status), "{} {}", reply.status, reply.text());
        }
        if held().await > before {
            waited = true;
            break;
        }
    }
    assert!(waited, "pages sent among claims waited for their turn");
}

fn member_part(board: &Value) -> (Option<bool>, Option<&str>) {
    (board["items"][0]["eligible"].as_bool(), board["items"][0]["ineligible_reason"].as_str())
}

async fn a_members_part_is_read_again_beside_the_page_once_it_is_due(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let op = app.staff(Role::Operator).await;
    app.live_campaign(&op, 3, 1, 1).await;
    let zhang = id_number("19900307", 123);
    app.seed_roster(&[("张三", &zhang, "SZ-100", RosterStatus::Active)]).await;
    let member = app.consenting_member("13800000011").await;
    assert_eq!(member_part(&board(&app, Some(&member)).await), (Some(false), Some("not_activated")));

    let bind = Req::put("/v1/me/real-name").bearer(&member).json(json!({"name": "张三", "id_number": zhang}));
    assert_eq!(app.send(bind).await.json()["status"], "activated");
    let remembered = (Some(false), Some("not_activated"));
    assert_eq!(member_part(&board(&app, Some(&member)).await), remembered, "a few seconds' memory");

    // Due: this page is answered from memory at once, and the member is read again beside it.
    app.clock.advance(Duration::seconds(MEMBER_FOR_SECS));
    assert_eq!(member_part(&board(&app, Some(&member)).await), remembered);
    let mut read_again = false;
    for _ in 0..500 {
        if member_part(&board(&app, Some(&member)).await) == (Some(true), None) {
            read_again = true;
            break;
        }
        tokio::task::yield_now().await;
    }
    assert!(read_again, "the pages after it show the member as read again");

    // A suspension through this instance is not left to memory: the next page is refused.
    suspend(&app, &op, &member).await;
    app.send(Req::get("/v1/campaigns").bearer(&member)).await.problem(403, "member.suspended");
}

async fn the_board_without_a_token_is_the_shared_part(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let op = app.staff(Role::Operator).await;
    let (campaign, _) = app.live_campaign(&op, 3, 1, 1).await;
    let member = app.activated_members(1, "SZ-100").await.remove(0);

    let shared = app.send(Req::get("/v1/campaigns")).await;
    assert_eq!(shared.status, 200, "{}", shared.text());
    assert_eq!(shared.header("cache-control"), Some("public, max-age=1"));
    assert!(shared.header("vary").is_some_and(|v| v.contains("Authorization")), "a CDN keys on the token");
    let etag = shared.header("etag").expect("an ETag").to_owned();
    let item = &shared.json()["items"][0];
    assert_eq!((item["id"].as_str(), item["gifts"][0]["remaining"].as_u64()), (Some(campaign.as_str()), Some(3)));
    assert!(item["eligible"].is_null() && item["claims_left"].is_null(), "{item}");

    // The same ETag back: 304 without a body, as long as nothing changed.
    let again = app.send(Req::get("/v1/campaigns").header("if-none-match", &etag)).await;
    assert_eq!((again.status, again.text()), (304, String::new()));
    a_second(&app);
    assert_eq!(app.send(Req::get("/v1/campaigns").header("if-none-match", &etag)).await.status, 304);
    let one = app.send(Req::get(&format!("/v1/campaigns/{campaign}"))).await;
    assert_eq!((one.status, one.json()["id"].as_str()), (200, Some(campaign.as_str())));
    let unknown = Req::get("/v1/campaigns/0193a2c4-8b00-7d11-8e21-6a7b8c9d0e1f");
    app.send(unknown).await.problem(404, "campaign.not_found");

    // A member's answer is theirs: private, with their part, and another ETag.
    let mine = app.send(Req::get("/v1/campaigns").bearer(&member)).await;
    assert_eq!(mine.header("cache-control"), Some("private, max-age=1"));
    assert_ne!(mine.header("etag"), Some(etag.as_str()));
    assert_eq!(mine.json()["items"][0]["eligible"], true);
    // A token sent must be a good one.
    app.send(Req::get("/v1/campaigns").bearer("not-a-token")).await.problem(401, "auth.invalid_token");
}

async fn vouchers_come_a_page_at_a_time(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let op = app.staff(Role::Operator).await;
    let (campaign, gift) = app.live_campaign(&op, 10, 3, 3).await;
    let member = app.activated_members(1, "SZ-100").await.remove(0);
    let mut codes = Vec::new();
    for key in ["v1", "v2", "v3"] {
        let claimed = app.send(app.claim_req(&member, &campaign, &gift, key)).await;
        assert_eq!(claimed.status, 201, "{}", claimed.text());
        codes.push(claimed.json()["voucher_code"].as_str().unwrap().to_owned());
    }
    let page = app.send(Req::get("/v1/me/vouchers?limit=2").bearer(&member)).await.json();
    let got: Vec<&str> =
        page["items"].as_array().unwrap().iter().map(|v| v["voucher_code"].as_str().unwrap()).collect();
    assert_eq!(got, vec![codes[2].as_str(), codes[1].as_str()], "newest first");
    let cursor = page["next_cursor"].as_str().expect("more to come");
    let rest = app.send(Req::get(&format!("/v1/me/vouchers?limit=2&cursor={cursor}")).bearer(&member)).await.json();
    assert_eq!(rest["items"].as_array().unwrap().len(), 1);
    assert_eq!(rest["items"][0]["voucher_code"], codes[0]);
    assert!(rest["next_cursor"].is_null());
    let all = app.send(Req::get("/v1/me/vouchers").bearer(&member)).await.json();
    assert_eq!(all["items"].as_array().unwrap().len(), 3);

    app.send(Req::get("/v1/me/vouchers?cursor=bm9wZQ").bearer(&member)).await.problem(400, "request.invalid_cursor");
    app.send(Req::get("/v1/me/vouchers?limit=0").bearer(&member)).await.problem(400, "request.invalid_limit");
    // Another member sees none of them.
    let other = app.activated_members(1, "SZ-200").await.remove(0);
    assert!(app.send(Req::get("/v1/me/vouchers").bearer(&other)).await.json()["items"].as_array().unwrap().is_empty());
}

/// Pages asked for at once are read together: each member still gets exactly their own page.
async fn vouchers_read_together_go_each_to_their_member(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let op = app.staff(Role::Operator).await;
    let (campaign, gift) = app.live_campaign(&op, 200, 2, 2).await;
    let members = app.activated_members(60, "SZ-100").await;
    // Members 0..40 hold one voucher, 40..50 two, 50..60 none.
    let mut held: Vec<Vec<String>> = vec![Vec::new(); members.len()];
    for (i, member) in members[..50].iter().enumerate() {
        for key in if i < 40 { &["a"][..] } else { &["a", "b"][..] } {
            let claimed = app.send(app.claim_req(member, &campaign, &gift, key)).await;
            assert_eq!(claimed.status, 201, "{}", claimed.text());
            held[i].insert(0, claimed.json()["voucher_code"].as_str().unwrap().to_owned());
        }
    }
    for _ in 0..3 {
        let pages = app.send_all(members.iter().map(|m| Req::get("/v1/me/vouchers?limit=1").bearer(m)).collect()).await;
        for (i, page) in pages.iter().enumerate() {
            assert_eq!(page.status, 200, "{}", page.text());
            let page = page.json();
            let codes: Vec<&str> =
                page["items"].as_array().unwrap().iter().map(|v| v["voucher_code"].as_str().unwrap()).collect();
            assert_eq!(codes, held[i].iter().take(1).map(String::as_str).collect::<Vec<_>>(), "member {i}");
            assert_eq!(page["next_cursor"].is_string(), held[i].len() > 1, "member {i}");
        }
    }
}

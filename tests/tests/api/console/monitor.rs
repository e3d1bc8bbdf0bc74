//! The opening monitor's event stream against the database.

use super::*;

/// The next event of a Server-Sent Events body whose JSON satisfies `wanted` (ten seconds at most).
async fn event_where<S, E>(body: &mut S, wanted: impl Fn(&serde_json::Value) -> bool) -> serde_json::Value
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, E>> + Unpin,
    E: std::fmt::Debug,
{
    use futures_util::StreamExt;
    let mut buffer = String::new();
    let mut last = serde_json::Value::Null;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while let Ok(Some(chunk)) = tokio::time::timeout_at(deadline, body.next()).await {
        buffer.push_str(&String::from_utf8_lossy(&chunk.expect("the stream goes on")));
        while let Some(end) = buffer.find("\n\n") {
            let event: String = buffer.drain(..end + 2).collect();
            if let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: ")) {
                last = serde_json::from_str(data).expect("events are JSON");
                if wanted(&last) {
                    return last;
                }
            }
        }
    }
    panic!("no event as wanted; the last was {last}");
}

on_both_backends!(the_monitor_streams_what_an_opening_came_to);

/// A burst of claims while the monitor streams: its granted count and stock left are the
/// database's, its refusals those the members were told, once a second.
async fn the_monitor_streams_what_an_opening_came_to(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.staff(Role::Operator).await;
    let members = app.activated_members(12, "SZ-001").await;
    let (campaign, gift) = app.live_campaign(&token, 5, 1, 1).await;
    let session = app.console_sign_in("t.operator").await;

    let page = app.console_get(Some(&session), &format!("/console/campaigns/{campaign}/monitor")).await;
    assert_eq!(page.status, 200, "{}", page.text());
    assert!(page.text().contains(&format!(r#"data-monitor="/console/campaigns/{campaign}/live""#)));

    let client = awc::Client::builder().disable_redirects().timeout(Duration::from_secs(60)).finish();
    let mut stream = client
        .get(format!("{}/console/campaigns/{campaign}/live", app.address))
        .insert_header(("cookie", session.cookie.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers().get("content-type").unwrap(), "text/event-stream");
    let first = event_where(&mut stream, |_| true).await;
    assert_eq!((first["granted"].as_u64(), first["stock_left"].as_u64()), (Some(0), Some(5)), "{first}");

    let reqs =
        members.iter().enumerate().map(|(i, m)| app.claim_req(m, &campaign, &gift, &format!("burst-{i}"))).collect();
    let replies = app.send_all(reqs).await;
    let granted = replies.iter().filter(|r| r.status == 201).count();
    assert_eq!(granted, 5);
    let last = event_where(&mut stream, |e| e["granted"] == 5 && e["stock_left"] == 0).await;
    let in_database = app.count("SELECT COUNT(*) AS n FROM claims").await;
    assert_eq!(last["granted"].as_i64(), Some(in_database), "{last}");
    assert_eq!(last["refusals"]["campaign.sold_out"], 7, "{last}");
    assert_eq!(last["refused"], 7);
    assert_eq!(last["unavailable"], 0);
    assert!(last[format!("left:{gift}")] == 0, "{last}");

    // Outside the operator's reach, or signed out: no stream.
    let signed_out = client.get(format!("{}/console/campaigns/{campaign}/live", app.address)).send().await.unwrap();
    assert_eq!(signed_out.status(), 303);
}

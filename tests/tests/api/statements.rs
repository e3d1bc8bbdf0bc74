//! Each Beijing day's settlement statement goes to every merchant's settlement address as a CSV
//! attachment, through the jobs outbox, once; what it said stays what it said, and what came after
//! (a late sale, a reversal) is an adjustment on the next one; a missed pass catches up.

use base64::Engine;
use domain::admin::Role;
use serde_json::{json, Value};
use std::time::Duration;
use tests::{on_both_backends, Backend, Options, Req, SmtpServer, TestApp};

on_both_backends!(
    yesterdays_statement_is_mailed_once_with_its_csv,
    statements_keep_what_they_said_and_carry_what_came_after_as_adjustments,
);

/// The attachment of a MIME message, decoded: lettre sends text parts as base64 or quoted-printable.
fn attachment(data: &str) -> String {
    let part = data.split("Content-Disposition: attachment").nth(1).expect("an attachment");
    let body = part.split("\r\n\r\n").nth(1).unwrap().split("\r\n--").next().unwrap();
    if part.contains("Content-Transfer-Encoding: base64") {
        let b64: String = body.split_whitespace().collect();
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b64).unwrap()).unwrap()
    } else {
        // Quoted-printable: soft line breaks, then `=XX` bytes.
        let text = body.replace("=\r\n", "");
        let (mut bytes, raw) = (Vec::new(), text.as_bytes());
        let mut i = 0;
        while i < raw.len() {
            if raw[i] == b'=' && i + 2 < raw.len() + 1 {
                bytes.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
                i += 3;
            } else {
                bytes.push(raw[i]);
                i += 1;
            }
        }
        String::from_utf8(bytes).unwrap()
    }
}

async fn yesterdays_statement_is_mailed_once_with_its_csv(backend: Backend) {
    let port = SmtpServer::unused_port();
    let server = SmtpServer::start(port);
    let app = TestApp::spawn_with(backend, Options::default().var("SGH_SMTP_URL", SmtpServer::url(port))).await;
    let staff = app.staff(Role::Admin).await;
    // Noon, Beijing time, on a known day.
    let noon = chrono::DateTime::parse_from_rfc3339("2026-12-01T12:00:00+08:00").unwrap().with_timezone(&chrono::Utc);
    app.clock.set(noon);
    let partner = app.partner(&staff, 0, json!({"daily_limit": null})).await;
    let member = app.activated_members(1, "SZ001").await.remove(0);
    for (key, amount) in [("a", 12_800), ("b", 10_000)] {
        let sale = Req::post("/v1/partner/sales").header("idempotency-key", key).json(json!({
            "store_id": partner.stores[0], "member_code": app.member_code(&member).await, "offer_id": partner.offer,
            "original_fen": amount, "till_ref": "POS-1", "channel": "pos"
        }));
        let reply = app.send(partner.sign(&app, sale)).await;
        assert_eq!(reply.status, 201, "{}", reply.text());
        if key == "b" {
            let id = reply.json()["id"].as_str().unwrap().to_owned();
            let reverse = Req::post(&format!("/v1/partner/sales/{id}/reversal"))
                .header("idempotency-key", "r")
                .json(json!({"till_ref": "POS-1"}));
            assert_eq!(app.send(partner.sign(&app, reverse)).await.status, 200);
        }
    }
    // Nothing is sent for a day still running.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(server.received().iter().all(|m| !m.data.contains("Settlement statement")));

    // 00:05 the next day: yesterday's statement goes out.
    app.clock.set(noon + chrono::Duration::hours(12) + chrono::Duration::minutes(5));
    // Generous: on two cores shared with the whole suite the pass and the SMTP round trip can lag.
    let mails = server.wait_for(1, Duration::from_secs(30)).await;
    let statements: Vec<_> = mails.iter().filter(|m| m.data.contains("statement-")).collect();
    assert_eq!(statements.len(), 1, "{mails:?}");
    assert_eq!(statements[0].to, ["finance@songhelou.example"]);
    let csv = attachment(&statements[0].data);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "type,time,store,till_ref,item,original_fen,discount_fen,paid_fen,status");
    assert!(lines[1].starts_with("sale,2026-12-01 12:00:"), "{csv}");
    assert!(lines[1].ends_with(",观前街店,POS-1,工会会员满100减20,12800,2000,10800,completed"), "{csv}");
    assert!(lines[2].ends_with(",reversed"), "{csv}");
    assert_eq!(lines[3], "total,2026-12-01,,,,12800,2000,10800,2 sales / 1 reversed / 0 adjustments / 0 vouchers");

    // A restart later that day does not send it again.
    let env = app.stop().await;
    let app = TestApp::start(env, Options::default().var("SGH_SMTP_URL", SmtpServer::url(port))).await;
    app.clock.set(noon + chrono::Duration::hours(13));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let again = server.received().into_iter().filter(|m| m.data.contains("statement-")).count();
    assert_eq!(again, 1);
}

/// The statement mails received so far, by attachment file name.
async fn statements(server: &SmtpServer, n: usize) -> Vec<(String, String)> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let found: Vec<(String, String)> = server
            .received()
            .iter()
            .filter_map(|m| {
                let from = m.data.find("statement-")?;
                let len = m.data[from..].find(".csv")? + 4;
                Some((m.data[from..from + len].to_owned(), attachment(&m.data)))
            })
            .collect();
        if found.len() >= n || std::time::Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn statements_keep_what_they_said_and_carry_what_came_after_as_adjustments(backend: Backend) {
    let port = SmtpServer::unused_port();
    let server = SmtpServer::start(port);
    let app = TestApp::spawn_with(backend, Options::default().var("SGH_SMTP_URL", SmtpServer::url(port))).await;
    let staff = app.staff(Role::Admin).await;
    let beijing = |d: u32, h: u32, m: u32, s: u32| {
        chrono::DateTime::parse_from_rfc3339(&format!("2026-12-{d:02}T{h:02}:{m:02}:{s:02}+08:00")).unwrap().to_utc()
    };
    app.clock.set(beijing(1, 12, 0, 0));
    let open = app.partner(&staff, 0, json!({"daily_limit": null})).await;
    let closing = app.partner(&staff, 1, json!({"daily_limit": null})).await;
    let member = app.activated_members(1, "SZ001").await.remove(0);
    let sale = |partner: &tests::partners::Partner, member: Value, amount: i64, key: &str| {
        let mut body = json!({"store_id": partner.stores[0], "offer_id": partner.offer, "original_fen": amount,
            "till_ref": "POS-1", "channel": "pos"});
        body.as_object_mut().unwrap().extend(member.as_object().unwrap().clone());
        partner.sign(&app, Req::post("/v1/partner/sales").header("idempotency-key", key).json(body))
    };
    let first = app.send(sale(&open, json!({"member_code": app.member_code(&member).await}), 12_800, "a")).await;
    assert_eq!(first.status, 201, "{}", first.text());
    let (first_id, member_ref) = (first.json()["id"].as_str().unwrap().to_owned(), first.json()["member_ref"].clone());
    let other = app.send(sale(&closing, json!({"member_code": app.member_code(&member).await}), 10_000, "b")).await;
    assert_eq!(other.status, 201, "{}", other.text());
    // The second merchant is suspended before the day's statements: it still gets its own.
    let suspend = Req::put(&format!("/v1/admin/merchants/{}/status", closing.merchant_id)).bearer(&staff);
    assert_eq!(app.send(suspend.json(json!({"status": "suspended"}))).await.status, 200);

    app.clock.set(beijing(2, 0, 5, 0));
    let mails = statements(&server, 2).await;
    let name = |p: &tests::partners::Partner, d: u32| format!("statement-{}-2026-12-{d:02}.csv", p.mchid);
    let names: Vec<&str> = mails.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&name(&open, 1).as_str()) && names.contains(&name(&closing, 1).as_str()), "{names:?}");

    // A sale priced at 23:59:59 that commits after the statements went out, and the first sale
    // reversed the next morning: neither changes the mailed statement.
    app.clock.set(beijing(1, 23, 59, 59));
    let late = app.send(sale(&open, json!({"member_ref": member_ref}), 20_000, "c")).await;
    assert_eq!(late.status, 201, "{}", late.text());
    app.clock.set(beijing(2, 10, 0, 0));
    let reverse = Req::post(&format!("/v1/partner/sales/{first_id}/reversal"))
        .header("idempotency-key", "r")
        .json(json!({"till_ref": "POS-1"}));
    assert_eq!(app.send(open.sign(&app, reverse)).await.status, 200);

    // No instance runs on the 3rd; on the 4th the pass catches up on the 2nd and the 3rd. The
    // 2nd's statement carries both as adjustments; the suspended merchant, with nothing more, gets
    // none.
    app.clock.set(beijing(4, 0, 5, 0));
    let mails = statements(&server, 4).await;
    assert_eq!(mails.len(), 4, "{:?}", mails.iter().map(|(n, _)| n).collect::<Vec<_>>());
    let csv = &mails.iter().find(|(n, _)| *n == name(&open, 2)).expect("the 2nd's statement").1;
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[1].starts_with("late_sale,2026-12-01 23:59:59,") && lines[1].ends_with(",20000,2000,18000,completed"),
        "{csv}"
    );
    assert!(
        lines[2].starts_with("adjustment,2026-12-02 10:00:00,")
            && lines[2].ends_with(",-12800,-2000,-10800,reversal of 2026-12-01"),
        "{csv}"
    );
    assert_eq!(lines[3], "total,2026-12-02,,,,7200,0,7200,0 sales / 0 reversed / 2 adjustments / 0 vouchers");
    assert!(mails.iter().any(|(n, _)| *n == name(&open, 3)));
    // What the 1st's statement said is kept as it said it.
    let kept = app
        .count("SELECT CAST(SUM(paid_fen) AS BIGINT) AS n FROM settlement_statements WHERE day = '2026-12-01'")
        .await;
    assert_eq!(kept, 10_800 + 8_000);
    app.assert_books_balance().await;
    // The auditor's check recomputes each statement from the lines it claimed.
    let db = app.database().await;
    db.run(|conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query("UPDATE settlement_statements SET paid_fen = paid_fen + 1 WHERE day = '2026-12-02'")
            .execute(conn)
            .map_err(anyhow::Error::from)
    })
    .await
    .unwrap();
    let auditor = app.staff(Role::Auditor).await;
    let found = app.send(Req::get("/v1/admin/ledger/audit").bearer(&auditor)).await.json();
    let findings = found["findings"].as_array().unwrap();
    assert_eq!(findings.len(), 1, "{found}");
    assert_eq!(
        (
            findings[0]["book"].as_str(),
            findings[0]["row"].as_str(),
            findings[0]["expected_fen"].as_i64(),
            findings[0]["found_fen"].as_i64()
        ),
        (Some("merchant"), Some("2026-12-02"), Some(7_200), Some(7_201))
    );
}

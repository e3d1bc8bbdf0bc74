//! Each Beijing day's settlement statement goes to every active merchant's settlement address as a
//! CSV attachment, through the jobs outbox, once.

use base64::Engine;
use domain::admin::Role;
use serde_json::json;
use std::time::Duration;
use tests::{on_both_backends, Backend, Options, Req, SmtpServer, TestApp};

on_both_backends!(yesterdays_statement_is_mailed_once_with_its_csv);

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
    let mails = server.wait_for(1, Duration::from_secs(10)).await;
    let statements: Vec<_> = mails.iter().filter(|m| m.data.contains("statement-")).collect();
    assert_eq!(statements.len(), 1, "{mails:?}");
    assert_eq!(statements[0].to, ["finance@songhelou.example"]);
    let csv = attachment(&statements[0].data);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "type,time,store,till_ref,item,original_fen,discount_fen,paid_fen,status");
    assert!(lines[1].starts_with("sale,2026-12-01 12:00:"), "{csv}");
    assert!(lines[1].ends_with(",观前街店,POS-1,工会会员满100减20,12800,2000,10800,completed"), "{csv}");
    assert!(lines[2].ends_with(",reversed"), "{csv}");
    assert_eq!(lines[3], "total,2026-12-01,,,,12800,2000,10800,2 sales / 1 reversed / 0 vouchers");

    // A restart later that day does not send it again.
    let env = app.stop().await;
    let app = TestApp::start(env, Options::default().var("SGH_SMTP_URL", SmtpServer::url(port))).await;
    app.clock.set(noon + chrono::Duration::hours(13));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let again = server.received().into_iter().filter(|m| m.data.contains("statement-")).count();
    assert_eq!(again, 1);
}

//! Members moved in bulk: a street's operator moves its members, by number, to another of its
//! unions; numbers outside the street, unknown or repeated are refused by line; each moved member's
//! history records the move; a large file runs as a job with its progress.

use domain::admin::Role;
use serde_json::json;
use tests::members::id_number;
use tests::{on_both_backends, Backend, Req, TestApp};

use crate::membership::TREE;

fn roster(rows: &[(&str, u32, &str)]) -> Vec<u8> {
    let mut csv = String::from("姓名,身份证号,工会编码,工会名称,会员编号,状态\n");
    for (union, n, no) in rows {
        csv.push_str(&format!("王会员,{},{union},x,{no},在会\n", id_number("19770707", *n)));
    }
    csv.into_bytes()
}

on_both_backends!(a_street_moves_its_members_by_number);

async fn a_street_moves_its_members_by_number(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, TREE).await;
    // M5 twice on the roster (two federations' numbering met), once in the street.
    let rows = [
        ("SZ-SIP-WT-G01", 1, "M1"),
        ("SZ-SIP-WT-G01", 2, "M2"),
        ("SZ-SIP-WT-G01", 3, "M3"),
        ("SZ-SIP-XT-G01", 4, "M4"),
        ("SZ-SIP-WT-G01", 5, "M5"),
        ("SZ-SIP-XT-G01", 6, "M5"),
    ];
    let imported = app.send(Req::post("/v1/admin/roster/imports").bearer(&city).raw("text/csv", roster(&rows))).await;
    assert_eq!(imported.json()["inserted"], 6, "{}", imported.text());
    let street = app.staff_in(&city, "wt.ops", "operator", "SZ-SIP-WT").await;
    let moves = |to: &str, who: &str, csv: &str| {
        Req::post(&format!("/v1/admin/unions/{to}/moves")).bearer(who).raw("text/csv", csv.as_bytes().to_vec())
    };

    let file = "姓名,会员编号\n甲,M1\n乙,M2\n丁,M4\n甲,M1\n戊,M9\n";
    let report = app.send(moves("SZ-SIP-WT-J01", &street, file)).await;
    assert_eq!(report.status, 200, "{}", report.text());
    let r = report.json();
    assert_eq!(
        (r["updated"].as_u64(), r["unchanged"].as_u64(), r["rejected"].as_u64()),
        (Some(2), Some(0), Some(3)),
        "{r}"
    );
    let lines: Vec<u64> = r["rejections"].as_array().unwrap().iter().map(|x| x["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [4, 5, 6], "outside the street, named twice, unknown");
    let there = app.count("SELECT COUNT(*) AS n FROM roster WHERE union_org_code = 'SZ-SIP-WT-J01'").await;
    assert_eq!(there, 2);
    let history = app.count("SELECT COUNT(*) AS n FROM memberships WHERE began = 'moved' AND ended_at IS NULL").await;
    assert_eq!(history, 2, "each moved member's history records the move");
    let audit = app.send(Req::get("/v1/admin/audit").bearer(&city)).await.json();
    let logged = audit["items"].as_array().unwrap().iter().find(|e| e["action"] == "roster.move").unwrap();
    assert_eq!(
        logged["after"]["members"],
        json!([{"member_no": "M1", "from": "SZ-SIP-WT-G01"},
        {"member_no": "M2", "from": "SZ-SIP-WT-G01"}]),
        "{logged}"
    );

    // The street sees one M5, its own: moved, not refused as a repeat of the other street's.
    let own = app.send(moves("SZ-SIP-WT-J01", &street, "M5\n")).await.json();
    assert_eq!((own["updated"].as_u64(), own["rejected"].as_u64()), (Some(1), Some(0)), "{own}");
    let twice = app.send(moves("SZ-SIP-WT-J01", &city, "M5\n")).await.json();
    assert_eq!(twice["rejections"][0]["reason_en"], "the roster holds M5 more than once", "{twice}");

    // Again: already there. The refused rows come back as a file to fix.
    let again = app.send(moves("SZ-SIP-WT-J01", &street, "M1\nM9\n").header("accept", "text/csv")).await;
    assert_eq!(again.status, 200);
    assert!(again.text().contains("M9"), "{}", again.text());
    assert!(!again.text().contains("M1,"), "{}", again.text());

    // The target: in the street, a grassroots or joint union; the role: one that writes.
    app.send(moves("SZ-SIP-XT-G01", &street, "M3\n")).await.problem(404, "union.not_found");
    app.send(moves("SZ-SIP-WT", &street, "M3\n")).await.problem(422, "application.not_grassroots");
    let auditor = app.staff(Role::Auditor).await;
    assert_eq!(app.send(moves("SZ-SIP-WT-J01", &auditor, "M3\n")).await.status, 403);
    let json = Req::post("/v1/admin/unions/SZ-SIP-WT-J01/moves").bearer(&street).json(json!({"member_no": "M3"}));
    assert_eq!(app.send(json).await.status, 415);

    // As a job: its progress and report polled.
    let job = app.send(moves("SZ-SIP-WT-G01", &street, "M1\nM2\nM3\n").header("prefer", "respond-async")).await;
    assert_eq!(job.status, 202, "{}", job.text());
    let at = job.header("location").unwrap().to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let done = loop {
        let polled = app.send(Req::get(&at).bearer(&street)).await.json();
        if polled["state"] != "running" {
            break polled;
        }
        assert!(std::time::Instant::now() < deadline, "the move job never ended");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    assert_eq!((done["state"].as_str(), done["kind"].as_str()), (Some("done"), Some("moves")), "{done}");
    assert_eq!((done["progress"]["updated"].as_u64(), done["progress"]["unchanged"].as_u64()), (Some(2), Some(1)));
}

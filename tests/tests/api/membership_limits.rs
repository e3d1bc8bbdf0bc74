//! Time limits in working days: a join filed the day before the National Day holiday is due after
//! the holiday and a make-up Saturday; past its limit it moves to the street federation's queue,
//! flagged overdue and audit-logged — all by the test clock. Approvals at once take member numbers
//! one after another, none twice, none skipped; two officers deciding one application at once
//! decide it once.

use chrono::{TimeZone, Utc};
use domain::admin::Role;
use serde_json::{json, Value};
use tests::{on_both_backends, Backend, Req, TestApp};

use crate::membership::{approve, join, TREE};

fn beijing(y: i32, m: u32, d: u32, h: u32, min: u32) -> chrono::DateTime<Utc> {
    domain::campaigns::window::SHANGHAI.with_ymd_and_hms(y, m, d, h, min, 0).unwrap().with_timezone(&Utc)
}

fn national_day() -> Value {
    let holidays: Vec<String> = (1..=7).map(|d| format!("2026-10-{d:02}")).collect();
    json!({"holidays": holidays, "workdays": ["2026-10-10"]})
}

on_both_backends!(a_limit_counts_working_days_and_an_overdue_application_moves_up);

async fn a_limit_counts_working_days_and_an_overdue_application_moves_up(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, TREE).await;
    let street = app.staff_in(&city, "wt.ops", "operator", "SZ-SIP-WT").await;
    let chair = app.staff_in(&city, "g01.chair", "union_officer", "SZ-SIP-WT-G01").await;

    // The federation's calendar: staff below the city may read it, not set it.
    app.send(Req::put("/v1/admin/calendar/2026").bearer(&street).json(national_day()))
        .await
        .problem(403, "auth.federation_only");
    let set = app.send(Req::put("/v1/admin/calendar/2026").bearer(&city).json(national_day())).await;
    assert_eq!(set.status, 200, "{}", set.text());
    let read = app.send(Req::get("/v1/admin/calendar/2026").bearer(&chair)).await.json();
    assert_eq!(read["workdays"], json!(["2026-10-10"]));
    let weekday = json!({"holidays": [], "workdays": ["2026-10-09"]});
    app.send(Req::put("/v1/admin/calendar/2026").bearer(&city).json(weekday)).await.problem(422, "calendar.invalid");

    // Wednesday 30 September, 10:00: 1–7 October off; Thursday 8, Friday 9, Saturday 10 (worked),
    // Monday 12, Tuesday 13 — due at midnight ending the 13th.
    app.clock.set(beijing(2026, 9, 30, 10, 0));
    let worker = app.unlisted_member(1).await;
    let filed = app.send(Req::post("/v1/me/applications").bearer(&worker).json(join("SZ-SIP-WT-G01", 1))).await;
    assert_eq!(filed.status, 201, "{}", filed.text());
    assert_eq!(filed.json()["due_at"], json!(beijing(2026, 10, 14, 0, 0)));
    let one = format!("/v1/admin/applications/{}", filed.json()["id"].as_str().unwrap());

    let queue = |code: &str| Req::get(&format!("/v1/admin/applications?queue={code}")).bearer(&street);
    app.clock.set(beijing(2026, 10, 13, 23, 59));
    let waiting = app.send(Req::get(&one).bearer(&chair)).await.json();
    assert_eq!((waiting["queue_code"].as_str(), waiting["overdue"].as_bool()), (Some("SZ-SIP-WT-G01"), Some(false)));
    assert_eq!(app.send(queue("SZ-SIP-WT")).await.json()["items"], json!([]));

    // Past it: in the street federation's queue, flagged, and the move is in the audit log.
    app.clock.set(beijing(2026, 10, 14, 0, 1));
    let escalated = app.send(queue("SZ-SIP-WT")).await.json();
    assert_eq!(escalated["items"].as_array().unwrap().len(), 1, "{escalated}");
    let item = &escalated["items"][0];
    assert_eq!((item["overdue"].as_bool(), item["escalations"].as_u64()), (Some(true), Some(1)));
    // The street's own limit: 5 working days after the 13th.
    assert_eq!(item["due_at"], json!(beijing(2026, 10, 21, 0, 0)));
    assert_eq!(app.send(queue("SZ-SIP-WT-G01")).await.json()["items"], json!([]));
    let overdue = app.send(Req::get("/v1/admin/applications?overdue=true").bearer(&street)).await.json();
    assert_eq!(overdue["items"].as_array().unwrap().len(), 1);
    let audit = app.send(Req::get("/v1/admin/audit").bearer(&city)).await.json();
    let moves: Vec<&Value> =
        audit["items"].as_array().unwrap().iter().filter(|e| e["action"] == "application.escalate").collect();
    assert_eq!(moves.len(), 1, "{audit}");
    assert_eq!(moves[0]["after"]["queue"], "SZ-SIP-WT");

    // Decided late, still by the union's officer.
    let decided = app.send(Req::post(&format!("{one}/decision")).bearer(&chair).json(approve())).await;
    assert_eq!(decided.status, 200, "{}", decided.text());
    assert_eq!(decided.json()["decided_late"], true);
}

on_both_backends!(changing_the_limits_or_the_calendar_moves_open_deadlines);

async fn changing_the_limits_or_the_calendar_moves_open_deadlines(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, TREE).await;
    let defaults = app.send(Req::get("/v1/admin/application-limits").bearer(&city)).await.json();
    assert_eq!(defaults, json!({"join": 5, "transfer": 5, "leave": 5}));
    app.clock.set(beijing(2026, 9, 30, 10, 0));
    let worker = app.unlisted_member(1).await;
    let filed = app.send(Req::post("/v1/me/applications").bearer(&worker).json(join("SZ-SIP-WT-G01", 1))).await.json();
    let mine = format!("/v1/me/applications/{}", filed["id"].as_str().unwrap());
    // No calendar loaded: weekdays only.
    assert_eq!(filed["due_at"], json!(beijing(2026, 10, 8, 0, 0)));

    let limits = json!({"join": 2, "transfer": 5, "leave": 10});
    let set = app.send(Req::put("/v1/admin/application-limits").bearer(&city).json(limits.clone())).await;
    assert_eq!(set.json(), limits);
    assert_eq!(app.send(Req::get(&mine).bearer(&worker)).await.json()["due_at"], json!(beijing(2026, 10, 3, 0, 0)));
    let bad = json!({"join": 0, "transfer": 5, "leave": 5});
    app.send(Req::put("/v1/admin/application-limits").bearer(&city).json(bad))
        .await
        .problem(422, "validation.invalid_field");

    app.send(Req::put("/v1/admin/calendar/2026").bearer(&city).json(national_day())).await;
    // Thursday 8 and Friday 9 October.
    assert_eq!(app.send(Req::get(&mine).bearer(&worker)).await.json()["due_at"], json!(beijing(2026, 10, 10, 0, 0)));
}

on_both_backends!(approvals_at_once_take_numbers_one_after_another);

async fn approvals_at_once_take_numbers_one_after_another(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, TREE).await;
    let officers = [
        app.staff_in(&city, "g01.chair", "union_officer", "SZ-SIP-WT-G01").await,
        app.staff_in(&city, "j01.chair", "union_officer", "SZ-SIP-WT-J01").await,
        app.staff_in(&city, "wt.ops", "operator", "SZ-SIP-WT").await,
    ];
    let mut ids = Vec::new();
    for (n, token) in (1..).zip(app.unlisted_members(24).await) {
        let union = if n % 2 == 0 { "SZ-SIP-WT-G01" } else { "SZ-SIP-WT-J01" };
        let filed = app.send(Req::post("/v1/me/applications").bearer(&token).json(join(union, n))).await;
        assert_eq!(filed.status, 201, "{}", filed.text());
        ids.push((union, filed.json()["id"].as_str().unwrap().to_owned()));
    }
    // Every application decided twice at once, by its union's officer and the street's operator.
    let decisions = ids.iter().flat_map(|(union, id)| {
        let own = if *union == "SZ-SIP-WT-G01" { &officers[0] } else { &officers[1] };
        [own, &officers[2]].map(|who| {
            app.send(Req::post(&format!("/v1/admin/applications/{id}/decision")).bearer(who).json(approve()))
        })
    });
    let replies = futures_util::future::join_all(decisions).await;
    let mut numbers: Vec<String> = Vec::new();
    for pair in replies.chunks(2) {
        let statuses: Vec<u16> = pair.iter().map(|r| r.status).collect();
        assert!(statuses == [200, 409] || statuses == [409, 200], "{statuses:?}: {}", pair[0].text());
        let won = pair.iter().find(|r| r.status == 200).unwrap();
        numbers.push(won.json()["member_no"].as_str().unwrap().to_owned());
    }
    numbers.sort();
    let expected: Vec<String> = (1..=24).map(|n| format!("SZ-SIP-WT-{n:06}")).collect();
    assert_eq!(numbers, expected, "one federation's numbers, none twice, none skipped");
    let active = app.count("SELECT COUNT(*) AS n FROM roster WHERE status = 'active'").await;
    assert_eq!(active, 24);
}

on_both_backends!(two_requests_at_once_open_one_application);

async fn two_requests_at_once_open_one_application(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, TREE).await;
    let token = app.unlisted_member(1).await;
    let send = |union: &str| app.send(Req::post("/v1/me/applications").bearer(&token).json(join(union, 1)));
    let (a, b) = tokio::join!(send("SZ-SIP-WT-G01"), send("SZ-SIP-WT-J01"));
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [201, 409], "{} / {}", a.text(), b.text());
    let loser = if a.status == 409 { &a } else { &b };
    assert_eq!(loser.json()["code"], "application.open_exists");
    let open = app.count("SELECT COUNT(*) AS n FROM applications WHERE state = 'open'").await;
    assert_eq!(open, 1);
}

on_both_backends!(a_calendar_loaded_late_moves_the_deadlines_of_what_escalated_too);

async fn a_calendar_loaded_late_moves_the_deadlines_of_what_escalated_too(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, TREE).await;
    app.clock.set(beijing(2026, 9, 30, 10, 0));
    let worker = app.unlisted_member(1).await;
    let filed = app.send(Req::post("/v1/me/applications").bearer(&worker).json(join("SZ-SIP-WT-G01", 1))).await.json();
    let one = format!("/v1/admin/applications/{}", filed["id"].as_str().unwrap());
    // No calendar yet: weekdays only, so it runs out on the 8th and escalates.
    app.clock.set(beijing(2026, 10, 8, 0, 1));
    let escalated = app.send(Req::get(&one).bearer(&city)).await.json();
    assert_eq!((escalated["queue_code"].as_str(), escalated["escalations"].as_u64()), (Some("SZ-SIP-WT"), Some(1)));
    assert_eq!(escalated["due_at"], json!(beijing(2026, 10, 15, 0, 0)));
    // The holiday calendar arrives late: the chain of limits is counted again from the submission
    // (first limit to the 14th, the street's to the 21st); it stays in the street's queue.
    app.send(Req::put("/v1/admin/calendar/2026").bearer(&city).json(national_day())).await;
    let recounted = app.send(Req::get(&one).bearer(&city)).await.json();
    assert_eq!(recounted["due_at"], json!(beijing(2026, 10, 21, 0, 0)), "{recounted}");
    assert_eq!((recounted["queue_code"].as_str(), recounted["escalations"].as_u64()), (Some("SZ-SIP-WT"), Some(1)));
}

on_both_backends!(two_calendars_sent_at_once_replace_the_year_one_after_the_other);

async fn two_calendars_sent_at_once_replace_the_year_one_after_the_other(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    let other = json!({"holidays": ["2026-10-01", "2026-10-02"], "workdays": []});
    let send = |body: Value| app.send(Req::put("/v1/admin/calendar/2026").bearer(&city).json(body));
    let (a, b) = tokio::join!(send(national_day()), send(other.clone()));
    assert_eq!((a.status, b.status), (200, 200), "{} / {}", a.text(), b.text());
    let held = app.send(Req::get("/v1/admin/calendar/2026").bearer(&city)).await.json();
    assert!(held == national_day() || held == other, "one whole calendar, not a mix: {held}");
}

//! Service windows: a member applies for an illness subsidy with a scan of the diagnosis; a
//! caseworker of the member's street accepts it, sends it back for a missing page, and approves it;
//! time limits in working days climb the tree when they run out and stop while the member is asked
//! for more; every staff read is logged; nothing a refused upload sent is kept.

use chrono::{DateTime, TimeZone, Utc};
use domain::admin::Role;
use domain::campaigns::window::SHANGHAI;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tests::services::{case_part, illness_kind, legal_kind, pdf, png, Form};
use tests::{on_both_backends, Backend, Req, TestApp};

use crate::membership::TREE;

fn beijing(s: &str) -> DateTime<Utc> {
    let t: chrono::NaiveDateTime = s.parse().unwrap();
    SHANGHAI.from_local_datetime(&t).unwrap().with_timezone(&Utc)
}

pub(crate) fn kinds_of(events: &Value) -> Vec<&str> {
    events.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect()
}

fn illness(answers: Value) -> Form {
    Form::default().text("case", &case_part("illness-subsidy", answers))
}

fn answers() -> Value {
    json!({"diagnosis": "急性心肌梗死", "self_paid_fen": 4_830_000, "hospital": "苏大附一院"})
}

on_both_backends!(a_member_applies_for_an_illness_subsidy_and_a_caseworker_decides_it);

async fn a_member_applies_for_an_illness_subsidy_and_a_caseworker_decides_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, TREE).await;
    app.create_kind(&city, illness_kind()).await;
    let phone = app.member_of(&city, "SZ-SIP-WT-G01", 1).await;
    let member = app.member_token(&phone).await;

    // Six months a member at least: not yet.
    let offered = app.send(Req::get("/v1/me/service-kinds").bearer(&member)).await.json();
    assert_eq!(offered["items"][0]["eligible"], false, "{offered}");
    assert_eq!(offered["items"][0]["why_not"], "case.too_recent");
    let scan = pdf(200_000);
    let good = || illness(answers()).file("diagnosis_proof", "../../etc/诊断证明.pdf", "application/pdf", scan.clone());
    app.send(good().request("/v1/me/cases").bearer(&member)).await.problem(403, "case.too_recent");

    app.clock.advance(chrono::Duration::days(200));
    let member = app.member_token(&phone).await;
    // The member confirms an address: steps that wait on them or settle the case reach it.
    let address = "member.case@example.cn";
    assert_eq!(app.send(Req::patch("/v1/me").bearer(&member).json(json!({"email": address}))).await.status, 200);
    let code = app.mail_code_to(address).await;
    let confirmed = app.send(Req::post("/v1/me/email/confirm").bearer(&member).json(json!({"code": code}))).await;
    assert_eq!(confirmed.status, 200, "{}", confirmed.text());
    let city = app.login("t.admin").await;
    let caseworker = app.staff_in(&city, "cw.wang", "caseworker", "SZ-SIP-WT").await;
    let elsewhere = app.staff_in(&city, "cw.xt", "caseworker", "SZ-SIP-XT").await;
    let auditor = app.staff(Role::Auditor).await;
    let offered = app.send(Req::get("/v1/me/service-kinds").bearer(&member)).await.json();
    assert_eq!(
        (offered["items"][0]["eligible"].as_bool(), &offered["items"][0]["why_not"]),
        (Some(true), &Value::Null)
    );

    // Everything wrong with an upload is refused, and leaves nothing behind.
    app.send(illness(answers()).request("/v1/me/cases").bearer(&member)).await.problem(422, "case.attachment_missing");
    let lying =
        illness(answers()).file("diagnosis_proof", "诊断.pdf", "application/pdf", b"MZ\x90\x00 not a pdf".to_vec());
    assert_eq!(
        app.send(lying.request("/v1/me/cases").bearer(&member)).await.problem(415, "case.attachment_type")["slot"],
        "diagnosis_proof"
    );
    let png_as_invoice = illness(answers()).file("diagnosis_proof", "a.pdf", "application/pdf", scan.clone()).file(
        "invoice",
        "发票.png",
        "image/png",
        png(1_000),
    );
    app.send(png_as_invoice.request("/v1/me/cases").bearer(&member)).await.problem(415, "case.attachment_type");
    let big = illness(answers()).file("diagnosis_proof", "big.pdf", "application/pdf", pdf(1_048_577));
    app.send(big.request("/v1/me/cases").bearer(&member)).await.problem(413, "case.attachment_too_large");
    let empty = illness(answers()).file("diagnosis_proof", "empty.pdf", "application/pdf", Vec::new());
    app.send(empty.request("/v1/me/cases").bearer(&member)).await.problem(422, "case.attachment_empty");
    let stranger = illness(answers()).file("diagnosis_proof", "a.pdf", "application/pdf", scan.clone()).file(
        "x_ray",
        "x.png",
        "image/png",
        png(100),
    );
    app.send(stranger.request("/v1/me/cases").bearer(&member)).await.problem(422, "case.attachment_unknown_slot");
    let wrong = illness(json!({"diagnosis": "", "self_paid_fen": "4830000", "hospital": "别的医院", "extra": 1})).file(
        "diagnosis_proof",
        "a.pdf",
        "application/pdf",
        scan.clone(),
    );
    let refused = app.send(wrong.request("/v1/me/cases").bearer(&member)).await.problem(422, "case.form_invalid");
    let mut fields: Vec<&str> =
        refused["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    fields.sort_unstable();
    assert_eq!(fields, ["diagnosis", "extra", "hospital", "self_paid_fen"], "{refused}");
    let mut cut = good().body();
    cut.truncate(cut.len() - 40_000);
    let truncated = Req::post("/v1/me/cases")
        .bearer(&member)
        .raw(&format!("multipart/form-data; boundary={}", tests::services::BOUNDARY), cut);
    app.send(truncated).await.problem(400, "request.multipart_invalid");
    app.send(Req::post("/v1/me/cases").bearer(&member).json(json!({"kind": "illness-subsidy"})))
        .await
        .problem(415, "request.multipart_required");
    app.send(
        Form::default().text("case", &case_part("no-such-kind", json!({}))).request("/v1/me/cases").bearer(&member),
    )
    .await
    .problem(404, "service_kind.not_found");
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM service_cases").await, 0);
    assert_eq!(app.stored_files(), 0, "a refused upload keeps no file");

    // Filed: the file's name loses its path; the case waits in the member's union's queue.
    let filed = app.send(good().request("/v1/me/cases").bearer(&member)).await;
    assert_eq!(filed.status, 201, "{}", filed.text());
    let case = filed.json();
    let id = case["id"].as_str().unwrap().to_owned();
    assert_eq!(filed.header("location"), Some(format!("/v1/me/cases/{id}").as_str()));
    assert_eq!((case["state"].as_str(), case["queue"].as_str()), (Some("submitted"), Some("SZ-SIP-WT-G01")));
    assert!(case["number"].as_str().unwrap().starts_with("FW"), "{case}");
    assert_eq!(case["answers"], answers());
    let file = &case["attachments"][0];
    assert_eq!(file["file_name"], "诊断证明.pdf");
    assert_eq!(file["sha256"], hex::encode(Sha256::digest(&scan)));
    assert!(case["due_at"].is_string() && case.get("member_id").is_none(), "{case}");
    assert_eq!(app.stored_files(), 1);
    let href = file["href"].as_str().unwrap().to_owned();
    let got = app.send(Req::get(&href).bearer(&member)).await;
    assert_eq!((got.status, got.header("content-type")), (200, Some("application/pdf")));
    assert_eq!(got.body, scan, "the member reads back the very bytes");

    // Nobody else's: another member, another street's caseworker, the auditor.
    let other = app.member_token(&app.member_of(&city, "SZ-SIP-WT-G01", 2).await).await;
    app.send(Req::get(&format!("/v1/me/cases/{id}")).bearer(&other)).await.problem(404, "case.not_found");
    app.send(Req::get(&href).bearer(&other)).await.problem(404, "case.attachment_not_found");
    let one = format!("/v1/admin/service-cases/{id}");
    app.send(Req::get(&one).bearer(&elsewhere)).await.problem(404, "case.not_found");
    assert_eq!(app.send(Req::get("/v1/admin/service-cases").bearer(&elsewhere)).await.json()["items"], json!([]));
    assert_eq!(app.send(Req::get(&one).bearer(&auditor)).await.status, 403);
    let staff_file = format!("{one}/attachments/{}", file["id"].as_str().unwrap());
    app.send(Req::get(&staff_file).bearer(&elsewhere)).await.problem(404, "case.attachment_not_found");

    // The street's caseworker: queue, the case, accept (and takes it), a second accept refused.
    let queue = app.send(Req::get("/v1/admin/service-cases").bearer(&caseworker)).await.json();
    assert_eq!(queue["items"][0]["id"], id.as_str(), "{queue}");
    assert!(queue["items"][0].get("answers").is_none(), "a queue line carries no details");
    assert_eq!(app.send(Req::get(&one).bearer(&caseworker)).await.json()["answers"], answers());
    assert_eq!(app.send(Req::get(&staff_file).bearer(&caseworker)).await.body, scan);
    let steps = format!("{one}/steps");
    let accepted = app.send(Req::post(&steps).bearer(&caseworker).json(json!({"step": "accept"}))).await;
    assert_eq!(accepted.status, 200, "{}", accepted.text());
    assert_eq!(
        (accepted.json()["state"].as_str(), accepted.json()["assignee"].as_str()),
        (Some("accepted"), Some("cw.wang"))
    );
    app.send(Req::post(&steps).bearer(&caseworker).json(json!({"step": "accept"})))
        .await
        .problem(409, "case.wrong_state");
    app.send(Req::post(&steps).bearer(&caseworker).json(json!({"step": "answer", "body": "x"})))
        .await
        .problem(409, "case.wrong_state");
    app.send(Req::post(&steps).bearer(&caseworker).json(json!({"step": "assign", "caseworker": "cw.xt"})))
        .await
        .problem(422, "case.not_assignable");

    // Sent back for the invoice: the clock stops; the member sends it; the clock runs again.
    let returned = app
        .send(Req::post(&steps).bearer(&caseworker).json(json!({"step": "return", "missing": "请补充医疗费用发票"})))
        .await
        .json();
    assert_eq!((returned["state"].as_str(), &returned["due_at"]), (Some("returned"), &Value::Null), "{returned}");
    let mail = app.mail_to_saying(address, "需要补充材料").await;
    assert!(mail.contains(returned["number"].as_str().unwrap()), "{mail}");
    assert!(
        !mail.contains("发票") && !mail.contains("心肌梗死"),
        "the mail says where to look, not what the case holds"
    );
    let invoice = pdf(5_000);
    let answer =
        Form::default().text("body", "已补充发票").file("invoice", "发票.pdf", "application/pdf", invoice.clone());
    let back = app.send(answer.request(&format!("/v1/me/cases/{id}/resubmission")).bearer(&member)).await;
    assert_eq!(back.status, 200, "{}", back.text());
    assert_eq!(back.json()["state"], "accepted", "back where it was when returned");
    assert!(back.json()["due_at"].is_string());
    assert_eq!(back.json()["attachments"].as_array().unwrap().len(), 2);
    let again = Form::default().text("body", "再补一次");
    app.send(again.request(&format!("/v1/me/cases/{id}/resubmission")).bearer(&member))
        .await
        .problem(409, "case.wrong_state");

    // A note among staff, a message to the member; the decision within the kind's cap.
    let noted = app
        .send(Req::post(&format!("{one}/notes")).bearer(&caseworker).json(json!({"body": "已电话核实住院情况"})))
        .await;
    assert_eq!(noted.status, 200, "{}", noted.text());
    app.send(Req::post(&format!("{one}/messages")).bearer(&caseworker).json(json!({"body": "材料已齐，正在审核"})))
        .await;
    let year = chrono::Datelike::year(&domain::shared::Clock::now(&app.clock).with_timezone(&SHANGHAI));
    let budget = format!("/v1/admin/service-budgets/illness-subsidy/SZ-SIP/{year}");
    assert_eq!(app.send(Req::put(&budget).bearer(&city).json(json!({"cap_fen": 10_000_000}))).await.status, 200);
    let approve =
        |amount: Value| Req::post(&steps).bearer(&caseworker).json(json!({"step": "approve", "amount_fen": amount}));
    app.send(approve(json!(500_001))).await.problem(422, "validation.invalid_field");
    app.send(approve(Value::Null)).await.problem(422, "validation.invalid_field");
    let approved = app.send(approve(json!(300_000))).await.json();
    assert_eq!(
        (approved["state"].as_str(), approved["amount_fen"].as_i64()),
        (Some("approved"), Some(300_000)),
        "{approved}"
    );
    assert_eq!(approved["late"], false);
    app.mail_to_saying(address, "已批准").await;
    let closed = app.send(Req::post(&steps).bearer(&caseworker).json(json!({"step": "close"}))).await.json();
    assert_eq!(closed["state"], "closed");
    app.send(Req::post(&format!("/v1/me/cases/{id}/messages")).bearer(&member).json(json!({"body": "谢谢"})))
        .await
        .problem(409, "case.wrong_state");

    // The member's thread: no staff note, no staff names.
    let mine = app.send(Req::get(&format!("/v1/me/cases/{id}")).bearer(&member)).await.json();
    assert_eq!(
        kinds_of(&mine["events"]),
        ["submitted", "accepted", "returned", "resubmitted", "message", "approved", "closed"],
        "{mine}"
    );
    assert!(mine["events"].as_array().unwrap().iter().all(|e| e["staff"].is_null()));
    let theirs = app.send(Req::get(&one).bearer(&caseworker)).await.json();
    assert!(kinds_of(&theirs["events"]).contains(&"note"));
    let list = app.send(Req::get("/v1/me/cases").bearer(&member)).await.json();
    assert_eq!(list["items"][0]["state"], "closed");

    // Every read by staff is on the record, for the auditor; a caseworker does not read it.
    let reads = app.send(Req::get(&format!("/v1/admin/service-case-reads?case={id}")).bearer(&auditor)).await.json();
    let seen: Vec<(&str, &str)> = reads["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["staff"].as_str().unwrap(), r["what"].as_str().unwrap()))
        .collect();
    assert!(
        seen.contains(&("cw.wang", "case")) && seen.contains(&("cw.wang", file["id"].as_str().unwrap())),
        "{reads}"
    );
    assert!(seen.iter().all(|(who, _)| *who == "cw.wang"), "refused reads are not reads: {reads}");
    assert_eq!(app.send(Req::get("/v1/admin/service-case-reads").bearer(&caseworker)).await.status, 403);
    let audit = app.send(Req::get("/v1/admin/audit").bearer(&city)).await.json();
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    for action in ["service_kind.create", "case.accept", "case.return", "case.approve", "case.close"] {
        assert!(actions.contains(&action), "{action}: {actions:?}");
    }
}

on_both_backends!(time_limits_climb_the_tree_stop_while_returned_and_follow_the_calendar);

async fn time_limits_climb_the_tree_stop_while_returned_and_follow_the_calendar(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, TREE).await;
    app.create_kind(&city, legal_kind()).await;
    let phone = app.member_of(&city, "SZ-SIP-WT-G01", 3).await;
    // Tuesday 1 December 2026, 09:00 in Suzhou: two working days to accept, to the end of Thursday.
    app.clock.set(beijing("2026-12-01T09:00:00"));
    let member = app.member_token(&phone).await;
    let city = app.login("t.admin").await;
    let case = app.ask(&member, "公司拖欠工资两个月，怎么办？").await;
    let id = case["id"].as_str().unwrap().to_owned();
    assert_eq!(case["due_at"], json!(beijing("2026-12-04T00:00:00")));
    let one = format!("/v1/admin/service-cases/{id}");

    // Thursday night a holiday is declared for Thursday: the deadline moves to the end of Friday.
    let holiday = json!({"holidays": ["2026-12-03"], "workdays": []});
    let set = app.send(Req::put("/v1/admin/calendar/2026").bearer(&city).json(holiday)).await;
    assert_eq!(set.status, 200, "{}", set.text());
    let now = app.send(Req::get(&one).bearer(&city)).await.json();
    assert_eq!(now["due_at"], json!(beijing("2026-12-05T00:00:00")), "{now}");

    // Nobody accepts it: on Saturday it climbs to the street, whose limit counts from when the first
    // ran out (Monday and Tuesday).
    app.clock.set(beijing("2026-12-05T10:00:00"));
    let city = app.login("t.admin").await;
    let street = app.staff_in(&city, "cw.street", "caseworker", "SZ-SIP-WT").await;
    let queue = app.send(Req::get("/v1/admin/service-cases?queue=SZ-SIP-WT").bearer(&street)).await.json();
    let line = &queue["items"][0];
    assert_eq!((line["id"].as_str(), line["escalations"].as_u64()), (Some(id.as_str()), Some(1)), "{queue}");
    assert_eq!((line["late"].as_bool(), line["overdue"].as_bool()), (Some(true), Some(false)));
    assert_eq!(line["due_at"], json!(beijing("2026-12-09T00:00:00")));
    let overdue = app.send(Req::get("/v1/admin/service-cases?overdue=true").bearer(&street)).await.json();
    assert_eq!(overdue["items"], json!([]));

    // Accepted Monday; five working days to answer (to the end of Monday 14th). Returned Wednesday:
    // Tuesday used. A week later the member answers: four days left from then.
    app.clock.set(beijing("2026-12-07T09:00:00"));
    let street = app.login("cw.street").await;
    let steps = format!("{one}/steps");
    let accepted = app.send(Req::post(&steps).bearer(&street).json(json!({"step": "accept"}))).await.json();
    assert_eq!(accepted["due_at"], json!(beijing("2026-12-15T00:00:00")), "{accepted}");
    app.clock.set(beijing("2026-12-09T15:00:00"));
    let street = app.login("cw.street").await;
    app.send(Req::post(&steps).bearer(&street).json(json!({"step": "return", "missing": "请上传劳动合同"}))).await;
    app.clock.set(beijing("2026-12-16T20:00:00"));
    let member = app.member_token(&phone).await;
    let street = app.login("cw.street").await;
    let waiting = app.send(Req::get("/v1/admin/service-cases?state=returned").bearer(&street)).await.json();
    assert_eq!(waiting["items"][0]["escalations"], 1, "no escalation while the member is asked: {waiting}");
    let answer = Form::default().file("contract", "合同.png", "image/png", png(3_000));
    let back = app.send(answer.request(&format!("/v1/me/cases/{id}/resubmission")).bearer(&member)).await.json();
    assert_eq!(back["due_at"], json!(beijing("2026-12-23T00:00:00")), "{back}");

    // Answered late? No: within the days left. Then a member cannot withdraw what is answered.
    let answered = app
        .send(
            Req::post(&steps)
                .bearer(&street)
                .json(json!({"step": "answer", "body": "可向劳动监察大队投诉，我们可代写投诉书。"})),
        )
        .await
        .json();
    assert_eq!(answered["state"], "answered", "{answered}");
    app.send(Req::post(&format!("/v1/me/cases/{id}/withdrawal")).bearer(&member))
        .await
        .problem(409, "case.wrong_state");
    let events = app.send(Req::get(&one).bearer(&street)).await.json();
    assert_eq!(
        kinds_of(&events["events"]),
        ["submitted", "escalated", "accepted", "returned", "resubmitted", "answered"],
        "{events}"
    );
    assert_eq!(events["events"][1]["escalated_to"], "SZ-SIP-WT");
}

on_both_backends!(two_caseworkers_pressing_accept_at_once_one_wins);

async fn two_caseworkers_pressing_accept_at_once_one_wins(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, TREE).await;
    app.create_kind(&city, legal_kind()).await;
    let member = app.member_token(&app.member_of(&city, "SZ-SIP-WT-J01", 4).await).await;
    let a = app.staff_in(&city, "cw.a", "caseworker", "SZ-SIP-WT").await;
    let b = app.staff_in(&city, "cw.b", "caseworker", "SZ-SIP").await;
    for round in 0..5 {
        let case = app.ask(&member, &format!("第 {round} 个问题")).await;
        let steps = format!("/v1/admin/service-cases/{}/steps", case["id"].as_str().unwrap());
        let accept = |who: &str| app.send(Req::post(&steps).bearer(who).json(json!({"step": "accept"})));
        let (x, y) = tokio::join!(accept(&a), accept(&b));
        let mut statuses = [x.status, y.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "{} / {}", x.text(), y.text());
        let events =
            app.send(Req::get(&format!("/v1/me/cases/{}", case["id"].as_str().unwrap())).bearer(&member)).await.json();
        assert_eq!(kinds_of(&events["events"]), ["submitted", "accepted"], "accepted once");
    }
    // A member withdraws what was not answered; nothing more can happen to it.
    let case = app.ask(&member, "还想问一下").await;
    let id = case["id"].as_str().unwrap();
    let gone = app.send(Req::post(&format!("/v1/me/cases/{id}/withdrawal")).bearer(&member)).await.json();
    assert_eq!((gone["state"].as_str(), &gone["due_at"]), (Some("withdrawn"), &Value::Null));
    app.send(Req::post(&format!("/v1/admin/service-cases/{id}/steps")).bearer(&a).json(json!({"step": "accept"})))
        .await
        .problem(409, "case.wrong_state");
}

on_both_backends!(kinds_are_the_city_s_to_configure_and_checked_like_any_input);

async fn kinds_are_the_city_s_to_configure_and_checked_like_any_input(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, TREE).await;
    let district = app.staff_in(&city, "sip.ops", "operator", "SZ-SIP").await;
    let caseworker = app.staff_in(&city, "cw.sip", "caseworker", "SZ-SIP").await;
    app.send(Req::post("/v1/admin/service-kinds").bearer(&district).json(legal_kind()))
        .await
        .problem(403, "auth.federation_only");
    assert_eq!(app.send(Req::post("/v1/admin/service-kinds").bearer(&caseworker).json(legal_kind())).await.status, 403);
    let bad = |patch: Value| {
        let mut k = illness_kind();
        for (key, v) in patch.as_object().unwrap() {
            k[key] = v.clone();
        }
        Req::post("/v1/admin/service-kinds").bearer(&city).json(k)
    };
    for patch in [
        json!({"code": "Bad Code"}),
        json!({"accept_days": 0}),
        json!({"category": "consultation"}),
        json!({"money": {"max_amount_fen": 100, "once": "child_school_year", "child_field": "diagnosis"}}),
        json!({"fields": [{"key": "a", "label": "A", "type": "fen", "min": 5, "max": 1}]}),
        json!({"attachments": [{"key": "a", "label": "A", "max_files": 1, "max_bytes": 20_000_000, "types": ["pdf"]}]}),
        json!({"fields": [{"key": "a", "label": "A", "type": "text", "max_chars": 10}, {"key": "a", "label": "B", "type": "id_number"}]}),
    ] {
        let reply = app.send(bad(patch.clone())).await;
        assert_eq!(reply.status, 422, "{patch}: {}", reply.text());
    }
    app.create_kind(&city, illness_kind()).await;
    app.send(Req::post("/v1/admin/service-kinds").bearer(&city).json(illness_kind()))
        .await
        .problem(409, "service_kind.exists");
    // Retired: not offered, not taken; the caseworker still reads it in the list of all.
    let mut retired = illness_kind();
    retired["active"] = json!(false);
    let put = app.send(Req::put("/v1/admin/service-kinds/illness-subsidy").bearer(&city).json(retired.clone())).await;
    assert_eq!(put.status, 200, "{}", put.text());
    retired["category"] = json!("complaint");
    retired["money"] = Value::Null;
    app.send(Req::put("/v1/admin/service-kinds/illness-subsidy").bearer(&city).json(retired))
        .await
        .problem(422, "validation.invalid_field");
    let member = app.member_token(&app.member_of(&city, "SZ-SIP-WT-G01", 5).await).await;
    assert_eq!(app.send(Req::get("/v1/me/service-kinds").bearer(&member)).await.json()["items"], json!([]));
    let form = Form::default().text("case", &case_part("illness-subsidy", json!({})));
    app.send(form.request("/v1/me/cases").bearer(&member)).await.problem(409, "service_kind.retired");
    let all = app.send(Req::get("/v1/admin/service-kinds?retired=true").bearer(&caseworker)).await.json();
    assert_eq!(all["items"][0]["active"], false, "{all}");
    // A caseworker reaches cases and kinds, nothing else of the staff API.
    assert_eq!(app.send(Req::get("/v1/admin/campaigns").bearer(&caseworker)).await.status, 403);
    assert_eq!(app.send(Req::get("/v1/admin/applications").bearer(&caseworker)).await.status, 403);
}

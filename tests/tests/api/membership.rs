//! Membership online: a worker not on the roster finds the union of their workplace and applies to
//! join; its officer approves, and the member is active at once with a new member number. Members
//! transfer between unions (the receiving union decides, the sending one is told and may comment)
//! and leave; the history keeps each stretch. Outside an officer's part of the tree, applications do
//! not exist.

use domain::admin::Role;
use serde_json::{json, Value};
use tests::members::id_number;
use tests::{on_both_backends, Backend, Req, TestApp};

pub const TREE: &str = "工会编码,工会名称,类型,上级工会编码,覆盖单位\n\
    SZ-SIP,苏州工业园区总工会,区总工会,ROOT,\n\
    SZ-SIP-WT,娄葑街道总工会,街道总工会,SZ-SIP,\n\
    SZ-SIP-WT-G01,某科技公司工会,基层工会,SZ-SIP-WT,苏州某某科技有限公司\n\
    SZ-SIP-WT-J01,娄葑街道联合工会,联合工会,SZ-SIP-WT,苏州小店甲;苏州小店乙\n\
    SZ-SIP-XT,斜塘街道总工会,街道总工会,SZ-SIP,\n\
    SZ-SIP-XT-G01,某医院工会,基层工会,SZ-SIP-XT,苏州某某医院\n";

/// A join by the `n`th worker not on the roster, giving their name and ID number.
pub fn join(union: &str, n: u32) -> Value {
    json!({"kind": "join", "union_code": union, "employer": "苏州某某科技有限公司", "position": "装配工",
        "started_on": "2026-03-01", "consent": true, "name": "李职工", "id_number": id_number("19950505", n)})
}

/// A join from an account with a real name bound: nothing more to give.
pub fn bound_join(union: &str) -> Value {
    let mut body = join(union, 0);
    body.as_object_mut().unwrap().retain(|k, _| k != "name" && k != "id_number");
    body
}

pub fn approve() -> Value {
    json!({"decision": "approve"})
}

/// `text` percent-encoded for a query string.
fn encoded(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

fn codes(page: &Value) -> Vec<&str> {
    page["items"].as_array().unwrap().iter().map(|n| n["code"].as_str().unwrap()).collect()
}

fn ids(page: &Value) -> Vec<&str> {
    page["items"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap()).collect()
}

on_both_backends!(a_worker_joins_online_and_is_active_at_once);

async fn a_worker_joins_online_and_is_active_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, TREE).await;
    let chair = app.staff_in(&city, "g01.chair", "union_officer", "SZ-SIP-WT-G01").await;
    let other = app.staff_in(&city, "xt.ops", "operator", "SZ-SIP-XT").await;
    let auditor = app.staff(Role::Auditor).await;
    let worker = app.unlisted_member(1).await;

    // The workplace's union, found by its employer; federations are not offered.
    let found = app.send(Req::get(&format!("/v1/unions?q={}", encoded("某某科技"))).bearer(&worker)).await;
    assert_eq!(found.status, 200, "{}", found.text());
    assert_eq!(codes(&found.json()), ["SZ-SIP-WT-G01"]);
    let towns = app.send(Req::get(&format!("/v1/unions?q={}", encoded("街道"))).bearer(&worker)).await.json();
    assert_eq!(codes(&towns), ["SZ-SIP-WT-J01"], "the street's joint union, not the street federations");

    // Consent is part of asking; a federation takes no members; one open application per person.
    let mut no_consent = join("SZ-SIP-WT-G01", 1);
    no_consent["consent"] = json!(false);
    app.send(Req::post("/v1/me/applications").bearer(&worker).json(no_consent))
        .await
        .problem(422, "validation.invalid_field");
    app.send(Req::post("/v1/me/applications").bearer(&worker).json(join("SZ-SIP-WT", 1)))
        .await
        .problem(422, "application.not_grassroots");
    app.send(Req::post("/v1/me/applications").bearer(&worker).json(join("SZ-NOWHERE", 1)))
        .await
        .problem(404, "union.not_found");
    let filed = app.send(Req::post("/v1/me/applications").bearer(&worker).json(join("SZ-SIP-WT-G01", 1))).await;
    assert_eq!(filed.status, 201, "{}", filed.text());
    let id = filed.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(filed.header("location"), Some(format!("/v1/me/applications/{id}").as_str()));
    assert_eq!(filed.json()["state"], "open");
    assert_eq!(filed.json()["applicant"], Value::Null, "members see no staff fields");
    let again = app.send(Req::post("/v1/me/applications").bearer(&worker).json(join("SZ-SIP-WT-J01", 1))).await;
    assert_eq!(again.problem(409, "application.open_exists")["application"], id.as_str());
    assert_eq!(app.send(Req::get("/v1/me").bearer(&worker)).await.json()["status"], "registered");

    // The union's officer has it in the queue; another street's operator does not see it at all.
    let queue = app.send(Req::get("/v1/admin/applications?queue=SZ-SIP-WT-G01&state=open").bearer(&chair)).await;
    assert_eq!(ids(&queue.json()), [id.as_str()], "{}", queue.text());
    assert_eq!(queue.json()["items"][0]["applicant"]["name"], "李**");
    assert_eq!(app.send(Req::get("/v1/admin/applications").bearer(&other)).await.json()["items"], json!([]));
    let one = format!("/v1/admin/applications/{id}");
    app.send(Req::get(&one).bearer(&other)).await.problem(404, "application.not_found");
    app.send(Req::post(&format!("{one}/decision")).bearer(&other).json(approve()))
        .await
        .problem(404, "application.not_found");
    assert_eq!(app.send(Req::post(&format!("{one}/decision")).bearer(&auditor).json(approve())).await.status, 403);
    app.send(Req::post(&format!("{one}/decision")).bearer(&chair).json(json!({"decision": "refuse"})))
        .await
        .problem(422, "validation.invalid_field");

    // Approved: on the roster with a new number, active at once.
    let decided = app.send(Req::post(&format!("{one}/decision")).bearer(&chair).json(approve())).await;
    assert_eq!(decided.status, 200, "{}", decided.text());
    assert_eq!(decided.json()["state"], "approved");
    assert_eq!(decided.json()["member_no"], "SZ-SIP-WT-000001");
    assert_eq!(decided.json()["decided_by"], "g01.chair");
    assert_eq!(decided.json()["decided_late"], false);
    let me = app.send(Req::get("/v1/me").bearer(&worker)).await.json();
    assert_eq!(me["status"], "activated", "{me}");
    assert_eq!(me["union"]["union_org_code"], "SZ-SIP-WT-G01", "{me}");
    assert_eq!(me["real_name"]["name"], "李**", "the name given is bound to the account");
    // Bound now: giving a name again is refused, and the ID number cannot back a second account.
    app.send(Req::post("/v1/me/applications").bearer(&worker).json(join("SZ-SIP-WT-J01", 1)))
        .await
        .problem(409, "realname.already_bound");
    let second = app.unlisted_member(2).await;
    app.send(Req::post("/v1/me/applications").bearer(&second).json(join("SZ-SIP-WT-J01", 1)))
        .await
        .problem(409, "realname.id_taken");
    app.send(Req::post(&format!("{one}/decision")).bearer(&chair).json(approve()))
        .await
        .problem(409, "application.decided");
    // The officer finds the new member by number; another street's staff do not.
    let by_number =
        |who: &str| Req::post("/v1/admin/members/search").bearer(who).json(json!({"query": "SZ-SIP-WT-000001"}));
    let found = app.send(by_number(&chair)).await.json();
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found["items"][0]["union"]["member_no"], "SZ-SIP-WT-000001");
    assert_eq!(app.send(by_number(&other)).await.json()["items"], json!([]));
    let history = app.send(Req::get("/v1/me/memberships").bearer(&worker)).await.json();
    assert_eq!(history["items"].as_array().unwrap().len(), 1, "{history}");
    assert_eq!(history["items"][0]["began"], "joined");
    assert_eq!(history["items"][0]["member_no"], "SZ-SIP-WT-000001");
    let audit = app.send(Req::get("/v1/admin/audit").bearer(&city)).await.json();
    let approval = audit["items"].as_array().unwrap().iter().find(|e| e["action"] == "application.approve");
    assert_eq!(approval.map(|e| &e["target"]), Some(&json!(id)), "{audit}");

    // Active now: joining again is a transfer.
    app.send(Req::post("/v1/me/applications").bearer(&worker).json(bound_join("SZ-SIP-WT-J01")))
        .await
        .problem(409, "application.already_member");
    let mine = app.send(Req::get("/v1/me/applications").bearer(&worker)).await.json();
    assert_eq!(ids(&mine), [id.as_str()]);
    assert_eq!(mine["items"][0]["decided_by"], Value::Null, "members are not told staff names");
}

on_both_backends!(a_member_transfers_and_then_leaves_and_the_history_keeps_both);

async fn a_member_transfers_and_then_leaves_and_the_history_keeps_both(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, TREE).await;
    let phone = app.member_of(&city, "SZ-SIP-WT-G01", 7).await;
    let member = app.member_token(&phone).await;
    let sending = app.staff_in(&city, "g01.chair", "union_officer", "SZ-SIP-WT-G01").await;
    // The sending union's staff with an address are told by mail.
    let told = app
        .send(Req::post("/v1/admin/users").bearer(&city).json(
            json!({"username": "g01.staff", "password": tests::TEST_PASSWORD,
            "display_name": "g01.staff", "role": "union_officer", "scope_code": "SZ-SIP-WT-G01",
            "email": "g01@union.example.cn"}),
        ))
        .await;
    assert_eq!(told.status, 201, "{}", told.text());
    let receiving = app.staff_in(&city, "xt.chair", "union_officer", "SZ-SIP-XT-G01").await;
    let bystander = app.staff_in(&city, "j01.chair", "union_officer", "SZ-SIP-WT-J01").await;

    let transfer = json!({"kind": "transfer", "union_code": "SZ-SIP-XT-G01", "employer": "苏州某某医院",
        "position": "护士", "started_on": "2026-11-01"});
    let mut same = transfer.clone();
    same["union_code"] = json!("SZ-SIP-WT-G01");
    app.send(Req::post("/v1/me/applications").bearer(&member).json(same)).await.problem(422, "application.same_union");
    let filed = app.send(Req::post("/v1/me/applications").bearer(&member).json(transfer)).await;
    assert_eq!(filed.status, 201, "{}", filed.text());
    assert_eq!(filed.json()["from_union_code"], "SZ-SIP-WT-G01");
    let mails =
        app.count("SELECT COUNT(*) AS n FROM jobs WHERE kind = 'mail' AND payload LIKE '%会员关系转出通知%'").await;
    assert_eq!(mails, 1);
    let one = format!("/v1/admin/applications/{}", filed.json()["id"].as_str().unwrap());

    // The sending union sees it and may comment, not decide; a third union sees nothing.
    assert_eq!(app.send(Req::get(&one).bearer(&sending)).await.status, 200);
    app.send(Req::get(&one).bearer(&bystander)).await.problem(404, "application.not_found");
    let remark = app
        .send(Req::post(&format!("{one}/comments")).bearer(&sending).json(json!({"text": "会费已缴清，同意转出"})))
        .await;
    assert_eq!(remark.status, 200, "{}", remark.text());
    assert_eq!(remark.json()["comments"][0]["union_code"], "SZ-SIP-WT-G01");
    app.send(Req::post(&format!("{one}/decision")).bearer(&sending).json(approve()))
        .await
        .problem(403, "application.not_deciding_union");

    let moved = app.send(Req::post(&format!("{one}/decision")).bearer(&receiving).json(approve())).await;
    assert_eq!(moved.status, 200, "{}", moved.text());
    let me = app.send(Req::get("/v1/me").bearer(&member)).await.json();
    assert_eq!(
        (me["status"].as_str(), me["union"]["union_org_code"].as_str()),
        (Some("activated"), Some("SZ-SIP-XT-G01"))
    );
    assert_eq!(me["union"]["member_no"], "M7", "a transfer keeps the member number");

    // Leaving: decided by the union left; the membership ends.
    let leave = app
        .send(Req::post("/v1/me/applications").bearer(&member).json(json!({"kind": "leave", "reason": "退休"})))
        .await;
    assert_eq!(leave.status, 201, "{}", leave.text());
    assert_eq!(leave.json()["union_code"], "SZ-SIP-XT-G01");
    let leave_at = format!("/v1/admin/applications/{}/decision", leave.json()["id"].as_str().unwrap());
    assert_eq!(app.send(Req::post(&leave_at).bearer(&receiving).json(approve())).await.status, 200);
    assert_eq!(app.send(Req::get("/v1/me").bearer(&member)).await.json()["status"], "registered");

    let history = app.send(Req::get("/v1/me/memberships").bearer(&member)).await.json();
    let spells: Vec<(&str, &str, Option<&str>)> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["union_code"].as_str().unwrap(), s["began"].as_str().unwrap(), s["ended"].as_str()))
        .collect();
    assert_eq!(
        spells,
        [("SZ-SIP-WT-G01", "roster", Some("transferred")), ("SZ-SIP-XT-G01", "transferred", Some("left"))]
    );
    assert_eq!(history["items"][0]["until"], history["items"][1]["from"], "no gap, no overlap");
    app.send(Req::post("/v1/me/applications").bearer(&member).json(json!({"kind": "leave"})))
        .await
        .problem(409, "application.not_member");

    // The reports: the street left counts a transfer out, the one joined a transfer in and a
    // leaving; the district holding both counts the move as neither.
    let now = domain::shared::Clock::now(&app.clock);
    let month = now.with_timezone(&domain::campaigns::window::SHANGHAI).format("%Y-%m").to_string();
    let report_by = |code: &str, who: &str| {
        Req::get(&format!("/v1/admin/unions/{code}/report?from={month}&to={month}")).bearer(who)
    };
    let report = |code: &str| report_by(code, &city);
    let figures = |r: &Value| {
        let m = &r["months"][0];
        [&m["joins"], &m["transfers_in"], &m["transfers_out"], &m["leaves"], &m["decisions"]]
            .map(|v| v.as_u64().unwrap())
    };
    let wt = app.send(report("SZ-SIP-WT")).await.json();
    assert_eq!(figures(&wt), [0, 0, 1, 0, 0], "{wt}");
    let xt = app.send(report("SZ-SIP-XT")).await.json();
    assert_eq!(figures(&xt), [0, 1, 0, 1, 2], "{xt}");
    assert_eq!(xt["months"][0]["decided_in_time"], 2);
    let sip = app.send(report("SZ-SIP")).await.json();
    assert_eq!(figures(&sip), [0, 0, 0, 1, 2], "{sip}");
    assert_eq!((sip["members"].as_u64(), sip["activated"].as_u64()), (Some(0), Some(0)), "left, so no longer counted");
    let csv = app.send(report("SZ-SIP-XT").header("accept", "text/csv")).await;
    assert_eq!(csv.status, 200);
    let text = csv.text();
    assert!(text.lines().nth(1).is_some_and(|l| l.starts_with(&format!("{month},0,1,0,1,0,2,2,0,"))), "{text}");
    assert_eq!(
        app.send(report_by("SZ-SIP-XT", &receiving)).await.status,
        403,
        "officers decide, auditors read reports"
    );
    let far = app.staff_in(&city, "wt.ops", "operator", "SZ-SIP-WT").await;
    app.send(report_by("SZ-SIP-XT", &far)).await.problem(404, "union.not_found");
    let too_long = Req::get("/v1/admin/unions/SZ-SIP/report?from=2020-01&to=2026-12").bearer(&city);
    app.send(too_long).await.problem(422, "validation.invalid_field");
}

on_both_backends!(an_application_that_no_longer_describes_the_member_is_not_approved);

async fn an_application_that_no_longer_describes_the_member_is_not_approved(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, TREE).await;
    let phone = app.member_of(&city, "SZ-SIP-WT-G01", 8).await;
    let member = app.member_token(&phone).await;
    let leave = app.send(Req::post("/v1/me/applications").bearer(&member).json(json!({"kind": "leave"}))).await.json();
    // The roster moves the member before the union decides.
    let id = id_number("19880808", 8);
    let csv = format!("姓名,身份证号,工会编码,工会名称,会员编号,状态\n王会员,{id},SZ-SIP-XT-G01,x,M8,在会\n");
    let moved = app.send(Req::post("/v1/admin/roster/imports").bearer(&city).raw("text/csv", csv.into_bytes())).await;
    assert_eq!(moved.json()["updated"], 1, "{}", moved.text());
    let decide = format!("/v1/admin/applications/{}/decision", leave["id"].as_str().unwrap());
    app.send(Req::post(&decide).bearer(&city).json(approve())).await.problem(409, "application.member_moved");
    assert_eq!(app.send(Req::get("/v1/me").bearer(&member)).await.json()["status"], "activated", "nothing ended");

    // Two accounts giving one ID number: the second is told, not failed.
    let [first, second] = [app.unlisted_member(11).await, app.unlisted_member(12).await];
    let filed = app.send(Req::post("/v1/me/applications").bearer(&first).json(join("SZ-SIP-WT-G01", 5))).await;
    assert_eq!(filed.status, 201, "{}", filed.text());
    app.send(Req::post("/v1/me/applications").bearer(&second).json(join("SZ-SIP-WT-G01", 5)))
        .await
        .problem(409, "realname.id_taken");

    // Erasing the account withdraws its application: nothing is left to approve.
    assert_eq!(app.send(Req::new(actix_web::http::Method::DELETE, "/v1/me").bearer(&first)).await.status, 204);
    let one = format!("/v1/admin/applications/{}", filed.json()["id"].as_str().unwrap());
    let gone = app.send(Req::get(&one).bearer(&city)).await.json();
    assert_eq!((gone["state"].as_str(), &gone["applicant"]["name"]), (Some("withdrawn"), &Value::Null), "{gone}");
    app.send(Req::post(&format!("{one}/decision")).bearer(&city).json(approve()))
        .await
        .problem(409, "application.decided");
}

on_both_backends!(a_member_withdraws_and_a_member_without_a_real_name_cannot_apply);

async fn a_member_withdraws_and_a_member_without_a_real_name_cannot_apply(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, TREE).await;
    let anonymous = app.consenting_member("13911112222").await;
    app.send(Req::post("/v1/me/applications").bearer(&anonymous).json(bound_join("SZ-SIP-WT-G01")))
        .await
        .problem(422, "application.real_name_required");
    let worker = app.unlisted_member(3).await;
    let other = app.unlisted_member(4).await;
    let filed = app.send(Req::post("/v1/me/applications").bearer(&worker).json(join("SZ-SIP-WT-J01", 3))).await.json();
    let own = format!("/v1/me/applications/{}", filed["id"].as_str().unwrap());
    app.send(Req::get(&own).bearer(&other)).await.problem(404, "application.not_found");
    app.send(Req::post(&format!("{own}/withdrawal")).bearer(&other)).await.problem(404, "application.not_found");
    let withdrawn = app.send(Req::post(&format!("{own}/withdrawal")).bearer(&worker)).await;
    assert_eq!(withdrawn.json()["state"], "withdrawn", "{}", withdrawn.text());
    app.send(Req::post(&format!("{own}/withdrawal")).bearer(&worker)).await.problem(409, "application.decided");
    let decided = format!("/v1/admin/applications/{}/decision", filed["id"].as_str().unwrap());
    app.send(Req::post(&decided).bearer(&city).json(approve())).await.problem(409, "application.decided");
    // Withdrawn, it no longer blocks a new one.
    let again = app.send(Req::post("/v1/me/applications").bearer(&worker).json(join("SZ-SIP-WT-G01", 3))).await;
    assert_eq!(again.status, 201, "{}", again.text());
    app.send(Req::get("/v1/me/applications/not-an-id").bearer(&worker)).await.problem(404, "application.not_found");
}

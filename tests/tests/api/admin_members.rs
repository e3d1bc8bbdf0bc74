//! Staff views of members, suspension, and the roster upload.

use domain::admin::Role;
use domain::members::roster::RosterStatus::Active;
use serde_json::json;
use tests::members::{id_number, with_bad_check};
use tests::{on_both_backends, Backend, Req, TestApp};

on_both_backends!(staff_find_members_by_phone_or_id_and_see_them_masked);

async fn staff_find_members_by_phone_or_id_and_see_them_masked(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let id = id_number("19910101", 41);
    app.seed_roster(&[("郑一", &id, "SZ-020", Active)]).await;
    let token = app.consenting_member("13800000041").await;
    let bind = Req::new(actix_web::http::Method::PUT, "/v1/me/real-name")
        .bearer(&token)
        .json(json!({"name": "郑一", "id_number": id}));
    assert_eq!(app.send(bind).await.status, 200);
    app.member_token("13800000042").await;
    let auditor = app.staff(Role::Auditor).await;

    for query in ["13800000041", "+86 138 0000 0041", id.as_str()] {
        let found = app.send(search(query).bearer(&auditor)).await;
        assert_eq!(found.status, 200, "{}", found.text());
        let items = found.json()["items"].as_array().unwrap().clone();
        assert_eq!(items.len(), 1, "{query}");
        assert_eq!(items[0]["phone"], "138****0041");
        assert_eq!(items[0]["status"], "activated");
        assert_eq!(items[0]["real_name"]["name"], "郑*");
        assert!(!found.text().contains(&id[6..14]), "unmasked ID in {}", found.text());
    }
    let none = app.send(search("郑一").bearer(&auditor)).await.json();
    assert_eq!(none["items"], json!([]), "no search by name");
    app.send(Req::post("/v1/admin/members/search").bearer(&auditor).json(json!({})))
        .await
        .problem(400, "request.invalid_body");
    // The number is never in a URL: the old GET is gone.
    assert_eq!(app.send(Req::get("/v1/admin/members?query=13800000041").bearer(&auditor)).await.status, 404);

    // Every look-up is on the record, found or not, with the number masked and never in the clear.
    let member = app.send(search("13800000041").bearer(&auditor)).await.json()["items"][0]["id"].clone();
    let audit = app.send(Req::get("/v1/admin/audit").bearer(&auditor)).await;
    let lookups: Vec<serde_json::Value> =
        audit.json()["items"].as_array().unwrap().iter().filter(|e| e["action"] == "member.lookup").cloned().collect();
    assert_eq!(lookups.len(), 5, "{lookups:?}");
    assert_eq!((lookups[0]["target"].clone(), lookups[0]["actor_name"].as_str()), (member, Some("t.auditor")));
    assert_eq!(lookups[0]["after"], json!({"by": "phone", "query": "138****0041", "found": 1}));
    assert_eq!(lookups[1]["after"], json!({"by": "unrecognised", "query": null, "found": 0}), "a name is not kept");
    assert_eq!(lookups[2]["after"]["query"], json!(format!("{}**********{}", &id[..4], &id[14..])));
    assert!(!audit.text().contains("13800000041") && !audit.text().contains(&id), "{}", audit.text());
}

fn search(query: &str) -> Req {
    Req::post("/v1/admin/members/search").json(json!({"query": query}))
}

on_both_backends!(suspension_ends_sessions_and_is_audited);

async fn suspension_ends_sessions_and_is_audited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let login = app.member_login("13800000043").await;
    let token = login["access_token"].as_str().unwrap().to_owned();
    let id = app.send(Req::get("/v1/me").bearer(&token)).await.json()["id"].as_str().unwrap().to_owned();
    let operator = app.staff(Role::Operator).await;
    let auditor = app.staff(Role::Auditor).await;
    let path = format!("/v1/admin/members/{id}/suspension");

    app.send(Req::post(&path).bearer(&auditor).json(json!({"reason": "x"}))).await.problem(403, "auth.forbidden");
    app.send(Req::post(&path).bearer(&operator).json(json!({"reason": " "})))
        .await
        .problem(422, "validation.invalid_field");
    let missing = format!("/v1/admin/members/{}/suspension", uuid::Uuid::now_v7());
    app.send(Req::post(&missing).bearer(&operator).json(json!({"reason": "x"}))).await.problem(404, "member.not_found");

    let r = app.send(Req::post(&path).bearer(&operator).json(json!({"reason": "冒用身份，待核实"}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        (r.json()["status"].as_str(), r.json()["suspension"].as_str()),
        (Some("suspended"), Some("冒用身份，待核实"))
    );

    app.send(Req::get("/v1/me").bearer(&token)).await.problem(403, "member.suspended");
    let refresh = Req::post("/v1/auth/refresh").json(json!({"refresh_token": login["refresh_token"]}));
    app.send(refresh).await.problem(401, "auth.session_ended");
    let code = app.fresh_code("13800000043").await;
    let relogin = Req::post("/v1/auth/token").json(json!({"phone": "13800000043", "code": code}));
    app.send(relogin).await.problem(403, "member.suspended");

    let lifted = app.send(Req::new(actix_web::http::Method::DELETE, &path).bearer(&operator)).await;
    assert_eq!(lifted.json()["status"], "registered");
    app.member_login("13800000043").await;

    let audit = app.send(Req::get("/v1/admin/audit").bearer(&auditor)).await.json();
    let actions: Vec<(&str, &str)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["target"].as_str().unwrap()))
        .filter(|(a, _)| a.starts_with("member."))
        .collect();
    assert_eq!(actions, [("member.unsuspend", id.as_str()), ("member.suspend", id.as_str())]);
}

on_both_backends!(roster_upload_reports_bad_lines_and_updates_in_place);

async fn roster_upload_reports_bad_lines_and_updates_in_place(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let operator = app.staff(Role::Operator).await;
    let auditor = app.staff(Role::Auditor).await;
    let (a, b, c) = (id_number("19800101", 1), id_number("19800101", 2), id_number("19800101", 3));
    let csv = format!(
        "name,id_number,union_org_code,union_org_name,member_no,status\n\
         钱一,{a},SZ-1,\"苏州工业园区总工会, 一分会\",M1,active\n\
         孙二,{bad},SZ-1,x,M2,active\n\
         李三,{b},SZ-1,x,M3,active\n\
         only,three,columns\n\
         周四,{c},SZ-2,y,M4,retired\n",
        bad = with_bad_check(&b)
    );
    let upload = |token: &str, body: String| {
        Req::post("/v1/admin/roster/imports").bearer(token).raw("text/csv", body.into_bytes())
    };

    app.send(upload(&auditor, csv.clone())).await.problem(403, "auth.forbidden");
    let json_upload = Req::post("/v1/admin/roster/imports").bearer(&operator).json(json!({}));
    app.send(json_upload).await.problem(415, "request.unsupported_media_type");

    let first = app.send(upload(&operator, csv)).await;
    assert_eq!(first.status, 200, "{}", first.text());
    let first = first.json();
    assert_eq!(
        (first["inserted"].as_u64(), first["updated"].as_u64(), first["rejected"].as_u64()),
        (Some(2), Some(0), Some(3))
    );
    let lines: Vec<u64> = first["rejections"].as_array().unwrap().iter().map(|r| r["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [3, 5, 6]);
    let columns: Vec<&str> =
        first["rejections"].as_array().unwrap().iter().map(|r| r["column"].as_str().unwrap_or("-")).collect();
    assert_eq!(columns, ["id_number", "-", "status"], "{first}");
    assert_eq!(first["rejections"][0]["reason"], "身份证号校验位不正确");
    assert!(first["rejections"][2]["reason_en"].as_str().unwrap().contains("status"));

    // Re-import without a header: one updated, one new.
    let again = format!("钱一,{a},SZ-1,x,M1,left\n周四,{c},SZ-2,y,M4,active\n");
    let second = app.send(upload(&operator, again)).await.json();
    assert_eq!(
        (second["inserted"].as_u64(), second["updated"].as_u64(), second["rejected"].as_u64()),
        (Some(1), Some(1), Some(0))
    );

    // 钱一 is now `left`: binding is refused; 周四 is active.
    let token = app.consenting_member("13800000044").await;
    let bind = |name: &str, id: &str| {
        Req::new(actix_web::http::Method::PUT, "/v1/me/real-name")
            .bearer(&token)
            .json(json!({"name": name, "id_number": id}))
    };
    app.send(bind("钱一", &a)).await.problem(422, "realname.not_matched");
    assert_eq!(app.send(bind("周四", &c)).await.json()["union"]["union_org_code"], "SZ-2");

    let audit = app.send(Req::get("/v1/admin/audit").bearer(&auditor)).await.json();
    let imports = audit["items"].as_array().unwrap().iter().filter(|e| e["action"] == "roster.import").count();
    assert_eq!(imports, 2);
}

on_both_backends!(every_roster_row_is_accounted_for_by_its_true_line);

async fn every_roster_row_is_accounted_for_by_its_true_line(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let operator = app.staff(Role::Operator).await;
    let (a, b) = (id_number("19810101", 1), id_number("19810101", 2));
    let csv = format!(
        "name,id_number,union_org_code,union_org_name,member_no,status\n\
         钱一,{a},SZ-1,x,M1,active\n   \n\
         李三,{b},SZ-1,x,M3,active\n\
         钱一,{a},SZ-1,x,M9,active\n"
    );
    let r = app.send(Req::post("/v1/admin/roster/imports").bearer(&operator).raw("text/csv", csv.into_bytes())).await;
    assert_eq!(r.status, 200, "{}", r.text());
    let report = r.json();
    assert_eq!((report["inserted"].as_u64(), report["rejected"].as_u64()), (Some(2), Some(2)), "{report}");
    let lines: Vec<u64> =
        report["rejections"].as_array().unwrap().iter().map(|r| r["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [3, 5], "{report}");
    assert!(report["rejections"][1]["reason_en"].as_str().unwrap().contains("line 2"), "{report}");
    assert!(report["rejections"][1]["reason"].as_str().unwrap().contains("第 2 行"), "{report}");
}

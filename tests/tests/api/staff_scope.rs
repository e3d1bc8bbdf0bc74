//! Staff work in their part of the union tree: a street federation's operator lists, reads,
//! changes and exports only what lies under their street — outside it, everything answers as if it
//! did not exist — and the city's staff see it all.

use domain::admin::Role;
use serde_json::{json, Value};
use tests::members::id_number;
use tests::{on_both_backends, Backend, Req, TestApp, TEST_PASSWORD};

const TREE: &str = "工会编码,工会名称,类型,上级工会编码\n\
    SZ-SIP,苏州工业园区总工会,区总工会,ROOT\n\
    SZ-SIP-WT,娄葑街道总工会,街道总工会,SZ-SIP\n\
    SZ-SIP-WT-G01,某科技公司工会,基层工会,SZ-SIP-WT\n\
    SZ-SIP-XT,斜塘街道总工会,街道总工会,SZ-SIP\n\
    SZ-SIP-XT-G01,某医院工会,基层工会,SZ-SIP-XT\n";

fn codes(page: &Value) -> Vec<&str> {
    let mut codes: Vec<&str> = page["items"].as_array().unwrap().iter().map(|n| n["code"].as_str().unwrap()).collect();
    codes.sort();
    codes
}

on_both_backends!(a_street_operator_sees_and_changes_only_its_street);

async fn a_street_operator_sees_and_changes_only_its_street(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    let reply = app.send(Req::post("/v1/admin/unions/imports").bearer(&city).raw("text/csv", TREE.into())).await;
    assert_eq!(reply.json()["inserted"], 5, "{}", reply.text());
    let street = app.staff_in(&city, "wt.ops", "operator", "SZ-SIP-WT").await;

    // The tree: its street and what is under it, nothing else.
    let listed = app.send(Req::get("/v1/admin/unions").bearer(&street)).await.json();
    assert_eq!(codes(&listed), ["SZ-SIP-WT", "SZ-SIP-WT-G01"]);
    for code in ["ROOT", "SZ-SIP", "SZ-SIP-XT", "SZ-SIP-XT-G01", "SZ-NOWHERE"] {
        let reply = app.send(Req::get(&format!("/v1/admin/unions/{code}")).bearer(&street)).await;
        assert_eq!((reply.status, reply.json()["code"].as_str()), (404, Some("union.not_found")), "{code}");
    }
    let under = app.send(Req::get("/v1/admin/unions?under=SZ-SIP").bearer(&street)).await;
    assert_eq!(under.status, 404);
    let renamed =
        app.send(Req::patch("/v1/admin/unions/SZ-SIP-XT-G01").bearer(&street).json(json!({"name": "改名"}))).await;
    assert_eq!(renamed.status, 404);
    let moved = app
        .send(Req::patch("/v1/admin/unions/SZ-SIP-WT-G01").bearer(&street).json(json!({"parent_code": "SZ-SIP-XT"})))
        .await;
    assert_eq!(moved.status, 404, "not into another street either");
    let merged = app
        .send(Req::post("/v1/admin/unions/SZ-SIP-WT-G01/merge").bearer(&street).json(json!({"into": "SZ-SIP-XT-G01"})))
        .await;
    assert_eq!(merged.status, 404);
    let create = |code: &str, parent: &str| {
        Req::post("/v1/admin/unions")
            .bearer(&street)
            .json(json!({"code": code, "name": "新工会", "kind": "grassroots", "parent_code": parent}))
    };
    assert_eq!(app.send(create("SZ-SIP-XT-G02", "SZ-SIP-XT")).await.status, 404);
    assert_eq!(app.send(create("SZ-SIP-WT-G02", "SZ-SIP-WT")).await.status, 201);
    let export = app.send(Req::get("/v1/admin/unions/export.csv").bearer(&street)).await.text();
    assert_eq!(export.lines().count(), 4, "the header and its street's three unions: {export}");
    // A file: rows in its street are written, rows elsewhere refused by line.
    let file = "工会编码,工会名称,类型,上级工会编码\nSZ-SIP-WT-G03,甲工会,基层工会,SZ-SIP-WT\n\
        SZ-SIP-XT-G03,乙工会,基层工会,SZ-SIP-XT\nSZ-SIP-XT-G01,改名,基层工会,SZ-SIP-XT\nSZ-X,丙,区总工会,ROOT\n";
    let report = app.send(Req::post("/v1/admin/unions/imports").bearer(&street).raw("text/csv", file.into())).await;
    let report = report.json();
    assert_eq!((report["inserted"].as_u64(), report["rejected"].as_u64()), (Some(1), Some(3)), "{report}");
    assert!(report["rejections"][0]["reason"].as_str().unwrap().contains("不在您的管辖范围内"), "{report}");

    // Staff: theirs only; none made outside their street.
    let users = app.send(Req::get("/v1/admin/users").bearer(&street)).await.json();
    let names: Vec<&str> = users["items"].as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["wt.ops"]);

    // The audit log: what was done in their street.
    let audit = app.send(Req::get("/v1/admin/audit?limit=100").bearer(&street)).await.json();
    let actions: Vec<&str> = audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["union.import", "union.create"], "{audit}");
    let all = app.send(Req::get("/v1/admin/audit?limit=100").bearer(&city)).await.json();
    assert!(all["items"].as_array().unwrap().len() > actions.len(), "the city sees everything");
}

on_both_backends!(members_outside_the_scope_do_not_exist_for_its_staff);

async fn members_outside_the_scope_do_not_exist_for_its_staff(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.send(Req::post("/v1/admin/unions/imports").bearer(&city).raw("text/csv", TREE.into())).await;
    let district = app.staff_in(&city, "sip.admin", "admin", "SZ-SIP").await;
    let street = app.staff_in(&district, "wt.ops", "operator", "SZ-SIP-WT").await;
    // A district admin hands out its own district's streets, nothing beyond it.
    let beyond = app
        .send(
            Req::post("/v1/admin/users")
                .bearer(&district)
                .json(json!({"username": "gx.ops", "password": TEST_PASSWORD,
            "display_name": "x", "role": "operator", "scope_code": "ROOT"})),
        )
        .await;
    assert_eq!((beyond.status, beyond.json()["code"].as_str()), (404, Some("union.not_found")));
    // Nor a closed union, nor something that is no union code at all.
    let empty = app
        .send(
            Req::post("/v1/admin/unions/imports")
                .bearer(&city)
                .raw("text/csv", "工会编码,工会名称,类型,上级工会编码\nSZ-SIP-OLD,旧工会,基层工会,SZ-SIP\n".into()),
        )
        .await;
    assert_eq!(empty.json()["inserted"], 1);
    assert_eq!(app.send(Req::post("/v1/admin/unions/SZ-SIP-OLD/closure").bearer(&city)).await.status, 200);
    for (scope, status) in [("SZ-SIP-OLD", 409), ("SZ SIP", 422)] {
        let refused = app
            .send(Req::post("/v1/admin/users").bearer(&district).json(json!({"username": "x.ops",
                "password": TEST_PASSWORD, "display_name": "x", "role": "operator", "scope_code": scope})))
            .await;
        assert_eq!(refused.status, status, "{scope}: {}", refused.text());
    }
    let mine = app.member_of(&city, "SZ-SIP-WT-G01", 1).await;
    let theirs = app.member_of(&city, "SZ-SIP-XT-G01", 2).await;

    let search =
        |who: &str, phone: &str| Req::post("/v1/admin/members/search").bearer(who).json(json!({"query": phone}));
    let found = app.send(search(&street, &mine)).await.json();
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
    let id = found["items"][0]["id"].as_str().unwrap().to_owned();
    let hidden = app.send(search(&street, &theirs)).await.json();
    assert_eq!(hidden["items"], json!([]), "a member of another street is not found");
    let seen = app.send(search(&district, &theirs)).await.json();
    assert_eq!(seen["items"].as_array().unwrap().len(), 1, "the district sees both streets");
    let other_id = seen["items"][0]["id"].as_str().unwrap().to_owned();

    let suspend = |who: &str, id: &str| {
        Req::post(&format!("/v1/admin/members/{id}/suspension")).bearer(who).json(json!({"reason": "核实身份"}))
    };
    assert_eq!(app.send(suspend(&street, &other_id)).await.status, 404);
    assert_eq!(app.send(suspend(&street, &id)).await.status, 200);

    // A grassroots union's officer finds its own members and reads its union, nothing else.
    let officer = app.staff_in(&district, "g01.chair", "union_officer", "SZ-SIP-WT-G01").await;
    assert_eq!(app.send(search(&officer, &mine)).await.json()["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.send(search(&officer, &theirs)).await.json()["items"], json!([]));
    let listed = app.send(Req::get("/v1/admin/unions").bearer(&officer)).await.json();
    assert_eq!(codes(&listed), ["SZ-SIP-WT-G01"]);
    assert_eq!(app.send(Req::get("/v1/admin/unions/SZ-SIP-WT").bearer(&officer)).await.status, 404);
    assert_eq!(app.send(suspend(&officer, &id)).await.status, 403);
    for path in ["/v1/admin/users", "/v1/admin/audit", "/v1/admin/campaigns", "/v1/admin/unions/export.csv"] {
        assert_eq!(app.send(Req::get(path).bearer(&officer)).await.status, 403, "{path}");
    }

    // Their roster import takes their own unions' members only: another street's union, or a code
    // the tree does not hold, is refused by line.
    let csv = format!(
        "姓名,身份证号,工会编码,工会名称,会员编号,状态\n李一,{},SZ-SIP-WT-G01,x,W1,在会\n\
         李二,{},SZ-SIP-XT-G01,x,W2,在会\n李三,{},SZ-NEW-9,x,W3,在会\n",
        id_number("19900101", 11),
        id_number("19900101", 12),
        id_number("19900101", 13)
    );
    let report =
        app.send(Req::post("/v1/admin/roster/imports").bearer(&street).raw("text/csv", csv.into_bytes())).await;
    let report = report.json();
    assert_eq!((report["inserted"].as_u64(), report["rejected"].as_u64()), (Some(1), Some(2)), "{report}");
    let lines: Vec<u64> =
        report["rejections"].as_array().unwrap().iter().map(|r| r["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, [3, 4]);
    assert_eq!(report["rejections"][0]["column"], "union_org_code");
    let unplaced = app.send(Req::get("/v1/admin/unions?unplaced=true").bearer(&city)).await.json();
    assert_eq!(unplaced["items"], json!([]), "nothing adopted from a refused row");
}

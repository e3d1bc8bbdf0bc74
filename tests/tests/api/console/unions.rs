//! The union tree in the console: browsed from the operator's own union, unions added, moved,
//! merged and closed with the API's rules and messages; a district's operator sees its district.

use super::*;

const TREE: &str = "工会编码,工会名称,类型,上级工会编码,覆盖单位\n\
    SZ-SIP,苏州工业园区总工会,区总工会,ROOT,\n\
    SZ-SIP-WT,娄葑街道总工会,街道总工会,SZ-SIP,\n\
    SZ-SIP-XT,斜塘街道总工会,街道总工会,SZ-SIP,\n\
    SZ-GX,高新区总工会,区总工会,ROOT,\n";

on_both_backends!(the_tree_is_kept_from_the_console, members_are_moved_in_bulk_from_a_unions_page);

async fn the_tree_is_kept_from_the_console(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, TREE).await;
    app.staff_in(&city, "sip.ops", "operator", "SZ-SIP").await;
    let sip = app.console_sign_in("sip.ops").await;

    // Home is the operator's own union, with the ones under it; another district is not there.
    let home = app.console_get(Some(&sip), "/console/unions").await;
    assert_eq!(home.status, 200, "{}", home.text());
    let html = home.text();
    assert!(html.contains(r#"data-code="SZ-SIP""#) && html.contains(r#"data-union="SZ-SIP-WT""#), "{html}");
    assert!(!html.contains("SZ-GX"), "{html}");
    assert_eq!(
        app.console_get(Some(&sip), "/console/unions/SZ-GX").await.status,
        404,
        "outside: as if it did not exist"
    );

    // A grassroots union under a street; under a grassroots union nothing may go (the API's rule).
    let add = |code: &'static str, kind: &'static str| {
        vec![
            ("code", code),
            ("name", "某电子公司工会"),
            ("kind", kind),
            ("employers", "苏州某电子有限公司"),
            ("_csrf", sip.csrf.as_str()),
        ]
    };
    let made =
        app.console_post(Some(&sip), "/console/unions/SZ-SIP-WT/children", &add("SZ-SIP-WT-G07", "grassroots")).await;
    assert_eq!(made.status, 303, "{}", made.text());
    assert_eq!(made.header("location"), Some("/console/unions/SZ-SIP-WT-G07?done=create"));
    let taken =
        app.console_post(Some(&sip), "/console/unions/SZ-SIP-XT/children", &add("SZ-SIP-WT-G07", "grassroots")).await;
    assert_eq!(taken.status, 409, "{}", taken.text());
    assert!(taken.text().contains(r#"value="SZ-SIP-WT-G07""#), "the form is kept: {}", taken.text());
    let page = app.console_get(Some(&sip), "/console/unions/SZ-SIP-WT-G07").await.text();
    assert!(!page.contains(r#"data-testid="union-child""#), "nothing goes under a grassroots union: no form");

    // Moved to the other street with everything under it; a move under itself is refused beside the field.
    let joint =
        app.console_post(Some(&sip), "/console/unions/SZ-SIP-XT/children", &add("SZ-SIP-XT-J01", "joint")).await;
    assert_eq!(joint.status, 303, "{}", joint.text());
    let wrong = [("name", "娄葑街道总工会"), ("parent_code", "SZ-SIP-WT-G07"), ("_csrf", sip.csrf.as_str())];
    let refused = app.console_post(Some(&sip), "/console/unions/SZ-SIP-WT/change", &wrong).await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert!(refused.text().contains(r#"id="parent_code-error""#), "{}", refused.text());
    let moved = [
        ("name", "某电子公司工会（新）"),
        ("parent_code", "SZ-SIP-XT"),
        ("employers", "苏州某电子有限公司"),
        ("_csrf", sip.csrf.as_str()),
    ];
    assert_eq!(app.console_post(Some(&sip), "/console/unions/SZ-SIP-WT-G07/change", &moved).await.status, 303);
    let node = app.send(Req::get("/v1/admin/unions/SZ-SIP-WT-G07").bearer(&city)).await.json();
    assert_eq!(
        (node["parent_code"].as_str(), node["name"].as_str()),
        (Some("SZ-SIP-XT"), Some("某电子公司工会（新）"))
    );

    // Merged into the joint union, then closed: the street keeps no open union.
    let merged = app
        .console_post(
            Some(&sip),
            "/console/unions/SZ-SIP-WT-G07/merge",
            &[("into", "SZ-SIP-XT-J01"), ("_csrf", &sip.csrf)],
        )
        .await;
    assert_eq!(merged.status, 303, "{}", merged.text());
    let gone = app.send(Req::get("/v1/admin/unions/SZ-SIP-WT-G07").bearer(&city)).await.json();
    assert_eq!(gone["merged_into"], "SZ-SIP-XT-J01");
    let closed = app.console_post(Some(&sip), "/console/unions/SZ-SIP-WT/closure", &[("_csrf", &sip.csrf)]).await;
    assert_eq!(closed.status, 303, "{}", closed.text());
    let busy = app.console_post(Some(&sip), "/console/unions/SZ-SIP-XT/closure", &[("_csrf", &sip.csrf)]).await;
    assert_eq!(busy.status, 409, "unions under it: {}", busy.text());

    // The district's report, drawn; its CSV is the API's.
    let report = app.console_get(Some(&sip), "/console/unions/SZ-SIP/report").await;
    assert_eq!(report.status, 200, "{}", report.text());
    assert_eq!(report.text().matches("data-chart=").count(), 2, "{}", report.text());
    let sip_token = app.login("sip.ops").await;
    let csv = app.console_get(Some(&sip), "/console/unions/SZ-SIP/report.csv?from=2026-01&to=2026-12").await;
    let api_csv = app
        .send(
            Req::get("/v1/admin/unions/SZ-SIP/report?from=2026-01&to=2026-12")
                .bearer(&sip_token)
                .header("accept", "text/csv"),
        )
        .await;
    assert_eq!((csv.status, csv.text()), (200, api_csv.text()));
    assert_eq!(app.console_get(Some(&sip), "/console/unions/SZ-GX/report").await.status, 404);

    // The export is the API's file, of the operator's part.
    let file = app.console_get(Some(&sip), "/console/unions/export.csv?under=SZ-SIP").await;
    assert_eq!(file.status, 200);
    let api = app.send(Req::get("/v1/admin/unions/export.csv?under=SZ-SIP").bearer(&sip_token)).await;
    assert_eq!(file.text(), api.text());
    assert!(file.text().contains("SZ-SIP-XT-J01") && !file.text().contains("SZ-GX"));
}

/// A file of member numbers uploaded on a grassroots union's page: those members move there, as a
/// job whose progress the page polls; a number outside the operator's part is refused by its line.
async fn members_are_moved_in_bulk_from_a_unions_page(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    let tree = "工会编码,工会名称,类型,上级工会编码\nSZ-SIP,苏州工业园区总工会,区总工会,ROOT\n\
        SZ-SIP-G1,甲公司工会,基层工会,SZ-SIP\nSZ-SIP-G2,乙公司工会,基层工会,SZ-SIP\n";
    app.load_tree(&city, tree).await;
    app.activated_members(3, "SZ-SIP-G1").await;
    let roster = app
        .send(Req::post("/v1/admin/roster/search").bearer(&city).json(json!({"union_code": "SZ-SIP-G1"})))
        .await
        .json();
    let numbers: Vec<String> =
        roster["items"].as_array().unwrap().iter().map(|r| r["member_no"].as_str().unwrap().to_owned()).collect();
    assert_eq!(numbers.len(), 3, "{roster}");
    app.staff_in(&city, "sip.ops", "operator", "SZ-SIP").await;
    let sip = app.console_sign_in("sip.ops").await;
    let page = app.console_get(Some(&sip), "/console/unions/SZ-SIP-G2").await.text();
    assert!(page.contains(r#"data-upload="/console/unions/SZ-SIP-G2/moves""#), "{page}");

    let file = format!("会员编号\n{}\n{}\nNOBODY-1\n", numbers[0], numbers[1]);
    let upload = |token: &str| {
        Req::post("/console/unions/SZ-SIP-G2/moves")
            .header("cookie", &sip.cookie)
            .header("x-csrf-token", token)
            .raw("text/csv", file.clone().into_bytes())
    };
    assert_eq!(app.send(upload("forged")).await.status, 403);
    let started = app.send(upload(&sip.csrf)).await;
    assert_eq!(started.status, 202, "{}", started.text());
    let job = started.json()["id"].as_str().unwrap().to_owned();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let done = loop {
        let fragment = app.console_get(Some(&sip), &format!("/console/imports/{job}")).await;
        if fragment.text().contains("data-finished") {
            break fragment.text();
        }
        assert!(std::time::Instant::now() < deadline, "still running");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(done.contains(&format!("/console/imports/{job}/rejected.csv")), "the unknown number is refused: {done}");
    let moved = app
        .send(Req::post("/v1/admin/roster/search").bearer(&city).json(json!({"union_code": "SZ-SIP-G2"})))
        .await
        .json();
    assert_eq!(moved["items"].as_array().map(Vec::len), Some(2), "{moved}");
}

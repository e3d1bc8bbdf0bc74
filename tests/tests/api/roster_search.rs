//! Staff find people on the roster of their part of the tree by the first characters of a name,
//! the last four digits of a phone or a member number, a page at a time, though names and phones
//! are sealed at rest; each search is audit-logged with what was asked, masked.

use domain::admin::Role;
use serde_json::{json, Value};
use tests::members::id_number;
use tests::{on_both_backends, Backend, Req, TestApp};

const TREE: &str = "工会编码,工会名称,类型,上级工会编码\n\
    SZ-SIP,苏州工业园区总工会,区总工会,ROOT\n\
    SZ-SIP-WT,娄葑街道总工会,街道总工会,SZ-SIP\n\
    SZ-SIP-WT-G01,某科技公司工会,基层工会,SZ-SIP-WT\n\
    SZ-SIP-WT-G02,某物流公司工会,基层工会,SZ-SIP-WT\n\
    SZ-SIP-XT,斜塘街道总工会,街道总工会,SZ-SIP\n\
    SZ-SIP-XT-G01,某医院工会,基层工会,SZ-SIP-XT\n";

/// Name, union, member number; the ID number is made from the position.
const PEOPLE: [(&str, &str, &str); 7] = [
    ("王小明", "SZ-SIP-WT-G01", "WT-0001"),
    ("王小红", "SZ-SIP-WT-G02", "WT-0002"),
    ("王大力", "SZ-SIP-XT-G01", "XT-0001"),
    ("欧阳娜娜", "SZ-SIP-WT-G01", "WT-0003"),
    ("李四", "SZ-SIP-WT-G01", "WT-0004"),
    ("阿卜杜·热合曼", "SZ-SIP-WT-G01", "WT-0005"),
    ("王小", "SZ-SIP-WT-G01", "WT-0006"),
];

fn roster_csv() -> String {
    let mut csv = "姓名,身份证号,工会编码,工会名称,会员编号,状态\n".to_owned();
    for (i, (name, union, no)) in PEOPLE.iter().enumerate() {
        csv += &format!("{name},{},{union},x,{no},在会\n", id_number("19900101", i as u32));
    }
    // Twenty-five 张s in one union, for paging.
    for i in 0..25 {
        csv += &format!(
            "张{},{},SZ-SIP-WT-G02,x,ZH-{i:04},在会\n",
            ["一", "二", "三", "四", "五"][i % 5],
            id_number("19910101", i as u32)
        );
    }
    csv
}

fn numbers(page: &Value) -> Vec<String> {
    let mut found: Vec<String> =
        page["items"].as_array().unwrap().iter().map(|p| p["member_no"].as_str().unwrap().to_owned()).collect();
    found.sort();
    found
}

async fn search(app: &TestApp, token: &str, body: Value) -> Value {
    let reply = app.send(Req::post("/v1/admin/roster/search").bearer(token).json(body.clone())).await;
    assert_eq!(reply.status, 200, "{body}: {}", reply.text());
    reply.json()
}

/// A member account with `phone`, bound to the `i`th of [`PEOPLE`].
async fn account(app: &TestApp, phone: &str, i: usize) {
    let token = app.consenting_member(phone).await;
    let bound = app
        .send(Req::put("/v1/me/real-name").bearer(&token).json(json!({"name": PEOPLE[i].0,
            "id_number": id_number("19900101", i as u32)})))
        .await;
    assert_eq!(bound.status, 200, "{}", bound.text());
}

on_both_backends!(staff_find_people_by_name_phone_or_number_in_their_part_of_the_tree);

async fn staff_find_people_by_name_phone_or_number_in_their_part_of_the_tree(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, TREE).await;
    let imported =
        app.send(Req::post("/v1/admin/roster/imports").bearer(&city).raw("text/csv", roster_csv().into_bytes())).await;
    assert_eq!(imported.json()["inserted"], 32, "{}", imported.text());
    let street = app.staff_in(&city, "wt.ops", "operator", "SZ-SIP-WT").await;
    let officer = app.staff_in(&city, "g01.chair", "union_officer", "SZ-SIP-WT-G01").await;

    // The beginning of a name: one character, two, or more (narrowed by opening the names).
    let by_name = |prefix: &str| json!({"name_prefix": prefix});
    assert_eq!(numbers(&search(&app, &street, by_name("王")).await), ["WT-0001", "WT-0002", "WT-0006"]);
    assert_eq!(numbers(&search(&app, &city, by_name("王")).await), ["WT-0001", "WT-0002", "WT-0006", "XT-0001"]);
    assert_eq!(numbers(&search(&app, &officer, by_name("王")).await), ["WT-0001", "WT-0006"]);
    assert_eq!(numbers(&search(&app, &street, by_name("王小")).await), ["WT-0001", "WT-0002", "WT-0006"]);
    assert_eq!(numbers(&search(&app, &street, by_name("王小明")).await), ["WT-0001"]);
    assert_eq!(numbers(&search(&app, &street, by_name("欧阳娜")).await), ["WT-0003"]);
    assert_eq!(numbers(&search(&app, &street, by_name(" 阿卜杜.热 ")).await), ["WT-0005"]);
    assert!(numbers(&search(&app, &street, by_name("赵")).await).is_empty());
    let found = search(&app, &street, by_name("王小明")).await;
    let person = &found["items"][0];
    assert_eq!(person["name"], "王**", "{found}");
    let id = id_number("19900101", 0);
    assert_eq!(person["id_number"], format!("{}**********{}", &id[..4], &id[14..]), "{found}");
    assert_eq!((person["union_code"].as_str(), person["status"].as_str()), (Some("SZ-SIP-WT-G01"), Some("active")));
    assert!(person["member_id"].is_null() && person["phone"].is_null(), "no account yet: {found}");

    // A phone's last four digits find people with an account, in the caller's part alone.
    account(&app, "13800001234", 0).await;
    account(&app, "13900001234", 2).await;
    account(&app, "13700005678", 3).await;
    for masked in ["1234", "****1234", "138****1234"] {
        let found = search(&app, &street, json!({"phone_suffix": masked})).await;
        assert_eq!(numbers(&found), ["WT-0001"], "{masked}");
        assert_eq!(found["items"][0]["phone"], "138****1234");
        assert!(found["items"][0]["member_id"].is_string(), "{found}");
    }
    assert_eq!(numbers(&search(&app, &city, json!({"phone_suffix": "1234"})).await), ["WT-0001", "XT-0001"]);
    assert!(numbers(&search(&app, &street, json!({"phone_suffix": "9999"})).await).is_empty());
    let with_account = search(&app, &street, by_name("欧阳")).await;
    assert_eq!(with_account["items"][0]["phone"], "137****5678", "{with_account}");

    // A member number, exactly; outside the caller's part it is not found.
    assert_eq!(numbers(&search(&app, &street, json!({"member_no": "WT-0004"})).await), ["WT-0004"]);
    assert!(numbers(&search(&app, &street, json!({"member_no": "XT-0001"})).await).is_empty());
    assert!(numbers(&search(&app, &officer, json!({"member_no": "WT-0002"})).await).is_empty());

    // A union narrows it; one outside the caller's part does not exist for them.
    let narrowed = search(&app, &street, json!({"union_code": "SZ-SIP-WT-G02", "name_prefix": "王"})).await;
    assert_eq!(numbers(&narrowed), ["WT-0002"]);
    for union in ["SZ-SIP-XT-G01", "SZ-SIP", "SZ-NOWHERE"] {
        let reply = app
            .send(
                Req::post("/v1/admin/roster/search")
                    .bearer(&street)
                    .json(json!({"union_code": union, "name_prefix": "王"})),
            )
            .await;
        assert_eq!((reply.status, reply.json()["code"].as_str()), (404, Some("union.not_found")), "{union}");
    }

    // A closed union's roster is searched like any other.
    let made = app
        .send(Req::post("/v1/admin/unions").bearer(&city).json(json!({"code": "SZ-SIP-WT-G03", "name": "已撤销工会",
            "kind": "grassroots", "parent_code": "SZ-SIP-WT"})))
        .await;
    assert_eq!(made.status, 201, "{}", made.text());
    let closed = app.send(Req::post("/v1/admin/unions/SZ-SIP-WT-G03/closure").bearer(&city)).await;
    assert_eq!(closed.status, 200, "{}", closed.text());
    assert!(numbers(&search(&app, &street, json!({"union_code": "SZ-SIP-WT-G03"})).await).is_empty());

    // Pages: twenty-five 张s, ten at a time, none twice or missed.
    let mut seen = Vec::new();
    let mut body = json!({"name_prefix": "张", "limit": 10});
    for pages in 1.. {
        let page = search(&app, &street, body.clone()).await;
        assert!(page["items"].as_array().unwrap().len() <= 10);
        seen.extend(numbers(&page));
        match page["next_cursor"].as_str() {
            Some(cursor) => body["cursor"] = json!(cursor),
            None => {
                assert_eq!(pages, 3);
                break;
            }
        }
    }
    let mut expected: Vec<String> = (0..25).map(|i| format!("ZH-{i:04}")).collect();
    seen.sort();
    expected.sort();
    assert_eq!(seen, expected);
    let everyone = search(&app, &officer, json!({"limit": 100})).await;
    assert_eq!(numbers(&everyone), ["WT-0001", "WT-0003", "WT-0004", "WT-0005", "WT-0006"]);

    // Bad input: a 422 naming the field, or a 400 for the page.
    for (body, field) in [
        (json!({"name_prefix": "王", "member_no": "WT-0001"}), "name_prefix"),
        (json!({"name_prefix": "W"}), "name_prefix"),
        (json!({"name_prefix": "王%"}), "name_prefix"),
        (json!({"name_prefix": ""}), "name_prefix"),
        (json!({"phone_suffix": "12a4"}), "phone_suffix"),
        (json!({"phone_suffix": "13800001234"}), "phone_suffix"),
        (json!({"member_no": " "}), "member_no"),
    ] {
        let reply = app.send(Req::post("/v1/admin/roster/search").bearer(&street).json(body.clone())).await;
        assert_eq!((reply.status, reply.json()["field"].as_str()), (422, Some(field)), "{body}: {}", reply.text());
    }
    for body in [json!({"limit": 0}), json!({"limit": 101}), json!({"cursor": "nonsense"})] {
        let reply = app.send(Req::post("/v1/admin/roster/search").bearer(&street).json(body.clone())).await;
        assert_eq!(reply.status, 400, "{body}: {}", reply.text());
    }

    // Every search is in the audit log, with what was asked masked.
    let audit = app.send(Req::get("/v1/admin/audit?limit=100").bearer(&city)).await.json();
    let searches: Vec<&Value> =
        audit["items"].as_array().unwrap().iter().filter(|e| e["action"] == "roster.search").collect();
    assert!(searches.len() >= 20, "{}", searches.len());
    let text = serde_json::to_string(&searches).unwrap();
    for whole in ["王小明", "欧阳娜", "13800001234", "138****1234\""] {
        assert!(!text.contains(whole), "{whole} is kept whole: {text}");
    }
    assert!(text.contains("王**") && text.contains("****1234"), "{text}");
}

on_both_backends!(rows_from_before_the_search_are_found_once_the_job_loop_fills_them_in);

/// Rows written before names and phones had search digests (or by an older build's import) are
/// given them by the job loop, a batch at a time, without anyone doing anything.
async fn rows_from_before_the_search_are_found_once_the_job_loop_fills_them_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, TREE).await;
    let imported =
        app.send(Req::post("/v1/admin/roster/imports").bearer(&city).raw("text/csv", roster_csv().into_bytes())).await;
    assert_eq!(imported.status, 200, "{}", imported.text());
    account(&app, "13800001234", 0).await;
    let db = app.database().await;
    db.run(|conn| {
        use diesel::RunQueryDsl;
        diesel::sql_query("UPDATE roster SET name_head_index = NULL, name_head2_index = NULL").execute(conn)?;
        diesel::sql_query("UPDATE members SET phone_tail_index = NULL").execute(conn)?;
        Ok::<_, anyhow::Error>(())
    })
    .await
    .unwrap();
    let mut waited = 0;
    loop {
        let by_name = search(&app, &city, json!({"name_prefix": "王小"})).await;
        let by_phone = search(&app, &city, json!({"phone_suffix": "1234"})).await;
        if numbers(&by_name) == ["WT-0001", "WT-0002", "WT-0006"] && numbers(&by_phone) == ["WT-0001"] {
            break;
        }
        waited += 1;
        assert!(waited < 100, "not filled in: {by_name} {by_phone}");
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(app.count("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM roster WHERE name_head_index IS NULL").await, 0);
}

on_both_backends!(a_report_counts_the_activated_through_bindings_renamed_rows_and_erasures);

/// The report counts activated members from the account kept on each roster row: a binding sets
/// it, an import that renames the row clears it (the account no longer matches) and one that names
/// it back restores it, an erasure clears it.
async fn a_report_counts_the_activated_through_bindings_renamed_rows_and_erasures(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, TREE).await;
    let import = |csv: String| {
        let city = city.clone();
        let app = &app;
        async move {
            let reply =
                app.send(Req::post("/v1/admin/roster/imports").bearer(&city).raw("text/csv", csv.into_bytes())).await;
            assert_eq!(reply.status, 200, "{}", reply.text());
        }
    };
    import(roster_csv()).await;
    let activated = || async {
        let report = app.send(Req::get("/v1/admin/unions/SZ-SIP-WT/report").bearer(&city)).await;
        assert_eq!(report.status, 200, "{}", report.text());
        let r = report.json();
        (r["members"].as_u64().unwrap(), r["activated"].as_u64().unwrap())
    };
    assert_eq!(activated().await, (31, 0));
    account(&app, "13800001234", 0).await;
    account(&app, "13700005678", 3).await;
    account(&app, "13900001234", 2).await; // in another street
    assert_eq!(activated().await, (31, 2));

    let renamed = |name: &str| {
        format!(
            "姓名,身份证号,工会编码,工会名称,会员编号,状态\n{name},{},SZ-SIP-WT-G01,x,WT-0001,在会\n",
            id_number("19900101", 0)
        )
    };
    import(renamed("王晓明")).await;
    assert_eq!(activated().await, (31, 1), "the account no longer matches its row");
    import(renamed("王小明")).await;
    assert_eq!(activated().await, (31, 2), "named back, matched again");

    let token = app.member_token("13700005678").await;
    let erased = app.send(Req::new(actix_web::http::Method::DELETE, "/v1/me").bearer(&token)).await;
    assert!(erased.status < 300, "{}", erased.text());
    assert_eq!(activated().await, (31, 1), "an erased account activates nothing");
}

//! Roster files as union staff have them: saved by Excel on a Chinese Windows (GB18030), as
//! UTF-16, with Chinese headers in their own order, Chinese status words, full-width digits, ID
//! numbers a spreadsheet turned into numbers, and names with 生僻字.

use domain::admin::Role;
use serde_json::{json, Value};
use tests::members::id_number;
use tests::{on_both_backends, Backend, Req, TestApp};

async fn upload(app: &TestApp, staff: &str, bytes: Vec<u8>) -> tests::Reply {
    app.send(Req::post("/v1/admin/roster/imports").bearer(staff).raw("text/csv; charset=gb18030", bytes)).await
}

fn full_width(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() { char::from_u32(c as u32 + 0xFEE0).unwrap() } else { c }).collect()
}

async fn bind(app: &TestApp, phone: &str, name: &str, id: &str) -> Value {
    let token = app.consenting_member(phone).await;
    let reply =
        app.send(Req::put("/v1/me/real-name").bearer(&token).json(json!({"name": name, "id_number": id}))).await;
    assert_eq!(reply.status, 200, "{name}: {}", reply.text());
    app.send(Req::get("/v1/me/export").bearer(&token)).await.json()
}

on_both_backends!(a_gb18030_file_with_chinese_headers_in_its_own_order_imports);

async fn a_gb18030_file_with_chinese_headers_in_its_own_order_imports(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let operator = app.staff(Role::Operator).await;
    let ids: Vec<String> = (1..=5).map(|i| id_number("19850505", i)).collect();
    // Excel's "CSV (逗号分隔)" on a Chinese Windows: GB18030, CRLF, columns as staff keep them.
    let csv = format!(
        "状态,公民身份号码,姓名,备注,会员编号,所属工会,工会编码\r\n\
         在会,{},张𬌗,新入会,M1,园区工会,SZ-630\r\n\
         正常,{},何𰻞,,M2,园区工会,SZ-630\r\n\
         在会,{},陈〇,,M3,园区工会,SZ-630\r\n\
         在会,{},阿卜杜・艾尼,,M4,园区工会,ＳＺ－６３０\r\n\
         转出,{},赵𮧵,,M5,园区工会,SZ-630\r\n",
        ids[0],
        ids[1],
        ids[2],
        full_width(&ids[3]),
        ids[4]
    );
    let (gb, _, unmappable) = encoding_rs::GB18030.encode(&csv);
    assert!(!unmappable, "GB18030 encodes every character");
    let reply = upload(&app, &operator, gb.into_owned()).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let report = reply.json();
    assert_eq!((report["inserted"].as_u64(), report["rejected"].as_u64()), (Some(5), Some(0)), "{report}");
    assert_eq!(report["ignored_columns"], json!(["备注"]));

    // Each of them binds their name as the ID card writes it, and is activated; masks keep whole characters.
    let cases = [
        ("13800006301", "张𬌗", &ids[0], "张*"),
        ("13800006302", "何𰻞", &ids[1], "何*"),
        ("13800006303", "陈〇", &ids[2], "陈*"),
        ("13800006304", "阿卜杜·艾尼", &ids[3], "阿*****"),
    ];
    for (phone, name, id, masked) in cases {
        let export = bind(&app, phone, name, id).await;
        assert_eq!(export["member"]["status"], "activated", "{name}: {export}");
        assert_eq!(export["member"]["real_name"]["name"], masked, "{name}");
        assert_eq!(export["member"]["union"]["union_org_code"], "SZ-630", "full-width code folded");
    }
    // 转出 is `left`: the roster refuses the binding.
    let token = app.consenting_member("13800006305").await;
    let left = Req::put("/v1/me/real-name").bearer(&token).json(json!({"name": "赵𮧵", "id_number": ids[4]}));
    app.send(left).await.problem(422, "realname.not_matched");
    // Kept intact, sealed: staff find the member by ID number and see the mask.
    let auditor = app.staff(Role::Auditor).await;
    let found = app.send(Req::post("/v1/admin/members/search").bearer(&auditor).json(json!({"query": ids[0]}))).await;
    assert_eq!(found.json()["items"][0]["real_name"]["name"], "张*");
}

on_both_backends!(utf16_and_bom_files_import_and_other_files_are_one_refusal);

async fn utf16_and_bom_files_import_and_other_files_are_one_refusal(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let operator = app.staff(Role::Operator).await;
    let (a, b) = (id_number("19860606", 1), id_number("19860606", 2));
    let text = format!("姓名,身份证号,工会编码,工会名称,会员编号,状态\n刘䶮,{a},SZ-631,工会,M1,active\n");
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let r = upload(&app, &operator, utf16).await.json();
    assert_eq!(r["inserted"], 1, "{r}");
    let bom = [
        b"\xEF\xBB\xBF".as_slice(),
        format!("name,id_number,union_org_code,union_org_name,member_no,status\n王𠮷,{b},SZ-631,x,M2,left\n")
            .as_bytes(),
    ]
    .concat();
    assert_eq!(upload(&app, &operator, bom).await.json()["inserted"], 1);

    // Not text at all: one refusal naming what is taken, not a rejection per line.
    let binary: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 251) as u8 | 0x80).collect();
    let refused = upload(&app, &operator, binary).await;
    let problem = refused.problem(422, "roster.file_refused");
    assert!(problem["reason"].as_str().unwrap().contains("GB18030"), "{problem}");
    // A header missing columns: one refusal listing them.
    let short = "姓名,身份证号,状态\n张三,x,在会\n".as_bytes().to_vec();
    let problem = upload(&app, &operator, short).await.problem(422, "roster.file_refused");
    assert_eq!(problem["reason"], "表头缺少以下列：工会编码、工会名称、会员编号");
}

on_both_backends!(an_id_column_a_spreadsheet_made_numeric_is_explained);

async fn an_id_column_a_spreadsheet_made_numeric_is_explained(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let operator = app.staff(Role::Operator).await;
    let csv = "姓名,身份证号,工会编码,工会名称,会员编号,状态\n张三,3.20502E+17,SZ-632,x,M1,在会\n李四,320502198507070000.0,SZ-632,x,M2,在会\n";
    let report = upload(&app, &operator, csv.as_bytes().to_vec()).await.json();
    assert_eq!(report["rejected"], 2, "{report}");
    for r in report["rejections"].as_array().unwrap() {
        assert_eq!(
            (r["column"].as_str(), r["reason"].as_str()),
            (Some("id_number"), Some("身份证号列被设为数字格式，请设为文本后重新导出"))
        );
    }
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn workbook(ids: &[String], id_as_number: bool) -> Vec<u8> {
    use infra::xlsx::XlsxCell::{Number, Text};
    let t = |s: &str| Text(s.to_owned());
    let mut rows = vec![vec![t("会员编号"), t("证件号码"), t("姓名"), t("状态"), t("工会名称"), t("工会编码")]];
    for (i, (id, name)) in ids.iter().zip(["钱𬌗", "孙〇"]).enumerate() {
        let id_cell = if id_as_number { Number(id.parse::<f64>().unwrap()) } else { t(id) };
        rows.push(vec![Number((i + 1) as f64), id_cell, t(name), t("在会"), t("园区工会"), t("SZ-633")]);
    }
    infra::xlsx::workbook("名册", &rows).unwrap()
}

on_both_backends!(an_xlsx_workbook_imports_and_a_numeric_id_column_is_explained);

async fn an_xlsx_workbook_imports_and_a_numeric_id_column_is_explained(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let operator = app.staff(Role::Operator).await;
    let ids: Vec<String> = (1..=2).map(|i| id_number("19870707", i)).collect();
    let send = |path: &str, bytes: Vec<u8>| Req::post(path).bearer(&operator).raw(XLSX, bytes);

    let r = app.send(send("/v1/admin/roster/imports", workbook(&ids, false))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!((r.json()["inserted"].as_u64(), r.json()["rejected"].as_u64()), (Some(2), Some(0)), "{}", r.text());
    let export = bind(&app, "13800006331", "钱𬌗", &ids[0]).await;
    assert_eq!(
        (export["member"]["status"].as_str(), export["member"]["union"]["member_no"].as_str()),
        (Some("activated"), Some("1"))
    );

    // The ID column formatted as numbers: Excel kept 15 digits; the fix is said in words.
    let others: Vec<String> = (3..=4).map(|i| id_number("19870707", i)).collect();
    let r = app.send(send("/v1/admin/roster/imports?sheet=%E5%90%8D%E5%86%8C", workbook(&others, true))).await.json();
    assert_eq!(r["rejected"], 2, "{r}");
    assert_eq!(r["rejections"][0]["reason"], "身份证号列被设为数字格式，请设为文本后重新导出");
    assert_eq!(r["rejections"][0]["line"], 2);

    let missing = app.send(send("/v1/admin/roster/imports?sheet=Sheet9", workbook(&ids, false))).await;
    assert!(missing.problem(422, "roster.file_refused")["reason"].as_str().unwrap().contains("名册"));
    let not_a_workbook = app.send(send("/v1/admin/roster/imports", b"name,id\n".to_vec())).await;
    not_a_workbook.problem(422, "roster.file_refused");
    // And a workbook sent as CSV is told apart from text.
    let as_csv = upload(&app, &operator, workbook(&ids, false)).await;
    assert!(as_csv.problem(422, "roster.file_refused")["reason"].as_str().unwrap().contains(".xlsx"));
}

on_both_backends!(templates_fill_in_and_a_dry_run_writes_nothing);

async fn templates_fill_in_and_a_dry_run_writes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let operator = app.staff(Role::Operator).await;
    let auditor = app.staff(Role::Auditor).await;

    // The templates, as downloaded, are files the import takes (their example row included).
    let xlsx = app.send(Req::get("/v1/admin/roster/template.xlsx").bearer(&auditor)).await;
    assert_eq!((xlsx.status, xlsx.header("content-type")), (200, Some(XLSX)));
    let csv = app.send(Req::get("/v1/admin/roster/template.csv").bearer(&auditor)).await;
    assert!(csv.text().starts_with("\u{feff}姓名,身份证号,工会编码,工会名称,会员编号,状态\r\n"), "{}", csv.text());
    let dry = |content_type: &'static str, body: Vec<u8>| {
        Req::post("/v1/admin/roster/imports?dry_run=true").bearer(&operator).raw(content_type, body)
    };
    for (content_type, body) in [(XLSX, xlsx.body.clone()), ("text/csv", csv.body.clone())] {
        let r = app.send(dry(content_type, body)).await.json();
        assert_eq!(
            (r["accepted"].as_u64(), r["rejected"].as_u64(), r["dry_run"].as_bool()),
            (Some(1), Some(0), Some(true)),
            "{r}"
        );
    }

    // A dry run of a file with 150 bad rows: counts, the first 100 reasons, nothing written, nothing audited.
    let good = id_number("19880808", 1);
    let mut file = String::from("姓名,身份证号,工会编码,工会名称,会员编号,状态\n");
    file.push_str(&format!("周一,{good},SZ-634,x,M0,在会\n"));
    for i in 0..150 {
        file.push_str(&format!("周{i},12345,SZ-634,x,M{i},在会\n"));
    }
    let r = app.send(dry("text/csv", file.clone().into_bytes())).await.json();
    assert_eq!((r["accepted"].as_u64(), r["rejected"].as_u64()), (Some(1), Some(150)), "{r}");
    assert_eq!(r["rejections"].as_array().map(Vec::len), Some(100));
    assert_eq!(app.count("SELECT count(*) AS n FROM roster").await, 0, "a dry run writes nothing");
    let audit = app.send(Req::get("/v1/admin/audit").bearer(&auditor)).await.json();
    assert!(audit["items"].as_array().unwrap().iter().all(|e| e["action"] != "roster.import"), "{audit}");

    // The same file for real.
    let real = upload(&app, &operator, file.into_bytes()).await.json();
    assert_eq!(
        (real["inserted"].as_u64(), real["accepted"].as_u64(), real["dry_run"].as_bool()),
        (Some(1), Some(1), Some(false))
    );
    assert_eq!(app.count("SELECT count(*) AS n FROM roster").await, 1);
}

on_both_backends!(rejected_rows_come_back_as_a_file_to_fix_and_upload_again);

async fn rejected_rows_come_back_as_a_file_to_fix_and_upload_again(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let operator = app.staff(Role::Operator).await;
    let (good, fixed) = (id_number("19890909", 1), id_number("19890909", 2));
    let bad = tests::members::with_bad_check(&fixed);
    let file = format!("状态,身份证号,姓名,工会名称,会员编号,工会编码\n在会,{good},吴一,x,M1,SZ-635\n在会,{bad},\"郑,二\",x,M2,SZ-635\n退休,{fixed},王三,x,M3,SZ-635\n");
    let reply = app
        .send(
            Req::post("/v1/admin/roster/imports")
                .bearer(&operator)
                .header("accept", "text/csv")
                .raw("text/csv", file.into_bytes()),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    assert_eq!((reply.header("x-import-accepted"), reply.header("x-import-rejected")), (Some("1"), Some("2")));
    let rejected = reply.text();
    let lines: Vec<&str> = rejected.lines().collect();
    assert_eq!(lines[0], "\u{feff}状态,身份证号,姓名,工会名称,会员编号,工会编码,错误原因,原行号");
    assert_eq!(
        lines[1],
        format!("在会,{bad},\"郑,二\",x,M2,SZ-635,姓名须为 2–20 个汉字（少数民族姓名各部分之间用“·”分隔）,3")
    );
    assert!(lines[2].starts_with(&format!("退休,{fixed},王三,")) && lines[2].ends_with(",4"), "{rejected}");

    // Staff fix the rows in the file they got back and upload it as it is.
    let corrected =
        rejected.replace(&bad, &id_number("19890909", 3)).replace("\"郑,二\"", "郑二").replace("退休", "离会");
    let again = app
        .send(Req::post("/v1/admin/roster/imports").bearer(&operator).raw("text/csv", corrected.clone().into_bytes()))
        .await
        .json();
    assert_eq!((again["inserted"].as_u64(), again["rejected"].as_u64()), (Some(2), Some(0)), "{again}\n{corrected}");
    assert_eq!(again["ignored_columns"], json!(["错误原因", "原行号"]));
}

on_both_backends!(lines_are_counted_alike_with_crlf_and_a_bom);

async fn lines_are_counted_alike_with_crlf_and_a_bom(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let operator = app.staff(Role::Operator).await;
    let ok = id_number("19900101", 1);
    for (start, end) in [("", "\n"), ("", "\r\n"), ("\u{feff}", "\r\n"), ("\u{feff}", "\n")] {
        let file = format!("{start}姓名,身份证号,工会编码,工会名称,会员编号,状态{end}王一,{ok},SZ-1,x,M1,在会{end}王二,123,SZ-1,x,M2,在会{end}");
        let r = upload(&app, &operator, file.into_bytes()).await.json();
        assert_eq!(r["rejections"][0]["line"], 3, "{start:?} {end:?}: {r}");
    }
}

on_both_backends!(a_large_import_reports_its_progress_as_it_runs);

async fn a_large_import_reports_its_progress_as_it_runs(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let operator = app.staff(Role::Operator).await;
    let start = chrono::NaiveDate::from_ymd_opt(1950, 1, 1).unwrap();
    let mut file = String::from("姓名,身份证号,工会编码,工会名称,会员编号,状态\n");
    for n in 0..41_000u32 {
        let birth = (start + chrono::Duration::days(i64::from(n / 1000))).format("%Y%m%d").to_string();
        let id = if n % 10_000 == 7 { "bad".to_owned() } else { id_number(&birth, n % 1000) };
        file.push_str(&format!("吴某,{id},SZ-636,x,M{n},在会\n"));
    }
    let reply = app
        .send(
            Req::post("/v1/admin/roster/imports")
                .bearer(&operator)
                .header("accept", "application/x-ndjson")
                .raw("text/csv", file.into_bytes()),
        )
        .await;
    assert_eq!((reply.status, reply.header("content-type")), (200, Some("application/x-ndjson")));
    let lines: Vec<Value> = reply.text().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let progress: Vec<(u64, u64)> = lines
        .iter()
        .filter_map(|l| Some((l["progress"]["rows"].as_u64()?, l["progress"]["rejected"].as_u64()?)))
        .collect();
    assert!(progress.len() >= 2, "a line per batch: {progress:?}");
    assert!(progress.windows(2).all(|w| w[0].0 < w[1].0), "rows only grow: {progress:?}");
    assert_eq!(progress.last(), Some(&(41_000, 5)), "the last line before the report counts every row");
    let report = &lines.last().unwrap()["report"];
    assert_eq!((report["inserted"].as_u64(), report["rejected"].as_u64()), (Some(40_995), Some(5)), "{report}");
}

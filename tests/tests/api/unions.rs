//! The union tree: imported from the file staff have (any order, any encoding, Chinese headers),
//! exported back, changed node by node — moves carry their subtree, merges carry their members —
//! and the roster's codes adopted as unplaced unions.

use domain::admin::Role;
use serde_json::{json, Value};
use tests::{on_both_backends, Backend, Req, TestApp};

async fn import(app: &TestApp, staff: &str, csv: &str) -> Value {
    let reply =
        app.send(Req::post("/v1/admin/unions/imports").bearer(staff).raw("text/csv", csv.as_bytes().to_vec())).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    reply.json()
}

async fn union(app: &TestApp, staff: &str, code: &str) -> Value {
    let reply = app.send(Req::get(&format!("/v1/admin/unions/{code}")).bearer(staff)).await;
    assert_eq!(reply.status, 200, "{code}: {}", reply.text());
    reply.json()
}

/// Every code under `under`, walking the pages.
async fn codes_under(app: &TestApp, staff: &str, under: &str) -> Vec<String> {
    let mut codes = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/v1/admin/unions?under={under}&limit=2");
        if let Some(c) = &cursor {
            path.push_str(&format!("&cursor={c}"));
        }
        let page = app.send(Req::get(&path).bearer(staff)).await.json();
        codes.extend(page["items"].as_array().unwrap().iter().map(|n| n["code"].as_str().unwrap().to_owned()));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    codes.sort();
    codes
}

/// A district, two streets under it, unions under those; children before their parents, columns
/// in their own order, with a column the tree does not know.
const TREE: &str = "类型,工会名称,上级工会编码,工会编码,备注,覆盖单位\n\
    基层工会,某科技公司工会,SZ-SIP-WT,SZ-SIP-WT-G01,,\n\
    联合工会,娄葑街道联合工会,SZ-SIP-WT,SZ-SIP-WT-J01,,甲科技有限公司；乙贸易有限公司\n\
    街道总工会,娄葑街道总工会,SZ-SIP,SZ-SIP-WT,,\n\
    区总工会,苏州工业园区总工会,ROOT,SZ-SIP,新建,\n\
    街道总工会,斜塘街道总工会,SZ-SIP,SZ-SIP-XT,,\n\
    基层工会,某医院工会,SZ-SIP-XT,SZ-SIP-XT-G01,,\n";

on_both_backends!(a_tree_file_imports_in_any_order_and_exports_back_unchanged);

async fn a_tree_file_imports_in_any_order_and_exports_back_unchanged(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let operator = app.staff(Role::Operator).await;
    // Excel's CSV on a Chinese Windows: GB18030.
    let (gb, _, _) = encoding_rs::GB18030.encode(TREE);
    let reply =
        app.send(Req::post("/v1/admin/unions/imports").bearer(&operator).raw("text/csv", gb.into_owned())).await;
    assert_eq!(reply.status, 200, "{}", reply.text());
    let report = reply.json();
    assert_eq!((report["inserted"].as_u64(), report["rejected"].as_u64()), (Some(6), Some(0)), "{report}");
    assert_eq!(report["ignored_columns"], json!(["备注"]));

    let joint = union(&app, &operator, "SZ-SIP-WT-J01").await;
    assert_eq!(joint["path"], json!(["ROOT", "SZ-SIP", "SZ-SIP-WT", "SZ-SIP-WT-J01"]), "{joint}");
    assert_eq!(joint["employers"], json!(["甲科技有限公司", "乙贸易有限公司"]));
    assert_eq!((joint["kind"].as_str(), joint["kind_zh"].as_str()), (Some("joint"), Some("联合工会")));
    assert_eq!(
        codes_under(&app, &operator, "SZ-SIP-WT").await,
        ["SZ-SIP-WT", "SZ-SIP-WT-G01", "SZ-SIP-WT-J01"],
        "a subtree, across pages"
    );
    let children = app.send(Req::get("/v1/admin/unions?parent=SZ-SIP").bearer(&operator)).await.json();
    assert_eq!(children["items"].as_array().unwrap().len(), 2, "{children}");
    let found = app.send(Req::get("/v1/admin/unions?q=%E4%B9%99%E8%B4%B8%E6%98%93").bearer(&operator)).await.json();
    assert_eq!(found["items"][0]["code"], "SZ-SIP-WT-J01", "found by an employer covered: {found}");

    // The export imports back as it is: nothing changes.
    let export = app.send(Req::get("/v1/admin/unions/export.csv").bearer(&operator)).await;
    assert_eq!((export.status, export.header("content-type")), (200, Some("text/csv; charset=utf-8")));
    let text = export.text();
    assert!(text.starts_with("\u{feff}工会编码,工会名称,类型,上级工会编码,覆盖单位\r\nROOT,"), "{text}");
    let again = import(&app, &operator, &text).await;
    assert_eq!(
        (
            again["inserted"].as_u64(),
            again["updated"].as_u64(),
            again["unchanged"].as_u64(),
            again["rejected"].as_u64()
        ),
        (Some(0), Some(0), Some(7), Some(0)),
        "{again}"
    );
    let sub = app.send(Req::get("/v1/admin/unions/export.csv?under=SZ-SIP-XT").bearer(&operator)).await.text();
    assert_eq!(sub.lines().count(), 3, "a subtree's export: {sub}");

    // The template imports too (a dry run: nothing written).
    let template = app.send(Req::get("/v1/admin/unions/template.csv").bearer(&operator)).await.text();
    let dry = app
        .send(
            Req::post("/v1/admin/unions/imports?dry_run=true").bearer(&operator).raw("text/csv", template.into_bytes()),
        )
        .await
        .json();
    assert_eq!((dry["dry_run"].as_bool(), dry["rejected"].as_u64()), (Some(true), Some(0)), "{dry}");
    assert_eq!(app.send(Req::get("/v1/admin/unions/SZ-SIP-WT-J01").bearer(&operator)).await.status, 200);
}

on_both_backends!(every_bad_row_is_refused_by_its_line_and_the_rest_are_written);

async fn every_bad_row_is_refused_by_its_line_and_the_rest_are_written(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let operator = app.staff(Role::Operator).await;
    let csv = "工会编码,工会名称,类型,上级工会编码\n\
        SZ-A,甲区总工会,区总工会,ROOT\n\
        SZ-A-G1,甲公司工会,基层工会,SZ-NOPE\n\
        SZ-A-G2,乙公司工会,基层工会,SZ-A\n\
        SZ-A-G2,乙公司工会（重复）,基层工会,SZ-A\n\
        SZ-A-G3,丙公司工会,基层工会,SZ-A-G2\n\
        SZ-T1,一街道总工会,街道总工会,SZ-T2\n\
        SZ-T2,二街道总工会,街道总工会,SZ-T1\n\
        SZ-ROOT2,另一个市总工会,市总工会,\n\
        SZ-B,乙区总工会,区总工会,SZ-A\n\
        SZ A,空格,区总工会,ROOT\n";
    let reply = app
        .send(
            Req::post("/v1/admin/unions/imports")
                .bearer(&operator)
                .header("accept", "text/csv")
                .raw("text/csv", csv.as_bytes().to_vec()),
        )
        .await;
    assert_eq!((reply.status, reply.header("x-import-rejected")), (200, Some("8")), "{}", reply.text());
    let file = reply.text();
    let lines: Vec<u64> = file.lines().skip(1).map(|l| l.rsplit(',').next().unwrap().parse().unwrap()).collect();
    assert_eq!(lines, [3, 5, 6, 7, 8, 9, 10, 11], "{file}");
    assert!(file.contains("SZ-NOPE") && file.contains("重复") && file.contains("基层工会和联合工会之下"), "{file}");
    // The good rows are in.
    assert_eq!(codes_under(&app, &operator, "SZ-A").await, ["SZ-A", "SZ-A-G2"]);
    // A file without the columns is one refusal.
    let reply = app
        .send(
            Req::post("/v1/admin/unions/imports").bearer(&operator).raw("text/csv", "工会编码,工会名称\nX,Y\n".into()),
        )
        .await;
    assert_eq!((reply.status, reply.json()["code"].as_str()), (422, Some("unions.file_refused")));
}

on_both_backends!(a_move_carries_its_subtree_and_moves_at_once_leave_one_tree);

async fn a_move_carries_its_subtree_and_moves_at_once_leave_one_tree(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let operator = app.staff(Role::Operator).await;
    import(&app, &operator, TREE).await;
    let create = |code: &str, kind: &str, parent: &str| {
        Req::post("/v1/admin/unions")
            .bearer(&operator)
            .json(json!({"code": code, "name": format!("{code} 工会"), "kind": kind, "parent_code": parent}))
    };
    let made = app.send(create("SZ-GX", "district", "ROOT")).await;
    assert_eq!((made.status, made.header("location")), (201, Some("/v1/admin/unions/SZ-GX")), "{}", made.text());
    let taken = app.send(create("SZ-GX", "district", "ROOT")).await;
    assert_eq!((taken.status, taken.json()["code"].as_str()), (409, Some("union.code_taken")));
    let under_leaf = app.send(create("SZ-X", "grassroots", "SZ-SIP-WT-G01")).await;
    assert_eq!((under_leaf.status, under_leaf.json()["code"].as_str()), (422, Some("union.placement")));
    let nowhere = app.send(create("SZ-X", "grassroots", "SZ-NOPE")).await;
    assert_eq!((nowhere.status, nowhere.json()["code"].as_str()), (404, Some("union.not_found")));

    // A street moves to another district with its unions.
    let moved = app
        .send(Req::patch("/v1/admin/unions/SZ-SIP-WT").bearer(&operator).json(json!({"parent_code": "SZ-GX"})))
        .await;
    assert_eq!(moved.status, 200, "{}", moved.text());
    let joint = union(&app, &operator, "SZ-SIP-WT-J01").await;
    assert_eq!(joint["path"], json!(["ROOT", "SZ-GX", "SZ-SIP-WT", "SZ-SIP-WT-J01"]));
    assert_eq!(codes_under(&app, &operator, "SZ-SIP").await, ["SZ-SIP", "SZ-SIP-XT", "SZ-SIP-XT-G01"]);
    // A refused change writes nothing of itself: not the new name sent with a bad parent.
    let half = app
        .send(
            Req::patch("/v1/admin/unions/SZ-SIP-XT")
                .bearer(&operator)
                .json(json!({"name": "半途改名", "parent_code": "SZ-SIP-WT-G01"})),
        )
        .await;
    assert_eq!(half.status, 422, "{}", half.text());
    assert_eq!(union(&app, &operator, "SZ-SIP-XT").await["name"], "斜塘街道总工会");
    // Not under itself, nor where its kind may not sit.
    for (code, parent) in [("SZ-SIP", "SZ-SIP-XT"), ("SZ-GX", "SZ-SIP-WT"), ("SZ-SIP-WT", "SZ-SIP-WT-G01")] {
        let refused = app
            .send(
                Req::patch(&format!("/v1/admin/unions/{code}")).bearer(&operator).json(json!({"parent_code": parent})),
            )
            .await;
        assert_eq!((refused.status, refused.json()["code"].as_str()), (422, Some("union.placement")), "{code}");
    }

    // Two staff move the same street at once, and another street besides: the tree stays whole.
    let moves = vec![
        Req::patch("/v1/admin/unions/SZ-SIP-WT").bearer(&operator).json(json!({"parent_code": "SZ-SIP"})),
        Req::patch("/v1/admin/unions/SZ-SIP-WT").bearer(&operator).json(json!({"parent_code": "ROOT"})),
        Req::patch("/v1/admin/unions/SZ-SIP-XT").bearer(&operator).json(json!({"parent_code": "SZ-GX"})),
    ];
    let replies = futures_util::future::join_all(moves.into_iter().map(|r| app.send(r))).await;
    assert!(replies.iter().all(|r| r.status == 200), "{:?}", replies.iter().map(|r| r.text()).collect::<Vec<_>>());
    let all = app.send(Req::get("/v1/admin/unions?limit=100").bearer(&operator)).await.json();
    let nodes = all["items"].as_array().unwrap();
    let path_of: std::collections::HashMap<&str, &Value> =
        nodes.iter().map(|n| (n["code"].as_str().unwrap(), &n["path"])).collect();
    for n in nodes {
        let Some(parent) = n["parent_code"].as_str() else { continue };
        let mut expected = path_of[parent].as_array().unwrap().clone();
        expected.push(n["code"].clone());
        assert_eq!(&n["path"], &Value::Array(expected), "{n}");
    }
    let audit = app.send(Req::get("/v1/admin/audit?limit=100").bearer(&operator)).await.json();
    let moves = audit["items"].as_array().unwrap().iter().filter(|e| e["action"] == "union.update").count();
    assert_eq!(moves, 4, "every move is audited: {audit}");
}

on_both_backends!(a_merge_moves_the_members_and_a_union_with_members_does_not_close);

async fn a_merge_moves_the_members_and_a_union_with_members_does_not_close(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let operator = app.staff(Role::Operator).await;
    import(&app, &operator, TREE).await;
    let members = app.activated_members(3, "SZ-SIP-WT-G01").await;

    let refused = app.send(Req::post("/v1/admin/unions/SZ-SIP-WT-G01/closure").bearer(&operator)).await;
    assert_eq!((refused.status, refused.json()["active_members"].as_u64()), (409, Some(3)), "{}", refused.text());
    let refused = app.send(Req::post("/v1/admin/unions/SZ-SIP-WT/closure").bearer(&operator)).await;
    assert_eq!((refused.status, refused.json()["code"].as_str()), (409, Some("union.has_children")));
    let not_leaf = app
        .send(Req::post("/v1/admin/unions/SZ-SIP-WT/merge").bearer(&operator).json(json!({"into": "SZ-SIP-WT-J01"})))
        .await;
    assert_eq!((not_leaf.status, not_leaf.json()["code"].as_str()), (422, Some("union.placement")));

    let merged = app
        .send(
            Req::post("/v1/admin/unions/SZ-SIP-WT-G01/merge").bearer(&operator).json(json!({"into": "SZ-SIP-WT-J01"})),
        )
        .await;
    assert_eq!(merged.status, 200, "{}", merged.text());
    let merged = merged.json();
    assert_eq!(merged["members_moved"], 3);
    assert_eq!(
        (merged["from"]["merged_into"].as_str(), merged["from"]["closed_at"].is_string()),
        (Some("SZ-SIP-WT-J01"), true)
    );
    for token in &members {
        let me = app.send(Req::get("/v1/me").bearer(token)).await.json();
        assert_eq!(me["union"]["union_org_code"], "SZ-SIP-WT-J01", "{me}");
    }
    // Closed: out of lists unless asked for, and changed no more; an empty union closes.
    let listed = codes_under(&app, &operator, "SZ-SIP-WT").await;
    assert_eq!(listed, ["SZ-SIP-WT", "SZ-SIP-WT-J01"]);
    let again = app
        .send(
            Req::post("/v1/admin/unions/SZ-SIP-WT-G01/merge").bearer(&operator).json(json!({"into": "SZ-SIP-WT-J01"})),
        )
        .await;
    assert_eq!((again.status, again.json()["code"].as_str()), (409, Some("union.closed")));
    let closed = app.send(Req::post("/v1/admin/unions/SZ-SIP-XT-G01/closure").bearer(&operator)).await;
    assert_eq!(closed.status, 200, "{}", closed.text());
    let root = app.send(Req::post("/v1/admin/unions/ROOT/closure").bearer(&operator)).await;
    assert_eq!(root.status, 422);

    // A file may not reopen a closed union nor change a union's kind; only leaves cover employers.
    let file = "工会编码,工会名称,类型,上级工会编码,覆盖单位\n\
        SZ-SIP-XT-G01,某医院工会,基层工会,SZ-SIP-XT,\n\
        SZ-SIP-WT-J01,娄葑街道联合工会,基层工会,SZ-SIP-WT,\n\
        SZ-SIP-XT-G09,某工厂工会,基层工会,SZ-SIP-XT,\n";
    let report = import(&app, &operator, file).await;
    let reasons: Vec<(u64, &str)> = report["rejections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(reasons.len(), 2, "{report}");
    assert!(reasons[0].0 == 2 && reasons[0].1.contains("已撤销"), "{reasons:?}");
    assert!(reasons[1].0 == 3 && reasons[1].1.contains("类型不可"), "{reasons:?}");
    assert_eq!(report["inserted"], 1);
    let covering = app
        .send(Req::post("/v1/admin/unions").bearer(&operator).json(json!({"code": "SZ-WZ", "name": "吴中区总工会",
            "kind": "district", "parent_code": "ROOT", "employers": ["某公司"]})))
        .await;
    assert_eq!((covering.status, covering.json()["field"].as_str()), (422, Some("employers")));
    let covering = app
        .send(Req::patch("/v1/admin/unions/SZ-SIP-XT").bearer(&operator).json(json!({"employers": ["某公司"]})))
        .await;
    assert_eq!((covering.status, covering.json()["field"].as_str()), (422, Some("employers")));
}

on_both_backends!(roster_codes_the_tree_lacks_become_unplaced_unions_to_place);

async fn roster_codes_the_tree_lacks_become_unplaced_unions_to_place(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let operator = app.staff(Role::Operator).await;
    import(&app, &operator, TREE).await;
    app.activated_members(2, "SZ-NEW-01").await;
    app.activated_members(1, "SZ-SIP-WT-G01").await;
    let unplaced = app.send(Req::get("/v1/admin/unions?unplaced=true").bearer(&operator)).await.json();
    let items = unplaced["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{unplaced}");
    assert_eq!((items[0]["code"].as_str(), items[0]["parent_code"].as_str()), (Some("SZ-NEW-01"), Some("ROOT")));
    assert_eq!(items[0]["kind"], "grassroots");

    let placed = app
        .send(
            Req::patch("/v1/admin/unions/SZ-NEW-01")
                .bearer(&operator)
                .json(json!({"parent_code": "SZ-SIP-XT", "name": "新公司工会"})),
        )
        .await;
    assert_eq!(placed.status, 200, "{}", placed.text());
    assert_eq!(
        (placed.json()["unplaced"].as_bool(), placed.json()["name"].as_str()),
        (Some(false), Some("新公司工会"))
    );
    let unplaced = app.send(Req::get("/v1/admin/unions?unplaced=true").bearer(&operator)).await.json();
    assert_eq!(unplaced["items"], json!([]));

    // An auditor reads the tree and changes nothing.
    let auditor = app.staff(Role::Auditor).await;
    assert_eq!(app.send(Req::get("/v1/admin/unions/SZ-NEW-01").bearer(&auditor)).await.status, 200);
    let refused =
        app.send(Req::patch("/v1/admin/unions/SZ-NEW-01").bearer(&auditor).json(json!({"name": "改名"}))).await;
    assert_eq!(refused.status, 403);
}

/// `sgh` as the operator runs it on the server, against this test's database.
fn sgh(app: &TestApp, args: &[&str]) -> std::process::Output {
    let deps = std::env::current_exe().unwrap();
    let bin = deps.parent().and_then(|d| d.parent()).unwrap().join("sgh");
    assert!(bin.exists(), "{} is built by `cargo test --workspace` (or `cargo build -p api`)", bin.display());
    std::process::Command::new(bin).args(args).env_clear().envs(app.env.vars()).env("SGH_LOG", "off").output().unwrap()
}

on_both_backends!(the_command_line_loads_and_prints_the_tree);

async fn the_command_line_loads_and_prints_the_tree(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    let file = app.env.dir.join("tree.csv");
    std::fs::write(
        &file,
        "工会编码,工会名称,类型,上级工会编码\nSZ-SIP-WT,娄葑街道总工会,街道总工会,SZ-SIP\nSZ-SIP,苏州工业园区总工会,区总工会,ROOT\n\
         SZ-SIP-WT-G01,某科技公司工会,基层工会,SZ-SIP-WT\nSZ-X-G01,某医院工会,基层工会,SZ-NOPE\n",
    )
    .unwrap();
    let path = file.to_str().unwrap();

    // A dry run reports the refused row by its line and writes nothing; the run writes the rest.
    let dry = sgh(&app, &["import-unions", "--dry-run", path]);
    let out = String::from_utf8_lossy(&dry.stdout);
    assert_eq!(dry.status.code(), Some(1), "{out} {}", String::from_utf8_lossy(&dry.stderr));
    assert!(out.contains("dry run") && out.contains("line 5"), "{out}");
    let reply = app.send(Req::get("/v1/admin/unions/SZ-SIP").bearer(&city)).await;
    assert_eq!(reply.status, 404, "nothing written by a dry run");
    let run = sgh(&app, &["import-unions", path]);
    let out = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "a refused row fails the command: {out}");
    assert!(out.contains("inserted 3") && out.contains("line 5") && out.contains("SZ-NOPE"), "{out}");
    assert_eq!(union(&app, &city, "SZ-SIP-WT-G01").await["parent_code"], "SZ-SIP-WT");

    // The export is the API's: parents first, and it imports back unchanged.
    let export = sgh(&app, &["export-unions", "--under", "SZ-SIP"]);
    assert!(export.status.success(), "{}", String::from_utf8_lossy(&export.stderr));
    let csv = String::from_utf8(export.stdout).unwrap();
    let api = app.send(Req::get("/v1/admin/unions/export.csv?under=SZ-SIP").bearer(&city)).await.text();
    assert_eq!(csv, api);
    assert_eq!(csv.lines().count(), 4, "{csv}");
    std::fs::write(&file, &csv).unwrap();
    let again = sgh(&app, &["import-unions", path]);
    let out = String::from_utf8_lossy(&again.stdout);
    assert!(again.status.success() && out.contains("unchanged 3"), "{out}");
    let unknown = sgh(&app, &["export-unions", "--under", "SZ-NOPE"]);
    assert!(!unknown.status.success());
}

//! A large import as a job (`Prefer: respond-async`): answered at once, polled for its progress,
//! its report and rejected rows kept for the staff member who started it.

use domain::admin::Role;
use serde_json::Value;
use std::time::{Duration, Instant};
use tests::members::id_number;
use tests::{on_both_backends, Backend, Req, TestApp};

fn roster(rows: u32, bad_every: u32) -> Vec<u8> {
    let start = chrono::NaiveDate::from_ymd_opt(1950, 1, 1).unwrap();
    let mut file = String::from("姓名,身份证号,工会编码,工会名称,会员编号,状态\n");
    for n in 0..rows {
        let birth = (start + chrono::Duration::days(i64::from(n / 1000))).format("%Y%m%d").to_string();
        let id = if n % bad_every == 7 { format!("bad{n}") } else { id_number(&birth, n % 1000) };
        file.push_str(&format!("吴某,{id},SZ-640,x,M{n},在会\n"));
    }
    file.into_bytes()
}

async fn start(app: &TestApp, staff: &str, content_type: &str, file: Vec<u8>) -> (String, Value) {
    let reply = app
        .send(
            Req::post("/v1/admin/roster/imports")
                .bearer(staff)
                .header("prefer", "handling=lenient, respond-async")
                .raw(content_type, file),
        )
        .await;
    assert_eq!(reply.status, 202, "{}", reply.text());
    let location = reply.header("location").expect("a Location").to_owned();
    (location, reply.json())
}

/// Polls the job until it ends (the import itself takes a second or two).
async fn finished(app: &TestApp, staff: &str, location: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let job = app.send(Req::get(location).bearer(staff)).await;
        // The embedded default's one writer is the import's for a moment at a time: a poll that
        // waits too long for it is answered 503 with Retry-After, and asks again as a client would.
        if job.status == 503 && job.header("retry-after").is_some() {
            assert!(Instant::now() < deadline, "unavailable until the end: {}", job.text());
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        assert_eq!(job.status, 200, "{}", job.text());
        let job = job.json();
        match job["state"].as_str() {
            Some("running") => assert!(Instant::now() < deadline, "still running: {job}"),
            _ => return job,
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

on_both_backends!(a_large_import_runs_as_a_job_that_its_staff_poll);

async fn a_large_import_runs_as_a_job_that_its_staff_poll(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let operator = app.staff(Role::Operator).await;
    let (location, job) = start(&app, &operator, "text/csv", roster(41_000, 10_000)).await;
    assert_eq!((job["kind"].as_str(), job["dry_run"].as_bool()), (Some("roster"), Some(false)), "{job}");
    assert_eq!(location, format!("/v1/admin/imports/{}", job["id"].as_str().unwrap()));

    let job = finished(&app, &operator, &location).await;
    assert_eq!(job["state"], "done", "{job}");
    let p = &job["progress"];
    assert_eq!(
        [&p["rows"], &p["accepted"], &p["rejected"], &p["inserted"], &p["updated"]].map(Value::as_u64),
        [Some(41_000), Some(40_995), Some(5), Some(40_995), Some(0)],
        "{job}"
    );
    assert_eq!((job["report"]["inserted"].as_u64(), job["report"]["rejected"].as_u64()), (Some(40_995), Some(5)));
    assert!(job["finished_at"].is_string(), "{job}");

    // The rejected rows, as a file to fix and upload again.
    let file = job["rejected_rows"].as_str().expect("a link to the rejected rows").to_owned();
    let rows = app.send(Req::get(&file).bearer(&operator)).await;
    assert_eq!((rows.status, rows.header("content-type")), (200, Some("text/csv; charset=utf-8")));
    let text = rows.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 6, "a header and the five rows: {text}");
    assert!(lines[0].ends_with("错误原因,原行号"), "{}", lines[0]);
    assert!(lines[1].starts_with("吴某,bad7,"), "{}", lines[1]);

    // The roster holds what the job wrote: the same file again changes nothing.
    let (again, _) = start(&app, &operator, "text/csv", roster(41_000, 10_000)).await;
    let job = finished(&app, &operator, &again).await;
    assert_eq!(
        (job["progress"]["unchanged"].as_u64(), job["progress"]["inserted"].as_u64()),
        (Some(40_995), Some(0)),
        "{job}"
    );

    // Another operator does not see it (an auditor may not see any); an admin does.
    app.create_admin("t.operator2", Role::Operator, None).await;
    let other = app.login("t.operator2").await;
    let auditor = app.staff(Role::Auditor).await;
    for path in [&location, &file] {
        let reply = app.send(Req::get(path).bearer(&other)).await;
        assert_eq!((reply.status, reply.json()["code"].as_str()), (404, Some("import.not_found")), "{path}");
        assert_eq!(app.send(Req::get(path).bearer(&auditor)).await.status, 403, "{path}");
    }
    let admin = app.staff(Role::Admin).await;
    assert_eq!(app.send(Req::get(&location).bearer(&admin)).await.status, 200);
    let unknown = app.send(Req::get("/v1/admin/imports/01937c4e-8f6a-7b3c-9d2e-4a5b6c7d8e9f").bearer(&admin)).await;
    assert_eq!(unknown.status, 404);
}

on_both_backends!(a_refused_file_fails_its_job_with_the_reason);

async fn a_refused_file_fails_its_job_with_the_reason(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let operator = app.staff(Role::Operator).await;
    let (location, _) = start(&app, &operator, "text/csv", vec![0x00, 0xff, 0xfe, 0x81, 0x00, 0x30, 0x00]).await;
    let job = finished(&app, &operator, &location).await;
    assert_eq!(job["state"], "failed", "{job}");
    assert_eq!(job["problem"]["code"], "roster.file_refused", "{job}");
    assert!(job["report"].is_null() && job["rejected_rows"].is_null(), "{job}");
    let rows = app.send(Req::get(&format!("{location}/rejected.csv")).bearer(&operator)).await;
    assert_eq!(rows.status, 404);

    // A dry run as a job writes nothing, and says so.
    let reply = app
        .send(
            Req::post("/v1/admin/roster/imports?dry_run=true")
                .bearer(&operator)
                .header("prefer", "respond-async")
                .raw("text/csv", roster(100, 50)),
        )
        .await;
    assert_eq!(reply.status, 202);
    let job = finished(&app, &operator, reply.header("location").unwrap()).await;
    assert_eq!((job["dry_run"].as_bool(), job["report"]["dry_run"].as_bool()), (Some(true), Some(true)), "{job}");
    assert_eq!((job["progress"]["accepted"].as_u64(), job["progress"]["unchanged"].as_u64()), (Some(98), Some(0)));
}

on_both_backends!(only_staff_who_may_import_start_a_job);

async fn only_staff_who_may_import_start_a_job(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let auditor = app.staff(Role::Auditor).await;
    let reply = app
        .send(
            Req::post("/v1/admin/roster/imports")
                .bearer(&auditor)
                .header("prefer", "respond-async")
                .raw("text/csv", roster(10, 50)),
        )
        .await;
    assert_eq!(reply.status, 403, "{}", reply.text());
}

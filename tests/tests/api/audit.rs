//! The append-only audit log.

use diesel::RunQueryDsl;
use domain::admin::Role;
use domain::shared::Clock;
use serde_json::json;
use tests::{on_both_backends, Backend, Req, TestApp, TEST_PASSWORD};

on_both_backends!(every_mutation_writes_one_audit_row);

async fn every_mutation_writes_one_audit_row(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.staff(Role::Admin).await;
    let root_id = app.send(Req::get("/v1/admin/me").bearer(&root)).await.json()["id"].clone();

    let create = json!({"username": "ops.chen", "password": TEST_PASSWORD, "display_name": "陈", "role": "operator"});
    let r =
        app.send(Req::post("/v1/admin/users").bearer(&root).header("x-request-id", "req-create-1").json(create)).await;
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let create_request = r.header("x-request-id").unwrap().to_owned();
    let patch = json!({"role": "auditor", "password": "another long password"});
    let r = app
        .send(
            Req::patch(&format!("/v1/admin/users/{id}"))
                .bearer(&root)
                .header("x-request-id", "req-update-1")
                .json(patch),
        )
        .await;
    assert_eq!(r.status, 200);
    let update_request = r.header("x-request-id").unwrap().to_owned();
    for _ in 0..5 {
        app.send(Req::post("/v1/admin/session").json(json!({"username": "ops.chen", "password": "wrong password!"})))
            .await;
    }

    let page = app.send(Req::get("/v1/admin/audit").bearer(&root)).await.json();
    let items = page["items"].as_array().unwrap();
    let actions: Vec<&str> = items.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["admin_user.lock", "admin_user.update", "admin_user.create", "admin_user.create"]);

    let lock = &items[0];
    assert_eq!((lock["target"].as_str(), lock["actor_name"].as_str()), (Some(id.as_str()), Some("cli:system")));

    let update = &items[1];
    assert_eq!(update["actor_id"], root_id);
    assert_eq!(update["actor_name"], "t.admin");
    // Ours, as the answer said; the client's beside it, marked as the client's.
    assert_eq!(
        (update["request_id"].as_str(), update["client_request_id"].as_str()),
        (Some(update_request.as_str()), Some("req-update-1"))
    );
    assert_eq!(update["target"], id);
    assert_eq!(
        (update["before"]["role"].as_str(), update["after"]["role"].as_str()),
        (Some("operator"), Some("auditor"))
    );
    assert_eq!(update["after"]["password_changed"], true);
    assert!(!update.to_string().contains("argon2"), "no password hash in the log");

    let create = &items[2];
    assert_eq!(
        (create["request_id"].as_str(), create["client_request_id"].as_str()),
        (Some(create_request.as_str()), Some("req-create-1"))
    );
    assert!(create["before"].is_null());
    assert_eq!(create["after"]["username"], "ops.chen");
    // Newest first, strictly.
    let ids: Vec<i64> = items.iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
}

on_both_backends!(the_audit_log_pages_by_cursor);

async fn the_audit_log_pages_by_cursor(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.staff(Role::Admin).await;
    for i in 0..4 {
        app.create_admin(&format!("user.{i}"), Role::Operator, None).await;
    }
    let mut seen = Vec::new();
    let mut path = "/v1/admin/audit?limit=2".to_owned();
    loop {
        let page = app.send(Req::get(&path).bearer(&root)).await.json();
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|e| e["id"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/v1/admin/audit?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0] > w[1]), "{seen:?}");
}

on_both_backends!(the_database_refuses_to_rewrite_the_audit_log);

async fn the_database_refuses_to_rewrite_the_audit_log(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.create_admin("someone", Role::Operator, None).await;
    let db = app.database().await;
    let outcome: anyhow::Result<(usize, usize)> = db
        .run(|conn| {
            let updated = diesel::sql_query("UPDATE audit_log SET actor_name = 'forged'").execute(conn);
            let deleted = diesel::sql_query("DELETE FROM audit_log").execute(conn);
            Ok((updated.is_err() as usize, deleted.is_err() as usize))
        })
        .await;
    assert_eq!(outcome.unwrap(), (1, 1), "both UPDATE and DELETE are refused");
}

on_both_backends!(the_audit_log_is_filtered_by_actor_action_target_and_time);

/// Each filter alone and together, over pages; times in RFC 3339 (a `+` the query string made a
/// space included) and as Beijing date-times; a bad time is a 400 naming the field.
async fn the_audit_log_is_filtered_by_actor_action_target_and_time(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.staff(Role::Admin).await;
    let mut ids = Vec::new();
    for n in 0..3 {
        let create = json!({"username": format!("ops.f{n}"), "password": TEST_PASSWORD, "display_name": "F", "role": "operator"});
        let r = app.send(Req::post("/v1/admin/users").bearer(&root).json(create)).await;
        assert_eq!(r.status, 201, "{}", r.text());
        ids.push(r.json()["id"].as_str().unwrap().to_owned());
        app.clock.advance(chrono::Duration::minutes(4));
    }
    let later = app.clock.now();
    let patch = json!({"display_name": "改名"});
    assert_eq!(
        app.send(Req::patch(&format!("/v1/admin/users/{}", ids[0])).bearer(&root).json(patch)).await.status,
        200
    );

    let actions = |q: &'static str| {
        let app = &app;
        let root = root.clone();
        async move {
            let r = app.send(Req::get(&format!("/v1/admin/audit?{q}")).bearer(&root)).await;
            assert_eq!(r.status, 200, "{q}: {}", r.text());
            r.json()["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["action"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(actions("action=admin_user.update").await, ["admin_user.update"]);
    assert_eq!(actions("action=admin_user.").await.len(), 5, "the kind: every admin_user action");
    assert!(actions("action=admin_user").await.is_empty(), "without the dot, only that exact action");
    assert_eq!(actions("actor=t.admin&action=admin_user.create").await.len(), 3);
    let target = app.send(Req::get(&format!("/v1/admin/audit?target={}", ids[0])).bearer(&root)).await.json();
    let on_first: Vec<&str> =
        target["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(on_first, ["admin_user.update", "admin_user.create"]);

    let since = (later - chrono::Duration::minutes(1)).with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    let rfc = since.to_rfc3339();
    let by_rfc =
        app.send(Req::get(&format!("/v1/admin/audit?from={}", rfc.replace('+', "%2B"))).bearer(&root)).await.json();
    assert_eq!(by_rfc["items"].as_array().unwrap().len(), 1, "{by_rfc}");
    let by_space = app.send(Req::get(&format!("/v1/admin/audit?from={rfc}")).bearer(&root)).await.json();
    assert_eq!(by_space["items"], by_rfc["items"], "a + read as a space is taken back");
    let local = since.format("%Y-%m-%dT%H:%M").to_string();
    let by_local =
        app.send(Req::get(&format!("/v1/admin/audit?until={local}&action=admin_user.")).bearer(&root)).await.json();
    assert_eq!(by_local["items"].as_array().unwrap().len(), 4, "{by_local}");

    let paged = app.send(Req::get("/v1/admin/audit?action=admin_user.&limit=2").bearer(&root)).await.json();
    let cursor = paged["next_cursor"].as_str().unwrap();
    let rest = app
        .send(Req::get(&format!("/v1/admin/audit?action=admin_user.&limit=10&cursor={cursor}")).bearer(&root))
        .await
        .json();
    assert_eq!(rest["items"].as_array().unwrap().len(), 3, "the filter holds across pages");

    app.send(Req::get("/v1/admin/audit?from=yesterday").bearer(&root)).await.problem(400, "request.invalid_query");
    app.send(Req::get("/v1/admin/audit?colour=red").bearer(&root)).await.problem(400, "request.invalid_query");

    // The console's audit page filters the same way.
    let session = app.console_sign_in("t.admin").await;
    let page = app.console_get(Some(&session), "/console/audit?action=admin_user.update").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.text().matches(r#"data-action="admin_user.update""#).count(), 1, "{}", page.text());
    assert!(!page.text().contains(r#"data-action="admin_user.create""#));
    let bad = app.console_get(Some(&session), "/console/audit?from=yesterday").await;
    assert_eq!(bad.status, 400);
    assert!(bad.header("content-type").is_some_and(|c| c.starts_with("text/html")), "a page, not a problem");
}

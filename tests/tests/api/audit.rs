//! The append-only audit log.

use diesel::RunQueryDsl;
use domain::admin::Role;
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

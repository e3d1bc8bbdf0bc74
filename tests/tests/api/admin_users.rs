//! Managing staff accounts.

use domain::admin::Role;
use serde_json::json;
use tests::{on_both_backends, Backend, Req, TestApp, TEST_PASSWORD};

on_both_backends!(admins_create_and_change_staff_accounts);

async fn admins_create_and_change_staff_accounts(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.staff(Role::Admin).await;

    let create = json!({"username": "audit.li", "password": TEST_PASSWORD, "display_name": " 李审计 ",
        "email": "Audit.Li@Union.Example.CN", "role": "auditor"});
    let r = app.send(Req::post("/v1/admin/users").bearer(&root).json(create.clone())).await;
    assert_eq!(r.status, 201, "{}", r.text());
    let created = r.json();
    assert_eq!(created["display_name"], "李审计");
    assert_eq!(created["email"], "Audit.Li@union.example.cn");
    assert_eq!(created["role"], "auditor");
    let id = created["id"].as_str().unwrap().to_owned();

    app.send(Req::post("/v1/admin/users").bearer(&root).json(create)).await.problem(409, "admin.duplicate_username");

    let r = app
        .send(
            Req::patch(&format!("/v1/admin/users/{id}")).bearer(&root).json(json!({"role": "operator", "email": null})),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["role"], "operator");
    assert!(r.json()["email"].is_null());

    let new_password = json!({"password": "a brand new password"});
    assert_eq!(
        app.send(Req::patch(&format!("/v1/admin/users/{id}")).bearer(&root).json(new_password)).await.status,
        200
    );
    let old = Req::post("/v1/admin/session").json(json!({"username": "audit.li", "password": TEST_PASSWORD}));
    assert_eq!(app.send(old).await.status, 401);
    let new = Req::post("/v1/admin/session").json(json!({"username": "audit.li", "password": "a brand new password"}));
    assert_eq!(app.send(new).await.status, 200);

    let missing = format!("/v1/admin/users/{}", uuid::Uuid::now_v7());
    app.send(Req::get(&missing).bearer(&root)).await.problem(404, "admin.not_found");
    app.send(Req::patch(&missing).bearer(&root).json(json!({"disabled": true}))).await.problem(404, "admin.not_found");
}

on_both_backends!(an_admin_cannot_lock_itself_out);

async fn an_admin_cannot_lock_itself_out(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let root = app.staff(Role::Admin).await;
    let me = app.send(Req::get("/v1/admin/me").bearer(&root)).await.json();
    let path = format!("/v1/admin/users/{}", me["id"].as_str().unwrap());

    app.send(Req::patch(&path).bearer(&root).json(json!({"role": "auditor"}))).await.problem(409, "admin.own_account");
    app.send(Req::patch(&path).bearer(&root).json(json!({"disabled": true}))).await.problem(409, "admin.own_account");
    // Its own name and password are its to change.
    assert_eq!(app.send(Req::patch(&path).bearer(&root).json(json!({"display_name": "根"}))).await.status, 200);

    // Another admin may demote it.
    app.create_admin("second.admin", Role::Admin, None).await;
    let second = app.login("second.admin").await;
    app.clock.advance(chrono::Duration::seconds(2));
    let r = app.send(Req::patch(&path).bearer(&second).json(json!({"role": "auditor"}))).await;
    assert_eq!(r.status, 200, "{}", r.text());
    // Its token carries the old role: a role change ends the account's sessions, so it is refused
    // outright rather than judged by either role.
    let r = app
        .send(Req::post("/v1/admin/users").bearer(&root).json(json!({"username": "x.y.z",
        "password": TEST_PASSWORD, "display_name": "x", "role": "operator"})))
        .await;
    r.problem(401, "auth.inactive");
}

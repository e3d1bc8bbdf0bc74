//! Staff accounts in the console: an admin makes a district's operator, locks are cleared, the
//! last admin stays one; an operator reads the list and changes nothing.

use super::*;

on_both_backends!(an_admin_keeps_the_staff_accounts_in_the_console);

async fn an_admin_keeps_the_staff_accounts_in_the_console(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let city = app.staff(Role::Admin).await;
    app.load_tree(&city, "工会编码,工会名称,类型,上级工会编码\nSZ-SIP,苏州工业园区总工会,区总工会,ROOT\n").await;
    app.create_admin("ops.zhang", Role::Operator, None).await;
    let admin = app.console_sign_in("t.admin").await;
    let ops = app.console_sign_in("ops.zhang").await;

    // A short password: the API's message beside the field, the rest kept, the password not echoed.
    let mut form = vec![
        ("username", "sip.wang"),
        ("display_name", "王园区"),
        ("email", ""),
        ("role", "operator"),
        ("scope_code", "SZ-SIP"),
        ("password", "short"),
        ("_csrf", admin.csrf.as_str()),
    ];
    let refused = app.console_post(Some(&admin), "/console/staff", &form).await;
    assert_eq!(refused.status, 422, "{}", refused.text());
    assert!(refused.text().contains(r#"id="password-error""#) && refused.text().contains(r#"value="王园区""#));
    assert!(!refused.text().contains(r#"value="short""#), "passwords are not sent back");
    form[5] = ("password", tests::TEST_PASSWORD);
    let made = app.console_post(Some(&admin), "/console/staff", &form).await;
    assert_eq!(made.status, 303, "{}", made.text());
    let page = made.header("location").unwrap().split('?').next().unwrap().to_owned();
    let users = app.send(Req::get("/v1/admin/users").bearer(&city)).await.json();
    let wang = users["items"].as_array().unwrap().iter().find(|u| u["username"] == "sip.wang").unwrap().clone();
    assert_eq!((wang["scope_code"].as_str(), wang["role"].as_str()), (Some("SZ-SIP"), Some("operator")));
    assert_eq!(page, format!("/console/staff/{}", wang["id"].as_str().unwrap()));

    // Made an auditor and disabled; the sessions it had end.
    let sip = app.console_sign_in("sip.wang").await;
    let change = [
        ("display_name", "王园区"),
        ("role", "auditor"),
        ("scope_code", "SZ-SIP"),
        ("disabled", "on"),
        ("_csrf", admin.csrf.as_str()),
    ];
    assert_eq!(app.console_post(Some(&admin), &page, &change).await.status, 303);
    let now =
        app.send(Req::get(&format!("/v1/admin/users/{}", wang["id"].as_str().unwrap())).bearer(&city)).await.json();
    assert_eq!((now["role"].as_str(), now["disabled"].as_bool()), (Some("auditor"), Some(true)));
    assert_eq!(app.console_get(Some(&sip), "/console/").await.status, 303, "signed out");

    // The last admin cannot disable itself: the API's refusal on the page, nothing changed.
    let me = users["items"].as_array().unwrap().iter().find(|u| u["username"] == "t.admin").unwrap().clone();
    let own = format!("/console/staff/{}", me["id"].as_str().unwrap());
    let scope = me["scope_code"].as_str().unwrap();
    let selfish = [
        ("display_name", "t.admin"),
        ("role", "admin"),
        ("scope_code", scope),
        ("disabled", "on"),
        ("_csrf", admin.csrf.as_str()),
    ];
    let refused = app.console_post(Some(&admin), &own, &selfish).await;
    assert!(matches!(refused.status, 409 | 422), "{}: {}", refused.status, refused.text());
    assert!(refused.text().contains(r#"class="flash error""#), "{}", refused.text());
    assert_eq!(app.console_get(Some(&admin), "/console/staff").await.status, 200, "still signed in");

    // An operator reads the accounts, and has no form to change one.
    let list = app.console_get(Some(&ops), "/console/staff").await;
    assert_eq!(list.status, 200, "{}", list.text());
    assert!(list.text().contains(r#"data-staff="sip.wang""#) && !list.text().contains(r#"data-testid="staff-form""#));
    let forged = app.console_post(Some(&ops), &page, &[("role", "admin"), ("_csrf", ops.csrf.as_str())]).await;
    assert_eq!(forged.status, 403);
}

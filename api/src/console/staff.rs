//! `/console/staff`: the staff accounts of the operator's part of the tree — who works where, in
//! which role, locked or disabled — and, for admins, new accounts and changes to one (role, part
//! of the tree, a new password, disabling, clearing a lockout) through the API's own rules: the
//! last admin stays an admin, nobody disables themselves.

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::forms::{Errors, Field};
use super::page::{self, beijing, ConsoleError};
use super::session::{Operator, Posted};
use crate::admin::dto::{AdminView, CreateAdminRequest, RoleDto, UpdateAdminRequest};
use crate::admin::AdminState;
use crate::error::ApiError;
use crate::unions::UnionsState;
use domain::admin::AdminId;

const SECTION: &str = "/console/staff";
const API: &str = "/v1/admin/users";

const ROLES: [(&str, RoleDto, &str, &str); 6] = [
    ("admin", RoleDto::Admin, "管理员", "Admin"),
    ("operator", RoleDto::Operator, "运营", "Operator"),
    ("auditor", RoleDto::Auditor, "经审", "Auditor"),
    ("pickup_operator", RoleDto::PickupOperator, "领取点", "Pickup operator"),
    ("union_officer", RoleDto::UnionOfficer, "基层工会", "Union officer"),
    ("caseworker", RoleDto::Caseworker, "服务窗口", "Caseworker"),
];

fn role_of(raw: &str) -> Result<RoleDto, ApiError> {
    ROLES
        .iter()
        .find(|(code, ..)| *code == raw)
        .map(|(_, dto, ..)| *dto)
        .ok_or_else(|| ApiError::validation("role", "请选择角色", "choose a role".into()))
}

fn role_name(op: &Operator, role: RoleDto) -> &'static str {
    ROLES.iter().find(|(_, dto, ..)| *dto == role).map_or("", |(_, _, zh, en)| op.t(zh, en))
}

fn role_select(op: &Operator, chosen: &str, errors: &Errors) -> Markup {
    html! {
        label {
            (op.t("角色", "Role"))
            select name="role" aria-invalid=[errors.of("role").map(|_| "true")] {
                @for (code, _, zh, en) in ROLES { option value=(code) selected[chosen == code] { (op.t(zh, en)) } }
            }
            @if let Some(e) = errors.of("role") { span.field-error role="alert" { (e) } }
        }
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct NewForm {
    username: String,
    display_name: String,
    email: String,
    role: String,
    scope_code: String,
    password: String,
}

/// `GET /console/staff`.
pub async fn list(op: Operator, state: web::Data<AdminState>) -> Result<HttpResponse, ConsoleError> {
    list_page(
        &op,
        &state,
        &NewForm { role: "operator".into(), ..NewForm::default() },
        &Errors::default(),
        StatusCode::OK,
    )
    .await
}

async fn list_page(
    op: &Operator,
    state: &AdminState,
    form: &NewForm,
    errors: &Errors,
    status: StatusCode,
) -> Result<HttpResponse, ConsoleError> {
    op.admit(&Method::GET, API)?;
    let now = state.clock.now();
    let all = state.admins.list(&op.staff.actor).await.map_err(|e| ConsoleError::Refused(e.into(), op.lang))?;
    let views: Vec<AdminView> = all.iter().map(|a| AdminView::new(a, now)).collect();
    let body = html! {
        div.table-wrap { table data-testid="staff" {
            thead { tr { th { (op.t("账号", "Account")) } th { (op.t("姓名", "Name")) } th { (op.t("角色", "Role")) }
                th { (op.t("范围", "Scope")) } th { (op.t("状态", "State")) } } }
            tbody { @for a in &views {
                tr data-staff=(a.username) {
                    td { a href=(format!("{SECTION}/{}", a.id)) { (a.username) } }
                    td { (a.display_name) }
                    td { (role_name(op, a.role)) }
                    td { code { (a.scope_code) } }
                    td { (state_badge(op, a)) }
                }
            } }
        } }
        @if op.may(&Method::POST, API) {
            h2 { (op.t("新建账号", "New account")) }
            @let fields = ["username", "display_name", "email", "role", "scope_code", "password"];
            form.stack method="post" action=(SECTION) data-testid="staff-form" {
                input type="hidden" name="_csrf" value=(op.csrf);
                @for message in errors.general(&fields) { p.flash.error role="alert" { (message) } }
                (Field::new("username", op.t("账号（登录名）", "Username"), &form.username).render(errors))
                (Field::new("display_name", op.t("姓名", "Display name"), &form.display_name).render(errors))
                (Field::new("email", op.t("电子邮箱（可空，将收到欢迎邮件）", "E-mail (optional: a welcome message goes there)"), &form.email).kind("email").optional().render(errors))
                (role_select(op, &form.role, errors))
                (Field::new("scope_code", op.t("工作范围（工会编码，空为本人范围）", "Part of the tree (a union's code; blank for your own)"), &form.scope_code).optional().render(errors))
                (Field::new("password", op.t("初始密码（12–128 个字符）", "First password (12–128 characters)"), &form.password).kind("password").render(errors))
                div.actions { button type="submit" { (op.t("创建", "Create")) } }
            }
        }
    };
    Ok(page::screen_with_status(op, SECTION, op.t("工作人员账号", "Staff accounts"), body, status))
}

fn state_badge(op: &Operator, a: &AdminView) -> Markup {
    html! {
        @if a.disabled { span.badge.cancelled data-state="disabled" { (op.t("已停用", "Disabled")) } }
        @else if a.locked_until.is_some() { span.badge.draft data-state="locked" { (op.t("已锁定", "Locked")) } }
        @else { span.badge.ok data-state="active" { (op.t("正常", "Active")) } }
    }
}

/// `POST /console/staff`: the API's create.
pub async fn create(
    posted: Posted<NewForm>,
    state: web::Data<AdminState>,
    unions: web::Data<UnionsState>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { op, form } = posted;
    op.admit(&Method::POST, API)?;
    let made = async {
        let request = CreateAdminRequest {
            username: form.username.trim().to_owned(),
            password: form.password.clone(),
            display_name: form.display_name.clone(),
            email: Some(form.email.trim().to_owned()).filter(|e| !e.is_empty()),
            role: role_of(&form.role)?,
            scope_code: Some(form.scope_code.trim().to_owned()).filter(|s| !s.is_empty()),
        };
        crate::admin::users::create(&state, &unions, &op.staff.actor, request).await
    };
    match made.await {
        Ok(a) => Ok(page::see_other(&format!("{SECTION}/{}?done=create", a.id.0))),
        Err(e) if e.status().is_server_error() || e.status() == StatusCode::FORBIDDEN => {
            Err(ConsoleError::Refused(e, op.lang))
        }
        Err(e) => {
            // A password is never sent back into a page.
            let form = NewForm { password: String::new(), ..form };
            list_page(&op, &state, &form, &Errors::from_api(&e, op.lang), e.status()).await
        }
    }
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct EditForm {
    display_name: String,
    role: String,
    scope_code: String,
    password: String,
    disabled: Option<String>,
    unlock: Option<String>,
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

fn admin_id(op: &Operator, raw: &str) -> Result<AdminId, ConsoleError> {
    raw.parse::<uuid::Uuid>().map(AdminId).map_err(|_| {
        let e = ApiError::new(StatusCode::NOT_FOUND, "admin_user.not_found", "账号不存在", "No such account");
        ConsoleError::Refused(e, op.lang)
    })
}

/// `GET /console/staff/{id}`.
pub async fn one(
    op: Operator,
    state: web::Data<AdminState>,
    id: web::Path<String>,
    query: web::Query<Done>,
) -> Result<HttpResponse, ConsoleError> {
    let id = admin_id(&op, &id)?;
    let flash = match query.done.as_deref() {
        Some("create") => Some((true, op.t("账号已创建。", "Account created.").to_owned())),
        Some("change") => Some((true, op.t("已保存。", "Saved.").to_owned())),
        _ => None,
    };
    one_page(&op, &state, id, flash, StatusCode::OK, None).await
}

async fn one_page(
    op: &Operator,
    state: &AdminState,
    id: AdminId,
    flash: Option<(bool, String)>,
    status: StatusCode,
    typed: Option<(EditForm, Errors)>,
) -> Result<HttpResponse, ConsoleError> {
    let base = format!("{API}/{}", id.0);
    op.admit(&Method::GET, &base)?;
    let found = state.admins.get(&op.staff.actor, id).await.map_err(|e| ConsoleError::Refused(e.into(), op.lang))?;
    let a = AdminView::new(&found, state.clock.now());
    let role_code = ROLES.iter().find(|(_, dto, ..)| *dto == a.role).map_or("operator", |(code, ..)| code);
    let (form, errors) = typed.unwrap_or_else(|| {
        let form = EditForm {
            display_name: a.display_name.clone(),
            role: role_code.to_owned(),
            scope_code: a.scope_code.clone(),
            disabled: a.disabled.then(|| "on".to_owned()),
            ..EditForm::default()
        };
        (form, Errors::default())
    });
    let fields = ["display_name", "role", "scope_code", "password", "disabled", "unlock"];
    let body = html! {
        (page::flash(&flash))
        div.card data-testid="account" {
            p { strong { (a.username) } " · " (role_name(op, a.role)) " · " code { (a.scope_code) } " " (state_badge(op, &a)) }
            p.muted { (a.email.clone().unwrap_or_default())
                @if let Some(until) = a.locked_until { " · " (op.t("锁定至 ", "locked until ")) (beijing(until)) }
                " · " (op.t("创建于 ", "created ")) (beijing(a.created_at)) }
        }
        @if op.may(&Method::PATCH, &base) {
            form.stack method="post" action=(format!("{SECTION}/{}", a.id)) data-testid="account-form" {
                input type="hidden" name="_csrf" value=(op.csrf);
                @for message in errors.general(&fields) { p.flash.error role="alert" { (message) } }
                (Field::new("display_name", op.t("姓名", "Display name"), &form.display_name).render(&errors))
                (role_select(op, &form.role, &errors))
                (Field::new("scope_code", op.t("工作范围（工会编码）", "Part of the tree (a union's code)"), &form.scope_code).render(&errors))
                (Field::new("password", op.t("新密码（可空；12–128 个字符，保存后其会话全部结束）", "New password (optional; 12–128 characters; ends their sessions)"), &form.password).kind("password").optional().render(&errors))
                label.inline { input type="checkbox" name="disabled" checked[form.disabled.is_some()]; (op.t("停用此账号", "Disable this account")) }
                @if a.locked_until.is_some() {
                    label.inline { input type="checkbox" name="unlock"; (op.t("解除锁定", "Clear the lockout")) }
                }
                div.actions { button type="submit" { (op.t("保存", "Save")) } }
            }
        }
    };
    Ok(page::screen_with_status(op, SECTION, &a.display_name, body, status))
}

/// `POST /console/staff/{id}`: the API's change, with only what the form changed.
pub async fn update(
    posted: Posted<EditForm>,
    state: web::Data<AdminState>,
    unions: web::Data<UnionsState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { op, form } = posted;
    let id = admin_id(&op, &id)?;
    op.admit(&Method::PATCH, &format!("{API}/{}", id.0))?;
    let done = async {
        let now = state.admins.get(&op.staff.actor, id).await?;
        let was = AdminView::new(&now, state.clock.now());
        let role = role_of(&form.role)?;
        let disabled = form.disabled.is_some();
        let request = UpdateAdminRequest {
            display_name: Some(form.display_name.clone()).filter(|n| *n != was.display_name),
            email: None,
            role: Some(role).filter(|r| *r != was.role),
            disabled: Some(disabled).filter(|d| *d != was.disabled),
            password: Some(form.password.clone()).filter(|p| !p.is_empty()),
            unlock: form.unlock.is_some(),
            scope_code: Some(form.scope_code.trim().to_owned()).filter(|s| !s.is_empty() && *s != was.scope_code),
        };
        crate::admin::users::update(&state, &unions, &op.staff.actor, id, request).await
    };
    match done.await {
        Ok(_) => Ok(page::see_other(&format!("{SECTION}/{}?done=change", id.0))),
        Err(e)
            if e.status().is_server_error()
                || e.status() == StatusCode::FORBIDDEN
                || (e.status() == StatusCode::NOT_FOUND && e.field().is_none()) =>
        {
            Err(ConsoleError::Refused(e, op.lang))
        }
        Err(e) => {
            let flash = Some((false, e.message(op.lang).to_owned()));
            let form = EditForm { password: String::new(), ..form };
            one_page(&op, &state, id, flash, e.status(), Some((form, Errors::from_api(&e, op.lang)))).await
        }
    }
}

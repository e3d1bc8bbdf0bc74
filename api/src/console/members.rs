//! `/console/members`: finding members of the operator's part of the tree — on the roster by a
//! name's first characters, a phone's last four digits or a member number, or an account by an
//! exact phone, 身份证 or member number — always masked, every search in the audit log as the API
//! writes it; and suspending or lifting an account with a reason. Searches are posted, not put in
//! the address: what they carry is personal.

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::forms::{Errors, Field};
use super::page::{self, beijing, ConsoleError};
use super::session::{Operator, Posted};
use crate::error::ApiError;
use crate::members::roster_search::{RosterPerson, RosterSearch};
use crate::members::staff::AdminMemberView;
use crate::members::MembersState;
use crate::unions::UnionsState;
use domain::members::MemberId;

const SECTION: &str = "/console/members";

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SearchForm {
    /// `name_prefix`, `phone_suffix` or `member_no`.
    by: String,
    text: String,
    union_code: String,
    cursor: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LookupForm {
    query: String,
}

fn status_name(op: &Operator, status: &str) -> &'static str {
    match status {
        "active" => op.t("在会", "Active"),
        "left" => op.t("已离会", "Left"),
        "activated" => op.t("已激活", "Activated"),
        "registered" => op.t("已注册", "Registered"),
        "real_name_verified" => op.t("已实名", "Real name bound"),
        "suspended" => op.t("已停用", "Suspended"),
        "erased" => op.t("已注销", "Erased"),
        _ => op.t("其他", "Other"),
    }
}

fn forms(op: &Operator, search: &SearchForm, lookup: &LookupForm, errors: &Errors) -> Markup {
    let by = if search.by.is_empty() { "name_prefix" } else { search.by.as_str() };
    html! {
        @if op.may(&Method::POST, "/v1/admin/roster/search") {
            form.inline method="post" action="/console/members/search" data-testid="roster-search" {
                input type="hidden" name="_csrf" value=(op.csrf);
                label {
                    (op.t("查找方式", "Find by"))
                    select name="by" {
                        option value="name_prefix" selected[by == "name_prefix"] { (op.t("姓名开头", "Name's first characters")) }
                        option value="phone_suffix" selected[by == "phone_suffix"] { (op.t("手机尾号（4 位）", "Phone's last four digits")) }
                        option value="member_no" selected[by == "member_no"] { (op.t("会员编号", "Member number")) }
                    }
                }
                (Field::new("text", op.t("查找内容（空则列出全部）", "Text (blank lists everyone)"), &search.text).optional().render(errors))
                (Field::new("union_code", op.t("工会编码（可空）", "Union code (optional)"), &search.union_code).optional().render(errors))
                button.secondary type="submit" { (op.t("查找名册", "Search the roster")) }
            }
        }
        @if op.may(&Method::POST, "/v1/admin/members/search") {
            form.inline method="post" action="/console/members/lookup" data-testid="member-lookup" {
                input type="hidden" name="_csrf" value=(op.csrf);
                (Field::new("query", op.t("手机号、身份证号或会员编号（完整）", "Phone, 身份证 or member number (whole)"), &lookup.query).render(errors))
                button.secondary type="submit" { (op.t("查找账号", "Find the account")) }
            }
        }
    }
}

fn screen(op: &Operator, body: Markup, status: StatusCode) -> HttpResponse {
    page::screen_with_status(op, SECTION, op.t("会员", "Members"), body, status)
}

/// `GET /console/members`.
pub async fn index(op: Operator) -> Result<HttpResponse, ConsoleError> {
    op.admit(&Method::POST, "/v1/admin/roster/search")?;
    let body = forms(&op, &SearchForm::default(), &LookupForm::default(), &Errors::default());
    Ok(screen(&op, body, StatusCode::OK))
}

fn refused(op: &Operator, e: ApiError) -> Result<(Errors, StatusCode), ConsoleError> {
    if e.status().is_server_error() || matches!(e.status(), StatusCode::FORBIDDEN | StatusCode::UNAUTHORIZED) {
        return Err(ConsoleError::Refused(e, op.lang));
    }
    let e = match e.field() {
        Some("name_prefix" | "phone_suffix" | "member_no") => e.with("field", "text"),
        _ => e,
    };
    Ok((Errors::from_api(&e, op.lang), e.status()))
}

/// `POST /console/members/search`: the API's roster search.
pub async fn search(
    posted: Posted<SearchForm>,
    state: web::Data<MembersState>,
    unions: web::Data<UnionsState>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { op, form } = posted;
    op.admit(&Method::POST, "/v1/admin/roster/search")?;
    let text = Some(form.text.trim().to_owned()).filter(|t| !t.is_empty());
    let request = RosterSearch {
        union_code: Some(form.union_code.trim().to_owned()).filter(|c| !c.is_empty()),
        name_prefix: text.clone().filter(|_| form.by == "name_prefix"),
        phone_suffix: text.clone().filter(|_| form.by == "phone_suffix"),
        member_no: text.filter(|_| form.by == "member_no"),
        limit: Some(50),
        cursor: Some(form.cursor.clone()).filter(|c| !c.is_empty()),
    };
    let found = match crate::members::roster_search::find(&state, &unions, &op.staff, request).await {
        Ok(found) => found,
        Err(e) => {
            let (errors, status) = refused(&op, e)?;
            return Ok(screen(&op, forms(&op, &form, &LookupForm::default(), &errors), status));
        }
    };
    let body = html! {
        (forms(&op, &form, &LookupForm::default(), &Errors::default()))
        @if found.items.is_empty() {
            p.card { (op.t("名册中没有找到。", "No one on the roster matches.")) }
        } @else {
            div.table-wrap { table data-testid="roster-results" {
                thead { tr {
                    th { (op.t("会员编号", "Member no.")) }
                    th { (op.t("姓名", "Name")) }
                    th { (op.t("身份证号", "ID number")) }
                    th { (op.t("工会", "Union")) }
                    th { (op.t("状态", "Status")) }
                    th { (op.t("手机", "Phone")) }
                    th { (op.t("入会时间", "Joined")) }
                } }
                tbody {
                    @for p in &found.items { (roster_row(&op, p)) }
                }
            } }
            @if let Some(next) = &found.next_cursor {
                form.pager method="post" action="/console/members/search" {
                    input type="hidden" name="_csrf" value=(op.csrf);
                    input type="hidden" name="by" value=(form.by);
                    input type="hidden" name="text" value=(form.text);
                    input type="hidden" name="union_code" value=(form.union_code);
                    input type="hidden" name="cursor" value=(next);
                    button.secondary type="submit" { (op.t("下一页", "Next page")) }
                }
            }
        }
    };
    Ok(screen(&op, body, StatusCode::OK))
}

fn roster_row(op: &Operator, p: &RosterPerson) -> Markup {
    html! {
        tr {
            td { (p.member_no) }
            td { (p.name) }
            td { (p.id_number) }
            td { (p.union_name) " " span.muted { (p.union_code) } }
            td { span.badge { (status_name(op, &p.status)) } }
            td { (p.phone.as_deref().unwrap_or("—")) }
            td { (p.joined_at.map(beijing).unwrap_or_default()) }
        }
    }
}

fn member_card(op: &Operator, m: &AdminMemberView, errors: &Errors) -> Markup {
    let id = m.member.id;
    let path = format!("/v1/admin/members/{id}/suspension");
    html! {
        div.card data-member=(id) {
            p {
                strong { (m.member.real_name.as_ref().map_or("—", |r| r.name.as_str())) } " · "
                (m.member.phone.as_deref().unwrap_or("—")) " · "
                (m.member.real_name.as_ref().map_or("—", |r| r.id_number.as_str()))
            }
            p {
                (op.t("状态：", "Standing: ")) span.badge data-standing=(m.member.status) { (status_name(op, m.member.status)) }
                @if let Some(u) = &m.member.union { " · " (u.union_org_name) " · " (u.member_no) }
                " · " (op.t("注册于 ", "Registered ")) (beijing(m.member.created_at))
            }
            @if let Some(reason) = &m.suspension {
                p.flash.error { (op.t("停用原因：", "Suspended for: ")) (reason) }
                @if op.may(&Method::DELETE, &path) {
                    form method="post" action=(format!("/console/members/{id}/lift")) {
                        input type="hidden" name="_csrf" value=(op.csrf);
                        button.secondary type="submit" { (op.t("恢复账号", "Lift the suspension")) }
                    }
                }
            } @else if op.may(&Method::POST, &path) {
                form.inline method="post" action=(format!("/console/members/{id}/suspend")) {
                    input type="hidden" name="_csrf" value=(op.csrf);
                    (Field::new("reason", op.t("停用原因（1–200 字）", "Reason (1–200 characters)"), "").render(errors))
                    button.danger type="submit" { (op.t("停用账号", "Suspend")) }
                }
            }
        }
    }
}

/// `POST /console/members/lookup`: the API's exact look-up of accounts.
pub async fn lookup(posted: Posted<LookupForm>, state: web::Data<MembersState>) -> Result<HttpResponse, ConsoleError> {
    let Posted { op, form } = posted;
    op.admit(&Method::POST, "/v1/admin/members/search")?;
    let found = match crate::members::staff::lookup(&state, &op.staff, &form.query).await {
        Ok(found) => found,
        Err(e) => {
            let (errors, status) = refused(&op, e)?;
            return Ok(screen(&op, forms(&op, &SearchForm::default(), &form, &errors), status));
        }
    };
    let body = html! {
        (forms(&op, &SearchForm::default(), &form, &Errors::default()))
        @if found.is_empty() {
            p.card { (op.t("没有找到账号。", "No account found.")) }
        }
        @for m in &found { (member_card(&op, m, &Errors::default())) }
    };
    Ok(screen(&op, body, StatusCode::OK))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SuspendForm {
    reason: String,
}

/// `POST /console/members/{id}/suspend` and `…/lift`: the API's suspension, set or lifted.
pub async fn suspension(
    posted: Posted<SuspendForm>,
    state: web::Data<MembersState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { op, form } = posted;
    let (raw, what) = path.into_inner();
    let not_found = || {
        ConsoleError::Refused(
            ApiError::new(StatusCode::NOT_FOUND, "member.not_found", "会员不存在", "No such member"),
            op.lang,
        )
    };
    let id = raw.parse::<uuid::Uuid>().map(MemberId).map_err(|_| not_found())?;
    let method = match what.as_str() {
        "suspend" => Method::POST,
        "lift" => Method::DELETE,
        _ => return Err(not_found()),
    };
    op.admit(&method, &format!("/v1/admin/members/{}/suspension", id.0))?;
    let reason = (method == Method::POST).then_some(form.reason.as_str());
    match crate::members::staff::set_suspension(&state, &op.staff, id, reason).await {
        Ok(view) => {
            let done = if reason.is_some() {
                op.t("账号已停用。", "Suspended.")
            } else {
                op.t("账号已恢复。", "Suspension lifted.")
            };
            let body = html! {
                (page::flash(&Some((true, done.to_owned()))))
                (member_card(&op, &view, &Errors::default()))
            };
            Ok(screen(&op, body, StatusCode::OK))
        }
        Err(e) if e.status() == StatusCode::NOT_FOUND => Err(ConsoleError::Refused(e, op.lang)),
        Err(e) => {
            let (errors, status) = refused(&op, e)?;
            let member = crate::members::staff::one(&state, &op.staff, id)
                .await
                .map_err(|e| ConsoleError::Refused(e, op.lang))?;
            let body = html! { (member_card(&op, &member, &errors)) };
            Ok(screen(&op, body, status))
        }
    }
}

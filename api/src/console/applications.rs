//! `/console/applications`: the queue of applications to join (入会), transfer (关系接转) or leave,
//! within the operator's part of the tree — a grassroots union's officer sees their own union's —
//! each with its time limit, and the forms that decide it or add a remark between unions.

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use maud::{html, Markup};
use serde::Deserialize;

use super::forms::{Errors, Field};
use super::page::{self, beijing, ConsoleError};
use super::session::{Operator, Posted};
use crate::error::ApiError;
use crate::membership::dto::{CommentRequest, DecisionRequest, MembershipApplication, Verdict};
use crate::membership::MembershipState;
use domain::membership::model::ApplicationFilter;
use domain::membership::{ApplicationId, ApplicationKind, ApplicationState, MembershipError};
use domain::shared::PageRequest;

const SECTION: &str = "/console/applications";
const API: &str = "/v1/admin/applications";

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Filter {
    /// `open` (the default), `approved`, `refused`, `withdrawn` or `all`.
    state: Option<String>,
    kind: Option<String>,
    overdue: Option<String>,
    cursor: Option<String>,
}

fn application_id(op: &Operator, raw: &str) -> Result<ApplicationId, ConsoleError> {
    raw.parse().map_err(|_| ConsoleError::Refused(MembershipError::NotFound.into(), op.lang))
}

fn state_name(op: &Operator, state: &str) -> &'static str {
    match state {
        "open" => op.t("待审批", "Open"),
        "approved" => op.t("已批准", "Approved"),
        "refused" => op.t("已拒绝", "Refused"),
        "withdrawn" => op.t("已撤回", "Withdrawn"),
        _ => op.t("全部", "All"),
    }
}

fn badge(op: &Operator, a: &MembershipApplication) -> Markup {
    let class = match a.state {
        "approved" => "ok",
        "refused" | "withdrawn" => "cancelled",
        _ if a.overdue => "dead",
        _ => "pending",
    };
    html! {
        span.badge.(class) data-state=(a.state) { (state_name(op, a.state)) }
        @if a.overdue && a.state == "open" { " " span.badge.dead data-overdue { (op.t("已超时", "Overdue")) } }
    }
}

fn kind_name<'a>(op: &Operator, a: &'a MembershipApplication) -> &'a str {
    match op.lang {
        crate::error::Lang::Zh => a.kind_zh,
        crate::error::Lang::En => a.kind,
    }
}

fn when(at: DateTime<Utc>) -> String {
    beijing(at)[..16].to_owned()
}

/// `GET /console/applications`: the queue, open ones first by default.
pub async fn list(
    op: Operator,
    state: web::Data<MembershipState>,
    query: web::Query<Filter>,
) -> Result<HttpResponse, ConsoleError> {
    op.admit(&Method::GET, API)?;
    let wanted = query.state.as_deref().unwrap_or("open");
    let filter = ApplicationFilter {
        state: ApplicationState::parse(wanted),
        kind: query.kind.as_deref().and_then(ApplicationKind::parse),
        queue: None,
        overdue_only: query.overdue.is_some(),
    };
    let page = PageRequest::parse(Some(50), query.cursor.as_deref()).map_err(|_| ConsoleError::BadForm(op.lang))?;
    let found = state
        .membership
        .list(&op.staff.actor, filter, page)
        .await
        .map_err(|e| ConsoleError::Refused(e.into(), op.lang))?;
    let now = state.membership.clock.now();
    let items: Vec<MembershipApplication> =
        found.items.into_iter().map(|a| MembershipApplication::staff(a, now)).collect();
    let next = found.next.map(|c| {
        let mut q = format!("state={wanted}&cursor={}", c.encode());
        if let Some(kind) = &query.kind {
            q += &format!("&kind={kind}");
        }
        if query.overdue.is_some() {
            q += "&overdue=on";
        }
        q
    });
    let body = html! {
        form.inline method="get" action=(SECTION) {
            label { (op.t("状态", "State"))
                select name="state" { @for s in ["open", "approved", "refused", "withdrawn", "all"] {
                    option value=(s) selected[s == wanted] { (state_name(&op, s)) } } } }
            label { (op.t("类型", "Kind"))
                select name="kind" {
                    option value="" { (op.t("全部", "All")) }
                    @for (k, zh, en) in [("join", "入会", "Join"), ("transfer", "关系接转", "Transfer"), ("leave", "退会", "Leave")] {
                        option value=(k) selected[query.kind.as_deref() == Some(k)] { (op.t(zh, en)) }
                    }
                } }
            label.inline { input type="checkbox" name="overdue" checked[query.overdue.is_some()]; (op.t("仅超时", "Overdue only")) }
            button.secondary type="submit" { (op.t("筛选", "Filter")) }
        }
        @if items.is_empty() {
            p.card { (op.t("没有符合条件的申请。", "No applications like that.")) }
        } @else {
            div.table-wrap { table data-testid="applications" {
                thead { tr { th { (op.t("类型", "Kind")) } th { (op.t("申请人", "Applicant")) } th { (op.t("工会", "Union")) }
                    th { (op.t("提交（北京）", "Submitted (Beijing)")) } th { (op.t("时限（北京）", "Due (Beijing)")) } th { (op.t("状态", "State")) } } }
                tbody { @for a in &items {
                    tr data-application=(a.id) {
                        td { a href=(format!("{SECTION}/{}", a.id)) { (kind_name(&op, a)) } }
                        td { (a.applicant.as_ref().and_then(|p| p.name.clone()).unwrap_or_default()) }
                        td { (a.union_name) " " span.muted { (a.union_code) } }
                        td { (when(a.submitted_at)) }
                        td { (when(a.due_at)) }
                        td { (badge(&op, a)) }
                    }
                } }
            } }
            @if let Some(next) = next { div.pager { a href=(format!("{SECTION}?{next}")) { (op.t("下一页 →", "Next page →")) } } }
        }
    };
    Ok(page::screen(&op, SECTION, op.t("入会与接转申请", "Applications"), body))
}

/// What a decision or remark form held when it was refused.
#[derive(Default)]
struct Typed {
    decision: Option<(DecisionForm, Errors)>,
    comment: Option<(CommentForm, Errors)>,
}

async fn detail_page(
    op: &Operator,
    state: &MembershipState,
    id: ApplicationId,
    flash: Option<(bool, String)>,
    status: StatusCode,
    typed: Typed,
) -> Result<HttpResponse, ConsoleError> {
    let base = format!("{API}/{id}");
    op.admit(&Method::GET, &base)?;
    let found =
        state.membership.get(&op.staff.actor, id).await.map_err(|e| ConsoleError::Refused(e.into(), op.lang))?;
    let a = MembershipApplication::staff(found, state.membership.clock.now());
    let here = format!("{SECTION}/{id}");
    let open = a.state == "open";
    let (decision, decision_errors) = typed.decision.unwrap_or_default();
    let (comment, comment_errors) = typed.comment.unwrap_or_default();
    let body = html! {
        (page::flash(&flash))
        div.card data-testid="application" {
            p { (badge(op, &a)) " " strong { (kind_name(op, &a)) } " · " (a.union_name) " " span.muted { (a.union_code) }
                @if let Some(from) = &a.from_union_code { " ← " (from) } }
            @if let Some(p) = &a.applicant {
                p { (op.t("申请人：", "Applicant: ")) (p.name.clone().unwrap_or_default()) " · " (p.id_number.clone().unwrap_or_default()) }
            }
            @if let Some(e) = &a.employer { p { (op.t("单位：", "Employer: ")) (e) @if let Some(pos) = &a.position { " · " (pos) }
                @if let Some(d) = a.started_on { " · " (op.t("入职 ", "since ")) (d) } } }
            @if let Some(r) = &a.reason { p { (op.t("理由：", "Reason: ")) (r) } }
            p.muted {
                (op.t("提交 ", "Submitted ")) (when(a.submitted_at)) " · " (op.t("时限 ", "due ")) (when(a.due_at))
                " · " (op.t("所在队列 ", "in the queue of ")) (a.queue_code)
                @if a.escalations > 0 { " · " (op.t("已上报 ", "escalated ")) (a.escalations) (op.t(" 次", " times")) }
            }
            @if let Some(at) = a.decided_at {
                p { (op.t("决定于 ", "Decided ")) (when(at)) @if let Some(by) = &a.decided_by { " · " (by) }
                    @if let Some(n) = &a.decision_note { " · " (n) }
                    @if let Some(no) = &a.member_no { " · " (op.t("会员编号 ", "member number ")) strong data-member-no { (no) } } }
            }
        }
        @if open && op.may(&Method::POST, &format!("{base}/decision")) {
            h2 { (op.t("审批", "Decide")) }
            form.stack method="post" action=(format!("{here}/decision")) data-testid="decision-form" {
                input type="hidden" name="_csrf" value=(op.csrf);
                @for message in decision_errors.general(&["decision", "note"]) { p.flash.error role="alert" { (message) } }
                fieldset {
                    legend { (op.t("决定", "Decision")) }
                    label.inline { input type="radio" name="decision" value="approve" required checked[decision.decision == "approve"]; (op.t("批准", "Approve")) }
                    label.inline { input type="radio" name="decision" value="refuse" checked[decision.decision == "refuse"]; (op.t("拒绝", "Refuse")) }
                }
                (Field::new("note", op.t("说明（拒绝时必填，会告知申请人）", "Note (a refusal's reason is required; the member is told)"), &decision.note)
                    .kind("textarea").optional().render(&decision_errors))
                div.actions { button type="submit" { (op.t("提交决定", "Decide")) } }
            }
        }
        h2 { (op.t("工会间备注", "Remarks between unions")) }
        @if a.comments.is_empty() { p.muted { (op.t("还没有备注。", "None yet.")) } }
        @for c in &a.comments {
            div.card { p.muted { (c.author) @if let Some(u) = &c.union_code { " · " (u) } " · " (when(c.at)) } p { (c.text) } }
        }
        @if open && op.may(&Method::POST, &format!("{base}/comments")) {
            form.stack method="post" action=(format!("{here}/comments")) data-testid="comment-form" {
                input type="hidden" name="_csrf" value=(op.csrf);
                (Field::new("text", op.t("备注（会员看不到）", "Remark (members do not see it)"), &comment.text).kind("textarea").render(&comment_errors))
                div.actions { button.secondary type="submit" { (op.t("添加备注", "Add remark")) } }
            }
        }
    };
    let title = format!("{}{}", kind_name(op, &a), op.t("申请", " application"));
    Ok(page::screen_with_status(op, SECTION, &title, body, status))
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `GET /console/applications/{id}`.
pub async fn detail(
    op: Operator,
    state: web::Data<MembershipState>,
    id: web::Path<String>,
    query: web::Query<Done>,
) -> Result<HttpResponse, ConsoleError> {
    let id = application_id(&op, &id)?;
    let flash = match query.done.as_deref() {
        Some("decision") => Some((true, op.t("已决定，并已通知申请人。", "Decided; the member is told.").to_owned())),
        Some("comment") => Some((true, op.t("备注已添加。", "Remark added.").to_owned())),
        _ => None,
    };
    detail_page(&op, &state, id, flash, StatusCode::OK, Typed::default()).await
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct DecisionForm {
    decision: String,
    note: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct CommentForm {
    text: String,
}

/// A refused form's page again, or on to the application after a change.
async fn answer(
    op: &Operator,
    state: &MembershipState,
    id: ApplicationId,
    done: Result<&str, ApiError>,
    typed: impl FnOnce(Errors) -> Typed,
) -> Result<HttpResponse, ConsoleError> {
    match done {
        Ok(what) => Ok(page::see_other(&format!("{SECTION}/{id}?done={what}"))),
        Err(e)
            if e.status().is_server_error() || matches!(e.status(), StatusCode::FORBIDDEN | StatusCode::NOT_FOUND) =>
        {
            Err(ConsoleError::Refused(e, op.lang))
        }
        Err(e) => {
            let flash = Some((false, e.message(op.lang).to_owned()));
            detail_page(op, state, id, flash, e.status(), typed(Errors::from_api(&e, op.lang))).await
        }
    }
}

/// `POST /console/applications/{id}/decision`: the API's decision.
pub async fn decide(
    posted: Posted<DecisionForm>,
    state: web::Data<MembershipState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { op, form } = posted;
    let id = application_id(&op, &id)?;
    op.admit(&Method::POST, &format!("{API}/{id}/decision"))?;
    let done = async {
        let decision = match form.decision.as_str() {
            "approve" => Verdict::Approve,
            "refuse" => Verdict::Refuse,
            _ => return Err(ApiError::validation("decision", "请选择批准或拒绝", "choose approve or refuse".into())),
        };
        let request = DecisionRequest { decision, note: Some(form.note.clone()) }.parse()?;
        state.membership.decide(&op.staff.actor, id, request).await?;
        Ok("decision")
    };
    let done = done.await;
    answer(&op, &state, id, done, |e| Typed { decision: Some((form, e)), ..Typed::default() }).await
}

/// `POST /console/applications/{id}/comments`.
pub async fn comment(
    posted: Posted<CommentForm>,
    state: web::Data<MembershipState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { op, form } = posted;
    let id = application_id(&op, &id)?;
    op.admit(&Method::POST, &format!("{API}/{id}/comments"))?;
    let done = async {
        let text = CommentRequest { text: form.text.clone() }.parse()?;
        state.membership.comment(&op.staff.actor, id, text).await?;
        Ok("comment")
    };
    let done = done.await;
    answer(&op, &state, id, done, |e| Typed { comment: Some((form, e)), ..Typed::default() }).await
}

//! `/console/cases`: the service windows' queue (服务窗口) of the operator's part of the tree, overdue
//! first, and a case whole — its answers, files, thread and notes (every view is a logged read) — with the
//! forms for its steps, a message to the member and a note among staff.

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::forms::{fen_of_yuan, Errors, Field};
use super::page::{self, beijing, ConsoleError};
use super::session::{Operator, Posted};
use crate::error::ApiError;
use crate::services::dto::{Audience, CaseStep, CaseView};
use crate::services::ServicesState;
use domain::services::form::FieldType;
use domain::services::model::{CaseFilter, CaseState};
use domain::services::service::FileReader;
use domain::services::{CaseId, ServiceError};
use domain::shared::paging::PairCursor;
use domain::shared::Limit;

const SECTION: &str = "/console/cases";
const API: &str = "/v1/admin/service-cases";

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Filter {
    /// Empty: the open ones.
    state: Option<String>,
    mine: Option<String>,
    overdue: Option<String>,
    cursor: Option<String>,
}

fn refused(op: &Operator) -> impl Fn(ServiceError) -> ConsoleError + '_ {
    move |e| ConsoleError::Refused(e.into(), op.lang)
}

/// An answer as staff read it: money in yuan, the rest as given.
fn shown(ty: &FieldType, v: &serde_json::Value) -> String {
    match (ty, v.as_i64(), v.as_str()) {
        (FieldType::Fen { .. }, Some(fen), _) => page::yuan(fen),
        (_, _, Some(s)) => s.to_owned(),
        _ => v.to_string(),
    }
}

fn case_id(op: &Operator, raw: &str) -> Result<CaseId, ConsoleError> {
    raw.parse().map_err(|_| ConsoleError::Refused(ServiceError::NotFound.into(), op.lang))
}

fn state_name(op: &Operator, state: &str) -> &'static str {
    match state {
        "submitted" => op.t("待受理", "Submitted"),
        "returned" => op.t("待补正", "Returned"),
        "accepted" => op.t("办理中", "Accepted"),
        "answered" => op.t("已答复", "Answered"),
        "approved" => op.t("已批准", "Approved"),
        "refused" => op.t("未批准", "Refused"),
        "closed" => op.t("已办结", "Closed"),
        "withdrawn" => op.t("已撤回", "Withdrawn"),
        "reopened" => op.t("回访重开", "Reopened"),
        _ => op.t("未办结", "Open"),
    }
}

fn state_str(c: &CaseView) -> &'static str {
    CaseState::from(c.state).as_str()
}

fn badge(op: &Operator, c: &CaseView) -> Markup {
    let s = state_str(c);
    let class = match s {
        "approved" | "answered" | "closed" => "ok",
        "refused" | "withdrawn" => "cancelled",
        _ if c.overdue => "dead",
        _ => "pending",
    };
    html! {
        span.badge.(class) data-state=(s) { (state_name(op, s)) }
        @if c.overdue { " " span.badge.dead data-overdue { (op.t("已超时", "Overdue")) } }
        @if c.escalations > 0 { " " span.badge.pending { (op.t("已上报 ", "Escalated ")) (c.escalations) } }
    }
}

fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    beijing(at)[..16].to_owned()
}

/// `GET /console/cases`: the queue.
pub async fn list(
    op: Operator,
    state: web::Data<ServicesState>,
    query: web::Query<Filter>,
) -> Result<HttpResponse, ConsoleError> {
    op.admit(&Method::GET, API)?;
    let wanted = query.state.clone().filter(|s| !s.is_empty());
    let filter = CaseFilter {
        state: wanted.as_deref().and_then(CaseState::parse),
        kind: None,
        queue: None,
        assignee: query.mine.is_some().then(|| op.staff.actor.name.clone()),
        overdue_only: query.overdue.is_some(),
    };
    let after =
        query.cursor.as_deref().map(PairCursor::decode).transpose().map_err(|_| ConsoleError::BadForm(op.lang))?;
    let limit = Limit::parse(Some(50)).map_err(|_| ConsoleError::BadForm(op.lang))?;
    let found = state.services.queue(&op.staff.actor, filter, limit, after).await.map_err(refused(&op))?;
    let now = state.services.clock.now();
    let items: Vec<CaseView> = found.items.into_iter().map(|c| CaseView::of(c, Audience::Staff, now, false)).collect();
    let next = found.next.map(|c| {
        let mut q = format!("cursor={}", c.encode());
        if let Some(s) = &wanted {
            q += &format!("&state={s}");
        }
        if query.mine.is_some() {
            q += "&mine=on";
        }
        if query.overdue.is_some() {
            q += "&overdue=on";
        }
        q
    });
    let states =
        ["", "submitted", "returned", "accepted", "reopened", "answered", "approved", "refused", "closed", "withdrawn"];
    let body = html! {
        form.inline method="get" action=(SECTION) {
            label { (op.t("状态", "State"))
                select name="state" { @for s in states {
                    option value=(s) selected[wanted.as_deref().unwrap_or("") == s] { (state_name(&op, s)) } } } }
            label.inline { input type="checkbox" name="mine" checked[query.mine.is_some()]; (op.t("我承办的", "Mine")) }
            label.inline { input type="checkbox" name="overdue" checked[query.overdue.is_some()]; (op.t("仅超时", "Overdue only")) }
            button.secondary type="submit" { (op.t("筛选", "Filter")) }
        }
        @if items.is_empty() {
            p.card { (op.t("没有符合条件的事项。", "No cases like that.")) }
        } @else {
            div.table-wrap { table data-testid="cases" {
                thead { tr { th { (op.t("编号", "Number")) } th { (op.t("事项", "Kind")) } th { (op.t("工会", "Union")) }
                    th { (op.t("承办人", "Caseworker")) } th { (op.t("提交（北京）", "Submitted (Beijing)")) }
                    th { (op.t("时限（北京）", "Due (Beijing)")) } th { (op.t("状态", "State")) } } }
                tbody { @for c in &items {
                    tr data-case=(c.id) {
                        td { a href=(format!("{SECTION}/{}", c.id)) { (c.number) } }
                        td { (c.kind_name) }
                        td { (c.union_name) " " span.muted { (c.union_code) } }
                        td { (c.assignee.clone().unwrap_or_default()) }
                        td { (when(c.submitted_at)) }
                        td { @if let Some(d) = c.due_at { (when(d)) } @else { span.muted { "—" } } }
                        td { (badge(&op, c)) }
                    }
                } }
            } }
            @if let Some(next) = next { div.pager { a href=(format!("{SECTION}?{next}")) { (op.t("下一页 →", "Next page →")) } } }
        }
    };
    Ok(page::screen(&op, SECTION, op.t("服务窗口", "Service cases"), body))
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct StepForm {
    step: String,
    text: String,
    caseworker: String,
    /// Yuan, as typed.
    amount: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct TextForm {
    body: String,
}

#[derive(Default)]
struct Typed {
    step: Option<(StepForm, Errors)>,
    message: Option<(TextForm, Errors)>,
    note: Option<(TextForm, Errors)>,
}

/// The steps a case in `state` may take, as the step form offers them.
fn steps_for(op: &Operator, c: &CaseView) -> Vec<(&'static str, &'static str)> {
    let application = c.category == crate::services::dto::ServiceCategory::Application;
    let mut steps = Vec::new();
    match state_str(c) {
        "submitted" => {
            steps.push(("accept", op.t("受理", "Accept")));
            steps.push(("return", op.t("退回补正（说明缺少的材料）", "Return for missing material")));
        }
        "accepted" => {
            if application {
                steps.push(("approve", op.t("批准", "Approve")));
                steps.push(("refuse", op.t("不予批准（说明理由）", "Refuse (give the reason)")));
            } else {
                steps.push(("answer", op.t("答复", "Answer")));
            }
            steps.push(("return", op.t("退回补正（说明缺少的材料）", "Return for missing material")));
        }
        "answered" | "approved" | "refused" | "reopened" => steps.push(("close", op.t("办结", "Close"))),
        _ => {}
    }
    if matches!(state_str(c), "submitted" | "returned" | "accepted" | "reopened") {
        steps.push(("assign", op.t("指派承办人", "Assign")));
    }
    steps
}

async fn detail_page(
    op: &Operator,
    state: &ServicesState,
    id: CaseId,
    flash: Option<(bool, String)>,
    status: StatusCode,
    typed: Typed,
) -> Result<HttpResponse, ConsoleError> {
    let base = format!("{API}/{id}");
    op.admit(&Method::GET, &base)?;
    let found = state.services.case(&op.staff.actor, id).await.map_err(refused(op))?;
    // The form as the kind defines it: its labels, in its order, money in yuan.
    let fields = match state.services.kind(&found.kind).await {
        Ok(kind) => kind.form.fields().to_vec(),
        Err(_) => Vec::new(),
    };
    let c = CaseView::of(found, Audience::Staff, state.services.clock.now(), true);
    let here = format!("{SECTION}/{id}");
    let steps = steps_for(op, &c);
    let (step, step_errors) = typed.step.unwrap_or_default();
    let (message, message_errors) = typed.message.unwrap_or_default();
    let (note, note_errors) = typed.note.unwrap_or_default();
    let open_thread = !matches!(state_str(&c), "closed" | "withdrawn");
    let answers = c.answers.clone().unwrap_or_default();
    let body = html! {
        (page::flash(&flash))
        div.card data-testid="case" {
            p { (badge(op, &c)) " " strong { (c.kind_name) } " · " (c.union_name) " " span.muted { (c.union_code) } }
            p.muted {
                (op.t("提交 ", "Submitted ")) (when(c.submitted_at))
                @if let Some(d) = c.due_at { " · " (op.t("时限 ", "due ")) (when(d)) }
                " · " (op.t("所在队列 ", "in the queue of ")) (c.queue)
                @if let Some(a) = &c.assignee { " · " (op.t("承办人 ", "caseworker ")) (a) }
            }
            @if let Some(p) = &c.payout {
                p { (op.t("核准金额 ", "Approved ")) strong { (page::yuan(p.amount_fen)) } " · " (if p.state == "paid" { op.t("已发放", "paid") } else { op.t("待发放", "due") }) }
            }
            @if let Some(s) = c.score { p { (op.t("回访评分 ", "Follow-up score ")) strong data-score { (s) } " / 5" } }
            @if let Some(map) = answers.as_object() {
                dl data-testid="answers" {
                    @for f in &fields { @if let Some(v) = map.get(f.key.as_str()) {
                        dt { (f.label) } dd { (shown(&f.ty, v)) }
                    } }
                    // Answers to fields the kind no longer has, under their keys.
                    @for (k, v) in map { @if !fields.iter().any(|f| f.key.as_str() == k) {
                        dt { (k) } dd { (shown(&FieldType::Text { max_chars: 0 }, v)) }
                    } }
                }
            }
            @if let Some(files) = &c.attachments { @if !files.is_empty() {
                ul data-testid="files" { @for f in files {
                    li { a href=(format!("{here}/attachments/{}", f.id)) { (f.file_name) } " " span.muted { (f.slot) " · " (f.bytes) " B" } }
                } }
            } }
        }
        @if !steps.is_empty() && op.may(&Method::POST, &format!("{base}/steps")) {
            h2 { (op.t("办理", "Take a step")) }
            form.stack method="post" action=(format!("{here}/steps")) data-testid="step-form" {
                input type="hidden" name="_csrf" value=(op.csrf);
                @for message in step_errors.general(&["step", "text", "caseworker", "amount"]) { p.flash.error role="alert" { (message) } }
                fieldset {
                    legend { (op.t("操作", "Step")) }
                    @for (value, label) in &steps {
                        label.inline { input type="radio" name="step" value=(value) required checked[step.step == *value]; (label) }
                    }
                }
                (Field::new("text", op.t("答复、理由、缺少的材料或说明", "The answer, reason, missing material or note"), &step.text)
                    .kind("textarea").optional().render(&step_errors))
                (Field::new("caseworker", op.t("承办人（指派时填写登录名）", "Caseworker (for assign: their login)"), &step.caseworker).optional().render(&step_errors))
                (Field::new("amount", op.t("核准金额（元，批准时填写）", "Amount (yuan, for approve)"), &step.amount).optional().render(&step_errors))
                div.actions { button type="submit" { (op.t("提交", "Submit")) } }
            }
        }
        h2 { (op.t("办理记录", "Thread")) }
        @for e in c.events.as_deref().unwrap_or_default() {
            div.card data-event=(e.kind) {
                p.muted { (e.kind) " · " (e.staff.clone().unwrap_or_else(|| e.author.to_owned())) " · " (when(e.at))
                    @if let Some(to) = &e.assigned_to { " → " (to) } @if let Some(to) = &e.escalated_to { " → " (to) }
                    @if let Some(a) = e.amount_fen { " · " (page::yuan(a)) } @if let Some(s) = e.score { " · " (s) "/5" } }
                @if let Some(b) = &e.body { p { (b) } }
            }
        }
        @if open_thread && op.may(&Method::POST, &format!("{base}/messages")) {
            form.stack method="post" action=(format!("{here}/messages")) data-testid="message-form" {
                input type="hidden" name="_csrf" value=(op.csrf);
                (Field::new("body", op.t("回复会员", "Write to the member"), &message.body).kind("textarea").render(&message_errors))
                div.actions { button.secondary type="submit" { (op.t("发送", "Send")) } }
            }
        }
        @if op.may(&Method::POST, &format!("{base}/notes")) {
            form.stack method="post" action=(format!("{here}/notes")) data-testid="note-form" {
                input type="hidden" name="_csrf" value=(op.csrf);
                (Field::new("body", op.t("内部备注（会员看不到）", "Internal note (members never see it)"), &note.body).kind("textarea").render(&note_errors))
                div.actions { button.secondary type="submit" { (op.t("添加备注", "Add note")) } }
            }
        }
    };
    Ok(page::screen_with_status(op, SECTION, &c.number, body, status))
}

#[derive(Deserialize)]
pub struct Done {
    done: Option<String>,
}

/// `GET /console/cases/{id}`: a logged read.
pub async fn detail(
    op: Operator,
    state: web::Data<ServicesState>,
    id: web::Path<String>,
    query: web::Query<Done>,
) -> Result<HttpResponse, ConsoleError> {
    let id = case_id(&op, &id)?;
    let flash = query.done.as_deref().map(|d| {
        (
            true,
            match d {
                "message" => op.t("已发送给会员。", "Sent to the member."),
                "note" => op.t("备注已添加。", "Note added."),
                _ => op.t("已办理。", "Done."),
            }
            .to_owned(),
        )
    });
    detail_page(&op, &state, id, flash, StatusCode::OK, Typed::default()).await
}

async fn answer(
    op: &Operator,
    state: &ServicesState,
    id: CaseId,
    done: Result<&str, ApiError>,
    typed: impl FnOnce(Errors) -> Typed,
) -> Result<HttpResponse, ConsoleError> {
    match done {
        Ok(what) => Ok(page::see_other(&format!("{SECTION}/{id}?done={what}"))),
        Err(e) if e.status().is_server_error() || e.status() == StatusCode::NOT_FOUND => {
            Err(ConsoleError::Refused(e, op.lang))
        }
        Err(e) => {
            let flash = Some((false, e.message(op.lang).to_owned()));
            detail_page(op, state, id, flash, e.status(), typed(Errors::from_api(&e, op.lang))).await
        }
    }
}

/// `POST /console/cases/{id}/steps`: the API's step.
pub async fn step(
    posted: Posted<StepForm>,
    state: web::Data<ServicesState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { op, form } = posted;
    let id = case_id(&op, &id)?;
    op.admit(&Method::POST, &format!("{API}/{id}/steps"))?;
    let done = async {
        let text = || form.text.clone();
        let optional = || Some(form.text.clone()).filter(|t| !t.trim().is_empty());
        let request = match form.step.as_str() {
            "accept" => CaseStep::Accept,
            "return" => CaseStep::Return { missing: text() },
            "assign" => CaseStep::Assign { caseworker: form.caseworker.clone() },
            "answer" => CaseStep::Answer { body: text() },
            "approve" => CaseStep::Approve {
                amount_fen: match form.amount.trim() {
                    "" => None,
                    raw => Some(fen_of_yuan(raw).ok_or_else(|| {
                        ApiError::validation(
                            "amount",
                            "金额须为元，至多两位小数",
                            "amount is yuan with up to two decimals".into(),
                        )
                    })?),
                },
                note: optional(),
            },
            "refuse" => CaseStep::Refuse { reason: text() },
            "close" => CaseStep::Close { note: optional() },
            _ => return Err(ApiError::validation("step", "请选择一项操作", "choose a step".into())),
        };
        state.services.step(&op.staff.actor, id, request.parse()?).await?;
        Ok("step")
    };
    let done = done.await;
    answer(&op, &state, id, done, |e| Typed {
        step: Some((
            form,
            e.renamed("amount_fen", "amount")
                .renamed("body", "text")
                .renamed("reason", "text")
                .renamed("missing", "text"),
        )),
        ..Typed::default()
    })
    .await
}

/// `POST /console/cases/{id}/messages` and `/notes`.
pub async fn post(
    posted: Posted<TextForm>,
    state: web::Data<ServicesState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { op, form } = posted;
    let (id, what) = path.into_inner();
    let id = case_id(&op, &id)?;
    let internal = match what.as_str() {
        "messages" => false,
        "notes" => true,
        _ => return Err(ConsoleError::Refused(ServiceError::NotFound.into(), op.lang)),
    };
    op.admit(&Method::POST, &format!("{API}/{id}/{what}"))?;
    let done = state
        .services
        .post(&op.staff.actor, id, &form.body, internal)
        .await
        .map(|_| if internal { "note" } else { "message" })
        .map_err(ApiError::from);
    answer(&op, &state, id, done, |e| {
        if internal {
            Typed { note: Some((form, e)), ..Typed::default() }
        } else {
            Typed { message: Some((form, e)), ..Typed::default() }
        }
    })
    .await
}

/// `GET /console/cases/{id}/attachments/{file}`: a logged read of a file.
pub async fn file(
    op: Operator,
    state: web::Data<ServicesState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let (id, file) = path.into_inner();
    let id = case_id(&op, &id)?;
    op.admit(&Method::GET, &format!("{API}/{id}/attachments/{file}"))?;
    crate::services::serve_file(&state, FileReader::Staff(&op.staff.actor), (id.to_string(), file))
        .await
        .map_err(|e| ConsoleError::Refused(e, op.lang))
}

//! The operations screens: the overview with readiness, the jobs outbox with its dead jobs and a
//! retry button, and the audit log.

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpResponse};
use maud::html;
use serde::Deserialize;

use super::page::{self, beijing, ConsoleError};
use super::session::{Operator, Posted};
use crate::admin::dto::AuditQuery;
use crate::admin::AdminState;
use crate::error::ApiError;
use crate::health::Probes;
use domain::jobs::JobState;
use domain::shared::PageRequest;

fn paging(op: &Operator, e: domain::shared::paging::PagingError) -> ConsoleError {
    ConsoleError::Refused(crate::admin::paging_error(e), op.lang)
}

fn check_badge(op: &Operator, state: &str) -> maud::Markup {
    let (class, zh, en) = match state {
        "ok" => ("ok", "正常", "OK"),
        "not_configured" => ("", "未配置（进程内）", "Not configured (in-process)"),
        "evicts_keys" => ("failed", "会淘汰库存键", "Would evict gate keys"),
        _ => ("failed", "故障", "Failed"),
    };
    html! { span.badge.(class) data-check=(state) { (op.t(zh, en)) } }
}

/// `GET /console/`: who they are, and whether the service is ready.
pub async fn overview(op: Operator, probes: web::Data<Probes>) -> Result<HttpResponse, ConsoleError> {
    op.admit(&Method::GET, "/v1/admin/me")?;
    let checks = crate::health::checks(&probes).await;
    let body = html! {
        div.grid {
            div.figure {
                div.label { (op.t("数据库", "Database")) }
                div.value { (check_badge(&op, checks.database)) }
            }
            div.figure {
                div.label { "Redis" }
                div.value { (check_badge(&op, checks.redis)) }
            }
            div.figure {
                div.label { (op.t("北京时间", "Beijing time")) }
                div.value { (beijing(op.now).get(11..16).unwrap_or("")) }
            }
        }
        h2 { (op.t("常用", "Shortcuts")) }
        div.actions {
            @if op.may(&Method::GET, "/v1/admin/campaigns") {
                a.button.secondary href="/console/campaigns" { (op.t("活动", "Campaigns")) }
            }
            @if op.may(&Method::GET, "/v1/admin/jobs") {
                a.button.secondary href="/console/jobs?state=dead" { (op.t("已放弃的任务", "Dead jobs")) }
            }
            @if op.may(&Method::GET, "/v1/admin/audit") {
                a.button.secondary href="/console/audit" { (op.t("审计日志", "Audit log")) }
            }
        }
    };
    Ok(page::screen(&op, "/console/", op.t("概览", "Overview"), body))
}

#[derive(Deserialize)]
pub struct JobQuery {
    state: Option<String>,
    cursor: Option<String>,
}

/// `GET /console/jobs?state=dead`.
pub async fn jobs(
    op: Operator,
    state: web::Data<AdminState>,
    query: web::Query<JobQuery>,
) -> Result<HttpResponse, ConsoleError> {
    op.admit(&Method::GET, "/v1/admin/jobs")?;
    jobs_page(&op, &state, &query.into_inner(), None).await
}

async fn jobs_page(
    op: &Operator,
    state: &AdminState,
    query: &JobQuery,
    flash: Option<(bool, String)>,
) -> Result<HttpResponse, ConsoleError> {
    let wanted = query.state.as_deref().filter(|s| !s.is_empty()).and_then(JobState::parse);
    let request = PageRequest::parse(Some(50), query.cursor.as_deref()).map_err(|e| paging(op, e))?;
    let page = state.jobs.page(wanted, request).await.map_err(|e| ConsoleError::Refused(e.into(), op.lang))?;
    let may_retry = op.may(&Method::POST, "/v1/admin/jobs/1/retry");
    let filter = wanted.map(|s| s.as_str()).unwrap_or("");
    let body = html! {
        (page::flash(&flash))
        form.inline method="get" action="/console/jobs" {
            label {
                (op.t("状态", "State"))
                select name="state" {
                    option value="" selected[filter.is_empty()] { (op.t("全部", "All")) }
                    option value="pending" selected[filter == "pending"] { (op.t("等待中", "Pending")) }
                    option value="done" selected[filter == "done"] { (op.t("已完成", "Done")) }
                    option value="dead" selected[filter == "dead"] { (op.t("已放弃", "Dead")) }
                }
            }
            button.secondary type="submit" { (op.t("筛选", "Filter")) }
        }
        @if page.items.is_empty() {
            p.card { (op.t("没有任务。", "No jobs.")) }
        } @else {
            div.table-wrap { table {
                thead { tr {
                    th.num { "#" }
                    th { (op.t("类型", "Kind")) }
                    th { (op.t("状态", "State")) }
                    th.num { (op.t("尝试次数", "Attempts")) }
                    th { (op.t("最近错误", "Last error")) }
                    th { (op.t("创建于", "Created")) }
                    th {}
                } }
                tbody {
                    @for job in &page.items {
                        tr data-job=(job.id) {
                            td.num { (job.id) }
                            td { (job.kind) }
                            td { span.badge.(job.state.as_str()) { (job.state.as_str()) } }
                            td.num { (job.attempts) }
                            td { (job.last_error.as_deref().unwrap_or("")) }
                            td { (beijing(job.created_at)) }
                            td {
                                @if may_retry && job.state == JobState::Dead {
                                    form method="post" action=(format!("/console/jobs/{}/retry", job.id)) {
                                        input type="hidden" name="_csrf" value=(op.csrf);
                                        button.secondary type="submit" { (op.t("重试", "Retry")) }
                                    }
                                }
                            }
                        }
                    }
                }
            } }
            @if let Some(next) = page.next {
                div.pager { a href=(format!("/console/jobs?state={filter}&cursor={}", next.encode())) { (op.t("下一页", "Next page")) } }
            }
        }
    };
    Ok(page::screen(op, "/console/jobs", op.t("任务", "Jobs"), body))
}

#[derive(Deserialize)]
pub struct Nothing {}

/// `POST /console/jobs/{id}/retry`.
pub async fn retry(
    posted: Posted<Nothing>,
    state: web::Data<AdminState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let op = posted.op;
    let Ok(id) = id.parse::<i64>() else {
        let e = ApiError::new(StatusCode::NOT_FOUND, "job.not_found", "任务不存在", "No such job");
        return Err(ConsoleError::Refused(e, op.lang));
    };
    op.admit(&Method::POST, &format!("/v1/admin/jobs/{id}/retry"))?;
    let query = JobQuery { state: Some("dead".into()), cursor: None };
    match state.jobs.retry(&op.staff.actor, id).await {
        Ok(job) => {
            let message = format!("{}{}", op.t("已重新排队：任务 #", "Re-queued: job #"), job.id);
            jobs_page(&op, &state, &query, Some((true, message))).await
        }
        Err(e) => {
            let e: ApiError = e.into();
            let message = e.message(op.lang).to_owned();
            let res = jobs_page(&op, &state, &query, Some((false, message))).await?;
            Ok(with_status(res, e.status()))
        }
    }
}

fn with_status(mut res: HttpResponse, status: StatusCode) -> HttpResponse {
    *res.status_mut() = status;
    res
}

/// `GET /console/audit`, with the API's filters (who, what, on what, when).
pub async fn audit(
    op: Operator,
    state: web::Data<AdminState>,
    query: web::Query<AuditQuery>,
) -> Result<HttpResponse, ConsoleError> {
    op.admit(&Method::GET, "/v1/admin/audit")?;
    let q = query.into_inner();
    let filter = crate::admin::audit_filter(&q).map_err(ConsoleError::of(op.lang))?;
    let request = PageRequest::parse(Some(50), q.cursor.as_deref()).map_err(|e| paging(&op, e))?;
    let page = state
        .admins
        .audit_page(&op.staff.actor, request, filter)
        .await
        .map_err(|e| ConsoleError::Refused(e.into(), op.lang))?;
    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    let kept: Vec<(&str, String)> =
        [("actor", &q.actor), ("action", &q.action), ("target", &q.target), ("from", &q.from), ("until", &q.until)]
            .into_iter()
            .filter_map(|(k, v)| v.clone().filter(|v| !v.trim().is_empty()).map(|v| (k, v)))
            .collect();
    let next = page.next.map(|cursor| {
        let mut pairs = kept;
        pairs.push(("cursor", cursor.encode()));
        format!("/console/audit?{}", serde_urlencoded::to_string(&pairs).unwrap_or_default())
    });
    let body = html! {
        form.inline method="get" action="/console/audit" {
            label { (op.t("操作人", "Actor")) input name="actor" value=(value(&q.actor)) placeholder="ops.zhang"; }
            label { (op.t("操作", "Action")) input name="action" value=(value(&q.action)) placeholder="campaign."; }
            label { (op.t("对象", "Target")) input name="target" value=(value(&q.target)); }
            label { (op.t("起（北京时间）", "From (Beijing)")) input type="datetime-local" name="from" value=(value(&q.from)); }
            label { (op.t("止（北京时间）", "Until (Beijing)")) input type="datetime-local" name="until" value=(value(&q.until)); }
            button.secondary type="submit" { (op.t("筛选", "Filter")) }
        }
        @if page.items.is_empty() {
            p.card { (op.t("没有符合条件的记录。", "No entries match.")) }
        } @else {
            div.table-wrap { table {
                thead { tr {
                    th { (op.t("时间", "Time")) }
                    th { (op.t("操作人", "Actor")) }
                    th { (op.t("操作", "Action")) }
                    th { (op.t("对象", "Target")) }
                    th { (op.t("变更", "Change")) }
                } }
                tbody {
                    @for e in &page.items {
                        tr data-action=(e.action) {
                            td { (beijing(e.at)) }
                            td { (e.actor_name) }
                            td { code { (e.action) } }
                            td { (e.target) }
                            td.muted {
                                @if let Some(after) = &e.after { (after.to_string().chars().take(160).collect::<String>()) }
                            }
                        }
                    }
                }
            } }
        }
        @if let Some(next) = &next {
            div.pager { a href=(next) { (op.t("下一页", "Next page")) } }
        }
    };
    Ok(page::screen(&op, "/console/audit", op.t("审计日志", "Audit log"), body))
}

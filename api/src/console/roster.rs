//! `/console/roster`: uploading the union's roster file (CSV or an Excel workbook) as an import job
//! of the API's kind — the upload's progress from the browser, then the job's rows read, accepted
//! and rejected as it goes — and the rejected rows as a file to fix and upload again.

use actix_web::http::{header, Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;
use serde::Deserialize;

use super::page::{self, ConsoleError};
use super::session::Operator;
use crate::error::ApiError;
use crate::imports::{ImportJobView, Imports};
use crate::members::MembersState;

/// `GET /console/roster`.
pub async fn page(op: Operator) -> Result<HttpResponse, ConsoleError> {
    op.admit(&Method::POST, "/v1/admin/roster/imports")?;
    let body = html! {
        div.card {
            p { (op.t("上传名册文件：CSV（UTF-8 或 GB18030）或 Excel 工作簿（.xlsx），列可按任意顺序，表头可为中文。",
                "Upload the roster: a CSV (UTF-8 or GB18030) or an Excel workbook (.xlsx), columns in any order, headers in Chinese or English.")) }
            div.actions {
                a.button.secondary href="/console/roster/template.xlsx" download { (op.t("下载模板（Excel）", "Download the template (Excel)")) }
                a.button.secondary href="/console/roster/template.csv" download { (op.t("下载模板（CSV）", "Download the template (CSV)")) }
            }
            form.stack data-upload="/console/roster/imports" data-testid="roster-upload" {
                label {
                    (op.t("名册文件", "Roster file"))
                    input type="file" name="file" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" required;
                }
                label.inline {
                    input type="checkbox" name="dry_run";
                    (op.t("仅检查，不写入", "Check only, write nothing"))
                }
                div.actions { button type="submit" { (op.t("上传并导入", "Upload and import")) } }
                label {
                    (op.t("上传进度", "Upload"))
                    progress data-upload-progress max="100" value="0" {}
                }
            }
            div data-import-status aria-live="polite" {}
        }
    };
    Ok(page::screen(&op, "/console/roster", op.t("名册导入", "Roster import"), body))
}

#[derive(Deserialize)]
pub struct UploadQuery {
    #[serde(default)]
    dry_run: bool,
}

/// `GET /console/roster/template.csv`: the API's blank roster template.
pub async fn template_csv(op: Operator) -> Result<HttpResponse, ConsoleError> {
    op.admit(&Method::GET, "/v1/admin/roster/template.csv")?;
    Ok(crate::members::roster_template::csv_file())
}

/// `GET /console/roster/template.xlsx`: the same as an Excel workbook.
pub async fn template_xlsx(op: Operator) -> Result<HttpResponse, ConsoleError> {
    op.admit(&Method::GET, "/v1/admin/roster/template.xlsx")?;
    crate::members::roster_template::xlsx_file().map_err(ConsoleError::of(op.lang))
}

/// `POST /console/roster/imports`: the file as the request's body (the page's script sends it with
/// its content type and the session's token in `X-CSRF-Token`); answers the job, as the API's
/// asynchronous import does.
pub async fn upload(
    req: HttpRequest,
    op: Operator,
    state: web::Data<MembersState>,
    jobs: web::Data<Imports>,
    query: web::Query<UploadQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ConsoleError> {
    let content_type = super::uploads::sent_by_the_page(&req, &op)?;
    op.admit(&Method::POST, "/v1/admin/roster/imports")?;
    let started =
        crate::members::roster::start_job(state, jobs, &op.staff, &content_type, None, query.dry_run, payload).await;
    super::uploads::job_answer(&op, started)
}

/// `GET /console/imports/{id}`: the job's state as a fragment the page swaps in, again and again
/// until it is finished.
pub async fn status(
    op: Operator,
    jobs: web::Data<Imports>,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let id = job_id(&op, &id)?;
    op.admit(&Method::GET, &format!("/v1/admin/imports/{id}"))?;
    let job = crate::imports::job_view(&jobs, &op.staff, id).await.map_err(|e| ConsoleError::Refused(e, op.lang))?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(fragment(&op, &job).into_string()))
}

fn fragment(op: &Operator, job: &ImportJobView) -> maud::Markup {
    let p = &job.progress;
    let finished = job.finished_at.is_some();
    let report = job.report.as_ref();
    let count = |key: &str| report.and_then(|r| r[key].as_u64()).unwrap_or(0);
    html! {
        @if finished {
            div data-job=(job.id) data-finished=(job.state) {
                @if let Some(problem) = &job.problem {
                    p.flash.error role="alert" { (op.t("导入失败：", "The import failed: ")) (problem["message"].as_str().unwrap_or("")) }
                } @else {
                    p.flash.ok role="status" {
                        (if job.dry_run { op.t("检查完成", "Checked") } else { op.t("导入完成", "Imported") })
                        "：" (op.t("新增 ", "inserted ")) span data-count="inserted" { (count("inserted")) }
                        "，" (op.t("更新 ", "updated ")) span data-count="updated" { (count("updated")) }
                        "，" (op.t("未变 ", "unchanged ")) span data-count="unchanged" { (count("unchanged")) }
                        "，" (op.t("拒绝 ", "rejected ")) span data-count="rejected" { (count("rejected")) }
                    }
                    @if count("rejected") > 0 {
                        p { a.button.secondary href=(format!("/console/imports/{}/rejected.csv", job.id)) download {
                            (op.t("下载被拒绝的行（含原因）", "Download the rejected rows, with reasons"))
                        } }
                    }
                }
            }
        } @else {
            // htmx asks again a second later and swaps this for what it gets.
            div data-job=(job.id) hx-get=(format!("/console/imports/{}", job.id)) hx-trigger="load delay:1s" hx-swap="outerHTML" {
                p { (op.t("正在导入：已读 ", "Importing: read ")) (p.rows) (op.t(" 行，通过 ", " rows, accepted ")) (p.accepted)
                    (op.t("，拒绝 ", ", rejected ")) (p.rejected) }
                progress max=(p.rows.max(1)) value=(p.inserted + p.updated + p.unchanged) {}
            }
        }
    }
}

fn job_id(op: &Operator, raw: &str) -> Result<uuid::Uuid, ConsoleError> {
    raw.parse().map_err(|_| {
        let e = ApiError::new(StatusCode::NOT_FOUND, "import.not_found", "导入任务不存在", "No such import job");
        ConsoleError::Refused(e, op.lang)
    })
}

/// `GET /console/imports/{id}/rejected.csv`.
pub async fn rejected(
    op: Operator,
    jobs: web::Data<Imports>,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let id = job_id(&op, &id)?;
    op.admit(&Method::GET, &format!("/v1/admin/imports/{id}/rejected.csv"))?;
    crate::imports::rejected_download(&jobs, &op.staff, id).await.map_err(|e| ConsoleError::Refused(e, op.lang))
}

//! The union tree's files in the console: the tree exported and its blank template, a tree file
//! imported and a file of member numbers moved into a union, each as the API's own job.

use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use super::page::ConsoleError;
use super::session::Operator;
use super::unions::{code_of, API};
use super::uploads;
use crate::imports::Imports;
use crate::unions::UnionsState;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Under {
    under: Option<String>,
    dry_run: bool,
}

/// `GET /console/unions/export.csv?under=`: the API's export.
pub async fn export(
    op: Operator,
    state: web::Data<UnionsState>,
    query: web::Query<Under>,
) -> Result<HttpResponse, ConsoleError> {
    op.admit(&Method::GET, &format!("{API}/export.csv"))?;
    crate::unions::file::export(&state, &op.staff, query.under.as_deref()).await.map_err(ConsoleError::of(op.lang))
}

/// `GET /console/unions/template.csv`: the API's blank tree template.
pub async fn template(op: Operator) -> Result<HttpResponse, ConsoleError> {
    op.admit(&Method::GET, &format!("{API}/template.csv"))?;
    Ok(crate::unions::file::template_file())
}

/// `POST /console/unions/{code}/moves`: a file of member numbers, moved here as a job.
pub async fn moves_upload(
    req: HttpRequest,
    op: Operator,
    state: web::Data<crate::membership::MembershipState>,
    jobs: web::Data<Imports>,
    raw: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ConsoleError> {
    let content_type = uploads::sent_by_the_page(&req, &op)?;
    let target = code_of(&op, &raw)?;
    op.admit(&Method::POST, &format!("{API}/{target}/moves"))?;
    let started =
        crate::membership::moves::start_job(state, jobs, &op.staff, target.as_str(), &content_type, payload).await;
    uploads::job_answer(&op, started)
}

/// `POST /console/unions/imports`: the file as the request's body, sent by the page's script with
/// the session's token in `X-CSRF-Token`; answers the import job, as the API's asynchronous
/// import does.
pub async fn upload(
    req: HttpRequest,
    op: Operator,
    state: web::Data<UnionsState>,
    jobs: web::Data<Imports>,
    query: web::Query<Under>,
    payload: web::Payload,
) -> Result<HttpResponse, ConsoleError> {
    let content_type = uploads::sent_by_the_page(&req, &op)?;
    op.admit(&Method::POST, &format!("{API}/imports"))?;
    uploads::job_answer(
        &op,
        crate::unions::file::start_job(state, jobs, &op.staff, &content_type, query.dry_run, payload).await,
    )
}

//! Files the page's script uploads as the request's body (the file's own content type, the
//! session's token in `X-CSRF-Token`), started as the API's import jobs.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

use super::page::ConsoleError;
use super::session::Operator;
use crate::error::ApiError;

/// The upload's content type, once the session's token came with it.
pub fn sent_by_the_page(req: &HttpRequest, op: &Operator) -> Result<String, ConsoleError> {
    let sent = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if !super::session::same_token(sent, &op.csrf) {
        return Err(ConsoleError::Csrf(op.lang));
    }
    Ok(req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned())
}

/// A job started from the page's script: the job, or the refusal as the script shows it where the
/// job's state would have been.
pub fn job_answer(op: &Operator, started: Result<HttpResponse, ApiError>) -> Result<HttpResponse, ConsoleError> {
    match started {
        Ok(started) => Ok(started),
        Err(e) if e.status().is_server_error() => Err(ConsoleError::Failed(e, op.lang)),
        Err(e) => Ok(HttpResponse::build(e.status()).json(serde_json::json!({
            "code": e.code(), "message": e.message(op.lang), "field": e.field(),
        }))),
    }
}

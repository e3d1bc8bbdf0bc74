//! What every request passes through: a request id, a tracing span, Prometheus counts and
//! latencies per route, and problem bodies rendered in the caller's language.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, ResponseError};
use std::time::Instant;
use tracing::Instrument;

use crate::console::ConsoleError;
use crate::error::{ApiError, Lang};
use crate::extract::{ClientRequestId, RequestId};

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The client's own id for the request, echoed as `X-Client-Request-Id`.
pub const CLIENT_REQUEST_ID: HeaderName = HeaderName::from_static("x-client-request-id");

/// A caller's id is kept (beside ours) if it is short and plain.
fn client_request_id(req: &ServiceRequest) -> Option<String> {
    req.headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|s| (1..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b)))
        .map(str::to_owned)
}

pub async fn edge(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let started = Instant::now();
    let id = uuid::Uuid::now_v7().to_string();
    req.extensions_mut().insert(RequestId(id.clone()));
    let client_id = client_request_id(&req);
    if let Some(client) = &client_id {
        req.extensions_mut().insert(ClientRequestId(client.clone()));
    }
    let lang = Lang::negotiate(req.headers().get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()));
    let method = req.method().clone();
    let console = crate::console::is_console(req.path());
    let span = tracing::info_span!("request", request_id = %id, client_request_id = client_id.as_deref().unwrap_or(""),
        method = %method, path = %req.path());

    let res = match next.call(req).instrument(span.clone()).await {
        Ok(res) => res.map_into_boxed_body(),
        Err(err) => {
            // Inner middleware gave up on the request (it cannot be cloned before routing, so there
            // is nothing to build a response around here); actix renders the error itself.
            let status = err.as_response_error().status_code().as_u16();
            crate::metrics::record(method.as_str(), "unmatched", status, started.elapsed());
            return Err(err);
        }
    };
    // Ours carry their problem; an error answered by actix or a middleware (a CORS refusal) is
    // turned into one, so no refusal goes out as plain text.
    // The console's own refusals are pages already; anything else refused there becomes one.
    let own_page = console && res.response().error().is_some_and(|e| e.as_error::<ConsoleError>().is_some());
    let problem = res.response().extensions().get::<ApiError>().cloned().filter(|_| !own_page).or_else(|| {
        let error = res.response().error().filter(|_| !own_page)?;
        let refused = ApiError::new(res.status(), "request.refused", "请求被拒绝", "Request refused");
        Some(refused.detail(error.to_string()))
    });
    let mut res = match problem {
        Some(problem) if console => res.into_response(ConsoleError::Refused(problem, lang).error_response()),
        Some(problem) => res.into_response(problem.to_response(lang, Some(&id))),
        None => res,
    };
    if let Ok(value) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, value);
    }
    if let Some(value) = client_id.and_then(|c| HeaderValue::from_str(&c).ok()) {
        res.headers_mut().insert(CLIENT_REQUEST_ID, value);
    }

    let route = res.request().match_pattern().unwrap_or_else(|| "unmatched".to_owned());
    let status = res.status().as_u16();
    let elapsed = started.elapsed();
    crate::metrics::record(method.as_str(), &route, status, elapsed);
    span.in_scope(|| {
        let ms = elapsed.as_secs_f64() * 1e3;
        if status >= 500 {
            tracing::error!(status, route, latency_ms = ms, "request failed");
        } else {
            tracing::info!(status, route, latency_ms = ms, "request served");
        }
    });
    Ok(res)
}

//! Prometheus text exposition at `/metrics`.

use actix_web::http::StatusCode;
use actix_web::{get, web, HttpRequest, HttpResponse};
use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use crate::error::ApiError;

const REQUESTS: &str = "http_requests_total";
const LATENCY: &str = "http_request_duration_seconds";

/// The recorder is process-wide; tests start many servers in one process and share it.
static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

pub fn install() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(LATENCY.to_owned()),
                    &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0],
                )
                .expect("bucket list is non-empty");
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; /metrics shows only this one's");
            }
            handle
        })
        .clone()
}

/// One route's handles: the latency histogram per method, the counter per method and status.
#[derive(Default)]
struct RouteHandles {
    latency: Vec<(String, Histogram)>,
    requests: Vec<(String, u16, Counter)>,
}

thread_local! {
    /// Handles looked up once per worker thread: registering them again on every request (label
    /// strings, hashing, the registry's lock) showed up in the claim flood's profile.
    static HANDLES: RefCell<HashMap<String, RouteHandles>> = RefCell::default();
}

/// The standard methods by name, anything else as `other`: a label set per invented method would
/// let any caller grow `/metrics` without bound.
fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 9] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"];
    KNOWN.into_iter().find(|known| *known == method).unwrap_or("other")
}

pub fn record(method: &str, route: &str, status: u16, elapsed: Duration) {
    let method = method_label(method);
    HANDLES.with_borrow_mut(|handles| {
        if !handles.contains_key(route) {
            handles.insert(route.to_owned(), RouteHandles::default());
        }
        let Some(mine) = handles.get_mut(route) else { return };
        let (_, latency) = find_or_add(
            &mut mine.latency,
            |(m, _)| m == method,
            || {
                (
                    method.to_owned(),
                    metrics::histogram!(LATENCY, "method" => method.to_owned(), "route" => route.to_owned()),
                )
            },
        );
        latency.record(elapsed.as_secs_f64());
        let (_, _, requests) = find_or_add(
            &mut mine.requests,
            |(m, s, _)| m == method && *s == status,
            || {
                let labels =
                    [("method", method.to_owned()), ("route", route.to_owned()), ("status", status.to_string())];
                (method.to_owned(), status, metrics::counter!(REQUESTS, &labels))
            },
        );
        requests.increment(1);
    });
}

fn find_or_add<T>(list: &mut Vec<T>, wanted: impl Fn(&T) -> bool, make: impl FnOnce() -> T) -> &T {
    let i = list.iter().position(wanted).unwrap_or_else(|| {
        list.push(make());
        list.len() - 1
    });
    &list[i]
}

/// Whether a listener serves `/metrics`, and the token it asks for.
#[derive(Clone)]
pub struct Exposure {
    pub served: bool,
    /// The SHA-256 of the bearer token a scraper must send, compared digest to digest.
    token_digest: Option<[u8; 32]>,
}

impl Exposure {
    pub fn new(served: bool, token: Option<&str>) -> Self {
        Self { served, token_digest: token.map(|t| Sha256::digest(t.as_bytes()).into()) }
    }

    fn admits(&self, req: &HttpRequest) -> bool {
        self.token_digest.is_none_or(|wanted| {
            crate::extract::bearer(req).is_some_and(|sent| <[u8; 32]>::from(Sha256::digest(sent.as_bytes())) == wanted)
        })
    }
}

/// Prometheus metrics: request counts and latencies per route.
///
/// Request counts and latency histograms per route, in Prometheus text format. Where the deployment sets
/// `SGH_METRICS_BIND`, metrics are served on that listener of their own and this address answers 404. Changes nothing.
///
/// Who: anyone, unless the deployment sets `SGH_METRICS_TOKEN`: then the scraper sends that token as a bearer token,
/// and a request without it gets 401.
#[utoipa::path(operation_id = "get_metrics",
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain",
        body = String, example = json!("http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 3\n")),
        (status = 401, description = "`metrics.token_required`: this deployment asks for its metrics token", body = crate::openapi::Problem, content_type = "application/problem+json"),
        (status = 404, description = "`route.not_found`: metrics are served on a listener of their own", body = crate::openapi::Problem, content_type = "application/problem+json"))
)]
#[get("/metrics")]
pub async fn metrics_endpoint(
    req: HttpRequest,
    handle: web::Data<PrometheusHandle>,
    exposure: web::Data<Exposure>,
) -> Result<HttpResponse, ApiError> {
    if !exposure.served {
        return Err(ApiError::new(StatusCode::NOT_FOUND, "route.not_found", "请求的接口不存在", "No such endpoint"));
    }
    if !exposure.admits(&req) {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "metrics.token_required",
            "读取监控指标需要令牌",
            "The metrics token is required",
        ));
    }
    Ok(HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(handle.render()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invented_methods_share_one_label() {
        assert_eq!(method_label("GET"), "GET");
        assert_eq!(method_label("PATCH"), "PATCH");
        assert_eq!(method_label("FOO1"), "other");
        assert_eq!(method_label("get"), "other");
    }
}

//! Prometheus text exposition at `/metrics`.

use actix_web::{get, web, HttpResponse};
use metrics::{Counter, Histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

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

pub fn record(method: &str, route: &str, status: u16, elapsed: Duration) {
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

/// Request counts and latency histograms per route, in Prometheus text format.
#[utoipa::path(operation_id = "get_metrics", 
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain",
        body = String, example = json!("http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 3\n")))
)]
#[get("/metrics")]
pub async fn metrics_endpoint(handle: web::Data<PrometheusHandle>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(handle.render())
}

//! Prometheus text exposition at `/metrics`.

use actix_web::{get, web, HttpResponse};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
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

pub fn record(method: &str, route: &str, status: u16, elapsed: Duration) {
    let labels = [("method", method.to_owned()), ("route", route.to_owned())];
    metrics::counter!(REQUESTS, &[labels[0].clone(), labels[1].clone(), ("status", status.to_string())]).increment(1);
    metrics::histogram!(LATENCY, &labels).record(elapsed.as_secs_f64());
}

/// Request counts and latency histograms per route, in Prometheus text format.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition format", content_type = "text/plain",
        body = String, example = json!("http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 3\n")))
)]
#[get("/metrics")]
pub async fn metrics_endpoint(handle: web::Data<PrometheusHandle>) -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(handle.render())
}

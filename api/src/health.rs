//! Liveness and readiness probes for the load balancer and the orchestrator.

use actix_web::http::StatusCode;
use actix_web::{get, web};
use serde::Serialize;
use std::time::Duration;
use utoipa::ToSchema;

use crate::error::ApiError;
use infra::db::Database;
use infra::redis_client::Redis;
use utoipa_actix_web::service_config::ServiceConfig;

const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// What readiness asks.
pub struct Probes {
    pub db: Database,
    pub redis: Option<Redis>,
}

pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(healthz).service(readyz).service(crate::metrics::metrics_endpoint);
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"status": "ok"}))]
pub struct Health {
    pub status: &'static str,
}

/// Liveness: the process is up and serving HTTP.
///
/// Says nothing about the database or Redis (see `/readyz`). Changes nothing.
///
/// Who: anyone, without credentials.
#[utoipa::path(operation_id = "get_health", tag = "operations", responses((status = 200, body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health { status: "ok" })
}

#[derive(Serialize, ToSchema)]
#[schema(example = json!({"status": "ready", "checks": {"database": "ok", "redis": "not_configured"}}))]
pub struct Readiness {
    pub status: &'static str,
    pub checks: Checks,
}

/// One entry per dependency: `ok`, `failed` or `not_configured` (Redis in the embedded default);
/// Redis also `evicts_keys` when its `maxmemory-policy` could drop the inventory gate's keys.
#[derive(Serialize, ToSchema, Clone, Copy)]
pub struct Checks {
    pub database: &'static str,
    pub redis: &'static str,
}

/// Readiness: the database and Redis answer.
///
/// Ready to take traffic when the database and (when configured) Redis answer within two seconds, and Redis keeps the
/// inventory gate's keys (its `maxmemory-policy` evicts none). Otherwise 503 with `Retry-After`, `checks` and `failed`
/// naming what failed. Changes nothing.
///
/// Who: anyone, without credentials.
#[utoipa::path(operation_id = "get_readiness", tag = "operations", responses(
    (status = 200, body = Readiness),
    (status = 503, description = "A dependency failed", content_type = "application/problem+json", body = crate::openapi::Problem,
        example = json!({"type": "urn:sgh:problem:service.not_ready", "title": "服务未就绪", "message": "服务未就绪",
            "status": 503, "code": "service.not_ready", "request_id": "0193a2c4-9c10-7f00-b1c2-d3e4f5a6b7cd",
            "checks": {"database": "failed", "redis": "ok"}, "failed": ["database"]}))
))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<Probes>) -> Result<web::Json<Readiness>, ApiError> {
    let checks = checks(&state).await;
    let Checks { database, redis } = checks;
    let failed: Vec<&str> = [("database", database), ("redis", redis)]
        .into_iter()
        .filter(|(_, s)| *s != "ok" && *s != "not_configured")
        .map(|(name, _)| name)
        .collect();
    if failed.is_empty() {
        return Ok(web::Json(Readiness { status: "ready", checks }));
    }
    Err(ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "service.not_ready", "服务未就绪", "Not ready")
        .with("checks", serde_json::to_value(checks).unwrap_or_default())
        .with("failed", failed)
        .retry_after(5))
}

/// Each dependency's state, as readiness and the console's overview show it.
pub async fn checks(probes: &Probes) -> Checks {
    let database = probe(probes.db.ping()).await;
    let redis = match &probes.redis {
        Some(redis) => redis_check(redis).await,
        None => "not_configured",
    };
    Checks { database, redis }
}

/// Reachable, and keeping the gate's keys (`evicts_keys` when its `maxmemory-policy` would not).
async fn redis_check(redis: &Redis) -> &'static str {
    match tokio::time::timeout(PROBE_TIMEOUT, redis.eviction_policy()).await {
        Ok(Ok(Some(policy))) if !infra::redis_client::keeps_gate_keys(&policy) => {
            tracing::warn!(policy, "redis would evict the inventory gate's keys");
            "evicts_keys"
        }
        Ok(Ok(_)) => "ok",
        Ok(Err(e)) => {
            tracing::warn!(error = format!("{e:#}"), "readiness check failed");
            "failed"
        }
        Err(_) => "failed",
    }
}

async fn probe(check: impl std::future::Future<Output = anyhow::Result<()>>) -> &'static str {
    match tokio::time::timeout(PROBE_TIMEOUT, check).await {
        Ok(Ok(())) => "ok",
        Ok(Err(e)) => {
            tracing::warn!(error = format!("{e:#}"), "readiness check failed");
            "failed"
        }
        Err(_) => "failed",
    }
}

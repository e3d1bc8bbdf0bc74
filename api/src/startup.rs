//! The composition root: opens the shared infrastructure, wires each context from it, and runs
//! the HTTP server beside the jobs runner.

use actix_cors::Cors;
use actix_web::dev::{Server, ServerHandle};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use std::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use utoipa::OpenApi;
use utoipa_actix_web::{service_config::ServiceConfig, AppExt};
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Config;
use crate::error::ApiError;
use crate::wire::Infra;
use crate::{admin, campaigns, edge, extract, health, job_loop, members, metrics, openapi};
use domain::shared::AppClock;

/// Every documented route. Each context contributes its own, with full paths and no catch-all
/// prefix scopes, so the order here does not matter (a test registers them the other way round).
pub fn routes(cfg: &mut ServiceConfig) {
    health::routes(cfg);
    admin::routes(cfg);
    members::routes(cfg);
    campaigns::routes(cfg);
}

pub struct Application {
    port: u16,
    server: Server,
    stop_worker: watch::Sender<bool>,
    worker: JoinHandle<()>,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with_clock(config, AppClock::System).await
    }

    /// Like [`Application::build`] with the clock every service reads (tests move a `TestClock`).
    pub async fn build_with_clock(config: Config, clock: AppClock) -> anyhow::Result<Self> {
        let infra = Infra::open(config, clock).await?;
        let config = &infra.config;
        tracing::info!(
            database = %config.storage.database_url.redacted(),
            redis = infra.redis.as_ref().map_or("in-process", |_| "configured"),
            inventory_gate = config.campaigns.inventory_gate,
            smtp = config.jobs.smtp_url.as_ref().map_or("files", |_| "configured"),
            "adapters chosen"
        );
        let admin = web::Data::new(admin::wire(&infra));
        let members = web::Data::new(members::wire(&infra));
        let campaigns = web::Data::new(campaigns::wire(&infra, campaigns::Writes::Batched));
        let idempotency = infra.idempotency();
        let probes = web::Data::new(health::Probes { db: infra.db.clone(), redis: infra.redis.clone() });

        let (stop_worker, stopped) = watch::channel(false);
        let maintenance =
            job_loop::Maintenance { jobs: admin.clone(), idempotency: idempotency.clone(), clock: infra.clock.clone() };
        let worker = tokio::spawn(job_loop::run(job_loop::runner(&infra)?, maintenance, config.jobs.poll, stopped));

        let listener = TcpListener::bind(config.server.bind)?;
        let port = listener.local_addr()?.port();
        let prometheus = web::Data::new(metrics::install());
        let server_config = config.server.clone();
        let mut server = HttpServer::new(move || {
            let (app, spec) = App::new()
                .into_utoipa_app()
                .openapi(openapi::ApiDoc::openapi())
                .app_data(admin.clone())
                .app_data(members.clone())
                .app_data(campaigns.clone())
                .app_data(idempotency.clone())
                .app_data(probes.clone())
                .app_data(prometheus.clone())
                .app_data(extract::json_config(server_config.body_limit))
                .app_data(web::PayloadConfig::new(server_config.body_limit))
                .app_data(extract::path_config())
                .app_data(extract::query_config())
                .configure(routes)
                .split_for_parts();
            app.service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", spec))
                .service(web::redirect("/docs", "/docs/"))
                .default_service(web::to(not_found))
                .wrap(cors(&server_config.cors_origins))
                .wrap(from_fn(edge::edge))
        })
        .listen(listener)?
        // Database work runs on blocking threads, at most one per pooled connection at a time;
        // more threads would only idle, each keeping its own allocator cache resident.
        .worker_max_blocking_threads(config.storage.database_pool_size.max(4) as usize)
        .shutdown_timeout(config.server.shutdown_timeout.as_secs());
        if let Some(n) = config.server.workers {
            server = server.workers(n);
        }
        Ok(Self { port, server: server.run(), stop_worker, worker })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/SIGINT or [`ServerHandle::stop`], letting requests in flight finish,
    /// then stops the jobs runner (a job it was running stays leased and is retried later).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        let _ = self.stop_worker.send(true);
        let _ = self.worker.await;
        served
    }
}

fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::ACCEPT_LANGUAGE,
            header::HeaderName::from_static("idempotency-key"),
            edge::REQUEST_ID,
        ])
        .expose_headers([edge::REQUEST_ID, header::RETRY_AFTER])
        .max_age(3600);
    for origin in origins {
        cors = if origin == "*" { cors.allow_any_origin() } else { cors.allowed_origin(origin) };
    }
    cors
}

pub async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::new(StatusCode::NOT_FOUND, "route.not_found", "请求的接口不存在", "No such endpoint"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test;

    fn reversed(cfg: &mut ServiceConfig) {
        campaigns::routes(cfg);
        members::routes(cfg);
        admin::routes(cfg);
        health::routes(cfg);
    }

    /// Every documented operation reaches a handler whichever order the contexts register in:
    /// no context's routes can hide another's.
    #[actix_web::test]
    async fn the_order_contexts_register_their_routes_in_does_not_matter() {
        let (forward, spec) = App::new().into_utoipa_app().configure(routes).split_for_parts();
        let (backward, _) = App::new().into_utoipa_app().configure(reversed).split_for_parts();
        let forward = test::init_service(forward.default_service(web::to(not_found))).await;
        let backward = test::init_service(backward.default_service(web::to(not_found))).await;
        let mut checked = 0;
        for (path, item) in &spec.paths.paths {
            let concrete =
                path.replace("{id}", "1").replace("{gift}", "1").replace("{point}", "1").replace("{admin_id}", "1");
            let methods = [
                ("GET", item.get.is_some()),
                ("POST", item.post.is_some()),
                ("PUT", item.put.is_some()),
                ("PATCH", item.patch.is_some()),
                ("DELETE", item.delete.is_some()),
            ];
            for (method, _) in methods.into_iter().filter(|(_, present)| *present) {
                let method = actix_web::http::Method::from_bytes(method.as_bytes()).unwrap();
                let mut answers = Vec::new();
                for app in [&forward, &backward] {
                    let req = test::TestRequest::default().method(method.clone()).uri(&concrete).to_request();
                    let res = test::call_service(app, req).await;
                    let code = res.response().extensions().get::<ApiError>().map(|e| e.code());
                    assert_ne!(code, Some("route.not_found"), "{method} {path} is not routed");
                    answers.push(res.status());
                }
                assert_eq!(answers[0], answers[1], "{method} {path} answers differently by order");
                checked += 1;
            }
        }
        assert!(checked > 40, "only {checked} operations checked");
    }
}

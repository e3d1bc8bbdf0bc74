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
use crate::{
    admin, campaigns, cards, console, edge, extract, gatekeeper, health, imports, job_loop, members, membership,
    merchants, metrics, openapi, services, text_guard, unions,
};
use domain::merchants::statement::StatementService;
use domain::shared::AppClock;

/// Every documented route. Each context contributes its own, with full paths and no catch-all
/// prefix scopes, so the order does not change what answers (a test registers them the other way
/// round); it changes what it costs: actix tries routes in order and each pattern with a parameter
/// that does not match costs a regular-expression search, so the claim and the pages around it
/// come first (behind the others, sold-out claims measured 5–10% slower: docs/benchmarks.md, the
/// opening minute).
pub fn routes(cfg: &mut ServiceConfig) {
    campaigns::opening_routes(cfg);
    health::routes(cfg);
    admin::routes(cfg);
    members::routes(cfg);
    imports::routes(cfg);
    unions::routes(cfg);
    membership::routes(cfg);
    services::routes(cfg);
    campaigns::routes(cfg);
    merchants::routes(cfg);
    cards::routes(cfg);
}

pub struct Application {
    port: u16,
    server: Server,
    /// `/metrics` on its own listener (`SGH_METRICS_BIND`): its port and server.
    metrics: Option<(u16, Server)>,
    stop_worker: watch::Sender<bool>,
    worker: JoinHandle<()>,
}

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with_clock(config, AppClock::System).await
    }

    /// Like [`Application::build`] with the clock every service reads (tests move a `TestClock`).
    pub async fn build_with_clock(config: Config, clock: AppClock) -> anyhow::Result<Self> {
        for warning in config.warnings() {
            tracing::warn!("{warning}");
        }
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
        let unions = web::Data::new(unions::wire(&infra));
        let membership = web::Data::new(membership::wire(&infra));
        let services = web::Data::new(services::wire(&infra)?);
        let imports: web::Data<imports::Imports> = web::Data::new(domain::shared::import_job::JobLog {
            jobs: infra::db::import_jobs::DbImportJobs(infra.db.clone()),
            clock: infra.clock.clone(),
        });
        let campaigns = web::Data::new(campaigns::wire(&infra, campaigns::Writes::Batched));
        let merchants = web::Data::new(merchants::wire(&infra)?);
        let cards = web::Data::new(cards::wire(&infra, merchants.merchants.catalogue.clone()));
        // The search directory is read before the first member asks for it, not by the first
        // searches all at once; a database that is not up yet leaves that to the first search.
        let directory = merchants.merchants.catalogue.clone();
        tokio::spawn(async move {
            let _ = domain::merchants::ports::Catalogue::directory(&directory).await;
        });
        let idempotency = infra.idempotency();
        let probes = web::Data::new(health::Probes { db: infra.db.clone(), redis: infra.redis.clone() });

        let (stop_worker, stopped) = watch::channel(false);
        let maintenance = job_loop::Maintenance {
            jobs: admin.clone(),
            idempotency: idempotency.clone(),
            statements: StatementService { store: merchants.merchants.sales.clone(), clock: infra.clock.clone() },
            cards: cards.clone(),
            imports: imports.clone(),
            membership: membership.clone(),
            services: services.clone(),
            roster: infra::db::roster::DbRoster::new(infra.db.clone(), infra.crypto.clone()),
            clock: infra.clock.clone(),
        };
        let worker = tokio::spawn(job_loop::run(
            job_loop::runner(&infra, merchants.webhook_key.clone())?,
            maintenance,
            config.jobs.poll,
            stopped,
        ));

        let listener = TcpListener::bind(config.server.bind)?;
        let port = listener.local_addr()?.port();
        let prometheus = web::Data::new(metrics::install());
        let token = config.server.metrics_token.as_deref();
        let exposure = web::Data::new(metrics::Exposure::new(config.server.metrics_bind.is_none(), token));
        let trusted_proxies = web::Data::new(config.server.trusted_proxies.clone());
        let metrics = config.server.metrics_bind.map(|bind| metrics_server(bind, &prometheus, token)).transpose()?;
        let server_config = config.server.clone();
        let mut server = HttpServer::new(move || {
            let (app, spec) = App::new()
                .into_utoipa_app()
                .openapi(openapi::ApiDoc::openapi())
                .app_data(admin.clone())
                .app_data(members.clone())
                .app_data(unions.clone())
                .app_data(membership.clone())
                .app_data(services.clone())
                .app_data(imports.clone())
                .app_data(campaigns.clone())
                .app_data(merchants.clone())
                .app_data(cards.clone())
                .app_data(idempotency.clone())
                .app_data(probes.clone())
                .app_data(prometheus.clone())
                .app_data(exposure.clone())
                .app_data(trusted_proxies.clone())
                .app_data(extract::json_config(server_config.body_limit))
                .app_data(web::PayloadConfig::new(server_config.body_limit))
                .app_data(extract::path_config())
                .app_data(extract::query_config())
                .configure(routes)
                .split_for_parts();
            let mut spec = spec;
            openapi::document_common_errors(&mut spec);
            let known = web::Data::new(KnownRoutes::from_spec(&spec));
            app.app_data(known)
                .configure(console::routes)
                .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", spec))
                .service(web::redirect("/docs", "/docs/"))
                .default_service(web::to(not_found))
                .wrap(from_fn(text_guard::refuse_control_characters))
                .wrap(from_fn(gatekeeper::authorize))
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
        Ok(Self { port, server: server.run(), metrics, stop_worker, worker })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The port of `/metrics`' own listener, where `SGH_METRICS_BIND` asks for one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/SIGINT or [`ServerHandle::stop`], letting requests in flight finish,
    /// then stops the jobs runner (a job it was running stays leased and is retried later).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let metrics = self.metrics.map(|(_, server)| {
            let handle = server.handle();
            (handle, tokio::spawn(server))
        });
        let served = self.server.await;
        if let Some((handle, running)) = metrics {
            handle.stop(true).await;
            let _ = running.await;
        }
        let _ = self.stop_worker.send(true);
        let _ = self.worker.await;
        served
    }
}

/// A listener serving `/metrics` alone, for a scraper on a network the API's callers are not on.
fn metrics_server(
    bind: std::net::SocketAddr,
    prometheus: &web::Data<metrics_exporter_prometheus::PrometheusHandle>,
    token: Option<&str>,
) -> anyhow::Result<(u16, Server)> {
    let listener = TcpListener::bind(bind)?;
    let port = listener.local_addr()?.port();
    let exposure = web::Data::new(metrics::Exposure::new(true, token));
    let prometheus = prometheus.clone();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(prometheus.clone())
            .app_data(exposure.clone())
            .service(metrics::metrics_endpoint)
            .default_service(web::to(not_found))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)?
    .run();
    Ok((port, server))
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
        .expose_headers([edge::REQUEST_ID, edge::CLIENT_REQUEST_ID, header::RETRY_AFTER])
        .max_age(3600);
    for origin in origins {
        cors = if origin == "*" { cors.allow_any_origin() } else { cors.allowed_origin(origin) };
    }
    cors
}

/// Every documented path with the methods it takes, to tell "no such endpoint" (404) from "not
/// with this method" (405 with `Allow`).
pub struct KnownRoutes(Vec<(Vec<String>, Vec<&'static str>)>);

impl KnownRoutes {
    pub fn from_spec(spec: &utoipa::openapi::OpenApi) -> Self {
        let routes = spec
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path.split('/').map(str::to_owned).collect();
                (segments, openapi::methods_of(item))
            })
            .collect();
        Self(routes)
    }

    /// The methods a path takes, if any route matches it (`{…}` segments match any one segment).
    fn methods(&self, path: &str) -> Vec<&'static str> {
        let wanted: Vec<&str> = path.split('/').collect();
        let mut methods: Vec<&'static str> = self
            .0
            .iter()
            .filter(|(segments, _)| {
                segments.len() == wanted.len()
                    && segments.iter().zip(&wanted).all(|(s, w)| (s.starts_with('{') && !w.is_empty()) || s == w)
            })
            .flat_map(|(_, m)| m.iter().copied())
            .collect();
        methods.sort_unstable();
        methods.dedup();
        methods
    }
}

pub async fn not_found(
    req: actix_web::HttpRequest,
    known: Option<web::Data<KnownRoutes>>,
) -> Result<actix_web::HttpResponse, ApiError> {
    let methods = known.map(|k| k.methods(req.match_info().as_str())).unwrap_or_default();
    if !methods.is_empty() {
        let mut allow = methods;
        if allow.contains(&"GET") {
            allow.push("HEAD");
        }
        return Err(ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "route.method_not_allowed",
            "该接口不支持此请求方法",
            "This endpoint does not take that method",
        )
        .allow(allow.join(", ")));
    }
    Err(ApiError::new(StatusCode::NOT_FOUND, "route.not_found", "请求的接口不存在", "No such endpoint"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test as web_test;

    fn reversed(cfg: &mut ServiceConfig) {
        cards::routes(cfg);
        merchants::routes(cfg);
        campaigns::routes(cfg);
        membership::routes(cfg);
        services::routes(cfg);
        unions::routes(cfg);
        imports::routes(cfg);
        members::routes(cfg);
        admin::routes(cfg);
        health::routes(cfg);
        campaigns::opening_routes(cfg);
    }

    /// Every documented operation reaches a handler whichever order the contexts register in:
    /// no context's routes can hide another's.
    #[actix_web::test]
    async fn the_order_contexts_register_their_routes_in_does_not_matter() {
        let (forward, spec) = App::new().into_utoipa_app().configure(routes).split_for_parts();
        let (backward, _) = App::new().into_utoipa_app().configure(reversed).split_for_parts();
        let forward = web_test::init_service(forward.default_service(web::to(not_found))).await;
        let backward = web_test::init_service(backward.default_service(web::to(not_found))).await;
        let mut checked = 0;
        for (path, item) in &spec.paths.paths {
            let concrete = path
                .replace("{id}", "1")
                .replace("{gift}", "1")
                .replace("{point}", "1")
                .replace("{admin_id}", "1")
                .replace("{offer}", "1")
                .replace("{serial}", "1");
            for method in crate::openapi::methods_of(item) {
                let method = actix_web::http::Method::from_bytes(method.as_bytes()).unwrap();
                let mut answers = Vec::new();
                for app in [&forward, &backward] {
                    let req = web_test::TestRequest::default().method(method.clone()).uri(&concrete).to_request();
                    let res = web_test::call_service(app, req).await;
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

    /// Generated clients name their methods after operation ids: each is present and unique.
    #[actix_web::test]
    async fn every_operation_has_its_own_id() {
        let spec = crate::openapi::spec();
        let mut seen = std::collections::BTreeMap::new();
        for (path, item) in &spec.paths.paths {
            for op in [&item.get, &item.post, &item.put, &item.patch, &item.delete].into_iter().flatten() {
                let id = op.operation_id.clone().unwrap_or_default();
                assert!(!id.is_empty(), "{path} has an operation without an id");
                if let Some(other) = seen.insert(id.clone(), path.clone()) {
                    panic!("operation id {id} is used by {other} and {path}");
                }
            }
        }
    }

    #[test]
    fn a_known_path_with_another_method_is_told_apart_from_an_unknown_one() {
        let known = KnownRoutes::from_spec(&crate::openapi::spec());
        assert_eq!(known.methods("/v1/me"), ["DELETE", "GET", "PATCH"]);
        assert_eq!(known.methods("/v1/admin/campaigns/0193a2c4/publish"), ["POST"]);
        assert!(known.methods("/v1/nothing").is_empty());
        assert!(known.methods("/v1/admin/campaigns//publish").is_empty(), "an empty segment is no id");
    }
}

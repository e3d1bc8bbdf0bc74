//! The composition root: builds adapters from the config, wires them into services, and runs the
//! HTTP server beside the outbox worker.

use actix_cors::Cors;
use actix_web::dev::{Server, ServerHandle};
use actix_web::http::{header, StatusCode};
use actix_web::middleware::from_fn;
use actix_web::{web, App, HttpServer};
use std::net::TcpListener;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use utoipa::OpenApi;
use utoipa_actix_web::{service_config::ServiceConfig, AppExt};
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Config;
use crate::error::ApiError;
use crate::state::{AppState, JobRunnerService, MemberAuthService, ProfileService};
use crate::{admin, campaigns, edge, extract, health, job_loop, members, metrics, openapi};
use domain::admin::AdminService;
use domain::campaigns::service::CampaignService;
use domain::jobs::{JobRunner, JobsService, RetryPolicy};
use domain::mail::MailJobs;
use domain::members::auth::{MemberAuth, OtpPolicy};
use domain::members::profile::Profiles;
use domain::shared::idempotency::Idempotency;
use domain::shared::AppClock;
use infra::auth::{Argon2Hasher, JwtAdminTokens, JwtMemberTokens};
use infra::crypto::FieldCrypto;
use infra::db::admin::DbAdmins;
use infra::db::audit::DbAuditLog;
use infra::db::campaign_cache::CachedCampaigns;
use infra::db::campaigns::DbCampaigns;
use infra::db::claims::DbClaims;
use infra::db::idempotency::DbIdempotency;
use infra::db::jobs::DbJobs;
use infra::db::members::DbMembers;
use infra::db::refresh::DbRefreshTokens;
use infra::db::roster::DbRoster;
use infra::db::Database;
use infra::ephemeral::{Ephemeral, MemoryEphemeral, RedisEphemeral};
use infra::gate::{AnyGate, DatabaseGate, MemoryGate, RedisGate};
use infra::http_clients::{AnySms, HttpSms, HttpWeChat, LogSms};
use infra::mail::AnyMailer;
use infra::redis_client::Redis;

/// Every documented route. The OpenAPI document is collected from exactly these services.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz).service(health::readyz).service(metrics::metrics_endpoint);
    // A scope takes every path under its prefix, so the longer `/v1/admin/campaigns` and
    // `/v1/me/vouchers` go before `/v1/admin` and `/v1/me`.
    campaigns::routes(cfg);
    admin::routes(cfg);
    members::routes(cfg);
}

/// Opens the database (creating the SQLite file on first start) and applies pending migrations.
pub async fn open_database(config: &Config) -> anyhow::Result<Database> {
    let db = Database::connect(&config.database_url, config.database_pool_size, config.database_wait)?;
    let migrator = db.clone();
    let applied = tokio::task::spawn_blocking(move || migrator.migrate()).await??;
    for name in applied {
        tracing::info!(migration = %name, "migration applied");
    }
    Ok(db)
}

pub fn admin_service(config: &Config, db: &Database, clock: &AppClock) -> crate::state::Admins {
    let ttl = chrono::Duration::from_std(config.admin_token_ttl).unwrap_or(chrono::Duration::minutes(15));
    AdminService::new(
        DbAdmins(db.clone()),
        DbAuditLog(db.clone()),
        Argon2Hasher,
        JwtAdminTokens::new(config.admin_jwt_secret.as_bytes(), ttl),
        clock.clone(),
    )
}

pub fn field_crypto(config: &Config) -> FieldCrypto {
    let previous = config.previous_encryption_key.as_ref().map(|(id, key)| (id.as_str(), key));
    FieldCrypto::new(&config.encryption_key_id, &config.encryption_key, previous, &config.blind_index_key)
}

pub fn roster(config: &Config, db: &Database) -> DbRoster {
    DbRoster::new(db.clone(), field_crypto(config))
}

fn member_services(
    config: &Config,
    db: &Database,
    ephemeral: &Ephemeral,
    crypto: &FieldCrypto,
    clock: &AppClock,
) -> (MemberAuthService, ProfileService) {
    let members = DbMembers::new(db.clone(), crypto.clone());
    let ttl = |d: Duration| chrono::Duration::from_std(d).unwrap_or(chrono::Duration::minutes(15));
    let (kid, secret) = &config.member_jwt;
    let previous = config.previous_member_jwt.as_ref().map(|(k, s)| (k.as_str(), s.as_bytes()));
    let sms = match &config.sms_gateway {
        Some((url, key)) => AnySms::Http(HttpSms::new(url, key)),
        None => AnySms::Log(LogSms),
    };
    let wechat_app = config.wechat_app.as_ref().map(|(id, secret)| (id.as_str(), secret.as_str()));
    let auth = MemberAuth {
        members: members.clone(),
        refresh: DbRefreshTokens::new(db.clone(), ttl(config.refresh_token_ttl)),
        tokens: JwtMemberTokens::new((kid, secret.as_bytes()), previous, ttl(config.member_token_ttl)),
        sms,
        wechat: HttpWeChat::new(&config.wechat_base_url, wechat_app),
        ephemeral: ephemeral.clone(),
        clock: clock.clone(),
        policy: OtpPolicy { ttl: config.otp_ttl, resend_after: config.otp_resend_after, ..OtpPolicy::default() },
    };
    let profiles = Profiles {
        members,
        roster: DbRoster::new(db.clone(), crypto.clone()),
        limiter: ephemeral.clone(),
        clock: clock.clone(),
        policy_version: config.privacy_policy_version.clone(),
    };
    (auth, profiles)
}

fn gate(config: &Config, db: &Database, redis: &Option<Redis>) -> AnyGate {
    match redis {
        _ if !config.inventory_gate => AnyGate::Off(DatabaseGate(db.clone())),
        Some(r) => AnyGate::Redis(RedisGate::new(r.clone())),
        None => AnyGate::Memory(MemoryGate::default()),
    }
}

/// The campaign service on its own, for commands run beside the server.
pub async fn campaign_service(config: &Config, clock: AppClock) -> anyhow::Result<crate::state::Campaigns> {
    let db = open_database(config).await?;
    let redis = match &config.redis_url {
        Some(url) => Some(Redis::new(url, &config.redis_prefix, config.redis_timeout)?),
        None => None,
    };
    Ok(CampaignService {
        campaigns: CachedCampaigns::new(DbCampaigns(db.clone())),
        gate: gate(config, &db, &redis),
        claims: DbClaims::new(db),
        clock,
        low_stock_percent: config.low_stock_percent,
        consent_version: config.privacy_policy_version.clone(),
    })
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
        let db = open_database(&config).await?;
        let redis = match &config.redis_url {
            Some(url) => Some(Redis::new(url, &config.redis_prefix, config.redis_timeout)?),
            None => None,
        };
        let ephemeral = match &redis {
            Some(r) => Ephemeral::Redis(RedisEphemeral::new(r.clone())),
            None => Ephemeral::Memory(MemoryEphemeral::default()),
        };
        tracing::info!(
            database = %config.database_url.redacted(),
            redis = redis.as_ref().map_or("in-process", |_| "configured"),
            inventory_gate = config.inventory_gate,
            smtp = config.smtp_url.as_ref().map_or("files", |_| "configured"),
            "adapters chosen"
        );
        let (stop_worker, stopped) = watch::channel(false);
        // Derived once: every adapter that seals or indexes personal data shares these keys.
        let crypto = field_crypto(&config);
        let (member_auth, profiles) = member_services(&config, &db, &ephemeral, &crypto, &clock);
        let campaigns = CampaignService {
            campaigns: CachedCampaigns::new(DbCampaigns(db.clone())),
            claims: DbClaims::batched(db.clone(), config.claim_writers),
            gate: gate(&config, &db, &redis),
            clock: clock.clone(),
            low_stock_percent: config.low_stock_percent,
            consent_version: config.privacy_policy_version.clone(),
        };
        let state = web::Data::new(AppState {
            admins: admin_service(&config, &db, &clock),
            member_auth,
            profiles,
            roster: DbRoster::new(db.clone(), crypto.clone()),
            campaigns,
            pickup: domain::campaigns::pickup::PickupService {
                store: infra::db::pickup::DbPickup(db.clone()),
                clock: clock.clone(),
            },
            jobs: JobsService { store: DbJobs(db.clone()), clock: clock.clone() },
            idempotency: idempotency(&config, &db, &clock)?,
            clock,
            crypto,
            db,
            redis,
            ephemeral,
        });

        let runner = job_runner(&config, &state.db, &state.clock)?;
        let worker = tokio::spawn(job_loop::run(runner, state.clone(), config.outbox_poll, stopped));

        let listener = TcpListener::bind(config.bind)?;
        let port = listener.local_addr()?.port();
        let prometheus = web::Data::new(metrics::install());
        let cfg = config.clone();
        let mut server = HttpServer::new(move || {
            let (app, spec) = App::new()
                .into_utoipa_app()
                .openapi(openapi::ApiDoc::openapi())
                .app_data(state.clone())
                .app_data(prometheus.clone())
                .app_data(extract::json_config(cfg.body_limit))
                .app_data(web::PayloadConfig::new(cfg.body_limit))
                .app_data(extract::path_config())
                .app_data(extract::query_config())
                .configure(routes)
                .split_for_parts();
            app.service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", spec))
                .service(web::redirect("/docs", "/docs/"))
                .default_service(web::to(not_found))
                .wrap(cors(&cfg.cors_origins))
                .wrap(from_fn(edge::edge))
        })
        .listen(listener)?
        // Database work runs on blocking threads, at most one per pooled connection at a time;
        // more threads would only idle, each keeping its own allocator cache resident.
        .worker_max_blocking_threads(config.database_pool_size.max(4) as usize)
        .shutdown_timeout(config.shutdown_timeout.as_secs());
        if let Some(n) = config.workers {
            server = server.workers(n.max(1));
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
    /// then stops the outbox worker (a message it was sending stays leased and is retried later).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        let _ = self.stop_worker.send(true);
        let _ = self.worker.await;
        served
    }
}

fn idempotency(config: &Config, db: &Database, clock: &AppClock) -> anyhow::Result<crate::state::Idempotency> {
    Ok(Idempotency {
        store: DbIdempotency(db.clone()),
        clock: clock.clone(),
        retention: chrono::Duration::from_std(config.idempotency_retention)?,
        // Longer than any request may take (the shutdown timeout included), so a live run is
        // never taken over.
        lock: chrono::Duration::from_std(config.shutdown_timeout)? + chrono::Duration::minutes(2),
    })
}

fn job_runner(config: &Config, db: &Database, clock: &AppClock) -> anyhow::Result<JobRunnerService> {
    let mailer = match &config.smtp_url {
        Some(url) => AnyMailer::smtp(url, &config.mail_from, Duration::from_secs(10))?,
        None => AnyMailer::files(config.mail_dir.clone(), &config.mail_from)?,
    };
    let first_delay = chrono::Duration::from_std(config.outbox_retry_base)?;
    let policy = RetryPolicy {
        first_delay,
        max_delay: chrono::Duration::hours(1).max(first_delay),
        max_attempts: config.outbox_max_attempts.max(1),
    };
    Ok(JobRunner::new(DbJobs(db.clone()), MailJobs(mailer), clock.clone(), policy))
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

async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError::new(StatusCode::NOT_FOUND, "route.not_found", "请求的接口不存在", "No such endpoint"))
}

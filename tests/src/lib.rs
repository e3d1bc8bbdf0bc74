//! The black-box test harness: the real server on a random port against a backend of the test's
//! choosing, with request helpers, a loopback SMTP server and the services' availability check.

mod backend;
pub mod bench;
pub mod browser;
pub mod campaigns;
pub mod cards;
mod client;
pub mod console;
pub mod members;
pub mod object_store;
pub mod partners;
mod proxy;
pub mod receiver;
pub mod redis_server;
pub mod services;
pub mod signed_load;
mod smtp;
pub mod spec;
pub mod stubs;
pub mod unions;

pub use backend::{Backend, Services, TestEnv, TestRedis};
pub use client::{Reply, Req};
pub use proxy::TcpProxy;
pub use smtp::{Received, SmtpServer};

use api::config::Config;
use api::startup::Application;
use domain::admin::{Actor, NewAdmin, Password, Role, Username};
use domain::shared::{AppClock, TestClock};
use infra::db::Database;

pub const TEST_PASSWORD: &str = "a long test password 2026";

/// The two Redis-backed variants of a test: PostgreSQL with one Redis node, and with a Redis Cluster
/// when one is given. `$call` is called with the backend and then `$args`.
#[doc(hidden)]
#[macro_export]
macro_rules! redis_variants {
    ($call:path $(, $args:expr)*) => {
        #[actix_web::test]
        async fn postgres_redis() {
            if $crate::Services::available_or_skip() {
                $call($crate::Backend::PostgresRedis $(, $args)*).await
            }
        }
        #[actix_web::test]
        async fn postgres_redis_cluster() {
            if $crate::Services::cluster_available_or_skip() {
                $call($crate::Backend::PostgresRedisCluster $(, $args)*).await
            }
        }
    };
}

/// Runs each named `async fn(Backend)` on the embedded default (SQLite + in-process), on
/// PostgreSQL + Redis, and on PostgreSQL + a Redis Cluster when one is given.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[actix_web::test]
            async fn embedded() {
                super::$name($crate::Backend::Embedded).await
            }
            $crate::redis_variants!(super::$name);
        }
    )*};
}

/// Runs each named `async fn(Backend)` on the Redis-backed backends only.
#[macro_export]
macro_rules! on_each_redis {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            $crate::redis_variants!(super::$name);
        }
    )*};
}

/// Runs a claim test on both backends, each with the inventory gate and in the database-only mode
/// (`SGH_INVENTORY_GATE=off`), and with the gate on a Redis Cluster when one is given: the answers
/// must not depend on which decides.
#[macro_export]
macro_rules! on_every_inventory_mode {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[actix_web::test]
            async fn embedded() {
                super::$name($crate::Backend::Embedded, $crate::Options::default()).await
            }
            $crate::redis_variants!(super::$name, $crate::Options::default());
            #[actix_web::test]
            async fn embedded_database_only() {
                super::$name($crate::Backend::Embedded, $crate::Options::default().var("SGH_INVENTORY_GATE", "off")).await
            }
            #[actix_web::test]
            async fn postgres_database_only() {
                if $crate::Services::available_or_skip() {
                    let options = $crate::Options::default().var("SGH_INVENTORY_GATE", "off");
                    super::$name($crate::Backend::PostgresRedis, options).await
                }
            }
        }
    )*};
}

/// The outside tool the environment variable `var` names (schemathesis, a Python with a stock SDK),
/// or `None` with a printed notice so the test skips; under `CI=true` a missing tool fails the
/// test instead, so CI never passes by skipping.
pub fn tool_or_skip(var: &str, test: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(path) if !path.is_empty() => Some(path),
        _ if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") => {
            panic!("CI=true but {var} does not name the tool {test} needs")
        }
        _ => {
            eprintln!("\nSKIPPED: {test} (set {var})\n");
            None
        }
    }
}

/// Settings a test may change before the server starts.
#[derive(Clone, Default)]
pub struct Options {
    pub vars: Vec<(String, String)>,
}

impl Options {
    pub fn var(mut self, key: &str, value: impl ToString) -> Self {
        self.vars.push((key.to_owned(), value.to_string()));
        self
    }
}

/// A running server and the database behind it, torn down when dropped.
pub struct TestApp {
    pub address: String,
    /// `/metrics`' own listener, when the test sets `SGH_METRICS_BIND`.
    pub metrics_address: Option<String>,
    pub sms: stubs::SmsStub,
    pub wechat: stubs::WeChatStub,
    pub config: Config,
    pub env: backend::TestEnv,
    /// The server's clock: a test moves it instead of sleeping.
    pub clock: TestClock,
    handle: actix_web::dev::ServerHandle,
    running: Option<actix_web::rt::task::JoinHandle<std::io::Result<()>>>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, Options::default()).await
    }

    pub async fn spawn_with(backend: Backend, options: Options) -> TestApp {
        let env = backend::TestEnv::create(backend);
        Self::start(env, options).await
    }

    /// Starts a server on an existing test environment (same database, same key prefix).
    pub async fn start(env: backend::TestEnv, options: Options) -> TestApp {
        let (sms, wechat) = stubs::start();
        let mut vars = env.vars();
        vars.push(("SGH_SMS_URL".into(), sms.url.clone()));
        vars.push(("SGH_SMS_KEY".into(), stubs::SMS_KEY.into()));
        vars.push(("SGH_WECHAT_BASE_URL".into(), wechat.base_url.clone()));
        vars.push(("SGH_WECHAT_APPID".into(), "wx-test-app".into()));
        vars.push(("SGH_WECHAT_SECRET".into(), "wx-test-secret".into()));
        vars.push(("SGH_BIND".into(), "127.0.0.1:0".into()));
        vars.push(("SGH_WORKERS".into(), "1".into()));
        vars.push(("SGH_DATABASE_POOL_SIZE".into(), "4".into()));
        vars.push(("SGH_OUTBOX_POLL_MS".into(), "50".into()));
        // Debug builds of every test's server share two cores: a burst of hundreds of claims can
        // keep the one worker from reading Redis replies for longer than production's 300 ms.
        vars.push(("SGH_REDIS_TIMEOUT_MS".into(), "1000".into()));
        vars.push(("SGH_SHUTDOWN_TIMEOUT_SECS".into(), "1".into()));
        // Tests sign the same phone in again within seconds; the 60 s rule has its own test.
        vars.push(("SGH_OTP_RESEND_SECS".into(), "1".into()));
        vars.push(("SGH_PLATFORM_KEY_FILE".into(), partners::platform_key_file().display().to_string()));
        // Webhook receivers in tests listen on loopback, which only an operator's list lets through.
        vars.push(("SGH_WEBHOOK_ALLOWED_NETWORKS".into(), "127.0.0.0/8,::1".into()));
        vars.push(("SGH_LOG".into(), std::env::var("TEST_LOG").unwrap_or_else(|_| "off".into())));
        vars.extend(options.vars);
        let config = Config::from_vars(vars).expect("test configuration is valid");
        api::telemetry::init(&config.server.log_filter, config.server.log_format);
        let clock = TestClock::default();
        let app =
            Application::build_with_clock(config.clone(), AppClock::Test(clock.clone())).await.expect("server starts");
        let address = format!("http://127.0.0.1:{}", app.port());
        let metrics_address = app.metrics_port().map(|port| format!("http://127.0.0.1:{port}"));
        let handle = app.handle();
        let running = actix_web::rt::spawn(app.run_until_stopped());
        TestApp { address, metrics_address, sms, wechat, config, env, clock, handle, running: Some(running) }
    }

    /// Stops the server gracefully (outbox worker included) and hands back its environment.
    pub async fn stop(self) -> backend::TestEnv {
        let TestApp { handle, running, env, .. } = self;
        handle.stop(true).await;
        if let Some(running) = running {
            let _ = running.await;
        }
        env
    }

    pub async fn database(&self) -> Database {
        api::wire::open_database(&self.config).await.expect("test database opens")
    }

    /// The auditor's checks over everything the test did (`GET /v1/admin/ledger/audit`): every
    /// money test ends here.
    pub async fn assert_books_balance(&self) {
        use domain::admin::ledger::Books;
        let found = infra::db::books::DbBooks(self.database().await).audit().await.expect("the books are readable");
        assert!(found.is_clean(), "the books do not add up: {:#?}", found.findings);
    }

    /// The server's infrastructure opened anew on the same storage, clock and keys: for helpers
    /// that write through the repositories, as the server's own services do.
    pub async fn infra(&self) -> api::wire::Infra {
        let clock = AppClock::Test(self.clock.clone());
        api::wire::Infra::open(self.config.clone(), clock).await.expect("test infrastructure opens")
    }

    /// The roster repository, for helpers that seed it as an import would.
    pub async fn roster(&self) -> infra::db::roster::DbRoster {
        let infra = self.infra().await;
        infra::db::roster::DbRoster::new(infra.db, infra.crypto)
    }

    /// Creates a staff account directly through the service, as `sgh admin create` does.
    pub async fn create_admin(&self, username: &str, role: Role, email: Option<&str>) -> String {
        let service = api::admin::wire(&self.infra().await).admins;
        let new = NewAdmin {
            username: Username::parse(username).unwrap(),
            display_name: username.to_owned(),
            email: email.map(|e| domain::shared::EmailAddress::parse(e).unwrap()),
            role,
            password: Password::parse(TEST_PASSWORD.into()).unwrap(),
            scope: None,
        };
        let admin = service.create(&Actor::command_line("test"), new).await.expect("admin created");
        admin.id.to_string()
    }

    /// Signs in and returns the bearer token.
    pub async fn login(&self, username: &str) -> String {
        let reply = self
            .send(
                Req::post("/v1/admin/session")
                    .json(serde_json::json!({"username": username, "password": TEST_PASSWORD})),
            )
            .await;
        assert_eq!(reply.status, 200, "login of {username}: {}", reply.text());
        reply.json()["access_token"].as_str().unwrap().to_owned()
    }

    /// A signed-in account of `role`, named after it.
    pub async fn staff(&self, role: Role) -> String {
        let name = format!("t.{}", role.as_str());
        self.create_admin(&name, role, None).await;
        self.login(&name).await
    }
}

use diesel::{Connection, RunQueryDsl};
use std::io::Write;
use std::path::PathBuf;
use std::sync::{Once, OnceLock};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SQLite file + in-process rate limiter and token store: what a newcomer runs.
    Embedded,
    /// PostgreSQL + Redis, as in production.
    PostgresRedis,
}

/// The PostgreSQL and Redis the `PostgresRedis` tests use; override with `SGH_TEST_POSTGRES_URL`
/// (a maintenance database the tests may create databases from) and `SGH_TEST_REDIS_URL`.
pub struct Services;

impl Services {
    pub fn postgres_admin_url() -> String {
        std::env::var("SGH_TEST_POSTGRES_URL").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
    }

    pub fn redis_url() -> String {
        std::env::var("SGH_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
    }

    fn check() -> &'static Result<(), String> {
        static CHECKED: OnceLock<Result<(), String>> = OnceLock::new();
        CHECKED.get_or_init(|| {
            diesel::PgConnection::establish(&Self::postgres_admin_url())
                .map_err(|e| format!("PostgreSQL at {}: {e}", Self::postgres_admin_url()))?;
            let client = redis::Client::open(Self::redis_url()).map_err(|e| e.to_string())?;
            let mut conn = client
                .get_connection_with_timeout(std::time::Duration::from_secs(2))
                .map_err(|e| format!("Redis at {}: {e}", Self::redis_url()))?;
            redis::cmd("PING").query::<String>(&mut conn).map_err(|e| format!("Redis PING: {e}"))?;
            Ok(())
        })
    }

    /// `true` when PostgreSQL and Redis answer. Otherwise: under `CI=true` the test fails; on a
    /// laptop it is skipped, and the run says so once on the terminal (not in captured output).
    pub fn available_or_skip() -> bool {
        match Self::check() {
            Ok(()) => true,
            Err(why) if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") => {
                panic!("CI=true but a service the tests need is unavailable: {why}")
            }
            Err(why) => {
                static SAID: Once = Once::new();
                SAID.call_once(|| {
                    let _ = writeln!(
                        std::io::stderr(),
                        "\nSKIPPED: the postgres_redis suites did not run ({why}); only the embedded suites ran.\n"
                    );
                });
                false
            }
        }
    }
}

/// One test's private storage: a temporary directory, and for `PostgresRedis` its own database and
/// Redis key prefix. Dropped, it removes all three.
pub struct TestEnv {
    pub backend: Backend,
    pub dir: PathBuf,
    pub pg_database: Option<String>,
    pub redis_prefix: Option<String>,
    /// Only the owner removes the storage when dropped.
    owner: bool,
}

impl TestEnv {
    pub fn create(backend: Backend) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let dir = std::env::temp_dir().join(format!("sgh-test-{id}"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let (pg_database, redis_prefix) = match backend {
            Backend::Embedded => (None, None),
            Backend::PostgresRedis => {
                let name = format!("sgh_t_{id}");
                let mut admin = diesel::PgConnection::establish(&Services::postgres_admin_url()).expect("postgres");
                diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin).expect("create test database");
                (Some(name), Some(format!("sgh_t_{id}")))
            }
        };
        Self { backend, dir, pg_database, redis_prefix, owner: true }
    }

    /// The same storage for a second server instance; the original keeps ownership.
    pub fn share(&self) -> Self {
        Self {
            backend: self.backend,
            dir: self.dir.clone(),
            pg_database: self.pg_database.clone(),
            redis_prefix: self.redis_prefix.clone(),
            owner: false,
        }
    }

    pub fn database_url(&self) -> String {
        match &self.pg_database {
            Some(name) => {
                let admin = Services::postgres_admin_url();
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
                format!("{base}/{name}")
            }
            None => format!("sqlite://{}", self.dir.join("sgh.db").display()),
        }
    }

    pub fn vars(&self) -> Vec<(String, String)> {
        let mut vars = vec![
            ("SGH_DATABASE_URL".to_owned(), self.database_url()),
            ("SGH_DATA_DIR".to_owned(), self.dir.display().to_string()),
        ];
        if let Some(prefix) = &self.redis_prefix {
            vars.push(("SGH_REDIS_URL".to_owned(), Services::redis_url()));
            vars.push(("SGH_REDIS_PREFIX".to_owned(), prefix.clone()));
        }
        vars
    }

    /// Drops the PostgreSQL database under a running server, as an outage would take it away.
    pub fn drop_database_now(&self) {
        if let Some(name) = &self.pg_database {
            let mut admin = diesel::PgConnection::establish(&Services::postgres_admin_url()).expect("postgres");
            diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin)
                .expect("drop test database");
        }
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        if !self.owner {
            return;
        }
        self.drop_database_now();
        if let Some(prefix) = &self.redis_prefix {
            if let Ok(mut conn) = redis::Client::open(Services::redis_url()).and_then(|c| c.get_connection()) {
                let keys: Vec<String> =
                    redis::cmd("KEYS").arg(format!("{prefix}:*")).query(&mut conn).unwrap_or_default();
                if !keys.is_empty() {
                    let _: redis::RedisResult<()> = redis::cmd("DEL").arg(keys).query(&mut conn);
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

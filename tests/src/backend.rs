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
    /// PostgreSQL + a Redis Cluster (`SGH_TEST_REDIS_CLUSTER_URL`, which `.ci/run` starts).
    PostgresRedisCluster,
}

impl Backend {
    /// PostgreSQL and some Redis, one node or a cluster.
    pub fn is_postgres(self) -> bool {
        self != Backend::Embedded
    }
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

    /// The cluster's node URLs, comma-separated, when one was started for the tests.
    pub fn redis_cluster_url() -> Option<String> {
        std::env::var("SGH_TEST_REDIS_CLUSTER_URL").ok().filter(|url| !url.trim().is_empty())
    }

    /// `true` when PostgreSQL answers and a Redis Cluster was given; a run without one (a laptop's
    /// plain `cargo test`) says once that the cluster variants were skipped.
    pub fn cluster_available_or_skip() -> bool {
        if !Self::available_or_skip() {
            return false;
        }
        if Self::redis_cluster_url().is_some() {
            return true;
        }
        static SAID: Once = Once::new();
        say_once(
            &SAID,
            "the postgres_redis_cluster variants did not run (no SGH_TEST_REDIS_CLUSTER_URL; .ci/run starts one)",
        );
        false
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
                say_once(
                    &SAID,
                    &format!("the postgres_redis suites did not run ({why}); only the embedded suites ran"),
                );
                false
            }
        }
    }
}

/// Tells the terminal (not the captured output) once per run what was skipped.
fn say_once(said: &'static Once, what: &str) {
    said.call_once(|| {
        let _ = writeln!(std::io::stderr(), "\nSKIPPED: {what}.\n");
    });
}

/// One test's private storage: a temporary directory, and for `PostgresRedis` its own database and
/// Redis key prefix. Dropped, it removes all three.
pub struct TestEnv {
    pub backend: Backend,
    pub dir: PathBuf,
    pub pg_database: Option<String>,
    pub redis_prefix: Option<String>,
    /// The Redis the server is given: one node's URL or a cluster's comma-separated node URLs.
    pub redis_url: Option<String>,
    /// Only the owner removes the storage when dropped.
    owner: bool,
}

impl TestEnv {
    pub fn create(backend: Backend) -> Self {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let dir = std::env::temp_dir().join(format!("sgh-test-{id}"));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let redis_url = match backend {
            Backend::Embedded => None,
            Backend::PostgresRedis => Some(Services::redis_url()),
            Backend::PostgresRedisCluster => {
                Some(Services::redis_cluster_url().expect("SGH_TEST_REDIS_CLUSTER_URL names the test cluster"))
            }
        };
        let (pg_database, redis_prefix) = if backend.is_postgres() {
            let name = format!("sgh_t_{id}");
            let mut admin = diesel::PgConnection::establish(&Services::postgres_admin_url()).expect("postgres");
            diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut admin).expect("create test database");
            (Some(name), Some(format!("sgh_t_{id}")))
        } else {
            (None, None)
        };
        Self { backend, dir, pg_database, redis_prefix, redis_url, owner: true }
    }

    /// The same storage for a second server instance; the original keeps ownership.
    pub fn share(&self) -> Self {
        Self {
            backend: self.backend,
            dir: self.dir.clone(),
            pg_database: self.pg_database.clone(),
            redis_prefix: self.redis_prefix.clone(),
            redis_url: self.redis_url.clone(),
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
        if let (Some(url), Some(prefix)) = (&self.redis_url, &self.redis_prefix) {
            vars.push(("SGH_REDIS_URL".to_owned(), url.clone()));
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
        if let (Some(url), Some(prefix)) = (&self.redis_url, &self.redis_prefix) {
            let _ = TestRedis::new(url).delete_matching(&format!("{prefix}:*"));
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Direct access to a test's Redis, one node or every node of a cluster, for tests that look at or
/// tamper with what the server keeps there.
pub struct TestRedis {
    urls: Vec<String>,
}

impl TestRedis {
    pub fn new(url: &str) -> Self {
        Self { urls: url.split(',').map(|u| u.trim().to_owned()).collect() }
    }

    /// The test env's Redis; panics for the embedded backend, which has none.
    pub fn of(env: &TestEnv) -> Self {
        Self::new(env.redis_url.as_deref().expect("a backend with Redis"))
    }

    /// `KEYS pattern` on every master: a cluster spreads a prefix's keys over them.
    pub fn keys(&self, pattern: &str) -> redis::RedisResult<Vec<String>> {
        let mut keys = Vec::new();
        for mut conn in self.masters()? {
            keys.extend(redis::cmd("KEYS").arg(pattern).query::<Vec<String>>(&mut conn)?);
        }
        Ok(keys)
    }

    /// One single-key command, sent where that key lives (a cluster client follows the slots).
    pub fn query<T: redis::FromRedisValue>(&self, command: &redis::Cmd) -> redis::RedisResult<T> {
        command.query(&mut *self.connection()?)
    }

    pub fn delete_matching(&self, pattern: &str) -> redis::RedisResult<()> {
        let mut conn = self.connection()?;
        for key in self.keys(pattern)? {
            redis::cmd("DEL").arg(&key).query::<()>(&mut *conn)?;
        }
        Ok(())
    }

    fn connection(&self) -> redis::RedisResult<Box<dyn redis::ConnectionLike>> {
        Ok(match self.urls.as_slice() {
            [one] => Box::new(redis::Client::open(one.as_str())?.get_connection()?),
            many => Box::new(redis::cluster::ClusterClient::new(many.to_vec())?.get_connection()?),
        })
    }

    fn masters(&self) -> redis::RedisResult<Vec<redis::Connection>> {
        let mut masters = Vec::new();
        for url in &self.urls {
            let mut conn =
                redis::Client::open(url.as_str())?.get_connection_with_timeout(std::time::Duration::from_secs(2))?;
            let role: Vec<redis::Value> = redis::cmd("ROLE").query(&mut conn)?;
            if matches!(role.first(), Some(redis::Value::BulkString(r)) if r == b"master") {
                masters.push(conn);
            }
        }
        Ok(masters)
    }
}

use anyhow::Context;
use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection};
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;

use crate::unavailable::Unavailable;

const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// Where the database is, told apart by scheme: `postgres://…`/`postgresql://…`, or `sqlite://PATH`
/// (a bare path is taken as SQLite too).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Postgres(String),
    Sqlite(PathBuf),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> anyhow::Result<Self> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(Self::Postgres(raw.to_owned()));
        }
        let path = raw.strip_prefix("sqlite://").or_else(|| raw.strip_prefix("sqlite:")).unwrap_or(raw);
        anyhow::ensure!(!path.is_empty() && !path.contains("://"), "unsupported database URL scheme");
        Ok(Self::Sqlite(PathBuf::from(path)))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Postgres(_) => Backend::Postgres,
            Self::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// The URL without any password, for logs.
    pub fn redacted(&self) -> String {
        match self {
            Self::Postgres(url) => match (url.find("://"), url.rfind('@')) {
                (Some(s), Some(at)) if at > s => format!("{}***{}", &url[..s + 3], &url[at..]),
                _ => url.clone(),
            },
            Self::Sqlite(path) => format!("sqlite://{}", path.display()),
        }
    }
}

/// Opens the variant the URL names, so a PostgreSQL outage is reported as one instead of diesel's
/// derived `establish` falling through to SQLite with a file named after the URL.
#[derive(Debug)]
struct Manager {
    url: DatabaseUrl,
    generation: Arc<AtomicU64>,
}

/// A pooled connection, marked when it failed under a request so the pool drops it instead of
/// handing a dead socket to the next request once the database is back.
pub struct Pooled {
    conn: DbConn,
    broken: bool,
    /// The outage count when this connection was opened or last found alive: one from before the
    /// latest outage is checked before use, so idle dead sockets cost no request a 503.
    generation: u64,
}

impl ManageConnection for Manager {
    type Connection = Pooled;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<Pooled, r2d2::Error> {
        let generation = self.generation.load(Ordering::SeqCst);
        self.open().map(|conn| Pooled { conn, broken: false, generation })
    }

    fn is_valid(&self, pooled: &mut Pooled) -> Result<(), r2d2::Error> {
        pooled.conn.batch_execute("SELECT 1").map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, pooled: &mut Pooled) -> bool {
        pooled.broken || std::thread::panicking() || diesel::r2d2::R2D2Connection::is_broken(&mut pooled.conn)
    }
}

impl Manager {
    fn open(&self) -> Result<DbConn, r2d2::Error> {
        match &self.url {
            DatabaseUrl::Postgres(url) => {
                PgConnection::establish(url).map(DbConn::Pg).map_err(r2d2::Error::ConnectionError)
            }
            DatabaseUrl::Sqlite(path) => {
                let mut conn =
                    SqliteConnection::establish(&path.to_string_lossy()).map_err(r2d2::Error::ConnectionError)?;
                // WAL lets readers run beside the one writer; the busy timeout makes writers queue
                // instead of failing at once.
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

/// The connection pool and the rules for using it from async code.
#[derive(Clone)]
pub struct Database {
    pool: Pool<Manager>,
    backend: Backend,
    /// SQLite allows one writer; taking this before a write transaction avoids two deferred
    /// transactions deadlocking on the lock upgrade (which SQLite reports as an immediate BUSY).
    sqlite_writer: Arc<Mutex<()>>,
    /// One permit per pooled connection, handed out first come, first served. Without it every
    /// waiting request parks a blocking thread inside r2d2, which wakes waiters in no particular
    /// order: under a flood of claims hundreds of threads fight two cores for ten connections.
    permits: Arc<Semaphore>,
    wait: Duration,
    /// How many times a connection was found dead under a request (see [`Pooled::generation`]).
    generation: Arc<AtomicU64>,
}

impl Database {
    /// Builds the pool without waiting for a connection, so the server can start (and report
    /// itself unready) while the database is down.
    pub fn connect(url: &DatabaseUrl, pool_size: u32, wait: Duration) -> anyhow::Result<Self> {
        if let DatabaseUrl::Sqlite(path) = url {
            create_parent_dir(path)?;
        }
        anyhow::ensure!(!wait.is_zero(), "the database wait must be longer than zero");
        let generation = Arc::new(AtomicU64::new(0));
        let pool = Pool::builder()
            .max_size(pool_size.max(1))
            .min_idle(Some(0))
            .connection_timeout(wait)
            .test_on_check_out(false)
            .build_unchecked(Manager { url: url.clone(), generation: generation.clone() });
        let permits = Arc::new(Semaphore::new(pool_size.max(1) as usize));
        let sqlite_writer = Arc::new(Mutex::new(()));
        Ok(Self { pool, backend: url.backend(), sqlite_writer, permits, wait, generation })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Runs blocking diesel work on the blocking thread pool. Waiting for a connection takes at
    /// most the configured wait in all; past it, or when the connection dies under the work, the
    /// answer is an [`Unavailable`] error.
    pub async fn run<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<anyhow::Error> + std::fmt::Debug + Send + 'static,
    {
        let (pool, generation) = (self.pool.clone(), self.generation.clone());
        let deadline = std::time::Instant::now() + self.wait;
        let permit = tokio::time::timeout(self.wait, self.permits.clone().acquire_owned())
            .await
            .map_err(|_| E::from(unavailable(format!("no database connection free within {:?}", self.wait))))?
            .map_err(|e| E::from(anyhow::Error::new(e)))?;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut pooled = checkout(&pool, &generation, deadline)?;
            let outcome = work(&mut pooled.conn);
            if let Err(e) = &outcome {
                survive(&mut pooled, &generation).map_err(|dead| {
                    tracing::warn!(error = ?e, "the database connection died under this error");
                    E::from(dead)
                })?;
            }
            outcome
        })
        .await
        .map_err(|e| E::from(anyhow::Error::new(e).context("database task panicked or was cancelled")))?
    }

    /// Like [`Database::run`] for work that writes without a transaction of its own: on SQLite it
    /// takes the writer lock, so it never lands between another transaction's read and write
    /// (which SQLite answers with an immediate BUSY that no busy timeout waits out).
    pub async fn write<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<anyhow::Error> + std::fmt::Debug + Send + 'static,
    {
        let writer = (self.backend == Backend::Sqlite).then(|| self.sqlite_writer.clone());
        self.run(move |conn| {
            let _guard = writer.as_ref().map(|m| m.lock().unwrap_or_else(|p| p.into_inner()));
            work(conn)
        })
        .await
    }

    /// Like [`Database::run`], inside one transaction that commits only if `work` returns `Ok`.
    pub async fn transaction<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<anyhow::Error> + From<diesel::result::Error> + std::fmt::Debug + Send + 'static,
    {
        let writer = (self.backend == Backend::Sqlite).then(|| self.sqlite_writer.clone());
        self.run(move |conn| {
            let _guard = writer.as_ref().map(|m| m.lock().unwrap_or_else(|p| p.into_inner()));
            writing_transaction(conn, work)
        })
        .await
    }

    /// Like [`Database::run`], for reads that must agree with each other (a report's breakdowns,
    /// a statement's lines): in one read-only transaction that sees one snapshot — `REPEATABLE
    /// READ` on PostgreSQL, a read transaction under write-ahead logging on SQLite — so rows
    /// committed meanwhile appear in all of its statements or in none.
    pub async fn snapshot<T, E, F>(&self, work: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<anyhow::Error> + From<diesel::result::Error> + std::fmt::Debug + Send + 'static,
    {
        self.run(move |conn| {
            conn.transaction(|conn| {
                if let DbConn::Pg(pg) = conn {
                    diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(pg)?;
                }
                work(conn)
            })
        })
        .await
    }

    /// Runs `work` on this thread with a pooled connection: for bulk jobs already on a blocking thread.
    pub fn blocking<T>(&self, work: impl FnOnce(&mut DbConn) -> anyhow::Result<T>) -> anyhow::Result<T> {
        let mut pooled = checkout(&self.pool, &self.generation, std::time::Instant::now() + self.wait)?;
        let outcome = work(&mut pooled.conn);
        if outcome.is_err() {
            survive(&mut pooled, &self.generation)?;
        }
        outcome
    }

    /// One cheap round trip: the readiness probe.
    pub async fn ping(&self) -> anyhow::Result<()> {
        self.run(|conn| {
            diesel::sql_query("SELECT 1").execute(conn).context("SELECT 1 failed")?;
            Ok(())
        })
        .await
    }

    /// Applies the embedded migrations this backend has not seen; returns their names.
    pub fn migrate(&self) -> anyhow::Result<Vec<String>> {
        let mut pooled = checkout(&self.pool, &self.generation, std::time::Instant::now() + self.wait)?;
        let conn = &mut pooled.conn;
        let source = match self.backend {
            Backend::Postgres => POSTGRES_MIGRATIONS,
            Backend::Sqlite => SQLITE_MIGRATIONS,
        };
        let applied = conn.run_pending_migrations(source).map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
        Ok(applied.iter().map(ToString::to_string).collect())
    }
}

/// A connection by `deadline`. One from before the latest outage is checked first and, if dead,
/// dropped for the next: after an outage no request is handed an idle socket that died with it.
/// `work` in one transaction that commits only if it returns `Ok`. On SQLite it begins
/// `IMMEDIATE`: the write lock is taken first (waiting out the claim writers, which write outside
/// the writer mutex), so a transaction that reads and then writes is never refused with a BUSY
/// that no busy timeout waits out when another connection committed between its read and write.
fn writing_transaction<T, E>(conn: &mut DbConn, work: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
where
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    type Manager = <DbConn as Connection>::TransactionManager;
    match conn {
        DbConn::Pg(_) => return conn.transaction(work),
        DbConn::Sqlite(lite) => AnsiTransactionManager::begin_transaction_sql(lite, "BEGIN IMMEDIATE")?,
    }
    match work(conn) {
        Ok(value) => match Manager::commit_transaction(conn) {
            Ok(()) => Ok(value),
            Err(e) => {
                let _ = Manager::rollback_transaction(conn);
                Err(e.into())
            }
        },
        Err(e) => {
            Manager::rollback_transaction(conn)?;
            Err(e)
        }
    }
}

fn checkout(
    pool: &Pool<Manager>,
    generation: &AtomicU64,
    deadline: std::time::Instant,
) -> anyhow::Result<PooledConnection<Manager>> {
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now()).max(Duration::from_millis(1));
        let mut pooled = pool.get_timeout(left).context(Unavailable("the database"))?;
        let current = generation.load(Ordering::SeqCst);
        if pooled.generation >= current {
            return Ok(pooled);
        }
        if pooled.conn.batch_execute("SELECT 1").is_ok() {
            pooled.generation = current;
            return Ok(pooled);
        }
        pooled.broken = true;
    }
}

fn unavailable(why: String) -> anyhow::Error {
    anyhow::Error::new(Unavailable("the database")).context(why)
}

/// After a failed request, whether its connection still answers. One that does not is dropped
/// by the pool, the other connections are checked before their next use, and the request's
/// error, whatever the driver called it, is an outage.
fn survive(pooled: &mut Pooled, generation: &AtomicU64) -> anyhow::Result<()> {
    if pooled.conn.batch_execute("SELECT 1").is_err() {
        pooled.broken = true;
        generation.fetch_add(1, Ordering::SeqCst);
        return Err(unavailable("the database connection failed during the request".into()));
    }
    Ok(())
}

fn create_parent_dir(path: &Path) -> anyhow::Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create database directory {}", dir.display()))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `.cargo/config.toml` builds the bundled SQLite with it: without it every cached statement
    /// that binds a `LIMIT` is parsed and planned again on each run.
    #[test]
    fn sqlite_is_built_with_the_query_planner_stability_guarantee() {
        #[derive(diesel::QueryableByName)]
        struct Used {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            used: i32,
        }
        let mut conn = diesel::SqliteConnection::establish(":memory:").unwrap();
        let row: Used =
            diesel::sql_query("SELECT sqlite_compileoption_used('ENABLE_QPSG') AS used").get_result(&mut conn).unwrap();
        assert_eq!(row.used, 1);
    }

    #[test]
    fn urls_are_told_apart_by_scheme() {
        assert_eq!(DatabaseUrl::parse("postgres://u:p@h/db").unwrap().backend(), Backend::Postgres);
        assert_eq!(DatabaseUrl::parse("sqlite://data/sgh.db").unwrap(), DatabaseUrl::Sqlite("data/sgh.db".into()));
        assert_eq!(DatabaseUrl::parse("./x.db").unwrap().backend(), Backend::Sqlite);
        assert!(DatabaseUrl::parse("mysql://h/db").is_err());
    }

    #[test]
    fn redacts_passwords() {
        let url = DatabaseUrl::parse("postgres://sgh:s3cret@db:5432/sgh").unwrap();
        assert_eq!(url.redacted(), "postgres://***@db:5432/sgh");
    }
}

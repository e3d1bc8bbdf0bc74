//! The shared infrastructure every context is wired from: opened once per process, then handed
//! to each context's `wire` function (`admin::wire`, `members::wire`, `campaigns::wire`).

use actix_web::web;

use crate::config::Config;
use domain::shared::idempotency::Idempotency as IdempotencyService;
use domain::shared::AppClock;
use infra::crypto::FieldCrypto;
use infra::db::idempotency::DbIdempotency;
use infra::db::Database;
use infra::ephemeral::{Ephemeral, MemoryEphemeral, RedisEphemeral, StoreKeys};
use infra::redis_client::Redis;

pub type Idempotency = IdempotencyService<DbIdempotency, AppClock>;

pub struct Infra {
    pub config: Config,
    pub db: Database,
    pub redis: Option<Redis>,
    /// Rate limits and one-time tokens: Redis when configured, otherwise in process.
    pub ephemeral: Ephemeral,
    /// Derived once: every adapter that seals or indexes personal data shares these keys.
    pub crypto: FieldCrypto,
    pub clock: AppClock,
}

impl Infra {
    /// Opens the database (applying migrations) and prepares Redis, which is dialled lazily so
    /// the server can start, unready, while it is down.
    pub async fn open(config: Config, clock: AppClock) -> anyhow::Result<Self> {
        let db = open_database(&config).await?;
        let s = &config.storage;
        let redis = s.redis_url.as_deref().map(|url| Redis::new(url, &s.redis_prefix, s.redis_timeout)).transpose()?;
        if let Some(r) = &redis {
            refuse_evicting(r).await?;
        }
        let ephemeral = match &redis {
            Some(r) => Ephemeral::Redis(RedisEphemeral::new(r.clone(), store_keys(&config))),
            None => Ephemeral::Memory(MemoryEphemeral::default()),
        };
        let crypto = field_crypto(&config);
        let sealed = infra::db::members::DbMembers::new(db.clone(), crypto.clone()).seal_plain_emails().await?;
        if sealed > 0 {
            tracing::info!(sealed, "members' e-mail addresses confirmed before sealing are now sealed");
        }
        Ok(Self { config, db, redis, ephemeral, crypto, clock })
    }

    /// `Idempotency-Key` answers, shared by every context that opts a route in.
    pub fn idempotency(&self) -> web::Data<Idempotency> {
        web::Data::new(Idempotency {
            store: DbIdempotency(self.db.clone()),
            clock: self.clock.clone(),
            retention: self.config.server.idempotency_retention,
            // Longer than any request may take (the shutdown timeout included), so a live run is
            // never taken over.
            lock: chrono::Duration::seconds(self.config.server.shutdown_timeout.as_secs() as i64 + 120),
        })
    }
}

/// Refuses to start on a Redis that may evict the inventory gate's keys. A Redis that does not
/// answer yet, or will not say, is left to the readiness probe (which reports the policy too).
async fn refuse_evicting(redis: &Redis) -> anyhow::Result<()> {
    // Each Redis call has its own timeout.
    if let Ok(Some(policy)) = redis.eviction_policy().await {
        anyhow::ensure!(
            infra::redis_client::keeps_gate_keys(&policy),
            "Redis has maxmemory-policy {policy}: under memory pressure it would evict the inventory gate's keys \
             (stock and claims). Set maxmemory-policy to noeviction (or a volatile-* policy) and start again."
        );
    }
    Ok(())
}

/// What Redis keys and codes are digested under: derived from the field key, rotating with it.
pub fn store_keys(config: &Config) -> StoreKeys {
    let c = &config.crypto;
    StoreKeys::new(&c.encryption_key, c.previous_encryption_key.as_ref().map(|(_, key)| key))
}

/// The field key (with the previous one, during a rotation) and the blind-index key.
pub fn field_crypto(config: &Config) -> FieldCrypto {
    let c = &config.crypto;
    let previous = c.previous_encryption_key.as_ref().map(|(id, key)| (id.as_str(), key));
    FieldCrypto::new(&c.encryption_key_id, &c.encryption_key, previous, &c.blind_index_key)
}

/// Opens the database (creating the SQLite file on first start) and applies pending migrations.
pub async fn open_database(config: &Config) -> anyhow::Result<Database> {
    let s = &config.storage;
    let db = Database::connect(&s.database_url, s.database_pool_size, s.database_wait)?;
    let migrator = db.clone();
    let applied = tokio::task::spawn_blocking(move || migrator.migrate()).await??;
    for name in applied {
        tracing::info!(migration = %name, "migration applied");
    }
    Ok(db)
}

//! Settings from `SGH_*` environment variables. Everything has an embedded default except what a
//! production deployment must choose itself.

use base64::{engine::general_purpose::STANDARD, Engine};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use infra::db::DatabaseUrl;

/// Development-only secrets: published in this repository, so the `prod` profile refuses them.
pub const DEV_ADMIN_JWT_SECRET: &str = "sgh-development-admin-jwt-secret-do-not-use-in-prod";
pub const DEV_ENCRYPTION_KEY: &str = "c2doLWRldmVsb3BtZW50LWZpZWxkLWtleS0zMmJ5dGU=";
pub const DEV_BLIND_INDEX_KEY: &str = "c2doLWRldmVsb3BtZW50LWJsaW5kLWluZGV4LWtleSE=";
pub const DEV_MEMBER_JWT_SECRET: &str = "sgh-development-member-jwt-secret-do-not-use-in-prod";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Dev,
    Prod,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

/// Every setting, grouped by the part of the system that reads it; each context's wiring takes
/// its own group.
#[derive(Debug, Clone)]
pub struct Config {
    pub profile: Profile,
    pub server: ServerConfig,
    pub storage: StorageConfig,
    pub crypto: CryptoConfig,
    pub jobs: JobsConfig,
    pub admin: AdminConfig,
    pub members: MembersConfig,
    pub campaigns: CampaignsConfig,
    pub merchants: MerchantsConfig,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub bind: SocketAddr,
    pub workers: Option<usize>,
    pub cors_origins: Vec<String>,
    pub body_limit: usize,
    pub log_filter: String,
    pub log_format: LogFormat,
    pub shutdown_timeout: Duration,
    /// How long `Idempotency-Key` answers are kept before the purge; at least a day.
    pub idempotency_retention: chrono::Duration,
    /// `/metrics` on a listener of its own (`SGH_METRICS_BIND`), off the API's address.
    pub metrics_bind: Option<SocketAddr>,
    /// A bearer token `/metrics` asks for (`SGH_METRICS_TOKEN`, 16 characters or more).
    pub metrics_token: Option<String>,
    /// Proxies whose `X-Forwarded-For` (or, with `SGH_FORWARDED_HEADER=forwarded`, `Forwarded`) is
    /// believed (`SGH_TRUSTED_PROXIES`).
    pub trusted_proxies: crate::client_address::TrustedProxies,
}

#[derive(Debug, Clone)]
pub struct StorageConfig {
    pub data_dir: PathBuf,
    pub database_url: DatabaseUrl,
    pub database_pool_size: u32,
    /// How long a request waits for a database connection before it answers 503.
    pub database_wait: Duration,
    pub redis_url: Option<String>,
    pub redis_prefix: String,
    pub redis_timeout: Duration,
    /// Where the files attached to service cases are kept, sealed (`SGH_FILES_DIR`, default
    /// `<data dir>/files`).
    pub files_dir: PathBuf,
    /// A bucket of an S3-compatible store instead of `files_dir` (`SGH_FILES_S3_*`), for several
    /// instances without a shared directory.
    pub files_s3: Option<infra::files::S3Settings>,
}

#[derive(Debug, Clone)]
pub struct CryptoConfig {
    pub encryption_key: [u8; 32],
    pub encryption_key_id: String,
    pub previous_encryption_key: Option<(String, [u8; 32])>,
    /// Keys the blind indexes; unlike the cipher key it must never change, or look-ups break.
    pub blind_index_key: [u8; 32],
}

#[derive(Debug, Clone)]
pub struct JobsConfig {
    pub smtp_url: Option<String>,
    pub mail_from: String,
    pub mail_dir: PathBuf,
    pub poll: Duration,
    pub retry_base: chrono::Duration,
    pub max_attempts: u32,
}

pub use crate::admin::settings::AdminConfig;
pub use crate::campaigns::settings::CampaignsConfig;
pub use crate::members::settings::MembersConfig;
pub use crate::merchants::settings::MerchantsConfig;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{var}: {problem}")]
    Invalid { var: &'static str, problem: String },
    #[error("{var} must be set in the prod profile ({why})")]
    Missing { var: &'static str, why: &'static str },
    #[error("{var} holds the development default, which the prod profile refuses")]
    DevSecret { var: &'static str },
}

/// The `SGH_*` variables as given, for each context's settings to read its own.
pub(crate) struct Vars(HashMap<String, String>);

impl Vars {
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    /// The first variable given (with a value) whose name starts with `prefix`.
    pub(crate) fn any_with(&self, prefix: &str) -> Option<&str> {
        self.0.keys().map(String::as_str).filter(|k| self.get(k).is_some()).find(|k| k.starts_with(prefix))
    }

    pub(crate) fn parse<T: std::str::FromStr>(&self, name: &'static str, default: T) -> Result<T, ConfigError>
    where
        T::Err: std::fmt::Display,
    {
        match self.get(name) {
            None => Ok(default),
            Some(raw) => raw.parse().map_err(|e: T::Err| invalid(name, e.to_string())),
        }
    }

    /// A number that must lie in `range`: out of it is an error naming the variable, never a
    /// quietly corrected value.
    pub(crate) fn within<T>(
        &self,
        name: &'static str,
        default: T,
        range: std::ops::RangeInclusive<T>,
    ) -> Result<T, ConfigError>
    where
        T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
        T::Err: std::fmt::Display,
    {
        let value = self.parse(name, default)?;
        if range.contains(&value) {
            Ok(value)
        } else {
            Err(invalid(name, format!("must be between {} and {}", range.start(), range.end())))
        }
    }

    pub(crate) fn millis(
        &self,
        name: &'static str,
        default_ms: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<Duration, ConfigError> {
        self.within(name, default_ms, range).map(Duration::from_millis)
    }

    pub(crate) fn secs(
        &self,
        name: &'static str,
        default: u64,
        range: std::ops::RangeInclusive<u64>,
    ) -> Result<Duration, ConfigError> {
        self.within(name, default, range).map(Duration::from_secs)
    }
}

/// The same span for the domain, which counts in `chrono` durations; every span here is bounded,
/// so it always fits.
pub(crate) fn span(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

pub(crate) const DAY: u64 = 86_400;

pub(crate) fn invalid(var: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError::Invalid { var, problem: problem.into() }
}

impl Config {
    /// What an operator should hear at start about a configuration that runs but should not run
    /// like this: the development profile reachable from other machines.
    pub fn warnings(&self) -> Vec<String> {
        let mut said = Vec::new();
        if self.profile == Profile::Dev && !self.server.bind.ip().is_loopback() {
            said.push(format!(
                "the dev profile listens on {}, reachable from other machines, with published development keys and \
                 sign-in codes written to the log: set SGH_PROFILE=prod for anything but a developer's machine",
                self.server.bind
            ));
        }
        said
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_vars(std::env::vars().filter(|(k, _)| k.starts_with("SGH_")))
    }

    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Result<Self, ConfigError> {
        let v = Vars(vars.into_iter().collect());
        let profile = match v.get("SGH_PROFILE").unwrap_or("dev") {
            "dev" => Profile::Dev,
            "prod" => Profile::Prod,
            other => return Err(invalid("SGH_PROFILE", format!("'{other}' is not dev or prod"))),
        };
        let data_dir = PathBuf::from(v.get("SGH_DATA_DIR").unwrap_or("./data"));
        let database_url = match v.get("SGH_DATABASE_URL") {
            Some(url) => DatabaseUrl::parse(url).map_err(|e| invalid("SGH_DATABASE_URL", e.to_string()))?,
            None => DatabaseUrl::Sqlite(data_dir.join("sgh.db")),
        };
        // Read in this order so that a bare `prod` names its missing settings one by one, staff
        // keys first.
        let admin = AdminConfig::read(&v, profile)?;
        let key_b64 = secret(&v, profile, "SGH_ENCRYPTION_KEY", DEV_ENCRYPTION_KEY, "encrypts personal data")?;
        let encryption_key = key32("SGH_ENCRYPTION_KEY", &key_b64)?;
        not_a_dev_value(&v, profile, "SGH_ENCRYPTION_PREVIOUS_KEY", DEV_ENCRYPTION_KEY)?;
        let previous_encryption_key = match v.get("SGH_ENCRYPTION_PREVIOUS_KEY") {
            Some(k) => Some((
                v.get("SGH_ENCRYPTION_PREVIOUS_KEY_ID")
                    .ok_or_else(|| {
                        invalid("SGH_ENCRYPTION_PREVIOUS_KEY_ID", "required with SGH_ENCRYPTION_PREVIOUS_KEY")
                    })?
                    .to_owned(),
                key32("SGH_ENCRYPTION_PREVIOUS_KEY", k)?,
            )),
            None => None,
        };
        let blind_b64 = secret(&v, profile, "SGH_BLIND_INDEX_KEY", DEV_BLIND_INDEX_KEY, "keys the look-up indexes")?;
        let blind_index_key = key32("SGH_BLIND_INDEX_KEY", &blind_b64)?;
        let members = MembersConfig::read(&v, profile)?;
        let log_format = match v.get("SGH_LOG_FORMAT") {
            None if profile == Profile::Prod => LogFormat::Json,
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => return Err(invalid("SGH_LOG_FORMAT", format!("'{other}' is not pretty or json"))),
        };
        let redis_url = v.get("SGH_REDIS_URL").map(str::to_owned);
        if let Some(url) = &redis_url {
            // Several comma-separated URLs name a Redis Cluster's nodes.
            if !url.split(',').all(|u| u.trim().starts_with("redis://") || u.trim().starts_with("rediss://")) {
                return Err(invalid("SGH_REDIS_URL", "each URL must start with redis:// or rediss://"));
            }
        }
        let metrics_bind = v
            .get("SGH_METRICS_BIND")
            .map(|_| v.parse("SGH_METRICS_BIND", SocketAddr::from(([127, 0, 0, 1], 0))))
            .transpose()?;
        let metrics_token = v.get("SGH_METRICS_TOKEN").map(str::to_owned);
        if metrics_token.as_ref().is_some_and(|t| t.chars().count() < 16) {
            return Err(invalid("SGH_METRICS_TOKEN", "must be at least 16 characters"));
        }
        let config = Self {
            profile,
            server: ServerConfig {
                metrics_bind,
                metrics_token,
                trusted_proxies: crate::client_address::TrustedProxies::from_settings(
                    v.get("SGH_TRUSTED_PROXIES"),
                    v.get("SGH_FORWARDED_HEADER"),
                )
                .map_err(|(var, message)| invalid(var, message))?,
                bind: v.parse("SGH_BIND", SocketAddr::from(([127, 0, 0, 1], 8080)))?,
                workers: v.get("SGH_WORKERS").map(|_| v.within("SGH_WORKERS", 1, 1..=256)).transpose()?,
                cors_origins: v
                    .get("SGH_CORS_ORIGINS")
                    .map(|s| s.split(',').map(|o| o.trim().to_owned()).filter(|o| !o.is_empty()).collect())
                    .unwrap_or_default(),
                // A bank batch of 1,000 card transactions with the longest ids fits.
                body_limit: v.within("SGH_BODY_LIMIT_BYTES", 512 * 1024, 1_024..=64 * 1024 * 1024)?,
                log_filter: v.get("SGH_LOG").unwrap_or("info").to_owned(),
                log_format,
                shutdown_timeout: v.secs("SGH_SHUTDOWN_TIMEOUT_SECS", 30, 0..=3_600)?,
                idempotency_retention: span(
                    v.within("SGH_IDEMPOTENCY_RETENTION_HOURS", 24, 24..=24 * 365)
                        .map(|h| Duration::from_secs(h * 3_600))?,
                ),
            },
            storage: StorageConfig {
                database_url,
                database_pool_size: v.within("SGH_DATABASE_POOL_SIZE", 10, 1..=1_000)?,
                database_wait: v.millis("SGH_DATABASE_WAIT_MS", 5_000, 1..=600_000)?,
                redis_url,
                redis_prefix: v.get("SGH_REDIS_PREFIX").unwrap_or("sgh").to_owned(),
                redis_timeout: v.millis("SGH_REDIS_TIMEOUT_MS", 300, 1..=60_000)?,
                files_dir: v.get("SGH_FILES_DIR").map(PathBuf::from).unwrap_or_else(|| data_dir.join("files")),
                files_s3: crate::services::settings::files_s3(&v)?,
                data_dir: data_dir.clone(),
            },
            crypto: CryptoConfig {
                encryption_key,
                encryption_key_id: v.get("SGH_ENCRYPTION_KEY_ID").unwrap_or("k1").to_owned(),
                previous_encryption_key,
                blind_index_key,
            },
            jobs: JobsConfig {
                smtp_url: v.get("SGH_SMTP_URL").map(str::to_owned),
                mail_from: v.get("SGH_MAIL_FROM").unwrap_or("苏工惠 <noreply@sgh.localhost>").to_owned(),
                mail_dir: v.get("SGH_MAIL_DIR").map(PathBuf::from).unwrap_or_else(|| data_dir.join("mail")),
                poll: v.millis("SGH_OUTBOX_POLL_MS", 2_000, 1..=3_600_000)?,
                retry_base: span(v.millis("SGH_OUTBOX_RETRY_BASE_MS", 30_000, 1..=3_600_000)?),
                max_attempts: v.within("SGH_OUTBOX_MAX_ATTEMPTS", 10, 1..=100)?,
            },
            admin,
            members,
            campaigns: CampaignsConfig::read(&v)?,
            merchants: MerchantsConfig::read(&v, profile, &data_dir)?,
        };
        let server = &config.server;
        if profile == Profile::Prod && server.metrics_bind.is_none() && server.metrics_token.is_none() {
            return Err(ConfigError::Missing {
                var: "SGH_METRICS_BIND",
                why: "/metrics goes on a listener of its own or, with SGH_METRICS_TOKEN, behind a token",
            });
        }
        Ok(config)
    }
}

fn key32(var: &'static str, b64: &str) -> Result<[u8; 32], ConfigError> {
    STANDARD
        .decode(b64)
        .ok()
        .and_then(|k| <[u8; 32]>::try_from(k).ok())
        .ok_or_else(|| invalid(var, "must be 32 bytes in standard base64"))
}

/// A secret that `dev` may take from the published default and `prod` must be given.
/// `prod` refuses an optional key that holds a published development value too (a previous key
/// kept for rotation decrypts or verifies as much as the current one).
pub(crate) fn not_a_dev_value(v: &Vars, profile: Profile, var: &'static str, dev: &str) -> Result<(), ConfigError> {
    match (v.get(var), profile) {
        (Some(value), Profile::Prod) if value == dev => Err(ConfigError::DevSecret { var }),
        _ => Ok(()),
    }
}

pub(crate) fn secret(
    v: &Vars,
    profile: Profile,
    var: &'static str,
    dev_default: &str,
    why: &'static str,
) -> Result<String, ConfigError> {
    match (v.get(var), profile) {
        (Some(value), Profile::Prod) if value == dev_default => Err(ConfigError::DevSecret { var }),
        (Some(value), _) => Ok(value.to_owned()),
        (None, Profile::Prod) => Err(ConfigError::Missing { var, why }),
        (None, Profile::Dev) => Ok(dev_default.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    const PROD_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

    #[test]
    fn dev_needs_nothing() {
        let c = Config::from_vars(vars(&[])).unwrap();
        assert_eq!(c.profile, Profile::Dev);
        assert_eq!(c.storage.database_url, DatabaseUrl::Sqlite("./data/sgh.db".into()));
        assert!(c.storage.redis_url.is_none() && c.jobs.smtp_url.is_none());
        assert!(c.campaigns.inventory_gate);
    }

    #[test]
    fn the_gate_switches_on_and_off_and_nothing_else() {
        let off = Config::from_vars(vars(&[("SGH_INVENTORY_GATE", "off")])).unwrap();
        assert!(!off.campaigns.inventory_gate);
        let typo = Config::from_vars(vars(&[("SGH_INVENTORY_GATE", "of")]));
        assert!(matches!(typo, Err(ConfigError::Invalid { var: "SGH_INVENTORY_GATE", .. })), "{typo:?}");
    }

    #[test]
    fn pages_make_way_for_claims_unless_told_not_to() {
        let on = Config::from_vars(vars(&[])).unwrap().campaigns.rush;
        assert!(on.claims_per_sec > 0 && on.claims_per_page > 0 && !on.longest.is_zero(), "{on:?}");
        let off = Config::from_vars(vars(&[("SGH_RUSH_CLAIMS_PER_SEC", "0")])).unwrap();
        assert_eq!(off.campaigns.rush.claims_per_sec, 0);
    }

    #[test]
    fn prod_refuses_missing_and_development_secrets() {
        let missing = Config::from_vars(vars(&[("SGH_PROFILE", "prod")]));
        assert!(matches!(missing, Err(ConfigError::Missing { var: "SGH_ADMIN_JWT_SECRET", .. })));
        let dev_jwt =
            Config::from_vars(vars(&[("SGH_PROFILE", "prod"), ("SGH_ADMIN_JWT_SECRET", DEV_ADMIN_JWT_SECRET)]));
        assert!(matches!(dev_jwt, Err(ConfigError::DevSecret { var: "SGH_ADMIN_JWT_SECRET" })));
        let jwt = ("SGH_ADMIN_JWT_SECRET", "a-real-production-secret-of-enough-length");
        let no_key = Config::from_vars(vars(&[("SGH_PROFILE", "prod"), jwt]));
        assert!(matches!(no_key, Err(ConfigError::Missing { var: "SGH_ENCRYPTION_KEY", .. })));
        let dev_key =
            Config::from_vars(vars(&[("SGH_PROFILE", "prod"), jwt, ("SGH_ENCRYPTION_KEY", DEV_ENCRYPTION_KEY)]));
        assert!(matches!(dev_key, Err(ConfigError::DevSecret { var: "SGH_ENCRYPTION_KEY" })));
        let key = ("SGH_ENCRYPTION_KEY", PROD_KEY);
        let no_index = Config::from_vars(vars(&[("SGH_PROFILE", "prod"), jwt, key]));
        assert!(matches!(no_index, Err(ConfigError::Missing { var: "SGH_BLIND_INDEX_KEY", .. })));
        let index = ("SGH_BLIND_INDEX_KEY", "HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4=");
        let no_member = Config::from_vars(vars(&[("SGH_PROFILE", "prod"), jwt, key, index]));
        assert!(matches!(no_member, Err(ConfigError::Missing { var: "SGH_MEMBER_JWT_SECRET", .. })));
        let member = ("SGH_MEMBER_JWT_SECRET", "another-real-production-secret-long-enough");
        // Without an SMS gateway sign-in codes would go to the log: prod will not start.
        let no_sms = Config::from_vars(vars(&[("SGH_PROFILE", "prod"), jwt, key, index, member]));
        assert!(matches!(no_sms, Err(ConfigError::Missing { var: "SGH_SMS_URL", .. })), "{no_sms:?}");
        let (sms, sms_key) = (("SGH_SMS_URL", "https://sms.example.cn/send"), ("SGH_SMS_KEY", "k"));
        let member = [member, sms, sms_key];
        let no_platform_key =
            Config::from_vars(vars(&[&[("SGH_PROFILE", "prod"), jwt, key, index][..], &member].concat()));
        assert!(matches!(no_platform_key, Err(ConfigError::Missing { var: "SGH_PLATFORM_KEY_FILE", .. })));
        let platform = ("SGH_PLATFORM_KEY_FILE", "/etc/sgh/platform-key.pem");
        let no_webhook_key =
            Config::from_vars(vars(&[&[("SGH_PROFILE", "prod"), jwt, key, index, platform][..], &member].concat()));
        assert!(matches!(no_webhook_key, Err(ConfigError::Missing { var: "SGH_WEBHOOK_KEY_FILE", .. })));
        let webhook = ("SGH_WEBHOOK_KEY_FILE", "/etc/sgh/webhook-key.pem");
        let open_metrics = Config::from_vars(vars(
            &[&[("SGH_PROFILE", "prod"), jwt, key, index, platform, webhook][..], &member].concat(),
        ));
        assert!(matches!(open_metrics, Err(ConfigError::Missing { var: "SGH_METRICS_BIND", .. })));
        let metrics = ("SGH_METRICS_BIND", "127.0.0.1:9100");
        let ok = Config::from_vars(vars(
            &[&[("SGH_PROFILE", "prod"), jwt, key, index, platform, webhook, metrics][..], &member].concat(),
        ))
        .unwrap();
        assert_eq!(ok.server.log_format, LogFormat::Json);
        assert_eq!(ok.server.metrics_bind, Some(SocketAddr::from(([127, 0, 0, 1], 9100))));
        let token = ("SGH_METRICS_TOKEN", "a-scraper-token-long-enough");
        let ok = Config::from_vars(vars(
            &[&[("SGH_PROFILE", "prod"), jwt, key, index, platform, webhook, token][..], &member].concat(),
        ))
        .unwrap();
        assert_eq!(ok.server.metrics_token.as_deref(), Some(token.1));
        // A previous key kept for rotation is refused when it is a published development value.
        let all = [&[("SGH_PROFILE", "prod"), jwt, key, index, platform, webhook, token][..], &member].concat();
        for (var, dev) in [
            ("SGH_ENCRYPTION_PREVIOUS_KEY", DEV_ENCRYPTION_KEY),
            ("SGH_MEMBER_JWT_PREVIOUS_SECRET", DEV_MEMBER_JWT_SECRET),
        ] {
            let refused =
                Config::from_vars(vars(&[&all[..], &[(var, dev), ("SGH_ENCRYPTION_PREVIOUS_KEY_ID", "k0")]].concat()));
            assert!(matches!(refused, Err(ConfigError::DevSecret { var: v }) if v == var), "{var}: {refused:?}");
        }
    }

    #[test]
    fn a_dev_profile_reachable_from_other_machines_is_warned_about() {
        assert!(Config::from_vars(vars(&[])).unwrap().warnings().is_empty());
        let open = Config::from_vars(vars(&[("SGH_BIND", "0.0.0.0:8080")])).unwrap();
        assert!(open.warnings()[0].contains("SGH_PROFILE=prod"), "{:?}", open.warnings());
    }

    #[test]
    fn rejects_malformed_values() {
        for (var, value) in [
            ("SGH_PROFILE", "staging"),
            ("SGH_BIND", "localhost"),
            ("SGH_ENCRYPTION_KEY", "c2hvcnQ="),
            ("SGH_REDIS_URL", "http://x"),
            ("SGH_DATABASE_URL", "mysql://x/y"),
            ("SGH_ADMIN_JWT_SECRET", "short"),
            // Out of range is refused, never quietly corrected.
            ("SGH_DATABASE_WAIT_MS", "0"),
            ("SGH_DATABASE_POOL_SIZE", "0"),
            ("SGH_CLAIM_WRITERS", "17"),
            ("SGH_RUSH_CLAIMS_PER_PAGE", "0"),
            ("SGH_RUSH_PAGE_WAIT_MS", "0"),
            ("SGH_LOW_STOCK_PERCENT", "101"),
            ("SGH_OTP_RESEND_SECS", "0"),
            ("SGH_OUTBOX_MAX_ATTEMPTS", "0"),
            ("SGH_IDEMPOTENCY_RETENTION_HOURS", "23"),
            ("SGH_MEMBER_TOKEN_TTL_SECS", "99999999999999"),
            ("SGH_WORKERS", "0"),
            ("SGH_METRICS_BIND", "nowhere"),
            ("SGH_METRICS_TOKEN", "short"),
            ("SGH_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.1/40"),
            ("SGH_WEBHOOK_RESENDS_PER_MINUTE", "0"),
            ("SGH_TRUSTED_PROXIES", "10.0.0.0/33"),
            ("SGH_TRUSTED_PROXIES", "nginx"),
            ("SGH_FORWARDED_HEADER", "x-real-ip"),
            ("SGH_SESSION_MAX_DAYS", "0"),
        ] {
            let err = Config::from_vars(vars(&[(var, value)])).unwrap_err();
            assert!(err.to_string().starts_with(var), "{var}: {err}");
        }
    }
}

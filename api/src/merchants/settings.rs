//! The merchants context's settings: the platform and webhook keys, member codes, partner rates
//! and where webhooks may go.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::{invalid, ConfigError, Profile, Vars};

#[derive(Debug, Clone)]
pub struct MerchantsConfig {
    /// PKCS #8 PEM of the RSA key answers to partners are signed with; generated there on first
    /// start in `dev`, and required to exist in `prod`.
    pub platform_key_file: PathBuf,
    /// PKCS #8 PEM of the Ed25519 key webhook events are signed with; like the platform key.
    pub webhook_key_file: PathBuf,
    pub member_code_ttl: Duration,
    /// Signed requests a merchant may make per minute, all its keys together.
    pub partner_requests_per_minute: u32,
    /// Where webhooks may be sent: `https` only in `prod`, never to internal addresses but the
    /// networks `SGH_WEBHOOK_ALLOWED_NETWORKS` lists (a sandbox's stub).
    pub webhook_targets: domain::merchants::address::TargetPolicy,
    /// Re-sends of webhook deliveries a merchant may ask for per minute.
    pub webhook_resends_per_minute: u32,
}

impl MerchantsConfig {
    pub(crate) fn read(v: &Vars, profile: Profile, data_dir: &Path) -> Result<Self, ConfigError> {
        Ok(Self {
            platform_key_file: match (v.get("SGH_PLATFORM_KEY_FILE"), profile) {
                (Some(path), _) => PathBuf::from(path),
                (None, Profile::Dev) => data_dir.join("platform-key.pem"),
                (None, Profile::Prod) => {
                    return Err(ConfigError::Missing {
                        var: "SGH_PLATFORM_KEY_FILE",
                        why: "signs every answer to partner merchants",
                    })
                }
            },
            webhook_key_file: match (v.get("SGH_WEBHOOK_KEY_FILE"), profile) {
                (Some(path), _) => PathBuf::from(path),
                (None, Profile::Dev) => data_dir.join("webhook-key.pem"),
                (None, Profile::Prod) => {
                    return Err(ConfigError::Missing { var: "SGH_WEBHOOK_KEY_FILE", why: "signs webhook events" })
                }
            },
            member_code_ttl: v.secs("SGH_MEMBER_CODE_TTL_SECS", 120, 10..=3_600)?,
            partner_requests_per_minute: v.within("SGH_PARTNER_REQUESTS_PER_MINUTE", 30_000, 1..=1_000_000)?,
            webhook_targets: domain::merchants::address::TargetPolicy {
                allow_http: profile == Profile::Dev,
                allowed: v
                    .get("SGH_WEBHOOK_ALLOWED_NETWORKS")
                    .unwrap_or_default()
                    .split(',')
                    .map(str::trim)
                    .filter(|n| !n.is_empty())
                    .map(|n| {
                        domain::merchants::address::Network::parse(n).ok_or_else(|| {
                            invalid(
                                "SGH_WEBHOOK_ALLOWED_NETWORKS",
                                format!("'{n}' is not an address or address/prefix"),
                            )
                        })
                    })
                    .collect::<Result<_, _>>()?,
            },
            webhook_resends_per_minute: v.within("SGH_WEBHOOK_RESENDS_PER_MINUTE", 10, 1..=10_000)?,
        })
    }
}

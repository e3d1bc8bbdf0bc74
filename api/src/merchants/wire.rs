//! The merchants context's services: the catalogue, member codes and browsing, the partner API
//! with its keys and our platform signing key.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::config::Profile;
use crate::wire::Infra;
use domain::merchants::cached::CachedCatalogue;
use domain::merchants::catalogue::CatalogueService;
use domain::merchants::partner::{KeySerial, Partner};
use domain::merchants::service::MerchantService;
use domain::merchants::webhook::WebhookTargets;
use domain::merchants::{MerchantStatus, PartnerKind};
use domain::shared::AppClock;
use infra::db::merchants::DbMerchants;
use infra::ephemeral::Ephemeral;
use infra::signing::{PlatformKey, VerifyingKey, WebhookKey};
use infra::webhook_sender::SystemResolver;

/// The catalogue as the services read it: recent reads kept in memory for a second.
pub type Catalogue = CachedCatalogue<DbMerchants, AppClock>;
pub type Merchants = MerchantService<Catalogue, DbMerchants, AppClock>;
pub type CatalogueAdmin = CatalogueService<Catalogue, AppClock>;

pub struct MerchantsState {
    pub catalogue: CatalogueAdmin,
    pub merchants: Merchants,
    pub platform: Arc<PlatformKey>,
    pub webhook_key: Arc<WebhookKey>,
    pub keys: KeyCache,
    pub ephemeral: Ephemeral,
    pub requests_per_minute: u32,
    /// What a webhook URL must pass to be registered.
    pub targets: WebhookTargets<SystemResolver>,
    pub resends_per_minute: u32,
    pub clock: AppClock,
}

/// A partner key ready to check signatures, with what the edge decides on.
pub struct ActiveKey {
    pub partner: Partner,
    pub mchid: String,
    pub verifying: VerifyingKey,
    pub revoked: bool,
    pub merchant_active: bool,
    /// A merchant's key reaches `/v1/partner/…`, the bank's `/v1/bank/…`.
    pub kind: PartnerKind,
}

/// Parsed partner keys by serial, each kept for a few seconds: parsing an RSA key costs more
/// than checking a signature with it. A revocation or suspension made on this instance applies
/// at once (it clears the entry); one made on another instance within [`KeyCache::TTL`].
#[derive(Default)]
pub struct KeyCache {
    entries: RwLock<HashMap<KeySerial, (Instant, Arc<ActiveKey>)>>,
}

impl KeyCache {
    pub const TTL: Duration = Duration::from_secs(5);

    pub async fn get(
        &self,
        serial: &KeySerial,
        catalogue: &impl domain::merchants::ports::Catalogue,
    ) -> anyhow::Result<Option<Arc<ActiveKey>>> {
        if let Some((at, key)) = self.entries.read().unwrap_or_else(|p| p.into_inner()).get(serial) {
            if at.elapsed() < Self::TTL {
                return Ok(Some(key.clone()));
            }
        }
        let Some(key) = catalogue.key(serial).await? else { return Ok(None) };
        let Some(merchant) = catalogue.merchant(key.merchant).await? else { return Ok(None) };
        let active = Arc::new(ActiveKey {
            partner: Partner { merchant: key.merchant, store: key.store },
            mchid: merchant.mchid.as_str().to_owned(),
            verifying: VerifyingKey::from_der(&key.public_key_der)?,
            revoked: key.revoked_at.is_some(),
            merchant_active: merchant.status == MerchantStatus::Active,
            kind: merchant.kind,
        });
        let mut entries = self.entries.write().unwrap_or_else(|p| p.into_inner());
        // A long-running server sees keys come and go: forget stale entries now and then.
        if entries.len() > 10_000 {
            entries.retain(|_, (at, _)| at.elapsed() < Self::TTL);
        }
        entries.insert(serial.clone(), (Instant::now(), active.clone()));
        Ok(Some(active))
    }

    /// Forgets every cached key: after a revocation or a merchant's suspension.
    pub fn clear(&self) {
        self.entries.write().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

pub fn wire(infra: &Infra) -> anyhow::Result<MerchantsState> {
    let config = &infra.config.merchants;
    let platform = match infra.config.profile {
        Profile::Prod => PlatformKey::from_pkcs8_pem(&read(&config.platform_key_file)?)?,
        Profile::Dev => PlatformKey::load_or_create(&config.platform_key_file)?,
    };
    let store =
        DbMerchants::new(infra.db.clone(), infra.crypto.clone(), infra.config.members.privacy_policy_version.clone());
    let catalogue = CachedCatalogue::new(store.clone(), infra.clock.clone());
    Ok(MerchantsState {
        catalogue: CatalogueService { store: catalogue.clone(), clock: infra.clock.clone() },
        merchants: MerchantService {
            catalogue,
            sales: store,
            clock: infra.clock.clone(),
            code_ttl: config.member_code_ttl,
        },
        platform: Arc::new(platform),
        webhook_key: Arc::new(webhook_key(infra)?),
        keys: KeyCache::default(),
        ephemeral: infra.ephemeral.clone(),
        requests_per_minute: config.partner_requests_per_minute,
        targets: WebhookTargets { policy: config.webhook_targets.clone(), resolver: SystemResolver },
        resends_per_minute: config.webhook_resends_per_minute,
        clock: infra.clock.clone(),
    })
}

fn read(path: &std::path::Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("reading {}: {e}", path.display()))
}

/// The webhook signing key: configured in `prod`, generated into the data directory in `dev`.
pub fn webhook_key(infra: &Infra) -> anyhow::Result<WebhookKey> {
    let path = &infra.config.merchants.webhook_key_file;
    match infra.config.profile {
        Profile::Prod => WebhookKey::from_pkcs8_pem(&read(path)?),
        Profile::Dev => WebhookKey::load_or_create(path),
    }
}

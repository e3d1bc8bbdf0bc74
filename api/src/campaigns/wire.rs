//! The campaigns context's services: 会员有礼 campaigns, claims through the inventory gate, pickup.

use crate::wire::Infra;
use domain::campaigns::pickup::PickupService;
use domain::campaigns::service::CampaignService;
use domain::shared::AppClock;
use infra::db::campaign_cache::CachedCampaigns;
use infra::db::campaigns::DbCampaigns;
use infra::db::claims::DbClaims;
use infra::db::pickup::DbPickup;
use infra::gate::{AnyGate, DatabaseGate, MemoryGate, RedisGate};

pub type Campaigns = CampaignService<CachedCampaigns, DbClaims, AnyGate, AppClock>;
pub type Pickup = PickupService<DbPickup, AppClock>;

/// What the campaigns handlers receive.
pub struct CampaignsState {
    pub campaigns: Campaigns,
    pub pickup: Pickup,
    pub clock: AppClock,
    /// What the campaign pages keep between requests.
    pub pages: super::board::Pages,
    /// How the pages make way for claims at an opening.
    pub rush: super::rush::Policy,
    /// What each campaign's claims came to on this server, for the opening monitor.
    pub tally: super::tally::Tallies,
}

/// How granted claims are written: by writer threads in batches (a server), or one by one (a
/// command beside it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writes {
    Batched,
    OneByOne,
}

pub fn wire(infra: &Infra, writes: Writes) -> CampaignsState {
    let config = &infra.config.campaigns;
    let db = &infra.db;
    let gate = match &infra.redis {
        _ if !config.inventory_gate => AnyGate::Off(DatabaseGate(db.clone())),
        Some(redis) => AnyGate::Redis(RedisGate::new(redis.clone())),
        None => AnyGate::Memory(MemoryGate::default()),
    };
    let claims = match writes {
        Writes::Batched => DbClaims::batched(db.clone(), config.claim_writers),
        Writes::OneByOne => DbClaims::new(db.clone()),
    };
    CampaignsState {
        campaigns: CampaignService {
            campaigns: CachedCampaigns::new(DbCampaigns(db.clone())),
            claims,
            gate,
            clock: infra.clock.clone(),
            low_stock_percent: config.low_stock_percent,
            consent_version: infra.config.members.privacy_policy_version.clone(),
            board: Default::default(),
        },
        pickup: PickupService { store: DbPickup(db.clone()), clock: infra.clock.clone() },
        clock: infra.clock.clone(),
        pages: Default::default(),
        rush: config.rush,
        tally: Default::default(),
    }
}

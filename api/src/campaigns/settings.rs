//! The campaigns context's settings: the inventory gate, claim writers, pages in a rush.

use crate::config::{invalid, ConfigError, Vars};

#[derive(Debug, Clone)]
pub struct CampaignsConfig {
    pub low_stock_percent: u32,
    /// `false` (`SGH_INVENTORY_GATE=off`): claims are decided by the database alone.
    pub inventory_gate: bool,
    /// Threads writing granted claims in batches on PostgreSQL, each holding a pooled connection
    /// while it writes.
    pub claim_writers: usize,
    /// How campaign pages make way for claims in a rush (`SGH_RUSH_*`).
    pub rush: crate::campaigns::rush::Policy,
}

impl CampaignsConfig {
    pub(crate) fn read(v: &Vars) -> Result<Self, ConfigError> {
        Ok(Self {
            low_stock_percent: v.within("SGH_LOW_STOCK_PERCENT", 10, 0..=100)?,
            inventory_gate: match v.get("SGH_INVENTORY_GATE") {
                None | Some("on") => true,
                Some("off") => false,
                Some(other) => return Err(invalid("SGH_INVENTORY_GATE", format!("'{other}' is not on or off"))),
            },
            claim_writers: v.within("SGH_CLAIM_WRITERS", 2, 1..=16)?,
            rush: crate::campaigns::rush::Policy {
                claims_per_sec: v.within("SGH_RUSH_CLAIMS_PER_SEC", 1_000, 0..=10_000_000)?,
                claims_per_page: v.within("SGH_RUSH_CLAIMS_PER_PAGE", 6, 1..=1_000)?,
                longest: v.millis("SGH_RUSH_PAGE_WAIT_MS", 20, 1..=10_000)?,
            },
        })
    }
}

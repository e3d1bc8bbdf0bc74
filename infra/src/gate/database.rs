//! No gate: the database-only mode (`SGH_INVENTORY_GATE=off`). Every claim is decided by the
//! conditional counter update on the gift row, the way a system without Redis does it. Kept as the
//! baseline the gate is measured against and as a fallback for deployments without Redis.

use diesel::prelude::*;

use crate::db::schema::gifts;
use crate::db::Database;
use domain::campaigns::ports::{GateAnswer, GateUnavailable, GiftUsage, InventoryGate, Ticket};
use domain::campaigns::{CampaignId, GiftId};
use domain::members::MemberId;

#[derive(Clone)]
pub struct DatabaseGate(pub Database);

impl InventoryGate for DatabaseGate {
    async fn reserve(&self, _: &Ticket<'_>) -> Result<GateAnswer, GateUnavailable> {
        Ok(GateAnswer::DatabaseDecides)
    }

    async fn give_back(&self, _: &Ticket<'_>, _: Option<u32>) -> Result<(), GateUnavailable> {
        Ok(())
    }

    async fn remaining(&self, _: CampaignId, gift: GiftId, stock: u32) -> Result<Option<u32>, GateUnavailable> {
        let id = gift.to_string();
        let claimed: Option<i32> = self
            .0
            .run(move |conn| {
                Ok::<_, anyhow::Error>(gifts::table.find(id).select(gifts::claimed).first(conn).optional()?)
            })
            .await
            .map_err(GateUnavailable)?;
        Ok(claimed.map(|n| stock.saturating_sub(u32::try_from(n).unwrap_or(0))))
    }

    /// Resyncs the counter to the highest slot in use, so slots handed out while the gate was on
    /// are never handed out again (lower unused ones stay unused).
    async fn load(
        &self,
        _: CampaignId,
        gift: GiftId,
        _: u32,
        usage: &GiftUsage,
        _: &[(MemberId, u32)],
    ) -> Result<(), GateUnavailable> {
        let highest = usage.used_slots.iter().copied().max().unwrap_or(0) as i32;
        let id = gift.to_string();
        self.0
            .run(move |conn| {
                diesel::update(gifts::table.find(id).filter(gifts::claimed.lt(highest)))
                    .set(gifts::claimed.eq(highest))
                    .execute(conn)?;
                Ok::<_, anyhow::Error>(())
            })
            .await
            .map_err(GateUnavailable)
    }
}

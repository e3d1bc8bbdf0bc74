use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::json;

use super::super::audit;
use super::super::pickup::{redeemable_campaigns, state, Place};
use super::super::schema::{claims, gift_stores, gifts, stores};
use super::webhooks::enqueue_event;
use super::DbMerchants;
use domain::admin::NewAuditEntry;
use domain::campaigns::model::ClaimStatus;
use domain::campaigns::pickup::VoucherState;
use domain::campaigns::GiftId;
use domain::merchants::ports::MerchantVouchers;
use domain::merchants::webhook::{self, EventType};
use domain::merchants::{MerchantId, StoreId};

impl MerchantVouchers for DbMerchants {
    async fn list_gift_at_store(&self, gift: GiftId, store: StoreId, entry: NewAuditEntry) -> anyhow::Result<bool> {
        let (gift, store) = (gift.to_string(), store.to_string());
        self.db
            .transaction(move |conn| {
                let gift_exists: i64 = gifts::table.filter(gifts::id.eq(&gift)).count().get_result(conn)?;
                let store_exists: i64 = stores::table.filter(stores::id.eq(&store)).count().get_result(conn)?;
                if gift_exists == 0 || store_exists == 0 {
                    return Ok(false);
                }
                let already: i64 = gift_stores::table
                    .filter(gift_stores::gift_id.eq(&gift))
                    .filter(gift_stores::store_id.eq(&store))
                    .count()
                    .get_result(conn)?;
                if already == 0 {
                    diesel::insert_into(gift_stores::table)
                        .values((gift_stores::gift_id.eq(&gift), gift_stores::store_id.eq(&store)))
                        .execute(conn)?;
                    audit::append(conn, entry)?;
                }
                Ok::<_, anyhow::Error>(true)
            })
            .await
    }

    async fn voucher_state(&self, code: &str, store: StoreId, now: DateTime<Utc>) -> anyhow::Result<VoucherState> {
        let (code, store) = (code.to_owned(), store.to_string());
        self.db.run(move |conn| state(conn, &code, Place::Store(&store), now.naive_utc())).await
    }

    async fn redeem_voucher(
        &self,
        code: &str,
        store: StoreId,
        merchant: MerchantId,
        till_ref: String,
        now: DateTime<Utc>,
    ) -> anyhow::Result<VoucherState> {
        let (code, store_id) = (code.to_owned(), store.to_string());
        self.db
            .transaction(move |conn| {
                let listed: Vec<String> = gift_stores::table
                    .filter(gift_stores::store_id.eq(&store_id))
                    .select(gift_stores::gift_id)
                    .load(conn)?;
                // One conditional update: of two tills scanning the same code, one wins.
                let redeemed = diesel::update(
                    claims::table
                        .filter(claims::voucher_code.eq(&code))
                        .filter(claims::status.eq(ClaimStatus::Issued.as_str()))
                        .filter(claims::expires_at.gt(now.naive_utc()))
                        .filter(claims::gift_id.eq_any(listed))
                        .filter(claims::campaign_id.eq_any(redeemable_campaigns())),
                )
                .set((
                    claims::status.eq(ClaimStatus::Redeemed.as_str()),
                    claims::redeemed_at.eq(now.naive_utc()),
                    claims::redeemed_store.eq(&store_id),
                    claims::redeemed_till_ref.eq(&till_ref),
                ))
                .execute(conn)?;
                let after = state(conn, &code, Place::Store(&store_id), now.naive_utc())?;
                if redeemed == 1 {
                    if let VoucherState::Redeemed { gift_name, .. } = &after {
                        let (claim, gift): (String, String) = claims::table
                            .filter(claims::voucher_code.eq(&code))
                            .select((claims::id, claims::gift_id))
                            .first(conn)?;
                        let data = json!({
                            // The code itself stays with the member: the merchant just scanned it.
                            "claim_id": claim, "gift_id": gift, "gift_name": gift_name, "store_id": store_id,
                            "till_ref": till_ref,
                            "redeemed_at": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                        });
                        let event = webhook::payload(merchant, EventType::VoucherRedeemed, now, data);
                        enqueue_event(conn, &merchant.to_string(), event, now)?;
                    }
                }
                Ok::<_, anyhow::Error>(after)
            })
            .await
    }
}

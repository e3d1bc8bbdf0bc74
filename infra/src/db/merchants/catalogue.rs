use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::super::error::StoreError;
use super::super::schema::{merchants, offer_stores, offers, partner_keys, stores};
use super::super::{audit, DbConn};
use super::rows::{discount_columns, MerchantRow, OfferRow, StoreRow};
use super::DbMerchants;
use domain::admin::NewAuditEntry;
use domain::merchants::directory::Directory;
use domain::merchants::model::{BankMerchantId, BankMerchantIdTaken};
use domain::merchants::partner::{KeySerial, PartnerKey};
use domain::merchants::ports::Catalogue;
use domain::merchants::{Mchid, Merchant, MerchantId, MerchantStatus, Offer, OfferId, OfferStatus, Store, StoreId};
use std::sync::Arc;

type KeyRow = (String, String, Option<String>, Vec<u8>, chrono::NaiveDateTime, Option<chrono::NaiveDateTime>);

fn key_from(row: KeyRow) -> anyhow::Result<PartnerKey> {
    let (serial, merchant, store, der, created_at, revoked_at) = row;
    Ok(PartnerKey {
        serial: KeySerial::parse(&serial).ok_or_else(|| anyhow::anyhow!("stored serial {serial} is invalid"))?,
        merchant: merchant.parse()?,
        store: store.map(|s| s.parse()).transpose()?,
        public_key_der: der,
        created_at: created_at.and_utc(),
        revoked_at: revoked_at.map(|t| t.and_utc()),
    })
}

const KEY_COLUMNS: (
    partner_keys::serial,
    partner_keys::merchant_id,
    partner_keys::store_id,
    partner_keys::public_key_der,
    partner_keys::created_at,
    partner_keys::revoked_at,
) = (
    partner_keys::serial,
    partner_keys::merchant_id,
    partner_keys::store_id,
    partner_keys::public_key_der,
    partner_keys::created_at,
    partner_keys::revoked_at,
);

/// The offers in `rows` with their listed stores.
/// One offer, read on `conn` (inside another repository's transaction too).
pub(in crate::db) fn offer_in(conn: &mut DbConn, id: &str) -> anyhow::Result<Option<Offer>> {
    let rows: Vec<OfferRow> = offers::table.filter(offers::id.eq(id)).select(OfferRow::as_select()).load(conn)?;
    Ok(with_stores(conn, rows)?.into_iter().next())
}

fn with_stores(conn: &mut DbConn, rows: Vec<OfferRow>) -> anyhow::Result<Vec<Offer>> {
    let ids: Vec<&str> = rows.iter().filter(|r| !r.all_stores).map(|r| r.id.as_str()).collect();
    let listed: Vec<(String, String)> = if ids.is_empty() {
        Vec::new()
    } else {
        offer_stores::table
            .filter(offer_stores::offer_id.eq_any(&ids))
            .select((offer_stores::offer_id, offer_stores::store_id))
            .load(conn)?
    };
    rows.into_iter()
        .map(|row| {
            let stores = listed.iter().filter(|(o, _)| *o == row.id).map(|(_, s)| s.clone()).collect();
            row.into_offer(stores)
        })
        .collect()
}

impl Catalogue for DbMerchants {
    async fn insert_merchant(&self, m: &Merchant, entry: NewAuditEntry) -> anyhow::Result<bool> {
        let at = m.created_at.naive_utc();
        let values = (
            merchants::id.eq(m.id.to_string()),
            merchants::mchid.eq(m.mchid.as_str().to_owned()),
            merchants::name.eq(m.name.clone()),
            merchants::category.eq(m.category.clone()),
            merchants::contact.eq(m.contact.clone()),
            merchants::settlement_email.eq(m.settlement_email.as_str().to_owned()),
            merchants::status.eq(m.status.as_str()),
            merchants::created_at.eq(at),
            merchants::updated_at.eq(at),
            merchants::kind.eq(m.kind.as_str()),
            merchants::bank_merchant_id.eq(m.bank_merchant_id.as_ref().map(|b| b.as_str().to_owned())),
        );
        let outcome = self
            .db
            .transaction(move |conn| {
                diesel::insert_into(merchants::table).values(values).execute(conn).map_err(StoreError::from)?;
                audit::append(conn, entry).map_err(StoreError::from)?;
                Ok::<_, StoreError>(())
            })
            .await;
        match outcome {
            Ok(()) => Ok(true),
            Err(StoreError::UniqueViolation(what)) if what.contains("bank") => Err(BankMerchantIdTaken.into()),
            // The id is fresh: otherwise only the merchant number can clash.
            Err(StoreError::UniqueViolation(_)) => Ok(false),
            Err(StoreError::Other(e)) => Err(e),
        }
    }

    async fn merchant(&self, id: MerchantId) -> anyhow::Result<Option<Merchant>> {
        let row: Option<MerchantRow> = self
            .db
            .run(move |conn| {
                merchants::table
                    .find(id.to_string())
                    .select(MerchantRow::as_select())
                    .first(conn)
                    .optional()
                    .map_err(anyhow::Error::from)
            })
            .await?;
        row.map(Merchant::try_from).transpose()
    }

    async fn merchant_by_bank_id(&self, id: &BankMerchantId) -> anyhow::Result<Option<Merchant>> {
        let id = id.as_str().to_owned();
        let row: Option<MerchantRow> = self
            .db
            .run(move |conn| {
                merchants::table
                    .filter(merchants::bank_merchant_id.eq(id))
                    .select(MerchantRow::as_select())
                    .first(conn)
                    .optional()
                    .map_err(anyhow::Error::from)
            })
            .await?;
        row.map(Merchant::try_from).transpose()
    }

    async fn merchant_by_mchid(&self, mchid: &Mchid) -> anyhow::Result<Option<Merchant>> {
        let mchid = mchid.as_str().to_owned();
        let row: Option<MerchantRow> = self
            .db
            .run(move |conn| {
                merchants::table
                    .filter(merchants::mchid.eq(mchid))
                    .select(MerchantRow::as_select())
                    .first(conn)
                    .optional()
                    .map_err(anyhow::Error::from)
            })
            .await?;
        row.map(Merchant::try_from).transpose()
    }

    async fn merchants(&self) -> anyhow::Result<Vec<Merchant>> {
        let rows: Vec<MerchantRow> = self
            .db
            .run(|conn| {
                merchants::table
                    .order(merchants::name)
                    .select(MerchantRow::as_select())
                    .load(conn)
                    .map_err(anyhow::Error::from)
            })
            .await?;
        rows.into_iter().map(Merchant::try_from).collect()
    }

    async fn set_merchant_status(
        &self,
        id: MerchantId,
        status: MerchantStatus,
        entry: NewAuditEntry,
    ) -> anyhow::Result<bool> {
        let at = entry.at.naive_utc();
        self.db
            .transaction(move |conn| {
                let n = diesel::update(merchants::table.find(id.to_string()))
                    .set((merchants::status.eq(status.as_str()), merchants::updated_at.eq(at)))
                    .execute(conn)?;
                if n == 1 {
                    audit::append(conn, entry)?;
                }
                Ok::<_, anyhow::Error>(n == 1)
            })
            .await
    }

    async fn insert_store(&self, s: &Store, entry: NewAuditEntry) -> anyhow::Result<()> {
        let values = (
            stores::id.eq(s.id.to_string()),
            stores::merchant_id.eq(s.merchant.to_string()),
            stores::name.eq(s.name.clone()),
            stores::address.eq(s.address.clone()),
            stores::district.eq(s.district.clone()),
            stores::lat_e6.eq(s.location.lat_e6()),
            stores::lng_e6.eq(s.location.lng_e6()),
            stores::hours.eq(s.hours.clone()),
            stores::created_at.eq(entry.at.naive_utc()),
        );
        self.db
            .transaction(move |conn| {
                diesel::insert_into(stores::table).values(values).execute(conn)?;
                audit::append(conn, entry)?;
                Ok::<_, anyhow::Error>(())
            })
            .await
    }

    async fn store(&self, id: StoreId) -> anyhow::Result<Option<Store>> {
        let row: Option<StoreRow> = self
            .db
            .run(move |conn| {
                stores::table
                    .find(id.to_string())
                    .select(StoreRow::as_select())
                    .first(conn)
                    .optional()
                    .map_err(anyhow::Error::from)
            })
            .await?;
        row.map(Store::try_from).transpose()
    }

    async fn stores(&self, merchant: MerchantId) -> anyhow::Result<Vec<Store>> {
        let rows: Vec<StoreRow> = self
            .db
            .run(move |conn| {
                stores::table
                    .filter(stores::merchant_id.eq(merchant.to_string()))
                    .order(stores::id)
                    .select(StoreRow::as_select())
                    .load(conn)
                    .map_err(anyhow::Error::from)
            })
            .await?;
        rows.into_iter().map(Store::try_from).collect()
    }

    async fn directory(&self) -> anyhow::Result<Arc<Directory>> {
        let (stores, merchants): (Vec<StoreRow>, Vec<MerchantRow>) = self
            .db
            .run(move |conn| {
                // The directory leaves out the stores of merchants not read here.
                let merchants = merchants::table
                    .filter(merchants::status.eq(MerchantStatus::Active.as_str()))
                    .select(MerchantRow::as_select())
                    .load(conn)?;
                let stores = stores::table.select(StoreRow::as_select()).load(conn)?;
                Ok::<_, anyhow::Error>((stores, merchants))
            })
            .await?;
        let stores = stores.into_iter().map(Store::try_from).collect::<anyhow::Result<_>>()?;
        let merchants = merchants.into_iter().map(Merchant::try_from).collect::<anyhow::Result<_>>()?;
        Ok(Arc::new(Directory::new(stores, merchants)))
    }

    async fn insert_offer(&self, o: &Offer, entry: NewAuditEntry) -> anyhow::Result<()> {
        let (kind, bps, amount, threshold) = discount_columns(o.discount);
        let at = entry.at.naive_utc();
        let id = o.id.to_string();
        let values = (
            offers::id.eq(id.clone()),
            offers::merchant_id.eq(o.merchant.to_string()),
            offers::title.eq(o.title.clone()),
            offers::kind.eq(kind),
            offers::percent_bps.eq(bps),
            offers::amount_fen.eq(amount),
            offers::threshold_fen.eq(threshold),
            offers::cap_fen.eq(o.cap.map(|c| c.get())),
            offers::valid_from.eq(o.valid_from),
            offers::valid_until.eq(o.valid_until),
            offers::weekdays.eq(o.weekdays.bits()),
            offers::all_stores.eq(o.stores.is_none()),
            offers::audience.eq(o.audience.as_str()),
            offers::funder.eq(o.funder.as_str()),
            offers::daily_limit.eq(o.limits.daily.map(|n| n as i32)),
            offers::total_limit.eq(o.limits.total.map(|n| n as i32)),
            offers::status.eq(o.status.as_str()),
            offers::created_at.eq(at),
            offers::updated_at.eq(at),
        );
        let listed: Vec<String> = o.stores.iter().flatten().map(|s| s.to_string()).collect();
        let status = o.status.as_str();
        self.db
            .transaction(move |conn| {
                diesel::insert_into(offers::table).values(values).execute(conn)?;
                super::offer_history::log_status(conn, &id, status, entry.at)?;
                for store in listed {
                    diesel::insert_into(offer_stores::table)
                        .values((offer_stores::offer_id.eq(&id), offer_stores::store_id.eq(store)))
                        .execute(conn)?;
                }
                audit::append(conn, entry)?;
                Ok::<_, anyhow::Error>(())
            })
            .await
    }

    async fn offer(&self, id: OfferId) -> anyhow::Result<Option<Offer>> {
        self.db.run(move |conn| offer_in(conn, &id.to_string())).await
    }

    async fn offers(&self, merchant: MerchantId) -> anyhow::Result<Vec<Offer>> {
        self.db
            .run(move |conn| {
                let rows: Vec<OfferRow> = offers::table
                    .filter(offers::merchant_id.eq(merchant.to_string()))
                    .order(offers::id)
                    .select(OfferRow::as_select())
                    .load(conn)?;
                with_stores(conn, rows)
            })
            .await
    }

    async fn set_offer_status(
        &self,
        id: OfferId,
        from: OfferStatus,
        to: OfferStatus,
        entry: NewAuditEntry,
    ) -> anyhow::Result<bool> {
        let at = entry.at.naive_utc();
        self.db
            .transaction(move |conn| {
                let n = diesel::update(offers::table.find(id.to_string()).filter(offers::status.eq(from.as_str())))
                    .set((offers::status.eq(to.as_str()), offers::updated_at.eq(at)))
                    .execute(conn)?;
                if n == 1 {
                    super::offer_history::log_status(conn, &id.to_string(), to.as_str(), entry.at)?;
                    audit::append(conn, entry)?;
                }
                Ok::<_, anyhow::Error>(n == 1)
            })
            .await
    }

    async fn insert_key(&self, key: &PartnerKey, entry: NewAuditEntry) -> anyhow::Result<()> {
        let values = (
            partner_keys::serial.eq(key.serial.as_str().to_owned()),
            partner_keys::merchant_id.eq(key.merchant.to_string()),
            partner_keys::store_id.eq(key.store.map(|s| s.to_string())),
            partner_keys::public_key_der.eq(key.public_key_der.clone()),
            partner_keys::created_at.eq(key.created_at.naive_utc()),
        );
        self.db
            .transaction(move |conn| {
                diesel::insert_into(partner_keys::table).values(values).execute(conn)?;
                audit::append(conn, entry)?;
                Ok::<_, anyhow::Error>(())
            })
            .await
    }

    async fn key(&self, serial: &KeySerial) -> anyhow::Result<Option<PartnerKey>> {
        let serial = serial.as_str().to_owned();
        let row: Option<KeyRow> = self
            .db
            .run(move |conn| {
                partner_keys::table.find(serial).select(KEY_COLUMNS).first(conn).optional().map_err(anyhow::Error::from)
            })
            .await?;
        row.map(key_from).transpose()
    }

    async fn keys(&self, merchant: MerchantId) -> anyhow::Result<Vec<PartnerKey>> {
        let rows: Vec<KeyRow> = self
            .db
            .run(move |conn| {
                partner_keys::table
                    .filter(partner_keys::merchant_id.eq(merchant.to_string()))
                    .order(partner_keys::created_at)
                    .select(KEY_COLUMNS)
                    .load(conn)
                    .map_err(anyhow::Error::from)
            })
            .await?;
        rows.into_iter().map(key_from).collect()
    }

    async fn revoke_key(
        &self,
        merchant: MerchantId,
        serial: &KeySerial,
        at: DateTime<Utc>,
        entry: NewAuditEntry,
    ) -> anyhow::Result<bool> {
        let serial = serial.as_str().to_owned();
        self.db
            .transaction(move |conn| {
                let n = diesel::update(
                    partner_keys::table
                        .find(serial)
                        .filter(partner_keys::merchant_id.eq(merchant.to_string()))
                        .filter(partner_keys::revoked_at.is_null()),
                )
                .set(partner_keys::revoked_at.eq(at.naive_utc()))
                .execute(conn)?;
                if n == 1 {
                    audit::append(conn, entry)?;
                }
                Ok::<_, anyhow::Error>(n == 1)
            })
            .await
    }
}

//! Partner merchants: the catalogue (merchants, stores, offers, keys) and discounted sales.

pub(in crate::db) mod catalogue;
pub(in crate::db) mod offer_history;
pub(in crate::db) mod record;
mod rows;
pub(in crate::db) mod sales;
mod statements;
pub(in crate::db) mod usage;
mod vouchers;
mod webhooks;

use super::Database;
use crate::crypto::FieldCrypto;

/// Both merchant ports over the relational store. Member references are enciphered member ids,
/// so the field keys come along.
#[derive(Clone)]
pub struct DbMerchants {
    pub db: Database,
    pub crypto: FieldCrypto,
    /// The privacy-policy version a member must have accepted to be in standing.
    pub consent_version: String,
}

impl DbMerchants {
    pub fn new(db: Database, crypto: FieldCrypto, consent_version: String) -> Self {
        Self { db, crypto, consent_version }
    }
}

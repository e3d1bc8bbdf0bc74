//! Partner merchants: the catalogue (merchants, stores, offers, keys) and discounted sales.

mod catalogue;
mod rows;
mod sales;
mod statements;
mod vouchers;
mod webhooks;

use super::Database;
use crate::crypto::FieldCrypto;

/// Both merchant ports over the relational store. Member references are keyed digests, so the
/// field keys come along.
#[derive(Clone)]
pub struct DbMerchants {
    pub db: Database,
    pub crypto: FieldCrypto,
    /// The privacy-policy version a member must have accepted to be in standing.
    pub consent_version: String,
}

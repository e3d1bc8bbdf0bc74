//! 会员服务卡 over the relational store: cards, their history and daily handles, and the bank's
//! card events. Card numbers are kept only as a keyed digest and their last 4 digits; code secrets
//! are sealed with the field key.

mod batch;
mod events;
mod feed;
mod payout_days;
mod refunds;
mod rows;
mod store;
mod till;

use super::Database;
use crate::crypto::FieldCrypto;

#[derive(Clone)]
pub struct DbCards {
    pub db: Database,
    pub crypto: FieldCrypto,
    /// The privacy-policy version a member must have accepted to be in standing.
    pub consent_version: String,
}

impl DbCards {
    pub fn new(db: Database, crypto: FieldCrypto, consent_version: String) -> Self {
        Self { db, crypto, consent_version }
    }
}

//! Partner merchants: the catalogue (merchants, stores, offers, keys) and discounted sales.

mod catalogue;
pub(in crate::db) mod record;
mod rows;
mod sales;
mod statements;
mod vouchers;
mod webhooks;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use super::Database;
use crate::crypto::FieldCrypto;
use domain::members::MemberId;
use domain::merchants::MerchantId;

/// Both merchant ports over the relational store. Member references are keyed digests, so the
/// field keys come along.
#[derive(Clone)]
pub struct DbMerchants {
    pub db: Database,
    pub crypto: FieldCrypto,
    /// The privacy-policy version a member must have accepted to be in standing.
    pub consent_version: String,
    /// Member references this process has seen stored: a reference row is never changed once
    /// written, so a regular's visit need not write it again.
    stored_refs: Arc<Mutex<HashSet<(MerchantId, MemberId)>>>,
}

impl DbMerchants {
    pub fn new(db: Database, crypto: FieldCrypto, consent_version: String) -> Self {
        Self { db, crypto, consent_version, stored_refs: Arc::default() }
    }
}

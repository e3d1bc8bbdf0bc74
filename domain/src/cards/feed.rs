//! The bank's card transactions: matched to our merchants, cards and cardholder offers, kept once
//! per transaction id, and turned into rebates; the daily payout file; the member's lists.

use chrono::NaiveDate;
use std::collections::HashMap;

use super::error::CardError;
use super::ports::{CardFeed, CardStore};
use super::rebate::{
    best_offer, CardTransaction, KeptTransaction, NewTransaction, RebateDraft, RebateFile, RebateLine, TxLine,
    TxOutcome, TxWrite,
};
use super::service::CardService;
use super::verify::StepCodes;
use crate::members::MemberId;
use crate::merchants::offer::{beijing_day, Offer};
use crate::merchants::ports::Catalogue;
use crate::merchants::{BankMerchantId, Merchant, PartnerKind};
use crate::shared::ephemeral::OneTimeStore;
use crate::shared::{Clock, Cursor, Page, PageRequest};

/// What a batch has already read about the merchants it names: each looked up once.
#[derive(Default)]
pub struct Lookups {
    merchants: HashMap<BankMerchantId, Option<(Merchant, Vec<Offer>)>>,
}

/// How many times a transaction is tried again when a concurrent copy of it was kept first.
const ATTEMPTS: usize = 3;

impl<S, K, E, C, M> CardService<S, K, E, C, M>
where
    S: CardStore + CardFeed,
    K: StepCodes,
    E: OneTimeStore,
    C: Clock,
    M: Catalogue,
{
    async fn merchant_of(
        &self,
        id: &BankMerchantId,
        seen: &mut Lookups,
    ) -> Result<Option<(Merchant, Vec<Offer>)>, CardError> {
        if let Some(known) = seen.merchants.get(id) {
            return Ok(known.clone());
        }
        let merchant = self.catalogue.merchant_by_bank_id(id).await?.filter(|m| m.kind == PartnerKind::Merchant);
        let found = match merchant {
            Some(m) => {
                let offers = self.catalogue.offers(m.id).await?;
                Some((m, offers))
            }
            None => None,
        };
        seen.merchants.insert(id.clone(), found.clone());
        Ok(found)
    }

    /// Keeps one transaction (once per id) and its rebate, if it earns one.
    pub async fn card_transaction(
        &self,
        tx: CardTransaction,
        seen: &mut Lookups,
    ) -> Result<KeptTransaction, CardError> {
        for _ in 0..ATTEMPTS {
            if let Some(kept) = self.store.kept_transaction(&tx.id).await? {
                return Ok(kept);
            }
            let now = self.clock.now();
            let mut new = NewTransaction {
                tx: tx.clone(),
                merchant: None,
                card: None,
                outcome: TxOutcome::UnknownMerchant,
                rebate: None,
                received_at: now,
                payout_day: beijing_day(now),
            };
            let merchant = self.merchant_of(&tx.bank_merchant, seen).await?;
            let card = self.store.card_by_account(&tx.account).await?;
            new.card = card.as_ref().map(|c| (c.id, c.member));
            if let Some((m, offers)) = &merchant {
                new.merchant = Some(m.id);
                new.outcome = match &card {
                    None => TxOutcome::UnknownCard,
                    Some(c) if !c.status.is_live() => TxOutcome::CardNotActive,
                    Some(_) => {
                        let day = beijing_day(tx.occurred_at);
                        match best_offer(offers, tx.amount, day) {
                            None => TxOutcome::NoOffer,
                            Some((offer, rebate)) => {
                                new.rebate = Some(RebateDraft {
                                    offer: offer.id,
                                    amount: rebate,
                                    funder: offer.funder,
                                    day,
                                    daily_limit: offer.limits.daily,
                                    total_limit: offer.limits.total,
                                });
                                TxOutcome::Rebated
                            }
                        }
                    }
                };
            }
            match self.store.record_transaction(&new).await? {
                TxWrite::Written { outcome, rebate } => return Ok(KeptTransaction { id: tx.id, outcome, rebate }),
                TxWrite::Duplicate => continue,
            }
        }
        Err(anyhow::anyhow!("transaction {} kept colliding", tx.id.as_str()).into())
    }

    /// The rebates recorded on Beijing day `day`, with its unknown merchants.
    pub async fn rebate_file(&self, day: NaiveDate) -> Result<RebateFile, CardError> {
        let lines = self.store.rebates_on(day).await?;
        let unknown_merchants = self.store.unknown_merchants_on(day).await?;
        Ok(RebateFile { day, lines, unknown_merchants })
    }

    pub async fn member_transactions(&self, member: MemberId, page: PageRequest) -> Result<Page<TxLine>, CardError> {
        let rows = self.store.member_transactions(member, page.after.map(Cursor::key), page.limit.get() + 1).await?;
        Ok(Page::from_overfetch(rows, page.limit, |t| t.seq))
    }

    pub async fn member_rebates(&self, member: MemberId, page: PageRequest) -> Result<Page<RebateLine>, CardError> {
        let rows = self.store.member_rebates(member, page.after.map(Cursor::key), page.limit.get() + 1).await?;
        Ok(Page::from_overfetch(rows, page.limit, |r| r.seq))
    }
}

/// A batch may carry at most this many transactions.
pub const MAX_BATCH: usize = 1_000;

//! The bank's card transactions: matched to our merchants, cards and cardholder offers, kept once
//! per transaction id, and turned into rebates; the daily payout file; the member's lists.

use chrono::NaiveDate;
use std::collections::{HashMap, HashSet};

use super::error::CardError;
use super::model::{AccountToken, Card};
use super::ports::{CardFeed, CardStore};
use super::rebate::{
    rebate_candidates, CardTransaction, KeptTransaction, NewTransaction, RebateDraft, RebateFile, RebateLine,
    TransactionId, TxLine, TxOutcome, TxWrite,
};
use super::refund::{CardRefund, KeptRefund, NewRefund, RefundWrite};
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
struct Lookups {
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

    /// What a transaction not kept yet becomes: its merchant, card, and the rebate it is to get.
    fn decide(
        &self,
        tx: &CardTransaction,
        merchant: Option<&(Merchant, Vec<Offer>)>,
        card: Option<&Card>,
    ) -> NewTransaction {
        let now = self.clock.now();
        let mut new = NewTransaction {
            tx: tx.clone(),
            merchant: merchant.map(|(m, _)| m.id),
            card: card.map(|c| (c.id, c.member)),
            outcome: TxOutcome::UnknownMerchant,
            rebates: Vec::new(),
            received_at: now,
            payout_day: beijing_day(now),
        };
        let Some((_, offers)) = merchant else { return new };
        new.outcome = match card {
            None => TxOutcome::UnknownCard,
            Some(c) if !c.status.is_live() => TxOutcome::CardNotActive,
            Some(_) => {
                let day = beijing_day(tx.occurred_at);
                new.rebates = rebate_candidates(offers, tx.amount, day)
                    .into_iter()
                    .map(|(offer, amount)| RebateDraft {
                        offer: offer.id,
                        amount,
                        funder: offer.funder,
                        day,
                        daily_limit: offer.limits.daily,
                        total_limit: offer.limits.total,
                    })
                    .collect();
                if new.rebates.is_empty() {
                    TxOutcome::NoOffer
                } else {
                    TxOutcome::Rebated
                }
            }
        };
        new
    }

    /// Keeps each transaction once per id (a repeat, in the batch or later, gets the first
    /// answer) and the rebates they earn; answers in the order given.
    pub async fn card_transactions(&self, txs: Vec<CardTransaction>) -> Result<Vec<KeptTransaction>, CardError> {
        let mut answers: HashMap<TransactionId, KeptTransaction> = HashMap::with_capacity(txs.len());
        let mut seen = Lookups::default();
        let mut firsts: HashMap<&TransactionId, &CardTransaction> = HashMap::with_capacity(txs.len());
        for tx in &txs {
            let first = *firsts.entry(&tx.id).or_insert(tx);
            conflict(first, tx)?;
        }
        for _ in 0..ATTEMPTS {
            let pending: Vec<&CardTransaction> = {
                let mut firsts = HashSet::new();
                txs.iter().filter(|t| !answers.contains_key(&t.id) && firsts.insert(&t.id)).collect()
            };
            if pending.is_empty() {
                break;
            }
            for kept in self.store.kept_transactions(pending.iter().map(|t| t.id.clone()).collect()).await? {
                if let Some(tx) = pending.iter().find(|t| t.id == kept.id) {
                    conflict(&kept.first, tx)?;
                }
                answers.insert(kept.id.clone(), kept);
            }
            let fresh: Vec<&CardTransaction> = pending.into_iter().filter(|t| !answers.contains_key(&t.id)).collect();
            if fresh.is_empty() {
                break;
            }
            let tokens: HashSet<&AccountToken> = fresh.iter().map(|t| &t.account).collect();
            let mut cards: HashMap<AccountToken, Card> = HashMap::new();
            for card in self.store.cards_by_accounts(tokens.into_iter().cloned().collect()).await? {
                let Some(token) = card.account.clone() else { continue };
                // The card not cancelled wins; among cancelled ones, the latest.
                let better = cards
                    .get(&token)
                    .is_none_or(|held| (card.status.is_current(), card.id) > (held.status.is_current(), held.id));
                if better {
                    cards.insert(token, card);
                }
            }
            let mut news = Vec::with_capacity(fresh.len());
            for tx in fresh {
                let merchant = self.merchant_of(&tx.bank_merchant, &mut seen).await?;
                news.push(self.decide(tx, merchant.as_ref(), cards.get(&tx.account)));
            }
            let sent: Vec<CardTransaction> = news.iter().map(|n| n.tx.clone()).collect();
            for (first, written) in sent.into_iter().zip(self.store.record_batch(news).await?) {
                if let TxWrite::Written { outcome, rebate } = written {
                    answers.insert(first.id.clone(), KeptTransaction { id: first.id.clone(), first, outcome, rebate });
                }
            }
        }
        txs.iter()
            .map(|t| answers.get(&t.id).cloned())
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| anyhow::anyhow!("transactions kept colliding with concurrent copies").into())
    }

    /// Keeps a refund or reversal once by its id (a replay gets the first answer) and claws back
    /// what the rebate no longer earns.
    pub async fn card_refund(&self, refund: CardRefund) -> Result<KeptRefund, CardError> {
        let now = self.clock.now();
        let new = NewRefund { refund: refund.clone(), received_at: now, payout_day: beijing_day(now) };
        // A concurrent first copy on another transaction is read on the second try.
        for _ in 0..2 {
            match self.store.record_refund(new.clone()).await? {
                RefundWrite::Kept(kept) if kept.first.same_as(&refund) => return Ok(kept),
                RefundWrite::Kept(kept) => {
                    return Err(CardError::RefundConflict { first: Box::new(kept.first), again: Box::new(refund) })
                }
                RefundWrite::UnknownTransaction => {
                    return Err(CardError::TransactionNotKept(refund.transaction.as_str().to_owned()))
                }
                RefundWrite::Exceeds { remaining } => return Err(CardError::RefundExceeds { remaining }),
                RefundWrite::Raced => continue,
            }
        }
        Err(anyhow::anyhow!("refund {} kept colliding with a concurrent copy", refund.id.as_str()).into())
    }

    /// The payout file of Beijing day `day`, once the day is over: the rebates recorded that day,
    /// with its unknown merchants. Its first serve closes the day, so it never changes after.
    pub async fn rebate_file(&self, day: NaiveDate) -> Result<RebateFile, CardError> {
        let now = self.clock.now();
        if day >= beijing_day(now) {
            return Err(CardError::DayNotClosed(day));
        }
        self.store.close_payout_day(day, now).await?;
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

/// `again` under `first`'s id is the same message, or a conflict naming both.
fn conflict(first: &CardTransaction, again: &CardTransaction) -> Result<(), CardError> {
    if first.same_as(again) {
        return Ok(());
    }
    Err(CardError::TransactionConflict { first: Box::new(first.clone()), again: Box::new(again.clone()) })
}

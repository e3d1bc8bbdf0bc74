//! Card transactions and rebates. A rebate is written in the transaction that keeps its card
//! transaction, after the member's standing, the offer and a use within its limits are checked
//! there (the offer-use row lock queues concurrent rebates and sales of one member and offer).

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Date, Nullable, Text, Timestamp};
use std::sync::LazyLock;

use super::super::claims::sql::{member_standing, StandingValues};
use super::super::error::StoreError;
use super::super::merchants::offer_history::published_at;
use super::super::merchants::usage;
use super::super::prepared::hand_written;
use super::super::schema::{card_transactions, cards, rebates};
use super::super::{Backend, DbConn};
use super::rows::CardRow;
use super::DbCards;
use domain::campaigns::SHANGHAI;
use domain::cards::model::AccountToken;
use domain::cards::ports::CardFeed;
use domain::cards::rebate::{
    CardTransaction, KeptTransaction, NewTransaction, RebateLine, TransactionId, TxLine, TxOutcome, TxWrite,
    UnknownMerchant,
};
use domain::cards::refund::{NewRefund, RefundWrite};
use domain::cards::Card;
use domain::members::MemberId;
use domain::merchants::BankMerchantId;
use domain::shared::money::Fen;

/// SQLite, one transaction at a time (`$1` member, `$2` consent, `$3` offer, `$4` the purchase's
/// instant): the member in standing with an active card, and the offer published then by a
/// merchant active now. (PostgreSQL checks a whole batch at once: `super::batch`.)
static SQLITE_STILL_VALID: LazyLock<String> = LazyLock::new(|| {
    let standing = member_standing(Backend::Sqlite, &StandingValues::outside_campaigns("$1", "$2", "TRUE"));
    let published = published_at("o.id", "$4");
    format!(
        "SELECT {standing} AS standing,
                EXISTS (SELECT 1 FROM offers o JOIN merchants k ON k.id = o.merchant_id
                        WHERE o.id = $3 AND {published} AND k.status = 'active') AS offer_ok"
    )
});

#[derive(QueryableByName)]
struct StillValid {
    #[diesel(sql_type = Bool)]
    standing: bool,
    #[diesel(sql_type = Bool)]
    offer_ok: bool,
}

const REBATE_COLUMNS: &str = "r.seq, r.transaction_id, r.merchant_id, m.name AS merchant_name, t.bank_merchant_id,
     r.offer_id, o.title AS offer_title, r.member_id, r.card_id, c.number_last4, t.account_token,
     t.amount_fen AS spent_fen, r.amount_fen AS rebate_fen, r.funder, r.payout_day, t.occurred_at, r.refund_id
     FROM rebates r JOIN card_transactions t ON t.transaction_id = r.transaction_id
     JOIN merchants m ON m.id = r.merchant_id JOIN offers o ON o.id = r.offer_id JOIN cards c ON c.id = r.card_id";

#[derive(QueryableByName)]
struct RebateRow {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Text)]
    transaction_id: String,
    #[diesel(sql_type = Text)]
    merchant_id: String,
    #[diesel(sql_type = Text)]
    merchant_name: String,
    #[diesel(sql_type = Text)]
    bank_merchant_id: String,
    #[diesel(sql_type = Text)]
    offer_id: String,
    #[diesel(sql_type = Text)]
    offer_title: String,
    #[diesel(sql_type = Text)]
    member_id: String,
    #[diesel(sql_type = Text)]
    card_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    number_last4: Option<String>,
    #[diesel(sql_type = Text)]
    account_token: String,
    #[diesel(sql_type = BigInt)]
    spent_fen: i64,
    #[diesel(sql_type = BigInt)]
    rebate_fen: i64,
    #[diesel(sql_type = Text)]
    funder: String,
    #[diesel(sql_type = Date)]
    payout_day: NaiveDate,
    #[diesel(sql_type = Timestamp)]
    occurred_at: NaiveDateTime,
    #[diesel(sql_type = Nullable<Text>)]
    refund_id: Option<String>,
}

impl TryFrom<RebateRow> for RebateLine {
    type Error = anyhow::Error;
    fn try_from(r: RebateRow) -> anyhow::Result<Self> {
        Ok(RebateLine {
            seq: r.seq,
            transaction: r.transaction_id,
            merchant: r.merchant_id.parse()?,
            merchant_name: r.merchant_name,
            bank_merchant_id: r.bank_merchant_id,
            offer: r.offer_id.parse()?,
            offer_title: r.offer_title,
            member: r.member_id.parse()?,
            card: r.card_id.parse()?,
            card_last4: r.number_last4,
            account_token: r.account_token,
            spent: Fen::new(r.spent_fen),
            rebate: Fen::new(r.rebate_fen),
            funder: r.funder.parse().map_err(|()| anyhow::anyhow!("stored funder is invalid"))?,
            payout_day: r.payout_day,
            occurred_at: r.occurred_at.and_utc(),
            refund: r.refund_id,
        })
    }
}

#[derive(QueryableByName)]
struct TxRow {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Text)]
    transaction_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    merchant_name: Option<String>,
    #[diesel(sql_type = BigInt)]
    amount_fen: i64,
    #[diesel(sql_type = Timestamp)]
    occurred_at: NaiveDateTime,
    #[diesel(sql_type = Text)]
    outcome: String,
    #[diesel(sql_type = BigInt)]
    rebate_fen: i64,
}

#[derive(QueryableByName)]
struct UnknownRow {
    #[diesel(sql_type = Text)]
    bank_merchant_id: String,
    #[diesel(sql_type = BigInt)]
    transactions: i64,
    #[diesel(sql_type = BigInt)]
    amount_fen: i64,
}

fn outcome(raw: &str) -> anyhow::Result<TxOutcome> {
    TxOutcome::parse(raw).ok_or_else(|| anyhow::anyhow!("stored transaction outcome is invalid: {raw}"))
}

/// SQLite: writes the transaction, and the first of its rebates it still earns; answers what
/// became of it.
fn record(conn: &mut DbConn, consent: &str, new: &NewTransaction) -> Result<TxWrite, StoreError> {
    let (mut outcome, mut rebate, mut earned) = (new.outcome, Fen::new(0), None);
    if let (false, Some((_, member)), Some(_)) = (new.rebates.is_empty(), &new.card, &new.merchant) {
        let member = member.to_string();
        let at_till = super::till::match_one(conn, new).map_err(StoreError::from)?;
        outcome = if at_till { TxOutcome::DiscountedAtTill } else { TxOutcome::NoOffer };
        for draft in new.rebates.iter().filter(|_| !at_till) {
            let offer = draft.offer.to_string();
            let valid: StillValid = hand_written!(
                conn,
                SQLITE_STILL_VALID.as_str(),
                SQLITE_STILL_VALID.as_str(),
                [Text => member.clone(), Text => consent.to_owned(), Text => offer.clone(),
                 Timestamp => new.tx.occurred_at.naive_utc()],
                get_result
            )
            .map_err(StoreError::from)?;
            if !valid.standing {
                outcome = TxOutcome::NotInStanding;
                break;
            }
            if !valid.offer_ok {
                continue;
            }
            if usage::sqlite_take(conn, &offer, &member, draft.day, draft.daily_limit, draft.total_limit)
                .map_err(StoreError::from)?
            {
                (outcome, rebate, earned) = (TxOutcome::Rebated, draft.amount, Some(draft));
                break;
            }
            outcome = TxOutcome::LimitReached;
        }
    }
    let tx = &new.tx;
    diesel::insert_into(card_transactions::table)
        .values((
            card_transactions::transaction_id.eq(tx.id.as_str()),
            card_transactions::bank_merchant_id.eq(tx.bank_merchant.as_str()),
            card_transactions::merchant_id.eq(new.merchant.map(|m| m.to_string())),
            card_transactions::card_id.eq(new.card.map(|(c, _)| c.to_string())),
            card_transactions::member_id.eq(new.card.map(|(_, m)| m.to_string())),
            card_transactions::account_token.eq(tx.account.as_str()),
            card_transactions::amount_fen.eq(tx.amount.get()),
            card_transactions::occurred_at.eq(tx.occurred_at.naive_utc()),
            card_transactions::outcome.eq(outcome.as_str()),
            card_transactions::rebate_fen.eq(rebate.get()),
            card_transactions::received_at.eq(new.received_at.naive_utc()),
            card_transactions::payout_day.eq(new.payout_day),
        ))
        .execute(conn)
        .map_err(StoreError::from)?;
    if let (Some(draft), Some((card, member)), Some(merchant)) = (earned, &new.card, &new.merchant) {
        diesel::insert_into(rebates::table)
            .values((
                rebates::transaction_id.eq(tx.id.as_str()),
                rebates::offer_id.eq(draft.offer.to_string()),
                rebates::merchant_id.eq(merchant.to_string()),
                rebates::member_id.eq(member.to_string()),
                rebates::card_id.eq(card.to_string()),
                rebates::amount_fen.eq(rebate.get()),
                rebates::funder.eq(draft.funder.as_str()),
                rebates::payout_day.eq(new.payout_day),
                rebates::created_at.eq(new.received_at.naive_utc()),
            ))
            .execute(conn)
            .map_err(StoreError::from)?;
    }
    Ok(TxWrite::Written { outcome, rebate })
}

/// Keeps a batch whose payout days are settled: on PostgreSQL in set-based statements, on SQLite
/// one transaction at a time.
fn record_all(conn: &mut DbConn, consent: &str, txs: &[NewTransaction]) -> Result<Vec<TxWrite>, StoreError> {
    match conn {
        DbConn::Pg(pg) => super::batch::record_batch(pg, consent, txs),
        // One writer: nobody keeps a transaction between this look and the write.
        lite @ DbConn::Sqlite(_) => txs
            .iter()
            .map(|t| {
                let held = card_transactions::table
                    .filter(card_transactions::transaction_id.eq(t.tx.id.as_str()))
                    .count()
                    .get_result::<i64>(lite)
                    .map_err(StoreError::from)?;
                if held > 0 {
                    return Ok(TxWrite::Duplicate);
                }
                record(lite, consent, t)
            })
            .collect(),
    }
}

/// The instant Beijing day `day` begins, in UTC.
fn day_start(day: NaiveDate) -> NaiveDateTime {
    SHANGHAI.from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight")).unwrap().with_timezone(&Utc).naive_utc()
}

impl CardFeed for DbCards {
    async fn kept_transactions(&self, ids: Vec<TransactionId>) -> anyhow::Result<Vec<KeptTransaction>> {
        let keys: Vec<String> = ids.iter().map(|i| i.as_str().to_owned()).collect();
        type Kept = (String, String, i64, String, String, i64, NaiveDateTime);
        let rows: Vec<Kept> = self
            .db
            .run(move |conn| {
                card_transactions::table
                    .filter(card_transactions::transaction_id.eq_any(keys))
                    .select((
                        card_transactions::transaction_id,
                        card_transactions::outcome,
                        card_transactions::rebate_fen,
                        card_transactions::bank_merchant_id,
                        card_transactions::account_token,
                        card_transactions::amount_fen,
                        card_transactions::occurred_at,
                    ))
                    .load(conn)
                    .map_err(anyhow::Error::from)
            })
            .await?;
        rows.into_iter()
            .map(|(id, o, fen, bank_merchant, account, amount, occurred_at)| {
                let bad = |what: &str| anyhow::anyhow!("stored {what} of transaction {id} is invalid");
                let first = CardTransaction {
                    id: TransactionId::parse(&id).ok_or_else(|| bad("id"))?,
                    bank_merchant: BankMerchantId::parse(&bank_merchant).ok_or_else(|| bad("merchant"))?,
                    account: AccountToken::parse(&account).ok_or_else(|| bad("account"))?,
                    amount: Fen::new(amount),
                    occurred_at: occurred_at.and_utc(),
                };
                Ok(KeptTransaction { id: first.id.clone(), first, outcome: outcome(&o)?, rebate: Fen::new(fen) })
            })
            .collect()
    }

    async fn cards_by_accounts(&self, tokens: Vec<AccountToken>) -> anyhow::Result<Vec<Card>> {
        let tokens: Vec<String> = tokens.iter().map(|t| t.as_str().to_owned()).collect();
        let rows: Vec<CardRow> = self
            .db
            .run(move |conn| {
                cards::table
                    .filter(cards::account_token.eq_any(tokens))
                    .select(CardRow::as_select())
                    .load(conn)
                    .map_err(anyhow::Error::from)
            })
            .await?;
        rows.into_iter().map(Card::try_from).collect()
    }

    async fn record_batch(&self, mut txs: Vec<NewTransaction>) -> anyhow::Result<Vec<TxWrite>> {
        let consent = self.consent_version.clone();
        let outcome = self
            .db
            .transaction(move |conn| {
                // Counted into a day whose file is served already, a rebate goes to the next.
                let mut open = std::collections::BTreeMap::new();
                for t in &mut txs {
                    let day = match open.entry(t.payout_day) {
                        std::collections::btree_map::Entry::Occupied(known) => *known.get(),
                        std::collections::btree_map::Entry::Vacant(new) => {
                            *new.insert(super::payout_days::open_day(conn, t.payout_day)?)
                        }
                    };
                    t.payout_day = day;
                }
                record_all(conn, &consent, &txs)
            })
            .await;
        match outcome {
            Ok(written) => Ok(written),
            // Kept meanwhile by a concurrent batch outside this one's locks: the caller asks again.
            Err(StoreError::UniqueViolation(_)) => Ok(Vec::new()),
            Err(StoreError::Other(e)) => Err(e),
        }
    }

    async fn close_payout_day(&self, day: NaiveDate, at: DateTime<Utc>) -> anyhow::Result<()> {
        self.db.transaction(move |conn| Ok::<_, anyhow::Error>(super::payout_days::close(conn, day, at)?)).await
    }

    async fn record_refund(&self, refund: NewRefund) -> anyhow::Result<RefundWrite> {
        match self.db.transaction(move |conn| super::refunds::record(conn, refund)).await {
            Err(StoreError::UniqueViolation(_)) => Ok(RefundWrite::Raced),
            written => Ok(written?),
        }
    }

    async fn rebates_on(&self, day: NaiveDate) -> anyhow::Result<Vec<RebateLine>> {
        let sql = format!("SELECT {REBATE_COLUMNS} WHERE r.payout_day = $1 ORDER BY r.seq");
        let rows: Vec<RebateRow> = self
            .db
            .run(move |conn| diesel::sql_query(sql).bind::<Date, _>(day).load(conn).map_err(anyhow::Error::from))
            .await?;
        rows.into_iter().map(RebateLine::try_from).collect()
    }

    async fn unknown_merchants_on(&self, day: NaiveDate) -> anyhow::Result<Vec<UnknownMerchant>> {
        let (from, to) = (day_start(day), day_start(day + chrono::Duration::days(1)));
        let rows: Vec<UnknownRow> = self
            .db
            .run(move |conn| {
                diesel::sql_query(
                    "SELECT bank_merchant_id, CAST(COUNT(*) AS BIGINT) AS transactions,
                            CAST(SUM(amount_fen) AS BIGINT) AS amount_fen
                     FROM card_transactions
                     WHERE merchant_id IS NULL
                       AND ((payout_day IS NULL AND received_at >= $1 AND received_at < $2) OR payout_day = $3)
                     GROUP BY bank_merchant_id ORDER BY bank_merchant_id",
                )
                .bind::<Timestamp, _>(from)
                .bind::<Timestamp, _>(to)
                .bind::<Date, _>(day)
                .load(conn)
                .map_err(anyhow::Error::from)
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(|r| UnknownMerchant {
                bank_merchant_id: r.bank_merchant_id,
                transactions: r.transactions,
                amount: Fen::new(r.amount_fen),
            })
            .collect())
    }

    async fn member_transactions(
        &self,
        member: MemberId,
        before: Option<i64>,
        limit: u16,
    ) -> anyhow::Result<Vec<TxLine>> {
        let member = member.to_string();
        let rows: Vec<TxRow> = self
            .db
            .run(move |conn| {
                diesel::sql_query(
                    "SELECT t.seq, t.transaction_id, m.name AS merchant_name, t.amount_fen, t.occurred_at, t.outcome,
                            t.rebate_fen
                     FROM card_transactions t LEFT JOIN merchants m ON m.id = t.merchant_id
                     WHERE t.member_id = $1 AND t.seq < $2 ORDER BY t.seq DESC LIMIT $3",
                )
                .bind::<Text, _>(member)
                .bind::<BigInt, _>(before.unwrap_or(i64::MAX))
                .bind::<BigInt, _>(i64::from(limit))
                .load(conn)
                .map_err(anyhow::Error::from)
            })
            .await?;
        rows.into_iter()
            .map(|r| {
                Ok(TxLine {
                    seq: r.seq,
                    transaction: r.transaction_id,
                    merchant_name: r.merchant_name,
                    amount: Fen::new(r.amount_fen),
                    occurred_at: r.occurred_at.and_utc(),
                    outcome: outcome(&r.outcome)?,
                    rebate: Fen::new(r.rebate_fen),
                })
            })
            .collect()
    }

    async fn member_rebates(
        &self,
        member: MemberId,
        before: Option<i64>,
        limit: u16,
    ) -> anyhow::Result<Vec<RebateLine>> {
        let (member, sql) = (
            member.to_string(),
            format!("SELECT {REBATE_COLUMNS} WHERE r.member_id = $1 AND r.seq < $2 ORDER BY r.seq DESC LIMIT $3"),
        );
        let rows: Vec<RebateRow> = self
            .db
            .run(move |conn| {
                diesel::sql_query(sql)
                    .bind::<Text, _>(member)
                    .bind::<BigInt, _>(before.unwrap_or(i64::MAX))
                    .bind::<BigInt, _>(i64::from(limit))
                    .load(conn)
                    .map_err(anyhow::Error::from)
            })
            .await?;
        rows.into_iter().map(RebateLine::try_from).collect()
    }
}

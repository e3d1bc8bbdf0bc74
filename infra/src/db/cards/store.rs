use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Date, Text};
use std::sync::LazyLock;

use super::super::claims::sql::{holds_card, member_standing, StandingValues};
use super::super::error::StoreError;
use super::super::merchants::sales::FactsColumns;
use super::super::prepared::hand_written;
use super::super::schema::{card_handles, card_history, cards};
use super::super::Backend;
use super::rows::{apply_transition, insert_card, CardRow, HistoryRow};
use super::DbCards;
use domain::cards::code::DayHandle;
use domain::cards::model::{CardChange, NewCard, Transition};
use domain::cards::ports::{Applied, CardStore, EventWrite, KeptEvent};
use domain::cards::verify::{CardHandles, Holder};
use domain::cards::{Card, CardId, CardStatus, HistoryEntry};
use domain::members::MemberId;

/// A handle taken that day, or a second one for the card that day, is not written.
const DRAW_HANDLE: &str = "INSERT INTO card_handles (day, handle, card_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";

#[derive(QueryableByName)]
struct Standing {
    #[diesel(sql_type = Bool)]
    ok: bool,
}

/// `$1` the member, `$2` the consent version: the rule every benefit uses.
fn standing_sql(backend: Backend) -> String {
    let v = StandingValues::outside_campaigns("$1", "$2", "FALSE");
    format!("SELECT {} AS ok", member_standing(backend, &v))
}

impl DbCards {
    fn open_secret(&self, sealed: &str) -> anyhow::Result<Vec<u8>> {
        Ok(hex::decode(self.crypto.open(sealed)?)?)
    }
}

/// `$1` consent, `$2` day, `$3` handle: the card, its secret and its member's facts, in one
/// look-up (a till's verification waits on it).
fn holder_sql(backend: Backend) -> String {
    let standing = member_standing(backend, &StandingValues::outside_campaigns("c.member_id", "$1", "FALSE"));
    format!(
        "SELECT c.id, c.member_id, c.status, c.secret_cipher, m.name_cipher, m.id IS NOT NULL AS present,
                {standing} AS in_standing, {card} AS cardholder
         FROM card_handles h JOIN cards c ON c.id = h.card_id
         LEFT JOIN members m ON m.id = c.member_id AND m.erased_at IS NULL
         WHERE h.day = $2 AND h.handle = $3",
        card = holds_card("c.member_id")
    )
}

static PG_HOLDER: LazyLock<String> = LazyLock::new(|| holder_sql(Backend::Postgres));
static SQLITE_HOLDER: LazyLock<String> = LazyLock::new(|| holder_sql(Backend::Sqlite));

#[derive(QueryableByName)]
struct HolderRow {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Text)]
    member_id: String,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = Text)]
    secret_cipher: String,
    #[diesel(embed)]
    facts: FactsColumns,
}

impl CardHandles for DbCards {
    async fn holder(&self, day: NaiveDate, handle: &DayHandle) -> anyhow::Result<Option<Holder>> {
        let (pg, lite) = (PG_HOLDER.as_str(), SQLITE_HOLDER.as_str());
        let (consent, handle) = (self.consent_version.clone(), handle.as_str().to_owned());
        let row: Option<HolderRow> = self
            .db
            .run(move |conn| {
                hand_written!(conn, pg, lite, [Text => consent, Date => day, Text => handle], get_result)
                    .optional()
                    .map_err(anyhow::Error::from)
            })
            .await?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(Holder {
            card: r.id.parse()?,
            member: r.member_id.parse()?,
            status: CardStatus::parse(&r.status).ok_or_else(|| anyhow::anyhow!("stored card status is invalid"))?,
            secret: self.open_secret(&r.secret_cipher)?,
            facts: r.facts.open(&self.crypto)?,
        }))
    }
}

impl CardStore for DbCards {
    async fn apply(&self, card: &NewCard) -> anyhow::Result<Applied> {
        let (card, crypto, consent) = (card.clone(), self.crypto.clone(), self.consent_version.clone());
        let sql = standing_sql(self.db.backend());
        let outcome = self
            .db
            .transaction(move |conn| {
                let standing: Standing = diesel::sql_query(sql)
                    .bind::<Text, _>(card.member.to_string())
                    .bind::<Text, _>(consent)
                    .get_result(conn)
                    .map_err(StoreError::from)?;
                if !standing.ok {
                    return Ok(Applied::NotInStanding);
                }
                insert_card(conn, &crypto, &card).map_err(StoreError::from)?;
                Ok::<_, StoreError>(Applied::Written)
            })
            .await;
        match outcome {
            Ok(applied) => Ok(applied),
            // The id is fresh and no number is set: only the one-current-card rule can clash.
            Err(StoreError::UniqueViolation(_)) => Ok(Applied::AlreadyHeld),
            Err(StoreError::Other(e)) => Err(e),
        }
    }

    async fn cards_of(&self, member: MemberId) -> anyhow::Result<Vec<Card>> {
        let member = member.to_string();
        let rows: Vec<CardRow> = self
            .db
            .run(move |conn| {
                cards::table
                    .filter(cards::member_id.eq(member))
                    .order(cards::id.desc())
                    .select(CardRow::as_select())
                    .load(conn)
                    .map_err(anyhow::Error::from)
            })
            .await?;
        rows.into_iter().map(Card::try_from).collect()
    }

    async fn card(&self, id: CardId) -> anyhow::Result<Option<Card>> {
        let id = id.to_string();
        let row: Option<CardRow> = self
            .db
            .run(move |conn| {
                cards::table.find(id).select(CardRow::as_select()).first(conn).optional().map_err(anyhow::Error::from)
            })
            .await?;
        row.map(Card::try_from).transpose()
    }

    async fn history(&self, of: Vec<CardId>) -> anyhow::Result<Vec<HistoryEntry>> {
        let ids: Vec<String> = of.iter().map(ToString::to_string).collect();
        let rows: Vec<HistoryRow> = self
            .db
            .run(move |conn| {
                card_history::table
                    .filter(card_history::card_id.eq_any(ids))
                    .order(card_history::id)
                    .select((
                        card_history::card_id,
                        card_history::event,
                        card_history::from_status,
                        card_history::to_status,
                        card_history::at,
                    ))
                    .load(conn)
                    .map_err(anyhow::Error::from)
            })
            .await?;
        rows.into_iter().map(HistoryEntry::try_from).collect()
    }

    async fn secret(&self, card: CardId) -> anyhow::Result<Vec<u8>> {
        let id = card.to_string();
        let sealed: String = self
            .db
            .run(move |conn| {
                cards::table.find(id).select(cards::secret_cipher).first(conn).map_err(anyhow::Error::from)
            })
            .await?;
        self.open_secret(&sealed)
    }

    async fn transition(&self, change: &Transition) -> anyhow::Result<bool> {
        let (change, crypto) = (change.clone(), self.crypto.clone());
        self.db.transaction(move |conn| Ok::<_, anyhow::Error>(apply_transition(conn, &crypto, &change)?)).await
    }

    async fn handles(&self, card: CardId, days: Vec<NaiveDate>) -> anyhow::Result<Vec<(NaiveDate, DayHandle)>> {
        let card = card.to_string();
        let found: Vec<(NaiveDate, String)> = self
            .db
            .write(move |conn| {
                let mut found = Vec::with_capacity(days.len());
                for day in days {
                    // A drawn handle may be taken that day (10¹⁰ of them): draw again. A
                    // concurrent sync that drew first wins, and both read its handle.
                    for _ in 0..8 {
                        let held: Option<String> = card_handles::table
                            .filter(card_handles::card_id.eq(&card))
                            .filter(card_handles::day.eq(day))
                            .select(card_handles::handle)
                            .first(conn)
                            .optional()?;
                        if let Some(handle) = held {
                            found.push((day, handle));
                            break;
                        }
                        diesel::sql_query(DRAW_HANDLE)
                            .bind::<Date, _>(day)
                            .bind::<Text, _>(DayHandle::random().as_str().to_owned())
                            .bind::<Text, _>(&card)
                            .execute(conn)?;
                    }
                }
                Ok::<_, anyhow::Error>(found)
            })
            .await?;
        found
            .into_iter()
            .map(|(day, h)| Ok((day, DayHandle::parse(&h).ok_or_else(|| anyhow::anyhow!("stored handle is invalid"))?)))
            .collect()
    }

    async fn forget_handles_before(&self, day: NaiveDate) -> anyhow::Result<u64> {
        let gone = self
            .db
            .write(move |conn| {
                diesel::delete(card_handles::table.filter(card_handles::day.lt(day)))
                    .execute(conn)
                    .map_err(anyhow::Error::from)
            })
            .await?;
        Ok(gone as u64)
    }

    async fn changes(&self, before: Option<i64>, limit: u16) -> anyhow::Result<Vec<CardChange>> {
        let rows: Vec<(i64, HistoryRow, Option<String>)> = self
            .db
            .run(move |conn| {
                let mut q = card_history::table
                    .inner_join(cards::table.on(cards::id.eq(card_history::card_id)))
                    .order(card_history::id.desc())
                    .limit(i64::from(limit))
                    .select((
                        card_history::id,
                        (
                            card_history::card_id,
                            card_history::event,
                            card_history::from_status,
                            card_history::to_status,
                            card_history::at,
                        ),
                        cards::number_last4,
                    ))
                    .into_boxed();
                if let Some(before) = before {
                    q = q.filter(card_history::id.lt(before));
                }
                q.load(conn).map_err(anyhow::Error::from)
            })
            .await?;
        rows.into_iter()
            .map(|(seq, row, last4)| Ok(CardChange { seq, entry: HistoryEntry::try_from(row)?, last4 }))
            .collect()
    }

    async fn applications(&self, after: Option<CardId>, limit: u16) -> anyhow::Result<Vec<Card>> {
        let after = after.map_or_else(String::new, |a| a.to_string());
        let rows: Vec<CardRow> = self
            .db
            .run(move |conn| {
                cards::table
                    .filter(cards::status.eq(CardStatus::Applied.as_str()))
                    .filter(cards::id.gt(after))
                    .order(cards::id)
                    .limit(i64::from(limit))
                    .select(CardRow::as_select())
                    .load(conn)
                    .map_err(anyhow::Error::from)
            })
            .await?;
        rows.into_iter().map(Card::try_from).collect()
    }

    async fn kept_event(&self, event_id: &str) -> anyhow::Result<Option<KeptEvent>> {
        super::events::kept(self, event_id).await
    }

    async fn keep_event(
        &self,
        event: &KeptEvent,
        change: Option<&Transition>,
        new_card: Option<&NewCard>,
    ) -> anyhow::Result<EventWrite> {
        super::events::keep(self, event, change, new_card).await
    }
}

//! A member's consent and its history: each acceptance and withdrawal a row, written with the
//! change it records.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::super::schema::{member_consents, members};
use super::super::DbConn;
use super::DbMembers;
use domain::members::{ConsentEvent, MemberId};

/// A consent history row's action.
const GIVEN: &str = "given";
const WITHDRAWN: &str = "withdrawn";

fn consent_event(conn: &mut DbConn, id: &str, version: &str, action: &str, at: DateTime<Utc>) -> QueryResult<()> {
    diesel::insert_into(member_consents::table)
        .values((
            member_consents::member_id.eq(id),
            member_consents::policy_version.eq(version),
            member_consents::action.eq(action),
            member_consents::at.eq(at.naive_utc()),
        ))
        .execute(conn)
        .map(drop)
}

impl DbMembers {
    /// Records the consent with a history row, together.
    pub(super) async fn give_consent(&self, id: MemberId, version: &str, now: DateTime<Utc>) -> anyhow::Result<()> {
        let (id, version) = (id.to_string(), version.to_owned());
        self.write(move |conn| {
            diesel::update(members::table.find(&id))
                .set((members::consent_version.eq(&version), members::consent_at.eq(now.naive_utc())))
                .execute(conn)?;
            consent_event(conn, &id, &version, GIVEN, now)
        })
        .await
    }

    /// Clears the consent with a history row, together; `false` when there was none.
    pub(super) async fn take_consent_back(&self, id: MemberId, now: DateTime<Utc>) -> anyhow::Result<bool> {
        let id = id.to_string();
        self.db
            .transaction(move |conn| {
                // The check and the change in one statement: two withdrawals at once record one.
                let withdrawn = diesel::update(members::table.find(&id))
                    .filter(members::consent_version.is_not_null())
                    .set((members::consent_version.eq(None::<String>), members::consent_at.eq(None::<NaiveDateTime>)))
                    .execute(conn)?;
                if withdrawn == 0 {
                    return Ok::<_, anyhow::Error>(false);
                }
                let last: String = member_consents::table
                    .filter(member_consents::member_id.eq(&id))
                    .order(member_consents::id.desc())
                    .select(member_consents::policy_version)
                    .first(conn)
                    .optional()?
                    .unwrap_or_default();
                consent_event(conn, &id, &last, WITHDRAWN, now)?;
                Ok(true)
            })
            .await
    }

    /// Oldest first.
    pub(super) async fn consents(&self, id: MemberId) -> anyhow::Result<Vec<ConsentEvent>> {
        let id = id.to_string();
        let rows: Vec<(String, String, NaiveDateTime)> = self
            .db
            .run(move |conn| {
                member_consents::table
                    .filter(member_consents::member_id.eq(&id))
                    .order(member_consents::id.asc())
                    .select((member_consents::policy_version, member_consents::action, member_consents::at))
                    .load(conn)
                    .map_err(anyhow::Error::from)
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(|(version, action, at)| ConsentEvent { version, given: action == GIVEN, at: at.and_utc() })
            .collect())
    }
}

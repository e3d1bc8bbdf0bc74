//! Members' e-mail addresses: sealed like their phones, confirmed by a code kept as a keyed hash.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::super::jobs;
use super::super::schema::members;
use super::{DbMembers, EMAIL};
use domain::mail::OutboundEmail;
use domain::members::MemberId;
use domain::shared::EmailAddress;

impl DbMembers {
    /// E-mail codes are kept as keyed hashes, bound to the member they were sent to.
    fn email_code_hash(&self, id: MemberId, code: &str) -> String {
        self.crypto.blind_index("email-code", &format!("{id}:{code}"))
    }

    /// A confirmed address, sealed — or, confirmed before addresses were sealed and not yet sealed
    /// by [`DbMembers::seal_plain_emails`], still plain (a sealed value has no `@`).
    pub(super) fn email(&self, stored: Option<String>) -> anyhow::Result<Option<EmailAddress>> {
        let Some(stored) = stored else { return Ok(None) };
        let plain = if stored.contains('@') { stored } else { self.crypto.open(&stored)? };
        Ok(Some(EmailAddress::parse(&plain)?))
    }

    /// Seals the addresses confirmed before addresses were sealed (the migration that began
    /// sealing could not: SQL does not hold the key). Run at every start; usually there is none.
    pub async fn seal_plain_emails(&self) -> anyhow::Result<usize> {
        let crypto = self.crypto.clone();
        self.db
            .transaction(move |conn| {
                // Every sealed write sets the index (the partial index `members_plain_email` holds
                // the rest, so this look costs nothing once all are sealed); a sealed value has no `@`.
                let plain: Vec<(String, String)> = members::table
                    .filter(members::email_cipher.is_not_null().and(members::email_index.is_null()))
                    .select((members::id, members::email_cipher.assume_not_null()))
                    .load::<(String, String)>(conn)?
                    .into_iter()
                    .filter(|(_, email)| email.contains('@'))
                    .collect();
                for (id, email) in &plain {
                    diesel::update(members::table.find(id).filter(members::email_cipher.eq(email)))
                        .set((
                            members::email_cipher.eq(crypto.seal(email)),
                            members::email_index.eq(crypto.blind_index(EMAIL, &email.to_lowercase())),
                        ))
                        .execute(conn)?;
                }
                Ok::<_, anyhow::Error>(plain.len())
            })
            .await
    }

    /// Keeps the new address sealed with its code's keyed hash and queues the mail that carries
    /// the code, together.
    pub(super) async fn queue_confirmation(
        &self,
        id: MemberId,
        email: &EmailAddress,
        code: &str,
        now: DateTime<Utc>,
        expires: DateTime<Utc>,
        mail: OutboundEmail,
    ) -> anyhow::Result<()> {
        let hash = self.email_code_hash(id, code);
        let (id, sealed) = (id.to_string(), self.crypto.seal(email.as_str()));
        // The body carries the live code: sealed like the address, never plain in the jobs table.
        let mail = mail.to_sealed_secret_payload(&self.crypto.seal(mail.to.as_str()), &self.crypto.seal(&mail.body));
        self.write(move |conn| {
            diesel::update(members::table.find(&id))
                .set((
                    members::pending_email_cipher.eq(sealed),
                    members::email_code_hash.eq(hash),
                    members::email_code_expires_at.eq(expires.naive_utc()),
                    members::email_code_tries.eq(0),
                ))
                .execute(conn)?;
            jobs::enqueue(conn, domain::jobs::JobKind::Mail, mail, now)
        })
        .await
    }

    /// The pending address, if `code` is its code and tries are left; every try is counted.
    pub(super) async fn confirm_pending(
        &self,
        id: MemberId,
        code: &str,
        now: DateTime<Utc>,
        max_tries: u32,
    ) -> anyhow::Result<Option<EmailAddress>> {
        let max_tries = i32::try_from(max_tries).unwrap_or(i32::MAX);
        let hash = self.email_code_hash(id, code);
        let (id, now) = (id.to_string(), now.naive_utc());
        let crypto = self.crypto.clone();
        let confirmed: Option<String> = self
            .db
            .transaction(move |conn| {
                // Every try is counted before the code is looked at, in one statement that holds the
                // row: of a burst of guesses at once only the first `max_tries` are judged at all.
                let counted = diesel::update(
                    members::table
                        .find(&id)
                        .filter(members::email_code_hash.is_not_null())
                        .filter(members::email_code_tries.lt(max_tries)),
                )
                .set(members::email_code_tries.eq(members::email_code_tries + 1))
                .execute(conn)?;
                let pending: Option<String> = if counted == 0 {
                    None
                } else {
                    members::table
                        .find(&id)
                        .filter(members::email_code_hash.eq(&hash))
                        .filter(members::email_code_expires_at.gt(now))
                        .select(members::pending_email_cipher)
                        .first::<Option<String>>(conn)
                        .optional()?
                        .flatten()
                };
                let pending = pending.map(|sealed| crypto.open(&sealed)).transpose()?;
                if let Some(email) = &pending {
                    diesel::update(members::table.find(&id))
                        .set((
                            members::email_cipher.eq(crypto.seal(email)),
                            members::email_index.eq(crypto.blind_index(EMAIL, &email.to_lowercase())),
                            members::pending_email_cipher.eq(None::<String>),
                            members::email_code_hash.eq(None::<String>),
                            members::email_code_expires_at.eq(None::<NaiveDateTime>),
                            members::updated_at.eq(now),
                        ))
                        .execute(conn)?;
                } else {
                    // The last allowed try, if wrong, burns the code.
                    diesel::update(members::table.find(&id).filter(members::email_code_tries.ge(max_tries)))
                        .set((
                            members::pending_email_cipher.eq(None::<String>),
                            members::email_code_hash.eq(None::<String>),
                            members::email_code_expires_at.eq(None::<NaiveDateTime>),
                        ))
                        .execute(conn)?;
                }
                Ok::<_, anyhow::Error>(pending)
            })
            .await?;
        confirmed.as_deref().map(EmailAddress::parse).transpose().map_err(Into::into)
    }
}

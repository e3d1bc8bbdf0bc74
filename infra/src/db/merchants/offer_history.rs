//! An offer's status history: what the bank feed judges a late-reported purchase by.

use chrono::{DateTime, Utc};
use diesel::result::Error as DieselError;
use diesel::sql_types::{Text, Timestamp};

use super::super::prepared::hand_written;
use super::super::DbConn;

/// SQL true when offer `offer` was published at instant `at` (both SQL expressions), by its
/// status history: a transaction reported days later is judged by the offer as it stood then.
pub(in crate::db) fn published_at(offer: &str, at: &str) -> String {
    format!(
        "(SELECT s.status FROM offer_status_log s WHERE s.offer_id = {offer} AND s.since <= {at}
          ORDER BY s.since DESC, s.seq DESC LIMIT 1) = 'published'"
    )
}

/// Writes `offer`'s new status into its history (in the transaction that sets it).
pub(in crate::db) fn log_status(
    conn: &mut DbConn,
    offer: &str,
    status: &str,
    at: DateTime<Utc>,
) -> Result<(), DieselError> {
    const LOG: &str = "INSERT INTO offer_status_log (offer_id, status, since) VALUES ($1, $2, $3)";
    hand_written!(conn, LOG, LOG, [Text => offer.to_owned(), Text => status.to_owned(), Timestamp => at.naive_utc()], execute)?;
    Ok(())
}

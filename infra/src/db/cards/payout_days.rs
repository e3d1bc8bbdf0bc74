//! Closed payout days. A day's payout file is served only once the Beijing day is over, and its
//! first serve closes the day: it waits for every write still counting rebates into that day,
//! and any write after it counts into the next open day. So a file, once served, never changes,
//! and a batch decided at 23:59:59 that commits after the bank's pull lands in the next file
//! rather than in none.
//!
//! On PostgreSQL writers hold the day's advisory lock shared until they commit and the close
//! takes it exclusively (advisory locks live in memory: a million writers a day share one without
//! touching a row); SQLite has one writer, so the close simply goes before or after each write.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Date, Timestamp};

use super::super::prepared::hand_written;
use super::super::DbConn;

/// The advisory lock's first key: payout days, apart from any other use of advisory locks.
const PG_WRITE: &str =
    "SELECT TRUE AS ok FROM (SELECT pg_advisory_xact_lock_shared(7301, $1::date - DATE '2000-01-01')) AS held";
const PG_CLOSE: &str =
    "SELECT TRUE AS ok FROM (SELECT pg_advisory_xact_lock(7301, $1::date - DATE '2000-01-01')) AS held";
const NO_LOCK: &str = "SELECT $1 IS NOT NULL AS ok";

const CLOSED: &str = "SELECT EXISTS (SELECT 1 FROM payout_days WHERE day = $1) AS ok";
const CLOSE: &str = "INSERT INTO payout_days (day, closed_at) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING";

#[derive(QueryableByName)]
struct Ok {
    #[diesel(sql_type = Bool)]
    ok: bool,
}

/// The payout day a write made now counts into: `day` unless it is closed, else the first day
/// after it that is not. Holds each day it looks at until the write commits.
pub(super) fn open_day(conn: &mut DbConn, mut day: NaiveDate) -> QueryResult<NaiveDate> {
    loop {
        let _: Ok = hand_written!(conn, PG_WRITE, NO_LOCK, [Date => day], get_result)?;
        let closed: Ok = hand_written!(conn, CLOSED, CLOSED, [Date => day], get_result)?;
        let closed = closed.ok;
        if !closed {
            return Ok(day);
        }
        day = day.succ_opt().ok_or(diesel::result::Error::NotFound)?;
    }
}

/// Closes `day` (once; later calls change nothing), after every write counting into it.
pub(super) fn close(conn: &mut DbConn, day: NaiveDate, at: DateTime<Utc>) -> QueryResult<()> {
    let _: Ok = hand_written!(conn, PG_CLOSE, NO_LOCK, [Date => day], get_result)?;
    hand_written!(conn, CLOSE, CLOSE, [Date => day, Timestamp => at.naive_utc()], execute)?;
    Ok(())
}

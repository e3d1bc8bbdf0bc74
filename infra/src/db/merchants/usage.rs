//! A member's uses of an offer: the total on the (offer, member) row, each Beijing day's count on
//! its own (offer, member, day) row. Every writer takes the (offer, member) row first (PostgreSQL's
//! row lock; SQLite has one writer), so the day rows are only changed under it, and uses dated out
//! of order each count on their own day.
//!
//! Both rows carry the limit their last use was counted under in a CHECK constraint, so on
//! PostgreSQL a sale's one statement cannot count a use past a limit: the statement fails whole
//! (nothing of it is kept) and [`limit_refused`] says that is what it was.

use chrono::NaiveDate;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{Date, Integer, Nullable, Text};

use super::super::prepared::hand_written;
use super::super::DbConn;

/// PostgreSQL, inside a sale's statement: counts one use for member `$1` of offer `$3` on day
/// `$4` (limits `$5` daily, `$6` total, NULL for none) for each row of `valid`; `used_day` has a
/// row when both were counted.
pub(super) const PG_TAKE_USE: &str = "used AS (
         INSERT INTO offer_usage (offer_id, member_id, total_used, total_limit)
         SELECT $3, $1, 1, $6 FROM valid
         ON CONFLICT (offer_id, member_id) DO UPDATE
         SET total_used = offer_usage.total_used + 1, total_limit = EXCLUDED.total_limit
         RETURNING 1),
     used_day AS (
         INSERT INTO offer_day_usage (offer_id, member_id, day, used, day_limit)
         SELECT $3, $1, $4, 1, $5 FROM used
         ON CONFLICT (offer_id, member_id, day) DO UPDATE
         SET used = offer_day_usage.used + 1, day_limit = EXCLUDED.day_limit
         RETURNING 1)";

/// Whether a statement failed because a use would have gone past a limit.
pub(in crate::db) fn limit_refused(e: &DieselError) -> bool {
    matches!(e, DieselError::DatabaseError(DatabaseErrorKind::CheckViolation, info)
        if matches!(info.constraint_name(), Some("offer_usage_within_limit" | "offer_day_usage_within_limit")))
}

/// SQLite (one writer, so what it reads holds until it writes): the day's use, if neither the
/// day's count nor the total is at its limit.
const SQLITE_TAKE_DAY: &str = "INSERT INTO offer_day_usage (offer_id, member_id, day, used, day_limit)
     SELECT $1, $2, $3, 1, $4
     WHERE $5 IS NULL OR COALESCE((SELECT total_used FROM offer_usage WHERE offer_id = $1 AND member_id = $2), 0) < $5
     ON CONFLICT (offer_id, member_id, day) DO UPDATE
     SET used = offer_day_usage.used + 1, day_limit = excluded.day_limit
     WHERE excluded.day_limit IS NULL OR offer_day_usage.used < excluded.day_limit";

const SQLITE_TAKE_TOTAL: &str = "INSERT INTO offer_usage (offer_id, member_id, total_used, total_limit)
     VALUES ($1, $2, 1, $3)
     ON CONFLICT (offer_id, member_id) DO UPDATE
     SET total_used = offer_usage.total_used + 1, total_limit = excluded.total_limit";

/// SQLite: counts one use of `offer` by `member` on `day` if the limits allow; `false` otherwise.
pub(in crate::db) fn sqlite_take(
    conn: &mut DbConn,
    offer: &str,
    member: &str,
    day: NaiveDate,
    daily: Option<u32>,
    total: Option<u32>,
) -> Result<bool, DieselError> {
    let (daily, total) = (daily.map(|n| n as i32), total.map(|n| n as i32));
    let taken = hand_written!(
        conn,
        SQLITE_TAKE_DAY,
        SQLITE_TAKE_DAY,
        [Text => offer.to_owned(), Text => member.to_owned(), Date => day, Nullable<Integer> => daily, Nullable<Integer> => total],
        execute
    )?;
    if taken == 0 {
        return Ok(false);
    }
    hand_written!(
        conn,
        SQLITE_TAKE_TOTAL,
        SQLITE_TAKE_TOTAL,
        [Text => offer.to_owned(), Text => member.to_owned(), Nullable<Integer> => total],
        execute
    )?;
    Ok(true)
}

/// Gives back a use made on `day` (a reversed sale, a refunded purchase): the total first, as
/// every writer takes it.
const GIVE_BACK_TOTAL: &str = "UPDATE offer_usage SET total_used = total_used - 1
     WHERE offer_id = $1 AND member_id = $2 AND total_used > 0";
const GIVE_BACK_DAY: &str = "UPDATE offer_day_usage SET used = used - 1
     WHERE offer_id = $1 AND member_id = $2 AND day = $3 AND used > 0";

pub(in crate::db) fn give_back(
    conn: &mut DbConn,
    offer: &str,
    member: &str,
    day: NaiveDate,
) -> Result<(), DieselError> {
    hand_written!(conn, GIVE_BACK_TOTAL, GIVE_BACK_TOTAL, [Text => offer.to_owned(), Text => member.to_owned()], execute)?;
    hand_written!(conn, GIVE_BACK_DAY, GIVE_BACK_DAY, [Text => offer.to_owned(), Text => member.to_owned(), Date => day], execute)?;
    Ok(())
}

//! Telling "a dependency is down" apart from "something is broken": the first is a 503 the caller
//! may retry, the second a 500. Partners retry on 503 and never on 500, so the difference matters.

use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// A dependency (the database, Redis) did not answer in time or lost its connection.
#[derive(Debug, thiserror::Error)]
#[error("{0} is unavailable")]
pub struct Unavailable(pub &'static str);

/// Whether any error in the chain says a dependency is down rather than that a request or the
/// code is wrong.
pub fn is_unavailable(e: &anyhow::Error) -> bool {
    // `downcast_ref` also finds an `Unavailable` given as context, which `chain` would show only
    // as its message.
    e.downcast_ref::<Unavailable>().is_some()
        || e.chain().any(|cause| {
            if cause.is::<Unavailable>() || cause.is::<diesel::r2d2::PoolError>() {
                return true;
            }
            if let Some(e) = cause.downcast_ref::<DieselError>() {
                return diesel_unavailable(e);
            }
            if let Some(e) = cause.downcast_ref::<redis::RedisError>() {
                return e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.is_connection_refusal();
            }
            false
        })
}

pub(crate) fn diesel_unavailable(e: &DieselError) -> bool {
    match e {
        // A read-only transaction: a replica promoted or a primary demoted under us, for now.
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::ReadOnlyTransaction, _) => {
            true
        }
        // SQLite's writer lock held past the busy timeout: the store is saturated, not wrong.
        DieselError::DatabaseError(DatabaseErrorKind::Unknown, info) => info.message().contains("database is locked"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_failures_are_told_from_bugs() {
        let closed = DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, Box::new("gone".to_owned()));
        assert!(is_unavailable(&anyhow::Error::from(closed).context("loading a member")));
        let read_only =
            DieselError::DatabaseError(DatabaseErrorKind::ReadOnlyTransaction, Box::new("standby".to_owned()));
        assert!(is_unavailable(&read_only.into()), "a demoted primary is an outage, not a bug");
        let too_many =
            DieselError::DatabaseError(DatabaseErrorKind::UnableToSendCommand, Box::new("too many".to_owned()));
        assert!(!is_unavailable(&too_many.into()), "a refusal of our own making is a bug");
        let locked = DieselError::DatabaseError(DatabaseErrorKind::Unknown, Box::new("database is locked".to_owned()));
        assert!(is_unavailable(&locked.into()));
        assert!(is_unavailable(&anyhow::Error::new(Unavailable("the database")).context("claim")));
        assert!(is_unavailable(&anyhow::anyhow!("pool timed out").context(Unavailable("the database")).context("x")));
        let io = redis::RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionReset));
        assert!(is_unavailable(&io.into()));

        assert!(!is_unavailable(&anyhow::anyhow!("replayed claim vanished")));
        assert!(!is_unavailable(&DieselError::NotFound.into()));
        let syntax = DieselError::DatabaseError(DatabaseErrorKind::Unknown, Box::new("syntax error".to_owned()));
        assert!(!is_unavailable(&syntax.into()));
    }
}

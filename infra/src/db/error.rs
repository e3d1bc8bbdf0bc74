use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// What a repository's transaction can end in, before the repository turns it into the error its
/// port promises (a unique violation becomes `Duplicate`, and so on).
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    /// The violated constraint's name as the migrations spell it, on either backend.
    #[error("unique constraint violated: {0}")]
    UniqueViolation(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

/// SQLite names the columns of a violated constraint, not the constraint: the ones whose violation
/// a repository tells apart, by their columns as SQLite lists them.
const SQLITE_UNIQUES: [(&str, &str); 5] = [
    ("claims.gift_id, claims.slot", "claims_slot"),
    ("claims.gift_id, claims.member_id, claims.gift_seq", "claims_gift_seq"),
    ("claims.campaign_id, claims.member_id, claims.campaign_seq", "claims_campaign_seq"),
    ("claims.request_key", "claims_request"),
    ("claims.voucher_code", "claims_voucher"),
];

fn constraint_name(info: &dyn diesel::result::DatabaseErrorInformation) -> String {
    if let Some(name) = info.constraint_name() {
        return name.to_owned();
    }
    let message = info.message();
    let columns = message.strip_prefix("UNIQUE constraint failed: ").unwrap_or(message);
    SQLITE_UNIQUES.iter().find(|(cols, _)| *cols == columns).map_or(message, |(_, name)| name).to_owned()
}

impl From<DieselError> for StoreError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                StoreError::UniqueViolation(constraint_name(info.as_ref()))
            }
            other => StoreError::Other(other.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unique(message: &str) -> StoreError {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, Box::new(message.to_owned())).into()
    }

    #[test]
    fn sqlite_violations_are_named_like_the_constraints() {
        for (message, name) in [
            ("UNIQUE constraint failed: claims.gift_id, claims.slot", "claims_slot"),
            (
                "UNIQUE constraint failed: claims.campaign_id, claims.member_id, claims.campaign_seq",
                "claims_campaign_seq",
            ),
            ("UNIQUE constraint failed: claims.request_key", "claims_request"),
        ] {
            assert!(matches!(unique(message), StoreError::UniqueViolation(n) if n == name), "{message}");
        }
        // Unlisted constraints keep the message, which names nothing a repository matches on.
        assert!(matches!(unique("UNIQUE constraint failed: members.phone_index"),
            StoreError::UniqueViolation(n) if n == "UNIQUE constraint failed: members.phone_index"));
    }
}

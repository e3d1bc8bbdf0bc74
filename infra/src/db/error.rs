use diesel::result::{DatabaseErrorKind, Error as DieselError};

/// What a repository's transaction can end in, before the repository turns it into the error its
/// port promises (a unique violation becomes `Duplicate`, and so on).
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    #[error("unique constraint violated: {0}")]
    UniqueViolation(String),
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl From<DieselError> for StoreError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                StoreError::UniqueViolation(info.constraint_name().unwrap_or(info.message()).to_owned())
            }
            other => StoreError::Other(other.into()),
        }
    }
}

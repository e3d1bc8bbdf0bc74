use super::code::UnionCode;

/// Why a change to the tree was refused.
#[derive(Debug, thiserror::Error)]
pub enum UnionError {
    #[error("only admins and operators change the tree")]
    Forbidden,
    #[error("no union {0}")]
    NotFound(UnionCode),
    #[error("the code {0} is taken")]
    CodeTaken(UnionCode),
    #[error("{field}: {en}")]
    Invalid { field: &'static str, zh: String, en: String },
    /// A kind that may not sit where it is put, a move under its own subtree, the root.
    #[error("{en}")]
    Placement { zh: String, en: String },
    #[error("the union {0} is closed")]
    Closed(UnionCode),
    #[error("{0} active members still belong to it")]
    HasMembers(u64),
    #[error("{0} open unions still sit under it")]
    HasChildren(u64),
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl UnionError {
    pub fn invalid(field: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        UnionError::Invalid { field, zh: zh.into(), en: en.into() }
    }
}

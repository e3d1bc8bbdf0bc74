//! How many working days each kind of application may wait for a decision.

use std::collections::BTreeMap;

use super::model::ApplicationKind;

/// What the work report asks for when nothing else is set.
pub const DEFAULT_WORKING_DAYS: u32 = 5;
/// Longer than a quarter is not a time limit.
pub const MAX_WORKING_DAYS: u32 = 60;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecisionLimits(BTreeMap<ApplicationKind, u32>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a time limit is 1-{MAX_WORKING_DAYS} working days")]
pub struct InvalidLimit;

impl Default for DecisionLimits {
    fn default() -> Self {
        Self(ApplicationKind::ALL.into_iter().map(|k| (k, DEFAULT_WORKING_DAYS)).collect())
    }
}

impl DecisionLimits {
    /// The defaults with `set` laid over them.
    pub fn with(set: impl IntoIterator<Item = (ApplicationKind, u32)>) -> Result<Self, InvalidLimit> {
        let mut limits = Self::default();
        for (kind, days) in set {
            if !(1..=MAX_WORKING_DAYS).contains(&days) {
                return Err(InvalidLimit);
            }
            limits.0.insert(kind, days);
        }
        Ok(limits)
    }

    pub fn of(&self, kind: ApplicationKind) -> u32 {
        self.0.get(&kind).copied().unwrap_or(DEFAULT_WORKING_DAYS)
    }

    pub fn iter(&self) -> impl Iterator<Item = (ApplicationKind, u32)> + '_ {
        self.0.iter().map(|(k, d)| (*k, *d))
    }
}

//! Which step a case in a given state may take, and who may take it.

use chrono::{DateTime, Months, Utc};

use super::error::{FileProblem, Ineligible, ServiceError};
use super::files::Upload;
use super::form::Form;
use super::model::{CaseState, Category, Eligibility};
use crate::admin::Role;
use crate::shared::money::Fen;

/// A step staff take on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// 受理; the one accepting takes the case if nobody has it.
    Accept,
    /// Sent back for missing material: what is missing.
    Return {
        missing: String,
    },
    Assign {
        to: String,
    },
    /// A consultation's or complaint's answer.
    Answer {
        body: String,
    },
    /// An application approved, paying `amount` if its kind pays.
    Approve {
        amount: Option<Fen>,
        note: Option<String>,
    },
    Refuse {
        reason: String,
    },
    Close {
        note: Option<String>,
    },
}

impl Step {
    pub fn action(&self) -> &'static str {
        match self {
            Step::Accept => "case.accept",
            Step::Return { .. } => "case.return",
            Step::Assign { .. } => "case.assign",
            Step::Answer { .. } => "case.answer",
            Step::Approve { .. } => "case.approve",
            Step::Refuse { .. } => "case.refuse",
            Step::Close { .. } => "case.close",
        }
    }
}

/// Who works on cases: caseworkers, and operators and admins as their supervisors.
pub fn check_role(role: Role) -> Result<(), ServiceError> {
    if role == Role::Caseworker || role.may_write() {
        Ok(())
    } else {
        Err(ServiceError::Forbidden)
    }
}

/// The state `step` leads to from `state`, for a case of `category`, taken by `role`.
pub fn next_state(state: CaseState, category: Category, step: &Step, role: Role) -> Result<CaseState, ServiceError> {
    use CaseState as S;
    let wrong = || Err(ServiceError::WrongState(state));
    match step {
        Step::Accept => match state {
            S::Submitted => Ok(S::Accepted),
            _ => wrong(),
        },
        Step::Return { .. } => match state {
            S::Submitted | S::Accepted => Ok(S::Returned),
            _ => wrong(),
        },
        Step::Assign { .. } => match state {
            S::Submitted | S::Returned | S::Accepted | S::Reopened => Ok(state),
            _ => wrong(),
        },
        Step::Answer { .. } => match (state, category) {
            (S::Accepted, Category::Consultation | Category::Complaint) => Ok(S::Answered),
            _ => wrong(),
        },
        Step::Approve { .. } | Step::Refuse { .. } => match (state, category) {
            (S::Accepted, Category::Application) => {
                Ok(if matches!(step, Step::Approve { .. }) { S::Approved } else { S::Refused })
            }
            _ => wrong(),
        },
        Step::Close { .. } => match state {
            S::Answered | S::Approved | S::Refused => Ok(S::Closed),
            // A reopened case's review is a supervisor's.
            S::Reopened if role.may_write() => Ok(S::Closed),
            S::Reopened => Err(ServiceError::SupervisorOnly),
            _ => wrong(),
        },
    }
}

/// The state a member's answer to a return leads back to: where the case was when returned.
pub fn resubmitted(state: CaseState, accepted_before: bool) -> Result<CaseState, ServiceError> {
    match state {
        CaseState::Returned if accepted_before => Ok(CaseState::Accepted),
        CaseState::Returned => Ok(CaseState::Submitted),
        other => Err(ServiceError::WrongState(other)),
    }
}

/// A member may withdraw what the union has not answered yet.
pub fn withdrawable(state: CaseState) -> Result<(), ServiceError> {
    match state {
        CaseState::Submitted | CaseState::Returned | CaseState::Accepted => Ok(()),
        other => Err(ServiceError::WrongState(other)),
    }
}

/// Messages go both ways until the case is closed or withdrawn.
pub fn open_for_messages(state: CaseState) -> Result<(), ServiceError> {
    match state {
        CaseState::Closed | CaseState::Withdrawn => Err(ServiceError::WrongState(state)),
        _ => Ok(()),
    }
}

/// How long after closing a member may score a case (跟踪回访).
pub const FOLLOW_UP_DAYS: i64 = 7;
/// When the member is reminded, once, if they have not scored it.
pub const REMIND_AFTER_DAYS: i64 = 3;
/// A score this low reopens the case for a supervisor's review.
pub const LOW_SCORE: u8 = 2;

/// A 1–5 score.
pub fn score(raw: i64) -> Option<u8> {
    u8::try_from(raw).ok().filter(|s| (1..=5).contains(s))
}

/// Whether a case closed at `closed_at` may be scored at `now`: closed (not withdrawn), not scored, within
/// [`FOLLOW_UP_DAYS`]. The state it goes to: reopened for a low score, closed otherwise.
pub fn rated(
    state: CaseState,
    closed_at: Option<DateTime<Utc>>,
    scored: bool,
    score: u8,
    now: DateTime<Utc>,
) -> Result<CaseState, ServiceError> {
    match (state, closed_at) {
        (CaseState::Closed, Some(at)) if !scored => {
            if now >= at + chrono::Duration::days(FOLLOW_UP_DAYS) {
                Err(ServiceError::RatingClosed)
            } else if score <= LOW_SCORE {
                Ok(CaseState::Reopened)
            } else {
                Ok(CaseState::Closed)
            }
        }
        _ => Err(ServiceError::WrongState(state)),
    }
}

/// What the store knows of the one asking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// Since when they are an active member; `None` if they are not.
    pub member_since: Option<DateTime<Utc>>,
    pub cardholder: bool,
}

pub fn check_eligible(rule: Eligibility, standing: Standing, now: DateTime<Utc>) -> Result<(), ServiceError> {
    let needs_member = rule.member || rule.min_months > 0;
    match standing.member_since {
        None if needs_member => return Err(ServiceError::Ineligible(Ineligible::NotMember)),
        Some(since)
            if rule.min_months > 0
                && since.checked_add_months(Months::new(rule.min_months)).is_none_or(|t| t > now) =>
        {
            return Err(ServiceError::Ineligible(Ineligible::TooRecent { months: rule.min_months }));
        }
        _ => {}
    }
    if rule.cardholder && !standing.cardholder {
        return Err(ServiceError::Ineligible(Ineligible::NoCard));
    }
    Ok(())
}

/// The files sent fit the form's slots: each known, within its count and size, of a type it takes,
/// and every required slot filled (`complete`: a first submission, not an answer to a return).
pub fn check_files(form: &Form, files: &[Upload], complete: bool) -> Result<(), ServiceError> {
    let problem = |p| Err(ServiceError::File(p));
    for f in files {
        let Some(slot) = form.slot(&f.slot) else {
            return problem(FileProblem::UnknownSlot { slot: f.slot.clone() });
        };
        if f.bytes == 0 {
            return problem(FileProblem::Empty { slot: f.slot.clone() });
        }
        if f.bytes > slot.max_bytes {
            return problem(FileProblem::TooLarge { slot: f.slot.clone(), max: slot.max_bytes });
        }
        if !slot.types.contains(&f.file_type) {
            return problem(FileProblem::WrongType { slot: f.slot.clone() });
        }
    }
    for slot in form.attachments() {
        let n = files.iter().filter(|f| f.slot == slot.key.as_str()).count();
        if n > slot.max_files as usize {
            return problem(FileProblem::TooMany { slot: slot.key.to_string(), max: slot.max_files });
        }
        if complete && slot.required && n == 0 {
            return problem(FileProblem::Missing { slot: slot.key.to_string() });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn applications_are_decided_and_questions_answered() {
        let accepted = CaseState::Accepted;
        let answer = Step::Answer { body: "x".into() };
        let approve = Step::Approve { amount: None, note: None };
        assert_eq!(
            next_state(accepted, Category::Consultation, &answer, Role::Caseworker).unwrap(),
            CaseState::Answered
        );
        assert!(next_state(accepted, Category::Application, &answer, Role::Caseworker).is_err());
        assert_eq!(
            next_state(accepted, Category::Application, &approve, Role::Caseworker).unwrap(),
            CaseState::Approved
        );
        assert!(next_state(CaseState::Submitted, Category::Application, &approve, Role::Caseworker).is_err());
        assert!(next_state(CaseState::Closed, Category::Complaint, &Step::Accept, Role::Admin).is_err());
    }

    #[test]
    fn a_reopened_case_is_closed_by_a_supervisor_only() {
        let close = Step::Close { note: None };
        assert!(matches!(
            next_state(CaseState::Reopened, Category::Complaint, &close, Role::Caseworker),
            Err(ServiceError::SupervisorOnly)
        ));
        assert_eq!(
            next_state(CaseState::Reopened, Category::Complaint, &close, Role::Operator).unwrap(),
            CaseState::Closed
        );
    }

    #[test]
    fn eligibility_counts_months_of_membership() {
        let now: DateTime<Utc> = "2026-12-07T00:00:00Z".parse().unwrap();
        let rule = Eligibility { member: true, cardholder: false, min_months: 6 };
        let since = |s: &str| Standing { member_since: Some(s.parse().unwrap()), cardholder: false };
        assert!(check_eligible(rule, since("2026-06-07T00:00:00Z"), now).is_ok());
        assert!(check_eligible(rule, since("2026-06-08T00:00:00Z"), now).is_err());
        assert!(check_eligible(rule, Standing { member_since: None, cardholder: true }, now).is_err());
        let card = Eligibility { member: false, cardholder: true, min_months: 0 };
        assert!(check_eligible(card, Standing { member_since: None, cardholder: false }, now).is_err());
        assert!(check_eligible(Eligibility::default(), Standing { member_since: None, cardholder: false }, now).is_ok());
    }
}

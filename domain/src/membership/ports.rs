use chrono::{DateTime, Utc};
use std::future::Future;

use super::error::MembershipError;
use super::limits::DecisionLimits;
use super::model::{Application, ApplicationFilter, ApplicationId, Comment, Decision, Request, Spell};
use super::moves::{MoveRow, Moved};
use super::report::{Basis, Month};
use crate::admin::NewAuditEntry;
use crate::members::MemberId;
use crate::shared::working_days::CalendarYear;
use crate::shared::{Page, PageRequest};
use crate::unions::{NodePath, UnionCode};

/// Applications and the membership history, as kept. Each change runs in one transaction that
/// locks what it starts from (the application's row; for an approval the member's roster row and
/// the federation's member-number counter) and checks it with [`super::rules`]. `within` is the
/// part of the tree the one asking works in (`None`: all of it): outside it, nothing is.
pub trait MembershipStore: Send + Sync + 'static {
    /// Files a request, its time limit counted from `now` in working days.
    fn submit(
        &self,
        member: MemberId,
        request: Request,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Application, MembershipError>> + Send;
    /// A member's applications, newest first.
    fn of_member(&self, member: MemberId) -> impl Future<Output = anyhow::Result<Vec<Application>>> + Send;
    fn withdraw(
        &self,
        member: MemberId,
        id: ApplicationId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Application, MembershipError>> + Send;
    /// The member's membership history, oldest first.
    fn spells(&self, member: MemberId) -> impl Future<Output = anyhow::Result<Vec<Spell>>> + Send;
    fn list(
        &self,
        filter: ApplicationFilter,
        within: Option<NodePath>,
        now: DateTime<Utc>,
        page: PageRequest,
    ) -> impl Future<Output = anyhow::Result<Page<Application>>> + Send;
    fn get(
        &self,
        id: ApplicationId,
        within: Option<NodePath>,
    ) -> impl Future<Output = Result<Application, MembershipError>> + Send;
    /// Approves (writing the roster and the history) or refuses; audit-logged, the member told.
    fn decide(
        &self,
        id: ApplicationId,
        decision: Decision,
        within: Option<NodePath>,
        audit: NewAuditEntry,
    ) -> impl Future<Output = Result<Application, MembershipError>> + Send;
    fn comment(
        &self,
        id: ApplicationId,
        comment: Comment,
        within: Option<NodePath>,
    ) -> impl Future<Output = Result<Application, MembershipError>> + Send;
    /// Moves every open application past its limit at `now` one step up the tree; returns how many.
    fn escalate_overdue(&self, now: DateTime<Utc>) -> impl Future<Output = anyhow::Result<u64>> + Send;
    /// What the report on the part of the tree under `union` is counted from, over `[from, to]`.
    fn report_basis(
        &self,
        union: UnionCode,
        within: Option<NodePath>,
        from: Month,
        to: Month,
    ) -> impl Future<Output = Result<Basis, MembershipError>> + Send;
    /// Moves the active members numbered in `rows` to `to`, in one transaction: what became of each
    /// row, by its line. A target that cannot take them refuses the whole batch.
    fn move_batch(
        &self,
        to: UnionCode,
        rows: Vec<MoveRow>,
        within: Option<NodePath>,
        audit: NewAuditEntry,
    ) -> impl Future<Output = Result<Vec<(MoveRow, Moved)>, MembershipError>> + Send;
    fn calendar(&self, year: i32) -> impl Future<Output = anyhow::Result<CalendarYear>> + Send;
    /// Replaces a year's calendar and moves the deadlines of open applications with it.
    fn set_calendar(&self, year: CalendarYear, audit: NewAuditEntry)
        -> impl Future<Output = anyhow::Result<()>> + Send;
    fn limits(&self) -> impl Future<Output = anyhow::Result<DecisionLimits>> + Send;
    /// Replaces the limits and moves the deadlines of open applications with them.
    fn set_limits(
        &self,
        limits: DecisionLimits,
        audit: NewAuditEntry,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

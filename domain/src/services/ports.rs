use chrono::{DateTime, Utc};
use std::future::Future;

use super::error::ServiceError;
use super::form::Answers;
use super::model::{Attachment, AttachmentId, Case, CaseFilter, CaseId, Event, Kind, KindCode, Read};
use super::payouts::{Budget, Payout, PayoutFilter, PayoutId};
use super::rules::{Standing, Step};
use crate::admin::{NewAuditEntry, Role};
use crate::members::MemberId;
use crate::shared::money::Fen;
use crate::shared::paging::{PairCursor, PairPage};
use crate::shared::Limit;
use crate::unions::{NodePath, UnionCode};

/// A new case, its files already in the file store.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub id: CaseId,
    pub kind: Kind,
    pub member: MemberId,
    pub answers: Answers,
    pub attachments: Vec<Attachment>,
    /// What the member adds in their own words.
    pub message: Option<String>,
}

/// Something a member does to their own case.
#[derive(Debug, Clone)]
pub enum MemberAct {
    Message {
        body: String,
        attachments: Vec<Attachment>,
    },
    /// The answer to a return: what was missing, in words and files.
    Resubmit {
        body: Option<String>,
        attachments: Vec<Attachment>,
    },
    Withdraw,
    /// The follow-up: a 1–5 score and what the member adds.
    Rate {
        score: u8,
        comment: Option<String>,
    },
}

/// Who reads a case or its file: its member, or staff working `within` (every read logged).
#[derive(Debug, Clone)]
pub enum Reader {
    Member(MemberId),
    Staff { name: String, role: Role, within: Option<NodePath>, at: DateTime<Utc> },
}

/// Cases and kinds as kept. Every change runs in one transaction that locks the case's row and
/// checks the state it starts from with [`super::rules`]; deadlines are recomputed from the case's
/// events with [`super::schedule`] whenever they or the calendar change.
pub trait CaseStore: Send + Sync + 'static {
    fn kinds(&self, retired_too: bool) -> impl Future<Output = anyhow::Result<Vec<Kind>>> + Send;
    fn kind(&self, code: &KindCode) -> impl Future<Output = Result<Kind, ServiceError>> + Send;
    fn create_kind(&self, kind: Kind, audit: NewAuditEntry) -> impl Future<Output = Result<Kind, ServiceError>> + Send;
    /// Replaces a kind; its open cases' deadlines follow its new limits.
    fn update_kind(&self, kind: Kind, audit: NewAuditEntry) -> impl Future<Output = Result<Kind, ServiceError>> + Send;
    /// The member's standing and their union (`None` when not an active member).
    fn standing(&self, member: MemberId) -> impl Future<Output = anyhow::Result<(Standing, Option<UnionCode>)>> + Send;
    /// Files a case in the queue of `union` (the member's, or the root's for one who is not a member).
    fn submit(
        &self,
        case: NewCase,
        union: Option<UnionCode>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Case, ServiceError>> + Send;
    /// The member's cases, newest first (the last 100), without their threads.
    fn of_member(&self, member: MemberId) -> impl Future<Output = anyhow::Result<Vec<Case>>> + Send;
    fn member_act(
        &self,
        member: MemberId,
        id: CaseId,
        act: MemberAct,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Case, ServiceError>> + Send;
    /// A staff queue: open cases by deadline (overdue first, stopped clocks last), or those of a
    /// state newest first; without threads.
    fn list(
        &self,
        filter: CaseFilter,
        within: Option<NodePath>,
        now: DateTime<Utc>,
        limit: Limit,
        after: Option<PairCursor>,
    ) -> impl Future<Output = anyhow::Result<PairPage<Case>>> + Send;
    /// The whole case; a staff reader's read is logged in the same transaction.
    fn get(&self, id: CaseId, reader: Reader) -> impl Future<Output = Result<Case, ServiceError>> + Send;
    fn step(
        &self,
        id: CaseId,
        step: Step,
        role: Role,
        within: Option<NodePath>,
        audit: NewAuditEntry,
    ) -> impl Future<Output = Result<Case, ServiceError>> + Send;
    /// A staff message to the member, or a note among staff.
    fn post(
        &self,
        id: CaseId,
        event: Event,
        within: Option<NodePath>,
    ) -> impl Future<Output = Result<Case, ServiceError>> + Send;
    /// A file of the case, as the reader may see it (logged for staff).
    fn attachment(
        &self,
        case: CaseId,
        id: AttachmentId,
        reader: Reader,
    ) -> impl Future<Output = Result<Attachment, ServiceError>> + Send;
    /// Staff reads of cases in `within`, newest first, of one case if given.
    fn reads(
        &self,
        case: Option<CaseId>,
        within: Option<NodePath>,
        limit: Limit,
        after: Option<PairCursor>,
    ) -> impl Future<Output = Result<PairPage<Read>, ServiceError>> + Send;
    /// Sets a kind's budget for a union (in `within`) and a year.
    fn set_budget(
        &self,
        kind: KindCode,
        union: UnionCode,
        year: i32,
        cap: Fen,
        within: Option<NodePath>,
        audit: NewAuditEntry,
    ) -> impl Future<Output = Result<Budget, ServiceError>> + Send;
    fn budgets(
        &self,
        year: Option<i32>,
        kind: Option<KindCode>,
        within: Option<NodePath>,
    ) -> impl Future<Output = anyhow::Result<Vec<Budget>>> + Send;
    /// Payouts of cases in `within`, oldest first.
    fn payouts(
        &self,
        filter: PayoutFilter,
        within: Option<NodePath>,
    ) -> impl Future<Output = anyhow::Result<Vec<Payout>>> + Send;
    /// What the report on the part of the tree at `under` (in `within`) over `[from, to)` counts from.
    fn report_facts(
        &self,
        under: UnionCode,
        within: Option<NodePath>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<super::report::Facts>, ServiceError>> + Send;
    /// Marks a payout paid by `by` (`bank`, or a member of staff, audit-logged).
    fn mark_paid(
        &self,
        id: PayoutId,
        by: String,
        bank_ref: Option<String>,
        within: Option<NodePath>,
        now: DateTime<Utc>,
        audit: Option<NewAuditEntry>,
    ) -> impl Future<Output = Result<Payout, ServiceError>> + Send;
    /// Erases what a member wrote and sent in their cases, keeping what the books and the audit trail need
    /// (kinds, dates, states, amounts, payouts, who of staff read them); open cases are withdrawn. Returns the
    /// files to forget.
    fn erase_member(
        &self,
        member: MemberId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<Vec<AttachmentId>>> + Send;
    /// Reminds, once, each member whose case closed [`super::rules::REMIND_AFTER_DAYS`] ago and is not scored;
    /// returns how many.
    fn remind_due(&self, now: DateTime<Utc>) -> impl Future<Output = anyhow::Result<u64>> + Send;
    /// Moves every open case past its limit at `now` up the tree, as many steps as ran out.
    fn escalate_overdue(&self, now: DateTime<Utc>) -> impl Future<Output = anyhow::Result<u64>> + Send;
}

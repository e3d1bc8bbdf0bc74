//! Service cases on both backends. A case's scope is its union's place in the tree (see
//! [`super::unions`]): staff above it see it. Its deadline is recomputed from its events whenever
//! they, its kind's limits or the calendar change ([`domain::services::schedule`]); `queue_rank`
//! keeps the result in an indexed column for the queue's order.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

mod cases;
mod hydrate;
mod kinds;
mod payouts;
mod reads;
mod report;
mod timers;

pub(crate) use timers::redate_open;

use super::schema::{service_cases, union_nodes};
use super::{Database, DbConn};
use crate::crypto::FieldCrypto;
use domain::admin::{NewAuditEntry, Role};
use domain::members::MemberId;
use domain::services::model::{Attachment, AttachmentId, Case, CaseFilter, CaseId, Event, Kind, KindCode, Read};
use domain::services::payouts::{Budget, Payout, PayoutFilter, PayoutId};
use domain::services::ports::{CaseStore, MemberAct, NewCase, Reader};
use domain::services::rules::{Standing, Step};
use domain::services::ServiceError;
use domain::shared::money::Fen;
use domain::shared::paging::{PairCursor, PairPage};
use domain::shared::Limit;
use domain::unions::{NodePath, UnionCode};

#[derive(Clone)]
pub struct DbCases {
    db: Database,
    crypto: FieldCrypto,
}

impl DbCases {
    pub fn new(db: Database, crypto: FieldCrypto) -> Self {
        Self { db, crypto }
    }
}

/// A failure inside a transaction: refused by the rules, or the store's. Either rolls it back.
#[derive(Debug)]
struct Refused(ServiceError);

impl From<ServiceError> for Refused {
    fn from(e: ServiceError) -> Self {
        Self(e)
    }
}

impl From<anyhow::Error> for Refused {
    fn from(e: anyhow::Error) -> Self {
        Self(ServiceError::Unknown(e))
    }
}

impl From<diesel::result::Error> for Refused {
    fn from(e: diesel::result::Error) -> Self {
        Self(ServiceError::Unknown(e.into()))
    }
}

#[derive(Queryable, Selectable, Clone)]
#[diesel(table_name = service_cases)]
struct Row {
    seq: i64,
    id: String,
    kind_code: String,
    member_id: String,
    union_code: String,
    queue_code: String,
    state: String,
    assignee: Option<String>,
    answers_cipher: String,
    submitted_at: NaiveDateTime,
    due_at: Option<NaiveDateTime>,
    queue_rank: NaiveDateTime,
    escalations: i32,
    late: bool,
    amount_fen: Option<i64>,
    resolved_at: Option<NaiveDateTime>,
    closed_at: Option<NaiveDateTime>,
    score: Option<i32>,
}

impl Row {
    fn state(&self) -> anyhow::Result<domain::services::CaseState> {
        domain::services::CaseState::parse(&self.state)
            .ok_or_else(|| anyhow::anyhow!("case {}: state {}", self.id, self.state))
    }
}

fn utc(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

/// Where cases whose clock is stopped, or that are done, sort in the queue: after every deadline.
fn never() -> NaiveDateTime {
    chrono::NaiveDate::from_ymd_opt(9999, 1, 1).expect("a date").and_time(chrono::NaiveTime::MIN)
}

fn path_of(conn: &mut DbConn, code: &str) -> QueryResult<Option<NodePath>> {
    let path: Option<String> =
        union_nodes::table.filter(union_nodes::code.eq(code)).select(union_nodes::path).first(conn).optional()?;
    Ok(path.map(NodePath::stored))
}

/// The codes of the unions in `within`'s subtree: what a scoped query's union column is one of.
#[diesel::dsl::auto_type]
fn unions_in(within: &NodePath) -> _ {
    let (lo, hi): (String, String) = super::unions::subtree_range(within.as_str());
    union_nodes::table.filter(union_nodes::path.ge(lo)).filter(union_nodes::path.lt(hi)).select(union_nodes::code)
}

/// Whether staff working `within` see the case: its union lies in their part.
fn check_seen(conn: &mut DbConn, r: &Row, within: Option<&NodePath>) -> Result<(), Refused> {
    let Some(within) = within else { return Ok(()) };
    let path = path_of(conn, &r.union_code)?;
    if path.is_some_and(|p| within.contains(&p)) {
        Ok(())
    } else {
        Err(Refused(ServiceError::NotFound))
    }
}

fn is_unique_violation(e: &ServiceError) -> bool {
    matches!(
        e,
        ServiceError::Unknown(e) if matches!(
            e.downcast_ref::<diesel::result::Error>(),
            Some(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
        )
    )
}

impl CaseStore for DbCases {
    async fn kinds(&self, retired_too: bool) -> anyhow::Result<Vec<Kind>> {
        self.db.run(move |conn| kinds::all(conn, retired_too)).await
    }

    async fn kind(&self, code: &KindCode) -> Result<Kind, ServiceError> {
        let code = code.clone();
        self.db.run(move |conn| kinds::one(conn, &code)).await.map_err(|Refused(e)| e)
    }

    async fn create_kind(&self, kind: Kind, audit: NewAuditEntry) -> Result<Kind, ServiceError> {
        match self.db.transaction(move |conn| kinds::create(conn, kind, audit)).await {
            Err(Refused(e)) if is_unique_violation(&e) => Err(ServiceError::KindExists),
            other => other.map_err(|Refused(e)| e),
        }
    }

    async fn update_kind(&self, kind: Kind, audit: NewAuditEntry) -> Result<Kind, ServiceError> {
        self.db.transaction(move |conn| kinds::update(conn, kind, audit)).await.map_err(|Refused(e)| e)
    }

    async fn standing(&self, member: MemberId) -> anyhow::Result<(Standing, Option<UnionCode>)> {
        self.db.run(move |conn| cases::standing(conn, &member.to_string())).await
    }

    async fn submit(&self, case: NewCase, union: Option<UnionCode>, now: DateTime<Utc>) -> Result<Case, ServiceError> {
        let crypto = self.crypto.clone();
        self.db.transaction(move |conn| cases::submit(conn, &crypto, case, union, now)).await.map_err(|Refused(e)| e)
    }

    async fn of_member(&self, member: MemberId) -> anyhow::Result<Vec<Case>> {
        let crypto = self.crypto.clone();
        self.db.run(move |conn| reads::of_member(conn, &crypto, &member.to_string())).await
    }

    async fn member_act(
        &self,
        member: MemberId,
        id: CaseId,
        act: MemberAct,
        now: DateTime<Utc>,
    ) -> Result<Case, ServiceError> {
        let crypto = self.crypto.clone();
        self.db
            .transaction(move |conn| cases::member_act(conn, &crypto, member, id, act, now))
            .await
            .map_err(|Refused(e)| e)
    }

    async fn list(
        &self,
        filter: CaseFilter,
        within: Option<NodePath>,
        now: DateTime<Utc>,
        limit: Limit,
        after: Option<PairCursor>,
    ) -> anyhow::Result<PairPage<Case>> {
        let crypto = self.crypto.clone();
        self.db.snapshot(move |conn| reads::list(conn, &crypto, filter, within, now, limit, after)).await
    }

    async fn get(&self, id: CaseId, reader: Reader) -> Result<Case, ServiceError> {
        let crypto = self.crypto.clone();
        let work = move |conn: &mut DbConn| reads::get(conn, &crypto, id, &reader);
        self.db.transaction(work).await.map_err(|Refused(e)| e)
    }

    async fn step(
        &self,
        id: CaseId,
        step: Step,
        role: Role,
        within: Option<NodePath>,
        audit: NewAuditEntry,
    ) -> Result<Case, ServiceError> {
        let crypto = self.crypto.clone();
        match self.db.transaction(move |conn| cases::step(conn, &crypto, id, step, role, within, audit)).await {
            // Two approvals of what the kind pays once, at once: the payouts' unique key judged.
            Err(Refused(e)) if is_unique_violation(&e) => Err(ServiceError::AlreadyPaid),
            other => other.map_err(|Refused(e)| e),
        }
    }

    async fn post(&self, id: CaseId, event: Event, within: Option<NodePath>) -> Result<Case, ServiceError> {
        let crypto = self.crypto.clone();
        self.db.transaction(move |conn| cases::post(conn, &crypto, id, event, within)).await.map_err(|Refused(e)| e)
    }

    async fn attachment(&self, case: CaseId, id: AttachmentId, reader: Reader) -> Result<Attachment, ServiceError> {
        let crypto = self.crypto.clone();
        self.db
            .transaction(move |conn| reads::attachment(conn, &crypto, case, id, &reader))
            .await
            .map_err(|Refused(e)| e)
    }

    async fn reads(
        &self,
        case: Option<CaseId>,
        within: Option<NodePath>,
        limit: Limit,
        after: Option<PairCursor>,
    ) -> Result<PairPage<Read>, ServiceError> {
        self.db.run(move |conn| reads::reads(conn, case, within, limit, after)).await.map_err(|Refused(e)| e)
    }

    async fn set_budget(
        &self,
        kind: KindCode,
        union: UnionCode,
        year: i32,
        cap: Fen,
        within: Option<NodePath>,
        audit: NewAuditEntry,
    ) -> Result<Budget, ServiceError> {
        self.db
            .transaction(move |conn| payouts::set_budget(conn, &kind, &union, year, cap, within.as_ref(), audit))
            .await
            .map_err(|Refused(e)| e)
    }

    async fn budgets(
        &self,
        year: Option<i32>,
        kind: Option<KindCode>,
        within: Option<NodePath>,
    ) -> anyhow::Result<Vec<Budget>> {
        self.db.run(move |conn| payouts::budgets(conn, year, kind, within)).await
    }

    async fn payouts(&self, filter: PayoutFilter, within: Option<NodePath>) -> anyhow::Result<Vec<Payout>> {
        self.db.snapshot(move |conn| payouts::payouts(conn, filter, within)).await
    }

    async fn report_facts(
        &self,
        under: UnionCode,
        within: Option<NodePath>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<domain::services::report::Facts>, ServiceError> {
        self.db
            .snapshot(move |conn| {
                let path = path_of(conn, under.as_str())?
                    .filter(|p| within.as_ref().is_none_or(|w| w.contains(p)))
                    .ok_or_else(|| Refused(domain::unions::UnionError::NotFound(under.clone()).into()))?;
                Ok(report::facts(conn, &path, from, to)?)
            })
            .await
            .map_err(|Refused(e)| e)
    }

    async fn mark_paid(
        &self,
        id: PayoutId,
        by: String,
        bank_ref: Option<String>,
        within: Option<NodePath>,
        now: DateTime<Utc>,
        audit: Option<NewAuditEntry>,
    ) -> Result<Payout, ServiceError> {
        self.db
            .transaction(move |conn| payouts::mark_paid(conn, id, &by, bank_ref, within, now, audit))
            .await
            .map_err(|Refused(e)| e)
    }

    async fn erase_member(&self, member: MemberId, now: DateTime<Utc>) -> anyhow::Result<Vec<AttachmentId>> {
        let crypto = self.crypto.clone();
        self.db.transaction(move |conn| cases::erase_member(conn, &crypto, &member.to_string(), now)).await
    }

    async fn remind_due(&self, now: DateTime<Utc>) -> anyhow::Result<u64> {
        if !self.db.run(move |conn| timers::any_reminder_due(conn, now).map_err(anyhow::Error::from)).await? {
            return Ok(0);
        }
        let crypto = self.crypto.clone();
        self.db.transaction(move |conn| timers::remind(conn, &crypto, now)).await
    }

    async fn escalate_overdue(&self, now: DateTime<Utc>) -> anyhow::Result<u64> {
        if !self.db.run(move |conn| timers::any_overdue(conn, now).map_err(anyhow::Error::from)).await? {
            return Ok(0);
        }
        self.db.transaction(move |conn| timers::escalate(conn, now)).await
    }
}

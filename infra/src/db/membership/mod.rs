//! Applications to join, transfer and leave, the membership history and the working-day calendar,
//! on both backends. Scope is a range of the union tree's materialised paths (see
//! [`super::unions`]): an application is seen by whoever works above its union, or above a
//! transfer's sending union.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use std::collections::HashMap;

mod calendar;
mod decide;
mod moves;
mod reads;
mod report;
mod standing;

use super::schema::{application_comments, applications, calendar_days, decision_limits, members, union_nodes};
use super::{Database, DbConn};
use crate::crypto::FieldCrypto;
use domain::admin::NewAuditEntry;
use domain::members::{IdNumber, MemberId, PersonName, RealName};
use domain::membership::limits::DecisionLimits;
use domain::membership::model::{
    Applicant, Application, ApplicationFilter, ApplicationId, ApplicationKind, ApplicationState, Comment, Decision,
    Employment, Request, Spell, Text,
};
use domain::membership::moves::{MoveRow, Moved};
use domain::membership::ports::MembershipStore;
use domain::membership::report::{Basis, Month};
use domain::membership::MembershipError;
use domain::shared::working_days::CalendarYear;
use domain::shared::working_days::{DayOff, WorkingCalendar};
use domain::shared::{Page, PageRequest};
use domain::unions::{NodePath, UnionCode, UnionError};

#[derive(Clone)]
pub struct DbMembership {
    db: Database,
    crypto: FieldCrypto,
}

impl DbMembership {
    pub fn new(db: Database, crypto: FieldCrypto) -> Self {
        Self { db, crypto }
    }
}

#[derive(Queryable, Selectable, Clone)]
#[diesel(table_name = applications)]
struct Record {
    seq: i64,
    id: String,
    kind: String,
    state: String,
    member_id: String,
    name_cipher: Option<String>,
    id_cipher: Option<String>,
    union_code: String,
    from_union_code: Option<String>,
    employer: Option<String>,
    position: Option<String>,
    started_on: Option<NaiveDate>,
    reason: Option<String>,
    queue_code: String,
    escalations: i32,
    submitted_at: NaiveDateTime,
    limit_from: NaiveDateTime,
    due_at: NaiveDateTime,
    decided_at: Option<NaiveDateTime>,
    decided_by: Option<String>,
    decision_note: Option<String>,
    decided_late: Option<bool>,
    member_no: Option<String>,
}

impl Record {
    fn kind(&self) -> anyhow::Result<ApplicationKind> {
        ApplicationKind::parse(&self.kind).ok_or_else(|| anyhow::anyhow!("application {}: kind {}", self.id, self.kind))
    }

    fn state(&self) -> anyhow::Result<ApplicationState> {
        ApplicationState::parse(&self.state)
            .ok_or_else(|| anyhow::anyhow!("application {}: state {}", self.id, self.state))
    }
}

/// A failure inside a transaction: refused by the rules, or the store's. Either rolls it back.
#[derive(Debug)]
struct Refused(MembershipError);

impl From<MembershipError> for Refused {
    fn from(e: MembershipError) -> Self {
        Self(e)
    }
}

impl From<anyhow::Error> for Refused {
    fn from(e: anyhow::Error) -> Self {
        Self(MembershipError::Unknown(e))
    }
}

impl From<diesel::result::Error> for Refused {
    fn from(e: diesel::result::Error) -> Self {
        Self(MembershipError::Unknown(e.into()))
    }
}

/// The loaded calendar: every day that differs from its weekday.
pub(crate) fn working_calendar(conn: &mut DbConn) -> QueryResult<WorkingCalendar> {
    let rows: Vec<(NaiveDate, String)> =
        calendar_days::table.select((calendar_days::day, calendar_days::kind)).load(conn)?;
    Ok(WorkingCalendar::new(rows.into_iter().filter_map(|(day, kind)| DayOff::parse(&kind).map(|k| (day, k)))))
}

fn decision_limits(conn: &mut DbConn) -> anyhow::Result<DecisionLimits> {
    let rows: Vec<(String, i32)> =
        decision_limits::table.select((decision_limits::kind, decision_limits::working_days)).load(conn)?;
    let set = rows.into_iter().filter_map(|(k, d)| Some((ApplicationKind::parse(&k)?, u32::try_from(d).ok()?)));
    DecisionLimits::with(set).map_err(anyhow::Error::from)
}

fn path_of(conn: &mut DbConn, code: &str) -> QueryResult<Option<NodePath>> {
    let path: Option<String> =
        union_nodes::table.filter(union_nodes::code.eq(code)).select(union_nodes::path).first(conn).optional()?;
    Ok(path.map(NodePath::stored))
}

/// Applications as the domain has them: applicant unsealed, union names and comments read.
fn hydrate(conn: &mut DbConn, crypto: &FieldCrypto, records: Vec<Record>) -> anyhow::Result<Vec<Application>> {
    let codes: Vec<String> = records.iter().map(|r| r.union_code.clone()).collect();
    let names: HashMap<String, String> = union_nodes::table
        .filter(union_nodes::code.eq_any(&codes))
        .select((union_nodes::code, union_nodes::name))
        .load(conn)?
        .into_iter()
        .collect();
    let ids: Vec<String> = records.iter().map(|r| r.member_id.clone()).collect();
    let people: HashMap<String, (Option<String>, Option<String>)> = members::table
        .filter(members::id.eq_any(&ids))
        .select((members::id, members::name_cipher, members::id_cipher))
        .load::<(String, Option<String>, Option<String>)>(conn)?
        .into_iter()
        .map(|(id, n, i)| (id, (n, i)))
        .collect();
    let app_ids: Vec<String> = records.iter().map(|r| r.id.clone()).collect();
    let mut comments: HashMap<String, Vec<Comment>> = HashMap::new();
    let rows: Vec<(String, String, Option<String>, String, NaiveDateTime)> = application_comments::table
        .filter(application_comments::application_id.eq_any(&app_ids))
        .order(application_comments::id.asc())
        .select((
            application_comments::application_id,
            application_comments::author,
            application_comments::union_code,
            application_comments::body,
            application_comments::at,
        ))
        .load(conn)?;
    for (app, author, union, body, at) in rows {
        comments.entry(app).or_default().push(Comment {
            author,
            union: union.map(UnionCode::stored),
            body: Text::stored(body),
            at: at.and_utc(),
        });
    }
    records
        .into_iter()
        .map(|r| {
            // The name bound to the account, or the one given with a join by an account without.
            let sealed = match people.get(&r.member_id) {
                Some((Some(name), Some(id))) => Some((name, id)),
                _ => r.name_cipher.as_ref().zip(r.id_cipher.as_ref()),
            };
            let real_name = match sealed {
                Some((name, id)) => Some(RealName {
                    name: PersonName::parse(&crypto.open(name)?)?,
                    // Checked when it was given; stored numbers are not re-judged.
                    id_number: IdNumber::parse(&crypto.open(id)?, NaiveDate::MAX)?,
                }),
                None => None,
            };
            let employment = match (&r.employer, &r.position, r.started_on) {
                (Some(e), Some(p), Some(on)) => Some(Employment {
                    employer: Text::stored(e.clone()),
                    position: Text::stored(p.clone()),
                    started_on: on,
                }),
                _ => None,
            };
            Ok(Application {
                id: ApplicationId(r.id.parse()?),
                seq: r.seq,
                kind: r.kind()?,
                state: r.state()?,
                applicant: Applicant { member_id: MemberId(r.member_id.parse()?), real_name },
                union_name: names.get(&r.union_code).cloned().unwrap_or_default(),
                union: UnionCode::stored(r.union_code),
                from_union: r.from_union_code.map(UnionCode::stored),
                employment,
                reason: r.reason.map(Text::stored),
                queue: UnionCode::stored(r.queue_code),
                escalations: u32::try_from(r.escalations).unwrap_or(0),
                submitted_at: r.submitted_at.and_utc(),
                limit_from: r.limit_from.and_utc(),
                due_at: r.due_at.and_utc(),
                decided_at: r.decided_at.map(|t| t.and_utc()),
                decided_by: r.decided_by,
                decision_note: r.decision_note.map(Text::stored),
                decided_late: r.decided_late,
                member_no: r.member_no,
                comments: comments.remove(&r.id).unwrap_or_default(),
            })
        })
        .collect()
}

fn record(conn: &mut DbConn, id: &ApplicationId) -> QueryResult<Option<Record>> {
    applications::table.filter(applications::id.eq(id.to_string())).select(Record::as_select()).first(conn).optional()
}

/// The application's row, locked until the transaction ends (SQLite's writer lock is held already).
fn locked(conn: &mut DbConn, id: &ApplicationId) -> Result<Record, Refused> {
    let found = match conn {
        DbConn::Pg(pg) => applications::table
            .filter(applications::id.eq(id.to_string()))
            .select(Record::as_select())
            .for_update()
            .first(pg)
            .optional()?,
        _ => record(conn, id)?,
    };
    found.ok_or(Refused(MembershipError::NotFound))
}

/// The union `code`, or not found.
fn node(conn: &mut DbConn, code: &UnionCode) -> Result<domain::unions::model::UnionNode, Refused> {
    super::unions::load(conn, code.as_str())?.ok_or_else(|| Refused(UnionError::NotFound(code.clone()).into()))
}

fn one(conn: &mut DbConn, crypto: &FieldCrypto, id: &ApplicationId) -> Result<Application, Refused> {
    let r = record(conn, id)?.ok_or(Refused(MembershipError::NotFound))?;
    Ok(hydrate(conn, crypto, vec![r])?.remove(0))
}

fn utc(t: DateTime<Utc>) -> NaiveDateTime {
    t.naive_utc()
}

impl MembershipStore for DbMembership {
    async fn submit(
        &self,
        member: MemberId,
        request: Request,
        now: DateTime<Utc>,
    ) -> Result<Application, MembershipError> {
        let crypto = self.crypto.clone();
        let filed = self.db.transaction(move |conn| decide::submit(conn, &crypto, member, request, now)).await;
        match filed {
            Err(Refused(MembershipError::Unknown(e))) if is_unique_violation(&e) => {
                // Another request of theirs got in first: the partial unique index is the judge.
                // Or someone else's open join gave the same ID number.
                let open = self.of_member(member).await?.into_iter().find(|a| a.state == ApplicationState::Open);
                Err(open.map_or(MembershipError::IdTaken, |a| MembershipError::OpenExists(a.id)))
            }
            other => other.map_err(|Refused(e)| e),
        }
    }

    async fn of_member(&self, member: MemberId) -> anyhow::Result<Vec<Application>> {
        let crypto = self.crypto.clone();
        self.db.run(move |conn| reads::of_member(conn, &crypto, &member.to_string())).await
    }

    async fn withdraw(
        &self,
        member: MemberId,
        id: ApplicationId,
        now: DateTime<Utc>,
    ) -> Result<Application, MembershipError> {
        let crypto = self.crypto.clone();
        self.db.transaction(move |conn| decide::withdraw(conn, &crypto, member, id, now)).await.map_err(|Refused(e)| e)
    }

    async fn spells(&self, member: MemberId) -> anyhow::Result<Vec<Spell>> {
        self.db.snapshot(move |conn| reads::spells(conn, &member.to_string())).await
    }

    async fn list(
        &self,
        filter: ApplicationFilter,
        within: Option<NodePath>,
        now: DateTime<Utc>,
        page: PageRequest,
    ) -> anyhow::Result<Page<Application>> {
        let crypto = self.crypto.clone();
        self.db.snapshot(move |conn| reads::list(conn, &crypto, filter, within, now, page)).await
    }

    async fn get(&self, id: ApplicationId, within: Option<NodePath>) -> Result<Application, MembershipError> {
        let crypto = self.crypto.clone();
        self.db.run(move |conn| reads::get(conn, &crypto, &id, within.as_ref())).await.map_err(|Refused(e)| e)
    }

    async fn decide(
        &self,
        id: ApplicationId,
        decision: Decision,
        within: Option<NodePath>,
        audit: NewAuditEntry,
    ) -> Result<Application, MembershipError> {
        let crypto = self.crypto.clone();
        self.db
            .transaction(move |conn| decide::decide(conn, &crypto, id, decision, within, audit))
            .await
            .map_err(|Refused(e)| e)
    }

    async fn comment(
        &self,
        id: ApplicationId,
        comment: Comment,
        within: Option<NodePath>,
    ) -> Result<Application, MembershipError> {
        let crypto = self.crypto.clone();
        self.db
            .transaction(move |conn| decide::comment(conn, &crypto, id, comment, within))
            .await
            .map_err(|Refused(e)| e)
    }

    async fn escalate_overdue(&self, now: DateTime<Utc>) -> anyhow::Result<u64> {
        if !self.db.run(move |conn| calendar::any_overdue(conn, now).map_err(anyhow::Error::from)).await? {
            return Ok(0);
        }
        self.db.transaction(move |conn| calendar::escalate(conn, now)).await
    }

    async fn report_basis(
        &self,
        union: UnionCode,
        within: Option<NodePath>,
        from: Month,
        to: Month,
    ) -> Result<Basis, MembershipError> {
        self.db
            .snapshot(move |conn| {
                let path = path_of(conn, union.as_str())?
                    .filter(|p| within.as_ref().is_none_or(|w| w.contains(p)))
                    .ok_or_else(|| Refused(UnionError::NotFound(union.clone()).into()))?;
                Ok(report::count(conn, &path, from, to)?)
            })
            .await
            .map_err(|Refused(e)| e)
    }

    async fn move_batch(
        &self,
        to: UnionCode,
        rows: Vec<MoveRow>,
        within: Option<NodePath>,
        audit: NewAuditEntry,
    ) -> Result<Vec<(MoveRow, Moved)>, MembershipError> {
        self.db
            .transaction(move |conn| moves::move_batch(conn, &to, rows, within.as_ref(), audit))
            .await
            .map_err(|Refused(e)| e)
    }

    async fn calendar(&self, year: i32) -> anyhow::Result<CalendarYear> {
        self.db.run(move |conn| calendar::year(conn, year)).await
    }

    async fn set_calendar(&self, year: CalendarYear, audit: NewAuditEntry) -> anyhow::Result<()> {
        self.db.transaction(move |conn| calendar::set_year(conn, &year, audit)).await
    }

    async fn limits(&self) -> anyhow::Result<DecisionLimits> {
        self.db.run(decision_limits).await
    }

    async fn set_limits(&self, limits: DecisionLimits, audit: NewAuditEntry) -> anyhow::Result<()> {
        self.db.transaction(move |conn| calendar::set_limits(conn, &limits, audit)).await
    }
}

fn is_unique_violation(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<diesel::result::Error>(),
        Some(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _))
    )
}

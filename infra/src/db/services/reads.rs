//! Reading cases: a member's own, staff queues in their part of the tree, and the log of who of
//! staff read which case (written in the same transaction as the read).

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::super::schema::{service_attachments, service_case_reads, service_cases};
use super::super::DbConn;
use super::hydrate::hydrate;
use super::unions_in;
use super::{check_seen, utc, Refused, Row};
use crate::crypto::FieldCrypto;
use domain::services::model::{Attachment, AttachmentId, Case, CaseFilter, CaseId, CaseState, Read};
use domain::services::ports::Reader;
use domain::services::ServiceError;
use domain::shared::paging::{PairCursor, PairPage};
use domain::shared::Limit;
use domain::unions::NodePath;

pub(super) fn of_member(conn: &mut DbConn, crypto: &FieldCrypto, member: &str) -> anyhow::Result<Vec<Case>> {
    let rows: Vec<Row> = service_cases::table
        .filter(service_cases::member_id.eq(member))
        .order(service_cases::seq.desc())
        .limit(100)
        .select(Row::as_select())
        .load(conn)?;
    hydrate(conn, crypto, rows, false)
}

const OPEN: [CaseState; 4] = [CaseState::Submitted, CaseState::Returned, CaseState::Accepted, CaseState::Reopened];

fn rank(t: chrono::NaiveDateTime) -> i64 {
    t.and_utc().timestamp()
}

pub(super) fn list(
    conn: &mut DbConn,
    crypto: &FieldCrypto,
    filter: CaseFilter,
    within: Option<NodePath>,
    now: DateTime<Utc>,
    limit: Limit,
    after: Option<PairCursor>,
) -> anyhow::Result<PairPage<Case>> {
    let mut q = service_cases::table
        .select(Row::as_select())
        .order((service_cases::queue_rank.asc(), service_cases::seq.asc()))
        .into_boxed();
    if let Some(within) = &within {
        q = q.filter(service_cases::union_code.eq_any(unions_in(within)));
    }
    q = match filter.state {
        Some(state) => q.filter(service_cases::state.eq(state.as_str())),
        None => q.filter(service_cases::state.eq_any(OPEN.map(CaseState::as_str))),
    };
    if let Some(kind) = &filter.kind {
        q = q.filter(service_cases::kind_code.eq(kind.as_str()));
    }
    if let Some(queue) = &filter.queue {
        q = q.filter(service_cases::queue_code.eq(queue.as_str()));
    }
    if let Some(assignee) = &filter.assignee {
        q = q.filter(service_cases::assignee.eq(assignee));
    }
    if filter.overdue_only {
        q = q.filter(service_cases::due_at.le(utc(now)));
    }
    if let Some(PairCursor(at, seq)) = after {
        let at = DateTime::from_timestamp(at, 0).ok_or_else(|| anyhow::anyhow!("cursor out of range"))?.naive_utc();
        q = q.filter(
            service_cases::queue_rank.gt(at).or(service_cases::queue_rank.eq(at).and(service_cases::seq.gt(seq))),
        );
    }
    let rows: Vec<Row> = q.limit(i64::from(limit.get()) + 1).load(conn)?;
    let page = PairPage::from_overfetch(rows, limit, |r| (rank(r.queue_rank), r.seq));
    Ok(PairPage { items: hydrate(conn, crypto, page.items, false)?, next: page.next })
}

fn row(conn: &mut DbConn, id: CaseId) -> Result<Row, Refused> {
    service_cases::table
        .filter(service_cases::id.eq(id.to_string()))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .ok_or(Refused(ServiceError::NotFound))
}

/// Whether `reader` may see the case; a staff reader's read of `what` is logged.
fn admit(conn: &mut DbConn, r: &Row, reader: &Reader, what: &str) -> Result<(), Refused> {
    match reader {
        Reader::Member(m) if r.member_id == m.to_string() => Ok(()),
        Reader::Member(_) => Err(Refused(ServiceError::NotFound)),
        Reader::Staff { name, within, at, .. } => {
            check_seen(conn, r, within.as_ref())?;
            diesel::insert_into(service_case_reads::table)
                .values((
                    service_case_reads::case_seq.eq(r.seq),
                    service_case_reads::staff.eq(name),
                    service_case_reads::at.eq(utc(*at)),
                    service_case_reads::what.eq(what),
                ))
                .execute(conn)?;
            Ok(())
        }
    }
}

pub(super) fn get(conn: &mut DbConn, crypto: &FieldCrypto, id: CaseId, reader: &Reader) -> Result<Case, Refused> {
    let r = row(conn, id)?;
    admit(conn, &r, reader, "case")?;
    Ok(hydrate(conn, crypto, vec![r], true)?.remove(0))
}

pub(super) fn attachment(
    conn: &mut DbConn,
    crypto: &FieldCrypto,
    case: CaseId,
    id: AttachmentId,
    reader: &Reader,
) -> Result<Attachment, Refused> {
    let r = row(conn, case)?;
    // Not theirs to see: no such file either.
    admit(conn, &r, reader, &id.to_string()).map_err(|Refused(e)| match e {
        ServiceError::NotFound => Refused(ServiceError::AttachmentNotFound),
        other => Refused(other),
    })?;
    let known: i64 = service_attachments::table
        .filter(service_attachments::id.eq(id.to_string()))
        .filter(service_attachments::case_seq.eq(r.seq))
        .count()
        .get_result(conn)?;
    if known == 0 {
        return Err(Refused(ServiceError::AttachmentNotFound));
    }
    let case = hydrate(conn, crypto, vec![r], true)?.remove(0);
    case.attachments.into_iter().find(|a| a.id == id).ok_or(Refused(ServiceError::AttachmentNotFound))
}

pub(super) fn reads(
    conn: &mut DbConn,
    case: Option<CaseId>,
    within: Option<NodePath>,
    limit: Limit,
    after: Option<PairCursor>,
) -> Result<PairPage<Read>, Refused> {
    let mut q = service_case_reads::table
        .inner_join(service_cases::table)
        .select((
            service_case_reads::id,
            service_cases::id,
            service_cases::seq,
            service_cases::submitted_at,
            service_case_reads::staff,
            service_case_reads::at,
            service_case_reads::what,
        ))
        .order(service_case_reads::id.desc())
        .into_boxed();
    if let Some(case) = case {
        let r = row(conn, case)?;
        check_seen(conn, &r, within.as_ref())?;
        q = q.filter(service_case_reads::case_seq.eq(r.seq));
    } else if let Some(within) = &within {
        q = q.filter(service_cases::union_code.eq_any(unions_in(within)));
    }
    if let Some(PairCursor(id, _)) = after {
        q = q.filter(service_case_reads::id.lt(id));
    }
    type ReadRow = (i64, String, i64, chrono::NaiveDateTime, String, chrono::NaiveDateTime, String);
    let rows: Vec<ReadRow> = q.limit(i64::from(limit.get()) + 1).load(conn)?;
    let page = PairPage::from_overfetch(rows, limit, |r| (r.0, 0));
    let items = page
        .items
        .into_iter()
        .map(|(_, id, seq, submitted, staff, at, what)| {
            Ok(Read {
                case: CaseId(id.parse().map_err(anyhow::Error::from)?),
                number: super::hydrate::number(seq, submitted),
                staff,
                at: at.and_utc(),
                what,
            })
        })
        .collect::<Result<_, Refused>>()?;
    Ok(PairPage { items, next: page.next })
}

//! What time does to cases, run by the job loop and by changes of the calendar or of a kind's limits:
//! deadlines recomputed, members reminded to score a closed case, cases past their limit escalated.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::super::schema::{members, service_case_events, service_cases, union_nodes};
use super::super::{audit, DbConn};
use super::cases::{insert_event, reschedule};
use super::hydrate::{detail_of, SYSTEM};
use super::{kinds, path_of, utc, Row};
use crate::crypto::FieldCrypto;
use domain::admin::NewAuditEntry;
use domain::services::model::{Author, CaseState, Event, EventKind, Kind};
use domain::services::rules;
use domain::unions::UnionCode;

/// Open cases' deadlines follow the calendar as it is now (called when it changes).
pub(crate) fn redate_open(conn: &mut DbConn) -> anyhow::Result<()> {
    redate(conn, None)
}

/// Open cases of a kind follow its new limits.
pub(super) fn redate_kind(conn: &mut DbConn, code: &str) -> anyhow::Result<()> {
    redate(conn, Some(code))
}

fn redate(conn: &mut DbConn, kind: Option<&str>) -> anyhow::Result<()> {
    let mut q = service_cases::table
        .filter(service_cases::due_at.is_not_null())
        .select((service_cases::seq, service_cases::kind_code))
        .into_boxed();
    if let Some(kind) = kind {
        q = q.filter(service_cases::kind_code.eq(kind));
    }
    let open: Vec<(i64, String)> = q.load(conn)?;
    let mut kinds: std::collections::HashMap<String, Kind> = std::collections::HashMap::new();
    for (seq, code) in open {
        if !kinds.contains_key(&code) {
            let k = kinds::load(conn, &code).map_err(|e| anyhow::anyhow!("{:?}", e.0))?;
            kinds.insert(code.clone(), k);
        }
        reschedule(conn, seq, &kinds[&code])?;
    }
    Ok(())
}

pub(super) fn any_reminder_due(conn: &mut DbConn, now: DateTime<Utc>) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(reminder_due(now))).get_result(conn)
}

/// Closed cases not scored and not yet reminded, closed between a week and three days ago.
type ReminderDue = diesel::dsl::Filter<
    diesel::dsl::Filter<
        diesel::dsl::Filter<
            diesel::dsl::Filter<service_cases::table, diesel::dsl::Eq<service_cases::state, &'static str>>,
            diesel::dsl::IsNull<service_cases::score>,
        >,
        diesel::dsl::IsNull<service_cases::reminded_at>,
    >,
    diesel::dsl::And<
        diesel::dsl::LtEq<service_cases::closed_at, chrono::NaiveDateTime>,
        diesel::dsl::Gt<service_cases::closed_at, chrono::NaiveDateTime>,
    >,
>;

fn reminder_due(now: DateTime<Utc>) -> ReminderDue {
    let remind = utc(now - chrono::Duration::days(rules::REMIND_AFTER_DAYS));
    let over = utc(now - chrono::Duration::days(rules::FOLLOW_UP_DAYS));
    service_cases::table
        .filter(service_cases::state.eq(CaseState::Closed.as_str()))
        .filter(service_cases::score.is_null())
        .filter(service_cases::reminded_at.is_null())
        .filter(service_cases::closed_at.le(remind).and(service_cases::closed_at.gt(over)))
}

/// Reminds each member whose case closed three days ago without a score: an event in the thread the
/// app shows, and a mail if they confirmed an address. Once per case.
pub(super) fn remind(conn: &mut DbConn, crypto: &FieldCrypto, now: DateTime<Utc>) -> anyhow::Result<u64> {
    let due: Vec<(i64, String, chrono::NaiveDateTime, String)> = reminder_due(now)
        .select((service_cases::seq, service_cases::member_id, service_cases::submitted_at, service_cases::kind_code))
        .load(conn)?;
    let mut n = 0;
    for (seq, member, submitted, kind) in due {
        let marked = diesel::update(service_cases::table.find(seq).filter(service_cases::reminded_at.is_null()))
            .set(service_cases::reminded_at.eq(utc(now)))
            .execute(conn)?;
        if marked == 0 {
            continue;
        }
        let event =
            Event { at: now, author: Author::System, kind: EventKind::Reminded, body: None, attachments: vec![] };
        insert_event(conn, crypto, seq, &event, &[])?;
        let number = super::hydrate::number(seq, submitted);
        mail_member(
            conn,
            crypto,
            &member,
            format!("请对服务事项 {number} 的办理进行评价"),
            format!(
                "您的服务事项 {number}（{kind}）已办结。请在办结后 {} 天内在苏工惠 App 中为办理质量评分（1–5 分）。",
                rules::FOLLOW_UP_DAYS
            ),
            now,
        )?;
        n += 1;
    }
    Ok(n)
}

/// A mail to the member, if they confirmed an address, sent by the jobs runner once the
/// transaction commits. It says what happened and where to look, never what the case holds.
pub(super) fn mail_member(
    conn: &mut DbConn,
    crypto: &FieldCrypto,
    member: &str,
    subject: String,
    body: String,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let address: Option<Option<String>> =
        members::table.find(member).select(members::email_cipher).first(conn).optional()?;
    let Some(sealed) = address.flatten() else { return Ok(()) };
    // An address that no longer opens (a retired key) or parses costs the member this mail, not
    // the caseworker their step or every other member their reminder.
    let to = match crypto
        .open(&sealed)
        .map_err(anyhow::Error::from)
        .and_then(|a| Ok(domain::shared::EmailAddress::parse(&a)?))
    {
        Ok(to) => to,
        Err(e) => {
            tracing::warn!(member, error = %e, "a member's address could not be read; no mail");
            return Ok(());
        }
    };
    let mail = domain::mail::OutboundEmail { to, subject, body, attachment: None };
    super::super::jobs::enqueue(conn, domain::jobs::JobKind::Mail, mail.to_sealed_payload(&sealed), now)?;
    Ok(())
}

/// Whether a case is past its limit: the earliest deadline, read off the end of its index. (As
/// `EXISTS (… due_at <= $1)` PostgreSQL's generic plan for the prepared statement guesses a third of
/// the table matches and scans it all: 37 ms at 100,000 cases, on every request of the windows.)
pub(super) fn any_overdue(conn: &mut DbConn, now: DateTime<Utc>) -> QueryResult<bool> {
    let earliest: Option<chrono::NaiveDateTime> = service_cases::table
        .filter(service_cases::due_at.is_not_null())
        .order(service_cases::due_at.asc())
        .select(service_cases::due_at)
        .first::<Option<chrono::NaiveDateTime>>(conn)
        .optional()?
        .flatten();
    Ok(earliest.is_some_and(|due| due <= utc(now)))
}

/// Each case past its limit moves to the queue of the union above the one it waits in, with a
/// new limit counted from the moment the last ran out — as many steps as ran out by `now` (the
/// root's queue is the last; a case there runs on from limit to limit). Each step is an event
/// and an audit row.
pub(super) fn escalate(conn: &mut DbConn, now: DateTime<Utc>) -> anyhow::Result<u64> {
    let q = || service_cases::table.filter(service_cases::due_at.le(utc(now)));
    // Two readers escalating at once: the second passes over what the first holds.
    let overdue: Vec<Row> = match conn {
        DbConn::Pg(pg) => q().select(Row::as_select()).for_update().skip_locked().load(pg)?,
        _ => q().select(Row::as_select()).load(conn)?,
    };
    let mut moved = 0;
    for r in overdue {
        let kind = kinds::load(conn, &r.kind_code).map_err(|e| anyhow::anyhow!("{:?}", e.0))?;
        let mut queue = r.queue_code.clone();
        let mut steps = 0;
        loop {
            let due: Option<chrono::NaiveDateTime> =
                service_cases::table.find(r.seq).select(service_cases::due_at).first(conn)?;
            if due.is_none_or(|d| d.and_utc() > now) || steps >= 1_000 {
                break;
            }
            let parent: Option<String> = union_nodes::table
                .filter(union_nodes::code.eq(&queue))
                .select(union_nodes::parent_code)
                .first::<Option<String>>(conn)
                .optional()?
                .flatten();
            if let Some(parent) = parent {
                queue = parent;
            }
            let crypto_free = Event {
                at: now,
                author: Author::System,
                kind: EventKind::Escalated { to: UnionCode::stored(queue.clone()) },
                body: None,
                attachments: vec![],
            };
            insert_event_plain(conn, r.seq, &crypto_free)?;
            reschedule(conn, r.seq, &kind)?;
            steps += 1;
        }
        diesel::update(service_cases::table.find(r.seq))
            .set((service_cases::queue_code.eq(&queue), service_cases::escalations.eq(r.escalations + steps)))
            .execute(conn)?;
        let entry = NewAuditEntry {
            at: now,
            actor_id: None,
            actor_name: SYSTEM.to_owned(),
            action: "case.escalate",
            target: r.id.clone(),
            before: Some(serde_json::json!({"queue": r.queue_code})),
            after: Some(serde_json::json!({"queue": queue, "escalations": r.escalations + steps})),
            request_id: None,
            client_request_id: None,
            // Seen by the staff of the union it left, and above.
            actor_scope: path_of(conn, &r.queue_code)?.map(|p| p.as_str().to_owned()),
        };
        audit::append(conn, entry)?;
        moved += 1;
    }
    Ok(moved)
}

/// An event without a body: nothing to seal.
fn insert_event_plain(conn: &mut DbConn, seq: i64, event: &Event) -> QueryResult<()> {
    debug_assert!(event.body.is_none());
    diesel::insert_into(service_case_events::table)
        .values((
            service_case_events::case_seq.eq(seq),
            service_case_events::kind.eq(event.kind.as_str()),
            service_case_events::author.eq(SYSTEM),
            service_case_events::by_staff.eq(false),
            service_case_events::at.eq(utc(event.at)),
            service_case_events::detail.eq(detail_of(&event.kind)),
        ))
        .execute(conn)
        .map(drop)
}

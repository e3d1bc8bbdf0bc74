//! The working-day calendar, the time limits, and escalating what ran past them.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use diesel::prelude::*;

use super::super::schema::{applications, calendar_days, decision_limits, union_nodes};
use super::super::{audit, DbConn};
use super::{decision_limits as limits_of, path_of, utc, working_calendar, Record};
use domain::admin::NewAuditEntry;
use domain::membership::limits::DecisionLimits;
use domain::shared::working_days::{CalendarYear, DayOff, WorkingCalendar};

pub(super) fn year(conn: &mut DbConn, year: i32) -> anyhow::Result<CalendarYear> {
    let (first, last) = bounds(year)?;
    let rows: Vec<(NaiveDate, String)> = calendar_days::table
        .filter(calendar_days::day.ge(first))
        .filter(calendar_days::day.le(last))
        .order(calendar_days::day.asc())
        .select((calendar_days::day, calendar_days::kind))
        .load(conn)?;
    let pick =
        |kind: DayOff| rows.iter().filter(|(_, k)| DayOff::parse(k) == Some(kind)).map(|(d, _)| *d).collect::<Vec<_>>();
    Ok(CalendarYear::parse(year, &pick(DayOff::Holiday), &pick(DayOff::MakeUpWorkday))?)
}

fn bounds(year: i32) -> anyhow::Result<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).ok_or_else(|| anyhow::anyhow!("no year {year}"))?;
    let last = NaiveDate::from_ymd_opt(year, 12, 31).ok_or_else(|| anyhow::anyhow!("no year {year}"))?;
    Ok((first, last))
}

/// Takes the lock every change to the calendar or the limits queues on (the tree root's row on
/// PostgreSQL; SQLite's writer lock is held already), so two replace one another whole.
fn serialise(conn: &mut DbConn) -> QueryResult<()> {
    if let DbConn::Pg(pg) = conn {
        union_nodes::table
            .filter(union_nodes::parent_code.is_null())
            .select(union_nodes::id)
            .for_update()
            .load::<i64>(pg)?;
    }
    Ok(())
}

pub(super) fn set_year(conn: &mut DbConn, calendar: &CalendarYear, entry: NewAuditEntry) -> anyhow::Result<()> {
    serialise(conn)?;
    let (first, last) = bounds(calendar.year())?;
    debug_assert!(calendar.days().all(|(d, _)| d.year() == calendar.year()));
    diesel::delete(calendar_days::table.filter(calendar_days::day.ge(first)).filter(calendar_days::day.le(last)))
        .execute(conn)?;
    for (day, kind) in calendar.days() {
        diesel::insert_into(calendar_days::table)
            .values((calendar_days::day.eq(day), calendar_days::kind.eq(kind.as_str())))
            .execute(conn)?;
    }
    redate_open(conn)?;
    // Service cases count in the same calendar.
    super::super::services::redate_open(conn)?;
    audit::append(conn, entry)?;
    Ok(())
}

pub(super) fn set_limits(conn: &mut DbConn, limits: &DecisionLimits, entry: NewAuditEntry) -> anyhow::Result<()> {
    serialise(conn)?;
    diesel::delete(decision_limits::table).execute(conn)?;
    for (kind, days) in limits.iter() {
        diesel::insert_into(decision_limits::table)
            .values((
                decision_limits::kind.eq(kind.as_str()),
                decision_limits::working_days.eq(i32::try_from(days).unwrap_or(i32::MAX)),
            ))
            .execute(conn)?;
    }
    redate_open(conn)?;
    audit::append(conn, entry)?;
    Ok(())
}

/// Open applications' deadlines follow the calendar and limits as they are now: a corrected
/// calendar moves them, escalated ones' too (what escalated already stays where it is).
fn redate_open(conn: &mut DbConn) -> anyhow::Result<()> {
    let (calendar, limits) = (working_calendar(conn)?, limits_of(conn)?);
    // Locked as read: an escalation under way is waited for, and its new start is what counts.
    let open: Vec<Record> = match conn {
        DbConn::Pg(pg) => applications::table
            .filter(applications::state.eq("open"))
            .select(Record::as_select())
            .for_update()
            .load(pg)?,
        _ => applications::table.filter(applications::state.eq("open")).select(Record::as_select()).load(conn)?,
    };
    for r in open {
        // The chain of limits from the submission, one per escalation so far, as the calendar
        // and the limit are now.
        let limit = limits.of(r.kind()?);
        let mut from = r.submitted_at.and_utc();
        let mut due = calendar.deadline(from, limit);
        for _ in 0..r.escalations {
            from = WorkingCalendar::ran_out(due);
            due = calendar.deadline(from, limit);
        }
        if (utc(from), utc(due)) != (r.limit_from, r.due_at) {
            diesel::update(applications::table.filter(applications::seq.eq(r.seq)))
                .set((applications::limit_from.eq(utc(from)), applications::due_at.eq(utc(due))))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Whether anything open ran past its limit by `now`: a cheap indexed read that spares the
/// common case the writer's lock.
pub(super) fn any_overdue(conn: &mut DbConn, now: DateTime<Utc>) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        applications::table.filter(applications::state.eq("open")).filter(applications::due_at.le(utc(now))),
    ))
    .get_result(conn)
}

/// Each open application past its limit moves to the queue of the union above the one it waits
/// in, with a new limit counted from the moment the last ran out — as many steps as ran out by
/// `now` (the root's queue is the last). Each step is audit-logged.
pub(super) fn escalate(conn: &mut DbConn, now: DateTime<Utc>) -> anyhow::Result<u64> {
    let q = || applications::table.filter(applications::state.eq("open")).filter(applications::due_at.le(utc(now)));
    // Two readers escalating at once: the second passes over what the first holds.
    let overdue: Vec<Record> = match conn {
        DbConn::Pg(pg) => q().select(Record::as_select()).for_update().skip_locked().load(pg)?,
        _ => q().select(Record::as_select()).load(conn)?,
    };
    if overdue.is_empty() {
        return Ok(0);
    }
    let (calendar, limits) = (working_calendar(conn)?, limits_of(conn)?);
    let mut moved = 0;
    for r in overdue {
        let limit = limits.of(r.kind()?);
        let (mut queue, mut due, mut from, mut steps) =
            (r.queue_code.clone(), r.due_at.and_utc(), r.limit_from.and_utc(), 0);
        while due <= now {
            let parent: Option<String> = union_nodes::table
                .filter(union_nodes::code.eq(&queue))
                .select(union_nodes::parent_code)
                .first::<Option<String>>(conn)
                .optional()?
                .flatten();
            if let Some(parent) = parent {
                queue = parent;
            }
            from = WorkingCalendar::ran_out(due);
            due = calendar.deadline(from, limit);
            steps += 1;
        }
        diesel::update(applications::table.filter(applications::seq.eq(r.seq)))
            .set((
                applications::queue_code.eq(&queue),
                applications::escalations.eq(r.escalations + steps),
                applications::limit_from.eq(utc(from)),
                applications::due_at.eq(utc(due)),
            ))
            .execute(conn)?;
        let entry = NewAuditEntry {
            at: now,
            actor_id: None,
            actor_name: "system".to_owned(),
            action: "application.escalate",
            target: r.id.clone(),
            before: Some(serde_json::json!({"queue": r.queue_code, "due_at": r.due_at.and_utc()})),
            after: Some(serde_json::json!({"queue": queue, "due_at": due, "escalations": r.escalations + steps})),
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

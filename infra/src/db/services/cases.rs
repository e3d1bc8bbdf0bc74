//! Writing cases: each change locks the case's row (SQLite's writer lock is held already), checks
//! the state it starts from, appends its event and recomputes the deadline from all of them.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::super::schema::{
    admin_users, cards, members, roster, service_attachments, service_case_events, service_cases, union_nodes,
};
use super::super::{audit, DbConn};
use super::hydrate::{detail_of, event_kind, event_rows, hydrate, MEMBER, SYSTEM};
use super::{check_seen, kinds, never, path_of, utc, Refused, Row};
use crate::crypto::FieldCrypto;
use domain::admin::{NewAuditEntry, Role};
use domain::members::MemberId;
use domain::services::model::{Attachment, Author, Case, CaseId, CaseState, Event, EventKind, Kind};
use domain::services::ports::{MemberAct, NewCase};
use domain::services::rules::{self, Standing, Step};
use domain::services::schedule::schedule;
use domain::services::ServiceError;
use domain::shared::money::Fen;
use domain::unions::UnionCode;

/// The member's standing: since when they are an active member (their roster row's), and whether
/// they hold an active card; and the union of their roster row.
pub(super) fn standing(conn: &mut DbConn, member: &str) -> anyhow::Result<(Standing, Option<UnionCode>)> {
    let keys: Option<(Option<String>, Option<String>)> = members::table
        .find(member)
        .filter(members::erased_at.is_null())
        .select((members::id_index, members::name_index))
        .first(conn)
        .optional()?;
    let active = match keys {
        Some((Some(id_index), Some(name_index))) => roster::table
            .filter(roster::id_index.eq(id_index))
            .filter(roster::name_index.eq(name_index))
            .filter(roster::status.eq("active"))
            .select((roster::union_org_code, roster::joined_at, roster::updated_at))
            .first::<(String, Option<chrono::NaiveDateTime>, chrono::NaiveDateTime)>(conn)
            .optional()?,
        _ => None,
    };
    let cardholder: i64 =
        cards::table.filter(cards::member_id.eq(member)).filter(cards::status.eq("active")).count().get_result(conn)?;
    let standing = Standing {
        member_since: active.as_ref().map(|(_, joined, updated)| joined.unwrap_or(*updated).and_utc()),
        cardholder: cardholder > 0,
    };
    Ok((standing, active.map(|(code, ..)| UnionCode::stored(code))))
}

fn root(conn: &mut DbConn) -> anyhow::Result<String> {
    union_nodes::table
        .filter(union_nodes::parent_code.is_null())
        .select(union_nodes::code)
        .first(conn)
        .optional()?
        .ok_or_else(|| anyhow::anyhow!("the union tree has no root"))
}

pub(super) fn insert_event(
    conn: &mut DbConn,
    crypto: &FieldCrypto,
    seq: i64,
    event: &Event,
    attachments: &[Attachment],
) -> QueryResult<()> {
    let (author, by_staff) = match &event.author {
        Author::Member => (MEMBER.to_owned(), false),
        Author::Staff(name) => (name.clone(), true),
        Author::System => (SYSTEM.to_owned(), false),
    };
    let id: i64 = diesel::insert_into(service_case_events::table)
        .values((
            service_case_events::case_seq.eq(seq),
            service_case_events::kind.eq(event.kind.as_str()),
            service_case_events::author.eq(author),
            service_case_events::by_staff.eq(by_staff),
            service_case_events::at.eq(utc(event.at)),
            service_case_events::body_cipher.eq(event.body.as_deref().map(|b| crypto.seal(b))),
            service_case_events::detail.eq(detail_of(&event.kind)),
        ))
        .returning(service_case_events::id)
        .get_result(conn)?;
    for a in attachments {
        diesel::insert_into(service_attachments::table)
            .values((
                service_attachments::id.eq(a.id.to_string()),
                service_attachments::case_seq.eq(seq),
                service_attachments::event_id.eq(id),
                service_attachments::slot.eq(a.slot.as_str()),
                service_attachments::name_cipher.eq(crypto.seal(&a.file_name)),
                service_attachments::file_type.eq(a.file_type.as_str()),
                service_attachments::bytes.eq(i64::try_from(a.bytes).unwrap_or(i64::MAX)),
                service_attachments::sha256.eq(&a.sha256),
                service_attachments::at.eq(utc(a.at)),
                // The store sealed the file with the same keys, just now.
                service_attachments::sealed_with.eq(crypto.key_id()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Recomputes the case's deadline from its events, its kind's limits and the calendar as they are.
pub(super) fn reschedule(conn: &mut DbConn, seq: i64, kind: &Kind) -> anyhow::Result<()> {
    let calendar = super::super::membership::working_calendar(conn)?;
    let events = event_rows(conn, &[seq])?;
    let kinds = events.iter().map(|e| event_kind(&e.kind, e.detail.as_deref())).collect::<anyhow::Result<Vec<_>>>()?;
    let s = schedule(events.iter().map(|e| e.at.and_utc()).zip(kinds.iter()), kind.limits, &calendar);
    diesel::update(service_cases::table.find(seq))
        .set((
            service_cases::due_at.eq(s.due.map(utc)),
            service_cases::queue_rank.eq(s.due.map_or_else(never, utc)),
            service_cases::late.eq(s.late),
        ))
        .execute(conn)?;
    Ok(())
}

pub(super) fn submit(
    conn: &mut DbConn,
    crypto: &FieldCrypto,
    case: NewCase,
    union: Option<UnionCode>,
    now: DateTime<Utc>,
) -> Result<Case, Refused> {
    // Someone not on the roster (a kind open to anyone) is the city's to answer.
    let union = match union {
        Some(u) => u.to_string(),
        None => root(conn)?,
    };
    let seq: i64 = diesel::insert_into(service_cases::table)
        .values((
            service_cases::id.eq(case.id.to_string()),
            service_cases::kind_code.eq(case.kind.code.as_str()),
            service_cases::member_id.eq(case.member.to_string()),
            service_cases::union_code.eq(&union),
            service_cases::queue_code.eq(&union),
            service_cases::state.eq(CaseState::Submitted.as_str()),
            service_cases::answers_cipher.eq(crypto.seal(&case.answers.to_json().to_string())),
            service_cases::submitted_at.eq(utc(now)),
            service_cases::queue_rank.eq(never()),
            service_cases::updated_at.eq(utc(now)),
        ))
        .returning(service_cases::seq)
        .get_result(conn)?;
    let event =
        Event { at: now, author: Author::Member, kind: EventKind::Submitted, body: case.message, attachments: vec![] };
    insert_event(conn, crypto, seq, &event, &case.attachments)?;
    reschedule(conn, seq, &case.kind)?;
    let row = service_cases::table.find(seq).select(Row::as_select()).first(conn)?;
    Ok(hydrate(conn, crypto, vec![row], true)?.remove(0))
}

/// The case's row, locked until the transaction ends.
fn locked(conn: &mut DbConn, id: CaseId) -> Result<Row, Refused> {
    let q = || service_cases::table.filter(service_cases::id.eq(id.to_string()));
    let found = match conn {
        DbConn::Pg(pg) => q().select(Row::as_select()).for_update().first(pg).optional()?,
        _ => q().select(Row::as_select()).first(conn).optional()?,
    };
    found.ok_or(Refused(ServiceError::NotFound))
}

fn reload(conn: &mut DbConn, crypto: &FieldCrypto, seq: i64) -> Result<Case, Refused> {
    let row = service_cases::table.find(seq).select(Row::as_select()).first(conn)?;
    Ok(hydrate(conn, crypto, vec![row], true)?.remove(0))
}

fn set_state(conn: &mut DbConn, seq: i64, state: CaseState, now: DateTime<Utc>) -> QueryResult<()> {
    diesel::update(service_cases::table.find(seq))
        .set((service_cases::state.eq(state.as_str()), service_cases::updated_at.eq(utc(now))))
        .execute(conn)
        .map(drop)
}

/// Whether `name` may be given a case of the union at `union`: an enabled caseworker, operator or
/// admin whose part of the tree holds it.
fn check_assignable(conn: &mut DbConn, name: &str, union: &str) -> Result<(), Refused> {
    let found: Option<(String, String)> = admin_users::table
        .filter(admin_users::username.eq(name))
        .filter(admin_users::disabled.eq(false))
        .select((admin_users::role, admin_users::scope_code))
        .first(conn)
        .optional()?;
    let Some((role, scope)) = found else { return Err(Refused(ServiceError::NotAssignable)) };
    let role: Role = role.parse().map_err(|_| Refused(ServiceError::NotAssignable))?;
    let works = role == Role::Caseworker || role.may_write();
    let (scope, union) = (path_of(conn, &scope)?, path_of(conn, union)?);
    match (scope, union) {
        (Some(s), Some(u)) if works && s.contains(&u) => Ok(()),
        _ => Err(Refused(ServiceError::NotAssignable)),
    }
}

pub(super) fn step(
    conn: &mut DbConn,
    crypto: &FieldCrypto,
    id: CaseId,
    step: Step,
    role: Role,
    within: Option<domain::unions::NodePath>,
    entry: NewAuditEntry,
) -> Result<Case, Refused> {
    let r = locked(conn, id)?;
    check_seen(conn, &r, within.as_ref())?;
    let kind = kinds::load(conn, &r.kind_code)?;
    let from = r.state()?;
    let to = rules::next_state(from, kind.category, &step, role)?;
    let now = entry.at;
    let by = Author::Staff(entry.actor_name.clone());
    let event =
        |kind: EventKind, body: Option<String>| Event { at: now, author: by.clone(), kind, body, attachments: vec![] };
    let (event, resolved, closed) = match &step {
        Step::Accept => {
            if r.assignee.is_none() && role == Role::Caseworker {
                diesel::update(service_cases::table.find(r.seq))
                    .set(service_cases::assignee.eq(&entry.actor_name))
                    .execute(conn)?;
            }
            (event(EventKind::Accepted, None), false, false)
        }
        Step::Return { missing } => (event(EventKind::Returned, Some(missing.clone())), false, false),
        Step::Assign { to } => {
            check_assignable(conn, to, &r.union_code)?;
            diesel::update(service_cases::table.find(r.seq)).set(service_cases::assignee.eq(to)).execute(conn)?;
            (event(EventKind::Assigned { to: to.clone() }, None), false, false)
        }
        Step::Answer { body } => (event(EventKind::Answered, Some(body.clone())), true, false),
        Step::Approve { amount, note } => {
            check_amount(&kind, *amount)?;
            if let Some(amount) = amount {
                let text = crypto.open(&r.answers_cipher).map_err(anyhow::Error::from)?;
                let raw: serde_json::Value = serde_json::from_str(&text).map_err(anyhow::Error::from)?;
                let answers = domain::services::form::Answers::stored(
                    &kind.form,
                    raw.as_object().unwrap_or(&serde_json::Map::new()),
                );
                super::payouts::draw(conn, crypto, &r, &kind, &answers, *amount, now)?;
            }
            diesel::update(service_cases::table.find(r.seq))
                .set(service_cases::amount_fen.eq(amount.map(Fen::get)))
                .execute(conn)?;
            (event(EventKind::Approved { amount: *amount }, note.clone()), true, false)
        }
        Step::Refuse { reason } => (event(EventKind::Refused, Some(reason.clone())), true, false),
        Step::Close { note } => (event(EventKind::Closed, note.clone()), false, true),
    };
    if resolved {
        diesel::update(service_cases::table.find(r.seq)).set(service_cases::resolved_at.eq(utc(now))).execute(conn)?;
    }
    if closed {
        diesel::update(service_cases::table.find(r.seq)).set(service_cases::closed_at.eq(utc(now))).execute(conn)?;
    }
    set_state(conn, r.seq, to, now)?;
    insert_event(conn, crypto, r.seq, &event, &[])?;
    reschedule(conn, r.seq, &kind)?;
    if let Some(what) = told(&step) {
        let number = super::hydrate::number(r.seq, r.submitted_at);
        let subject = format!("您的服务事项 {number} {what}");
        let body = format!("您的服务事项 {number}（{}）{what}，请在苏工惠 App 的“我的服务”中查看详情。", kind.name);
        super::timers::mail_member(conn, crypto, &r.member_id, subject, body, now)?;
    }
    let after = serde_json::json!({"state": to.as_str(), "amount_fen": match &step { Step::Approve { amount, .. } => amount.map(Fen::get), _ => None }});
    audit::append(conn, entry.change(Some(serde_json::json!({"state": from.as_str()})), Some(after)))?;
    reload(conn, crypto, r.seq)
}

/// What the member hears by mail of a step: the steps that wait on them or settle their case.
fn told(step: &Step) -> Option<&'static str> {
    match step {
        Step::Return { .. } => Some("需要补充材料"),
        Step::Answer { .. } => Some("已答复"),
        Step::Approve { .. } => Some("已批准"),
        Step::Refuse { .. } => Some("未获批准"),
        Step::Accept | Step::Assign { .. } | Step::Close { .. } => None,
    }
}

/// An approval pays what its kind allows: an amount for a kind that pays (up to its most), none
/// for one that does not.
fn check_amount(kind: &Kind, amount: Option<Fen>) -> Result<(), Refused> {
    let refuse = |zh: &str, en: String| Err(Refused(ServiceError::invalid("amount_fen", zh, en)));
    match (&kind.money, amount) {
        (None, Some(_)) => refuse("此类事项不发放款项", "this kind pays nothing: leave amount_fen out".to_owned()),
        (Some(_), None) => refuse("请填写核准金额", "give the amount approved, amount_fen".to_owned()),
        (Some(m), Some(a)) if a > m.max_amount || a.get() < 1 => {
            refuse("核准金额超出此类事项的上限", format!("amount_fen is 1 to {}", m.max_amount.get()))
        }
        _ => Ok(()),
    }
}

pub(super) fn post(
    conn: &mut DbConn,
    crypto: &FieldCrypto,
    id: CaseId,
    event: Event,
    within: Option<domain::unions::NodePath>,
) -> Result<Case, Refused> {
    let r = locked(conn, id)?;
    check_seen(conn, &r, within.as_ref())?;
    if event.kind == EventKind::Message {
        rules::open_for_messages(r.state()?)?;
    }
    insert_event(conn, crypto, r.seq, &event, &[])?;
    diesel::update(service_cases::table.find(r.seq)).set(service_cases::updated_at.eq(utc(event.at))).execute(conn)?;
    reload(conn, crypto, r.seq)
}

pub(super) fn member_act(
    conn: &mut DbConn,
    crypto: &FieldCrypto,
    member: MemberId,
    id: CaseId,
    act: MemberAct,
    now: DateTime<Utc>,
) -> Result<Case, Refused> {
    let r = locked(conn, id)?;
    if r.member_id != member.to_string() {
        return Err(Refused(ServiceError::NotFound));
    }
    let state = r.state()?;
    let event = |kind: EventKind, body: Option<String>| Event {
        at: now,
        author: Author::Member,
        kind,
        body,
        attachments: vec![],
    };
    let (event, files, to) = match act {
        MemberAct::Message { body, attachments } => {
            rules::open_for_messages(state)?;
            (event(EventKind::Message, Some(body)), attachments, state)
        }
        MemberAct::Resubmit { body, attachments } => {
            let accepted_before = event_rows(conn, &[r.seq])?.iter().any(|e| e.kind == EventKind::Accepted.as_str());
            let to = rules::resubmitted(state, accepted_before)?;
            (event(EventKind::Resubmitted, body), attachments, to)
        }
        MemberAct::Withdraw => {
            rules::withdrawable(state)?;
            (event(EventKind::Withdrawn, None), Vec::new(), CaseState::Withdrawn)
        }
        MemberAct::Rate { score, comment } => {
            let closed_at = r.closed_at.map(|t| t.and_utc());
            let to = rules::rated(state, closed_at, r.score.is_some(), score, now)?;
            diesel::update(service_cases::table.find(r.seq))
                .set(service_cases::score.eq(i32::from(score)))
                .execute(conn)?;
            if to == CaseState::Reopened {
                // Its review starts after the score is recorded.
                insert_event(conn, crypto, r.seq, &event(EventKind::Rated { score }, comment), &[])?;
                (
                    Event {
                        at: now,
                        author: Author::System,
                        kind: EventKind::Reopened,
                        body: None,
                        attachments: vec![],
                    },
                    Vec::new(),
                    to,
                )
            } else {
                (event(EventKind::Rated { score }, comment), Vec::new(), to)
            }
        }
    };
    set_state(conn, r.seq, to, now)?;
    insert_event(conn, crypto, r.seq, &event, &files)?;
    let kind = kinds::load(conn, &r.kind_code)?;
    reschedule(conn, r.seq, &kind)?;
    reload(conn, crypto, r.seq)
}

pub(super) fn erase_member(
    conn: &mut DbConn,
    crypto: &FieldCrypto,
    member: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<domain::services::model::AttachmentId>> {
    let seqs: Vec<i64> =
        service_cases::table.filter(service_cases::member_id.eq(member)).select(service_cases::seq).load(conn)?;
    let open: Vec<i64> = service_cases::table
        .filter(service_cases::member_id.eq(member))
        .filter(
            service_cases::state.eq_any(
                [CaseState::Submitted, CaseState::Returned, CaseState::Accepted, CaseState::Reopened]
                    .map(CaseState::as_str),
            ),
        )
        .select(service_cases::seq)
        .load(conn)?;
    for seq in &open {
        set_state(conn, *seq, CaseState::Withdrawn, now)?;
        let event =
            Event { at: now, author: Author::Member, kind: EventKind::Withdrawn, body: None, attachments: vec![] };
        insert_event(conn, crypto, *seq, &event, &[])?;
        diesel::update(service_cases::table.find(*seq))
            .set((service_cases::due_at.eq(None::<chrono::NaiveDateTime>), service_cases::queue_rank.eq(never())))
            .execute(conn)?;
    }
    let files: Vec<String> = service_attachments::table
        .filter(service_attachments::case_seq.eq_any(&seqs))
        .select(service_attachments::id)
        .load(conn)?;
    diesel::delete(service_attachments::table.filter(service_attachments::case_seq.eq_any(&seqs))).execute(conn)?;
    diesel::update(service_case_events::table.filter(service_case_events::case_seq.eq_any(&seqs)))
        .set(service_case_events::body_cipher.eq(None::<String>))
        .execute(conn)?;
    diesel::update(service_cases::table.filter(service_cases::seq.eq_any(&seqs)))
        .set(service_cases::answers_cipher.eq(crypto.seal("{}")))
        .execute(conn)?;
    files.into_iter().map(|id| Ok(domain::services::model::AttachmentId(id.parse()?))).collect()
}

//! Filing, deciding, withdrawing and commenting on applications: each one transaction that locks
//! the application's row (and, for an approval, the member's roster row and the federation's
//! member-number counter, in that order) and checks the state it starts from.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::super::roster::name_head_digests;
use super::super::schema::{admin_users, application_comments, applications, members, roster, union_nodes};
use super::super::{audit, jobs, DbConn};
use super::node;
use super::reads::paths;
use super::standing::{
    allocate, applicant, bound_elsewhere, end_spell, listed, person, sealed, standing, start_spell, Person,
};
use super::{decision_limits, locked, one, utc, working_calendar, Record, Refused};
use crate::crypto::FieldCrypto;
use domain::admin::NewAuditEntry;
use domain::jobs::JobKind;
use domain::mail::OutboundEmail;
use domain::members::{MemberId, PersonName};
use domain::membership::model::{Application, ApplicationId, Comment, Decision, Request, SpellEvent};
use domain::membership::notice;
use domain::membership::rules::{check_decider, check_request, check_seen, check_standing, check_target};
use domain::membership::{ApplicationKind, ApplicationState, MembershipError};
use domain::shared::EmailAddress;
use domain::unions::{NodePath, UnionCode};

pub(super) fn submit(
    conn: &mut DbConn,
    crypto: &FieldCrypto,
    member: MemberId,
    request: Request,
    now: DateTime<Utc>,
) -> Result<Application, Refused> {
    let member_id = member.to_string();
    let open: Option<String> = applications::table
        .filter(applications::member_id.eq(&member_id))
        .filter(applications::state.eq("open"))
        .select(applications::id)
        .first(conn)
        .optional()?;
    if let Some(open) = open {
        return Err(MembershipError::OpenExists(open.parse().map_err(anyhow::Error::from)?).into());
    }
    let bound = person(conn, &member_id)?;
    let given = match &request {
        Request::Join { identity: Some(identity), .. } => {
            if bound.is_some() {
                return Err(MembershipError::AlreadyBound.into());
            }
            let p = sealed(crypto, identity);
            if bound_elsewhere(conn, &p.id_index, &member_id)? {
                return Err(MembershipError::IdTaken.into());
            }
            Some(p)
        }
        _ => None,
    };
    let p = bound.or(given);
    let (mut standing, _) = standing(conn, p.as_ref(), false)?;
    if let (Some(p), None, ApplicationKind::Join) = (&p, &standing.active_in, request.kind()) {
        standing.active_in = listed(conn, p)?;
    }
    let target = match &request {
        Request::Join { union, .. } | Request::Transfer { union, .. } if standing.real_name => Some(node(conn, union)?),
        _ => None,
    };
    check_request(&request, &standing, target.as_ref())?;
    let kind = request.kind();
    let given = match &request {
        Request::Join { identity: Some(_), .. } => p.as_ref(),
        _ => None,
    };
    let (union, employment, reason) = match request {
        Request::Join { union, employment, .. } | Request::Transfer { union, employment } => {
            (union, Some(employment), None)
        }
        Request::Leave { reason } => {
            (standing.active_in.clone().ok_or(Refused(MembershipError::NotMember))?, None, reason)
        }
    };
    let from = (kind == ApplicationKind::Transfer).then(|| standing.active_in.clone()).flatten();
    // A change of the calendar or the limits under way is waited for, so the deadline is counted
    // by the one that holds when this commits (they lock the tree's root; this shares it).
    if let DbConn::Pg(pg) = conn {
        union_nodes::table
            .filter(union_nodes::parent_code.is_null())
            .select(union_nodes::id)
            .for_share()
            .load::<i64>(pg)?;
    }
    let limit = decision_limits(conn)?.of(kind);
    let due = working_calendar(conn)?.deadline(now, limit);
    let id = ApplicationId::new();
    diesel::insert_into(applications::table)
        .values((
            applications::id.eq(id.to_string()),
            applications::kind.eq(kind.as_str()),
            applications::state.eq("open"),
            applications::member_id.eq(&member_id),
            applications::id_index.eq(given.map(|p| p.id_index.as_str())),
            applications::name_index.eq(given.map(|p| p.name_index.as_str())),
            applications::name_cipher.eq(given.map(|p| p.name_cipher.as_str())),
            applications::id_cipher.eq(given.map(|p| p.id_cipher.as_str())),
            applications::union_code.eq(union.as_str()),
            applications::from_union_code.eq(from.as_ref().map(UnionCode::as_str)),
            applications::employer.eq(employment.as_ref().map(|e| e.employer.as_str())),
            applications::position.eq(employment.as_ref().map(|e| e.position.as_str())),
            applications::started_on.eq(employment.as_ref().map(|e| e.started_on)),
            applications::reason.eq(reason.as_ref().map(|r| r.as_str())),
            applications::consented_at.eq((kind == ApplicationKind::Join).then(|| utc(now))),
            applications::queue_code.eq(union.as_str()),
            applications::escalations.eq(0),
            applications::submitted_at.eq(utc(now)),
            applications::limit_from.eq(utc(now)),
            applications::due_at.eq(utc(due)),
        ))
        .execute(conn)?;
    let app = one(conn, crypto, &id)?;
    if let Some(from) = &from {
        tell_staff_of(conn, from, &app, now)?;
    }
    Ok(app)
}

/// Mails the staff working at `union` itself (a transfer's sending union is told, not asked).
fn tell_staff_of(conn: &mut DbConn, union: &UnionCode, app: &Application, now: DateTime<Utc>) -> QueryResult<()> {
    let (subject, body) = notice::transfer_asked(app);
    let addresses: Vec<Option<String>> = admin_users::table
        .filter(admin_users::scope_code.eq(union.as_str()))
        .filter(admin_users::disabled.eq(false))
        .select(admin_users::email)
        .load(conn)?;
    for to in addresses.into_iter().flatten().filter_map(|a| EmailAddress::parse(&a).ok()) {
        let mail = OutboundEmail { to, subject: subject.clone(), body: body.clone(), attachment: None };
        jobs::enqueue_mail(conn, mail, now)?;
    }
    Ok(())
}

/// The address the member confirmed, opened, and as it is sealed.
fn member_mail(
    conn: &mut DbConn,
    crypto: &FieldCrypto,
    member: &str,
) -> anyhow::Result<Option<(EmailAddress, String)>> {
    let sealed: Option<Option<String>> =
        members::table.find(member).select(members::email_cipher).first(conn).optional()?;
    let Some(sealed) = sealed.flatten() else { return Ok(None) };
    Ok(Some((EmailAddress::parse(&crypto.open(&sealed)?)?, sealed)))
}

/// Mails the member how it was decided, if they confirmed an address.
fn tell_member(
    app: &Application,
    mail: Option<(EmailAddress, String)>,
    conn: &mut DbConn,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let Some((to, sealed)) = mail else { return Ok(()) };
    let (subject, body) = notice::decision(app);
    let mail = OutboundEmail { to, subject, body, attachment: None };
    jobs::enqueue(conn, JobKind::Mail, mail.to_sealed_payload(&sealed), now)?;
    Ok(())
}

/// Binds the name given with a join to the account that asked, unless one is bound already.
fn bind(conn: &mut DbConn, member: &str, p: &Person, at: NaiveDateTime) -> Result<(), Refused> {
    if bound_elsewhere(conn, &p.id_index, member)? {
        return Err(MembershipError::IdTaken.into());
    }
    diesel::update(members::table.find(member).filter(members::id_index.is_null()))
        .set((
            members::name_index.eq(&p.name_index),
            members::id_index.eq(&p.id_index),
            members::name_cipher.eq(&p.name_cipher),
            members::id_cipher.eq(&p.id_cipher),
            members::real_name_at.eq(at),
            members::updated_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// Writes what an approval means to the roster and the history; a join's new member number.
fn approve(
    conn: &mut DbConn,
    crypto: &FieldCrypto,
    r: &Record,
    kind: ApplicationKind,
    at: NaiveDateTime,
) -> Result<Option<String>, Refused> {
    let p = applicant(conn, r)?;
    let (mut standing, current) = standing(conn, p.as_ref(), true)?;
    if let (Some(p), None, ApplicationKind::Join) = (&p, &standing.active_in, kind) {
        standing.active_in = listed(conn, p)?;
    }
    let union = UnionCode::stored(r.union_code.clone());
    if kind == ApplicationKind::Leave {
        check_standing(kind, None, &standing)?;
    }
    let p = p.ok_or(Refused(MembershipError::NoRealName))?;
    match kind {
        ApplicationKind::Join | ApplicationKind::Transfer => {
            let target = node(conn, &union)?;
            check_standing(kind, Some(&union), &standing)?;
            check_target(&target)?;
            if kind == ApplicationKind::Join {
                bind(conn, &r.member_id, &p, at)?;
                let federation = target.parent.as_ref().unwrap_or(&target.code).to_string();
                let opened = crypto.open(&p.name_cipher).map_err(anyhow::Error::from)?;
                let name = PersonName::parse(&opened).map_err(anyhow::Error::from)?;
                let (head, head2) = name_head_digests(crypto, &name);
                // A former member's row (left) takes the new membership; anyone else gets one.
                let former: i64 = roster::table.filter(roster::id_index.eq(&p.id_index)).count().get_result(conn)?;
                // Last, as late as it can be: from here to the commit every other approval in the
                // federation waits for this counter.
                let number = allocate(conn, &federation)?;
                let row = (
                    roster::name_index.eq(&p.name_index),
                    roster::name_head_index.eq(&head),
                    roster::name_head2_index.eq(&head2),
                    roster::member_id.eq(&r.member_id),
                    roster::name_cipher.eq(&p.name_cipher),
                    roster::id_cipher.eq(&p.id_cipher),
                    roster::union_org_code.eq(union.as_str()),
                    roster::union_org_name.eq(target.name.as_str()),
                    roster::member_no.eq(&number),
                    roster::status.eq("active"),
                    roster::updated_at.eq(at),
                    roster::joined_at.eq(at),
                );
                if former > 0 {
                    diesel::update(roster::table.filter(roster::id_index.eq(&p.id_index))).set(row).execute(conn)?;
                } else {
                    diesel::insert_into(roster::table).values((roster::id_index.eq(&p.id_index), row)).execute(conn)?;
                }
                start_spell(conn, &p.id_index, union.as_str(), &number, at, SpellEvent::Joined)?;
                return Ok(Some(number));
            }
            let current = current.ok_or(Refused(MembershipError::NotMember))?;
            if r.from_union_code.as_deref() != Some(current.union.as_str()) {
                return Err(MembershipError::Moved.into());
            }
            end_spell(conn, &p.id_index, &current, at, SpellEvent::Transferred)?;
            start_spell(conn, &p.id_index, union.as_str(), &current.member_no, at, SpellEvent::Transferred)?;
            diesel::update(roster::table.filter(roster::id_index.eq(&p.id_index)))
                .set((
                    roster::union_org_code.eq(union.as_str()),
                    roster::union_org_name.eq(target.name.as_str()),
                    roster::updated_at.eq(at),
                ))
                .execute(conn)?;
            Ok(None)
        }
        ApplicationKind::Leave => {
            let current = current.ok_or(Refused(MembershipError::NotMember))?;
            if current.union != r.union_code {
                return Err(MembershipError::Moved.into());
            }
            end_spell(conn, &p.id_index, &current, at, SpellEvent::Left)?;
            diesel::update(roster::table.filter(roster::id_index.eq(&p.id_index)))
                .set((roster::status.eq("left"), roster::updated_at.eq(at)))
                .execute(conn)?;
            Ok(None)
        }
    }
}

pub(super) fn decide(
    conn: &mut DbConn,
    crypto: &FieldCrypto,
    id: ApplicationId,
    decision: Decision,
    within: Option<NodePath>,
    entry: NewAuditEntry,
) -> Result<Application, Refused> {
    let r = locked(conn, &id)?;
    let (union, from) = paths(conn, &r)?;
    check_decider(within.as_ref(), &union, from.as_ref(), r.state()?)?;
    let now = entry.at;
    let at = utc(now);
    let late = r.escalations > 0 || at >= r.due_at;
    let (state, note) = match &decision {
        Decision::Approve { note } => (ApplicationState::Approved, note.clone()),
        Decision::Refuse { reason } => (ApplicationState::Refused, Some(reason.clone())),
    };
    // Read before an approval draws its number (see `approve`).
    let mail = member_mail(conn, crypto, &r.member_id)?;
    let number = match decision {
        Decision::Approve { .. } => approve(conn, crypto, &r, r.kind()?, at)?,
        Decision::Refuse { .. } => None,
    };
    diesel::update(applications::table.filter(applications::seq.eq(r.seq)))
        .set((
            applications::state.eq(state.as_str()),
            applications::decided_at.eq(at),
            applications::decided_by.eq(&entry.actor_name),
            applications::decision_note.eq(note.as_ref().map(|n| n.as_str())),
            applications::decided_late.eq(late),
            applications::member_no.eq(&number),
        ))
        .execute(conn)?;
    let app = one(conn, crypto, &id)?;
    let after = serde_json::json!({"state": state.as_str(), "kind": r.kind, "union": r.union_code,
        "from_union": r.from_union_code, "member_no": number, "late": late,
        "note": note.as_ref().map(|n| n.as_str())});
    audit::append(conn, entry.change(Some(serde_json::json!({"state": "open"})), Some(after)))?;
    tell_member(&app, mail, conn, now)?;
    Ok(app)
}

pub(super) fn withdraw(
    conn: &mut DbConn,
    crypto: &FieldCrypto,
    member: MemberId,
    id: ApplicationId,
    now: DateTime<Utc>,
) -> Result<Application, Refused> {
    let r = locked(conn, &id)?;
    if r.member_id != member.to_string() {
        return Err(MembershipError::NotFound.into());
    }
    let state = r.state()?;
    if state != ApplicationState::Open {
        return Err(MembershipError::NotOpen(state).into());
    }
    diesel::update(applications::table.filter(applications::seq.eq(r.seq)))
        .set((applications::state.eq(ApplicationState::Withdrawn.as_str()), applications::decided_at.eq(utc(now))))
        .execute(conn)?;
    one(conn, crypto, &id)
}

pub(super) fn comment(
    conn: &mut DbConn,
    crypto: &FieldCrypto,
    id: ApplicationId,
    comment: Comment,
    within: Option<NodePath>,
) -> Result<Application, Refused> {
    let r = locked(conn, &id)?;
    let (union, from) = paths(conn, &r)?;
    check_seen(within.as_ref(), &union, from.as_ref())?;
    let state = r.state()?;
    if state != ApplicationState::Open {
        return Err(MembershipError::NotOpen(state).into());
    }
    diesel::insert_into(application_comments::table)
        .values((
            application_comments::application_id.eq(&r.id),
            application_comments::author.eq(&comment.author),
            application_comments::union_code.eq(comment.union.as_ref().map(UnionCode::as_str)),
            application_comments::body.eq(comment.body.as_str()),
            application_comments::at.eq(utc(comment.at)),
        ))
        .execute(conn)?;
    one(conn, crypto, &id)
}

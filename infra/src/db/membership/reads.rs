//! Reading applications and the membership history.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use std::collections::HashMap;

use super::super::schema::{applications, members, memberships, roster, union_nodes};
use super::super::unions::subtree_range;
use super::super::DbConn;
use super::{hydrate, path_of, record, utc, Record, Refused};
use crate::crypto::FieldCrypto;
use domain::membership::model::{Application, ApplicationFilter, ApplicationId, Spell, SpellEvent};
use domain::membership::rules::check_seen;
use domain::membership::MembershipError;
use domain::shared::{Page, PageRequest};
use domain::unions::{NodePath, UnionCode};

pub(super) fn of_member(conn: &mut DbConn, crypto: &FieldCrypto, member: &str) -> anyhow::Result<Vec<Application>> {
    let records: Vec<Record> = applications::table
        .filter(applications::member_id.eq(member))
        .order(applications::seq.desc())
        .limit(100)
        .select(Record::as_select())
        .load(conn)?;
    hydrate(conn, crypto, records)
}

pub(super) fn list(
    conn: &mut DbConn,
    crypto: &FieldCrypto,
    filter: ApplicationFilter,
    within: Option<NodePath>,
    now: DateTime<Utc>,
    page: PageRequest,
) -> anyhow::Result<Page<Application>> {
    let mut q = applications::table.select(Record::as_select()).order(applications::seq.asc()).into_boxed();
    if let Some(within) = &within {
        let (lo, hi) = subtree_range(within.as_str());
        let under = || {
            union_nodes::table
                .filter(union_nodes::path.ge(lo.clone()))
                .filter(union_nodes::path.lt(hi.clone()))
                .select(union_nodes::code)
        };
        q = q.filter(
            applications::union_code
                .eq_any(under())
                .or(applications::from_union_code.eq_any(under().select(union_nodes::code.nullable()))),
        );
    }
    if let Some(state) = filter.state {
        q = q.filter(applications::state.eq(state.as_str()));
    }
    if let Some(kind) = filter.kind {
        q = q.filter(applications::kind.eq(kind.as_str()));
    }
    if let Some(queue) = &filter.queue {
        q = q.filter(applications::queue_code.eq(queue.to_string()));
    }
    if filter.overdue_only {
        q = q.filter(
            applications::escalations.gt(0).or(applications::state.eq("open").and(applications::due_at.le(utc(now)))),
        );
    }
    if let Some(after) = page.after {
        q = q.filter(applications::seq.gt(after.key()));
    }
    let rows: Vec<Record> = q.limit(i64::from(page.limit.get()) + 1).load(conn)?;
    let page = Page::from_overfetch(rows, page.limit, |r| r.seq);
    Ok(Page { items: hydrate(conn, crypto, page.items)?, next: page.next })
}

/// The paths of an application's union and sending union, to judge who sees it.
pub(super) fn paths(conn: &mut DbConn, r: &Record) -> anyhow::Result<(NodePath, Option<NodePath>)> {
    let union = path_of(conn, &r.union_code)?.ok_or_else(|| anyhow::anyhow!("union {} is gone", r.union_code))?;
    let from = match &r.from_union_code {
        Some(code) => path_of(conn, code)?,
        None => None,
    };
    Ok((union, from))
}

pub(super) fn get(
    conn: &mut DbConn,
    crypto: &FieldCrypto,
    id: &ApplicationId,
    within: Option<&NodePath>,
) -> Result<Application, Refused> {
    let r = record(conn, id)?.ok_or(Refused(MembershipError::NotFound))?;
    let (union, from) = paths(conn, &r)?;
    check_seen(within, &union, from.as_ref())?;
    Ok(hydrate(conn, crypto, vec![r])?.remove(0))
}

#[derive(Queryable)]
struct SpellRow {
    union_code: String,
    member_no: String,
    started_at: NaiveDateTime,
    began: String,
    ended_at: Option<NaiveDateTime>,
    ended: Option<String>,
}

/// The member's spells, oldest first; a roster row with none is one spell from when it was first
/// imported (the history begins with the first change made here).
pub(super) fn spells(conn: &mut DbConn, member: &str) -> anyhow::Result<Vec<Spell>> {
    let keys: Option<(Option<String>, Option<String>)> =
        members::table.find(member).select((members::id_index, members::name_index)).first(conn).optional()?;
    let Some((Some(id_index), Some(name_index))) = keys else { return Ok(Vec::new()) };
    let rows: Vec<SpellRow> = memberships::table
        .filter(memberships::id_index.eq(&id_index))
        .order(memberships::id.asc())
        .select((
            memberships::union_code,
            memberships::member_no,
            memberships::started_at,
            memberships::began,
            memberships::ended_at,
            memberships::ended,
        ))
        .load(conn)?;
    let mut spells: Vec<(String, Spell)> = rows
        .into_iter()
        .map(|r| {
            let spell = Spell {
                union: UnionCode::stored(r.union_code.clone()),
                union_name: String::new(),
                member_no: r.member_no,
                from: r.started_at.and_utc(),
                began: SpellEvent::parse(&r.began).unwrap_or(SpellEvent::Roster),
                until: r.ended_at.map(|t| t.and_utc()),
                ended: r.ended.as_deref().and_then(SpellEvent::parse),
            };
            (r.union_code, spell)
        })
        .collect();
    let before = spells.len();
    if spells.iter().all(|(_, s)| s.until.is_some()) {
        let active: Option<(String, String, Option<NaiveDateTime>, NaiveDateTime)> = roster::table
            .filter(roster::id_index.eq(&id_index))
            .filter(roster::name_index.eq(&name_index))
            .filter(roster::status.eq("active"))
            .select((roster::union_org_code, roster::member_no, roster::joined_at, roster::updated_at))
            .first(conn)
            .optional()?;
        if let Some((code, member_no, joined, updated)) = active {
            let spell = Spell {
                union: UnionCode::stored(code.clone()),
                union_name: String::new(),
                member_no,
                // Back on the roster after a spell recorded here ended: since the import that did it.
                from: if before == 0 { joined.unwrap_or(updated) } else { updated }.and_utc(),
                began: SpellEvent::Roster,
                until: None,
                ended: None,
            };
            spells.push((code, spell));
        }
    }
    let codes: Vec<String> = spells.iter().map(|(c, _)| c.clone()).collect();
    let names: HashMap<String, String> = union_nodes::table
        .filter(union_nodes::code.eq_any(&codes))
        .select((union_nodes::code, union_nodes::name))
        .load(conn)?
        .into_iter()
        .collect();
    Ok(spells
        .into_iter()
        .map(|(code, mut s)| {
            s.union_name = names.get(&code).cloned().unwrap_or_default();
            s
        })
        .collect())
}

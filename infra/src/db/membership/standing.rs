//! The applicant's standing as the store keeps it: the real name they are known by, their active
//! roster row, the spells of membership it began and ended, and the member numbers given.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Text as SqlText;

use super::super::members::{ID_NUMBER, NAME};
use super::super::schema::{applications, member_numbers, members, memberships, roster};
use super::super::DbConn;
use super::Record;
use crate::crypto::FieldCrypto;
use domain::members::RealName;
use domain::membership::model::SpellEvent;
use domain::membership::rules::Standing;
use domain::unions::UnionCode;

/// The applicant's bound real name as the roster keys it, sealed as stored.
pub(super) struct Person {
    pub(super) id_index: String,
    pub(super) name_index: String,
    pub(super) name_cipher: String,
    pub(super) id_cipher: String,
}

pub(super) fn person(conn: &mut DbConn, member: &str) -> QueryResult<Option<Person>> {
    type Row = (Option<String>, Option<String>, Option<String>, Option<String>);
    let row: Option<Row> = members::table
        .find(member)
        .filter(members::erased_at.is_null())
        .select((members::id_index, members::name_index, members::name_cipher, members::id_cipher))
        .first(conn)
        .optional()?;
    Ok(match row {
        Some((Some(id_index), Some(name_index), Some(name_cipher), Some(id_cipher))) => {
            Some(Person { id_index, name_index, name_cipher, id_cipher })
        }
        _ => None,
    })
}

/// The name and ID number given with a join, sealed and indexed as the members table keeps them.
pub(super) fn sealed(crypto: &FieldCrypto, identity: &RealName) -> Person {
    Person {
        id_index: crypto.blind_index(ID_NUMBER, identity.id_number.as_str()),
        name_index: crypto.blind_index(NAME, identity.name.as_str()),
        name_cipher: crypto.seal(identity.name.as_str()),
        id_cipher: crypto.seal(identity.id_number.as_str()),
    }
}

/// The person a join was given for: the account's bound name, or the one given with it.
pub(super) fn applicant(conn: &mut DbConn, r: &Record) -> QueryResult<Option<Person>> {
    if let Some(p) = person(conn, &r.member_id)? {
        return Ok(Some(p));
    }
    let erased: Option<Option<NaiveDateTime>> =
        members::table.find(&r.member_id).select(members::erased_at).first(conn).optional()?;
    if !matches!(erased, Some(None)) {
        return Ok(None);
    }
    let given: Option<(Option<String>, Option<String>)> = applications::table
        .filter(applications::seq.eq(r.seq))
        .select((applications::id_index, applications::name_index))
        .first(conn)
        .optional()?;
    Ok(match (given, &r.name_cipher, &r.id_cipher) {
        (Some((Some(id_index), Some(name_index))), Some(name_cipher), Some(id_cipher)) => {
            Some(Person { id_index, name_index, name_cipher: name_cipher.clone(), id_cipher: id_cipher.clone() })
        }
        _ => None,
    })
}

/// Whether the ID number is bound to an account other than `member`.
pub(super) fn bound_elsewhere(conn: &mut DbConn, id_index: &str, member: &str) -> QueryResult<bool> {
    let n: i64 = members::table
        .filter(members::id_index.eq(id_index))
        .filter(members::id.ne(member))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The person's active roster row: its union, member number, and when the current spell began.
pub(super) struct Active {
    pub(super) union: String,
    pub(super) member_no: String,
    pub(super) since: NaiveDateTime,
}

pub(super) fn active(conn: &mut DbConn, p: &Person, lock: bool) -> QueryResult<Option<Active>> {
    let q = roster::table
        .filter(roster::id_index.eq(&p.id_index))
        .filter(roster::name_index.eq(&p.name_index))
        .filter(roster::status.eq("active"))
        .select((roster::union_org_code, roster::member_no, roster::joined_at, roster::updated_at));
    type Row = (String, String, Option<NaiveDateTime>, NaiveDateTime);
    let row: Option<Row> = match conn {
        DbConn::Pg(pg) if lock => q.for_update().first(pg).optional()?,
        _ => q.first(conn).optional()?,
    };
    Ok(row.map(|(union, member_no, joined, updated)| Active { union, member_no, since: joined.unwrap_or(updated) }))
}

/// The union of an active roster row with the person's ID number under any name: a member, to be
/// matched by binding their real name, not a joiner.
pub(super) fn listed(conn: &mut DbConn, p: &Person) -> QueryResult<Option<UnionCode>> {
    let code: Option<String> = roster::table
        .filter(roster::id_index.eq(&p.id_index))
        .filter(roster::status.eq("active"))
        .select(roster::union_org_code)
        .first(conn)
        .optional()?;
    Ok(code.map(UnionCode::stored))
}

pub(super) fn standing(conn: &mut DbConn, p: Option<&Person>, lock: bool) -> QueryResult<(Standing, Option<Active>)> {
    let active = match p {
        Some(p) => active(conn, p, lock)?,
        None => None,
    };
    let standing =
        Standing { real_name: p.is_some(), active_in: active.as_ref().map(|a| UnionCode::stored(a.union.clone())) };
    Ok((standing, active))
}

/// The next member number of `federation`: its counter's row is locked until the transaction
/// ends, so approvals at once take numbers one after the other and a rolled-back one gives its
/// number back. A number the imported roster already uses is passed over.
pub(super) fn allocate(conn: &mut DbConn, federation: &str) -> QueryResult<String> {
    diesel::sql_query(
        "INSERT INTO member_numbers (federation_code, last) VALUES ($1, 0) ON CONFLICT (federation_code) DO NOTHING",
    )
    .bind::<SqlText, _>(federation)
    .execute(conn)?;
    loop {
        let n: i64 = diesel::update(member_numbers::table.find(federation))
            .set(member_numbers::last.eq(member_numbers::last + 1))
            .returning(member_numbers::last)
            .get_result(conn)?;
        let number = format!("{federation}-{n:06}");
        let taken: i64 = roster::table.filter(roster::member_no.eq(&number)).count().get_result(conn)?;
        if taken == 0 {
            return Ok(number);
        }
    }
}

pub(super) fn start_spell(
    conn: &mut DbConn,
    id_index: &str,
    union: &str,
    no: &str,
    at: NaiveDateTime,
    how: SpellEvent,
) -> QueryResult<()> {
    diesel::insert_into(memberships::table)
        .values((
            memberships::id_index.eq(id_index),
            memberships::union_code.eq(union),
            memberships::member_no.eq(no),
            memberships::started_at.eq(at),
            memberships::began.eq(how.as_str()),
        ))
        .execute(conn)
        .map(drop)
}

/// Ends the person's current spell, first writing it down if the roster alone held it.
pub(super) fn end_spell(
    conn: &mut DbConn,
    id_index: &str,
    a: &Active,
    at: NaiveDateTime,
    how: SpellEvent,
) -> QueryResult<()> {
    let open: i64 = memberships::table
        .filter(memberships::id_index.eq(id_index))
        .filter(memberships::ended_at.is_null())
        .count()
        .get_result(conn)?;
    if open == 0 {
        start_spell(conn, id_index, &a.union, &a.member_no, a.since, SpellEvent::Roster)?;
    }
    diesel::update(
        memberships::table.filter(memberships::id_index.eq(id_index)).filter(memberships::ended_at.is_null()),
    )
    .set((memberships::ended_at.eq(at), memberships::ended.eq(how.as_str())))
    .execute(conn)
    .map(drop)
}

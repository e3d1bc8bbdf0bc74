//! Finding people on the roster by keyed digests (a name's first characters, a phone's last four
//! digits) or a member number, within a part of the tree, in roster order.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use std::collections::HashMap;

use super::super::members::phone_tail_digest;
use super::super::schema::{members, roster, union_nodes};
use super::super::unions::subtree_range;
use super::super::{Database, DbConn};
use super::{name_head_digests, DbRoster};
use crate::crypto::FieldCrypto;
use domain::members::roster::RosterStatus;
use domain::members::roster_search::{PhoneTail, RosterAccount, RosterCriterion, RosterMember};
use domain::members::{IdNumber, MemberId, PersonName, PhoneNumber};
use domain::shared::{Cursor, Page, PageRequest};
use domain::unions::NodePath;

/// Rows read at a time when the digest alone does not decide a match (a prefix longer than two
/// characters).
const CHUNK: i64 = 200;
/// Rows looked at by one request at most: past it the page comes back short, with a cursor to go on.
const SCAN_LIMIT: usize = 5_000;

#[derive(Queryable, Selectable)]
#[diesel(table_name = roster)]
struct Row {
    id: i64,
    member_id: Option<String>,
    name_cipher: String,
    id_cipher: String,
    union_org_code: String,
    union_org_name: String,
    member_no: String,
    status: String,
    joined_at: Option<NaiveDateTime>,
}

/// What the rows are matched by, digested.
enum Match {
    Everyone,
    Head(String),
    Head2(String),
    MemberNo(String),
    PhoneTail(String),
}

impl DbRoster {
    fn matcher(&self, criterion: &RosterCriterion) -> Match {
        match criterion {
            RosterCriterion::Everyone => Match::Everyone,
            RosterCriterion::MemberNo(no) => Match::MemberNo(no.clone()),
            RosterCriterion::PhoneTail(tail) => Match::PhoneTail(phone_tail_digest(&self.crypto, tail)),
            RosterCriterion::NamePrefix(prefix) => {
                let digest = self.crypto.blind_index(super::NAME_HEAD, prefix.head());
                if prefix.head().chars().count() == 1 {
                    Match::Head(digest)
                } else {
                    Match::Head2(digest)
                }
            }
        }
    }

    pub(super) fn search_blocking(
        &self,
        conn: &mut DbConn,
        criterion: &RosterCriterion,
        within: Option<&NodePath>,
        page: PageRequest,
    ) -> anyhow::Result<Page<RosterMember>> {
        let matcher = self.matcher(criterion);
        let range = within.map(|p| subtree_range(p.as_str()));
        let want = usize::from(page.limit.get()) + 1;
        // Whether every row the digests find is a match, so exactly a page (and one more) is read.
        let exact = match criterion {
            RosterCriterion::NamePrefix(p) => p.is_head(),
            _ => true,
        };
        let chunk = if exact { want as i64 } else { CHUNK };
        let mut found = Vec::with_capacity(want);
        let mut after = page.after.map(Cursor::key);
        let mut scanned = 0usize;
        loop {
            let rows = candidates(conn, &matcher, range.as_ref(), after, chunk)?;
            let last = rows.last().map(|r| r.id);
            let complete = (rows.len() as i64) < chunk;
            scanned += rows.len();
            let accounts = accounts(conn, &self.crypto, &rows)?;
            for row in rows {
                let account = row.member_id.as_ref().and_then(|id| accounts.get(id)).cloned();
                if let Some(member) = self.open(row, account, criterion)? {
                    found.push(member);
                    if found.len() == want {
                        return Ok(Page::from_overfetch(found, page.limit, |m| m.key));
                    }
                }
            }
            match last {
                Some(last) if !complete => after = Some(last),
                _ => return Ok(Page { items: found, next: None }),
            }
            if scanned >= SCAN_LIMIT {
                // A short page: the client goes on from where this one stopped looking.
                return Ok(Page { items: found, next: after.map(Cursor::after) });
            }
        }
    }

    /// The row opened, if it matches: a longer name prefix is checked against the opened name.
    fn open(
        &self,
        row: Row,
        account: Option<RosterAccount>,
        criterion: &RosterCriterion,
    ) -> anyhow::Result<Option<RosterMember>> {
        let name = PersonName::parse(&self.crypto.open(&row.name_cipher)?)?;
        let keep = match criterion {
            RosterCriterion::NamePrefix(p) => name.as_str().starts_with(p.as_str()),
            _ => true,
        };
        if !keep {
            return Ok(None);
        }
        // A stored number was checked when it was written; its birth date is no longer in question.
        let id_number = IdNumber::parse(&self.crypto.open(&row.id_cipher)?, NaiveDate::MAX)?;
        let status = if row.status == "left" { RosterStatus::Left } else { RosterStatus::Active };
        Ok(Some(RosterMember {
            key: row.id,
            name,
            id_number,
            union_org_code: row.union_org_code,
            union_org_name: row.union_org_name,
            member_no: row.member_no,
            status,
            joined_at: row.joined_at.map(|t| t.and_utc()),
            account,
        }))
    }
}

fn candidates(
    conn: &mut DbConn,
    matcher: &Match,
    within: Option<&(String, String)>,
    after: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<Row>> {
    let mut q = roster::table.select(Row::as_select()).order(roster::id.asc()).into_boxed();
    if let Some((lo, hi)) = within {
        let under = union_nodes::table
            .filter(union_nodes::path.ge(lo.clone()))
            .filter(union_nodes::path.lt(hi.clone()))
            .select(union_nodes::code);
        q = q.filter(roster::union_org_code.eq_any(under));
    }
    q = match matcher {
        Match::Everyone => q,
        Match::Head(d) => q.filter(roster::name_head_index.eq(d.clone())),
        Match::Head2(d) => q.filter(roster::name_head2_index.eq(d.clone())),
        Match::MemberNo(no) => q.filter(roster::member_no.eq(no.clone())),
        // The rows the accounts with that phone tail are bound to.
        Match::PhoneTail(d) => q.filter(
            roster::member_id.eq_any(
                members::table
                    .filter(members::phone_tail_index.eq(d.clone()))
                    .filter(members::erased_at.is_null())
                    .select(members::id.nullable()),
            ),
        ),
    };
    if let Some(after) = after {
        q = q.filter(roster::id.gt(after));
    }
    q.limit(limit).load(conn)
}

/// The accounts bound to the rows (kept on each row), by id.
fn accounts(conn: &mut DbConn, crypto: &FieldCrypto, rows: &[Row]) -> anyhow::Result<HashMap<String, RosterAccount>> {
    let ids: Vec<&str> = rows.iter().filter_map(|r| r.member_id.as_deref()).collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let found: Vec<(String, Option<String>)> = members::table
        .filter(members::id.eq_any(ids))
        .filter(members::erased_at.is_null())
        .select((members::id, members::phone_cipher))
        .load(conn)?;
    let mut by_id = HashMap::with_capacity(found.len());
    for (id, phone) in found {
        let phone = phone.map(|p| crypto.open(&p)).transpose()?.map(|p| PhoneNumber::parse(&p)).transpose()?;
        by_id.insert(id.clone(), RosterAccount { id: MemberId(id.parse()?), phone });
    }
    Ok(by_id)
}

/// Fills in the search digests of rows written before they were kept (or by a tool that does not
/// compute them): up to `batch` roster rows and `batch` accounts a call, each written only if its
/// sealed value is still the one opened. Returns how many were filled; 0 once none are left. Cheap
/// when there are none: two reads of a partial index, and no write (nor, on SQLite, the writer's lock).
pub async fn backfill_search_digests(db: &Database, crypto: &FieldCrypto, batch: i64) -> anyhow::Result<u64> {
    type Pending = (Vec<(i64, String)>, Vec<(String, Option<String>)>);
    let (names, phones): Pending = db
        .run(move |conn| {
            let names = roster::table
                .filter(roster::name_head_index.is_null())
                .order(roster::id.asc())
                .limit(batch)
                .select((roster::id, roster::name_cipher))
                .load(conn)?;
            let phones = members::table
                .filter(members::phone_tail_index.is_null())
                .filter(members::phone_cipher.is_not_null())
                .order(members::id.asc())
                .limit(batch)
                .select((members::id, members::phone_cipher))
                .load(conn)?;
            Ok::<_, anyhow::Error>((names, phones))
        })
        .await?;
    if names.is_empty() && phones.is_empty() {
        return Ok(0);
    }
    let mut heads = Vec::with_capacity(names.len());
    for (id, cipher) in names {
        let name = PersonName::parse(&crypto.open(&cipher)?)?;
        heads.push((id, cipher, name_head_digests(crypto, &name)));
    }
    let mut tails = Vec::with_capacity(phones.len());
    for (id, cipher) in phones {
        let Some(cipher) = cipher else { continue };
        let phone = PhoneNumber::parse(&crypto.open(&cipher)?)?;
        tails.push((id, cipher, phone_tail_digest(crypto, &PhoneTail::of(&phone))));
    }
    db.transaction(move |conn| {
        let mut filled = 0u64;
        for (id, cipher, (head, head2)) in heads {
            filled += diesel::update(roster::table.find(id).filter(roster::name_cipher.eq(&cipher)))
                .set((roster::name_head_index.eq(head), roster::name_head2_index.eq(head2)))
                .execute(conn)? as u64;
        }
        for (id, cipher, tail) in tails {
            filled += diesel::update(members::table.find(&id).filter(members::phone_cipher.eq(&cipher)))
                .set(members::phone_tail_index.eq(tail))
                .execute(conn)? as u64;
        }
        Ok::<_, anyhow::Error>(filled)
    })
    .await
}

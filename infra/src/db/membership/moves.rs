//! Moving members in bulk, a batch per transaction: each member's roster row locked, their spell
//! in the union left ended and one in the union joined begun, as `moved`.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::super::schema::roster;
use super::super::{audit, DbConn};
use super::standing::{end_spell, start_spell, Active};
use super::{node, path_of, Refused};
use domain::admin::NewAuditEntry;
use domain::membership::model::SpellEvent;
use domain::membership::moves::{ambiguous, unknown, MoveRow, Moved};
use domain::membership::rules::check_target;
use domain::unions::model::check_seen;
use domain::unions::{NodePath, UnionCode};

type Row = (i64, String, String, Option<NaiveDateTime>, NaiveDateTime);

fn rows_numbered(conn: &mut DbConn, member_no: &str) -> QueryResult<Vec<Row>> {
    let q = || {
        roster::table.filter(roster::member_no.eq(member_no)).filter(roster::status.eq("active")).select((
            roster::id,
            roster::id_index,
            roster::union_org_code,
            roster::joined_at,
            roster::updated_at,
        ))
    };
    match conn {
        DbConn::Pg(pg) => q().for_update().load(pg),
        _ => q().load(conn),
    }
}

pub(super) fn move_batch(
    conn: &mut DbConn,
    to: &UnionCode,
    rows: Vec<MoveRow>,
    within: Option<&NodePath>,
    entry: NewAuditEntry,
) -> Result<Vec<(MoveRow, Moved)>, Refused> {
    let target = node(conn, to)?;
    check_seen(&target, within).map_err(|e| Refused(e.into()))?;
    check_target(&target)?;
    let at = entry.at.naive_utc();
    let mut outcomes: Vec<Option<Moved>> = vec![None; rows.len()];
    let mut moved = Vec::new();
    // Locked in number order, whatever the file's: two moves at once naming the same members wait
    // for one another instead of deadlocking.
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|a, b| rows[*a].member_no.cmp(&rows[*b].member_no));
    for i in order {
        let row = &rows[i];
        // Rows outside the mover's part of the tree do not exist for them, not even as a repeat.
        let mut found = Vec::new();
        for r in rows_numbered(conn, &row.member_no)? {
            let seen = match path_of(conn, &r.2)? {
                Some(path) => within.is_none_or(|w| w.contains(&path)),
                None => within.is_none(),
            };
            if seen {
                found.push(r);
            }
        }
        let outcome = match found.as_slice() {
            [] => Moved::Refused(unknown(&row.member_no)),
            [(id, id_index, union, joined, updated)] => {
                if union == to.as_str() {
                    Moved::Unchanged
                } else {
                    let current = Active {
                        union: union.clone(),
                        member_no: row.member_no.clone(),
                        since: joined.unwrap_or(*updated),
                    };
                    end_spell(conn, id_index, &current, at, SpellEvent::Moved)?;
                    start_spell(conn, id_index, to.as_str(), &row.member_no, at, SpellEvent::Moved)?;
                    diesel::update(roster::table.find(id))
                        .set((
                            roster::union_org_code.eq(to.as_str()),
                            roster::union_org_name.eq(target.name.as_str()),
                            roster::updated_at.eq(at),
                        ))
                        .execute(conn)?;
                    moved.push(serde_json::json!({"member_no": row.member_no, "from": union}));
                    Moved::Moved
                }
            }
            _ => Moved::Refused(ambiguous(&row.member_no)),
        };
        outcomes[i] = Some(outcome);
    }
    if !moved.is_empty() {
        let after = serde_json::json!({"to": to.as_str(), "moved": moved.len(), "members": moved});
        audit::append(conn, entry.change(None, Some(after)))?;
    }
    Ok(rows.into_iter().zip(outcomes).filter_map(|(row, outcome)| Some((row, outcome?))).collect())
}

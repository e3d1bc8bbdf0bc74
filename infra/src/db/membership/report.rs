//! What a part of the tree's report is counted from: its active roster rows and activated members
//! now, and the applications decided in the months asked for.

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;
use std::collections::HashSet;

use super::super::schema::{applications, members, roster, union_nodes};
use super::super::unions::subtree_range;
use super::super::DbConn;
use super::utc;
use domain::membership::report::{Basis, Decided, Month};
use domain::membership::{ApplicationKind, ApplicationState};
use domain::unions::NodePath;

pub(super) fn count(conn: &mut DbConn, under: &NodePath, from: Month, to: Month) -> anyhow::Result<Basis> {
    let (lo, hi) = subtree_range(under.as_str());
    let codes: HashSet<String> = union_nodes::table
        .filter(union_nodes::path.ge(&lo))
        .filter(union_nodes::path.lt(&hi))
        .select(union_nodes::code)
        .load::<String>(conn)?
        .into_iter()
        .collect();
    let subtree = || {
        union_nodes::table
            .filter(union_nodes::path.ge(lo.clone()))
            .filter(union_nodes::path.lt(hi.clone()))
            .select(union_nodes::code)
    };
    let active = || roster::table.filter(roster::status.eq("active")).filter(roster::union_org_code.eq_any(subtree()));
    let members: i64 = active().select(count_star()).first(conn)?;
    // Activated: an active row with an account bound to it (kept on the row), read by index.
    let activated: i64 = active().filter(roster::member_id.is_not_null()).select(count_star()).first(conn)?;
    let (starts, ends) = (utc(from.starts()), utc(to.next().starts()));
    let activations: Vec<Option<NaiveDateTime>> = active()
        .inner_join(members::table.on(members::id.nullable().eq(roster::member_id)))
        .filter(members::erased_at.is_null())
        .filter(members::real_name_at.ge(starts))
        .filter(members::real_name_at.lt(ends))
        .select(members::real_name_at)
        .load(conn)?;
    type Row = (String, String, String, Option<String>, NaiveDateTime, Option<NaiveDateTime>, Option<bool>);
    let rows: Vec<Row> = applications::table
        .filter(applications::state.eq_any(["approved", "refused"]))
        .filter(applications::decided_at.ge(starts))
        .filter(applications::decided_at.lt(ends))
        .filter(
            applications::union_code
                .eq_any(subtree())
                .or(applications::from_union_code.eq_any(subtree().select(union_nodes::code.nullable()))),
        )
        .select((
            applications::kind,
            applications::state,
            applications::union_code,
            applications::from_union_code,
            applications::submitted_at,
            applications::decided_at,
            applications::decided_late,
        ))
        .load(conn)?;
    let mut decided = Vec::with_capacity(rows.len());
    for (kind, state, union, from, submitted, at, late) in rows {
        let (Some(kind), Some(state), Some(at)) = (ApplicationKind::parse(&kind), ApplicationState::parse(&state), at)
        else {
            continue;
        };
        decided.push(Decided {
            kind,
            state,
            union_inside: codes.contains(&union),
            from_inside: from.is_some_and(|f| codes.contains(&f)),
            submitted_at: submitted.and_utc(),
            decided_at: at.and_utc(),
            late: late.unwrap_or(false),
        });
    }
    Ok(Basis {
        members: u64::try_from(members).unwrap_or(0),
        activated: u64::try_from(activated).unwrap_or(0),
        decided,
        activations: activations.into_iter().flatten().map(|t| t.and_utc()).collect(),
    })
}

//! What the service report is counted from: the cases of a part of the tree that were open at some
//! point of the months asked for.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::super::schema::{service_cases, service_kinds, service_payouts};
use super::super::DbConn;
use super::unions_in;
use super::utc;
use domain::services::model::{CaseState, KindCode};
use domain::services::report::Facts;
use domain::shared::money::Fen;
use domain::unions::NodePath;

type FactRow = (
    String,
    String,
    String,
    NaiveDateTime,
    Option<NaiveDateTime>,
    NaiveDateTime,
    Option<NaiveDateTime>,
    bool,
    Option<i32>,
    Option<i64>,
);

pub(super) fn facts(
    conn: &mut DbConn,
    under: &NodePath,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> anyhow::Result<Vec<Facts>> {
    let rows: Vec<FactRow> = service_cases::table
        .inner_join(service_kinds::table)
        .left_join(service_payouts::table)
        .filter(service_cases::union_code.eq_any(unions_in(under)))
        .filter(service_cases::submitted_at.lt(utc(to)))
        .filter(service_cases::resolved_at.is_null().or(service_cases::resolved_at.ge(utc(from))))
        .select((
            service_cases::kind_code,
            service_kinds::name,
            service_cases::state,
            service_cases::submitted_at,
            service_cases::resolved_at,
            service_cases::updated_at,
            service_cases::due_at,
            service_cases::late,
            service_cases::score,
            service_payouts::amount_fen.nullable(),
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(kind, name, state, submitted, resolved, updated, due, late, score, paid)| {
            let state = CaseState::parse(&state).ok_or_else(|| anyhow::anyhow!("case state {state}"))?;
            Ok(Facts {
                kind: KindCode::stored(kind),
                kind_name: name,
                state,
                submitted_at: submitted.and_utc(),
                resolved_at: resolved.map(|t| t.and_utc()),
                // Nothing happens to a withdrawn case after: its last change is its withdrawal.
                withdrawn_at: (state == CaseState::Withdrawn).then(|| updated.and_utc()),
                due_at: due.map(|t| t.and_utc()),
                late,
                score: score.and_then(|s| u8::try_from(s).ok()),
                paid: paid.map(Fen::new),
            })
        })
        .collect()
}

//! The union fund: budgets drawn on by approvals under the budget row's lock, payouts due until the
//! bank or staff mark them paid.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::super::members::ID_NUMBER;
use super::super::schema::{cards, members, service_budgets, service_cases, service_payouts, union_nodes};
use super::super::{audit, DbConn};
use super::unions_in;
use super::{path_of, utc, Refused, Row};
use crate::crypto::FieldCrypto;
use domain::admin::NewAuditEntry;
use domain::members::MemberId;
use domain::services::form::Answers;
use domain::services::model::{CaseId, Kind, KindCode};
use domain::services::payouts::{once, year_of, Budget, Once, Payout, PayoutFilter, PayoutId, PayoutState};
use domain::services::ServiceError;
use domain::shared::money::Fen;
use domain::unions::{NodePath, UnionCode};

/// What the kind allows once, as the unique key its payouts are kept under: a person by their ID
/// number's blind index (the account's id for one without), a child by theirs.
fn once_key(conn: &mut DbConn, crypto: &FieldCrypto, member: &str, once: &Once) -> QueryResult<String> {
    Ok(match once {
        Once::Person { year } => {
            let index: Option<Option<String>> =
                members::table.find(member).select(members::id_index).first(conn).optional()?;
            format!("person:{}:{year}", index.flatten().unwrap_or_else(|| member.to_owned()))
        }
        Once::Child { id_number, school_year } => {
            format!("child:{}:{school_year}", crypto.blind_index(ID_NUMBER, id_number))
        }
    })
}

/// Draws `amount` for an approval of case `r` on the budget of the nearest union at or above the
/// case's that has one for the kind this year, under that row's lock; refuses what would pass
/// its cap, or pay twice what the kind allows once.
pub(super) fn draw(
    conn: &mut DbConn,
    crypto: &FieldCrypto,
    r: &Row,
    kind: &Kind,
    answers: &Answers,
    amount: Fen,
    now: DateTime<Utc>,
) -> Result<(), Refused> {
    let year = year_of(now);
    let path = path_of(conn, &r.union_code)?.ok_or_else(|| anyhow::anyhow!("union {} is gone", r.union_code))?;
    let codes: Vec<String> = path.codes().map(str::to_owned).collect();
    let q = || {
        service_budgets::table
            .filter(service_budgets::kind_code.eq(kind.code.as_str()))
            .filter(service_budgets::year.eq(year))
            .filter(service_budgets::union_code.eq_any(&codes))
    };
    type BudgetRow = (String, i64, i64);
    let rows: Vec<BudgetRow> = match conn {
        DbConn::Pg(pg) => q()
            .select((service_budgets::union_code, service_budgets::cap_fen, service_budgets::spent_fen))
            .for_update()
            .load(pg)?,
        _ => q()
            .select((service_budgets::union_code, service_budgets::cap_fen, service_budgets::spent_fen))
            .load(conn)?,
    };
    let nearest = rows.into_iter().max_by_key(|(code, ..)| codes.iter().position(|c| c == code));
    let Some((budget, cap, spent)) = nearest else { return Err(Refused(ServiceError::NoBudget)) };
    if spent + amount.get() > cap {
        return Err(Refused(ServiceError::BudgetExceeded { left: Fen::new(cap - spent) }));
    }
    let key = once(kind, answers, now).map(|o| once_key(conn, crypto, &r.member_id, &o)).transpose()?;
    if let Some(key) = &key {
        let paid: i64 = service_payouts::table
            .filter(service_payouts::kind_code.eq(kind.code.as_str()))
            .filter(service_payouts::once_key.eq(key))
            .count()
            .get_result(conn)?;
        if paid > 0 {
            return Err(Refused(ServiceError::AlreadyPaid));
        }
    }
    diesel::insert_into(service_payouts::table)
        .values((
            service_payouts::id.eq(PayoutId::new().to_string()),
            service_payouts::case_seq.eq(r.seq),
            service_payouts::kind_code.eq(kind.code.as_str()),
            service_payouts::budget_code.eq(&budget),
            service_payouts::year.eq(year),
            service_payouts::member_id.eq(&r.member_id),
            service_payouts::amount_fen.eq(amount.get()),
            service_payouts::once_key.eq(&key),
            service_payouts::state.eq(PayoutState::Due.as_str()),
            service_payouts::created_at.eq(utc(now)),
        ))
        .execute(conn)?;
    diesel::update(
        service_budgets::table
            .filter(service_budgets::kind_code.eq(kind.code.as_str()))
            .filter(service_budgets::union_code.eq(&budget))
            .filter(service_budgets::year.eq(year)),
    )
    .set((service_budgets::spent_fen.eq(spent + amount.get()), service_budgets::updated_at.eq(utc(now))))
    .execute(conn)?;
    Ok(())
}

fn budget_of(conn: &mut DbConn, row: (String, String, i32, i64, i64)) -> QueryResult<Budget> {
    let (kind, union, year, cap, spent) = row;
    let name: Option<String> =
        union_nodes::table.filter(union_nodes::code.eq(&union)).select(union_nodes::name).first(conn).optional()?;
    Ok(Budget {
        kind: KindCode::stored(kind),
        union_name: name.unwrap_or_default(),
        union: UnionCode::stored(union),
        year,
        cap: Fen::new(cap),
        spent: Fen::new(spent),
    })
}

/// Sets a budget's cap (creating it at nothing spent), never below what it has paid.
pub(super) fn set_budget(
    conn: &mut DbConn,
    kind: &KindCode,
    union: &UnionCode,
    year: i32,
    cap: Fen,
    within: Option<&NodePath>,
    entry: NewAuditEntry,
) -> Result<Budget, Refused> {
    super::kinds::one(conn, kind)?;
    let path = path_of(conn, union.as_str())?
        .filter(|p| within.is_none_or(|w| w.contains(p)))
        .ok_or_else(|| Refused(ServiceError::Union(domain::unions::UnionError::NotFound(union.clone()))))?;
    let _ = path;
    let key = || {
        service_budgets::table
            .filter(service_budgets::kind_code.eq(kind.as_str()))
            .filter(service_budgets::union_code.eq(union.as_str()))
            .filter(service_budgets::year.eq(year))
    };
    let now = entry.at.naive_utc();
    let before: Option<(i64, i64)> = match conn {
        DbConn::Pg(pg) => {
            diesel::sql_query(
                "INSERT INTO service_budgets (kind_code, union_code, year, cap_fen, spent_fen, updated_at) \
                 VALUES ($1, $2, $3, 0, 0, $4) ON CONFLICT DO NOTHING",
            )
            .bind::<diesel::sql_types::Text, _>(kind.as_str())
            .bind::<diesel::sql_types::Text, _>(union.as_str())
            .bind::<diesel::sql_types::Integer, _>(year)
            .bind::<diesel::sql_types::Timestamp, _>(now)
            .execute(pg)?;
            key().select((service_budgets::cap_fen, service_budgets::spent_fen)).for_update().first(pg).optional()?
        }
        _ => key().select((service_budgets::cap_fen, service_budgets::spent_fen)).first(conn).optional()?,
    };
    let spent = before.map_or(0, |(_, s)| s);
    if cap.get() < spent {
        return Err(Refused(ServiceError::BudgetBelowSpent { spent: Fen::new(spent) }));
    }
    match before {
        Some(_) => {
            diesel::update(key())
                .set((service_budgets::cap_fen.eq(cap.get()), service_budgets::updated_at.eq(now)))
                .execute(conn)?;
        }
        None => {
            diesel::insert_into(service_budgets::table)
                .values((
                    service_budgets::kind_code.eq(kind.as_str()),
                    service_budgets::union_code.eq(union.as_str()),
                    service_budgets::year.eq(year),
                    service_budgets::cap_fen.eq(cap.get()),
                    service_budgets::spent_fen.eq(0),
                    service_budgets::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
    }
    let change = |cap: Option<i64>| cap.map(|c| serde_json::json!({"cap_fen": c}));
    audit::append(conn, entry.change(change(before.map(|(c, _)| c)), change(Some(cap.get()))))?;
    Ok(budget_of(conn, (kind.to_string(), union.to_string(), year, cap.get(), spent))?)
}

pub(super) fn budgets(
    conn: &mut DbConn,
    year: Option<i32>,
    kind: Option<KindCode>,
    within: Option<NodePath>,
) -> anyhow::Result<Vec<Budget>> {
    let mut q = service_budgets::table
        .select((
            service_budgets::kind_code,
            service_budgets::union_code,
            service_budgets::year,
            service_budgets::cap_fen,
            service_budgets::spent_fen,
        ))
        .order((service_budgets::year.desc(), service_budgets::kind_code.asc(), service_budgets::union_code.asc()))
        .into_boxed();
    if let Some(year) = year {
        q = q.filter(service_budgets::year.eq(year));
    }
    if let Some(kind) = &kind {
        q = q.filter(service_budgets::kind_code.eq(kind.as_str()));
    }
    if let Some(within) = &within {
        q = q.filter(service_budgets::union_code.eq_any(unions_in(within)));
    }
    let rows: Vec<(String, String, i32, i64, i64)> = q.load(conn)?;
    Ok(rows.into_iter().map(|r| budget_of(conn, r)).collect::<QueryResult<_>>()?)
}

#[derive(Queryable)]
struct PayoutRow {
    id: String,
    case_id: String,
    case_seq: i64,
    submitted_at: NaiveDateTime,
    kind_code: String,
    budget_code: String,
    year: i32,
    member_id: String,
    amount_fen: i64,
    state: String,
    created_at: NaiveDateTime,
    paid_at: Option<NaiveDateTime>,
    paid_by: Option<String>,
    bank_ref: Option<String>,
}

/// A payout's columns with its case's id and date (its number), in [`PayoutRow`]'s order.
#[diesel::dsl::auto_type]
fn columns() -> _ {
    (
        service_payouts::id,
        service_cases::id,
        service_payouts::case_seq,
        service_cases::submitted_at,
        service_payouts::kind_code,
        service_payouts::budget_code,
        service_payouts::year,
        service_payouts::member_id,
        service_payouts::amount_fen,
        service_payouts::state,
        service_payouts::created_at,
        service_payouts::paid_at,
        service_payouts::paid_by,
        service_payouts::bank_ref,
    )
}

fn payout_of(r: PayoutRow) -> anyhow::Result<Payout> {
    Ok(Payout {
        id: PayoutId(r.id.parse()?),
        case: CaseId(r.case_id.parse()?),
        number: super::hydrate::number(r.case_seq, r.submitted_at),
        kind: KindCode::stored(r.kind_code),
        budget: UnionCode::stored(r.budget_code),
        year: r.year,
        member: MemberId(r.member_id.parse()?),
        amount: Fen::new(r.amount_fen),
        state: PayoutState::parse(&r.state).ok_or_else(|| anyhow::anyhow!("payout {}: state {}", r.id, r.state))?,
        created_at: r.created_at.and_utc(),
        paid_at: r.paid_at.map(|t| t.and_utc()),
        paid_by: r.paid_by,
        bank_ref: r.bank_ref,
        account: None,
    })
}

/// Each payout with the account of its member's active card.
fn with_accounts(conn: &mut DbConn, mut payouts: Vec<Payout>) -> anyhow::Result<Vec<Payout>> {
    let ids: Vec<String> = payouts.iter().map(|p| p.member.to_string()).collect();
    let accounts: std::collections::HashMap<String, (String, String)> = cards::table
        .filter(cards::member_id.eq_any(&ids))
        .filter(cards::status.eq("active"))
        .select((cards::member_id, cards::account_token, cards::account_last4))
        .load::<(String, Option<String>, Option<String>)>(conn)?
        .into_iter()
        .filter_map(|(m, t, l)| Some((m, (t?, l?))))
        .collect();
    for p in &mut payouts {
        p.account = accounts.get(&p.member.to_string()).cloned();
    }
    Ok(payouts)
}

/// Payouts of cases in `within`, oldest first.
pub(super) fn payouts(
    conn: &mut DbConn,
    filter: PayoutFilter,
    within: Option<NodePath>,
) -> anyhow::Result<Vec<Payout>> {
    let mut q = service_payouts::table
        .inner_join(service_cases::table)
        .select(columns())
        .order(service_payouts::created_at.asc())
        .then_order_by(service_payouts::id.asc())
        .into_boxed();
    if let Some(state) = filter.state {
        q = q.filter(service_payouts::state.eq(state.as_str()));
    }
    if let Some(year) = filter.year {
        q = q.filter(service_payouts::year.eq(year));
    }
    if let Some(kind) = &filter.kind {
        q = q.filter(service_payouts::kind_code.eq(kind.as_str()));
    }
    if let Some(within) = &within {
        q = q.filter(service_cases::union_code.eq_any(unions_in(within)));
    }
    let rows: Vec<PayoutRow> = q.load(conn)?;
    let payouts = rows.into_iter().map(payout_of).collect::<anyhow::Result<Vec<_>>>()?;
    with_accounts(conn, payouts)
}

/// The payout of a case, if it has one.
pub(super) fn of_case(conn: &mut DbConn, seq: i64) -> anyhow::Result<Option<Payout>> {
    let row: Option<PayoutRow> = service_payouts::table
        .inner_join(service_cases::table)
        .filter(service_payouts::case_seq.eq(seq))
        .select(columns())
        .first(conn)
        .optional()?;
    row.map(payout_of).transpose()
}

/// Marks a payout paid, once: the same bank reference again is the same answer (a retried call),
/// another is 409.
pub(super) fn mark_paid(
    conn: &mut DbConn,
    id: PayoutId,
    by: &str,
    bank_ref: Option<String>,
    within: Option<NodePath>,
    now: DateTime<Utc>,
    entry: Option<NewAuditEntry>,
) -> Result<Payout, Refused> {
    let q = || service_payouts::table.inner_join(service_cases::table).filter(service_payouts::id.eq(id.to_string()));
    let mine = || service_payouts::table.filter(service_payouts::id.eq(id.to_string()));
    let found: Option<(String, Option<String>, i64)> = match conn {
        DbConn::Pg(pg) => mine()
            .select((service_payouts::state, service_payouts::bank_ref, service_payouts::case_seq))
            .for_update()
            .first(pg)
            .optional()?,
        _ => mine()
            .select((service_payouts::state, service_payouts::bank_ref, service_payouts::case_seq))
            .first(conn)
            .optional()?,
    };
    let Some((state, known_ref, seq)) = found else { return Err(Refused(ServiceError::PayoutNotFound)) };
    let union: String = service_cases::table.find(seq).select(service_cases::union_code).first(conn)?;
    if let Some(within) = &within {
        if !path_of(conn, &union)?.is_some_and(|p| within.contains(&p)) {
            return Err(Refused(ServiceError::PayoutNotFound));
        }
    }
    if state == PayoutState::Paid.as_str() {
        if known_ref.is_some() && known_ref == bank_ref {
            let row: PayoutRow = q().select(columns()).first(conn)?;
            return Ok(payout_of(row)?);
        }
        return Err(Refused(ServiceError::PayoutPaid));
    }
    diesel::update(service_payouts::table.find(id.to_string()))
        .set((
            service_payouts::state.eq(PayoutState::Paid.as_str()),
            service_payouts::paid_at.eq(utc(now)),
            service_payouts::paid_by.eq(by),
            service_payouts::bank_ref.eq(&bank_ref),
        ))
        .execute(conn)?;
    if let Some(entry) = entry {
        audit::append(conn, entry.change(None, Some(serde_json::json!({"state": "paid", "bank_ref": bank_ref}))))?;
    }
    let row: PayoutRow = q().select(columns()).first(conn)?;
    Ok(payout_of(row)?)
}

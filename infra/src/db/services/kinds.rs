//! Kinds of case: their spec kept as JSON and read back through the domain's parser.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::super::schema::service_kinds;
use super::super::{audit, DbConn};
use super::Refused;
use domain::admin::NewAuditEntry;
use domain::services::model::{Category, Kind, KindCode, TimeLimits};
use domain::services::{spec, ServiceError};

#[derive(Queryable, Selectable)]
#[diesel(table_name = service_kinds)]
struct KindRow {
    code: String,
    category: String,
    name: String,
    description: String,
    spec: String,
    accept_days: i32,
    answer_days: i32,
    active: bool,
}

fn kind_of(r: KindRow) -> anyhow::Result<Kind> {
    let json: serde_json::Value = serde_json::from_str(&r.spec)?;
    let (form, eligibility, money) = spec::parse(&json).map_err(|p| anyhow::anyhow!("kind {}: {}", r.code, p.en))?;
    let days = |d: i32| u32::try_from(d).unwrap_or(0);
    Ok(Kind {
        category: Category::parse(&r.category).ok_or_else(|| anyhow::anyhow!("kind {}: category", r.code))?,
        limits: TimeLimits::parse(days(r.accept_days), days(r.answer_days))
            .ok_or_else(|| anyhow::anyhow!("kind {}: limits", r.code))?,
        code: KindCode::stored(r.code),
        name: r.name,
        description: r.description,
        form,
        eligibility,
        money,
        active: r.active,
    })
}

pub(super) fn all(conn: &mut DbConn, retired_too: bool) -> anyhow::Result<Vec<Kind>> {
    let mut q = service_kinds::table.select(KindRow::as_select()).order(service_kinds::code.asc()).into_boxed();
    if !retired_too {
        q = q.filter(service_kinds::active.eq(true));
    }
    q.load(conn)?.into_iter().map(kind_of).collect()
}

pub(super) fn load(conn: &mut DbConn, code: &str) -> Result<Kind, Refused> {
    let row: Option<KindRow> = service_kinds::table.find(code).select(KindRow::as_select()).first(conn).optional()?;
    Ok(kind_of(row.ok_or(Refused(ServiceError::KindNotFound))?)?)
}

pub(super) fn one(conn: &mut DbConn, code: &KindCode) -> Result<Kind, Refused> {
    load(conn, code.as_str())
}

fn spec_text(k: &Kind) -> String {
    spec::to_json(&k.form, k.eligibility, k.money.as_ref()).to_string()
}

fn days(d: u32) -> i32 {
    i32::try_from(d).unwrap_or(i32::MAX)
}

pub(super) fn create(conn: &mut DbConn, kind: Kind, entry: NewAuditEntry) -> Result<Kind, Refused> {
    let now: NaiveDateTime = entry.at.naive_utc();
    diesel::insert_into(service_kinds::table)
        .values((
            service_kinds::code.eq(kind.code.as_str()),
            service_kinds::category.eq(kind.category.as_str()),
            service_kinds::name.eq(&kind.name),
            service_kinds::description.eq(&kind.description),
            service_kinds::spec.eq(spec_text(&kind)),
            service_kinds::accept_days.eq(days(kind.limits.accept_days)),
            service_kinds::answer_days.eq(days(kind.limits.answer_days)),
            service_kinds::active.eq(kind.active),
            service_kinds::created_at.eq(now),
            service_kinds::updated_at.eq(now),
        ))
        .execute(conn)?;
    audit::append(conn, entry.change(None, Some(spec::to_json(&kind.form, kind.eligibility, kind.money.as_ref()))))?;
    Ok(kind)
}

/// Replaces a kind but its category (a question does not become an application under its open
/// cases); its open cases' deadlines follow the new limits.
pub(super) fn update(conn: &mut DbConn, kind: Kind, entry: NewAuditEntry) -> Result<Kind, Refused> {
    let before = match conn {
        DbConn::Pg(pg) => service_kinds::table
            .find(kind.code.as_str())
            .select(KindRow::as_select())
            .for_update()
            .first(pg)
            .optional()?,
        _ => service_kinds::table.find(kind.code.as_str()).select(KindRow::as_select()).first(conn).optional()?,
    };
    let before = kind_of(before.ok_or(Refused(ServiceError::KindNotFound))?)?;
    if before.category != kind.category {
        return Err(Refused(ServiceError::invalid(
            "category",
            "类别的性质（咨询、申请、投诉）创建后不能更改",
            "a kind's category cannot change",
        )));
    }
    diesel::update(service_kinds::table.find(kind.code.as_str()))
        .set((
            service_kinds::name.eq(&kind.name),
            service_kinds::description.eq(&kind.description),
            service_kinds::spec.eq(spec_text(&kind)),
            service_kinds::accept_days.eq(days(kind.limits.accept_days)),
            service_kinds::answer_days.eq(days(kind.limits.answer_days)),
            service_kinds::active.eq(kind.active),
            service_kinds::updated_at.eq(entry.at.naive_utc()),
        ))
        .execute(conn)?;
    super::timers::redate_kind(conn, kind.code.as_str())?;
    let json = |k: &Kind| {
        serde_json::json!({
            "name": k.name, "active": k.active, "accept_days": k.limits.accept_days, "answer_days": k.limits.answer_days,
            "spec": spec::to_json(&k.form, k.eligibility, k.money.as_ref()),
        })
    };
    audit::append(conn, entry.change(Some(json(&before)), Some(json(&kind))))?;
    Ok(kind)
}

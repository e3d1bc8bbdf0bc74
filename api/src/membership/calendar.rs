//! The working-day calendar and the time limits applications are decided within.

use actix_web::{get, put, web};

use super::dto::{CalendarBody, LimitsBody};
use super::MembershipState;
use crate::error::ApiError;
use crate::extract::Staff;
use domain::membership::limits::DecisionLimits;
use domain::membership::{ApplicationKind, MembershipError};
use domain::shared::working_days::CalendarYear;

const PROBLEM: &str = "application/problem+json";

fn year(raw: &str) -> Result<i32, ApiError> {
    raw.parse::<i32>()
        .ok()
        .filter(|y| (2000..=2100).contains(y))
        .ok_or_else(|| ApiError::validation("year", "年份须在 2000–2100 之间", "year must be 2000-2100".into()))
}

/// A year's public holidays and make-up workdays.
///
/// Working days are Monday to Friday, less the holidays, plus the make-up workdays (调休); time limits are counted in
/// them, in Beijing time. A year never loaded is plain weekdays. Changes nothing.
///
/// Who: staff with role admin, operator or auditor; a union officer.
#[utoipa::path(operation_id = "admin_get_calendar", tag = "membership", security(("admin_jwt" = [])),
    params(("year" = i32, Path, description = "2000–2100", example = 2026)),
    responses(
        (status = 200, body = CalendarBody),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/admin/calendar/{year}")]
pub async fn get_calendar(
    state: web::Data<MembershipState>,
    _staff: Staff,
    path: web::Path<String>,
) -> Result<web::Json<CalendarBody>, ApiError> {
    let cal = state.membership.calendar(year(&path)?).await?;
    Ok(web::Json(CalendarBody { holidays: cal.holidays().to_vec(), workdays: cal.workdays().to_vec() }))
}

/// Loads a year's calendar as the State Council announces it.
///
/// Replaces what the year held. Every date in that year, none twice, each make-up workday a Saturday or Sunday (422
/// `calendar.invalid` naming the date). Open applications' deadlines move with it. Audit-logged as `calendar.set`.
///
/// Who: staff with role admin or operator whose scope is the whole tree (the calendar is the federation's).
#[utoipa::path(operation_id = "admin_set_calendar", tag = "membership", security(("admin_jwt" = [])),
    params(("year" = i32, Path, description = "2000–2100", example = 2026)), request_body = CalendarBody,
    responses(
        (status = 200, body = CalendarBody),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, description = "`calendar.invalid`", body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[put("/v1/admin/calendar/{year}")]
pub async fn set_calendar(
    state: web::Data<MembershipState>,
    staff: Staff,
    path: web::Path<String>,
    body: web::Json<CalendarBody>,
) -> Result<web::Json<CalendarBody>, ApiError> {
    let body = body.into_inner();
    let cal = CalendarYear::parse(year(&path)?, &body.holidays, &body.workdays).map_err(MembershipError::from)?;
    let cal = state.membership.set_calendar(&staff.actor, cal).await?;
    Ok(web::Json(CalendarBody { holidays: cal.holidays().to_vec(), workdays: cal.workdays().to_vec() }))
}

fn limits_body(l: &DecisionLimits) -> LimitsBody {
    LimitsBody {
        join: l.of(ApplicationKind::Join),
        transfer: l.of(ApplicationKind::Transfer),
        leave: l.of(ApplicationKind::Leave),
    }
}

/// The working days each kind of application may wait for a decision.
///
/// 5 each unless set. Changes nothing.
///
/// Who: staff with role admin, operator or auditor; a union officer.
#[utoipa::path(operation_id = "admin_get_application_limits", tag = "membership", security(("admin_jwt" = [])),
    responses(
        (status = 200, body = LimitsBody),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[get("/v1/admin/application-limits")]
pub async fn get_limits(state: web::Data<MembershipState>, _staff: Staff) -> Result<web::Json<LimitsBody>, ApiError> {
    Ok(web::Json(limits_body(&state.membership.limits().await?)))
}

/// Sets the time limits, 1–60 working days each.
///
/// Open applications' deadlines move with them. Audit-logged as `application_limits.set`.
///
/// Who: staff with role admin or operator whose scope is the whole tree.
#[utoipa::path(operation_id = "admin_set_application_limits", tag = "membership", security(("admin_jwt" = [])),
    request_body = LimitsBody,
    responses(
        (status = 200, body = LimitsBody),
        (status = 403, body = crate::openapi::Problem, content_type = PROBLEM),
        (status = 422, body = crate::openapi::Problem, content_type = PROBLEM),
    ))]
#[put("/v1/admin/application-limits")]
pub async fn set_limits(
    state: web::Data<MembershipState>,
    staff: Staff,
    body: web::Json<LimitsBody>,
) -> Result<web::Json<LimitsBody>, ApiError> {
    let b = body.into_inner();
    let limits = DecisionLimits::with([
        (ApplicationKind::Join, b.join),
        (ApplicationKind::Transfer, b.transfer),
        (ApplicationKind::Leave, b.leave),
    ])
    .map_err(|e| ApiError::validation("limits", "时限须为 1–60 个工作日", e.to_string()))?;
    let limits = state.membership.set_limits(&staff.actor, limits).await?;
    Ok(web::Json(limits_body(&limits)))
}

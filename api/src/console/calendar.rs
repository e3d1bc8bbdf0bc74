//! `/console/calendar`: the working days applications are decided in — a year's public holidays and
//! make-up workdays (调休) as the State Council announces them, drawn as the year's months — and
//! the time limit of each kind of application in those days. Changing either moves the deadlines
//! of open applications, as the API does.

use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpResponse};
use chrono::{Datelike, Duration, NaiveDate, Weekday};
use maud::{html, Markup};
use serde::Deserialize;

use super::forms::{Errors, Field};
use super::page::{self, ConsoleError};
use super::session::{Operator, Posted};
use crate::error::ApiError;
use crate::membership::MembershipState;
use domain::membership::limits::DecisionLimits;
use domain::membership::{ApplicationKind, MembershipError};
use domain::shared::working_days::CalendarYear;

const SECTION: &str = "/console/calendar";
const KINDS: [(ApplicationKind, &str, &str, &str); 3] = [
    (ApplicationKind::Join, "join", "入会", "Joining"),
    (ApplicationKind::Transfer, "transfer", "关系接转", "Transfers"),
    (ApplicationKind::Leave, "leave", "退会", "Leaving"),
];

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Which {
    year: Option<i32>,
    done: Option<String>,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct CalendarForm {
    holidays: String,
    workdays: String,
}

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default)]
pub struct LimitsForm {
    join: String,
    transfer: String,
    leave: String,
}

#[derive(Default)]
struct Typed {
    calendar: Option<(CalendarForm, Errors)>,
    limits: Option<(LimitsForm, Errors)>,
}

fn this_year(op: &Operator) -> i32 {
    (op.now + Duration::hours(8)).year()
}

fn year_of(op: &Operator, year: i32) -> Result<i32, ConsoleError> {
    if (2000..=2100).contains(&year) {
        Ok(year)
    } else {
        let e = ApiError::validation("year", "年份须在 2000–2100 之间", "year must be 2000-2100".into());
        Err(ConsoleError::Refused(e, op.lang))
    }
}

/// `GET /console/calendar?year=`.
pub async fn page(
    op: Operator,
    state: web::Data<MembershipState>,
    query: web::Query<Which>,
) -> Result<HttpResponse, ConsoleError> {
    let year = year_of(&op, query.year.unwrap_or_else(|| this_year(&op)))?;
    let flash = match query.done.as_deref() {
        Some("calendar") => Some((
            true,
            op.t("日历已保存，未决申请的时限随之调整。", "Saved: open applications' deadlines moved with it.")
                .to_owned(),
        )),
        Some("limits") => Some((
            true,
            op.t("时限已保存，未决申请的时限随之调整。", "Saved: open applications' deadlines moved with them.")
                .to_owned(),
        )),
        _ => None,
    };
    render(&op, &state, year, flash, StatusCode::OK, Typed::default()).await
}

async fn render(
    op: &Operator,
    state: &MembershipState,
    year: i32,
    flash: Option<(bool, String)>,
    status: StatusCode,
    typed: Typed,
) -> Result<HttpResponse, ConsoleError> {
    op.admit(&Method::GET, &format!("/v1/admin/calendar/{year}"))?;
    let refused = |e: MembershipError| ConsoleError::Refused(e.into(), op.lang);
    let cal = state.membership.calendar(year).await.map_err(refused)?;
    let limits = state.membership.limits().await.map_err(refused)?;
    let dates = |d: &[NaiveDate]| d.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
    let (calendar_form, calendar_errors) = typed.calendar.unwrap_or_else(|| {
        (CalendarForm { holidays: dates(cal.holidays()), workdays: dates(cal.workdays()) }, Errors::default())
    });
    let (limits_form, limits_errors) = typed.limits.unwrap_or_else(|| {
        let of = |k| limits.of(k).to_string();
        let form = LimitsForm {
            join: of(ApplicationKind::Join),
            transfer: of(ApplicationKind::Transfer),
            leave: of(ApplicationKind::Leave),
        };
        (form, Errors::default())
    });
    let body = html! {
        (page::flash(&flash))
        h2 { (op.t("审批时限（工作日）", "Time limits (working days)")) }
        @if op.may(&Method::PUT, "/v1/admin/application-limits") {
            form.inline method="post" action=(format!("{SECTION}/limits")) data-testid="limits-form" {
                input type="hidden" name="_csrf" value=(op.csrf);
                @for message in limits_errors.general(&[]) { span.field-error role="alert" { (message) } }
                (Field::new("join", op.t("入会", "Joining"), &limits_form.join).kind("number").render(&limits_errors))
                (Field::new("transfer", op.t("关系接转", "Transfers"), &limits_form.transfer).kind("number").render(&limits_errors))
                (Field::new("leave", op.t("退会", "Leaving"), &limits_form.leave).kind("number").render(&limits_errors))
                button type="submit" { (op.t("保存时限", "Save the limits")) }
            }
        } @else {
            p { @for (kind, _, zh, en) in KINDS { (op.t(zh, en)) " " strong { (limits.of(kind)) } " · " } }
        }
        h2 { (year) (op.t(" 年工作日", ": working days")) }
        nav.pager {
            a href=(format!("{SECTION}?year={}", year - 1)) { "← " (year - 1) }
            a href=(format!("{SECTION}?year={}", year + 1)) { (year + 1) " →" }
        }
        (months(op, &cal, year))
        @if op.may(&Method::PUT, &format!("/v1/admin/calendar/{year}")) {
            form.stack method="post" action=(format!("{SECTION}/{year}")) data-testid="calendar-form" {
                input type="hidden" name="_csrf" value=(op.csrf);
                @for message in calendar_errors.general(&["holidays", "workdays"]) { p.flash.error role="alert" { (message) } }
                (Field::new("holidays", op.t("法定节假日（每行一个日期）", "Public holidays (a date a line)"), &calendar_form.holidays)
                    .kind("textarea").optional().hint("2026-10-01").render(&calendar_errors))
                (Field::new("workdays", op.t("调休上班的周六、周日（每行一个日期）", "Saturdays and Sundays worked instead (a date a line)"), &calendar_form.workdays)
                    .kind("textarea").optional().hint("2026-10-10").render(&calendar_errors))
                div.actions { button type="submit" { (op.t("保存日历", "Save the calendar")) } }
            }
        }
    };
    Ok(page::screen_with_status(op, SECTION, op.t("工作日与时限", "Working days and time limits"), body, status))
}

/// The year's months, each day marked: a working day, a weekend, a holiday, a make-up workday.
fn months(op: &Operator, cal: &CalendarYear, year: i32) -> Markup {
    let heads = [("一", "M"), ("二", "T"), ("三", "W"), ("四", "T"), ("五", "F"), ("六", "S"), ("日", "S")];
    html! {
        div.months data-testid="months" {
            @for month in 1..=12u32 {
                @let first = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or_default();
                @let days = (0..31).map(|i| first + Duration::days(i)).take_while(|d| d.month() == month).collect::<Vec<_>>();
                @let lead = first.weekday().num_days_from_monday() as usize;
                table.month {
                    caption { (month) (op.t(" 月", "")) }
                    thead { tr { @for (zh, en) in heads { th { (op.t(zh, en)) } } } }
                    tbody {
                        @for week in weeks(lead, &days) {
                            tr { @for day in week {
                                @match day {
                                    Some(d) => {
                                        @let (class, what) = day_kind(op, cal, d);
                                        td.(class) title=(format!("{d} {what}")) data-date=(d) { (d.day()) }
                                    },
                                    None => td {},
                                }
                            } }
                        }
                    }
                }
            }
        }
        p.muted.legend {
            span.day.work { "1" } (op.t(" 工作日 ", " working day ")) span.day.rest { "1" } (op.t(" 周末 ", " weekend "))
            span.day.holiday { "1" } (op.t(" 法定节假日 ", " public holiday ")) span.day.makeup { "1" } (op.t(" 调休上班", " make-up workday"))
        }
    }
}

fn weeks(lead: usize, days: &[NaiveDate]) -> Vec<Vec<Option<NaiveDate>>> {
    let cells: Vec<Option<NaiveDate>> = std::iter::repeat_n(None, lead).chain(days.iter().copied().map(Some)).collect();
    cells.chunks(7).map(|w| w.iter().copied().chain(std::iter::repeat(None)).take(7).collect()).collect()
}

fn day_kind(op: &Operator, cal: &CalendarYear, d: NaiveDate) -> (&'static str, &'static str) {
    if cal.holidays().contains(&d) {
        ("holiday", op.t("法定节假日", "public holiday"))
    } else if cal.workdays().contains(&d) {
        ("makeup", op.t("调休上班", "make-up workday"))
    } else if matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        ("rest", op.t("周末", "weekend"))
    } else {
        ("work", op.t("工作日", "working day"))
    }
}

fn parse_dates(field: &'static str, raw: &str) -> Result<Vec<NaiveDate>, ApiError> {
    raw.split(['\n', ',', '，', ' '])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            NaiveDate::parse_from_str(l, "%Y-%m-%d").map_err(|_| {
                ApiError::validation(field, "日期格式须为 YYYY-MM-DD", format!("{l}: expected YYYY-MM-DD"))
            })
        })
        .collect()
}

/// `POST /console/calendar/{year}`: the API's calendar load.
pub async fn save_calendar(
    posted: Posted<CalendarForm>,
    state: web::Data<MembershipState>,
    year: web::Path<i32>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { op, form } = posted;
    let year = year_of(&op, year.into_inner())?;
    op.admit(&Method::PUT, &format!("/v1/admin/calendar/{year}"))?;
    let done = async {
        let (holidays, workdays) = (parse_dates("holidays", &form.holidays)?, parse_dates("workdays", &form.workdays)?);
        let cal = CalendarYear::parse(year, &holidays, &workdays).map_err(MembershipError::from)?;
        state.membership.set_calendar(&op.staff.actor, cal).await?;
        Ok::<_, ApiError>(())
    };
    match done.await {
        Ok(()) => Ok(page::see_other(&format!("{SECTION}?year={year}&done=calendar"))),
        Err(e) if e.status().is_server_error() || e.status() == StatusCode::FORBIDDEN => {
            Err(ConsoleError::Refused(e, op.lang))
        }
        Err(e) => {
            let typed = Typed { calendar: Some((form, Errors::from_api(&e, op.lang))), ..Typed::default() };
            render(&op, &state, year, Some((false, e.message(op.lang).to_owned())), e.status(), typed).await
        }
    }
}

/// `POST /console/calendar/limits`: the API's time limits.
pub async fn save_limits(
    posted: Posted<LimitsForm>,
    state: web::Data<MembershipState>,
) -> Result<HttpResponse, ConsoleError> {
    let Posted { op, form } = posted;
    op.admit(&Method::PUT, "/v1/admin/application-limits")?;
    let done = async {
        let days = |field: &'static str, raw: &str| {
            raw.trim()
                .parse::<u32>()
                .map_err(|_| ApiError::validation(field, "须为 1–60 的整数", "expected 1-60".into()))
        };
        let limits = DecisionLimits::with([
            (ApplicationKind::Join, days("join", &form.join)?),
            (ApplicationKind::Transfer, days("transfer", &form.transfer)?),
            (ApplicationKind::Leave, days("leave", &form.leave)?),
        ])
        .map_err(|e| ApiError::validation("limits", "时限须为 1–60 个工作日", e.to_string()))?;
        state.membership.set_limits(&op.staff.actor, limits).await?;
        Ok::<_, ApiError>(())
    };
    let year = this_year(&op);
    match done.await {
        Ok(()) => Ok(page::see_other(&format!("{SECTION}?year={year}&done=limits"))),
        Err(e) if e.status().is_server_error() || e.status() == StatusCode::FORBIDDEN => {
            Err(ConsoleError::Refused(e, op.lang))
        }
        Err(e) => {
            let typed = Typed { limits: Some((form, Errors::from_api(&e, op.lang))), ..Typed::default() };
            render(&op, &state, year, Some((false, e.message(op.lang).to_owned())), e.status(), typed).await
        }
    }
}

//! The roster templates staff download, fill in and upload.

use actix_web::{get, HttpResponse};

use crate::error::ApiError;
use crate::extract::Staff;
use domain::members::roster::{Column, ColumnSet, RosterStatus, EXAMPLE_ROW, STATUS_VALUES};

use super::roster::XLSX;

/// The roster template as an Excel workbook.
///
/// Sheet `名册`: the Chinese headers and one example row (replace it with the union's members; the ID column is
/// formatted as text); sheet `状态说明`: the status values taken. Changes nothing.
///
/// Who: staff with role admin, operator or auditor.
#[utoipa::path(operation_id = "admin_roster_template_xlsx", tag = "admin", security(("admin_jwt" = [])),
    responses((status = 200, description = "The workbook (binary)", body = String,
        content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        example = json!("<the .xlsx workbook: sheet 名册 with 姓名,身份证号,工会编码,工会名称,会员编号,状态 and an example row; sheet 状态说明>"))))]
#[get("/v1/admin/roster/template.xlsx")]
pub async fn template_xlsx(_staff: Staff) -> Result<HttpResponse, ApiError> {
    xlsx_file()
}

/// The workbook, as the API and the console serve it.
pub(crate) fn xlsx_file() -> Result<HttpResponse, ApiError> {
    use infra::xlsx::XlsxCell::Text;
    let row = |cells: &[&str]| cells.iter().map(|c| Text((*c).to_owned())).collect::<Vec<_>>();
    let header = Column::template_header();
    let roster = vec![row(&header), row(&EXAMPLE_ROW)];
    let mut statuses = vec![row(&["状态值 / value", "含义 / meaning"])];
    statuses.extend(STATUS_VALUES.iter().map(|(value, status)| {
        row(&[value, if *status == RosterStatus::Active { "在会 / active" } else { "离会 / left" }])
    }));
    let bytes =
        infra::xlsx::workbook_of(&[("名册", &roster), ("状态说明", &statuses)]).map_err(|e| ApiError::internal(&e))?;
    Ok(HttpResponse::Ok()
        .content_type(XLSX)
        .insert_header(("content-disposition", "attachment; filename=\"roster-template.xlsx\""))
        .body(bytes))
}

/// The roster template as CSV.
///
/// UTF-8 with a BOM (so Excel opens the Chinese headers right), the Chinese headers and one example row. Status values:
/// 在会, 正常, 在籍, 有效, `active` for members; 离会, 转出, 退会, 注销, `left` for those who left. Changes nothing.
///
/// Who: staff with role admin, operator or auditor.
#[utoipa::path(operation_id = "admin_roster_template_csv", tag = "admin", security(("admin_jwt" = [])),
    responses((status = 200, description = "The template", body = String, content_type = "text/csv",
        example = json!("\u{feff}姓名,身份证号,工会编码,工会名称,会员编号,状态\r\n张三,11010519491231002X,SZ-SIP-001,苏州工业园区某公司工会,M000123,在会\r\n"))))]
#[get("/v1/admin/roster/template.csv")]
pub async fn template_csv(_staff: Staff) -> HttpResponse {
    csv_file()
}

/// The CSV template, as the API and the console serve it.
pub(crate) fn csv_file() -> HttpResponse {
    use domain::shared::spreadsheet::line;
    let header = Column::template_header();
    let body = format!("\u{feff}{}\r\n{}\r\n", line(&header), line(&EXAMPLE_ROW));
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("content-disposition", "attachment; filename=\"roster-template.csv\""))
        .body(body)
}

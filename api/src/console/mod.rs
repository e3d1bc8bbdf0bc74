//! `/console/`: the staff console, served by the same binary as the API. Server-rendered pages
//! (maud templates compiled in) over the same domain services, with the same roles and scope: every
//! screen and button asks the API's own rule (`gatekeeper::admits`) about the API operation it
//! stands for, and the services it calls confine the operator to their part of the tree as they
//! do for the API. Vendored htmx and ECharts, hashed and cached; no CDN, no build step.

mod applications;
mod assets;
mod calendar;
mod campaign_forms;
mod campaigns;
mod cards;
mod cases;
mod forms;
mod members;
mod merchant_forms;
mod merchants;
mod monitor;
mod operations;
mod page;
mod pickup;
mod reports;
mod roster;
mod session;
mod staff;
mod union_files;
mod union_report;
mod unions;
mod uploads;

pub use page::ConsoleError;
pub use session::COOKIE;

use actix_web::web;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/console", web::get().to(|| async { page::see_other("/console/") }))
        .route("/console/", web::get().to(operations::overview))
        .route("/console/assets/{name}", web::get().to(assets::serve))
        .route("/console/sign-in", web::get().to(session::form))
        .route("/console/sign-in", web::post().to(session::sign_in))
        .route("/console/sign-out", web::post().to(session::sign_out))
        .route("/console/campaigns", web::get().to(campaigns::list))
        .route("/console/campaigns/new", web::get().to(campaign_forms::new_form))
        .route("/console/campaigns/new", web::post().to(campaign_forms::create))
        .route("/console/campaigns/{id}", web::get().to(campaigns::detail))
        .route("/console/campaigns/{id}/gifts", web::post().to(campaign_forms::add_gift))
        .route("/console/campaigns/{id}/budget", web::post().to(campaign_forms::raise_budget))
        .route("/console/campaigns/{id}/gifts/{gift}/stock", web::post().to(campaign_forms::raise_stock))
        .route("/console/campaigns/{id}/report", web::get().to(reports::campaign))
        .route("/console/campaigns/{id}/report.csv", web::get().to(reports::campaign_csv))
        .route("/console/reports", web::get().to(reports::index))
        .route("/console/reports/books", web::get().to(reports::books))
        .route("/console/campaigns/{id}/monitor", web::get().to(monitor::page))
        .route("/console/campaigns/{id}/live", web::get().to(monitor::live))
        .route("/console/campaigns/{id}/gifts/{gift}/{kind}", web::post().to(pickup::list_gift))
        .route("/console/campaigns/{id}/{what}", web::post().to(campaigns::change))
        .route("/console/roster", web::get().to(roster::page))
        .route("/console/roster/imports", web::post().to(roster::upload))
        .route("/console/imports/{id}", web::get().to(roster::status))
        .route("/console/imports/{id}/rejected.csv", web::get().to(roster::rejected))
        .route("/console/members", web::get().to(members::index))
        .route("/console/members/search", web::post().to(members::search))
        .route("/console/members/lookup", web::post().to(members::lookup))
        .route("/console/members/{id}/{what}", web::post().to(members::suspension))
        .route("/console/merchants", web::get().to(merchants::list))
        .route("/console/merchants", web::post().to(merchant_forms::create))
        .route("/console/merchants/{id}", web::get().to(merchants::detail))
        .route("/console/merchants/{id}/status", web::post().to(merchant_forms::status))
        .route("/console/merchants/{id}/stores", web::post().to(merchant_forms::add_store))
        .route("/console/merchants/{id}/offers", web::post().to(merchant_forms::add_offer))
        .route("/console/merchants/{id}/offers/{offer}/{status}", web::post().to(merchant_forms::offer_status))
        .route("/console/merchants/{id}/keys", web::post().to(merchant_forms::add_key))
        .route("/console/merchants/{id}/keys/{serial}/revocation", web::post().to(merchant_forms::revoke_key))
        .route("/console/merchants/{id}/webhook/test-events", web::post().to(merchant_forms::test_event))
        .route("/console/cards", web::get().to(cards::index))
        .route("/console/cards/payouts", web::get().to(cards::payouts))
        .route("/console/cards/payouts.csv", web::get().to(cards::payouts_csv))
        .route("/console/cases", web::get().to(cases::list))
        .route("/console/cases/{id}", web::get().to(cases::detail))
        .route("/console/cases/{id}/steps", web::post().to(cases::step))
        .route("/console/cases/{id}/attachments/{file}", web::get().to(cases::file))
        .route("/console/cases/{id}/{what}", web::post().to(cases::post))
        .route("/console/applications", web::get().to(applications::list))
        .route("/console/applications/{id}", web::get().to(applications::detail))
        .route("/console/applications/{id}/decision", web::post().to(applications::decide))
        .route("/console/applications/{id}/comments", web::post().to(applications::comment))
        .route("/console/unions", web::get().to(unions::home))
        .route("/console/unions/export.csv", web::get().to(union_files::export))
        .route("/console/unions/template.csv", web::get().to(union_files::template))
        .route("/console/roster/template.csv", web::get().to(roster::template_csv))
        .route("/console/roster/template.xlsx", web::get().to(roster::template_xlsx))
        .route("/console/unions/imports", web::post().to(union_files::upload))
        .route("/console/unions/{code}", web::get().to(unions::one))
        .route("/console/unions/{code}/report", web::get().to(union_report::page))
        .route("/console/unions/{code}/report.csv", web::get().to(union_report::csv))
        .route("/console/unions/{code}/change", web::post().to(unions::change))
        .route("/console/unions/{code}/children", web::post().to(unions::add_child))
        .route("/console/unions/{code}/merge", web::post().to(unions::merge))
        .route("/console/unions/{code}/closure", web::post().to(unions::close))
        .route("/console/unions/{code}/moves", web::post().to(union_files::moves_upload))
        .route("/console/staff", web::get().to(staff::list))
        .route("/console/staff", web::post().to(staff::create))
        .route("/console/staff/{id}", web::get().to(staff::one))
        .route("/console/staff/{id}", web::post().to(staff::update))
        .route("/console/calendar", web::get().to(calendar::page))
        .route("/console/calendar/limits", web::post().to(calendar::save_limits))
        .route("/console/calendar/{year}", web::post().to(calendar::save_calendar))
        .route("/console/pickup-points", web::get().to(pickup::list))
        .route("/console/pickup-points", web::post().to(pickup::create))
        .route("/console/pickup-points/{id}/operators", web::post().to(pickup::assign))
        .route("/console/jobs", web::get().to(operations::jobs))
        .route("/console/jobs/{id}/retry", web::post().to(operations::retry))
        .route("/console/audit", web::get().to(operations::audit));
}

/// Whether a request is the console's: its refusals are pages, not problem objects.
pub fn is_console(path: &str) -> bool {
    path == "/console" || path.starts_with("/console/")
}

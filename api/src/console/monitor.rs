//! The opening monitor: a campaign's claims per second, refusals by reason, 503s, p99 and stock left
//! per gift, pushed to the browser once a second over Server-Sent Events. It reads the counts the
//! claim handler keeps in memory and the inventory gate's stock; it never queries the claims, so
//! watching an opening does not slow it.

use actix_web::http::{header, Method};
use actix_web::web::Bytes;
use actix_web::{web, HttpResponse};
use maud::html;
use serde_json::{json, Map, Value};
use std::convert::Infallible;
use std::time::Duration;

use super::campaigns::campaign_id;
use super::page::{self, beijing, ConsoleError};
use super::session::Operator;
use crate::admin::AdminState;
use crate::campaigns::tally::Tally;
use crate::campaigns::CampaignsState;
use domain::campaigns::CampaignId;

/// How often figures are pushed; the issue asks for at least once a second.
const TICK: Duration = Duration::from_secs(1);
/// A stream checks its session again this often, so a signed-out or locked-out operator stops
/// seeing figures within half a minute; and ends after an hour (the browser reconnects).
const RECHECK_EVERY: u32 = 30;
const LONGEST: u32 = 3600;

/// `GET /console/campaigns/{id}/monitor`.
pub async fn page(
    op: Operator,
    state: web::Data<CampaignsState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let id = campaign_id(&op, &id)?;
    op.admit(&Method::GET, &format!("/v1/admin/campaigns/{}", id.0))?;
    let left =
        state.campaigns.stock_left(&op.staff.actor, id).await.map_err(|e| ConsoleError::Refused(e.into(), op.lang))?;
    let (c, _) =
        state.campaigns.get(&op.staff.actor, id).await.map_err(|e| ConsoleError::Refused(e.into(), op.lang))?;
    let first = figures(&state.tally.of(id.0), &Tally::default(), &left, op.now, TICK);
    let shown = |key: &str| first.get(key).map(|v| v.to_string()).unwrap_or_default();
    let body = html! {
        div data-monitor=(format!("/console/campaigns/{}/live", id.0)) data-testid="monitor" {
            p.muted { (op.t("每秒更新；拒绝原因、503 与 p99 为本服务器实例的统计，库存为库存闸门的实时数。",
                "Updated every second; refusals, 503s and p99 are this server's, stock is the inventory gate's.")) }
            div.grid {
                div.figure { div.label { (op.t("每秒领取", "Claims / s")) } div.value data-field="claims_per_second" { (shown("claims_per_second")) } }
                div.figure { div.label { (op.t("已领取", "Granted")) } div.value data-field="granted" { (shown("granted")) } }
                div.figure { div.label { (op.t("被拒绝", "Refused")) } div.value data-field="refused" { (shown("refused")) } }
                div.figure { div.label { "503" } div.value data-field="unavailable" { (shown("unavailable")) } }
                div.figure { div.label { "p99 (ms)" } div.value data-field="p99_ms" { (shown("p99_ms")) } }
                div.figure { div.label { (op.t("剩余库存", "Stock left")) } div.value data-field="stock_left" { (shown("stock_left")) } }
            }
            div.card { div.chart data-live-chart role="img" aria-label=(op.t("每秒领取与 503 走势", "Claims and 503s per second")) {} }
            h2 { (op.t("各礼品剩余", "Stock left per gift")) }
            div.table-wrap { table {
                thead { tr { th { (op.t("礼品", "Gift")) } th.num { (op.t("库存", "Stock")) } th.num { (op.t("剩余", "Left")) } } }
                tbody {
                    @for (gift, remaining) in &left {
                        tr { td { (gift.name) } td.num { (gift.stock) } td.num data-field=(format!("left:{}", gift.id.0)) { (remaining.map_or("—".to_owned(), |n| n.to_string())) } }
                    }
                }
            } }
            h2 { (op.t("拒绝原因", "Refusals by reason")) }
            div.table-wrap { table {
                thead { tr { th { (op.t("原因", "Reason")) } th.num { (op.t("次数", "Count")) } } }
                tbody data-refusals {}
            } }
            p.muted { (op.t("更新于 ", "Updated ")) span data-field="at" { (beijing(op.now)) } }
        }
    };
    let title = format!("{} · {}", c.title, op.t("开抢监控", "Opening monitor"));
    Ok(page::screen(&op, "/console/campaigns", &title, body))
}

/// One tick's figures: totals so far, and the rates and p99 of the tick since `before`.
fn figures(
    now: &Tally,
    before: &Tally,
    left: &[(domain::campaigns::Gift, Option<u32>)],
    at: chrono::DateTime<chrono::Utc>,
    tick: Duration,
) -> Map<String, Value> {
    let per_second = |n: u64| (n as f64 / tick.as_secs_f64()).round() as u64;
    let refused: u64 = now.refused.values().sum();
    let mut out = Map::new();
    out.insert("at".into(), json!(beijing(at)));
    out.insert("claims_per_second".into(), json!(per_second(now.answered().saturating_sub(before.answered()))));
    out.insert("granted".into(), json!(now.granted));
    out.insert("refused".into(), json!(refused));
    out.insert("unavailable".into(), json!(now.unavailable));
    out.insert("p99_ms".into(), json!(now.p99_since(before).map(|d| (d.as_secs_f64() * 1000.0 * 10.0).round() / 10.0)));
    let known: Option<u64> = left.iter().map(|(_, n)| n.map(u64::from)).sum();
    out.insert("stock_left".into(), known.map_or(json!("—"), |n| json!(n)));
    for (gift, n) in left {
        out.insert(format!("left:{}", gift.id.0), n.map_or(json!("—"), |n| json!(n)));
    }
    out.insert("refusals".into(), json!(now.refused));
    out.insert(
        "series".into(),
        json!({"claims/s": per_second(now.answered().saturating_sub(before.answered())),
               "503/s": per_second(now.unavailable.saturating_sub(before.unavailable))}),
    );
    out
}

struct Watch {
    campaigns: web::Data<CampaignsState>,
    admins: web::Data<AdminState>,
    op: Operator,
    token: String,
    id: CampaignId,
    before: Tally,
    ticks: u32,
}

/// `GET /console/campaigns/{id}/live`: `text/event-stream`, one JSON event a second.
pub async fn live(
    req: actix_web::HttpRequest,
    op: Operator,
    campaigns: web::Data<CampaignsState>,
    admins: web::Data<AdminState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ConsoleError> {
    let id = campaign_id(&op, &id)?;
    op.admit(&Method::GET, &format!("/v1/admin/campaigns/{}", id.0))?;
    campaigns.campaigns.get(&op.staff.actor, id).await.map_err(|e| ConsoleError::Refused(e.into(), op.lang))?;
    let token = req.cookie(super::session::COOKIE).map(|c| c.value().to_owned()).unwrap_or_default();
    let before = campaigns.tally.of(id.0);
    let watch = Watch { campaigns, admins, op, token, id, before, ticks: 0 };
    let stream = futures_util::stream::unfold(Some(watch), |watch| async move {
        let mut w = watch?;
        if w.ticks == 0 {
            return Some((Ok::<_, Infallible>(Bytes::from_static(b"retry: 2000\n\n")), Some(Watch { ticks: 1, ..w })));
        }
        tokio::time::sleep(TICK).await;
        w.ticks += 1;
        if w.ticks > LONGEST || (w.ticks % RECHECK_EVERY == 0 && w.admins.admins.authenticate(&w.token).await.is_err())
        {
            return None;
        }
        let now = w.campaigns.tally.of(w.id.0);
        let at = w.campaigns.clock.now();
        let event = match w.campaigns.campaigns.stock_left(&w.op.staff.actor, w.id).await {
            Ok(left) => Value::Object(figures(&now, &w.before, &left, at, TICK)),
            // The gate is down: the counts still come, the stock says so.
            Err(_) => {
                let mut partial = figures(&now, &w.before, &[], at, TICK);
                partial.insert("stock_left".into(), json!("—"));
                Value::Object(partial)
            }
        };
        w.before = now;
        Some((Ok(Bytes::from(format!("data: {event}\n\n"))), Some(w)))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(stream))
}

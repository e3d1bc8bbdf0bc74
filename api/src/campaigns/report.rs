use actix_web::{get, web, HttpResponse};
use domain::shared::spreadsheet::cell as field;
use serde::Serialize;
use utoipa::ToSchema;

use super::CampaignsState;
use crate::error::ApiError;
use crate::extract::Staff;
use domain::campaigns::report::{CampaignReport, Counts};
use domain::campaigns::CampaignId;

#[derive(Debug, Serialize, ToSchema)]
pub struct CountsView {
    pub claimed: u64,
    pub redeemed: u64,
    /// Issued and past their validity, never redeemed.
    pub expired: u64,
    pub voided: u64,
}

impl From<&Counts> for CountsView {
    fn from(c: &Counts) -> Self {
        Self { claimed: c.claimed, redeemed: c.redeemed, expired: c.expired, voided: c.voided }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GiftLineView {
    pub gift_id: String,
    pub name: String,
    pub stock: u32,
    #[serde(flatten)]
    pub counts: CountsView,
    pub spent_fen: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnionLineView {
    pub union_org_code: String,
    pub union_org_name: String,
    #[serde(flatten)]
    pub counts: CountsView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FunderLineView {
    pub funder: String,
    pub spent_fen: i64,
}

/// Claims over time.
#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineView {
    /// Each point's width: 1 minute for an opening, 5, 15, 60 or 1440 for a longer campaign (at most 720 points).
    pub bucket_minutes: i64,
    pub points: Vec<TimelinePointView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelinePointView {
    /// The bucket's start, Beijing time.
    pub at: chrono::DateTime<chrono::FixedOffset>,
    /// Claims made in the bucket (voided ones too: they were claims).
    pub claimed: u64,
}

/// Claims and money of one campaign; every total is computed from the claims and the append-only
/// ledger, and the breakdowns add up to it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"budget_fen": 100000000, "spent_fen": 88000000, "remaining_budget_fen": 12000000,
    "gifts": [{"gift_id": "0193a2c4-8b00-7d11-8e21-6a7b8c9d0e1f", "name": "月饼礼盒", "stock": 10000, "claimed": 10000,
        "redeemed": 8123, "expired": 0, "voided": 0, "spent_fen": 88000000}],
    "unions": [{"union_org_code": "SZ-0001", "union_org_name": "苏州市第1基层工会", "claimed": 37, "redeemed": 30, "expired": 0, "voided": 0}],
    "funders": [{"funder": "union", "spent_fen": 88000000}],
    "timeline": {"bucket_minutes": 1, "points": [{"at": "2026-10-01T10:00:00+08:00", "claimed": 9712}, {"at": "2026-10-01T10:01:00+08:00", "claimed": 288}]}}))]
pub struct ReportView {
    pub budget_fen: i64,
    pub spent_fen: i64,
    pub remaining_budget_fen: i64,
    pub gifts: Vec<GiftLineView>,
    pub unions: Vec<UnionLineView>,
    pub funders: Vec<FunderLineView>,
    /// Claims over time, from the first claim to the last, empty buckets included; adds up to the claims.
    pub timeline: TimelineView,
}

impl From<&CampaignReport> for ReportView {
    fn from(r: &CampaignReport) -> Self {
        Self {
            budget_fen: r.budget.get(),
            spent_fen: r.spent.get(),
            remaining_budget_fen: r.budget.get() - r.spent.get(),
            gifts: r
                .gifts
                .iter()
                .map(|g| GiftLineView {
                    gift_id: g.gift_id.clone(),
                    name: g.name.clone(),
                    stock: g.stock,
                    counts: (&g.counts).into(),
                    spent_fen: g.spent.get(),
                })
                .collect(),
            unions: r
                .unions
                .iter()
                .map(|u| UnionLineView {
                    union_org_code: u.union_org_code.clone(),
                    union_org_name: u.union_org_name.clone(),
                    counts: (&u.counts).into(),
                })
                .collect(),
            funders: r
                .funders
                .iter()
                .map(|f| FunderLineView { funder: f.funder.clone(), spent_fen: f.spent.get() })
                .collect(),
            timeline: TimelineView {
                bucket_minutes: r.timeline.bucket_minutes,
                points: r
                    .timeline
                    .points
                    .iter()
                    .map(|(at, claimed)| TimelinePointView { at: super::dto::beijing(*at), claimed: *claimed })
                    .collect(),
            },
        }
    }
}

pub(crate) async fn load(state: &CampaignsState, staff: &Staff, id: uuid::Uuid) -> Result<CampaignReport, ApiError> {
    let found = state.campaigns.report(&staff.actor, CampaignId(id)).await?;
    if !found.is_consistent() {
        // Never hand auditors figures that do not add up; this is a bug to look at, not a number.
        return Err(ApiError::internal(&anyhow::anyhow!("campaign {id} report breakdowns disagree with the ledger")));
    }
    Ok(found)
}

/// A campaign's claims and money.
///
/// Claimed, redeemed, expired and voided by gift and by grassroots union; money by funder; spent against budget.
/// Changes nothing.
///
/// Who: staff with role admin, operator or auditor (a pickup operator gets 403), whose scope holds the campaign's
/// part of the tree (404 otherwise).
#[utoipa::path(operation_id = "admin_get_campaign_report", tag = "campaigns", security(("admin_jwt" = [])), params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, body = ReportView),
    (status = 404, body = crate::openapi::Problem, content_type = "application/problem+json"),
))]
#[get("/v1/admin/campaigns/{id}/report")]
pub async fn report(
    state: web::Data<CampaignsState>,
    staff: Staff,
    id: web::Path<uuid::Uuid>,
) -> Result<web::Json<ReportView>, ApiError> {
    Ok(web::Json((&load(&state, &staff, id.into_inner()).await?).into()))
}

/// A campaign's report as CSV.
///
/// The same report as `GET /v1/admin/campaigns/{id}/report`, as CSV in UTF-8 with a BOM so spreadsheet programs read
/// the Chinese names. Changes nothing.
///
/// Who: staff with role admin, operator or auditor (a pickup operator gets 403).
#[utoipa::path(operation_id = "admin_get_campaign_report_csv", tag = "campaigns", security(("admin_jwt" = [])), params(("id" = uuid::Uuid, Path)), responses(
    (status = 200, content_type = "text/csv", body = String,
        example = json!("section,key,name,stock,claimed,redeemed,expired,voided,spent_fen\ngift,0193…,月饼礼盒,10000,10000,8123,0,0,88000000\n")),
    (status = 404, body = crate::openapi::Problem, content_type = "application/problem+json"),
))]
#[get("/v1/admin/campaigns/{id}/report.csv")]
pub async fn report_csv(
    state: web::Data<CampaignsState>,
    staff: Staff,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    Ok(csv_download(id, &load(&state, &staff, id).await?))
}

/// The report as the CSV download the API and the console serve.
pub(crate) fn csv_download(id: uuid::Uuid, r: &CampaignReport) -> HttpResponse {
    let mut out = String::from("\u{feff}section,key,name,stock,claimed,redeemed,expired,voided,spent_fen\n");
    for g in &r.gifts {
        let c = &g.counts;
        out += &format!(
            "gift,{},{},{},{},{},{},{},{}\n",
            g.gift_id,
            field(&g.name),
            g.stock,
            c.claimed,
            c.redeemed,
            c.expired,
            c.voided,
            g.spent.get()
        );
    }
    for u in &r.unions {
        let c = &u.counts;
        out += &format!(
            "union,{},{},,{},{},{},{},\n",
            field(&u.union_org_code),
            field(&u.union_org_name),
            c.claimed,
            c.redeemed,
            c.expired,
            c.voided
        );
    }
    for f in &r.funders {
        out += &format!("funder,{},,,,,,,{}\n", f.funder, f.spent.get());
    }
    out += &format!("total,budget,,,,,,,{}\ntotal,spent,,,,,,,{}\n", r.budget.get(), r.spent.get());
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(("content-disposition", format!("attachment; filename=\"campaign-{id}-report.csv\"")))
        .body(out)
}

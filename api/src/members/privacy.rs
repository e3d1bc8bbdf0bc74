//! The member's rights over their data (PIPL): everything kept about them in one document, and
//! consent withdrawn.

use actix_web::{get, post, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::dto::MeView;
use super::me::view;
use super::{MemberCaller, MembersState};
use crate::campaigns::dto::VoucherView;
use crate::campaigns::CampaignsState;
use crate::cards::dto::MyCard;
use crate::cards::feed_dto::{MyRebateView, MyTransactionView};
use crate::cards::CardsState;
use crate::error::ApiError;
use crate::membership::dto::{MembershipApplication, SpellView};
use crate::membership::MembershipState;
use crate::merchants::dto::MemberSaleView;
use crate::merchants::MerchantsState;

const PROBLEM: &str = "application/problem+json";

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"version": "2026-11", "action": "given", "at": "2026-11-20T02:00:00Z"}))]
pub struct ConsentEventView {
    /// The privacy policy version given consent to (or, for a withdrawal, the one withdrawn).
    pub version: String,
    /// `given` or `withdrawn`.
    pub action: &'static str,
    pub at: DateTime<Utc>,
}

/// Everything kept about the member (PIPL right of access), as one document: the account (its
/// identifiers masked as everywhere), consent history, vouchers, the card with its history,
/// transactions and rebates, and discounted sales at partner merchants.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"exported_at": "2026-11-25T08:00:00Z",
    "member": {"id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b5a", "status": "activated", "phone": "138****8000",
        "real_name": {"name": "张*", "id_number": "3205**********123X"},
        "union": {"union_org_code": "SZ-SIP-001", "union_org_name": "苏州工业园区某公司工会", "member_no": "M000123"},
        "nickname": "小张", "avatar_url": null, "email": "zhang@example.cn", "wechat_bound": true,
        "consent": {"version": "2026-11", "accepted_at": "2026-11-20T02:00:00Z"}, "privacy_policy_version": "2026-11",
        "created_at": "2026-11-20T01:59:00Z"},
    "wechat_unionid_bound": true,
    "held": {"phone": "13800138000", "name": "张三", "id_number": "32050219880808123X", "real_name_bound": true,
        "email": "zhang@example.cn", "wechat_openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
        "wechat_unionid": "o6_bmasdasdsad6_2sgVt7hMZOPfL", "suspension": null},
    "consents": [{"version": "2026-11", "action": "given", "at": "2026-11-20T02:00:00Z"}],
    "vouchers": [{"id": "0193a2c5-0000-7000-8000-000000000001", "campaign_id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b5a",
        "gift_id": "0193a2c4-8b00-7d11-8e21-6a7b8c9d0e1f", "gift_name": "月饼礼盒", "voucher_code": "7KQ2M9XH4TPWC",
        "qr_payload": "sgh:voucher:7KQ2M9XH4TPWC", "status": "issued", "claimed_at": "2026-10-01T10:00:01+08:00",
        "expires_at": "2026-11-01T00:00:00+08:00"}],
    "card": null, "card_transactions": [], "rebates": [],
    "discount_sales": [{"id": "0193a2c6-0000-7000-8000-000000000009", "merchant_name": "松鹤楼",
        "offer_title": "工会会员满100减20", "original_fen": 12800, "discount_fen": 2000, "paid_fen": 10800,
        "created_at": "2026-12-01T12:00:00+08:00", "reversed_at": null}],
    "applications": [{"id": "01938a6e-8f3c-7cc2-9a4b-2f1e0c7d5b11", "kind": "join", "kind_zh": "入会",
        "state": "approved", "union_code": "SZ-SIP-WT-J01", "union_name": "娄葑街道联合工会", "from_union_code": null,
        "employer": "苏州某某科技有限公司", "position": "装配工", "started_on": "2026-03-01", "reason": null,
        "queue_code": "SZ-SIP-WT-J01", "overdue": false, "escalations": 0, "submitted_at": "2026-12-07T02:00:00Z",
        "due_at": "2026-12-13T16:00:00Z", "decided_at": "2026-12-08T03:00:00Z", "decided_by": null,
        "decision_note": null, "decided_late": false, "member_no": "SZ-SIP-WT-000042", "applicant": null,
        "comments": []}],
    "memberships": [{"union_code": "SZ-SIP-WT-J01", "union_name": "娄葑街道联合工会", "member_no": "SZ-SIP-WT-000042",
        "from": "2026-12-08T03:00:00Z", "began": "joined", "until": null, "ended": null}],
    "cases": []}))]
pub struct Export {
    pub exported_at: DateTime<Utc>,
    /// The account as the app shows it (identifiers masked).
    pub member: MeView,
    pub wechat_unionid_bound: bool,
    /// What the account holds, whole: this document goes to the member alone.
    pub held: HeldData,
    /// Oldest first.
    pub consents: Vec<ConsentEventView>,
    /// Newest first.
    pub vouchers: Vec<VoucherView>,
    /// The current (or last) card with the history of all the member's cards; null if they never applied.
    pub card: Option<MyCard>,
    /// Newest first.
    pub card_transactions: Vec<MyTransactionView>,
    /// Newest first.
    pub rebates: Vec<MyRebateView>,
    /// Newest first.
    pub discount_sales: Vec<MemberSaleView>,
    /// Applications to join, transfer or leave, newest first, as the member sees them (the union's
    /// internal remarks are the officers' working notes and stay with the union).
    pub applications: Vec<MembershipApplication>,
    /// The spells of membership, oldest first.
    pub memberships: Vec<SpellView>,
    /// Service cases, newest first, whole as the member sees them (staff's internal notes stay with the union).
    pub cases: Vec<crate::services::dto::CaseView>,
}

/// The personal data an account holds, unmasked (PIPL art. 45: the member's copy of it).
#[derive(Debug, Serialize, ToSchema)]
pub struct HeldData {
    pub phone: Option<String>,
    /// The bound real name.
    pub name: Option<String>,
    /// The bound 居民身份证 number.
    pub id_number: Option<String>,
    pub real_name_bound: bool,
    /// The confirmed e-mail address.
    pub email: Option<String>,
    /// The WeChat identifiers the account is signed in with.
    pub wechat_openid: Option<String>,
    pub wechat_unionid: Option<String>,
    /// Why staff suspended the account, while it is.
    pub suspension: Option<String>,
}

impl HeldData {
    fn of(m: &domain::members::Member) -> Self {
        Self {
            phone: m.phone.as_ref().map(|p| p.as_str().to_owned()),
            name: m.real_name.as_ref().map(|r| r.name.as_str().to_owned()),
            id_number: m.real_name.as_ref().map(|r| r.id_number.as_str().to_owned()),
            real_name_bound: m.real_name.is_some(),
            email: m.email.as_ref().map(|e| e.as_str().to_owned()),
            wechat_openid: m.wechat_openid.clone(),
            wechat_unionid: m.wechat_unionid.clone(),
            suspension: m.suspension.clone(),
        }
    }
}

/// Exports everything kept about the member.
///
/// One JSON document: the account, consent history, vouchers, the card with its history, card transactions, rebates,
/// discounted sales, applications to join, transfer or leave, the spells of membership, and service cases. `member` is the account as
/// the app shows it, masked; `held` is what the account holds, whole (phone, real name and 身份证 number, e-mail, WeChat
/// identifiers, a suspension's reason): the document goes to the member alone. Changes nothing.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_export_data", tag = "members", security(("member_jwt" = [])),
    responses((status = 200, body = Export),
        (status = 503, body = crate::openapi::Problem, content_type = PROBLEM)))]
#[get("/v1/me/export")]
pub async fn export(
    state: web::Data<MembersState>,
    campaigns: web::Data<CampaignsState>,
    cards: web::Data<CardsState>,
    merchants: web::Data<MerchantsState>,
    membership: web::Data<MembershipState>,
    services: web::Data<crate::services::ServicesState>,
    me: MemberCaller,
) -> Result<web::Json<Export>, ApiError> {
    let id = me.0.member.id;
    let (consents, vouchers, cards, discount_sales) = futures_util::future::try_join4(
        async { state.profiles.consent_history(id).await.map_err(ApiError::from) },
        crate::campaigns::export::vouchers(&campaigns, id),
        crate::cards::export::part(&cards, id),
        crate::merchants::export::sales(&merchants, id),
    )
    .await?;
    let (applications, memberships) =
        futures_util::future::try_join(async { membership.membership.mine(id).await.map_err(ApiError::from) }, async {
            membership.membership.history(id).await.map_err(ApiError::from)
        })
        .await?;
    let cases = services.services.export(id).await?;
    let now = state.clock.now();
    Ok(web::Json(Export {
        exported_at: now,
        wechat_unionid_bound: me.0.member.wechat_unionid.is_some(),
        held: HeldData::of(&me.0.member),
        member: view(&state, &me.0),
        consents: consents
            .into_iter()
            .map(|e| ConsentEventView {
                version: e.version,
                action: if e.given { "given" } else { "withdrawn" },
                at: e.at,
            })
            .collect(),
        vouchers,
        card: cards.card,
        card_transactions: cards.transactions,
        rebates: cards.rebates,
        discount_sales,
        applications: applications.into_iter().map(|a| MembershipApplication::member(a, now)).collect(),
        memberships: memberships.into_iter().map(SpellView::from).collect(),
        cases: cases
            .into_iter()
            .map(|c| crate::services::dto::CaseView::of(c, crate::services::dto::Audience::Member, now, true))
            .collect(),
    }))
}

/// A record kept after consent is withdrawn, and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct KeptRecord {
    /// `account`, `consent_history`, `vouchers`, `card`, `discount_sales`, `memberships`.
    pub record: &'static str,
    pub reason: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"withdrawn_at": "2026-12-06T08:00:00Z",
    "member": {"id": "0193a2c4-7f1e-7cc2-9a51-3f0c1d2e4b5a", "status": "activated", "phone": "138****8000",
        "real_name": {"name": "张*", "id_number": "3205**********123X"}, "union": null, "nickname": null,
        "avatar_url": null, "email": null, "wechat_bound": false, "consent": null, "privacy_policy_version": "2026-11",
        "created_at": "2026-11-20T01:59:00Z"},
    "stopped": ["gift_claims", "real_name_binding", "member_codes", "card_rebates"],
    "kept": [{"record": "account", "reason": "账号与手机号：用于登录、导出与注销（DELETE /v1/me 注销）"}],
    "erase_with": "DELETE /v1/me"}))]
pub struct ConsentWithdrawn {
    pub withdrawn_at: DateTime<Utc>,
    pub member: MeView,
    /// The benefits that stopped at once.
    pub stopped: Vec<&'static str>,
    /// What is kept, and why.
    pub kept: Vec<KeptRecord>,
    /// How to have the personal data erased as well.
    pub erase_with: &'static str,
}

const STOPPED: [&str; 4] = ["gift_claims", "real_name_binding", "member_codes", "card_rebates"];

const KEPT: [KeptRecord; 6] = [
    KeptRecord {
        record: "account", reason: "账号与手机号：用于登录、导出与注销（DELETE /v1/me 注销）"
    },
    KeptRecord { record: "consent_history", reason: "同意与撤回记录：证明此前的处理有合法依据" },
    KeptRecord {
        record: "vouchers", reason: "已领取的礼品券：活动结算与审计需要，不再发放新券"
    },
    KeptRecord {
        record: "card", reason: "会员服务卡及交易、返利记录：与银行对账需要，不再产生新返利"
    },
    KeptRecord { record: "discount_sales", reason: "商户优惠消费记录：商户结算需要" },
    KeptRecord {
        record: "memberships", reason: "入会、转会、退会申请与会籍记录：工会组织关系档案需要"
    },
];

/// Withdraws consent to the privacy policy.
///
/// Every benefit stops at once — gift claims, real-name binding, member codes at tills, card rebates — and the answer
/// says what is kept and why (the records settlements and the audit need); the account stays, so the member can still
/// sign in, export their data, consent again (`POST /v1/me/consents`) or have it erased (`DELETE /v1/me`). 409
/// `consent.not_given` when there is no consent to withdraw.
///
/// Who: a member (member token).
#[utoipa::path(operation_id = "member_withdraw_consent", tag = "members", security(("member_jwt" = [])),
    responses((status = 200, body = ConsentWithdrawn),
        (status = 409, description = "`consent.not_given`", body = crate::openapi::Problem, content_type = PROBLEM)))]
#[post("/v1/me/consents/withdrawal")]
pub async fn withdraw_consent(
    state: web::Data<MembersState>,
    me: MemberCaller,
) -> Result<web::Json<ConsentWithdrawn>, ApiError> {
    let profile = state.profiles.withdraw_consent(me.0.member.id).await?;
    let now = state.clock.now();
    state.standing.changed(profile.member.id, now, Some(&profile));
    Ok(web::Json(ConsentWithdrawn {
        withdrawn_at: now,
        member: view(&state, &profile),
        stopped: STOPPED.to_vec(),
        kept: KEPT.into_iter().collect(),
        erase_with: "DELETE /v1/me",
    }))
}

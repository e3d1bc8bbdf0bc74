//! Pickup points (职工服务中心/站/点) where members collect gifts, and redeeming vouchers there.

use chrono::{DateTime, Utc};
use std::future::Future;
use uuid::Uuid;

use super::model::GiftId;
use super::voucher;
use crate::admin::{Actor, AdminId, NewAuditEntry, Role};
use crate::shared::ids::uuid_id;
use crate::shared::Clock;
use crate::unions::{NodePath, Scope};

uuid_id!(PickupPointId);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickupKind {
    /// 职工服务中心
    Center,
    /// 职工服务站
    Station,
    /// 职工服务点
    Point,
}

impl PickupKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PickupKind::Center => "center",
            PickupKind::Station => "station",
            PickupKind::Point => "point",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "center" => Some(PickupKind::Center),
            "station" => Some(PickupKind::Station),
            "point" => Some(PickupKind::Point),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickupPoint {
    pub id: PickupPointId,
    pub name: String,
    pub kind: PickupKind,
    pub address: String,
    /// The part of the tree whose staff run it; `None` for the whole federation.
    pub within: Option<Scope>,
}

/// Whether a voucher can be redeemed at a pickup point, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VoucherState {
    Redeemable {
        gift_name: String,
        expires_at: DateTime<Utc>,
    },
    /// Already redeemed; `here` when it was at this very point (a retry of the same redemption).
    Redeemed {
        gift_name: String,
        at: DateTime<Utc>,
        here: bool,
    },
    NotFound,
    Expired,
    Voided,
    /// The gift is not handed out at this point.
    WrongPoint,
}

#[derive(Debug, thiserror::Error)]
pub enum PickupError {
    #[error("this role may not do that")]
    Forbidden,
    #[error("no such pickup point")]
    PointNotFound,
    #[error("the account is not a pickup operator")]
    NotPickupOperator,
    #[error("{field}: {problem}")]
    Invalid { field: &'static str, problem: String },
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

pub trait PickupStore: Send + Sync + 'static {
    fn insert_point(
        &self,
        point: &PickupPoint,
        audit: NewAuditEntry,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
    /// Every point, or those of the part of the tree under `under`, by name.
    fn points(&self, under: Option<&NodePath>) -> impl Future<Output = anyhow::Result<Vec<PickupPoint>>> + Send;
    fn point(&self, id: PickupPointId) -> impl Future<Output = anyhow::Result<Option<PickupPoint>>> + Send;
    /// `false` when the point does not exist.
    fn assign(
        &self,
        point: PickupPointId,
        admin: AdminId,
        audit: NewAuditEntry,
    ) -> impl Future<Output = anyhow::Result<bool>> + Send;
    /// `false` when the gift or the point does not exist.
    fn list_for_gift(
        &self,
        gift: GiftId,
        point: PickupPointId,
        audit: NewAuditEntry,
    ) -> impl Future<Output = anyhow::Result<bool>> + Send;
    fn is_operator(&self, point: PickupPointId, admin: AdminId) -> impl Future<Output = anyhow::Result<bool>> + Send;
    fn state(
        &self,
        code: &str,
        point: PickupPointId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<VoucherState>> + Send;
    /// Redeems atomically — issued, not expired (checked at this moment), listed at this point —
    /// recording who and where, and answers the state afterwards.
    fn redeem(
        &self,
        code: &str,
        point: PickupPointId,
        by: AdminId,
        now: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<VoucherState>> + Send;
}

pub struct PickupService<P, C> {
    pub store: P,
    pub clock: C,
}

impl<P: PickupStore, C: Clock> PickupService<P, C> {
    pub async fn create_point(
        &self,
        actor: &Actor,
        name: &str,
        kind: PickupKind,
        address: &str,
        within: Option<Scope>,
    ) -> Result<PickupPoint, PickupError> {
        if !actor.role.may_write() {
            return Err(PickupError::Forbidden);
        }
        let within = actor.place(within).map_err(|_| PickupError::PointNotFound)?;
        let text = |field: &'static str, raw: &str, max: usize| {
            let t = raw.trim();
            if t.is_empty() || t.chars().count() > max {
                Err(PickupError::Invalid { field, problem: format!("must be 1-{max} characters") })
            } else {
                Ok(t.to_owned())
            }
        };
        let point = PickupPoint {
            id: PickupPointId(Uuid::now_v7()),
            name: text("name", name, 60)?,
            kind,
            address: text("address", address, 200)?,
            within,
        };
        let audit = NewAuditEntry::by(actor, self.clock.now(), "pickup_point.create", point.id.0.to_string()).change(
            None,
            Some(serde_json::json!({"name": point.name, "kind": kind.as_str(), "address": point.address,
                "scope_code": point.within.as_ref().map(|s| s.code.to_string())})),
        );
        self.store.insert_point(&point, audit).await?;
        Ok(point)
    }

    /// The points of `actor`'s part of the tree.
    pub async fn points(&self, actor: &Actor) -> Result<Vec<PickupPoint>, PickupError> {
        Ok(self.store.points(actor.confined_to()).await?)
    }

    /// A point in `actor`'s part of the tree; one outside it is not found.
    async fn reached(&self, actor: &Actor, id: PickupPointId) -> Result<PickupPoint, PickupError> {
        match self.store.point(id).await? {
            Some(point) if actor.reaches(point.within.as_ref()) => Ok(point),
            _ => Err(PickupError::PointNotFound),
        }
    }

    /// Lets a pickup operator redeem at a point.
    pub async fn assign(
        &self,
        actor: &Actor,
        point: PickupPointId,
        operator: &crate::admin::AdminUser,
    ) -> Result<(), PickupError> {
        if !actor.role.may_manage_staff() {
            return Err(PickupError::Forbidden);
        }
        self.reached(actor, point).await?;
        if operator.role != Role::PickupOperator {
            return Err(PickupError::NotPickupOperator);
        }
        let audit = NewAuditEntry::by(actor, self.clock.now(), "pickup_point.assign", point.0.to_string())
            .change(None, Some(serde_json::json!({"operator": operator.id.to_string()})));
        if self.store.assign(point, operator.id, audit).await? {
            Ok(())
        } else {
            Err(PickupError::PointNotFound)
        }
    }

    pub async fn list_for_gift(&self, actor: &Actor, gift: GiftId, point: PickupPointId) -> Result<(), PickupError> {
        if !actor.role.may_write() {
            return Err(PickupError::Forbidden);
        }
        self.reached(actor, point).await?;
        let audit = NewAuditEntry::by(actor, self.clock.now(), "gift.pickup_point", gift.to_string())
            .change(None, Some(serde_json::json!({"pickup_point": point.0.to_string()})));
        if self.store.list_for_gift(gift, point, audit).await? {
            Ok(())
        } else {
            Err(PickupError::PointNotFound)
        }
    }

    async fn operator_here(&self, actor: &Actor, point: PickupPointId) -> Result<(), PickupError> {
        match actor.admin_id {
            Some(id) if actor.role == Role::PickupOperator && self.store.is_operator(point, id).await? => Ok(()),
            _ => Err(PickupError::Forbidden),
        }
    }

    /// Says whether the voucher could be redeemed here now, changing nothing.
    pub async fn check(&self, actor: &Actor, code: &str, point: PickupPointId) -> Result<VoucherState, PickupError> {
        self.operator_here(actor, point).await?;
        let Some(code) = voucher::parse_code(code) else { return Ok(VoucherState::NotFound) };
        Ok(self.store.state(&code, point, self.clock.now()).await?)
    }

    pub async fn redeem(&self, actor: &Actor, code: &str, point: PickupPointId) -> Result<VoucherState, PickupError> {
        self.operator_here(actor, point).await?;
        let Some(code) = voucher::parse_code(code) else { return Ok(VoucherState::NotFound) };
        let by = actor.admin_id.ok_or(PickupError::Forbidden)?;
        Ok(self.store.redeem(&code, point, by, self.clock.now()).await?)
    }
}

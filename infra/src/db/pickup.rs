//! Pickup points and voucher redemption.

use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;

use super::schema::{
    campaigns, claims, gift_pickup_points, gift_stores, gifts, pickup_point_operators, pickup_points, union_nodes,
};
use super::unions::subtree_range;
use super::{audit, Database, DbConn};
use domain::admin::{AdminId, NewAuditEntry};
use domain::campaigns::model::{CampaignState, ClaimStatus};
use domain::campaigns::pickup::{PickupKind, PickupPoint, PickupPointId, PickupStore, VoucherState};
use domain::campaigns::GiftId;
use domain::unions::{NodePath, Scope, UnionCode};

#[derive(Clone)]
pub struct DbPickup(pub Database);

/// A point's id, name, kind, address, and the code and path of its part of the tree.
type PointRow = (String, String, String, String, Option<String>, Option<String>);

/// Points by name: those whose union's path lies in `under`'s range, or the one with `id`.
fn point_rows(conn: &mut DbConn, under: Option<(String, String)>, id: Option<String>) -> QueryResult<Vec<PointRow>> {
    let mut query = pickup_points::table
        .left_join(union_nodes::table.on(union_nodes::code.nullable().eq(pickup_points::scope_code)))
        .order(pickup_points::name)
        .select((
            pickup_points::id,
            pickup_points::name,
            pickup_points::kind,
            pickup_points::address,
            pickup_points::scope_code,
            union_nodes::path.nullable(),
        ))
        .into_boxed();
    if let Some((lo, hi)) = under {
        query = query.filter(union_nodes::path.ge(lo)).filter(union_nodes::path.lt(hi));
    }
    if let Some(id) = id {
        query = query.filter(pickup_points::id.eq(id));
    }
    query.load(conn)
}

fn point((id, name, kind, address, code, path): PointRow) -> anyhow::Result<PickupPoint> {
    let within = match (code, path) {
        (Some(code), Some(path)) => Some(Scope { code: UnionCode::stored(code), path: NodePath::stored(path) }),
        (None, _) => None,
        (Some(code), None) => anyhow::bail!("pickup point {id} belongs to unknown union {code}"),
    };
    Ok(PickupPoint {
        id: PickupPointId(id.parse()?),
        name,
        kind: PickupKind::parse(&kind).ok_or_else(|| anyhow::anyhow!("bad kind {kind}"))?,
        address,
        within,
    })
}

type VoucherRow = (String, String, NaiveDateTime, Option<NaiveDateTime>, Option<String>, Option<String>, String);

/// Where a voucher is shown: a pickup point, or a partner store.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Place<'a> {
    Point(&'a str),
    Store(&'a str),
}

/// The campaigns whose vouchers can be redeemed: a cancelled campaign's cannot, whatever a
/// voucher's own row says.
#[diesel::dsl::auto_type]
pub(crate) fn redeemable_campaigns() -> _ {
    let cancelled: &'static str = CampaignState::Cancelled.as_str();
    campaigns::table.filter(campaigns::state.ne(cancelled)).select(campaigns::id)
}

/// The voucher's state as seen from `place` at `now`: the one place the redemption rules (once
/// only, not expired, listed here) are read.
pub(crate) fn state(
    conn: &mut DbConn,
    code: &str,
    place: Place<'_>,
    now: NaiveDateTime,
) -> anyhow::Result<VoucherState> {
    let row: Option<VoucherRow> = claims::table
        .inner_join(gifts::table.on(gifts::id.eq(claims::gift_id)))
        .filter(claims::voucher_code.eq(code))
        .select((
            claims::status,
            gifts::name,
            claims::expires_at,
            claims::redeemed_at,
            claims::redeemed_point,
            claims::redeemed_store,
            claims::gift_id,
        ))
        .first(conn)
        .optional()?;
    let Some((status, gift_name, expires_at, redeemed_at, redeemed_point, redeemed_store, gift_id)) = row else {
        return Ok(VoucherState::NotFound);
    };
    let status = ClaimStatus::parse(&status).ok_or_else(|| anyhow::anyhow!("claim has unknown status {status}"))?;
    let here = match place {
        Place::Point(p) => redeemed_point.as_deref() == Some(p),
        Place::Store(s) => redeemed_store.as_deref() == Some(s),
    };
    Ok(match status {
        ClaimStatus::Redeemed => VoucherState::Redeemed { gift_name, at: redeemed_at.unwrap_or(now).and_utc(), here },
        ClaimStatus::Voided => VoucherState::Voided,
        ClaimStatus::Issued if expires_at <= now => VoucherState::Expired,
        _ => {
            let listed = match place {
                Place::Point(p) => gift_pickup_points::table
                    .filter(gift_pickup_points::gift_id.eq(&gift_id))
                    .filter(gift_pickup_points::pickup_point_id.eq(p))
                    .count()
                    .get_result::<i64>(conn)?,
                Place::Store(s) => gift_stores::table
                    .filter(gift_stores::gift_id.eq(&gift_id))
                    .filter(gift_stores::store_id.eq(s))
                    .count()
                    .get_result::<i64>(conn)?,
            };
            if listed == 0 {
                VoucherState::WrongPoint
            } else {
                VoucherState::Redeemable { gift_name, expires_at: expires_at.and_utc() }
            }
        }
    })
}

impl PickupStore for DbPickup {
    async fn insert_point(&self, p: &PickupPoint, entry: NewAuditEntry) -> anyhow::Result<()> {
        let values = (
            pickup_points::id.eq(p.id.0.to_string()),
            pickup_points::name.eq(p.name.clone()),
            pickup_points::kind.eq(p.kind.as_str()),
            pickup_points::address.eq(p.address.clone()),
            pickup_points::created_at.eq(entry.at.naive_utc()),
            pickup_points::scope_code.eq(p.within.as_ref().map(|s| s.code.to_string())),
        );
        self.0
            .transaction(move |conn| {
                diesel::insert_into(pickup_points::table).values(values).execute(conn)?;
                audit::append(conn, entry)?;
                Ok::<_, anyhow::Error>(())
            })
            .await
    }

    async fn points(&self, under: Option<&NodePath>) -> anyhow::Result<Vec<PickupPoint>> {
        let under = under.map(|p| subtree_range(p.as_str()));
        let rows = self.0.run(move |conn| Ok::<_, anyhow::Error>(point_rows(conn, under, None)?)).await?;
        rows.into_iter().map(point).collect()
    }

    async fn point(&self, id: PickupPointId) -> anyhow::Result<Option<PickupPoint>> {
        let id = id.0.to_string();
        let rows = self.0.run(move |conn| Ok::<_, anyhow::Error>(point_rows(conn, None, Some(id))?)).await?;
        rows.into_iter().map(point).next().transpose()
    }

    async fn assign(&self, point: PickupPointId, admin: AdminId, entry: NewAuditEntry) -> anyhow::Result<bool> {
        let (point, admin) = (point.0.to_string(), admin.to_string());
        self.0
            .transaction(move |conn| {
                let exists: i64 = pickup_points::table.filter(pickup_points::id.eq(&point)).count().get_result(conn)?;
                if exists == 0 {
                    return Ok(false);
                }
                let already: i64 = pickup_point_operators::table
                    .filter(pickup_point_operators::pickup_point_id.eq(&point))
                    .filter(pickup_point_operators::admin_id.eq(&admin))
                    .count()
                    .get_result(conn)?;
                if already == 0 {
                    diesel::insert_into(pickup_point_operators::table)
                        .values((
                            pickup_point_operators::pickup_point_id.eq(&point),
                            pickup_point_operators::admin_id.eq(&admin),
                        ))
                        .execute(conn)?;
                    audit::append(conn, entry)?;
                }
                Ok::<_, anyhow::Error>(true)
            })
            .await
    }

    async fn list_for_gift(&self, gift: GiftId, point: PickupPointId, entry: NewAuditEntry) -> anyhow::Result<bool> {
        let (gift, point) = (gift.to_string(), point.0.to_string());
        self.0
            .transaction(move |conn| {
                let point_exists: i64 =
                    pickup_points::table.filter(pickup_points::id.eq(&point)).count().get_result(conn)?;
                let gift_exists: i64 = gifts::table.filter(gifts::id.eq(&gift)).count().get_result(conn)?;
                if point_exists == 0 || gift_exists == 0 {
                    return Ok(false);
                }
                let already: i64 = gift_pickup_points::table
                    .filter(gift_pickup_points::gift_id.eq(&gift))
                    .filter(gift_pickup_points::pickup_point_id.eq(&point))
                    .count()
                    .get_result(conn)?;
                if already == 0 {
                    diesel::insert_into(gift_pickup_points::table)
                        .values((gift_pickup_points::gift_id.eq(&gift), gift_pickup_points::pickup_point_id.eq(&point)))
                        .execute(conn)?;
                    audit::append(conn, entry)?;
                }
                Ok::<_, anyhow::Error>(true)
            })
            .await
    }

    async fn is_operator(&self, point: PickupPointId, admin: AdminId) -> anyhow::Result<bool> {
        let (point, admin) = (point.0.to_string(), admin.to_string());
        self.0
            .run(move |conn| {
                let n: i64 = pickup_point_operators::table
                    .filter(pickup_point_operators::pickup_point_id.eq(point))
                    .filter(pickup_point_operators::admin_id.eq(admin))
                    .count()
                    .get_result(conn)?;
                Ok(n > 0)
            })
            .await
    }

    async fn state(&self, code: &str, point: PickupPointId, now: DateTime<Utc>) -> anyhow::Result<VoucherState> {
        let (code, point) = (code.to_owned(), point.0.to_string());
        self.0.run(move |conn| state(conn, &code, Place::Point(&point), now.naive_utc())).await
    }

    async fn redeem(
        &self,
        code: &str,
        point: PickupPointId,
        by: AdminId,
        now: DateTime<Utc>,
    ) -> anyhow::Result<VoucherState> {
        let (code, point, by, now) = (code.to_owned(), point.0.to_string(), by.to_string(), now.naive_utc());
        self.0
            .transaction(move |conn| {
                let listed: Vec<String> = gift_pickup_points::table
                    .filter(gift_pickup_points::pickup_point_id.eq(&point))
                    .select(gift_pickup_points::gift_id)
                    .load(conn)?;
                // One conditional update: of two operators scanning the same code, one wins.
                diesel::update(
                    claims::table
                        .filter(claims::voucher_code.eq(&code))
                        .filter(claims::status.eq(ClaimStatus::Issued.as_str()))
                        .filter(claims::expires_at.gt(now))
                        .filter(claims::gift_id.eq_any(listed))
                        .filter(claims::campaign_id.eq_any(redeemable_campaigns())),
                )
                .set((
                    claims::status.eq(ClaimStatus::Redeemed.as_str()),
                    claims::redeemed_at.eq(now),
                    claims::redeemed_by.eq(&by),
                    claims::redeemed_point.eq(&point),
                ))
                .execute(conn)?;
                state(conn, &code, Place::Point(&point), now)
            })
            .await
    }
}

//! Every store of an active merchant, held in memory for the nearby search. A city's partner
//! stores number in the tens of thousands — a few megabytes — and members search them far more
//! often than staff change them, so a search is answered from memory: a binary search on the
//! latitude-sorted stores gives the bounding box's band, its longitudes are checked, and the exact
//! distance is computed only for what is inside the box.

use std::collections::HashMap;

use super::geo::GeoPoint;
use super::model::{Merchant, MerchantId, Store};

/// A merchant near the caller, by its nearest store within the radius.
#[derive(Debug, Clone, PartialEq)]
pub struct Nearby {
    pub merchant: Merchant,
    pub store: Store,
    pub distance_m: f64,
}

/// A search's hit, borrowed from the directory: only the page shown is copied out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit<'a> {
    pub merchant: &'a Merchant,
    pub store: &'a Store,
    pub distance_m: f64,
}

impl Hit<'_> {
    pub fn to_owned(self) -> Nearby {
        Nearby { merchant: self.merchant.clone(), store: self.store.clone(), distance_m: self.distance_m }
    }
}

/// What a search may narrow to besides the circle.
#[derive(Debug, Clone, Default)]
pub struct Narrowing {
    pub category: Option<String>,
    pub district: Option<String>,
}

#[derive(Debug, Default)]
pub struct Directory {
    /// Sorted by latitude.
    stores: Vec<Store>,
    merchants: HashMap<MerchantId, Merchant>,
}

impl Directory {
    /// Stores whose merchant is missing from `merchants` are left out.
    pub fn new(mut stores: Vec<Store>, merchants: Vec<Merchant>) -> Self {
        let merchants: HashMap<MerchantId, Merchant> = merchants.into_iter().map(|m| (m.id, m)).collect();
        stores.retain(|s| merchants.contains_key(&s.merchant));
        stores.sort_by_key(|s| (s.location.lat_e6(), s.id));
        Self { stores, merchants }
    }

    pub fn len(&self) -> usize {
        self.stores.len()
    }

    pub fn is_empty(&self) -> bool {
        self.stores.is_empty()
    }

    /// Each merchant with a store within `radius_m` of `near`, by its nearest such store, nearest
    /// first (ties by merchant id, so pages are stable).
    pub fn nearby(&self, near: GeoPoint, radius_m: u32, narrowing: &Narrowing) -> Vec<Hit<'_>> {
        let bbox = near.bounding_box(radius_m);
        let from = self.stores.partition_point(|s| s.location.lat_e6() < bbox.min_lat_e6);
        let to = self.stores.partition_point(|s| s.location.lat_e6() <= bbox.max_lat_e6);
        let mut best: HashMap<MerchantId, (&Merchant, &Store, f64)> = HashMap::new();
        for store in &self.stores[from..to] {
            if !bbox.contains(store.location) {
                continue;
            }
            if narrowing.district.as_ref().is_some_and(|d| *d != store.district) {
                continue;
            }
            let Some(merchant) = self.merchants.get(&store.merchant) else { continue };
            if narrowing.category.as_ref().is_some_and(|c| *c != merchant.category) {
                continue;
            }
            let distance_m = near.distance_m(store.location);
            if distance_m <= f64::from(radius_m) && best.get(&merchant.id).is_none_or(|(_, _, d)| distance_m < *d) {
                best.insert(merchant.id, (merchant, store, distance_m));
            }
        }
        let mut found: Vec<Hit<'_>> =
            best.into_values().map(|(merchant, store, distance_m)| Hit { merchant, store, distance_m }).collect();
        found.sort_by(|a, b| a.distance_m.total_cmp(&b.distance_m).then(a.merchant.id.cmp(&b.merchant.id)));
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merchants::model::{Mchid, MerchantStatus, StoreId};
    use crate::shared::EmailAddress;

    fn merchant(category: &str) -> Merchant {
        Merchant {
            id: MerchantId::new(),
            mchid: Mchid::random(),
            name: "商户".into(),
            category: category.into(),
            contact: "c".into(),
            settlement_email: EmailAddress::parse("a@b.example").unwrap(),
            status: MerchantStatus::Active,
            created_at: chrono::DateTime::UNIX_EPOCH,
            kind: crate::merchants::model::PartnerKind::Merchant,
            bank_merchant_id: None,
        }
    }

    fn store(m: &Merchant, lat: f64, lng: f64, district: &str) -> Store {
        Store {
            id: StoreId::new(),
            merchant: m.id,
            name: "店".into(),
            address: "路".into(),
            district: district.into(),
            location: GeoPoint::from_degrees(lat, lng).unwrap(),
            hours: "".into(),
        }
    }

    #[test]
    fn finds_each_merchant_by_its_nearest_store_within_the_radius() {
        let (food, shop) = (merchant("餐饮"), merchant("零售"));
        let centre = GeoPoint::from_degrees(31.3, 120.6).unwrap();
        let stores = vec![
            store(&food, 31.301, 120.6, "姑苏区"),   // ~111 m
            store(&food, 31.305, 120.6, "姑苏区"),   // ~556 m, the same merchant farther away
            store(&shop, 31.3, 120.603, "工业园区"), // ~285 m
            store(&shop, 31.4, 120.6, "相城区"),     // ~11 km
        ];
        let directory = Directory::new(stores.clone(), vec![food.clone(), shop.clone()]);
        let all = directory.nearby(centre, 1_000, &Narrowing::default());
        let got: Vec<_> = all.iter().map(|n| (n.merchant.id, n.store.id)).collect();
        assert_eq!(got, vec![(food.id, stores[0].id), (shop.id, stores[2].id)]);
        assert!((all[0].distance_m - 111.2).abs() < 1.0, "{}", all[0].distance_m);

        let narrowed = |category: Option<&str>, district: Option<&str>| {
            let n = Narrowing { category: category.map(Into::into), district: district.map(Into::into) };
            directory.nearby(centre, 1_000, &n).into_iter().map(|n| n.merchant.id).collect::<Vec<_>>()
        };
        assert_eq!(narrowed(Some("零售"), None), vec![shop.id]);
        assert_eq!(narrowed(None, Some("姑苏区")), vec![food.id]);
        assert_eq!(narrowed(Some("零售"), Some("姑苏区")), Vec::<MerchantId>::new());
        assert!(directory.nearby(centre, 100, &Narrowing::default()).is_empty());
    }

    #[test]
    fn stores_of_merchants_not_listed_are_left_out() {
        let (listed, gone) = (merchant("餐饮"), merchant("餐饮"));
        let directory = Directory::new(
            vec![store(&listed, 31.3, 120.6, "姑苏区"), store(&gone, 31.3, 120.6, "姑苏区")],
            vec![listed.clone()],
        );
        assert_eq!(directory.len(), 1);
        let found = directory.nearby(GeoPoint::from_degrees(31.3, 120.6).unwrap(), 10, &Narrowing::default());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].merchant.id, listed.id);
    }
}

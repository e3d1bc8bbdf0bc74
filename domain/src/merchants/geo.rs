//! Positions in GCJ-02 (the coordinates Chinese map SDKs hand out) and distances between them.

/// A position in millionths of a degree: integers store and index exactly on both backends, and
/// a millionth of a degree is about 0.1 m.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeoPoint {
    lat_e6: i32,
    lng_e6: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("latitude must be within ±90 and longitude within ±180 degrees")]
pub struct InvalidPoint;

const EARTH_RADIUS_M: f64 = 6_371_008.8;

impl GeoPoint {
    pub fn from_degrees(lat: f64, lng: f64) -> Result<Self, InvalidPoint> {
        if !(lat.is_finite() && lng.is_finite() && (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lng)) {
            return Err(InvalidPoint);
        }
        Ok(Self { lat_e6: (lat * 1e6).round() as i32, lng_e6: (lng * 1e6).round() as i32 })
    }

    pub fn from_e6(lat_e6: i32, lng_e6: i32) -> Result<Self, InvalidPoint> {
        if lat_e6.unsigned_abs() > 90_000_000 || lng_e6.unsigned_abs() > 180_000_000 {
            return Err(InvalidPoint);
        }
        Ok(Self { lat_e6, lng_e6 })
    }

    /// `"31.2990,120.5853"` as `near=` query parameters are written.
    pub fn parse_pair(raw: &str) -> Result<Self, InvalidPoint> {
        let (lat, lng) = raw.split_once(',').ok_or(InvalidPoint)?;
        let number = |s: &str| s.trim().parse::<f64>().map_err(|_| InvalidPoint);
        Self::from_degrees(number(lat)?, number(lng)?)
    }

    pub fn lat_e6(self) -> i32 {
        self.lat_e6
    }

    pub fn lng_e6(self) -> i32 {
        self.lng_e6
    }

    pub fn lat(self) -> f64 {
        f64::from(self.lat_e6) / 1e6
    }

    pub fn lng(self) -> f64 {
        f64::from(self.lng_e6) / 1e6
    }

    /// Great-circle distance in metres (haversine; GCJ-02's offset from WGS-84 is a few hundred
    /// metres at most and nearly constant across a city, so distances within one are unaffected).
    pub fn distance_m(self, other: GeoPoint) -> f64 {
        let (p1, p2) = (self.lat().to_radians(), other.lat().to_radians());
        let dp = p2 - p1;
        let dl = (other.lng() - self.lng()).to_radians();
        let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
    }

    /// The box of latitudes and longitudes (in millionths) holding every point within `radius_m`:
    /// what an index can answer before the exact distance is computed on the few rows inside.
    pub fn bounding_box(self, radius_m: u32) -> BoundingBox {
        let dlat = f64::from(radius_m) / EARTH_RADIUS_M * 180.0 / std::f64::consts::PI;
        // The box is widest in longitude at its edge farthest from the equator.
        let widest = (self.lat().abs() + dlat).min(89.9).to_radians().cos();
        let dlng = (dlat / widest).min(180.0);
        let e6 = |d: f64| (d * 1e6).ceil() as i32 + 1;
        BoundingBox {
            min_lat_e6: self.lat_e6.saturating_sub(e6(dlat)).max(-90_000_000),
            max_lat_e6: self.lat_e6.saturating_add(e6(dlat)).min(90_000_000),
            min_lng_e6: self.lng_e6.saturating_sub(e6(dlng)),
            max_lng_e6: self.lng_e6.saturating_add(e6(dlng)),
        }
    }
}

/// Inclusive bounds in millionths of a degree. Boxes crossing the antimeridian are not split:
/// the federation's stores are all in one city.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoundingBox {
    pub min_lat_e6: i32,
    pub max_lat_e6: i32,
    pub min_lng_e6: i32,
    pub max_lng_e6: i32,
}

impl BoundingBox {
    pub fn contains(&self, p: GeoPoint) -> bool {
        (self.min_lat_e6..=self.max_lat_e6).contains(&p.lat_e6)
            && (self.min_lng_e6..=self.max_lng_e6).contains(&p.lng_e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pairs_and_refuses_impossible_places() {
        let p = GeoPoint::parse_pair("31.2990,120.5853").unwrap();
        assert_eq!((p.lat_e6(), p.lng_e6()), (31_299_000, 120_585_300));
        for bad in ["", "31.3", "91,120", "31,181", "NaN,120", "31,inf", "a,b"] {
            assert!(GeoPoint::parse_pair(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn distances_match_known_ones() {
        // 观前街 to 苏州站: about 2.7 km.
        let guanqian = GeoPoint::from_degrees(31.3107, 120.6237).unwrap();
        let station = GeoPoint::from_degrees(31.3300, 120.6056).unwrap();
        let d = guanqian.distance_m(station);
        assert!((2_500.0..2_800.0).contains(&d), "{d}");
        assert_eq!(guanqian.distance_m(guanqian), 0.0);
        // One degree of latitude is about 111.2 km everywhere.
        let a = GeoPoint::from_degrees(31.0, 120.0).unwrap();
        let b = GeoPoint::from_degrees(32.0, 120.0).unwrap();
        assert!((a.distance_m(b) - 111_195.0).abs() < 50.0, "{}", a.distance_m(b));
    }

    #[test]
    fn the_box_holds_every_point_within_the_radius() {
        let centre = GeoPoint::from_degrees(31.3, 120.6).unwrap();
        let radius = 3_000;
        let bbox = centre.bounding_box(radius);
        // Points on a circle just inside the radius, all around.
        for step in 0..360 {
            let bearing = f64::from(step).to_radians();
            let (dn, de) = (bearing.cos() * 2_999.0, bearing.sin() * 2_999.0);
            let lat = centre.lat() + dn / 111_195.0;
            let lng = centre.lng() + de / (111_195.0 * centre.lat().to_radians().cos());
            let p = GeoPoint::from_degrees(lat, lng).unwrap();
            if p.distance_m(centre) <= f64::from(radius) {
                assert!(bbox.contains(p), "{step}° at {} m", p.distance_m(centre));
            }
        }
        let far = GeoPoint::from_degrees(31.4, 120.6).unwrap();
        assert!(!bbox.contains(far));
    }
}

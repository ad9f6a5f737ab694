//! Coverage and distance for search, with the same great-circle formula and "radius
//! inclusive" rule as the service page's coverage check ([`linli_domain::area`]), so a listing
//! that search shows for an address is never 不在服务范围 on its own page.

use linli_domain::area::distance_m;

use crate::model::has_point;

/// Whether a listing covers the place: its district list has the place's district, or one of
/// its radius zones `(lat, lng, metres)` contains the point.
pub fn covers(
    place: (&str, i64, i64),
    districts: &[String],
    radius_zones: &[(i64, i64, i64)],
) -> bool {
    let (district, lat, lng) = place;
    districts.iter().any(|d| d == district) || radius_zones_cover(radius_zones, lat, lng)
}

/// Whether any radius zone contains the point.
pub fn radius_zones_cover(radius_zones: &[(i64, i64, i64)], lat: i64, lng: i64) -> bool {
    #[allow(clippy::cast_precision_loss)] // metres are far below 2^52
    radius_zones
        .iter()
        .any(|&(zlat, zlng, metres)| distance_m(zlat, zlng, lat, lng) <= metres as f64)
}

/// Whole metres from the place to a listing's base point; `None` when the listing has none.
pub fn distance_to(place_lat: i64, place_lng: i64, lat: i64, lng: i64) -> Option<i64> {
    #[allow(clippy::cast_possible_truncation)] // at most half the earth's circumference
    has_point(lat, lng).then(|| distance_m(place_lat, place_lng, lat, lng).round() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn districts_or_radius_cover_and_distance_rounds() {
        let zones = [(31_230_400, 121_473_700, 3_000)];
        assert!(covers(("310115", 0, 0), &["310115".to_owned()], &[]));
        assert!(!covers(("310151", 0, 0), &["310115".to_owned()], &[]));
        assert!(covers(("310151", 31_239_400, 121_473_700), &[], &zones)); // ~1 km north
        assert!(!covers(("310151", 31_330_400, 121_473_700), &[], &zones)); // ~11 km north
        assert_eq!(distance_to(31_230_400, 121_473_700, 0, 0), None);
        let d = distance_to(31_230_400, 121_473_700, 31_239_400, 121_473_700).unwrap();
        assert!((995..=1_005).contains(&d), "{d}");
    }
}

//! Service areas: a provider serves districts or a radius around a base point, each zone with
//! an optional surcharge. Geometry uses floating point (distances), never money.

use crate::{DomainError, district, money::Money};

/// Where a zone applies.
#[derive(Debug, Clone, PartialEq)]
pub enum Zone {
    /// Whole districts by code.
    Districts(Vec<String>),
    /// A circle: centre (micro-degrees) and radius in metres.
    Radius {
        /// Latitude × 10⁶.
        lat_micro: i64,
        /// Longitude × 10⁶.
        lng_micro: i64,
        /// Radius in metres (500 m – 50 km).
        metres: i64,
    },
}

/// One zone with its surcharge.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceArea {
    /// Where.
    pub zone: Zone,
    /// Added to the price for addresses in this zone.
    pub surcharge: Money,
}

/// A customer's location: district and point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Place<'a> {
    /// District code.
    pub district: &'a str,
    /// Latitude × 10⁶.
    pub lat_micro: i64,
    /// Longitude × 10⁶.
    pub lng_micro: i64,
}

/// Great-circle distance in metres between two points given in micro-degrees.
pub fn distance_m(a_lat: i64, a_lng: i64, b_lat: i64, b_lng: i64) -> f64 {
    const R: f64 = 6_371_000.0;
    // Micro-degrees are at most 1.8e8 in magnitude: exact in f64.
    #[allow(clippy::cast_precision_loss)]
    let rad = |micro: i64| (micro as f64 / 1_000_000.0).to_radians();
    let (la1, lo1, la2, lo2) = (rad(a_lat), rad(a_lng), rad(b_lat), rad(b_lng));
    let h = ((la2 - la1) / 2.0).sin().powi(2)
        + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * R * h.sqrt().asin()
}

impl ServiceArea {
    /// Whether this zone covers the place.
    pub fn covers(&self, place: Place<'_>) -> bool {
        match &self.zone {
            Zone::Districts(codes) => codes.iter().any(|c| c == place.district),
            #[allow(clippy::cast_precision_loss)]
            Zone::Radius {
                lat_micro,
                lng_micro,
                metres,
            } => {
                distance_m(*lat_micro, *lng_micro, place.lat_micro, place.lng_micro)
                    <= *metres as f64
            }
        }
    }

    /// Validates a district zone.
    pub fn districts(codes: &[String], surcharge: Money) -> Result<Self, DomainError> {
        let mut codes: Vec<String> = codes
            .iter()
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect();
        codes.sort();
        codes.dedup();
        if codes.is_empty() || codes.iter().any(|c| district::by_code(c).is_none()) {
            return Err(DomainError::UnknownDistrict);
        }
        Self::checked(Zone::Districts(codes), surcharge)
    }

    /// Validates a radius zone centred on a district's centre.
    pub fn radius_around(
        district_code: &str,
        km: i64,
        surcharge: Money,
    ) -> Result<Self, DomainError> {
        let d = district::by_code(district_code).ok_or(DomainError::UnknownDistrict)?;
        if !(1..=50).contains(&km) {
            return Err(DomainError::Invalid("radius"));
        }
        Self::checked(
            Zone::Radius {
                lat_micro: district::to_micro_degrees(d.lat),
                lng_micro: district::to_micro_degrees(d.lng),
                metres: km * 1000,
            },
            surcharge,
        )
    }

    fn checked(zone: Zone, surcharge: Money) -> Result<Self, DomainError> {
        if surcharge.fen() < 0 || surcharge.fen() > 100_000 {
            return Err(DomainError::InvalidPrice);
        }
        Ok(Self { zone, surcharge })
    }
}

/// The surcharge for a place: the cheapest covering zone; `None` means 不在服务范围.
pub fn surcharge_for(areas: &[ServiceArea], place: Place<'_>) -> Option<Money> {
    areas
        .iter()
        .filter(|a| a.covers(place))
        .map(|a| a.surcharge)
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn place(code: &str) -> Place<'_> {
        let d = district::by_code(code).unwrap();
        Place {
            district: code,
            lat_micro: district::to_micro_degrees(d.lat),
            lng_micro: district::to_micro_degrees(d.lng),
        }
    }

    #[test]
    fn distances_are_plausible() {
        // People's Square to Lujiazui is about 3 km.
        let d = distance_m(31_231_700, 121_475_800, 31_239_700, 121_499_800);
        assert!((2_000.0..3_000.0).contains(&d), "{d}");
        assert_eq!(distance_m(1, 2, 1, 2), 0.0);
    }

    #[test]
    fn the_cheapest_covering_zone_wins_and_outside_is_none() {
        let areas = vec![
            ServiceArea::districts(&["310115".into()], Money::ZERO).unwrap(),
            ServiceArea::radius_around("310101", 8, Money::from_fen(2000)).unwrap(),
        ];
        assert_eq!(surcharge_for(&areas, place("310115")), Some(Money::ZERO));
        // Jing'an's centre is ~3.6 km from Huangpu's: inside the 8 km circle, with surcharge.
        assert_eq!(
            surcharge_for(&areas, place("310106")),
            Some(Money::from_fen(2000))
        );
        // Chongming is far away.
        assert_eq!(surcharge_for(&areas, place("310151")), None, "不在服务范围");
        assert!(ServiceArea::radius_around("310101", 0, Money::ZERO).is_err());
        assert!(ServiceArea::districts(&["999".into()], Money::ZERO).is_err());
    }
}

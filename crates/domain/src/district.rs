//! The shipped table of the city's districts with centre coordinates. Addresses take their
//! latitude/longitude from here; Linli calls no outside map service.

/// One district of the served city.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct District {
    /// Administrative division code (行政区划代码).
    pub code: &'static str,
    /// City name.
    pub city: &'static str,
    /// District name in Chinese.
    pub name: &'static str,
    /// District name in English.
    pub name_en: &'static str,
    /// Latitude of the district centre (WGS-84, degrees).
    pub lat: f64,
    /// Longitude of the district centre (WGS-84, degrees).
    pub lng: f64,
}

/// The served city: Shanghai, 16 districts.
pub const DISTRICTS: &[District] = &[
    District {
        code: "310101",
        city: "上海市",
        name: "黄浦区",
        name_en: "Huangpu",
        lat: 31.2317,
        lng: 121.4846,
    },
    District {
        code: "310104",
        city: "上海市",
        name: "徐汇区",
        name_en: "Xuhui",
        lat: 31.1885,
        lng: 121.4365,
    },
    District {
        code: "310105",
        city: "上海市",
        name: "长宁区",
        name_en: "Changning",
        lat: 31.2204,
        lng: 121.4243,
    },
    District {
        code: "310106",
        city: "上海市",
        name: "静安区",
        name_en: "Jing'an",
        lat: 31.2290,
        lng: 121.4479,
    },
    District {
        code: "310107",
        city: "上海市",
        name: "普陀区",
        name_en: "Putuo",
        lat: 31.2495,
        lng: 121.3968,
    },
    District {
        code: "310109",
        city: "上海市",
        name: "虹口区",
        name_en: "Hongkou",
        lat: 31.2646,
        lng: 121.5052,
    },
    District {
        code: "310110",
        city: "上海市",
        name: "杨浦区",
        name_en: "Yangpu",
        lat: 31.2595,
        lng: 121.5260,
    },
    District {
        code: "310112",
        city: "上海市",
        name: "闵行区",
        name_en: "Minhang",
        lat: 31.1128,
        lng: 121.3817,
    },
    District {
        code: "310113",
        city: "上海市",
        name: "宝山区",
        name_en: "Baoshan",
        lat: 31.4045,
        lng: 121.4891,
    },
    District {
        code: "310114",
        city: "上海市",
        name: "嘉定区",
        name_en: "Jiading",
        lat: 31.3747,
        lng: 121.2655,
    },
    District {
        code: "310115",
        city: "上海市",
        name: "浦东新区",
        name_en: "Pudong",
        lat: 31.2215,
        lng: 121.5447,
    },
    District {
        code: "310116",
        city: "上海市",
        name: "金山区",
        name_en: "Jinshan",
        lat: 30.7419,
        lng: 121.3419,
    },
    District {
        code: "310117",
        city: "上海市",
        name: "松江区",
        name_en: "Songjiang",
        lat: 31.0323,
        lng: 121.2278,
    },
    District {
        code: "310118",
        city: "上海市",
        name: "青浦区",
        name_en: "Qingpu",
        lat: 31.1497,
        lng: 121.1241,
    },
    District {
        code: "310120",
        city: "上海市",
        name: "奉贤区",
        name_en: "Fengxian",
        lat: 30.9180,
        lng: 121.4741,
    },
    District {
        code: "310151",
        city: "上海市",
        name: "崇明区",
        name_en: "Chongming",
        lat: 31.6230,
        lng: 121.3975,
    },
];

/// Looks a district up by its code.
pub fn by_code(code: &str) -> Option<&'static District> {
    DISTRICTS.iter().find(|d| d.code == code)
}

/// The two district centres farthest apart, in micro-degrees: every address takes its
/// coordinates from this table, so no two addresses of the city are further apart.
pub fn farthest_pair() -> ((i64, i64), (i64, i64)) {
    static PAIR: std::sync::OnceLock<((i64, i64), (i64, i64))> = std::sync::OnceLock::new();
    *PAIR.get_or_init(|| {
        let at = |d: &District| (to_micro_degrees(d.lat), to_micro_degrees(d.lng));
        let mut best = (0.0, ((0, 0), (0, 0)));
        for (i, a) in DISTRICTS.iter().enumerate() {
            for b in &DISTRICTS[i + 1..] {
                let (pa, pb) = (at(a), at(b));
                let m = crate::area::distance_m(pa.0, pa.1, pb.0, pb.1);
                if m > best.0 {
                    best = (m, (pa, pb));
                }
            }
        }
        best.1
    })
}

/// Coordinates in micro-degrees, the integer form stored in the database.
pub fn to_micro_degrees(deg: f64) -> i64 {
    // Coordinates are within ±180°, so the product fits easily in i64.
    #[allow(clippy::cast_possible_truncation)]
    let v = (deg * 1_000_000.0).round() as i64;
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_and_coordinates_are_in_shanghai() {
        let mut codes: Vec<_> = DISTRICTS.iter().map(|d| d.code).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), DISTRICTS.len());
        for d in DISTRICTS {
            assert!(
                (30.6..31.9).contains(&d.lat) && (120.8..122.2).contains(&d.lng),
                "{}",
                d.name
            );
        }
        assert_eq!(by_code("310115").map(|d| d.name), Some("浦东新区"));
        assert_eq!(to_micro_degrees(31.2215), 31_221_500);
    }

    #[test]
    fn the_farthest_pair_is_chongming_to_jinshan_and_no_pair_is_further() {
        let ((a_lat, a_lng), (b_lat, b_lng)) = farthest_pair();
        let widest = crate::area::distance_m(a_lat, a_lng, b_lat, b_lng);
        assert!((90_000.0..110_000.0).contains(&widest), "{widest}");
        for a in DISTRICTS {
            for b in DISTRICTS {
                let m = crate::area::distance_m(
                    to_micro_degrees(a.lat),
                    to_micro_degrees(a.lng),
                    to_micro_degrees(b.lat),
                    to_micro_degrees(b.lng),
                );
                assert!(m <= widest, "{} – {}", a.name, b.name);
            }
        }
    }
}

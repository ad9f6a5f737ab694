//! Service areas: providers manage the zones they serve (districts or a radius, each with a
//! surcharge), and a customer's address is checked against them: covered (with the zone's
//! surcharge) or 不在服务范围.

use linli_domain::{
    area::{self, Place, ServiceArea, Zone},
    district,
    ids::{AddressId, ListingId, ProviderId},
    money::Money,
};
use linli_store::AreaRow;

use crate::{Actor, App, AppError, AppResult};

/// A zone as shown.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AreaView {
    /// Id.
    pub id: String,
    /// `districts` or `radius`.
    pub kind: String,
    /// Human description, e.g. `浦东新区、徐汇区` or `黄浦区中心 8 公里内`.
    pub label: String,
    /// Surcharge for display, `¥20.00`.
    pub surcharge: String,
    /// Surcharge in 分.
    pub surcharge_fen: i64,
}

/// A new zone as submitted.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AreaForm {
    /// `districts` or `radius`.
    pub kind: String,
    /// District codes (districts zones).
    #[serde(default)]
    pub districts: Vec<String>,
    /// Centre district code (radius zones; the circle is around its centre).
    #[serde(default)]
    pub center: String,
    /// Radius in km, 1–50 (radius zones).
    #[serde(default)]
    pub km: i64,
    /// Surcharge in yuan (empty = none).
    #[serde(default)]
    pub surcharge: String,
}

/// Whether a listing can be booked at a place.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Coverage {
    /// Covered by one of the provider's zones.
    pub served: bool,
    /// The zone surcharge (`¥0.00` when none), absent when not served.
    pub surcharge: Option<String>,
    /// The surcharge in 分.
    pub surcharge_fen: Option<i64>,
    /// The district name checked.
    pub district_name: String,
}

fn to_domain(r: &AreaRow) -> ServiceArea {
    let zone = if r.kind == "radius" {
        Zone::Radius {
            lat_micro: r.lat_micro,
            lng_micro: r.lng_micro,
            metres: r.radius_m,
        }
    } else {
        Zone::Districts(r.districts.clone())
    };
    ServiceArea {
        zone,
        surcharge: Money::from_fen(r.surcharge_fen),
    }
}

fn view(r: &AreaRow) -> AreaView {
    let label = if r.kind == "radius" {
        // The centre is a district centre: name the nearest one.
        let centre = district::DISTRICTS
            .iter()
            .min_by_key(|d| {
                (area::distance_m(
                    r.lat_micro,
                    r.lng_micro,
                    district::to_micro_degrees(d.lat),
                    district::to_micro_degrees(d.lng),
                )) as i64
            })
            .map(|d| d.name)
            .unwrap_or("-");
        format!("{centre}中心 {} 公里内", r.radius_m / 1000)
    } else {
        r.districts
            .iter()
            .filter_map(|c| district::by_code(c))
            .map(|d| d.name)
            .collect::<Vec<_>>()
            .join("、")
    };
    AreaView {
        id: r.id.clone(),
        kind: r.kind.clone(),
        label,
        surcharge: Money::from_fen(r.surcharge_fen).to_string(),
        surcharge_fen: r.surcharge_fen,
    }
}

impl App {
    async fn my_provider_id(&self, actor: &Actor) -> AppResult<ProviderId> {
        let m = actor.member()?;
        self.store
            .provider_by_user(m.id)
            .await?
            .filter(|p| p.status == "approved")
            .map(|p| p.id)
            .ok_or(AppError::Conflict {
                code: "provider_not_approved",
                message: "only approved providers have service areas",
            })
    }

    /// The caller's zones.
    pub async fn my_areas(&self, actor: &Actor) -> AppResult<Vec<AreaView>> {
        let id = self.my_provider_id(actor).await?;
        Ok(self
            .store
            .service_areas(id)
            .await?
            .iter()
            .map(view)
            .collect())
    }

    /// A provider's zones (public).
    pub async fn provider_areas(&self, provider: ProviderId) -> AppResult<Vec<AreaView>> {
        Ok(self
            .store
            .service_areas(provider)
            .await?
            .iter()
            .map(view)
            .collect())
    }

    /// Adds a zone for the caller.
    pub async fn add_area(&self, actor: &Actor, f: &AreaForm) -> AppResult<AreaView> {
        let id = self.my_provider_id(actor).await?;
        let surcharge = if f.surcharge.trim().is_empty() {
            Money::ZERO
        } else {
            Money::parse_yuan(&f.surcharge)?
        };
        let zone = match f.kind.as_str() {
            "districts" => ServiceArea::districts(&f.districts, surcharge)?,
            "radius" => ServiceArea::radius_around(&f.center, f.km, surcharge)?,
            _ => return Err(linli_domain::DomainError::Invalid("area kind").into()),
        };
        let row = match zone.zone {
            Zone::Districts(codes) => AreaRow {
                id: linli_domain::ids::JobId::new().to_string(),
                provider_id: id,
                kind: "districts".into(),
                districts: codes,
                lat_micro: 0,
                lng_micro: 0,
                radius_m: 0,
                surcharge_fen: surcharge.fen(),
            },
            Zone::Radius {
                lat_micro,
                lng_micro,
                metres,
            } => AreaRow {
                id: linli_domain::ids::JobId::new().to_string(),
                provider_id: id,
                kind: "radius".into(),
                districts: Vec::new(),
                lat_micro,
                lng_micro,
                radius_m: metres,
                surcharge_fen: surcharge.fen(),
            },
        };
        self.store.add_service_area(&row, self.now()).await?;
        self.reindex_provider(id).await?;
        Ok(view(&row))
    }

    /// Removes a zone of the caller (the last one cannot go: a provider serves somewhere).
    pub async fn delete_area(&self, actor: &Actor, area_id: &str) -> AppResult<()> {
        let id = self.my_provider_id(actor).await?;
        let areas = self.store.service_areas(id).await?;
        if !areas.iter().any(|a| a.id == area_id) {
            return Err(AppError::NotFound);
        }
        if areas.len() == 1 {
            return Err(AppError::Conflict {
                code: "last_area",
                message: "keep at least one service area",
            });
        }
        self.store.delete_service_area(id, area_id).await?;
        self.reindex_provider(id).await
    }

    /// Whether a published listing serves a place given by the caller's address or a district.
    pub async fn coverage(
        &self,
        actor: &Actor,
        listing: ListingId,
        address: Option<AddressId>,
        district_code: Option<&str>,
    ) -> AppResult<Coverage> {
        // Visibility first: a draft's coverage is as private as the draft.
        self.listing(actor, listing).await?;
        let l = self
            .store
            .listing(listing)
            .await?
            .ok_or(AppError::NotFound)?;
        let (code, lat, lng) = match (address, district_code) {
            (Some(a), _) => {
                let m = actor.member()?;
                let a = self
                    .store
                    .address(m.id, a)
                    .await?
                    .ok_or(AppError::NotFound)?;
                (a.district_code, a.lat_micro, a.lng_micro)
            }
            (None, Some(code)) => {
                let d =
                    district::by_code(code).ok_or(linli_domain::DomainError::UnknownDistrict)?;
                (
                    d.code.to_owned(),
                    district::to_micro_degrees(d.lat),
                    district::to_micro_degrees(d.lng),
                )
            }
            (None, None) => return Err(linli_domain::DomainError::UnknownDistrict.into()),
        };
        let fee = surcharge_at(self, l.provider_id, &code, lat, lng).await?;
        Ok(Coverage {
            served: fee.is_some(),
            surcharge: fee.map(|m| m.to_string()),
            surcharge_fen: fee.map(Money::fen),
            district_name: district::by_code(&code)
                .map(|d| d.name.to_owned())
                .unwrap_or_default(),
        })
    }
}

/// The surcharge of the provider's zone covering the place, `None` when no zone covers it.
pub(crate) async fn surcharge_at(
    app: &App,
    provider: linli_domain::ids::ProviderId,
    district_code: &str,
    lat: i64,
    lng: i64,
) -> AppResult<Option<Money>> {
    let areas = app.store.service_areas(provider).await?;
    Ok(surcharge_in(&areas, district_code, lat, lng))
}

/// The surcharge of the zone among `areas` covering the place, `None` when none covers it.
pub(crate) fn surcharge_in(
    areas: &[AreaRow],
    district_code: &str,
    lat: i64,
    lng: i64,
) -> Option<Money> {
    let areas: Vec<ServiceArea> = areas.iter().map(to_domain).collect();
    area::surcharge_for(
        &areas,
        Place {
            district: district_code,
            lat_micro: lat,
            lng_micro: lng,
        },
    )
}

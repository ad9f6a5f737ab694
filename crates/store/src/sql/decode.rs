//! Row decoding shared by the adapter's statements.

use linli_domain::time::Timestamp;
use sqlx::{Row, any::AnyRow};

use super::parse_id;
use crate::{AddressRow, AreaRow, CategoryRow, JobRow, RoleRow, SmsCodeRow, StoreResult, UserRow};

/// Columns of `users` (aliased `u`) that [`user`] reads; a macro so statements stay `&'static str`.
macro_rules! user_cols {
    () => {
        "u.id, u.phone, u.password_hash, u.nickname, u.avatar, u.status, u.is_staff, u.created_at"
    };
}
pub(crate) use user_cols;

/// A comma-separated list column.
pub fn list(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(str::to_owned)
        .collect()
}

pub fn flag(row: &AnyRow, col: &str) -> StoreResult<bool> {
    Ok(row.try_get::<i64, _>(col)? != 0)
}

pub fn ts(row: &AnyRow, col: &str) -> StoreResult<Timestamp> {
    Ok(Timestamp(row.try_get::<i64, _>(col)?))
}

pub fn user(row: &AnyRow) -> StoreResult<UserRow> {
    Ok(UserRow {
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        phone: row.try_get("phone")?,
        password_hash: row.try_get("password_hash")?,
        nickname: row.try_get("nickname")?,
        avatar: row.try_get("avatar")?,
        status: row.try_get("status")?,
        is_staff: flag(row, "is_staff")?,
        created_at: ts(row, "created_at")?,
    })
}

pub fn sms_code(row: &AnyRow) -> StoreResult<SmsCodeRow> {
    Ok(SmsCodeRow {
        id: row.try_get("id")?,
        code_hash: row.try_get("code_hash")?,
        expires_at: ts(row, "expires_at")?,
        attempts: row.try_get("attempts")?,
        spent: flag(row, "spent")?,
    })
}

pub fn address(row: &AnyRow) -> StoreResult<AddressRow> {
    address_as(row, "")
}

/// Columns of `addresses` (aliased `ad`) that [`address_as`] reads with the prefix `ad_`.
macro_rules! address_cols_ad {
    () => {
        "ad.id AS ad_id, ad.user_id AS ad_user_id, ad.district_code AS ad_district_code, \
         ad.detail AS ad_detail, ad.contact_name AS ad_contact_name, \
         ad.contact_phone AS ad_contact_phone, ad.lat_micro AS ad_lat_micro, \
         ad.lng_micro AS ad_lng_micro, ad.is_default AS ad_is_default"
    };
}
pub(crate) use address_cols_ad;

/// An address whose columns carry `prefix` (joined into a wider row).
pub fn address_as(row: &AnyRow, prefix: &str) -> StoreResult<AddressRow> {
    let col = |c: &str| format!("{prefix}{c}");
    Ok(AddressRow {
        id: parse_id(&row.try_get::<String, _>(col("id").as_str())?)?,
        user_id: parse_id(&row.try_get::<String, _>(col("user_id").as_str())?)?,
        district_code: row.try_get(col("district_code").as_str())?,
        detail: row.try_get(col("detail").as_str())?,
        contact_name: row.try_get(col("contact_name").as_str())?,
        contact_phone: row.try_get(col("contact_phone").as_str())?,
        lat_micro: row.try_get(col("lat_micro").as_str())?,
        lng_micro: row.try_get(col("lng_micro").as_str())?,
        is_default: flag(row, &col("is_default"))?,
    })
}

/// Columns of `service_areas` (aliased `sa`) that [`area_as`] reads with the prefix `sa_`.
macro_rules! area_cols_sa {
    () => {
        "sa.id AS sa_id, sa.provider_id AS sa_provider_id, sa.kind AS sa_kind, \
         sa.districts AS sa_districts, sa.lat_micro AS sa_lat_micro, \
         sa.lng_micro AS sa_lng_micro, sa.radius_m AS sa_radius_m, \
         sa.surcharge_fen AS sa_surcharge_fen"
    };
}
pub(crate) use area_cols_sa;

/// A service area whose columns carry `prefix`.
pub fn area_as(row: &AnyRow, prefix: &str) -> StoreResult<AreaRow> {
    let col = |c: &str| format!("{prefix}{c}");
    Ok(AreaRow {
        id: row.try_get(col("id").as_str())?,
        provider_id: parse_id(&row.try_get::<String, _>(col("provider_id").as_str())?)?,
        kind: row.try_get(col("kind").as_str())?,
        districts: list(&row.try_get::<String, _>(col("districts").as_str())?),
        lat_micro: row.try_get(col("lat_micro").as_str())?,
        lng_micro: row.try_get(col("lng_micro").as_str())?,
        radius_m: row.try_get(col("radius_m").as_str())?,
        surcharge_fen: row.try_get(col("surcharge_fen").as_str())?,
    })
}

pub fn role(row: &AnyRow) -> StoreResult<RoleRow> {
    Ok(RoleRow {
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        name: row.try_get("name")?,
        permissions: row.try_get("permissions")?,
        is_builtin: flag(row, "is_builtin")?,
    })
}

pub fn category(row: &AnyRow) -> StoreResult<CategoryRow> {
    Ok(CategoryRow {
        id: row.try_get("id")?,
        parent_id: row.try_get("parent_id")?,
        slug: row.try_get("slug")?,
        name_zh: row.try_get("name_zh")?,
        name_en: row.try_get("name_en")?,
        icon: row.try_get("icon")?,
        sort: row.try_get("sort")?,
        deposit_fen: row.try_get("deposit_fen")?,
    })
}

pub fn job(row: &AnyRow) -> StoreResult<JobRow> {
    Ok(JobRow {
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        kind: row.try_get("kind")?,
        payload: row.try_get("payload")?,
        run_at: ts(row, "run_at")?,
        attempts: row.try_get("attempts")?,
    })
}

//! Row decoding shared by the adapter's statements.

use linli_domain::time::Timestamp;
use sqlx::{Row, any::AnyRow};

use super::parse_id;
use crate::{AddressRow, CategoryRow, JobRow, RoleRow, SmsCodeRow, StoreResult, UserRow};

/// Columns of `users` (aliased `u`) that [`user`] reads; a macro so statements stay `&'static str`.
macro_rules! user_cols {
    () => {
        "u.id, u.phone, u.password_hash, u.nickname, u.avatar, u.status, u.is_staff, u.created_at"
    };
}
pub(crate) use user_cols;

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
    Ok(AddressRow {
        id: parse_id(&row.try_get::<String, _>("id")?)?,
        user_id: parse_id(&row.try_get::<String, _>("user_id")?)?,
        district_code: row.try_get("district_code")?,
        detail: row.try_get("detail")?,
        contact_name: row.try_get("contact_name")?,
        contact_phone: row.try_get("contact_phone")?,
        lat_micro: row.try_get("lat_micro")?,
        lng_micro: row.try_get("lng_micro")?,
        is_default: flag(row, "is_default")?,
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

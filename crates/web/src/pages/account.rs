//! "我的": profile, avatar, password, saved addresses, and serving uploaded files.

use askama::Template;
use axum::{
    extract::{Multipart, Path, State},
    http::{Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use linli_app::{
    AppError,
    files::ImageKind,
    profile::{AddressFields, AddressView, Profile},
};
use linli_domain::{district::DISTRICTS, ids::AddressId};

use super::{Page, redirect_error, redirect_flash, render};
use crate::{
    AppState,
    access::{Access, Routes},
    extract::{PageForm, PagePath},
};

/// Largest upload body (the avatar limit plus multipart overhead).
pub const UPLOAD_LIMIT: usize = linli_app::files::MAX_AVATAR_BYTES + 64 * 1024;

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/me", Access::Member, me)
        .post("/me/nickname", Access::Member, nickname)
        .upload(
            Method::POST,
            "/me/avatar",
            Access::Member,
            UPLOAD_LIMIT,
            avatar,
        )
        .get("/me/password", Access::Member, password_page)
        .post("/me/password", Access::Member, change_password)
        .post("/me/logout-others", Access::Member, logout_others)
        .get("/me/addresses", Access::Member, addresses)
        .get("/me/addresses/new", Access::Member, new_address)
        .post("/me/addresses", Access::Member, create_address)
        .get("/me/addresses/{id}/edit", Access::Member, edit_address)
        .post("/me/addresses/{id}", Access::Member, update_address)
        .post("/me/addresses/{id}/delete", Access::Member, delete_address)
        .get("/files/{*name}", Access::Public, file)
}

#[derive(Template)]
#[template(path = "me.html")]
struct Me {
    p: Page,
    profile: Profile,
}

async fn me(State(state): State<AppState>, p: Page) -> Response {
    match state.app.profile(&p.actor()).await {
        Ok(profile) => render(&Me { p, profile }),
        Err(e) => redirect_error(&state, "/", &e),
    }
}

#[derive(serde::Deserialize)]
struct NicknameForm {
    nickname: String,
}

async fn nickname(
    State(state): State<AppState>,
    p: Page,
    PageForm(f): PageForm<NicknameForm>,
) -> Response {
    match state.app.update_nickname(&p.actor(), &f.nickname).await {
        Ok(()) => redirect_flash(&state, "/me", false, "flash.saved"),
        Err(e) => redirect_error(&state, "/me", &e),
    }
}

async fn avatar(
    State(state): State<AppState>,
    p: Page,
    form: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let Ok(mut form) = form else {
        return redirect_error(&state, "/me", &AppError::BadUpload("not a file upload"));
    };
    let mut bytes = None;
    loop {
        match form.next_field().await {
            Ok(Some(field)) if field.name() == Some("avatar") => match field.bytes().await {
                Ok(b) => bytes = Some(b),
                Err(_) => {
                    return redirect_error(&state, "/me", &AppError::BadUpload("upload failed"));
                }
            },
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => return redirect_error(&state, "/me", &AppError::BadUpload("upload failed")),
        }
    }
    let Some(bytes) = bytes else {
        return redirect_error(&state, "/me", &AppError::BadUpload("no file"));
    };
    match state.app.upload_avatar(&p.actor(), &bytes).await {
        Ok(_) => redirect_flash(&state, "/me", false, "flash.avatar_saved"),
        Err(e) => redirect_error(&state, "/me", &e),
    }
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    p: Page,
    has_password: bool,
}

async fn password_page(State(state): State<AppState>, p: Page) -> Response {
    match state.app.profile(&p.actor()).await {
        Ok(profile) => render(&PasswordPage {
            p,
            has_password: profile.has_password,
        }),
        Err(e) => redirect_error(&state, "/", &e),
    }
}

#[derive(serde::Deserialize)]
struct PasswordForm {
    #[serde(default)]
    old_password: String,
    new_password: String,
    #[serde(default)]
    new_password_confirm: String,
}

async fn change_password(
    State(state): State<AppState>,
    p: Page,
    PageForm(f): PageForm<PasswordForm>,
) -> Response {
    if f.new_password != f.new_password_confirm {
        return redirect_flash(&state, "/me/password", true, "register.mismatch");
    }
    let old = (!f.old_password.is_empty()).then_some(f.old_password.as_str());
    match state
        .app
        .change_password(&p.actor(), old, &f.new_password)
        .await
    {
        Ok(()) => redirect_flash(&state, "/me", false, "flash.password_changed"),
        Err(e) => redirect_error(&state, "/me/password", &e),
    }
}

async fn logout_others(State(state): State<AppState>, p: Page) -> Response {
    match state.app.logout_others(&p.actor()).await {
        Ok(_) => redirect_flash(&state, "/me", false, "flash.logged_out_others"),
        Err(e) => redirect_error(&state, "/me", &e),
    }
}

#[derive(Template)]
#[template(path = "addresses.html")]
struct Addresses {
    p: Page,
    addresses: Vec<AddressView>,
}

async fn addresses(State(state): State<AppState>, p: Page) -> Response {
    match state.app.addresses(&p.actor()).await {
        Ok(addresses) => render(&Addresses { p, addresses }),
        Err(e) => redirect_error(&state, "/me", &e),
    }
}

/// A district option for the form.
pub struct DistrictOption {
    /// Code.
    pub code: &'static str,
    /// Name in the page language.
    pub name: &'static str,
}

#[derive(Template)]
#[template(path = "address_form.html")]
struct AddressForm {
    p: Page,
    action: String,
    districts: Vec<DistrictOption>,
    a: AddressView,
}

fn district_options(p: &Page) -> Vec<DistrictOption> {
    DISTRICTS
        .iter()
        .map(|d| DistrictOption {
            code: d.code,
            name: if p.is_en() { d.name_en } else { d.name },
        })
        .collect()
}

async fn new_address(p: Page) -> Response {
    let a = AddressView {
        id: String::new(),
        district_code: String::new(),
        district_name: String::new(),
        city: String::new(),
        detail: String::new(),
        contact_name: p.nickname().to_owned(),
        contact_phone: String::new(),
        lat: 0.0,
        lng: 0.0,
        is_default: false,
    };
    let districts = district_options(&p);
    render(&AddressForm {
        p,
        action: "/me/addresses".into(),
        districts,
        a,
    })
}

#[derive(serde::Deserialize)]
struct AddressFormData {
    district_code: String,
    detail: String,
    contact_name: String,
    contact_phone: String,
    #[serde(default)]
    is_default: Option<String>,
}

impl From<AddressFormData> for AddressFields {
    fn from(f: AddressFormData) -> Self {
        Self {
            district_code: f.district_code,
            detail: f.detail,
            contact_name: f.contact_name,
            contact_phone: f.contact_phone,
            is_default: f.is_default.is_some(),
        }
    }
}

async fn create_address(
    State(state): State<AppState>,
    p: Page,
    PageForm(f): PageForm<AddressFormData>,
) -> Response {
    match state.app.save_address(&p.actor(), None, &f.into()).await {
        Ok(_) => redirect_flash(&state, "/me/addresses", false, "flash.saved"),
        Err(e) => redirect_error(&state, "/me/addresses/new", &e),
    }
}

async fn edit_address(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<AddressId>,
) -> Response {
    match state.app.address(&p.actor(), id).await {
        Ok(a) => {
            let districts = district_options(&p);
            render(&AddressForm {
                p,
                action: format!("/me/addresses/{id}"),
                districts,
                a,
            })
        }
        Err(AppError::NotFound) => not_found(&state, &p),
        Err(e) => redirect_error(&state, "/me/addresses", &e),
    }
}

fn not_found(_state: &AppState, p: &Page) -> Response {
    super::errors::page_with(p.clone(), StatusCode::NOT_FOUND)
}

async fn update_address(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<AddressId>,
    PageForm(f): PageForm<AddressFormData>,
) -> Response {
    match state
        .app
        .save_address(&p.actor(), Some(id), &f.into())
        .await
    {
        Ok(_) => redirect_flash(&state, "/me/addresses", false, "flash.saved"),
        Err(AppError::NotFound) => not_found(&state, &p),
        Err(e) => redirect_error(&state, &format!("/me/addresses/{id}/edit"), &e),
    }
}

async fn delete_address(
    State(state): State<AppState>,
    p: Page,
    PagePath(id): PagePath<AddressId>,
) -> Response {
    match state.app.delete_address(&p.actor(), id).await {
        Ok(()) => redirect_flash(&state, "/me/addresses", false, "flash.deleted"),
        Err(AppError::NotFound) => not_found(&state, &p),
        Err(e) => redirect_error(&state, "/me/addresses", &e),
    }
}

/// Folders whose files are public. Provider documents live elsewhere and are served only to
/// their owner and reviewers (`/documents/{id}`).
pub const PUBLIC_FOLDERS: [&str; 3] = ["avatars/", "listings/", "reviews/"];

async fn file(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let Some(kind) = ImageKind::from_name(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if !PUBLIC_FOLDERS.iter().any(|f| name.starts_with(f)) {
        return StatusCode::NOT_FOUND.into_response();
    }
    match state.app.files.get(&name).await {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, kind.mime()),
                (header::CACHE_CONTROL, "public, max-age=86400"),
            ],
            bytes,
        )
            .into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

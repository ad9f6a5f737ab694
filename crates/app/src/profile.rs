//! The signed-in account's own profile: nickname, avatar, saved addresses, categories list.

use linli_domain::{
    account::Nickname,
    address::AddressInput,
    district::{self, to_micro_degrees},
    ids::AddressId,
};
use linli_store::{AddressRow, CategoryRow};

use crate::{
    Actor, App, AppError, AppResult,
    files::{self, MAX_AVATAR_BYTES},
};

/// The owner's view of their account (full phone: only ever shown to the owner).
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Profile {
    /// Account id.
    pub id: String,
    /// Full phone number (owner only).
    pub phone: String,
    /// Display name.
    pub nickname: String,
    /// Avatar URL path, if uploaded.
    pub avatar_url: Option<String>,
    /// Whether a password is set (SMS-only accounts have none).
    pub has_password: bool,
    /// Whether the account holds staff roles.
    pub is_staff: bool,
}

/// An address as shown to its owner; the contact phone is masked like everywhere else.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AddressView {
    /// Id.
    pub id: String,
    /// District code.
    pub district_code: String,
    /// District name.
    pub district_name: String,
    /// City.
    pub city: String,
    /// Street and room.
    pub detail: String,
    /// Contact person.
    pub contact_name: String,
    /// Masked contact phone.
    pub contact_phone: String,
    /// Latitude (degrees).
    pub lat: f64,
    /// Longitude (degrees).
    pub lng: f64,
    /// Default address.
    pub is_default: bool,
}

impl From<&AddressRow> for AddressView {
    fn from(a: &AddressRow) -> Self {
        let d = district::by_code(&a.district_code);
        // Micro-degrees are small integers; the conversion is exact for display.
        #[allow(clippy::cast_precision_loss)]
        let deg = |m: i64| m as f64 / 1_000_000.0;
        Self {
            id: a.id.to_string(),
            district_code: a.district_code.clone(),
            district_name: d.map(|d| d.name).unwrap_or("-").to_owned(),
            city: d.map(|d| d.city).unwrap_or("-").to_owned(),
            detail: a.detail.clone(),
            contact_name: a.contact_name.clone(),
            contact_phone: linli_domain::phone::mask(&a.contact_phone),
            lat: deg(a.lat_micro),
            lng: deg(a.lng_micro),
            is_default: a.is_default,
        }
    }
}

/// Raw address fields as submitted.
#[derive(Debug, Clone, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddressFields {
    /// District code.
    pub district_code: String,
    /// Street and room.
    pub detail: String,
    /// Contact person.
    pub contact_name: String,
    /// Contact phone.
    pub contact_phone: String,
    /// Make default.
    #[serde(default)]
    pub is_default: bool,
}

impl App {
    /// The caller's own profile.
    pub async fn profile(&self, actor: &Actor) -> AppResult<Profile> {
        let m = actor.member()?;
        let u = self
            .store
            .user_by_id(m.id)
            .await?
            .ok_or(AppError::NotFound)?;
        Ok(Profile {
            id: u.id.to_string(),
            phone: u.phone.clone(),
            nickname: u.nickname.clone(),
            avatar_url: u.avatar.as_ref().map(|a| format!("/files/{a}")),
            has_password: u.password_hash.is_some(),
            is_staff: u.is_staff,
        })
    }

    /// Renames the caller.
    pub async fn update_nickname(&self, actor: &Actor, nickname: &str) -> AppResult<()> {
        let m = actor.member()?;
        let n = Nickname::parse(nickname)?;
        self.store
            .update_nickname(m.id, n.as_str(), self.now())
            .await?;
        Ok(())
    }

    /// Stores a new avatar: size-checked, type sniffed, decoded with pixel limits and
    /// re-encoded (EXIF and GPS dropped), scaled to fit 512 px.
    pub async fn upload_avatar(&self, actor: &Actor, bytes: &[u8]) -> AppResult<String> {
        let m = actor.member()?;
        if bytes.is_empty() {
            return Err(AppError::BadUpload("empty file"));
        }
        if bytes.len() > MAX_AVATAR_BYTES {
            return Err(AppError::BadUpload("file too large (max 2 MB)"));
        }
        let input = bytes.to_vec();
        let (clean, kind) =
            tokio::task::spawn_blocking(move || files::reencode(&input, files::AVATAR_SIDE))
                .await
                .map_err(|e| AppError::Internal(e.to_string()))??;
        // Generated name: nothing of the client's file name reaches the disk.
        let name = format!("avatars/{}.{}", AddressId::new(), kind.ext());
        self.files.put(&name, &clean).await?;
        self.store.set_avatar(m.id, &name, self.now()).await?;
        Ok(format!("/files/{name}"))
    }

    /// The caller's addresses.
    pub async fn addresses(&self, actor: &Actor) -> AppResult<Vec<AddressView>> {
        let m = actor.member()?;
        Ok(self
            .store
            .addresses(m.id)
            .await?
            .iter()
            .map(AddressView::from)
            .collect())
    }

    /// One of the caller's addresses; somebody else's answers `NotFound`.
    pub async fn address(&self, actor: &Actor, id: AddressId) -> AppResult<AddressView> {
        let m = actor.member()?;
        self.store
            .address(m.id, id)
            .await?
            .as_ref()
            .map(AddressView::from)
            .ok_or(AppError::NotFound)
    }

    /// Adds (`id = None`) or edits an address of the caller.
    pub async fn save_address(
        &self,
        actor: &Actor,
        id: Option<AddressId>,
        f: &AddressFields,
    ) -> AppResult<AddressView> {
        let m = actor.member()?;
        let input = AddressInput::parse(
            &f.district_code,
            &f.detail,
            &f.contact_name,
            &f.contact_phone,
            f.is_default,
        )?;
        if let Some(id) = id {
            // Editing requires ownership; a foreign id is indistinguishable from a missing one.
            self.store
                .address(m.id, id)
                .await?
                .ok_or(AppError::NotFound)?;
        }
        let row = AddressRow {
            id: id.unwrap_or_default(),
            user_id: m.id,
            district_code: input.district.code.to_owned(),
            detail: input.detail,
            contact_name: input.contact_name,
            contact_phone: input.contact_phone.as_str().to_owned(),
            lat_micro: to_micro_degrees(input.district.lat),
            lng_micro: to_micro_degrees(input.district.lng),
            is_default: input.is_default,
        };
        self.store.save_address(&row, self.now()).await?;
        self.address(actor, row.id).await
    }

    /// Deletes an address of the caller.
    pub async fn delete_address(&self, actor: &Actor, id: AddressId) -> AppResult<()> {
        let m = actor.member()?;
        Ok(self.store.delete_address(m.id, id).await?)
    }

    /// All service categories (public).
    pub async fn categories(&self) -> AppResult<Vec<CategoryRow>> {
        Ok(self.store.categories().await?)
    }
}

//! Service listing use cases: approved providers write and publish listings (the automatic
//! text filter decides between going live at once and waiting for an operator), operators
//! review the flagged ones, and everyone sees published listings.

use linli_domain::{
    ids::{ListingId, ProviderId},
    listing::{ListingAction, ListingInput, ListingStatus, PriceOption, SopItem},
    moderation::{self, Severity, Verdict, WordList, WordRule},
    money::Money,
    permission::Permission,
};
use linli_store::{ListingRow, PhotoRef, ProviderRow};

use crate::{Actor, App, AppError, AppResult, files};

/// Most photos a listing may have.
pub const MAX_PHOTOS: usize = 9;

/// Raw listing fields as submitted.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ListingForm {
    /// Category slug (a second-level category).
    pub category: String,
    /// Title (4–40 characters).
    pub title: String,
    /// Description (10–2000 characters, plain text).
    pub description: String,
    /// `fixed`, `hour`, `sqm` or `item`.
    pub unit: String,
    /// Base price in yuan, e.g. `45` or `45.50`.
    pub price: String,
    /// Minimum hours / m² / items (ignored for fixed prices).
    #[serde(default = "one")]
    pub min_units: i64,
    /// Estimated minutes.
    pub minutes: i64,
    /// Variants and add-ons: `{kind: "variant"|"addon", name, price_fen, minutes}`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub options: Vec<PriceOption>,
    /// Service standard checklist: `{text, photo}` (photo required at completion).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub sop: Vec<SopItem>,
    /// Values of the category's attributes: `[[name, value], …]`.
    #[serde(default)]
    pub attributes: Vec<(String, String)>,
    /// Cancellation policy: `flexible`, `standard` (default) or `strict`.
    #[serde(default)]
    pub cancel_policy: Option<String>,
    /// Accept bookings on payment without confirming each one.
    #[serde(default)]
    pub instant_book: bool,
}

fn one() -> i64 {
    1
}

/// A photo URL pair.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PhotoView {
    /// Full image.
    pub url: String,
    /// Thumbnail.
    pub thumb_url: String,
}

/// A listing as shown.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListingView {
    /// Id.
    pub id: String,
    /// Provider id.
    pub provider_id: String,
    /// Provider's display name.
    pub provider_name: String,
    /// Category slug.
    pub category: String,
    /// Category name (zh-CN).
    pub category_name: String,
    /// Title.
    pub title: String,
    /// Description (plain text; render escaped).
    pub description: String,
    /// Pricing unit.
    pub unit: String,
    /// Base price per unit in 分.
    pub price_fen: i64,
    /// Base price for display, `¥45.00`.
    pub price: String,
    /// Minimum units.
    pub min_units: i64,
    /// Estimated minutes.
    pub minutes: i64,
    /// Variants and add-ons.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub options: Vec<PriceOption>,
    /// Service standard.
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Object>))]
    pub sop: Vec<SopItem>,
    /// Attribute values: `[[name, value], …]`.
    pub attributes: Vec<(String, String)>,
    /// Photos.
    pub photos: Vec<PhotoView>,
    /// Status.
    pub status: String,
    /// Operator's reason for a rejection.
    pub review_note: Option<String>,
    /// What the automatic filter flagged (shown to the owner and reviewers).
    pub flags: String,
    /// Sales.
    pub sales: i64,
    /// Cancellation policy (`flexible`, `standard`, `strict`).
    pub cancel_policy: String,
    /// Accepted on payment without the provider confirming.
    pub instant_book: bool,
}

fn photo_view(p: &PhotoRef) -> PhotoView {
    PhotoView {
        url: format!("/files/{}", p.photo),
        thumb_url: format!("/files/{}", p.thumb),
    }
}

impl App {
    pub(crate) async fn listing_view(&self, l: &ListingRow) -> AppResult<ListingView> {
        let cats = self.store.categories().await?;
        self.listing_view_with(l, &cats).await
    }

    /// [`Self::listing_view`] with the catalogue already read (pages of listings read it once).
    pub(crate) async fn listing_view_with(
        &self,
        l: &ListingRow,
        cats: &[linli_store::CategoryRow],
    ) -> AppResult<ListingView> {
        let provider = self.store.provider(l.provider_id).await?;
        let category_name = cats
            .iter()
            .find(|c| c.slug == l.category)
            .map(|c| c.name_zh.clone())
            .unwrap_or_default();
        Ok(ListingView {
            id: l.id.to_string(),
            provider_id: l.provider_id.to_string(),
            provider_name: provider.map(|p| p.display_name).unwrap_or_default(),
            category: l.category.clone(),
            category_name,
            title: l.title.clone(),
            description: l.description.clone(),
            unit: l.unit.clone(),
            price_fen: l.price_fen,
            price: Money::from_fen(l.price_fen).to_string(),
            min_units: l.min_units,
            minutes: l.minutes,
            options: l.options.clone(),
            sop: l.sop.clone(),
            attributes: l.attributes.clone(),
            photos: l.photos.iter().map(photo_view).collect(),
            status: l.status.clone(),
            review_note: l.review_note.clone(),
            flags: l.flags.clone(),
            sales: l.sales,
            cancel_policy: l.cancel_policy.clone(),
            instant_book: l.instant_book,
        })
    }

    /// The caller's provider record if approved and not suspended.
    pub(crate) async fn active_provider(&self, actor: &Actor) -> AppResult<ProviderRow> {
        let m = actor.member()?;
        match self.store.provider_by_user(m.id).await? {
            Some(p) if p.status == "approved" && !p.suspended => Ok(p),
            Some(p) if p.suspended => Err(AppError::Conflict {
                code: "provider_suspended",
                message: "your services are suspended until a valid document is approved",
            }),
            _ => Err(AppError::Conflict {
                code: "provider_not_approved",
                message: "only approved providers can publish services",
            }),
        }
    }

    /// The current word list of the automatic filter.
    pub async fn word_list(&self) -> AppResult<WordList> {
        let words = self.store.moderation_words().await?;
        Ok(WordList::new(words.into_iter().filter_map(|(w, s)| {
            Severity::parse(&s).ok().map(|s| WordRule::new(w, s))
        })))
    }

    /// Creates (`id = None`) or edits a listing of the caller, adding `new_photos` (checked,
    /// re-encoded, thumbnailed). It stays a draft or keeps its status until submitted.
    pub async fn save_listing(
        &self,
        actor: &Actor,
        id: Option<ListingId>,
        form: &ListingForm,
        new_photos: Vec<Vec<u8>>,
    ) -> AppResult<ListingView> {
        let provider = self.active_provider(actor).await?;
        let input = ListingInput::parse(
            &form.category,
            &form.title,
            &form.description,
            &form.unit,
            &form.price,
            form.min_units,
            form.minutes,
            form.options.clone(),
            form.sop.clone(),
        )?;
        let cancel_policy = match form.cancel_policy.as_deref().filter(|p| !p.is_empty()) {
            Some(p) => linli_domain::booking::CancelPolicy::parse(p)?,
            None => linli_domain::booking::CancelPolicy::Standard,
        };
        let cats = self.store.categories().await?;
        if !cats
            .iter()
            .any(|c| c.slug == input.category && c.parent_id.is_some())
        {
            return Err(linli_domain::DomainError::Invalid("category").into());
        }
        let cat_id = cats
            .iter()
            .find(|c| c.slug == input.category)
            .map(|c| c.id.clone())
            .unwrap_or_default();
        let attributes = self.check_attributes(&cat_id, &form.attributes).await?;
        let existing = match id {
            Some(id) => {
                let l = self
                    .store
                    .listing(id)
                    .await?
                    .filter(|l| l.provider_id == provider.id)
                    .ok_or(AppError::NotFound)?;
                if !ListingStatus::parse(&l.status)?.editable() {
                    return Err(linli_domain::DomainError::InvalidTransition.into());
                }
                Some(l)
            }
            None => None,
        };
        let mut photos = existing
            .as_ref()
            .map(|l| l.photos.clone())
            .unwrap_or_default();
        if photos.len() + new_photos.len() > MAX_PHOTOS {
            return Err(AppError::BadUpload("a listing has at most 9 photos"));
        }
        let mut processed = Vec::with_capacity(new_photos.len());
        for bytes in new_photos {
            let p = tokio::task::spawn_blocking(move || {
                files::process_photo(&bytes, &files::PHOTO, files::PHOTO_SIDE, files::THUMB_SIDE)
            })
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
            processed.push(p);
        }
        for p in &processed {
            let stored = files::store_photo(&*self.files, "listings", p).await?;
            photos.push(PhotoRef {
                photo: stored.name,
                thumb: stored.thumb_name,
            });
        }
        let row = ListingRow {
            id: id.unwrap_or_default(),
            provider_id: provider.id,
            category: input.category,
            title: input.title,
            description: input.description,
            unit: input.unit.as_str().to_owned(),
            price_fen: input.price.fen(),
            min_units: input.min_units,
            minutes: input.minutes,
            options: input.options,
            sop: input.sop,
            attributes,
            photos,
            status: "draft".into(),
            review_note: None,
            flags: String::new(),
            sales: 0,
            cancel_policy: cancel_policy.as_str().to_owned(),
            instant_book: form.instant_book,
            updated_at: self.now(),
        };
        self.store.save_listing(&row, self.now()).await?;
        let saved = self
            .store
            .listing(row.id)
            .await?
            .ok_or(AppError::NotFound)?;
        self.listing_view(&saved).await
    }

    /// Submits a listing: the automatic filter rejects it outright, sends it to an operator, or
    /// publishes it at once.
    pub async fn submit_listing(&self, actor: &Actor, id: ListingId) -> AppResult<ListingView> {
        let provider = self.active_provider(actor).await?;
        let l = self
            .store
            .listing(id)
            .await?
            .filter(|l| l.provider_id == provider.id)
            .ok_or(AppError::NotFound)?;
        if l.photos.is_empty() {
            return Err(AppError::BadUpload(
                "add at least one photo before publishing",
            ));
        }
        let mut text = format!("{}\n{}", l.title, l.description);
        for o in &l.options {
            text.push('\n');
            text.push_str(&o.name);
        }
        for s in &l.sop {
            text.push('\n');
            text.push_str(&s.text);
        }
        let verdict = moderation::check(&text, &self.word_list().await?);
        let flags = verdict
            .findings()
            .iter()
            .map(|f| format!("{:?}:{}", f.kind, f.matched))
            .collect::<Vec<_>>()
            .join("; ");
        let clean = match verdict {
            Verdict::Reject(_) => {
                return Err(AppError::Conflict {
                    code: "content_rejected",
                    message: "the text contains prohibited content",
                });
            }
            Verdict::Review(_) => false,
            Verdict::Pass => true,
        };
        let l = self
            .store
            .transition_listing(
                id,
                Some(provider.id),
                ListingAction::Submit { clean },
                None,
                &flags,
                self.now(),
            )
            .await?;
        tracing::info!(listing = %id, status = %l.status, "listing submitted");
        self.listing_view(&l).await
    }

    /// Takes a listing of the caller offline.
    pub async fn take_listing_offline(
        &self,
        actor: &Actor,
        id: ListingId,
    ) -> AppResult<ListingView> {
        let m = actor.member()?;
        let provider = self
            .store
            .provider_by_user(m.id)
            .await?
            .ok_or(AppError::NotFound)?;
        let l = self
            .store
            .transition_listing(
                id,
                Some(provider.id),
                ListingAction::TakeOffline,
                None,
                "",
                self.now(),
            )
            .await?;
        self.listing_view(&l).await
    }

    /// The caller's listings.
    pub async fn my_listings(&self, actor: &Actor) -> AppResult<Vec<ListingView>> {
        let m = actor.member()?;
        let Some(p) = self.store.provider_by_user(m.id).await? else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for l in self.store.listings_of(p.id).await? {
            out.push(self.listing_view(&l).await?);
        }
        Ok(out)
    }

    /// One listing: published ones for everybody; others only for their owner and reviewers.
    pub async fn listing(&self, actor: &Actor, id: ListingId) -> AppResult<ListingView> {
        let l = self.store.listing(id).await?.ok_or(AppError::NotFound)?;
        if l.status != "published" {
            let owner = match actor {
                Actor::Member(m) => self
                    .store
                    .provider_by_user(m.id)
                    .await?
                    .is_some_and(|p| p.id == l.provider_id),
                Actor::Guest => false,
            };
            if !owner && !actor.can(Permission::ContentReview) {
                return Err(AppError::NotFound);
            }
        }
        self.listing_view(&l).await
    }

    /// Published listings of a provider (for the profile page).
    pub async fn provider_listings(&self, provider: ProviderId) -> AppResult<Vec<ListingView>> {
        let mut out = Vec::new();
        for l in self
            .store
            .listings_of(provider)
            .await?
            .into_iter()
            .filter(|l| l.status == "published")
        {
            out.push(self.listing_view(&l).await?);
        }
        Ok(out)
    }

    /// Listings waiting for review (or any status), for operators.
    pub async fn admin_listings(
        &self,
        actor: &Actor,
        status: &str,
        page: i64,
    ) -> AppResult<(Vec<ListingView>, i64)> {
        actor.require(Permission::ContentReview)?;
        let status = ListingStatus::parse(status)?;
        let page = page.clamp(1, 10_000);
        let (rows, total) = self
            .store
            .list_listings(status.as_str(), 20, (page - 1) * 20)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for l in &rows {
            out.push(self.listing_view(l).await?);
        }
        Ok((out, total))
    }

    /// Approves or rejects (reason required) a pending listing.
    pub async fn admin_review_listing(
        &self,
        actor: &Actor,
        id: ListingId,
        approve: bool,
        note: Option<&str>,
    ) -> AppResult<ListingView> {
        let me = actor.require(Permission::ContentReview)?;
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        let (action, note) = if approve {
            (ListingAction::Approve, None)
        } else {
            let n = note.ok_or(linli_domain::DomainError::TextLength {
                field: "note",
                min: 2,
                max: 200,
            })?;
            (
                ListingAction::Reject,
                Some(linli_domain::account::bounded_text("note", n, 2, 200)?),
            )
        };
        let l = self
            .store
            .transition_listing(id, None, action, note.as_deref(), "", self.now())
            .await?;
        self.store
            .append_audit(
                me.id,
                &format!("listing.{}", l.status),
                &format!("listing:{id}"),
                note.as_deref().unwrap_or(""),
                self.now(),
            )
            .await?;
        if let Some(p) = self.store.provider(l.provider_id).await? {
            let body = if approve {
                format!("你的服务「{}」已通过审核并上架。", l.title)
            } else {
                format!(
                    "你的服务「{}」未通过审核：{}",
                    l.title,
                    note.as_deref().unwrap_or("")
                )
            };
            self.store
                .push_notification(
                    p.user_id,
                    &format!("listing.{}", l.status),
                    &body,
                    None,
                    self.now(),
                )
                .await?;
        }
        self.listing_view(&l).await
    }

    /// The moderation word list, for operators.
    pub async fn admin_words(&self, actor: &Actor) -> AppResult<Vec<(String, String)>> {
        actor.require(Permission::ContentReview)?;
        Ok(self.store.moderation_words().await?)
    }

    /// Adds or updates a word (stored normalised, so spacing tricks cannot dodge it).
    pub async fn admin_put_word(&self, actor: &Actor, word: &str, severity: &str) -> AppResult<()> {
        actor.require(Permission::ContentReview)?;
        let severity = Severity::parse(severity)?;
        let word = moderation::normalize(word);
        let n = word.chars().count();
        if n == 0 || n > 30 {
            return Err(linli_domain::DomainError::TextLength {
                field: "word",
                min: 1,
                max: 30,
            }
            .into());
        }
        Ok(self
            .store
            .put_moderation_word(&word, severity.as_str(), self.now())
            .await?)
    }

    /// Removes a word.
    pub async fn admin_delete_word(&self, actor: &Actor, word: &str) -> AppResult<()> {
        actor.require(Permission::ContentReview)?;
        Ok(self
            .store
            .delete_moderation_word(&moderation::normalize(word))
            .await?)
    }
}

/// A category page: the category, its children and its published listings.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryPage {
    /// Slug.
    pub slug: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Child categories: (slug, 中文, English).
    pub children: Vec<(String, String, String)>,
    /// Published listings, best sellers first.
    pub listings: Vec<ListingView>,
    /// Total published listings.
    pub total: i64,
}

impl App {
    /// Published listings of a category (a top-level one includes its children), 20 per page.
    pub async fn category_page(&self, slug: &str, page: i64) -> AppResult<CategoryPage> {
        let cats = self.store.categories().await?;
        let cat = cats
            .iter()
            .find(|c| c.slug == slug)
            .ok_or(AppError::NotFound)?;
        let children: Vec<_> = cats
            .iter()
            .filter(|c| c.parent_id.as_deref() == Some(cat.id.as_str()))
            .collect();
        let mut slugs: Vec<String> = children.iter().map(|c| c.slug.clone()).collect();
        slugs.push(cat.slug.clone());
        let page = page.clamp(1, 10_000);
        let (rows, total) = self.store.published_in(&slugs, 20, (page - 1) * 20).await?;
        let mut listings = Vec::with_capacity(rows.len());
        for l in &rows {
            listings.push(self.listing_view(l).await?);
        }
        Ok(CategoryPage {
            slug: cat.slug.clone(),
            name_zh: cat.name_zh.clone(),
            name_en: cat.name_en.clone(),
            children: children
                .iter()
                .map(|c| (c.slug.clone(), c.name_zh.clone(), c.name_en.clone()))
                .collect(),
            listings,
            total,
        })
    }

    /// A first page of published listings across all categories (the home page).
    pub async fn popular_listings(&self, limit: i64) -> AppResult<Vec<ListingView>> {
        let slugs: Vec<String> = self
            .store
            .categories()
            .await?
            .into_iter()
            .map(|c| c.slug)
            .collect();
        let (rows, _) = self
            .store
            .published_in(&slugs, limit.clamp(1, 50), 0)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for l in &rows {
            out.push(self.listing_view(l).await?);
        }
        Ok(out)
    }

    /// Adds or removes a favourite (published listings only).
    pub async fn set_favourite(&self, actor: &Actor, id: ListingId, on: bool) -> AppResult<bool> {
        let m = actor.member()?;
        if on {
            self.store
                .listing(id)
                .await?
                .filter(|l| l.status == "published")
                .ok_or(AppError::NotFound)?;
        }
        Ok(self.store.set_favourite(m.id, id, on, self.now()).await?)
    }

    /// Whether the caller has favourited a listing (false for guests).
    pub async fn is_favourite(&self, actor: &Actor, id: ListingId) -> AppResult<bool> {
        match actor {
            Actor::Member(m) => Ok(self.store.is_favourite(m.id, id).await?),
            Actor::Guest => Ok(false),
        }
    }

    /// The caller's favourites that are still published.
    pub async fn my_favourites(&self, actor: &Actor) -> AppResult<Vec<ListingView>> {
        let m = actor.member()?;
        let mut out = Vec::new();
        for l in self
            .store
            .favourites(m.id)
            .await?
            .iter()
            .filter(|l| l.status == "published")
        {
            out.push(self.listing_view(l).await?);
        }
        Ok(out)
    }

    /// Follows or unfollows an approved provider; returns (following, followers).
    pub async fn set_follow(
        &self,
        actor: &Actor,
        provider: ProviderId,
        on: bool,
    ) -> AppResult<(bool, i64)> {
        let m = actor.member()?;
        if on {
            self.store
                .provider(provider)
                .await?
                .filter(|p| p.status == "approved")
                .ok_or(AppError::NotFound)?;
        }
        self.store
            .set_follow(m.id, provider, on, self.now())
            .await?;
        Ok(self.store.follow_state(Some(m.id), provider).await?)
    }

    /// Whether the caller follows a provider, and its follower count.
    pub async fn follow_state(
        &self,
        actor: &Actor,
        provider: ProviderId,
    ) -> AppResult<(bool, i64)> {
        let user = match actor {
            Actor::Member(m) => Some(m.id),
            Actor::Guest => None,
        };
        Ok(self.store.follow_state(user, provider).await?)
    }

    /// Providers the caller follows: (id, name).
    pub async fn my_follows(&self, actor: &Actor) -> AppResult<Vec<(String, String)>> {
        let m = actor.member()?;
        Ok(self
            .store
            .follows(m.id)
            .await?
            .into_iter()
            .map(|(id, name)| (id.to_string(), name))
            .collect())
    }
}

/// An attribute as shown in forms.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttributeView {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// `number`, `choice` or `text`.
    pub kind: String,
    /// Choices.
    pub options: Vec<String>,
    /// Unit.
    pub unit: String,
    /// Required.
    pub required: bool,
}

/// A new attribute.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AttributeForm {
    /// Name (1–10 characters).
    pub name: String,
    /// `number`, `choice` or `text`.
    pub kind: String,
    /// Choices for `choice`.
    #[serde(default)]
    pub options: Vec<String>,
    /// Unit for numbers.
    #[serde(default)]
    pub unit: String,
    /// Required.
    #[serde(default)]
    pub required: bool,
}

fn attribute_view(a: &linli_store::AttributeRow) -> AttributeView {
    AttributeView {
        id: a.id.clone(),
        name: a.name.clone(),
        kind: a.kind.clone(),
        options: a.options.clone(),
        unit: a.unit.clone(),
        required: a.required,
    }
}

impl App {
    /// Checks submitted attribute values against the category's attributes; unknown names are
    /// dropped, required ones must be present, numbers must parse, choices must be offered.
    async fn check_attributes(
        &self,
        category_id: &str,
        values: &[(String, String)],
    ) -> AppResult<Vec<(String, String)>> {
        let defs = self.store.category_attributes(category_id).await?;
        let mut out = Vec::new();
        for d in &defs {
            let v = values
                .iter()
                .find(|(n, _)| n == &d.name)
                .map(|(_, v)| v.trim().to_owned())
                .unwrap_or_default();
            if v.is_empty() {
                if d.required {
                    return Err(linli_domain::DomainError::Invalid(
                        "a required attribute is missing",
                    )
                    .into());
                }
                continue;
            }
            let ok = match d.kind.as_str() {
                "number" => v
                    .parse::<f64>()
                    .is_ok_and(|n| n.is_finite() && (0.0..=1_000_000.0).contains(&n)),
                "choice" => d.options.iter().any(|o| o == &v),
                _ => v.chars().count() <= 30 && !v.chars().any(char::is_control),
            };
            if !ok {
                return Err(linli_domain::DomainError::Invalid("attribute value").into());
            }
            out.push((d.name.clone(), v));
        }
        Ok(out)
    }

    /// Attributes of a category by slug (public: forms and filters use them).
    pub async fn category_attributes(&self, slug: &str) -> AppResult<Vec<AttributeView>> {
        let cats = self.store.categories().await?;
        let cat = cats
            .iter()
            .find(|c| c.slug == slug)
            .ok_or(AppError::NotFound)?;
        Ok(self
            .store
            .category_attributes(&cat.id)
            .await?
            .iter()
            .map(attribute_view)
            .collect())
    }

    /// Adds a category (top level when `parent` is None) — operators.
    pub async fn admin_add_category(
        &self,
        actor: &Actor,
        parent: Option<&str>,
        slug: &str,
        name_zh: &str,
        name_en: &str,
    ) -> AppResult<()> {
        actor.require(Permission::ContentReview)?;
        let slug = slug.trim().to_ascii_lowercase();
        if slug.is_empty()
            || slug.len() > 40
            || !slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(linli_domain::DomainError::Invalid("slug").into());
        }
        let name_zh = linli_domain::account::bounded_text("name_zh", name_zh, 1, 20)?;
        let name_en = linli_domain::account::bounded_text("name_en", name_en, 1, 40)?;
        let cats = self.store.categories().await?;
        if cats.iter().any(|c| c.slug == slug) {
            return Err(AppError::Conflict {
                code: "slug_taken",
                message: "a category with this slug exists",
            });
        }
        let parent_id = match parent.filter(|p| !p.is_empty()) {
            Some(p) => Some(
                cats.iter()
                    .find(|c| c.slug == p && c.parent_id.is_none())
                    .map(|c| c.id.clone())
                    .ok_or(AppError::NotFound)?,
            ),
            None => None,
        };
        let sort =
            i64::try_from(cats.iter().filter(|c| c.parent_id == parent_id).count()).unwrap_or(0);
        self.store
            .upsert_category(&linli_store::CategoryRow {
                id: format!("cat-{slug}"),
                parent_id,
                slug,
                name_zh,
                name_en,
                icon: String::new(),
                sort,
                deposit_fen: 0,
            })
            .await?;
        Ok(())
    }

    /// Renames a category — operators.
    pub async fn admin_rename_category(
        &self,
        actor: &Actor,
        slug: &str,
        name_zh: &str,
        name_en: &str,
    ) -> AppResult<()> {
        actor.require(Permission::ContentReview)?;
        let name_zh = linli_domain::account::bounded_text("name_zh", name_zh, 1, 20)?;
        let name_en = linli_domain::account::bounded_text("name_en", name_en, 1, 40)?;
        let cat = self
            .store
            .categories()
            .await?
            .into_iter()
            .find(|c| c.slug == slug)
            .ok_or(AppError::NotFound)?;
        Ok(self
            .store
            .rename_category(&cat.id, &name_zh, &name_en)
            .await?)
    }

    /// Adds an attribute to a category — operators.
    pub async fn admin_add_attribute(
        &self,
        actor: &Actor,
        slug: &str,
        f: &AttributeForm,
    ) -> AppResult<AttributeView> {
        actor.require(Permission::ContentReview)?;
        let cat = self
            .store
            .categories()
            .await?
            .into_iter()
            .find(|c| c.slug == slug)
            .ok_or(AppError::NotFound)?;
        let name = linli_domain::account::bounded_text("name", &f.name, 1, 10)?;
        let options: Vec<String> = f
            .options
            .iter()
            .flat_map(|o| o.split([',', '，']))
            .map(|o| o.trim().to_owned())
            .filter(|o| !o.is_empty())
            .collect();
        match f.kind.as_str() {
            "choice" if options.len() < 2 || options.len() > 20 => {
                return Err(linli_domain::DomainError::Invalid("choices").into());
            }
            "number" | "choice" | "text" => {}
            _ => return Err(linli_domain::DomainError::Invalid("attribute kind").into()),
        }
        let sort = i64::try_from(self.store.category_attributes(&cat.id).await?.len()).unwrap_or(0);
        let row = linli_store::AttributeRow {
            id: linli_domain::ids::JobId::new().to_string(),
            category_id: cat.id,
            name,
            kind: f.kind.clone(),
            options: if f.kind == "choice" {
                options
            } else {
                Vec::new()
            },
            unit: f.unit.trim().chars().take(6).collect(),
            required: f.required,
            sort,
        };
        match self.store.add_category_attribute(&row).await {
            Ok(()) => Ok(attribute_view(&row)),
            Err(linli_store::StoreError::Conflict(_)) => Err(AppError::Conflict {
                code: "attribute_taken",
                message: "the category already has this attribute",
            }),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes an attribute — operators.
    pub async fn admin_delete_attribute(&self, actor: &Actor, id: &str) -> AppResult<()> {
        actor.require(Permission::ContentReview)?;
        Ok(self.store.delete_category_attribute(id).await?)
    }
}

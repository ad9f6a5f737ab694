//! Provider onboarding use cases: apply (with licence and certificate photos), review by
//! operators, identity reveal with an audit row, the public provider profile, and the daily
//! document-expiry job.

use linli_domain::{
    district,
    ids::{DocumentId, ProviderId},
    permission::Permission,
    provider::{
        ApplicationInput, ApplicationStatus, DocumentKind, ProviderKind, ReviewAction, mask_name,
    },
    time::{DAY_MS, Day, Timestamp},
};
use linli_store::{DocumentRow, ProviderRow};

use crate::{Actor, App, AppError, AppResult, crypto, files, jobs::JobHandler};

/// Raw application fields as submitted.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationForm {
    /// `individual` or `company`.
    pub kind: String,
    /// Name shown to customers.
    pub display_name: String,
    /// Legal name (encrypted at rest, masked everywhere).
    pub real_name: String,
    /// Resident identity number (encrypted at rest, masked everywhere).
    pub id_number: String,
    /// Category slugs served.
    pub categories: Vec<String>,
    /// District codes served.
    pub districts: Vec<String>,
    /// Introduction.
    pub intro: String,
}

/// One uploaded document photo.
#[derive(Debug, Clone)]
pub struct DocumentUpload {
    /// `licence` or `qualification`.
    pub kind: String,
    /// Last valid day, `YYYY-MM-DD`.
    pub expires_on: String,
    /// The image bytes.
    pub bytes: Vec<u8>,
}

/// A document as its owner or a reviewer sees it.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DocumentView {
    /// Id (fetch the image at `/api/v1/documents/{id}`; pages use `/documents/{id}`).
    pub id: String,
    /// `licence` or `qualification`.
    pub kind: String,
    /// Last valid day.
    pub expires_on: String,
    /// `active`, `expiring`, `expired` or `replaced`.
    pub status: String,
}

/// An application as its applicant (or a reviewer) sees it; identity data masked.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationView {
    /// Provider id.
    pub id: String,
    /// `individual` or `company`.
    pub kind: String,
    /// Name shown to customers.
    pub display_name: String,
    /// Masked legal name.
    pub real_name: String,
    /// Masked identity number.
    pub id_number: String,
    /// Category slugs.
    pub categories: Vec<String>,
    /// District codes.
    pub districts: Vec<String>,
    /// District names (zh-CN), in the order of `districts`.
    pub district_names: Vec<String>,
    /// Category names (zh-CN), in the order of `categories`.
    pub category_names: Vec<String>,
    /// Introduction.
    pub intro: String,
    /// `pending`, `needs_info`, `approved` or `rejected`.
    pub status: String,
    /// The operator's reason (rejection or what is missing).
    pub review_note: Option<String>,
    /// Submitted at, local time.
    pub submitted_at: String,
    /// Suspended because a required document expired.
    pub suspended: bool,
    /// Documents (replaced ones omitted).
    pub documents: Vec<DocumentView>,
}

/// The full identity, for permitted operators only.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevealedIdentity {
    /// Legal name.
    pub real_name: String,
    /// Identity number.
    pub id_number: String,
}

/// The public provider card and profile.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProviderProfile {
    /// Provider id.
    pub id: String,
    /// Name shown to customers.
    pub display_name: String,
    /// `individual` or `company`.
    pub kind: String,
    /// 实名认证: identity checked by an operator.
    pub verified_identity: bool,
    /// 资质认证: holds a valid qualification or licence.
    pub verified_qualification: bool,
    /// Bayesian average rating ×10 (e.g. 48 = 4.8; see [`linli_domain::review::bayesian_x10`]),
    /// absent without reviews.
    pub rating_x10: Option<i64>,
    /// Published reviews counted in the rating.
    pub rating_count: i64,
    /// Completed orders.
    pub completed_orders: i64,
    /// Share of chats answered within an hour, in percent (filled by the chat issue).
    pub response_rate: Option<i64>,
    /// District names served.
    pub districts: Vec<String>,
    /// Category names served.
    pub categories: Vec<String>,
    /// Introduction.
    pub intro: String,
    /// On Linli since (local date).
    pub since: String,
}

fn document_view(d: &DocumentRow) -> DocumentView {
    DocumentView {
        id: d.id.to_string(),
        kind: d.kind.clone(),
        expires_on: d.expires_on.clone(),
        status: d.status.clone(),
    }
}

fn application_view(
    p: &ProviderRow,
    docs: &[DocumentRow],
    catalogue: &[linli_store::CategoryRow],
) -> ApplicationView {
    ApplicationView {
        district_names: p
            .districts
            .iter()
            .map(|c| district::by_code(c).map_or_else(|| c.clone(), |d| d.name.to_owned()))
            .collect(),
        category_names: p
            .categories
            .iter()
            .map(|slug| {
                catalogue
                    .iter()
                    .find(|c| &c.slug == slug)
                    .map_or_else(|| slug.clone(), |c| c.name_zh.clone())
            })
            .collect(),
        id: p.id.to_string(),
        kind: p.kind.clone(),
        display_name: p.display_name.clone(),
        real_name: p.real_name_masked.clone(),
        id_number: p.id_number_masked.clone(),
        categories: p.categories.clone(),
        districts: p.districts.clone(),
        intro: p.intro.clone(),
        status: p.status.clone(),
        review_note: p.review_note.clone(),
        submitted_at: p.submitted_at.local_display(),
        suspended: p.suspended,
        documents: docs
            .iter()
            .filter(|d| d.status != "replaced")
            .map(document_view)
            .collect(),
    }
}

/// Operator decisions that need a reason.
fn note_for(action: ReviewAction, note: Option<&str>) -> AppResult<Option<String>> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    match action {
        ReviewAction::Reject | ReviewAction::RequestInfo => {
            let n = note.ok_or(linli_domain::DomainError::TextLength {
                field: "note",
                min: 2,
                max: 200,
            })?;
            Ok(Some(linli_domain::account::bounded_text(
                "note", n, 2, 200,
            )?))
        }
        _ => Ok(note.map(str::to_owned)),
    }
}

impl App {
    /// The caller's own application, if any.
    pub async fn my_application(&self, actor: &Actor) -> AppResult<Option<ApplicationView>> {
        let m = actor.member()?;
        let Some(p) = self.store.provider_by_user(m.id).await? else {
            return Ok(None);
        };
        let docs = self.store.provider_documents(p.id).await?;
        Ok(Some(application_view(
            &p,
            &docs,
            &self.store.categories().await?,
        )))
    }

    /// Applies (or resubmits after a rejection or a request for more information). Photos are
    /// checked, re-encoded and stored before anything is written; a refusal stores nothing.
    pub async fn submit_application(
        &self,
        actor: &Actor,
        form: &ApplicationForm,
        uploads: Vec<DocumentUpload>,
    ) -> AppResult<ApplicationView> {
        let m = actor.member()?;
        let input = ApplicationInput::parse(
            &form.kind,
            &form.display_name,
            &form.real_name,
            &form.id_number,
            &form.categories,
            &form.districts,
            &form.intro,
        )?;
        let known: Vec<String> = self
            .store
            .categories()
            .await?
            .into_iter()
            .map(|c| c.slug)
            .collect();
        if input.categories.iter().any(|c| !known.contains(c)) {
            return Err(linli_domain::DomainError::Invalid("categories").into());
        }
        let current = self.store.provider_by_user(m.id).await?;
        let current_status = current
            .as_ref()
            .map(|p| ApplicationStatus::parse(&p.status))
            .transpose()?;
        let suspended = current.as_ref().is_some_and(|p| p.suspended);
        if !ApplicationStatus::editable(current_status) && !suspended {
            return Err(linli_domain::DomainError::InvalidTransition.into());
        }
        let today = Day::of(self.now());
        let mut parsed = Vec::with_capacity(uploads.len());
        for u in &uploads {
            let kind = DocumentKind::parse(&u.kind)?;
            let expires = Day::parse(&u.expires_on)?;
            if expires <= today {
                return Err(linli_domain::DomainError::InvalidDate.into());
            }
            parsed.push((kind, expires));
        }
        // What the application will hold after this submission.
        let existing = match &current {
            Some(p) => self.store.provider_documents(p.id).await?,
            None => Vec::new(),
        };
        let kinds_after: Vec<DocumentKind> = parsed
            .iter()
            .map(|(k, _)| *k)
            .chain(
                existing
                    .iter()
                    .filter(|d| d.status != "replaced")
                    .filter_map(|d| DocumentKind::parse(&d.kind).ok()),
            )
            .collect();
        if kinds_after.is_empty() {
            return Err(AppError::BadUpload(
                "upload at least one licence or certificate photo",
            ));
        }
        if input.kind == ProviderKind::Company
            && !kinds_after.contains(&DocumentKind::BusinessLicence)
        {
            return Err(AppError::BadUpload(
                "companies must upload their business licence",
            ));
        }
        // Process every photo first: one bad file refuses the whole submission, unstored.
        let mut processed = Vec::with_capacity(uploads.len());
        for u in uploads {
            let photo = tokio::task::spawn_blocking(move || {
                files::process_photo(
                    &u.bytes,
                    &files::PHOTO,
                    files::PHOTO_SIDE,
                    files::THUMB_SIDE,
                )
            })
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
            processed.push(photo);
        }
        let mut docs = Vec::with_capacity(processed.len());
        for ((kind, expires), photo) in parsed.into_iter().zip(&processed) {
            let stored = files::store_photo(&*self.files, "documents", photo).await?;
            docs.push(DocumentRow {
                id: DocumentId::new(),
                provider_id: ProviderId::new(),
                kind: kind.as_str().to_owned(),
                photo: stored.name,
                thumb: stored.thumb_name,
                expires_on: expires.to_string(),
                status: "active".into(),
            });
        }
        let secret = self.config.secret_key.expose();
        let row = ProviderRow {
            id: ProviderId::new(),
            user_id: m.id,
            kind: input.kind.as_str().to_owned(),
            display_name: input.display_name.clone(),
            real_name_masked: mask_name(&input.real_name),
            real_name_enc: crypto::seal(secret, &input.real_name)?,
            id_number_masked: input.id_number.masked(),
            id_number_enc: crypto::seal(secret, input.id_number.expose())?,
            categories: input.categories.clone(),
            districts: input.districts.clone(),
            intro: input.intro.clone(),
            status: String::new(),
            review_note: None,
            submitted_at: self.now(),
            reviewed_at: None,
            approved_at: None,
            suspended: false,
            completed_orders: 0,
            rating_sum: 0,
            rating_count: 0,
        };
        let id = match self.store.submit_application(&row, &docs, self.now()).await {
            Ok(id) => id,
            Err(e) => {
                // The write lost a race (e.g. a double submit): drop the photos we stored.
                for d in &docs {
                    let _ = self.files.delete(&d.photo).await;
                    let _ = self.files.delete(&d.thumb).await;
                }
                return Err(e.into());
            }
        };
        tracing::info!(user = %m.id, provider = %id, "provider application submitted");
        let p = self.store.provider(id).await?.ok_or(AppError::NotFound)?;
        let docs = self.store.provider_documents(id).await?;
        Ok(application_view(&p, &docs, &self.store.categories().await?))
    }

    /// Applications for the review queue (`status` None = all), 20 per page, with the total.
    pub async fn admin_applications(
        &self,
        actor: &Actor,
        status: Option<&str>,
        page: i64,
    ) -> AppResult<(Vec<ApplicationView>, i64)> {
        actor.require(Permission::ProvidersReview)?;
        let status = match status.filter(|s| !s.is_empty()) {
            Some(s) => Some(ApplicationStatus::parse(s)?.as_str()),
            None => None,
        };
        let page = page.clamp(1, 10_000);
        let (rows, total) = self
            .store
            .list_providers(status, 20, (page - 1) * 20)
            .await?;
        let catalogue = self.store.categories().await?;
        Ok((
            rows.iter()
                .map(|p| application_view(p, &[], &catalogue))
                .collect(),
            total,
        ))
    }

    /// One application with its documents, for reviewers.
    pub async fn admin_application(
        &self,
        actor: &Actor,
        id: ProviderId,
    ) -> AppResult<ApplicationView> {
        actor.require(Permission::ProvidersReview)?;
        let p = self.store.provider(id).await?.ok_or(AppError::NotFound)?;
        let docs = self.store.provider_documents(id).await?;
        Ok(application_view(&p, &docs, &self.store.categories().await?))
    }

    /// Approves, rejects (reason required) or asks for more information (reason required).
    pub async fn admin_review(
        &self,
        actor: &Actor,
        id: ProviderId,
        action: ReviewAction,
        note: Option<&str>,
    ) -> AppResult<ApplicationView> {
        let me = actor.require(Permission::ProvidersReview)?;
        if action == ReviewAction::Submit {
            return Err(linli_domain::DomainError::InvalidTransition.into());
        }
        let note = note_for(action, note)?;
        let p = self
            .store
            .review_application(id, action, note.as_deref(), me.id, self.now())
            .await?;
        self.store
            .append_audit(
                me.id,
                &format!("provider.{}", p.status),
                &format!("provider:{id}"),
                note.as_deref().unwrap_or(""),
                self.now(),
            )
            .await?;
        let body = match action {
            ReviewAction::Approve => "你的服务商入驻申请已通过，可以开始发布服务了。".to_owned(),
            ReviewAction::Reject => format!(
                "你的服务商入驻申请未通过：{}",
                note.as_deref().unwrap_or("")
            ),
            _ => format!(
                "你的服务商入驻申请需要补充资料：{}",
                note.as_deref().unwrap_or("")
            ),
        };
        self.store
            .push_notification(
                p.user_id,
                &format!("application.{}", p.status),
                &body,
                None,
                self.now(),
            )
            .await?;
        tracing::info!(by = %me.id, provider = %id, status = %p.status, "provider application reviewed");
        let docs = self.store.provider_documents(id).await?;
        Ok(application_view(&p, &docs, &self.store.categories().await?))
    }

    /// Decrypts a provider's legal name and identity number for a permitted operator, writing
    /// an audit row first (no audit, no reveal).
    pub async fn admin_reveal_identity(
        &self,
        actor: &Actor,
        id: ProviderId,
    ) -> AppResult<RevealedIdentity> {
        let me = actor.require(Permission::IdentityReveal)?;
        let p = self.store.provider(id).await?.ok_or(AppError::NotFound)?;
        self.store
            .append_audit(
                me.id,
                "identity.reveal",
                &format!("provider:{id}"),
                "",
                self.now(),
            )
            .await?;
        tracing::info!(by = %me.id, provider = %id, "identity revealed");
        let secret = self.config.secret_key.expose();
        Ok(RevealedIdentity {
            real_name: crypto::open(secret, &p.real_name_enc)?,
            id_number: crypto::open(secret, &p.id_number_enc)?,
        })
    }

    /// Audit rows about a provider, for reviewers: (local time, action, masked actor id).
    pub async fn admin_provider_audit(
        &self,
        actor: &Actor,
        id: ProviderId,
    ) -> AppResult<Vec<(String, String)>> {
        actor.require(Permission::ProvidersReview)?;
        Ok(self
            .store
            .audit_entries(&format!("provider:{id}"))
            .await?
            .into_iter()
            .map(|a| (a.created_at.local_display(), a.action))
            .collect())
    }

    /// A document image (full or thumbnail) for its owner or a reviewer; anyone else: NotFound.
    pub async fn document_image(
        &self,
        actor: &Actor,
        id: DocumentId,
        thumb: bool,
    ) -> AppResult<(Vec<u8>, &'static str)> {
        let m = actor.member()?;
        let mine = self.store.provider_by_user(m.id).await?;
        let provider = match (&mine, actor.can(Permission::ProvidersReview)) {
            (_, true) => None,
            (Some(p), false) => Some(p.id),
            (None, false) => return Err(AppError::NotFound),
        };
        let doc = self.store.document(id).await?.ok_or(AppError::NotFound)?;
        if provider.is_some_and(|p| p != doc.provider_id) {
            return Err(AppError::NotFound);
        }
        let name = if thumb { &doc.thumb } else { &doc.photo };
        let kind = files::ImageKind::from_name(name).ok_or(AppError::NotFound)?;
        Ok((self.files.get(name).await?, kind.mime()))
    }

    /// The public profile of an approved provider (others: NotFound).
    pub async fn provider_profile(&self, id: ProviderId) -> AppResult<ProviderProfile> {
        let p = self
            .store
            .provider(id)
            .await?
            .filter(|p| p.status == "approved")
            .ok_or(AppError::NotFound)?;
        let docs = self.store.provider_documents(id).await?;
        let categories = self.store.categories().await?;
        Ok(ProviderProfile {
            id: p.id.to_string(),
            display_name: p.display_name.clone(),
            kind: p.kind.clone(),
            verified_identity: true,
            verified_qualification: docs
                .iter()
                .any(|d| matches!(d.status.as_str(), "active" | "expiring")),
            rating_x10: linli_domain::review::bayesian_x10(p.rating_sum, p.rating_count),
            rating_count: p.rating_count,
            completed_orders: p.completed_orders,
            response_rate: None,
            districts: p
                .districts
                .iter()
                .filter_map(|c| district::by_code(c))
                .map(|d| d.name.to_owned())
                .collect(),
            categories: p
                .categories
                .iter()
                .filter_map(|slug| categories.iter().find(|c| &c.slug == slug))
                .map(|c| c.name_zh.clone())
                .collect(),
            intro: p.intro.clone(),
            since: p
                .approved_at
                .map(|t| Day::of(t).to_string())
                .unwrap_or_default(),
        })
    }

    /// The caller's newest notifications: (local time, text).
    pub async fn my_notifications(&self, actor: &Actor) -> AppResult<Vec<(String, String)>> {
        let m = actor.member()?;
        Ok(self
            .store
            .notifications(m.id, 20)
            .await?
            .into_iter()
            .map(|n| (n.created_at.local_display(), n.body))
            .collect())
    }
}

/// Daily: flags documents expiring within 30 days and notifies the provider; expires documents
/// past their last day and suspends the provider until a new one is approved.
pub struct DocumentExpiry;

impl DocumentExpiry {
    /// Kind name.
    pub const KIND: &'static str = "documents.expiry";

    /// Schedules the next run (midnight UTC+8 of the next day); idempotent.
    pub async fn schedule_next(app: &App) -> AppResult<()> {
        // 16:00 UTC is midnight in Shanghai.
        let now = app.now().millis();
        let next = (now - 16 * 3_600_000).div_euclid(DAY_MS) * DAY_MS + DAY_MS + 16 * 3_600_000;
        app.schedule_job(
            Self::KIND,
            "{}",
            Timestamp(next),
            Some(format!("{}:{next}", Self::KIND)),
        )
        .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl JobHandler for DocumentExpiry {
    fn kind(&self) -> &'static str {
        Self::KIND
    }

    async fn run(&self, app: &App, _payload: &str) -> Result<(), String> {
        let today = Day::of(app.now());
        let sweep = app
            .store
            .sweep_document_expiry(&today.to_string(), &today.plus_days(30).to_string())
            .await
            .map_err(|e| e.to_string())?;
        for (doc, user) in &sweep.expiring {
            let body = format!(
                "你的证件将于 {} 到期，请尽快上传新的证件，以免服务被暂停。",
                doc.expires_on
            );
            app.store
                .push_notification(
                    *user,
                    "document.expiring",
                    &body,
                    Some(&format!("expiring:{}", doc.id)),
                    app.now(),
                )
                .await
                .map_err(|e| e.to_string())?;
        }
        for (doc, user) in &sweep.expired {
            let body = format!(
                "你的证件已于 {} 到期，服务已暂停。上传新证件并通过审核后恢复。",
                doc.expires_on
            );
            app.store
                .push_notification(
                    *user,
                    "document.expired",
                    &body,
                    Some(&format!("expired:{}", doc.id)),
                    app.now(),
                )
                .await
                .map_err(|e| e.to_string())?;
        }
        tracing::info!(
            expiring = sweep.expiring.len(),
            expired = sweep.expired.len(),
            "document expiry sweep"
        );
        Self::schedule_next(app).await.map_err(|e| e.to_string())
    }
}

//! Reviews (评价): customers review confirmed orders once (stars, 准时/专业/态度, text, up to
//! nine photos, anonymous), providers reply once and rate customers (seen only by providers),
//! anyone signed in reports a review, operators keep or hide queued reviews, and an hourly
//! sweep gives orders left unreviewed for seven days the default positive review.
//!
//! Ratings shown on services and providers are the Bayesian average of
//! [`linli_domain::review::bayesian_x10`] (prior 4.5 stars weighted as five reviews), so one
//! five-star review shows 4.6, not 5.0.

use linli_domain::{
    DomainError,
    ids::{ListingId, OrderId, ProviderId, ReviewId, UserId},
    moderation::{self, Verdict},
    permission::Permission,
    review::{self, DEFAULT_REVIEW_AFTER_DAYS, ReviewInput, Stars},
    time::{DAY_MS, HOUR_MS, Timestamp},
};
use linli_store::{CustomerRatingRow, NewReview, PhotoRef, ReviewFilter, ReviewRow, StoreError};

use crate::{Actor, App, AppError, AppResult, files, jobs::JobHandler, listings::PhotoView};

/// Reviews per page.
pub const PER_PAGE: i64 = 10;
/// How the author of an anonymous review is shown.
pub const ANONYMOUS: &str = "匿名用户";

/// What a customer submits (photos travel separately as uploads).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewForm {
    /// Overall stars, 1–5.
    pub stars: i64,
    /// 准时, 1–5 (0 or absent: the overall stars).
    #[serde(default)]
    pub punctual: i64,
    /// 专业, 1–5 (0 or absent: the overall stars).
    #[serde(default)]
    pub professional: i64,
    /// 态度, 1–5 (0 or absent: the overall stars).
    #[serde(default)]
    pub attitude: i64,
    /// Text, 0–500 characters.
    #[serde(default)]
    pub text: String,
    /// Show the author as 匿名用户.
    #[serde(default)]
    pub anonymous: bool,
}

/// A review as shown.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewView {
    /// Id.
    pub id: String,
    /// Order.
    pub order_id: String,
    /// Service.
    pub listing_id: String,
    /// Provider.
    pub provider_id: String,
    /// Author's nickname, or 匿名用户.
    pub author: String,
    /// Written anonymously.
    pub anonymous: bool,
    /// Overall stars.
    pub stars: i64,
    /// 准时.
    pub punctual: i64,
    /// 专业.
    pub professional: i64,
    /// 态度.
    pub attitude: i64,
    /// Text.
    pub text: String,
    /// Photos with thumbnails.
    pub photos: Vec<PhotoView>,
    /// 系统默认好评: given by the system after seven days without a review.
    pub is_default: bool,
    /// `published`, `pending` (held for an operator) or `hidden`.
    pub status: String,
    /// The provider's reply, once published.
    pub reply: Option<String>,
    /// Written (local time).
    pub at: String,
}

fn photo_view(p: &PhotoRef) -> PhotoView {
    PhotoView {
        url: format!("/files/{}", p.photo),
        thumb_url: format!("/files/{}", p.thumb),
    }
}

fn view(r: &ReviewRow) -> ReviewView {
    ReviewView {
        id: r.id.to_string(),
        order_id: r.order_id.to_string(),
        listing_id: r.listing_id.to_string(),
        provider_id: r.provider_id.to_string(),
        author: if r.anonymous {
            ANONYMOUS.to_owned()
        } else {
            r.nickname.clone()
        },
        anonymous: r.anonymous,
        stars: r.stars,
        punctual: r.dims[0],
        professional: r.dims[1],
        attitude: r.dims[2],
        text: r.body.clone(),
        photos: r.photos.iter().map(photo_view).collect(),
        is_default: r.is_default,
        status: r.status.clone(),
        reply: r
            .reply
            .clone()
            .filter(|_| r.reply_status.as_deref() == Some("published")),
        at: r.created_at.local_display(),
    }
}

/// Filters of a review list.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
pub struct ReviewQuery {
    /// Only reviews with photos (有图).
    pub with_photos: Option<bool>,
    /// Only reviews with these stars (1–5).
    pub stars: Option<i64>,
    /// Page, from 1.
    pub page: Option<i64>,
}

/// A page of published reviews with the rating they add up to.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReviewPage {
    /// The reviews.
    pub reviews: Vec<ReviewView>,
    /// Reviews matching the filters.
    pub total: i64,
    /// This page, from 1.
    pub page: i64,
    /// Pages.
    pub pages: i64,
    /// Bayesian average ×10 over all published reviews (absent without any).
    pub rating_x10: Option<i64>,
    /// Published reviews counted in the rating.
    pub rating_count: i64,
}

impl ReviewPage {
    /// The rating as text (`4.6`), or empty.
    pub fn rating_text(&self) -> String {
        rating_text(self.rating_x10)
    }
}

/// A rating ×10 as text (`4.6`), or empty.
pub fn rating_text(x10: Option<i64>) -> String {
    x10.map(|r| format!("{}.{}", r / 10, r % 10))
        .unwrap_or_default()
}

/// What the order page shows about reviews to its customer or provider.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrderReviewPanel {
    /// The caller is the order's customer.
    pub is_customer: bool,
    /// The customer may write the review now.
    pub can_review: bool,
    /// The review, if written (the customer sees their own even while held).
    pub review: Option<ReviewView>,
    /// The provider may reply now.
    pub can_reply: bool,
    /// The provider may rate the customer now.
    pub can_rate_customer: bool,
    /// The provider's rating of this order's customer.
    pub customer_rating: Option<i64>,
    /// Providers' ratings of this customer: Bayesian ×10 and count (providers only).
    pub customer_score_x10: Option<i64>,
    /// Number of providers' ratings of this customer.
    pub customer_rating_count: i64,
}

/// An item of the operators' queue.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueuedReview {
    /// The review.
    pub review: ReviewView,
    /// The reply as written (also when held).
    pub reply: Option<String>,
    /// What the word filter found.
    pub flags: String,
    /// Reports received.
    pub report_count: i64,
    /// Their reasons.
    pub reasons: Vec<String>,
}

/// A provider's rating of a customer.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomerRatingForm {
    /// Stars, 1–5.
    pub stars: i64,
    /// Short note, 0–200 characters.
    #[serde(default)]
    pub text: String,
}

/// A report of a review.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReportForm {
    /// Why, 1–200 characters.
    pub reason: String,
}

/// A provider's reply.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReplyForm {
    /// The reply, 1–500 characters.
    pub text: String,
}

/// `published` or `pending` for a text, and the findings; blocked words refuse it.
async fn screen(app: &App, text: &str) -> AppResult<(&'static str, String)> {
    if text.is_empty() {
        return Ok(("published", String::new()));
    }
    let verdict = moderation::check(text, &app.word_list().await?);
    let flags = verdict
        .findings()
        .iter()
        .map(|f| format!("{:?}:{}", f.kind, f.matched))
        .collect::<Vec<_>>()
        .join("; ");
    match verdict {
        Verdict::Reject(_) => Err(DomainError::ContentRejected.into()),
        Verdict::Review(_) => Ok(("pending", flags)),
        Verdict::Pass => Ok(("published", flags)),
    }
}

fn already_reviewed() -> AppError {
    AppError::Conflict {
        code: "already_reviewed",
        message: "this order already has a review",
    }
}

impl App {
    async fn provider_id_of_user(&self, user: UserId) -> AppResult<Option<ProviderId>> {
        Ok(self.store.provider_by_user(user).await?.map(|p| p.id))
    }

    /// The customer reviews a confirmed order of theirs, once, with up to nine photos
    /// (checked, re-encoded, thumbnailed). Refused: not theirs (404), not confirmed or already
    /// reviewed (409), stars or text out of range, ten photos or blocked words (422). Text with
    /// words to review is held for an operator.
    pub async fn review_order(
        &self,
        actor: &Actor,
        order: OrderId,
        form: &ReviewForm,
        photos: Vec<Vec<u8>>,
    ) -> AppResult<ReviewView> {
        let m = actor.member()?;
        let o = self
            .store
            .order(order)
            .await?
            .filter(|o| o.customer_id == m.id)
            .ok_or(AppError::NotFound)?;
        let input = ReviewInput::parse(
            form.stars,
            [form.punctual, form.professional, form.attitude],
            &form.text,
            photos.len(),
            form.anonymous,
        )?;
        if o.status != "confirmed" {
            return Err(AppError::Conflict {
                code: "not_confirmed",
                message: "only confirmed orders can be reviewed",
            });
        }
        if self.store.review_of_order(order).await?.is_some() {
            return Err(already_reviewed());
        }
        let (status, flags) = screen(self, &input.body).await?;
        let mut processed = Vec::with_capacity(photos.len());
        for bytes in photos {
            let p = tokio::task::spawn_blocking(move || {
                files::process_photo(&bytes, &files::PHOTO, files::PHOTO_SIDE, files::THUMB_SIDE)
            })
            .await
            .map_err(|e| AppError::Internal(e.to_string()))??;
            processed.push(p);
        }
        let mut refs = Vec::with_capacity(processed.len());
        for p in &processed {
            let stored = files::store_photo(&*self.files, "reviews", p).await?;
            refs.push(PhotoRef {
                photo: stored.name,
                thumb: stored.thumb_name,
            });
        }
        let id = ReviewId::new();
        let row = new_review(id, order, m.id, &input, refs, false, status, flags);
        match self.store.insert_review(&row, self.now()).await {
            Ok(()) => {}
            Err(StoreError::Conflict(_)) => {
                self.discard_photos(&row.photos).await;
                return Err(already_reviewed());
            }
            Err(e) => {
                self.discard_photos(&row.photos).await;
                return Err(e.into());
            }
        }
        tracing::info!(review = %id, order = %order, status, "order reviewed");
        if status == "published" {
            self.refresh_provider_rating(o.provider_id).await;
        }
        let saved = self.store.review(id).await?.ok_or(AppError::NotFound)?;
        Ok(view(&saved))
    }

    /// Re-indexes a provider's services so search sorts and filters by the new rating. Best
    /// effort: the index catches up on the next re-index if this fails.
    async fn refresh_provider_rating(&self, provider: ProviderId) {
        if let Err(e) = self.reindex_provider(provider).await {
            tracing::warn!(provider = %provider, error = %e, "could not re-index after a rating change");
        }
    }

    async fn discard_photos(&self, photos: &[PhotoRef]) {
        for p in photos {
            for name in [&p.photo, &p.thumb] {
                if let Err(e) = self.files.delete(name).await {
                    tracing::warn!(name = %name, error = %e, "could not delete review photo");
                }
            }
        }
    }

    /// The provider of the reviewed order replies once. Blocked words: 422; words to review
    /// hold the reply for an operator.
    pub async fn reply_review(
        &self,
        actor: &Actor,
        id: ReviewId,
        text: &str,
    ) -> AppResult<ReviewView> {
        let m = actor.member()?;
        let provider = self
            .provider_id_of_user(m.id)
            .await?
            .ok_or(AppError::NotFound)?;
        let r = self
            .store
            .review(id)
            .await?
            .filter(|r| r.provider_id == provider && r.status != "hidden")
            .ok_or(AppError::NotFound)?;
        let text = review::reply_text(text)?;
        if r.reply.is_some() {
            return Err(already_replied());
        }
        let (status, flags) = screen(self, &text).await?;
        if !self
            .store
            .set_review_reply(id, provider, &text, status, &flags, self.now())
            .await?
        {
            return Err(already_replied());
        }
        let saved = self.store.review(id).await?.ok_or(AppError::NotFound)?;
        Ok(view(&saved))
    }

    /// Anyone signed in reports a visible review with a reason; it goes to the operators'
    /// queue. Reporting twice counts once.
    pub async fn report_review(&self, actor: &Actor, id: ReviewId, reason: &str) -> AppResult<()> {
        let m = actor.member()?;
        let reason = review::note_text("reason", reason, true)?;
        self.store
            .review(id)
            .await?
            .filter(|r| r.status == "published")
            .ok_or(AppError::NotFound)?;
        self.store
            .report_review(id, m.id, &reason, self.now())
            .await?;
        tracing::info!(review = %id, "review reported");
        Ok(())
    }

    async fn review_page(
        &self,
        mut filter: ReviewFilter,
        q: &ReviewQuery,
        rating: (i64, i64),
    ) -> AppResult<ReviewPage> {
        if let Some(s) = q.stars {
            filter.stars = Some(Stars::new(s)?.get());
        }
        filter.with_photos = q.with_photos.unwrap_or(false);
        let page = q.page.unwrap_or(1).clamp(1, 10_000);
        let (rows, total) = self
            .store
            .reviews(&filter, PER_PAGE, (page - 1) * PER_PAGE)
            .await?;
        Ok(ReviewPage {
            reviews: rows.iter().map(view).collect(),
            total,
            page,
            pages: ((total + PER_PAGE - 1) / PER_PAGE).max(1),
            rating_x10: review::bayesian_x10(rating.1, rating.0),
            rating_count: rating.0,
        })
    }

    /// Published reviews of an approved provider, filtered and paginated, with its rating.
    pub async fn provider_reviews(&self, id: ProviderId, q: &ReviewQuery) -> AppResult<ReviewPage> {
        let p = self
            .store
            .provider(id)
            .await?
            .filter(|p| p.status == "approved")
            .ok_or(AppError::NotFound)?;
        let filter = ReviewFilter {
            provider: Some(id),
            ..ReviewFilter::default()
        };
        self.review_page(filter, q, (p.rating_count, p.rating_sum))
            .await
    }

    /// Published reviews of a service, filtered and paginated, with its rating.
    pub async fn listing_reviews(&self, id: ListingId, q: &ReviewQuery) -> AppResult<ReviewPage> {
        let rating = self.store.listing_rating(id).await?;
        let filter = ReviewFilter {
            listing: Some(id),
            ..ReviewFilter::default()
        };
        self.review_page(filter, q, rating).await
    }

    /// The review part of an order page, for its customer or provider (others: 404).
    pub async fn order_review_panel(
        &self,
        actor: &Actor,
        order: OrderId,
    ) -> AppResult<OrderReviewPanel> {
        let m = actor.member()?;
        let o = self.store.order(order).await?.ok_or(AppError::NotFound)?;
        let is_customer = o.customer_id == m.id;
        let is_provider =
            !is_customer && self.provider_id_of_user(m.id).await? == Some(o.provider_id);
        if !is_customer && !is_provider {
            return Err(AppError::NotFound);
        }
        let confirmed = o.status == "confirmed";
        let r = self.store.review_of_order(order).await?;
        let shown = r
            .as_ref()
            .filter(|r| is_customer || r.status == "published");
        let mut panel = OrderReviewPanel {
            is_customer,
            can_review: is_customer && confirmed && r.is_none(),
            review: shown.map(view),
            can_reply: is_provider && shown.is_some_and(|r| r.reply.is_none()),
            can_rate_customer: false,
            customer_rating: None,
            customer_score_x10: None,
            customer_rating_count: 0,
        };
        if is_provider {
            let mine = self.store.customer_rating_of_order(order).await?;
            panel.can_rate_customer = confirmed && mine.is_none();
            panel.customer_rating = mine.map(|c| c.stars);
            let all = self.store.customer_ratings(o.customer_id).await?;
            let count = i64::try_from(all.len()).unwrap_or(i64::MAX);
            panel.customer_score_x10 =
                review::bayesian_x10(all.iter().map(|c| c.stars).sum(), count);
            panel.customer_rating_count = count;
        }
        Ok(panel)
    }

    /// The provider of a confirmed order rates its customer once (seen only by providers).
    pub async fn rate_customer(
        &self,
        actor: &Actor,
        order: OrderId,
        form: &CustomerRatingForm,
    ) -> AppResult<()> {
        let m = actor.member()?;
        let provider = self
            .provider_id_of_user(m.id)
            .await?
            .ok_or(AppError::NotFound)?;
        let o = self
            .store
            .order(order)
            .await?
            .filter(|o| o.provider_id == provider)
            .ok_or(AppError::NotFound)?;
        let stars = Stars::new(form.stars)?;
        let body = review::note_text("text", &form.text, false)?;
        if o.status != "confirmed" {
            return Err(AppError::Conflict {
                code: "not_confirmed",
                message: "only confirmed orders can be rated",
            });
        }
        screen(self, &body).await?;
        let row = CustomerRatingRow {
            order_id: order,
            provider_id: provider,
            customer_id: o.customer_id,
            stars: stars.get(),
            body,
            created_at: self.now(),
        };
        match self.store.insert_customer_rating(&row).await {
            Err(StoreError::Conflict(_)) => Err(AppError::Conflict {
                code: "already_rated",
                message: "this customer is already rated for this order",
            }),
            other => Ok(other?),
        }
    }

    /// The operators' queue: reviews held by the word filter or reported (content.review).
    pub async fn review_queue(&self, actor: &Actor) -> AppResult<Vec<QueuedReview>> {
        actor.require(Permission::ContentReview)?;
        let rows = self.store.review_queue(100).await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(QueuedReview {
                reasons: self.store.review_report_reasons(r.id).await?,
                review: view(&r),
                reply: r.reply.clone(),
                flags: r.flags.clone(),
                report_count: r.report_count,
            });
        }
        Ok(out)
    }

    /// An operator keeps (publishes) or hides a queued review and its reply.
    pub async fn decide_review(
        &self,
        actor: &Actor,
        id: ReviewId,
        hide: bool,
    ) -> AppResult<ReviewView> {
        let m = actor.require(Permission::ContentReview)?;
        let r = self.store.decide_review(id, hide, self.now()).await?;
        tracing::info!(review = %id, operator = %m.id, hide, "review decided");
        self.refresh_provider_rating(r.provider_id).await;
        Ok(view(&r))
    }

    /// Gives every order confirmed at least seven days ago without a review the default
    /// positive review; returns how many. Safe to repeat.
    pub async fn give_default_reviews(&self) -> AppResult<usize> {
        let before = self.now().minus_ms(DEFAULT_REVIEW_AFTER_DAYS * DAY_MS);
        let mut given = 0;
        loop {
            let due = self.store.unreviewed_confirmed_orders(before, 100).await?;
            if due.is_empty() {
                return Ok(given);
            }
            let mut progressed = false;
            for (order, customer) in due {
                let input = ReviewInput::default_positive();
                let row = new_review(
                    ReviewId::new(),
                    order,
                    customer,
                    &input,
                    Vec::new(),
                    true,
                    "published",
                    String::new(),
                );
                match self.store.insert_review(&row, self.now()).await {
                    Ok(()) => {
                        given += 1;
                        progressed = true;
                        if let Some(o) = self.store.order(order).await? {
                            self.refresh_provider_rating(o.provider_id).await;
                        }
                    }
                    // The customer reviewed it meanwhile.
                    Err(StoreError::Conflict(_)) => progressed = true,
                    Err(e) => return Err(e.into()),
                }
            }
            if !progressed {
                return Ok(given);
            }
        }
    }
}

fn already_replied() -> AppError {
    AppError::Conflict {
        code: "already_replied",
        message: "this review already has a reply",
    }
}

#[allow(clippy::too_many_arguments)]
fn new_review(
    id: ReviewId,
    order: OrderId,
    customer: UserId,
    input: &ReviewInput,
    photos: Vec<PhotoRef>,
    is_default: bool,
    status: &str,
    flags: String,
) -> NewReview {
    NewReview {
        id,
        order_id: order,
        customer_id: customer,
        stars: input.stars.get(),
        dims: [
            input.punctual.get(),
            input.professional.get(),
            input.attitude.get(),
        ],
        body: input.body.clone(),
        photos,
        anonymous: input.anonymous,
        is_default,
        status: status.to_owned(),
        flags,
    }
}

/// Hourly sweep: orders confirmed seven days ago and still unreviewed get the default positive
/// review (系统默认好评). Reschedules itself.
pub struct DefaultReviews;

impl DefaultReviews {
    /// Kind name.
    pub const KIND: &'static str = "reviews.default";

    /// Schedules the next sweep at the next full hour (idempotent).
    pub async fn schedule_next(app: &App) -> AppResult<()> {
        let next = (app.now().millis() / HOUR_MS + 1) * HOUR_MS;
        app.schedule_job(
            Self::KIND,
            "{}",
            Timestamp(next),
            Some(format!("{}:{}", Self::KIND, next)),
        )
        .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl JobHandler for DefaultReviews {
    fn kind(&self) -> &'static str {
        Self::KIND
    }

    async fn run(&self, app: &App, _payload: &str) -> Result<(), String> {
        let given = app
            .give_default_reviews()
            .await
            .map_err(|e| e.to_string())?;
        if given > 0 {
            tracing::info!(given, "default reviews given");
        }
        Self::schedule_next(app).await.map_err(|e| e.to_string())
    }
}

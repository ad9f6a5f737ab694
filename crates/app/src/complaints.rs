//! Complaints (投诉处理): tickets separate from refunds. A signed-in customer files one against a
//! provider (directly, or through one of their orders) or the platform, with a category and
//! text that passes the sensitive-word filter. Operators holding `complaints.handle` work the
//! queue: internal notes (never shown to the customer), public replies (the first one meets
//! the 24-hour first-response SLA) and status changes open → in_progress → resolved / closed.
//! Resolving a ticket against its provider marks a dispute lost for the reliability score.

use linli_domain::{
    DomainError,
    complaint::{self, Category, FIRST_RESPONSE_SLA_MS, Status},
    ids::{ComplaintId, OrderId, ProviderId},
    moderation::{self, Verdict},
    permission::Permission,
    time::Timestamp,
};
use linli_store::{ComplaintChange, ComplaintNoteRow, ComplaintRow};

use crate::{Actor, App, AppError, AppResult};

/// Most tickets the operators' queue shows at once.
pub const QUEUE_LIMIT: i64 = 200;

/// What a customer submits.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplaintForm {
    /// `attitude` 服务态度, `quality` 服务质量, `charges` 收费问题, `platform` 平台问题, `other` 其他.
    pub category: String,
    /// What happened, 1–1000 characters.
    pub text: String,
    /// One of the customer's orders the complaint is about (its provider is the target).
    #[serde(default)]
    pub order_id: Option<String>,
    /// The provider complained about, when no order is given; neither: the platform.
    #[serde(default)]
    pub provider_id: Option<String>,
}

/// An operator's entry on a ticket.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoteForm {
    /// `reply` (shown to the customer) or `internal` (operators only).
    pub kind: String,
    /// Text, 1–1000 characters.
    pub text: String,
}

/// An operator's status change.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StatusForm {
    /// `in_progress`, `resolved` or `closed`.
    pub status: String,
    /// When resolving: the complaint is upheld against the provider (a dispute lost).
    #[serde(default)]
    pub upheld: bool,
}

/// One entry of a ticket's thread.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ThreadEntry {
    /// `reply`, `status`, or (operators only) `internal`.
    pub kind: String,
    /// Text (for `status`: the new status).
    pub text: String,
    /// Unix ms.
    pub at: i64,
}

/// A ticket as shown.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplaintView {
    /// Id.
    pub id: String,
    /// Category name.
    pub category: String,
    /// Category label (zh-CN).
    pub category_label: String,
    /// `provider` or `platform`.
    pub against: String,
    /// The provider complained about.
    pub provider_id: Option<String>,
    /// The order it is about.
    pub order_id: Option<String>,
    /// The customer's text.
    pub text: String,
    /// `open`, `in_progress`, `resolved` or `closed`.
    pub status: String,
    /// First-response deadline, unix ms.
    pub sla_due_at: i64,
    /// Milliseconds left until the deadline (negative: past it); 0 once answered.
    pub sla_remaining_ms: i64,
    /// The first reply came late or has not come in time.
    pub overdue: bool,
    /// When the first public reply came, unix ms.
    pub first_response_at: Option<i64>,
    /// Resolved against the provider.
    pub upheld: bool,
    /// Filed at, unix ms.
    pub created_at: i64,
    /// Replies and status changes (operators also see internal notes).
    pub thread: Vec<ThreadEntry>,
}

fn view(
    c: &ComplaintRow,
    notes: &[ComplaintNoteRow],
    internal: bool,
    now: Timestamp,
) -> ComplaintView {
    let category = Category::parse(&c.category);
    ComplaintView {
        id: c.id.to_string(),
        category: c.category.clone(),
        category_label: category.map_or_else(|_| c.category.clone(), |k| k.label_zh().to_owned()),
        against: if c.provider_id.is_some() {
            "provider"
        } else {
            "platform"
        }
        .to_owned(),
        provider_id: c.provider_id.map(|p| p.to_string()),
        order_id: c.order_id.map(|o| o.to_string()),
        text: c.body.clone(),
        status: c.status.clone(),
        sla_due_at: c.sla_due_at.0,
        sla_remaining_ms: if c.first_response_at.is_some() {
            0
        } else {
            c.sla_due_at.0 - now.0
        },
        overdue: complaint::overdue(c.sla_due_at.0, c.first_response_at.map(|t| t.0), now.0),
        first_response_at: c.first_response_at.map(|t| t.0),
        upheld: c.upheld,
        created_at: c.created_at.0,
        thread: notes
            .iter()
            .filter(|n| internal || n.kind != "internal")
            .map(|n| ThreadEntry {
                kind: n.kind.clone(),
                text: n.body.clone(),
                at: n.at.0,
            })
            .collect(),
    }
}

fn parse_opt<T: std::str::FromStr>(s: Option<&str>) -> AppResult<Option<T>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| DomainError::MalformedId.into()),
    }
}

impl App {
    /// Refuses text the sensitive-word list blocks (texts held for review still pass: a
    /// complaint or a 先行赔付 claim is read by an operator anyway).
    pub(crate) async fn refuse_blocked_text(&self, text: &str) -> AppResult<()> {
        match moderation::check(text, &self.word_list().await?) {
            Verdict::Reject(_) => Err(DomainError::ContentRejected.into()),
            Verdict::Review(_) | Verdict::Pass => Ok(()),
        }
    }

    /// Files a complaint for the signed-in customer.
    pub async fn file_complaint(
        &self,
        actor: &Actor,
        form: &ComplaintForm,
    ) -> AppResult<ComplaintView> {
        let m = actor.member()?;
        let category = Category::parse(form.category.trim())?;
        let text = complaint::text("text", &form.text, complaint::MAX_TEXT_CHARS)?;
        let order_id: Option<OrderId> = parse_opt(form.order_id.as_deref())?;
        let mut provider_id: Option<ProviderId> = parse_opt(form.provider_id.as_deref())?;
        if let Some(o) = order_id {
            let order = self
                .store
                .order(o)
                .await?
                .filter(|r| r.customer_id == m.id)
                .ok_or(AppError::NotFound)?;
            provider_id = Some(order.provider_id);
        } else if let Some(p) = provider_id {
            self.store.provider(p).await?.ok_or(AppError::NotFound)?;
        }
        self.refuse_blocked_text(&text).await?;
        let now = self.now();
        let row = ComplaintRow {
            id: ComplaintId::new(),
            customer_id: m.id,
            order_id,
            provider_id,
            category: category.as_str().to_owned(),
            body: text,
            status: Status::Open.as_str().to_owned(),
            sla_due_at: Timestamp(now.0 + FIRST_RESPONSE_SLA_MS),
            first_response_at: None,
            upheld: false,
            created_at: now,
            updated_at: now,
        };
        self.store.insert_complaint(&row).await?;
        Ok(view(&row, &[], false, now))
    }

    /// The signed-in customer's complaints, newest first (threads not included).
    pub async fn my_complaints(&self, actor: &Actor) -> AppResult<Vec<ComplaintView>> {
        let m = actor.member()?;
        let now = self.now();
        Ok(self
            .store
            .complaints_of(m.id)
            .await?
            .iter()
            .map(|c| view(c, &[], false, now))
            .collect())
    }

    /// One of the customer's complaints with the public thread; another's answers 404.
    pub async fn my_complaint(&self, actor: &Actor, id: ComplaintId) -> AppResult<ComplaintView> {
        let m = actor.member()?;
        let c = self
            .store
            .complaint(id)
            .await?
            .filter(|c| c.customer_id == m.id)
            .ok_or(AppError::NotFound)?;
        let notes = self.store.complaint_notes(id).await?;
        Ok(view(&c, &notes, false, self.now()))
    }

    /// The operators' queue: optionally one status, optionally only overdue tickets.
    pub async fn complaint_queue(
        &self,
        actor: &Actor,
        status: Option<&str>,
        overdue_only: bool,
    ) -> AppResult<Vec<ComplaintView>> {
        actor.require(Permission::ComplaintsHandle)?;
        let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => Some(Status::parse(s)?.as_str()),
            None => None,
        };
        let now = self.now();
        Ok(self
            .store
            .complaint_queue(status, overdue_only.then_some(now), QUEUE_LIMIT)
            .await?
            .iter()
            .map(|c| view(c, &[], true, now))
            .collect())
    }

    /// One ticket for an operator, internal notes included.
    pub async fn complaint_for_operator(
        &self,
        actor: &Actor,
        id: ComplaintId,
    ) -> AppResult<ComplaintView> {
        actor.require(Permission::ComplaintsHandle)?;
        let c = self.store.complaint(id).await?.ok_or(AppError::NotFound)?;
        let notes = self.store.complaint_notes(id).await?;
        Ok(view(&c, &notes, true, self.now()))
    }

    /// Adds an internal note or a public reply. The first reply on an open ticket moves it to
    /// in_progress and meets the first-response SLA; finished tickets take internal notes only.
    pub async fn add_complaint_note(
        &self,
        actor: &Actor,
        id: ComplaintId,
        form: &NoteForm,
    ) -> AppResult<ComplaintView> {
        let m = actor.require(Permission::ComplaintsHandle)?;
        let public = match form.kind.trim() {
            "reply" => true,
            "internal" => false,
            _ => return Err(DomainError::Invalid("kind").into()),
        };
        let text = complaint::text("text", &form.text, complaint::MAX_NOTE_CHARS)?;
        let c = self.store.complaint(id).await?.ok_or(AppError::NotFound)?;
        let status = Status::parse(&c.status)?;
        if public {
            if status.is_final() {
                return Err(AppError::Conflict {
                    code: "complaint_finished",
                    message: "this complaint is already finished",
                });
            }
            self.refuse_blocked_text(&text).await?;
        }
        let to = if public && status == Status::Open {
            Status::InProgress
        } else {
            status
        };
        self.store
            .change_complaint(
                &ComplaintChange {
                    id,
                    from: status.as_str(),
                    to: to.as_str(),
                    note: Some((if public { "reply" } else { "internal" }, &text)),
                    author: m.id,
                    first_response: public,
                    upheld: None,
                },
                self.now(),
            )
            .await?;
        self.complaint_for_operator(actor, id).await
    }

    /// Moves a ticket on (open → in_progress → resolved / closed). `upheld` counts only when
    /// resolving a complaint against a provider.
    pub async fn set_complaint_status(
        &self,
        actor: &Actor,
        id: ComplaintId,
        form: &StatusForm,
    ) -> AppResult<ComplaintView> {
        let m = actor.require(Permission::ComplaintsHandle)?;
        let target = Status::parse(form.status.trim())?;
        let c = self.store.complaint(id).await?.ok_or(AppError::NotFound)?;
        let from = Status::parse(&c.status)?;
        let to = from.to(target)?;
        let upheld = to == Status::Resolved && form.upheld && c.provider_id.is_some();
        self.store
            .change_complaint(
                &ComplaintChange {
                    id,
                    from: from.as_str(),
                    to: to.as_str(),
                    note: Some(("status", to.as_str())),
                    author: m.id,
                    first_response: false,
                    upheld: Some(upheld),
                },
                self.now(),
            )
            .await?;
        self.complaint_for_operator(actor, id).await
    }
}

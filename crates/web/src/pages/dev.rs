//! Developer tools, registered only in dev mode: the SMS inbox where the embedded SMS sender
//! writes every message.

use askama::Template;
use axum::{extract::State, response::Response};

use super::{Page, render};
use crate::{
    AppState,
    access::{Access, Routes},
};

/// Routes of this module.
pub fn routes(r: Routes) -> Routes {
    r.get("/dev/sms", Access::Dev, inbox)
}

/// A message as listed.
pub struct Message {
    /// Masked recipient.
    pub to: String,
    /// Last four digits (to find one's own message).
    pub tail: String,
    /// Text.
    pub body: String,
    /// Local time.
    pub at: String,
}

#[derive(Template)]
#[template(path = "dev_sms.html")]
struct Inbox {
    p: Page,
    messages: Vec<Message>,
}

async fn inbox(State(state): State<AppState>, p: Page) -> Response {
    let rows = state.app.store.sms_outbox(50).await.unwrap_or_default();
    let messages = rows
        .into_iter()
        .map(|m| Message {
            to: linli_domain::phone::mask(&m.phone),
            tail: m.phone.chars().skip(7).collect(),
            body: m.body,
            at: m.created_at.local_display(),
        })
        .collect();
    render(&Inbox { p, messages })
}

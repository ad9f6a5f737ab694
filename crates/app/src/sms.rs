//! Outgoing SMS. [`SmsSender`] is the port; [`DevInbox`] is the embedded default that writes
//! every message to the developer inbox shown at `/dev/sms` (dev mode only).

use std::sync::Arc;

use linli_domain::{phone::Phone, time::Clock};
use linli_store::Store;

use crate::AppResult;

/// Delivers a text message to a phone.
#[async_trait::async_trait]
pub trait SmsSender: Send + Sync + 'static {
    /// Sends `body` to `to`.
    async fn send(&self, to: &Phone, body: &str) -> AppResult<()>;
}

/// Writes messages to the database-backed developer inbox (visible to every node).
pub struct DevInbox {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
}

impl DevInbox {
    /// An inbox over `store`.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Self {
        Self { store, clock }
    }
}

#[async_trait::async_trait]
impl SmsSender for DevInbox {
    async fn send(&self, to: &Phone, body: &str) -> AppResult<()> {
        self.store
            .push_sms_outbox(to.as_str(), body, self.clock.now())
            .await?;
        tracing::info!(to = %to, "sms written to developer inbox");
        Ok(())
    }
}

//! The job runner: scheduled work stored in the jobs table and run when the injected clock
//! says it is due. Every timeout of later issues hangs on this. Handlers must be idempotent:
//! a job whose lease ran out (a crashed node) is claimed and run again.

use std::{collections::HashMap, sync::Arc, time::Duration};

use linli_domain::{
    ids::JobId,
    time::{DAY_MS, SECOND_MS, Timestamp},
};
use linli_store::NewJob;

use crate::{App, AppError, AppResult};

/// How long a claimed job is reserved for its runner.
const LEASE_MS: i64 = 5 * 60 * SECOND_MS;
/// Tries before a job is marked failed.
const MAX_ATTEMPTS: i64 = 5;

/// Work of one kind.
#[async_trait::async_trait]
pub trait JobHandler: Send + Sync + 'static {
    /// The `kind` column this handler owns.
    fn kind(&self) -> &'static str;
    /// Does the work. Must be safe to repeat.
    async fn run(&self, app: &App, payload: &str) -> Result<(), String>;
}

/// Claims due jobs and dispatches them to their handlers.
#[derive(Clone)]
pub struct JobRunner {
    app: App,
    handlers: Arc<HashMap<&'static str, Arc<dyn JobHandler>>>,
}

impl JobRunner {
    /// A runner with the built-in handlers.
    pub fn new(app: App) -> Self {
        Self::with_handlers(
            app,
            vec![
                Arc::new(PurgeTokens),
                Arc::new(crate::providers::DocumentExpiry),
                Arc::new(crate::orders::ExpireUnpaid),
                Arc::new(crate::orders::AcceptDeadline),
                Arc::new(crate::orders::Reminder),
                Arc::new(crate::money::QueryPayment),
                Arc::new(crate::money::SubmitRefund),
                Arc::new(crate::money::SettleOrder),
                Arc::new(crate::money::PayWithdrawal),
                Arc::new(crate::money::AutoConfirm),
                Arc::new(crate::supplements::SupplementDeadline),
                Arc::new(crate::money::Reconcile),
                Arc::new(crate::reviews::DefaultReviews),
                Arc::new(crate::after_sale::AutoAccept),
            ],
        )
    }

    /// A runner with the given handlers.
    pub fn with_handlers(app: App, handlers: Vec<Arc<dyn JobHandler>>) -> Self {
        let handlers = handlers.into_iter().map(|h| (h.kind(), h)).collect();
        Self {
            app,
            handlers: Arc::new(handlers),
        }
    }

    /// Runs every job that is due now (including ones that become due while running, as a
    /// job may schedule follow-ups) and returns how many ran.
    pub async fn run_due(&self) -> AppResult<usize> {
        let mut ran = 0;
        loop {
            let now = self.app.now();
            let batch = self.app.store.claim_jobs(now, LEASE_MS, 16).await?;
            if batch.is_empty() {
                return Ok(ran);
            }
            for job in batch {
                ran += 1;
                let result = match self.handlers.get(job.kind.as_str()) {
                    Some(h) => h.run(&self.app, &job.payload).await,
                    None => Err(format!("no handler for job kind {}", job.kind)),
                };
                let now = self.app.now();
                match result {
                    Ok(()) => self.app.store.finish_job(job.id, now).await?,
                    Err(e) => {
                        tracing::warn!(job = %job.id, kind = %job.kind, attempt = job.attempts, error = %e, "job failed");
                        // Exponential back-off: 30 s, 60 s, 120 s, … then give up.
                        let retry = (job.attempts < MAX_ATTEMPTS)
                            .then(|| now.plus_ms((30 * SECOND_MS) << job.attempts.clamp(0, 10)));
                        self.app.store.fail_job(job.id, &e, retry, now).await?;
                    }
                }
            }
        }
    }

    /// Polls for due jobs until `shutdown` resolves.
    pub async fn run_until(self, poll: Duration, shutdown: tokio::sync::watch::Receiver<bool>) {
        let mut shutdown = shutdown;
        loop {
            if let Err(e) = self.run_due().await {
                tracing::error!(error = %e, "job runner pass failed");
            }
            tokio::select! {
                _ = tokio::time::sleep(poll) => {}
                _ = shutdown.changed() => return,
            }
        }
    }
}

impl App {
    /// Schedules a job. With a `dedupe_key`, scheduling twice is a no-op.
    pub async fn schedule_job(
        &self,
        kind: &str,
        payload: &str,
        run_at: Timestamp,
        dedupe_key: Option<String>,
    ) -> AppResult<bool> {
        let job = NewJob {
            id: JobId::new(),
            kind: kind.to_owned(),
            payload: payload.to_owned(),
            run_at,
            dedupe_key,
        };
        Ok(self.store.enqueue_job(&job, self.now()).await?)
    }

    /// Makes sure the recurring housekeeping jobs are scheduled (idempotent; run at startup).
    pub async fn ensure_recurring_jobs(&self) -> AppResult<()> {
        PurgeTokens::schedule_next(self).await?;
        crate::money::Reconcile::schedule_next(self).await?;
        crate::reviews::DefaultReviews::schedule_next(self).await?;
        crate::providers::DocumentExpiry::schedule_next(self).await
    }
}

/// Daily purge of tokens that expired more than a day ago; reschedules itself.
pub struct PurgeTokens;

impl PurgeTokens {
    /// Kind name.
    pub const KIND: &'static str = "tokens.purge";

    async fn schedule_next(app: &App) -> AppResult<()> {
        let now = app.now();
        let next_day = (now.millis() / DAY_MS + 1) * DAY_MS;
        app.schedule_job(
            Self::KIND,
            "{}",
            Timestamp(next_day),
            Some(format!("{}:{}", Self::KIND, next_day)),
        )
        .await?;
        Ok(())
    }
}

#[async_trait::async_trait]
impl JobHandler for PurgeTokens {
    fn kind(&self) -> &'static str {
        Self::KIND
    }

    async fn run(&self, app: &App, _payload: &str) -> Result<(), String> {
        let purged = app
            .store
            .purge_tokens(app.now().minus_ms(DAY_MS))
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!(purged, "expired tokens purged");
        Self::schedule_next(app)
            .await
            .map_err(|e: AppError| e.to_string())
    }
}

//! Group commit for SQLite: a write transaction's commit is made durable by an `fdatasync` of
//! the WAL file *after* the write lock is released, shared by every commit that finished
//! before it began.
//!
//! With `synchronous = FULL`, SQLite syncs the WAL inside `COMMIT`, while it still holds the
//! database's one write lock: every writer queued behind waits for that sync, and a disk that
//! now and then takes 10–50 ms for one turns each such stall into a queue. The write
//! transactions ([`super::SqlStore::write_tx`]) therefore run on a connection with
//! `synchronous = NORMAL` (the commit writes its WAL frames to the file, no sync) and the
//! committing caller then waits here, with the lock already free, until the WAL file has been
//! synced since its commit. One sync covers all commits before it (they are earlier in the same
//! file), so under load a handful of writers share each one.
//!
//! What this changes and what it does not:
//! - A caller is answered only after its commit is on disk, as before: an order, a payment or
//!   a ledger line acknowledged is durable.
//! - A commit is visible to other connections from the moment it is made, a sync before it is
//!   durable (at most one sync's time). Whatever acts on it durably (a job claim, a payment
//!   change) is itself a write, whose own sync covers every earlier commit; a power loss in that
//!   window loses the unacknowledged commit and, the WAL being one sequence, everything after
//!   it, never a later commit without an earlier one.
//! - Checkpoints with `synchronous = NORMAL` still sync the WAL before and the database after
//!   copying, so nothing is lost when the WAL is later reused.
//! - Writes outside [`super::SqlStore::write_tx`] (single statements on the pool) keep
//!   `synchronous = FULL` and sync in their own commit.

use std::{
    io,
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
};

use tokio::sync::Mutex;

use crate::{StoreError, StoreResult};

/// The figures of a [`WalSync`], for tests and diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalStats {
    /// Write transactions committed.
    pub commits: u64,
    /// Of those, how many are known durable (a sync begun after them has finished).
    pub durable: u64,
    /// `fdatasync` calls made.
    pub syncs: u64,
}

/// Syncs one SQLite database's WAL file on behalf of many commits.
#[derive(Debug)]
pub struct WalSync {
    wal: PathBuf,
    /// How a file is synced (`fdatasync`; tests slow it down to see commits share one).
    sync: fn(&Path) -> io::Result<()>,
    /// Commits made so far, numbered from 1 in the order their callers reported them.
    committed: AtomicU64,
    /// Every commit numbered up to this is durable.
    durable: AtomicU64,
    syncs: AtomicU64,
    /// Held by whoever is syncing; the others queue behind it and most find themselves
    /// covered when their turn comes.
    turn: Mutex<()>,
}

impl WalSync {
    /// For the database file `db` (its WAL is `db` + `-wal`, as SQLite names it).
    pub fn for_database(db: &Path) -> Self {
        let mut wal = db.as_os_str().to_owned();
        wal.push("-wal");
        Self::with(PathBuf::from(wal), sync_file)
    }

    fn with(wal: PathBuf, sync: fn(&Path) -> io::Result<()>) -> Self {
        Self {
            wal,
            sync,
            committed: AtomicU64::new(0),
            durable: AtomicU64::new(0),
            syncs: AtomicU64::new(0),
            turn: Mutex::new(()),
        }
    }

    /// Called by a writer right after its `COMMIT` returned (and the write lock was let go);
    /// returns once that commit is durable.
    pub async fn after_commit(&self) -> StoreResult<()> {
        let mine = self.committed.fetch_add(1, Ordering::SeqCst) + 1;
        // Queue for the turn rather than wait for a signal: a syncing caller that is cancelled
        // drops the turn, and the next in line syncs instead (no one waits on a lost wake-up).
        let _turn = self.turn.lock().await;
        if self.durable.load(Ordering::SeqCst) >= mine {
            return Ok(());
        }
        // Every commit counted so far was made before this sync starts, so it covers them all.
        let upto = self.committed.load(Ordering::SeqCst);
        let (wal, sync) = (self.wal.clone(), self.sync);
        tokio::task::spawn_blocking(move || sync(&wal))
            .await
            .map_err(|e| StoreError::Corrupt(format!("WAL sync task: {e}")))?
            .map_err(|e| {
                tracing::error!(error = %e, "syncing the SQLite WAL failed");
                StoreError::Database(sqlx::Error::Io(e))
            })?;
        self.syncs.fetch_add(1, Ordering::SeqCst);
        self.durable.fetch_max(upto, Ordering::SeqCst);
        Ok(())
    }

    /// What it has done so far.
    pub fn stats(&self) -> WalStats {
        WalStats {
            commits: self.committed.load(Ordering::SeqCst),
            durable: self.durable.load(Ordering::SeqCst),
            syncs: self.syncs.load(Ordering::SeqCst),
        }
    }
}

/// `fdatasync` of the file at `path` (Linux syncs a file's data whichever descriptor wrote
/// it). A WAL that is gone was checkpointed and removed by SQLite when its last connection
/// closed, which syncs the database first: nothing of it is left to sync.
fn sync_file(path: &Path) -> io::Result<()> {
    match std::fs::File::open(path) {
        Ok(f) => f.sync_data(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Duration};

    use super::*;

    fn slow_sync(_: &Path) -> io::Result<()> {
        std::thread::sleep(Duration::from_millis(40));
        Ok(())
    }

    fn failing_sync(_: &Path) -> io::Result<()> {
        Err(io::Error::other("disk on fire"))
    }

    #[tokio::test]
    async fn commits_made_while_a_sync_runs_share_the_next_one() {
        let w = Arc::new(WalSync::with(PathBuf::from("unused"), slow_sync));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..20 {
            let w = Arc::clone(&w);
            tasks.spawn(async move { w.after_commit().await });
        }
        while let Some(done) = tasks.join_next().await {
            assert!(done.unwrap().is_ok());
        }
        let s = w.stats();
        assert_eq!((s.commits, s.durable), (20, 20));
        // The first commit's sync, then one (rarely two) for all that came in meanwhile.
        assert!(s.syncs <= 3, "{s:?}");
    }

    #[tokio::test]
    async fn a_commit_after_a_finished_sync_gets_its_own() {
        let w = WalSync::with(PathBuf::from("unused"), slow_sync);
        w.after_commit().await.unwrap();
        w.after_commit().await.unwrap();
        assert_eq!(
            w.stats(),
            WalStats {
                commits: 2,
                durable: 2,
                syncs: 2
            }
        );
    }

    #[tokio::test]
    async fn a_failed_sync_is_an_error_and_nothing_counts_as_durable() {
        let w = WalSync::with(PathBuf::from("unused"), failing_sync);
        assert!(w.after_commit().await.is_err());
        assert_eq!(w.stats().durable, 0);
    }

    #[test]
    fn the_wal_sits_beside_the_database_and_a_missing_one_needs_no_sync() {
        let w = WalSync::for_database(Path::new("/data/linli.db"));
        assert_eq!(w.wal, PathBuf::from("/data/linli.db-wal"));
        assert!(sync_file(Path::new("/nonexistent/linli.db-wal")).is_ok());
    }
}

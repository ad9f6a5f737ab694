//! The single writer of an embedded index: a thread that owns tantivy's `IndexWriter` and
//! group-commits.
//!
//! A write call sends its operations over a channel and waits for the answer. The thread
//! takes whatever has queued up (up to [`MAX_BATCH`] calls), applies it in arrival order,
//! commits once and reloads the reader, then answers every call in the batch. So a write is
//! searchable as soon as its call returns (read-your-writes, well inside the 1-second
//! promise), a lone write costs one commit, and many concurrent writers share commits instead
//! of queueing for one each.

use std::{
    sync::mpsc,
    thread::{self, JoinHandle},
};

use tantivy::{IndexReader, IndexWriter, TantivyDocument, Term, query::AllQuery, schema::Field};
use tokio::sync::oneshot;

use crate::{Result, SearchError};

/// Most write calls folded into one commit.
const MAX_BATCH: usize = 256;

/// One change to the index.
pub(crate) enum Op {
    /// Replace the document with this id (delete it, then add the new version).
    Upsert { id: String, doc: TantivyDocument },
    /// Delete the document with this id.
    Delete(String),
    /// Delete every document.
    Clear,
}

struct Job {
    ops: Vec<Op>,
    done: oneshot::Sender<Result<()>>,
}

/// Handle to the writer thread; dropping it lets the thread finish queued work and waits.
pub(crate) struct Writer {
    tx: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Writer {
    /// Starts the thread.
    pub(crate) fn start(writer: IndexWriter, reader: IndexReader, id: Field) -> Result<Self> {
        let (tx, rx) = mpsc::channel();
        let thread = thread::Builder::new()
            .name("linli-search-writer".into())
            .spawn(move || run(writer, &reader, id, &rx))
            .map_err(SearchError::backend)?;
        Ok(Self {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Applies the operations and returns once they are committed and searchable.
    pub(crate) async fn apply(&self, ops: Vec<Op>) -> Result<()> {
        let stopped = || SearchError::backend("the search index writer has stopped");
        let (done, answer) = oneshot::channel();
        self.tx
            .as_ref()
            .ok_or_else(stopped)?
            .send(Job { ops, done })
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("search index writer thread panicked");
        }
    }
}

fn run(mut writer: IndexWriter, reader: &IndexReader, id: Field, rx: &mpsc::Receiver<Job>) {
    while let Ok(first) = rx.recv() {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let outcome = commit_batch(&mut writer, reader, id, &mut jobs);
        if let Err(e) = &outcome {
            tracing::error!(error = %e, calls = jobs.len(), "search index commit failed");
        }
        for job in jobs {
            let answer = outcome.clone().map_err(SearchError::backend);
            // The caller may have given up waiting; the write stands either way.
            let _ = job.done.send(answer);
        }
    }
    if let Err(e) = writer.wait_merging_threads() {
        tracing::warn!(error = %e, "search index merge did not finish cleanly");
    }
}

/// Applies every job's operations in order and commits; on failure rolls the batch back.
fn commit_batch(
    writer: &mut IndexWriter,
    reader: &IndexReader,
    id: Field,
    jobs: &mut [Job],
) -> Result<(), String> {
    let applied = (|| -> tantivy::Result<()> {
        for job in jobs.iter_mut() {
            for op in std::mem::take(&mut job.ops) {
                match op {
                    Op::Upsert { id: key, doc } => {
                        // Deletes apply to documents added before them (by opstamp), so the new
                        // version added next survives.
                        writer.delete_term(Term::from_field_text(id, &key));
                        writer.add_document(doc)?;
                    }
                    Op::Delete(key) => {
                        writer.delete_term(Term::from_field_text(id, &key));
                    }
                    Op::Clear => {
                        writer.delete_query(Box::new(AllQuery))?;
                    }
                }
            }
        }
        writer.commit().map(drop)
    })();
    if let Err(e) = applied {
        if let Err(rollback) = writer.rollback() {
            tracing::error!(error = %rollback, "search index rollback failed");
        }
        return Err(e.to_string());
    }
    reader.reload().map_err(|e| e.to_string())
}

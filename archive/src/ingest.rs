//! The import pipeline and its accounting.
//!
//! One reader thread walks the containers in order and splits them into
//! batches of raw messages; the calling thread hashes, de-duplicates, parses
//! and compresses each batch in parallel (rayon), appends the blocks to the
//! store, fsyncs, and commits the batch's catalog rows in one transaction.
//! Every message the splitters find ends up counted exactly once: imported
//! (new bytes), duplicate (bytes already stored) or failed (with its index,
//! byte offset and reason).
//!
//! Each container's progress (`next_index`) is committed with its batches, so
//! an import killed at any moment resumes where the last commit ended and
//! produces the same archive as an uninterrupted run.

use crate::archive::Archive;
use crate::auth::{AuthResult, KeyRecords};
use crate::catalog::{BatchWrite, Counts, MessageRef, NewMessage, NewOccurrence};
use crate::digest::Digest;
use crate::error::Result;
use crate::message::{ParsedMessage, parse_message_with_attachments};
use crate::source::discover::{self, Container, Skipped};
use crate::source::files::open_container_with_limit;
use crate::source::mbox::Variant;
use crate::source::{RawMessage, SplitFailure, SplitItem};
use crate::store::{self, PreparedBlock};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Import settings.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Force this mbox variant instead of detecting it.
    pub variant: Option<Variant>,
    /// Messages per batch (one transaction each).
    pub batch_messages: usize,
    /// Raw bytes per batch.
    pub batch_bytes: usize,
    /// The command line, recorded in the catalog's `imports` table.
    pub args: String,
    /// Largest message kept, in bytes; a larger one is counted as failed
    /// (with its index, offset and size) and the import goes on.
    pub max_message_bytes: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            variant: None,
            batch_messages: 2000,
            batch_bytes: 32 << 20,
            args: String::new(),
            max_message_bytes: crate::source::mbox::DEFAULT_MAX_MESSAGE_BYTES,
        }
    }
}

/// Live counters for a progress bar (read from another thread).
#[derive(Debug, Default)]
pub struct Progress {
    /// Raw bytes read from the containers.
    pub bytes_read: Arc<AtomicU64>,
    /// Raw bytes to read in all.
    pub total_bytes: AtomicU64,
    /// Messages accounted for.
    pub messages: AtomicU64,
    /// The container being read.
    pub current: Mutex<String>,
}

/// A warning about one message.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MessageWarning {
    /// Index in the container.
    pub index: u64,
    /// Byte offset in the container.
    pub offset: u64,
    /// What was noticed.
    pub warning: String,
}

/// The outcome for one container.
#[derive(Debug, Clone, Serialize)]
pub struct ContainerReport {
    /// Absolute path.
    pub path: PathBuf,
    /// Format name.
    pub format: String,
    /// mbox variant, if any.
    pub variant: Option<String>,
    /// Compression layer, if any.
    pub compression: Option<String>,
    /// `imported` (read in full now), `resumed` (an interrupted import was
    /// finished), `unchanged` (already imported, not read again) or
    /// `unreadable`.
    pub status: String,
    /// Messages found in this run.
    pub messages: u64,
    /// New messages stored.
    pub imported: u64,
    /// Messages already in the archive.
    pub duplicates: u64,
    /// Messages that could not be read.
    pub failed: u64,
    /// Why each failed message failed.
    pub failures: Vec<SplitFailure>,
    /// Messages stored with warnings (parsed only in part, charset guessed...).
    pub warnings: Vec<MessageWarning>,
    /// SHA-256 of the container file.
    pub sha256: Option<String>,
}

/// The outcome of an import.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    /// Per container.
    pub containers: Vec<ContainerReport>,
    /// Paths that are not mail.
    pub skipped: Vec<Skipped>,
    /// Sums over the containers.
    pub totals: Counts,
}

/// A message just stored, handed to an [`Observer`] (the search index).
pub struct Stored<'a> {
    /// Catalog key.
    pub key: i64,
    /// SHA-256.
    pub id: Digest,
    /// Parsed content.
    pub parsed: &'a ParsedMessage,
    /// The container path.
    pub source: &'a str,
    /// The folder, if any.
    pub folder: Option<&'a str>,
    /// Thread number.
    pub thread: i64,
    /// Its signature checks (empty: unsigned).
    pub auth: &'a [AuthResult],
    /// Text extracted from each attachment.
    pub texts: &'a [crate::extract::Outcome],
    /// Messages found inside it, each with its row id in the catalog's
    /// `embedded` table and whether this message is the first to carry it
    /// (then it is indexed with it).
    pub embedded: Vec<(&'a crate::embedded::Embedded, i64, bool)>,
}

/// Receives messages as their batch commits (used to index during import).
/// Existing messages whose index document went stale (a new occurrence, a
/// thread merge) are recorded in the catalog instead (`index_dirty`), so that
/// a crash cannot lose them.
pub trait Observer {
    /// A batch of new messages was committed.
    fn stored(&mut self, batch: &[Stored<'_>]);
}

enum Event {
    Start(usize, Option<Variant>),
    Batch(usize, Vec<SplitItem>),
    End(usize, Option<String>),
    Unreadable(usize, String),
}

struct Job {
    index: usize,
    container: Container,
    resume_from: u64,
}

/// Imports `paths` into `archive`. Fatal errors (unreadable path, unwritable
/// archive) return `Err`; problems with single messages are in the report.
pub fn import(
    archive: &mut Archive,
    paths: &[PathBuf],
    opts: &ImportOptions,
    progress: &Progress,
    observer: &mut dyn Observer,
) -> Result<ImportReport> {
    let found = discover::discover(paths).map_err(|e| crate::Error::io(e.path, e.error))?;
    let mut report = ImportReport {
        skipped: found.skipped,
        ..Default::default()
    };
    let run = archive.catalog.begin_run(&opts.args)?;

    // Decide, per container, whether to read it and from which message on.
    let mut jobs = Vec::new();
    let mut sources: Vec<Option<i64>> = Vec::new();
    for c in found.containers {
        let path = c.path.to_string_lossy().into_owned();
        let row = archive.catalog.find_source(&path, &c.fingerprint)?;
        let idx = report.containers.len();
        let (compression, size) = match &c.kind {
            discover::ContainerKind::File {
                compression, size, ..
            } => (Some(compression.as_str().to_string()), *size),
            discover::ContainerKind::Dir { .. } => (None, c.size()),
        };
        let mut rep = ContainerReport {
            path: c.path.clone(),
            format: c.format().as_str().into(),
            variant: None,
            compression: compression.clone().filter(|c| c != "none"),
            status: "imported".into(),
            messages: 0,
            imported: 0,
            duplicates: 0,
            failed: 0,
            failures: Vec::new(),
            warnings: Vec::new(),
            sha256: None,
        };
        match row {
            Some(r) if r.complete => {
                rep.status = "unchanged".into();
                rep.variant = r.variant;
                rep.sha256 = r.file_sha256;
                sources.push(Some(r.id));
            }
            Some(r) => {
                rep.status = "resumed".into();
                progress.total_bytes.fetch_add(size, Ordering::Relaxed);
                jobs.push(Job {
                    index: idx,
                    container: c,
                    resume_from: r.next_index,
                });
                sources.push(Some(r.id));
            }
            None => {
                progress.total_bytes.fetch_add(size, Ordering::Relaxed);
                let r = archive.catalog.create_source(
                    &path,
                    &c.fingerprint,
                    c.format().as_str(),
                    compression.as_deref(),
                    size,
                )?;
                jobs.push(Job {
                    index: idx,
                    container: c,
                    resume_from: 0,
                });
                sources.push(Some(r.id));
            }
        }
        report.containers.push(rep);
    }

    let committed = archive.catalog.committed_packs()?;
    let mut writer = archive.store.writer(&committed)?;
    let keys = archive.catalog.key_records()?;
    let (tx, rx) = crossbeam_channel::bounded::<Event>(2);
    let bytes_read = progress.bytes_read.clone();
    let variant = opts.variant;
    let max_message_bytes = opts.max_message_bytes;
    let (batch_messages, batch_bytes) = (opts.batch_messages.max(1), opts.batch_bytes.max(1));
    let names: Vec<String> = jobs
        .iter()
        .map(|j| j.container.path.display().to_string())
        .collect();

    std::thread::scope(|scope| -> Result<()> {
        scope.spawn(move || {
            for job in jobs {
                let reader = match open_container_with_limit(
                    &job.container,
                    variant,
                    bytes_read.clone(),
                    max_message_bytes,
                ) {
                    Ok(r) => r,
                    Err(e) => {
                        if tx
                            .send(Event::Unreadable(job.index, e.to_string()))
                            .is_err()
                        {
                            return;
                        }
                        continue;
                    }
                };
                if tx.send(Event::Start(job.index, reader.variant)).is_err() {
                    return;
                }
                let mut batch = Vec::new();
                let mut bytes = 0usize;
                for item in reader.items {
                    let index = match &item {
                        Ok(m) => m.index,
                        Err(f) => f.index,
                    };
                    if index < job.resume_from {
                        continue;
                    }
                    bytes += item.as_ref().map(|m| m.bytes.len()).unwrap_or(0);
                    batch.push(item);
                    if batch.len() >= batch_messages || bytes >= batch_bytes {
                        if tx
                            .send(Event::Batch(job.index, std::mem::take(&mut batch)))
                            .is_err()
                        {
                            return;
                        }
                        bytes = 0;
                    }
                }
                if !batch.is_empty() && tx.send(Event::Batch(job.index, batch)).is_err() {
                    return;
                }
                let sha = reader.meter.map(|m| m.sha256_hex());
                if tx.send(Event::End(job.index, sha)).is_err() {
                    return;
                }
            }
        });

        let mut job_no = 0usize;
        // Owned here, so that an error returned from this loop (a full
        // disk, an unwritable catalog) drops the receiver before the scope
        // joins the reader thread: its next send fails and it stops, instead
        // of waiting forever on a full channel.
        let rx = rx;
        for ev in rx.iter() {
            match ev {
                Event::Start(i, v) => {
                    if let Ok(mut cur) = progress.current.lock() {
                        *cur = names.get(job_no).cloned().unwrap_or_default();
                    }
                    job_no += 1;
                    if let (Some(v), Some(Some(src))) = (v, sources.get(i)) {
                        archive.catalog.set_source_variant(*src, v.as_str())?;
                        report.containers[i].variant = Some(v.as_str().into());
                    }
                }
                Event::Unreadable(i, why) => {
                    // Nothing was read, so no message can be counted: the
                    // container is listed as unreadable and its path skipped
                    // with the reason; the next import tries it again.
                    job_no += 1;
                    let rep = &mut report.containers[i];
                    rep.status = "unreadable".into();
                    report.skipped.push(Skipped {
                        path: rep.path.clone(),
                        reason: format!("cannot open: {why}"),
                    });
                }
                Event::Batch(i, items) => {
                    let Some(Some(src)) = sources.get(i).copied() else {
                        continue;
                    };
                    let source_path = report.containers[i].path.to_string_lossy().into_owned();
                    let counts = commit_batch(
                        archive,
                        &mut writer,
                        run,
                        src,
                        &source_path,
                        items,
                        &mut report.containers[i],
                        observer,
                        &keys,
                    )?;
                    progress
                        .messages
                        .fetch_add(counts.messages, Ordering::Relaxed);
                }
                Event::End(i, sha) => {
                    if let Some(Some(src)) = sources.get(i) {
                        archive.catalog.complete_source(*src, sha.as_deref())?;
                    }
                    report.containers[i].sha256 = sha;
                }
            }
        }
        Ok(())
    })?;

    for c in &report.containers {
        report.totals.add(&Counts {
            messages: c.messages,
            imported: c.imported,
            duplicates: c.duplicates,
            failed: c.failed,
        });
    }
    archive.catalog.finish_run(run, &report.totals)?;
    Ok(report)
}

/// What the parallel stage learns of one new message.
struct Checked {
    parsed: ParsedMessage,
    auth: Vec<AuthResult>,
    texts: Vec<crate::extract::Outcome>,
    embedded: Vec<crate::embedded::Embedded>,
}

struct Prepared {
    raw: RawMessage,
    id: Digest,
}

#[allow(clippy::too_many_arguments)]
fn commit_batch(
    archive: &mut Archive,
    writer: &mut store::PackWriter,
    run: i64,
    source: i64,
    source_path: &str,
    items: Vec<SplitItem>,
    rep: &mut ContainerReport,
    observer: &mut dyn Observer,
    keys: &KeyRecords,
) -> Result<Counts> {
    let checked_at = crate::catalog::now_rfc3339();
    let mut counts = Counts::default();
    let mut failures = Vec::new();
    let mut next_index = 0;
    let mut oks = Vec::with_capacity(items.len());
    for item in items {
        counts.messages += 1;
        match item {
            Ok(m) => {
                next_index = next_index.max(m.index + 1);
                oks.push(m);
            }
            Err(f) => {
                next_index = next_index.max(f.index + 1);
                counts.failed += 1;
                failures.push(f);
            }
        }
    }
    let prepared: Vec<Prepared> = oks
        .into_par_iter()
        .map(|raw| Prepared {
            id: Digest::of(&raw.bytes),
            raw,
        })
        .collect();
    let ids: Vec<Digest> = prepared.iter().map(|p| p.id).collect();
    let existing = archive.catalog.existing(&ids)?;

    // Which entries are new (first copy in this batch of bytes not yet stored).
    let mut first_in_batch: HashMap<Digest, usize> = HashMap::new();
    let mut new_positions = Vec::new();
    for (i, p) in prepared.iter().enumerate() {
        if !existing.contains_key(&p.id) && !first_in_batch.contains_key(&p.id) {
            first_in_batch.insert(p.id, new_positions.len());
            new_positions.push(i);
        }
    }

    // Parse, authenticate and read the attachments of the new messages in
    // parallel.
    let checked: Vec<Checked> = new_positions
        .par_iter()
        .map(|&i| {
            let raw = &prepared[i].raw;
            let mut pm = parse_message_with_attachments(&raw.bytes);
            pm.warnings.splice(0..0, raw.warnings.iter().cloned());
            let texts = crate::extract::attachments(&pm);
            let embedded = crate::embedded::extract(&pm);
            pm.attachment_contents = Vec::new();
            Checked {
                auth: crate::auth::check(&raw.bytes, keys, &checked_at),
                parsed: pm,
                texts,
                embedded,
            }
        })
        .collect();
    let (mut parsed, mut auth, mut texts, mut embedded) = (
        Vec::with_capacity(checked.len()),
        Vec::with_capacity(checked.len()),
        Vec::with_capacity(checked.len()),
        Vec::with_capacity(checked.len()),
    );
    for c in checked {
        parsed.push(c.parsed);
        auth.push(c.auth);
        texts.push(c.texts);
        embedded.push(c.embedded);
    }
    for (n, &i) in new_positions.iter().enumerate() {
        let raw = &prepared[i].raw;
        if !parsed[n].parse_ok || !parsed[n].warnings.is_empty() {
            rep.warnings.push(MessageWarning {
                index: raw.index,
                offset: raw.offset,
                warning: if parsed[n].warnings.is_empty() {
                    "stored raw: could not be parsed".into()
                } else {
                    parsed[n].warnings.join("; ")
                },
            });
        }
    }
    for p in &mut parsed {
        p.warnings.dedup();
    }

    // Group new messages into blocks by size, compress blocks in parallel.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    let mut size = 0usize;
    for (n, &i) in new_positions.iter().enumerate() {
        let len = prepared[i].raw.bytes.len();
        if groups.is_empty() || size + len > store::BLOCK_TARGET && size > 0 {
            groups.push(Vec::new());
            size = 0;
        }
        if let Some(g) = groups.last_mut() {
            g.push(n);
        }
        size += len;
    }
    let blocks: Vec<PreparedBlock> = groups
        .par_iter()
        .map(|g| {
            let msgs: Vec<(Digest, &[u8])> = g
                .iter()
                .map(|&n| {
                    let p = &prepared[new_positions[n]];
                    (p.id, p.raw.bytes.as_slice())
                })
                .collect();
            store::prepare_block(&msgs)
        })
        .collect::<std::io::Result<_>>()
        .map_err(|e| crate::Error::io(archive.dir().join("packs"), e))?;

    let mut locations = Vec::with_capacity(blocks.len());
    let mut new_messages = Vec::with_capacity(new_positions.len());
    for (b, (block, g)) in blocks.iter().zip(&groups).enumerate() {
        locations.push(writer.append(block)?);
        for (k, &n) in g.iter().enumerate() {
            let p = &prepared[new_positions[n]];
            new_messages.push((
                n,
                NewMessage {
                    id: p.id,
                    size: p.raw.bytes.len() as u64,
                    parsed: &parsed[n],
                    auth: &auth[n],
                    texts: &texts[n],
                    embedded: &embedded[n],
                    block: b,
                    inner_offset: block.entries[k].1,
                },
            ));
        }
    }
    // Keep NewMessage order equal to `parsed` order so keys line up.
    new_messages.sort_by_key(|(n, _)| *n);
    let new_messages: Vec<NewMessage<'_>> = new_messages.into_iter().map(|(_, m)| m).collect();
    let pack_state = writer.sync()?;

    let mut occurrences = Vec::with_capacity(prepared.len());
    let mut gained = Vec::new();
    for p in &prepared {
        let message = match existing.get(&p.id) {
            Some(k) => {
                if !gained.contains(k) {
                    gained.push(*k);
                }
                MessageRef::Existing(*k)
            }
            None => MessageRef::New(first_in_batch[&p.id]),
        };
        occurrences.push(NewOccurrence {
            message,
            index: p.raw.index,
            offset: p.raw.offset,
            length: p.raw.length,
            file: p.raw.file.as_deref(),
            from_line: p.raw.from_line.as_deref(),
            flags: p.raw.flags.as_deref(),
            folder: p.raw.folder.as_deref(),
        });
    }
    counts.imported = new_positions.len() as u64;
    counts.duplicates = prepared.len() as u64 - counts.imported;

    let batch = BatchWrite {
        run,
        source,
        blocks: locations,
        messages: new_messages,
        occurrences,
        failures: failures
            .iter()
            .map(|f| (f.index, f.offset, f.reason.clone()))
            .collect(),
        counts,
        next_index,
        packs: vec![pack_state],
        dirty: gained,
    };
    let written = archive.catalog.write_batch(&batch)?;
    let keys = written.keys;
    drop(batch);

    let stored: Vec<Stored<'_>> = new_positions
        .iter()
        .enumerate()
        .map(|(n, &i)| {
            let p = &prepared[i];
            Stored {
                key: keys[n],
                id: p.id,
                parsed: &parsed[n],
                source: source_path,
                folder: p.raw.folder.as_deref(),
                thread: written.threads[n],
                auth: &auth[n],
                texts: &texts[n],
                embedded: embedded[n]
                    .iter()
                    .zip(&written.embedded[n])
                    .map(|(e, &(row, new))| (e, row, new))
                    .collect(),
            }
        })
        .collect();
    observer.stored(&stored);
    rep.messages += counts.messages;
    rep.imported += counts.imported;
    rep.duplicates += counts.duplicates;
    rep.failed += counts.failed;
    rep.failures.extend(failures);
    Ok(counts)
}

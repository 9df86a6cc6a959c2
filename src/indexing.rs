//! Keeping the derived search index in step with the archive: feeding it
//! during import, catching up after an interrupted import, and rebuilding it.
//!
//! The index's commit payload records the largest catalog key it holds
//! (`{"catalog_key": N}`); messages with a larger key, and those the catalog
//! marks stale (`index_dirty`), are (re)indexed from the archive before an
//! import and by `reindex`.

use anyhow::Context as _;
use mailcite_archive::archive::Archive;
use mailcite_archive::catalog::MessageRow;
use mailcite_archive::ingest::{Observer, Stored};
use mailcite_archive::message::{Address, ParsedMessage, parse_message};
use mailcite_index::{Attachment, IndexDoc, IndexWriter, Party};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Payload {
    catalog_key: i64,
}

fn parties(list: &[Address]) -> Vec<Party> {
    list.iter()
        .map(|a| Party {
            name: a.name.clone(),
            address: a.address.clone(),
        })
        .collect()
}

/// Builds the index document of a parsed message.
pub fn doc(
    key: i64,
    id: String,
    p: &ParsedMessage,
    sources: Vec<String>,
    folders: Vec<String>,
    thread: i64,
) -> IndexDoc {
    IndexDoc {
        key: key as u64,
        id,
        message_id: p.message_id.clone(),
        date: p.date.map(|d| d.utc),
        date_offset: p.date.map(|d| d.offset_secs).unwrap_or(0),
        from: parties(&p.from),
        to: parties(&p.to),
        cc: parties(&p.cc),
        bcc: parties(&p.bcc),
        subject: p.subject.clone().unwrap_or_default(),
        text: p.text.clone(),
        attachments: p
            .attachments
            .iter()
            .map(|a| Attachment {
                name: a.name.clone(),
                content_type: a.content_type.clone(),
            })
            .collect(),
        folders,
        sources,
        thread: Some(thread.to_string()),
        cited_by: Vec::new(),
    }
}

/// Messages fed between two index commits during an import, so that
/// searches in another process see an import's progress and an interrupted
/// import loses little index work.
pub const COMMIT_EVERY: u64 = 25_000;

/// Feeds new messages to the index writer as the import commits them.
pub struct Feed<'w> {
    writer: &'w mut IndexWriter,
    /// Largest key fed.
    pub max_key: i64,
    since_commit: u64,
    /// First error from the index, reported after the import.
    pub error: Option<mailcite_index::Error>,
}

impl<'w> Feed<'w> {
    /// A feed into `writer`.
    pub fn new(writer: &'w mut IndexWriter) -> Self {
        Feed {
            writer,
            max_key: 0,
            since_commit: 0,
            error: None,
        }
    }
}

impl Observer for Feed<'_> {
    fn stored(&mut self, batch: &[Stored<'_>]) {
        if self.error.is_some() {
            return;
        }
        // Building a document (language detection, quote splitting) costs
        // more than tantivy's own indexing threads: do it on every core.
        let writer = &*self.writer;
        let errors: Vec<mailcite_index::Error> = batch
            .par_iter()
            .filter_map(|m| {
                let d = doc(
                    m.key,
                    m.id.to_hex(),
                    m.parsed,
                    vec![m.source.to_string()],
                    m.folder.map(|f| vec![f.to_string()]).unwrap_or_default(),
                    m.thread,
                );
                writer.add(&d).err()
            })
            .collect();
        if let Some(e) = errors.into_iter().next() {
            self.error = Some(e);
            return;
        }
        if let Some(k) = batch.iter().map(|m| m.key).max() {
            self.max_key = self.max_key.max(k);
        }
        self.since_commit += batch.len() as u64;
        if self.since_commit >= COMMIT_EVERY {
            // Every key up to max_key has been fed (keys grow batch by batch).
            let payload = serde_json::to_string(&Payload {
                catalog_key: self.max_key,
            })
            .unwrap_or_default();
            if let Err(e) = self.writer.commit(&payload) {
                self.error = Some(e);
            }
            self.since_commit = 0;
        }
    }
}

/// Opens the archive's index for writing, creating it if needed.
pub fn open_writer(archive: &Archive) -> anyhow::Result<IndexWriter> {
    let dir = archive.index_dir();
    IndexWriter::open(&dir)
        .with_context(|| format!("cannot open the search index {}", dir.display()))
}

/// The catalog key the index is complete up to.
pub fn indexed_upto(archive: &Archive) -> anyhow::Result<i64> {
    let payload = IndexWriter::last_payload(&archive.index_dir())?;
    Ok(payload
        .and_then(|p| serde_json::from_str::<Payload>(&p).ok())
        .map(|p| p.catalog_key)
        .unwrap_or(0))
}

/// Commits the index as complete up to `key` and clears the stale marks it
/// refreshed.
pub fn commit(
    archive: &mut Archive,
    writer: &mut IndexWriter,
    key: i64,
    refreshed: &[i64],
) -> anyhow::Result<()> {
    let payload = serde_json::to_string(&Payload { catalog_key: key })?;
    writer.commit(&payload)?;
    archive.catalog.clear_dirty(refreshed)?;
    Ok(())
}

/// Builds documents for `rows` from the archive: reads each block once,
/// parses in parallel.
fn docs_for(archive: &Archive, rows: &[MessageRow]) -> anyhow::Result<Vec<IndexDoc>> {
    let mut raws: Vec<(usize, Vec<u8>)> = Vec::with_capacity(rows.len());
    let mut cache: Option<(mailcite_archive::store::BlockLocation, Vec<u8>)> = None;
    for (i, m) in rows.iter().enumerate() {
        let loc = &m.location;
        if cache.as_ref().map(|c| c.0) != Some(loc.block) {
            let block = archive.store.read_block(&loc.block)?;
            cache = Some((loc.block, block));
        }
        if let Some((_, block)) = &cache {
            raws.push((i, mailcite_archive::store::extract(block, &m.id, loc)?));
        }
    }
    let mut extra = Vec::with_capacity(rows.len());
    for m in rows {
        let (sources, folders) = archive.catalog.sources_and_folders(m.key)?;
        let cited: Vec<String> = archive
            .catalog
            .articles_citing(m.key)?
            .into_iter()
            .map(|(id, _)| id.to_string())
            .collect();
        extra.push((sources, folders, cited));
    }
    Ok(raws
        .into_par_iter()
        .map(|(i, raw)| {
            let m = &rows[i];
            let (sources, folders, cited) = extra[i].clone();
            let mut d = doc(
                m.key,
                m.id.to_hex(),
                &parse_message(&raw),
                sources,
                folders,
                m.thread,
            );
            d.cited_by = cited;
            d
        })
        .collect())
}

/// Indexes every message with a key above the index's, and refreshes the
/// stale ones. Returns how many documents were written.
pub fn catch_up(
    archive: &mut Archive,
    writer: &mut IndexWriter,
    mut progress: impl FnMut(u64),
) -> anyhow::Result<u64> {
    let mut after = indexed_upto(archive)?;
    let dirty = archive.catalog.dirty_keys()?;
    let mut written = 0u64;
    for chunk in dirty.chunks(2000) {
        let rows: Vec<MessageRow> = chunk
            .iter()
            .filter(|&&k| k <= after)
            .filter_map(|&k| archive.catalog.message(k).transpose())
            .collect::<Result<_, _>>()?;
        for d in docs_for(archive, &rows)? {
            writer.upsert(&d)?;
            written += 1;
        }
        progress(written);
    }
    // Keys above the commit payload were never committed to the index (the
    // payload is written with every commit), so they are added.
    written += index_after(archive, writer, &mut after, &mut progress)?;
    if written > 0 || !dirty.is_empty() {
        commit(archive, writer, after, &dirty)?;
    }
    Ok(written)
}

/// Indexes every message of the archive into an empty `writer` and commits.
pub fn rebuild(
    archive: &mut Archive,
    writer: &mut IndexWriter,
    progress: impl FnMut(u64),
) -> anyhow::Result<u64> {
    let dirty = archive.catalog.dirty_keys()?;
    let mut after = 0;
    let n = index_after(archive, writer, &mut after, progress)?;
    commit(archive, writer, after, &dirty)?;
    Ok(n)
}

/// Adds every message with a key above `after`; leaves `after` at the last.
fn index_after(
    archive: &Archive,
    writer: &IndexWriter,
    after: &mut i64,
    mut progress: impl FnMut(u64),
) -> anyhow::Result<u64> {
    let mut written = 0;
    loop {
        let keys = archive.catalog.keys_after(*after, 5000)?;
        if keys.is_empty() {
            break;
        }
        let rows: Vec<MessageRow> = keys
            .iter()
            .filter_map(|k| archive.catalog.message(*k).transpose())
            .collect::<Result<_, _>>()?;
        let docs = docs_for(archive, &rows)?;
        written += docs.len() as u64;
        docs.par_iter().try_for_each(|d| writer.add(d))?;
        *after = keys.last().copied().unwrap_or(*after);
        progress(written);
    }
    Ok(written)
}

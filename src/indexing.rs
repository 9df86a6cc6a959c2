//! Keeping the derived search index in step with the archive: feeding it
//! during import, catching up after an interrupted import, and rebuilding it.
//!
//! The index's commit payload records the largest catalog key it holds
//! (`{"catalog_key": N}`); messages with a larger key, and those the catalog
//! marks stale (`index_dirty`), are (re)indexed from the archive before an
//! import and by `reindex`.

use anyhow::Context as _;
use mailcite_archive::archive::{Archive, Mode};
use mailcite_archive::auth::AuthResult;
use mailcite_archive::catalog::MessageRow;
use mailcite_archive::extract;
use mailcite_archive::ingest::{Observer, Stored};
use mailcite_archive::message::{Address, ParsedMessage, parse_message_with_attachments};
use mailcite_archive::received;
use mailcite_index::{Attachment, IndexDoc, IndexWriter, Party, Searcher};
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
        attachment_texts: Vec::new(),
        folders,
        sources,
        thread: Some(thread.to_string()),
        cited_by: Vec::new(),
        dkim: Vec::new(),
        dkim_domains: Vec::new(),
        arc: Vec::new(),
        anomalies: Vec::new(),
        is: Vec::new(),
    }
}

/// The document of a message found inside archived messages, indexed with
/// the first message that carries it (`key`, `thread`, `sources`,
/// `folders` are that message's). Its id is `e-` and its identity, so that
/// it never collides with an archived message's id.
pub fn embedded_doc(
    key: i64,
    thread: i64,
    e: &mailcite_archive::catalog::EmbeddedRow,
    sources: Vec<String>,
    folders: Vec<String>,
) -> IndexDoc {
    let mut is = vec!["embedded".to_string(), e.kind.clone()];
    if e.reconstructed {
        is.push("reconstructed".into());
    }
    IndexDoc {
        key: key as u64,
        id: format!("e-{}", e.identity),
        message_id: e.message_id.clone(),
        date: e.date_utc,
        date_offset: e.date_offset.unwrap_or(0),
        from: parties(&e.from),
        to: parties(&e.to),
        cc: parties(&e.cc),
        subject: e.subject.clone().unwrap_or_default(),
        text: e.text.clone(),
        folders,
        sources,
        thread: Some(thread.to_string()),
        is,
        ..IndexDoc::default()
    }
}

/// The extracted texts of a message's attachments, for its document.
fn texts_of(outcomes: &[extract::Outcome]) -> Vec<String> {
    outcomes
        .iter()
        .filter_map(|o| o.text().map(str::to_string))
        .collect()
}

/// Adds the authenticity and time evidence to a document: the status of
/// each signature (`auth` is `None` when the message was never checked) and
/// `anomaly:date` when the Date header is more than `max_skew` seconds from
/// the first Received hop.
pub fn add_evidence(
    d: &mut IndexDoc,
    p: &ParsedMessage,
    auth: Option<&[AuthResult]>,
    max_skew: i64,
) {
    if let Some(results) = auth {
        for r in results {
            if r.is_dkim() {
                d.dkim.push(r.status.clone());
                if !r.domain.is_empty() {
                    d.dkim_domains.push(r.domain.clone());
                }
            } else {
                d.arc.push(r.status.clone());
            }
        }
        if d.dkim.is_empty() {
            d.dkim.push("none".into());
        }
    }
    if let (Some(date), Some(hop)) = (p.date, p.first_received)
        && received::date_is_anomalous(date.utc, hop, max_skew)
    {
        d.anomalies.push("date".into());
    }
}

/// Messages fed between two index commits during an import, so that
/// searches in another process see an import's progress and an interrupted
/// import loses little index work.
pub const COMMIT_EVERY: u64 = 25_000;

/// Feeds new messages to the index writer as the import commits them.
pub struct Feed<'w> {
    writer: &'w mut IndexWriter,
    max_skew: i64,
    /// Largest key fed.
    pub max_key: i64,
    since_commit: u64,
    /// First error from the index, reported after the import.
    pub error: Option<mailcite_index::Error>,
}

impl<'w> Feed<'w> {
    /// A feed into `writer`; `max_skew` is the archive's date-skew setting.
    pub fn new(writer: &'w mut IndexWriter, max_skew: i64) -> Self {
        Feed {
            writer,
            max_skew,
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
        let max_skew = self.max_skew;
        let errors: Vec<mailcite_index::Error> = batch
            .par_iter()
            .filter_map(|m| {
                let mut d = doc(
                    m.key,
                    m.id.to_hex(),
                    m.parsed,
                    vec![m.source.to_string()],
                    m.folder.map(|f| vec![f.to_string()]).unwrap_or_default(),
                    m.thread,
                );
                add_evidence(&mut d, m.parsed, Some(m.auth), max_skew);
                d.attachment_texts = texts_of(m.texts);
                if let Err(e) = writer.add(&d) {
                    return Some(e);
                }
                // An original carried for the first time is indexed with
                // this message.
                for (pos, &(e, row, new)) in m.embedded.iter().enumerate() {
                    if !new {
                        continue;
                    }
                    let r = mailcite_archive::catalog::EmbeddedRow::from_embedded(row, pos, e);
                    let c = embedded_doc(
                        m.key,
                        m.thread,
                        &r,
                        vec![m.source.to_string()],
                        m.folder.map(|f| vec![f.to_string()]).unwrap_or_default(),
                    );
                    if let Err(e) = writer.add(&c) {
                        return Some(e);
                    }
                }
                None
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

/// Opens the archive's index for writing, creating it if needed. An index
/// built by another mailcite version (another schema) is rebuilt from the
/// archive first, with a note on stderr.
pub fn open_writer(archive: &mut Archive) -> anyhow::Result<IndexWriter> {
    let dir = archive.index_dir();
    match IndexWriter::open(&dir) {
        Err(mailcite_index::Error::SchemaVersion { found, .. }) => {
            rebuild_outdated(archive, &found)?;
            IndexWriter::open(&dir)
        }
        other => other,
    }
    .with_context(|| format!("cannot open the search index {}", dir.display()))
}

/// Opens the archive's index for searching. An index built by another
/// mailcite version, or none at all, is (re)built from the archive first
/// (which needs the archive's write lock for a moment).
pub fn open_searcher(archive: &Archive) -> anyhow::Result<Searcher> {
    let dir = archive.index_dir();
    let found = match Searcher::open(&dir) {
        Ok(s) => return Ok(s),
        Err(mailcite_index::Error::SchemaVersion { found, .. }) => found,
        Err(mailcite_index::Error::Missing { .. }) => "none".to_string(),
        Err(e) => {
            return Err(e).with_context(|| {
                format!(
                    "cannot open the search index of {}; run `mailcite reindex` to rebuild it",
                    archive.dir().display()
                )
            });
        }
    };
    let mut writable = Archive::open(archive.dir(), Mode::Write).with_context(|| {
        format!(
            "the search index of {} must be rebuilt, which needs write access; run `mailcite reindex`",
            archive.dir().display()
        )
    })?;
    rebuild_outdated(&mut writable, &found)?;
    drop(writable);
    Searcher::open(&dir).with_context(|| format!("cannot open the search index {}", dir.display()))
}

fn rebuild_outdated(archive: &mut Archive, found: &str) -> anyhow::Result<()> {
    let n = archive.catalog.stats()?.messages;
    eprintln!(
        "mailcite: note: the search index {} (schema {found}, this mailcite uses {}); rebuilding it from the archive ({n} messages)",
        if found == "none" {
            "is missing"
        } else {
            "was built by another mailcite version"
        },
        mailcite_index::SCHEMA_VERSION,
    );
    rebuild_in_place(archive, |_| {})?;
    Ok(())
}

/// Rebuilds the index from nothing in a fresh directory and swaps it in only
/// when it is complete. Returns the number of documents.
pub fn rebuild_in_place(archive: &mut Archive, progress: impl FnMut(u64)) -> anyhow::Result<u64> {
    let dir = archive.index_dir();
    let tmp = archive.dir().join("index.rebuild");
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp)
            .with_context(|| format!("cannot remove {}", tmp.display()))?;
    }
    let documents = {
        let mut writer = IndexWriter::open(&tmp)
            .with_context(|| format!("cannot create the index {}", tmp.display()))?;
        let n = rebuild(archive, &mut writer, progress)?;
        writer.close()?;
        n
    };
    // Swap by renames, so that a reindex killed at any moment leaves either
    // the old index, the new one, or none (which the next command rebuilds),
    // never a half-deleted one.
    let old = archive.dir().join("index.old");
    if old.exists() {
        std::fs::remove_dir_all(&old)
            .with_context(|| format!("cannot remove {}", old.display()))?;
    }
    if dir.exists() {
        std::fs::rename(&dir, &old)
            .with_context(|| format!("cannot move the old index to {}", old.display()))?;
    }
    std::fs::rename(&tmp, &dir)
        .with_context(|| format!("cannot move the new index to {}", dir.display()))?;
    if old.exists() {
        std::fs::remove_dir_all(&old)
            .with_context(|| format!("cannot remove {}", old.display()))?;
    }
    Ok(documents)
}

/// Catalog keys of every message matching a query in the search language
/// (`thread:REF` resolved), ascending, without scoring.
pub fn matching_keys(archive: &Archive, text: &str) -> anyhow::Result<Vec<u64>> {
    let resolved = crate::commands::resolve_thread_refs(text, archive)?;
    let query = mailcite_index::parse(&resolved).map_err(|e| {
        anyhow::anyhow!(
            "invalid query: {}",
            crate::output::sanitize::line(&e.to_string())
        )
    })?;
    let searcher = open_searcher(archive)?;
    Ok(searcher.matching_keys(&query)?)
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
        let auth = archive.catalog.auth_results(m.key)?;
        extra.push((sources, folders, cited, auth));
    }
    let max_skew = archive.catalog.max_date_skew()?;
    let built: Vec<(usize, IndexDoc, Vec<mailcite_archive::embedded::Embedded>)> = raws
        .into_par_iter()
        .map(|(i, raw)| {
            let m = &rows[i];
            let (sources, folders, cited, auth) = extra[i].clone();
            let mut parsed = parse_message_with_attachments(&raw);
            let texts = extract::attachments(&parsed);
            let embedded = mailcite_archive::embedded::extract(&parsed);
            parsed.attachment_contents = Vec::new();
            let mut d = doc(m.key, m.id.to_hex(), &parsed, sources, folders, m.thread);
            d.cited_by = cited;
            d.attachment_texts = texts_of(&texts);
            add_evidence(&mut d, &parsed, auth.as_deref(), max_skew);
            (i, d, embedded)
        })
        .collect();
    // Messages found inside these (recorded here too, so that an archive
    // from before they were extracted gains them when its index is
    // rebuilt), each indexed with the first message that carries it.
    let mut docs = Vec::with_capacity(built.len());
    for (i, d, embedded) in built {
        let m = &rows[i];
        if embedded.is_empty() {
            docs.push(d);
            continue;
        }
        archive.catalog.record_embedded(m.key, &embedded)?;
        for e in archive.catalog.embedded_first_in(m.key)? {
            docs.push(embedded_doc(
                m.key,
                m.thread,
                &e,
                d.sources.clone(),
                d.folders.clone(),
            ));
        }
        docs.push(d);
    }
    Ok(docs)
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

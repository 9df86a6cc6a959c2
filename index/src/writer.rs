//! Writing the index: creating or opening it in a directory, turning an
//! [`IndexDoc`] into a tantivy document, adding, replacing, deleting, and
//! committing with a payload that tells the archive how far the index is
//! complete.
//!
//! An index directory holds tantivy's files plus `mailcite-index.json`, which
//! records the [`SCHEMA_VERSION`]; an index of another version is refused.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tantivy::schema::Field;
use tantivy::{Index, TantivyDocument, Term};

use crate::analyzers::{self, message_language};
use crate::document::{IndexDoc, Party, split_quoted, strip_unsearchable};
use crate::error::{Error, Result, TantivyContext};
use crate::schema::{
    IndexSchema, SCHEMA_VERSION, address_terms, folder_terms, normalize_message_id,
    to_tantivy_date, type_terms,
};

/// Name of the version marker in the index directory.
pub const VERSION_FILE: &str = "mailcite-index.json";

/// Segments with more documents than this are not merged further (see
/// [`IndexWriter::open_with`]): a million messages make about twenty
/// segments, and an import's peak memory stays under 500 MB.
pub const MAX_DOCS_BEFORE_MERGE: usize = 30_000;

/// Default total indexing memory, shared by tantivy's indexing threads.
pub const DEFAULT_MEMORY_BUDGET: usize = 100_000_000;

/// tantivy's minimum per indexing thread.
const MIN_BUDGET_PER_THREAD: usize = 15_000_000;

/// How an [`IndexWriter`] uses the machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriterOptions {
    /// Total memory for buffered documents before a segment is flushed, in
    /// bytes (raised to tantivy's minimum of 15 MB per thread).
    pub memory_budget: usize,
    /// Indexing threads; `None` uses one per core (at most 8), as many as the
    /// budget allows.
    pub threads: Option<usize>,
}

impl Default for WriterOptions {
    fn default() -> Self {
        WriterOptions {
            memory_budget: DEFAULT_MEMORY_BUDGET,
            threads: None,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct VersionMarker {
    schema_version: u32,
}

/// Writes one index directory. Adding is cheap for the caller: documents are
/// analyzed by tantivy's own indexing threads. `add`, `upsert` and `delete`
/// take `&self`, so several threads may feed one writer.
///
/// Changes become visible to searchers only after [`IndexWriter::commit`].
pub struct IndexWriter {
    dir: PathBuf,
    schema: IndexSchema,
    writer: tantivy::IndexWriter<TantivyDocument>,
}

impl std::fmt::Debug for IndexWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IndexWriter")
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl IndexWriter {
    /// Opens the index in `dir`, creating the directory and an empty index if
    /// needed, with [`WriterOptions::default`].
    pub fn open(dir: &Path) -> Result<Self> {
        Self::open_with(dir, &WriterOptions::default())
    }

    /// Opens (or creates) the index in `dir` with explicit options.
    ///
    /// Fails with [`Error::SchemaVersion`] if the directory holds an index of
    /// another schema version, and [`Error::Locked`] if another writer is open.
    pub fn open_with(dir: &Path, options: &WriterOptions) -> Result<Self> {
        let schema = IndexSchema::new();
        fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let index = if dir.join("meta.json").exists() {
            open_checked(dir, &schema)?
        } else {
            refuse_foreign_files(dir)?;
            // The marker first: a crash in between leaves a directory that
            // is still recognized as ours and created again.
            write_version_marker(dir)?;
            Index::create_in_dir(dir, schema.schema().clone()).at(dir)?
        };
        analyzers::register(index.tokenizers());
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let budget = options.memory_budget.max(MIN_BUDGET_PER_THREAD);
        let by_budget = (budget / MIN_BUDGET_PER_THREAD).max(1);
        let threads = options.threads.unwrap_or(cores).clamp(1, 8).min(by_budget);
        let budget = budget.max(threads * MIN_BUDGET_PER_THREAD);
        let writer = index.writer_with_num_threads(threads, budget).at(dir)?;
        // Merging reads whole segments through mmap: merging ever larger
        // segments during an import made the process's resident memory grow
        // with the archive (1.2 GB at a million messages, most of it mapped
        // index files) and its throughput fall to 72%. Only segments under
        // MAX_DOCS_BEFORE_MERGE documents are merged (eight of them make one
        // of about 100,000); a search over a few more segments costs little.
        let mut policy = tantivy::indexer::LogMergePolicy::default();
        policy.set_max_docs_before_merge(MAX_DOCS_BEFORE_MERGE);
        writer.set_merge_policy(Box::new(policy));
        // A writer killed before its commit leaves files no commit refers to
        // (e.g. a `.del` file whose name the next writer would reuse, which
        // tantivy refuses to overwrite): remove them before writing.
        writer.garbage_collect_files().wait().at(dir)?;
        // A reopened tantivy writer hands out its first operation stamp equal
        // to the last commit's, which the newest `.del` files also carry. A
        // merge then treats such a segment as already up to date at that
        // stamp and skips a delete made with it, so the old copy of an
        // updated document survives next to the new one. Spend that stamp
        // on a delete that matches nothing (no document has an empty id).
        writer.delete_term(Term::from_field_text(schema.fields().id, ""));
        Ok(IndexWriter {
            dir: dir.to_path_buf(),
            schema,
            writer,
        })
    }

    /// The index directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Adds a document. It does not replace an earlier one with the same
    /// `id`; use [`IndexWriter::upsert`] for that.
    pub fn add(&self, doc: &IndexDoc) -> Result<()> {
        let document = build_document(&self.schema, doc);
        self.writer.add_document(document).at(&self.dir)?;
        Ok(())
    }

    /// Replaces every document with the same `id` by `doc` (or adds it).
    /// Use it to change `cited` or `folders` of an indexed message.
    pub fn upsert(&self, doc: &IndexDoc) -> Result<()> {
        self.delete(&doc.id);
        self.add(doc)
    }

    /// Deletes the documents with this `id` (SHA-256 hex).
    pub fn delete(&self, id: &str) {
        let term = Term::from_field_text(self.schema.fields().id, &id.trim().to_lowercase());
        self.writer.delete_term(term);
    }

    /// Deletes every document (before a full rebuild).
    pub fn clear(&self) -> Result<()> {
        self.writer.delete_all_documents().at(&self.dir)?;
        Ok(())
    }

    /// Makes all changes durable and visible, recording `payload` with the
    /// commit; [`IndexWriter::last_payload`] reads it back.
    pub fn commit(&mut self, payload: &str) -> Result<()> {
        let mut prepared = self.writer.prepare_commit().at(&self.dir)?;
        prepared.set_payload(payload);
        prepared.commit().at(&self.dir)?;
        Ok(())
    }

    /// Drops the changes made since the last commit.
    pub fn rollback(&mut self) -> Result<()> {
        self.writer.rollback().at(&self.dir)?;
        Ok(())
    }

    /// Waits for background segment merges and releases the lock. Dropping
    /// the writer also releases it, but may abandon a merge in progress.
    pub fn close(self) -> Result<()> {
        let dir = self.dir;
        self.writer.wait_merging_threads().at(&dir)
    }

    /// The payload of the last commit of the index in `dir`; `None` if there
    /// is no index there or it was never committed with a payload.
    pub fn last_payload(dir: &Path) -> Result<Option<String>> {
        if !dir.join("meta.json").exists() {
            return Ok(None);
        }
        let index = open_checked(dir, &IndexSchema::new())?;
        Ok(index.load_metas().at(dir)?.payload)
    }
}

/// Opens an existing index, refusing other schema versions.
pub(crate) fn open_checked(dir: &Path, schema: &IndexSchema) -> Result<Index> {
    if !dir.join("meta.json").exists() {
        return Err(Error::Missing {
            path: dir.to_path_buf(),
        });
    }
    let mismatch = |found: String| Error::SchemaVersion {
        path: dir.to_path_buf(),
        found,
        expected: SCHEMA_VERSION,
    };
    let marker_path = dir.join(VERSION_FILE);
    let found = match fs::read(&marker_path) {
        Ok(bytes) => match serde_json::from_slice::<VersionMarker>(&bytes) {
            Ok(marker) => marker.schema_version,
            Err(_) => return Err(mismatch("unreadable".into())),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(mismatch("unknown (no mailcite version marker)".into()));
        }
        Err(source) => {
            return Err(Error::Io {
                path: marker_path,
                source,
            });
        }
    };
    if found != SCHEMA_VERSION {
        return Err(mismatch(found.to_string()));
    }
    let index = Index::open_in_dir(dir).at(dir)?;
    if &index.schema() != schema.schema() {
        return Err(mismatch(format!(
            "{found} (but with different fields; built by another mailcite)"
        )));
    }
    Ok(index)
}

/// Fails if `dir` (which has no index) holds anything but what an
/// interrupted creation leaves.
fn refuse_foreign_files(dir: &Path) -> Result<()> {
    let io = |source| Error::Io {
        path: dir.to_path_buf(),
        source,
    };
    // The marker is written before tantivy creates anything: a directory
    // that has it but no meta.json is an index whose creation was killed.
    // Whatever tantivy left there (.managed.json, temporary files) is
    // removed so that the creation starts again.
    let interrupted = dir.join(VERSION_FILE).exists();
    for entry in fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name();
        let ours = name == VERSION_FILE
            || name.to_string_lossy() == format!("{VERSION_FILE}.tmp")
            || name.to_string_lossy().starts_with(".tantivy-");
        if ours {
            continue;
        }
        if interrupted && entry.file_type().map_err(io)?.is_file() {
            fs::remove_file(entry.path()).map_err(io)?;
        } else {
            return Err(Error::NotAnIndex {
                path: dir.to_path_buf(),
            });
        }
    }
    Ok(())
}

fn write_version_marker(dir: &Path) -> Result<()> {
    let path = dir.join(VERSION_FILE);
    let json = serde_json::to_vec(&VersionMarker {
        schema_version: SCHEMA_VERSION,
    })
    .map_err(|e| Error::Io {
        path: path.clone(),
        source: std::io::Error::other(e),
    })?;
    let tmp = dir.join(format!("{VERSION_FILE}.tmp"));
    fs::write(&tmp, json)
        .and_then(|()| fs::rename(&tmp, &path))
        .map_err(|source| Error::Io { path, source })
}

/// Turns an [`IndexDoc`] into the tantivy document of [`IndexSchema`].
pub(crate) fn build_document(schema: &IndexSchema, doc: &IndexDoc) -> TantivyDocument {
    let f = schema.fields();
    let mut d = TantivyDocument::new();
    d.add_u64(f.key, doc.key);
    add_nonempty(&mut d, f.id, doc.id.trim().to_lowercase());
    if let Some(mid) = &doc.message_id {
        add_nonempty(&mut d, f.message_id, normalize_message_id(mid));
    }
    if let Some(secs) = doc.date {
        d.add_date(f.date, to_tantivy_date(secs));
        d.add_text(f.has, "date");
    }
    d.add_i64(f.date_offset, i64::from(doc.date_offset));

    add_parties(&mut d, f.from, f.from_addr, &doc.from);
    add_parties(&mut d, f.to, f.to_addr, &doc.to);
    add_parties(&mut d, f.cc, f.cc_addr, &doc.cc);
    add_parties(&mut d, f.bcc, f.bcc_addr, &doc.bcc);

    let (own, quoted) = split_quoted(&strip_unsearchable(&doc.text));
    let lang = message_language(&own, &quoted, &doc.subject);
    d.add_text(f.lang, lang.map_or("und", |l| l.code));
    add_nonempty(&mut d, f.subject, doc.subject.as_str());
    if !quoted.trim().is_empty() {
        d.add_text(f.has, "quoted");
    }
    add_nonempty(&mut d, f.body, own);
    add_nonempty(&mut d, f.quoted, quoted);

    if !doc.attachments.is_empty() {
        d.add_text(f.has, "attachment");
    }
    for attachment in &doc.attachments {
        if let Some(name) = &attachment.name {
            add_nonempty(&mut d, f.attachment, name.as_str());
        }
        for term in type_terms(&attachment.content_type, attachment.name.as_deref()) {
            d.add_text(f.mime_type, term);
        }
    }
    for text in &doc.attachment_texts {
        add_nonempty(&mut d, f.content, strip_unsearchable(text));
    }
    for folder in &doc.folders {
        for term in folder_terms(folder) {
            d.add_text(f.folder, term);
        }
    }
    for source in &doc.sources {
        add_nonempty(&mut d, f.source, source.trim().to_lowercase());
        add_nonempty(&mut d, f.source_text, source.as_str());
    }
    if let Some(thread) = &doc.thread {
        add_nonempty(&mut d, f.thread, thread.trim().to_lowercase());
    }
    d.add_text(f.cited, if doc.cited_by.is_empty() { "no" } else { "yes" });
    for article in &doc.cited_by {
        add_nonempty(&mut d, f.article, article.trim().to_lowercase());
    }
    if doc.dkim.is_empty() {
        d.add_text(f.dkim, "unchecked");
    }
    for status in &doc.dkim {
        add_nonempty(&mut d, f.dkim, status.trim().to_lowercase());
    }
    for domain in &doc.dkim_domains {
        add_nonempty(
            &mut d,
            f.dkim_domain,
            domain.trim().trim_matches('.').to_lowercase(),
        );
    }
    for status in &doc.arc {
        add_nonempty(&mut d, f.arc, status.trim().to_lowercase());
    }
    for anomaly in &doc.anomalies {
        add_nonempty(&mut d, f.anomaly, anomaly.trim().to_lowercase());
    }
    for what in &doc.is {
        add_nonempty(&mut d, f.is, what.trim().to_lowercase());
    }
    d
}

fn add_nonempty<S: AsRef<str>>(d: &mut TantivyDocument, field: Field, value: S) {
    if !value.as_ref().trim().is_empty() {
        d.add_text(field, value);
    }
}

fn add_parties(d: &mut TantivyDocument, text: Field, addr: Field, parties: &[Party]) {
    for party in parties {
        let name = party.name.as_deref().unwrap_or("").trim();
        let address = party.address.as_deref().unwrap_or("").trim();
        match (name.is_empty(), address.is_empty()) {
            (true, true) => continue,
            (false, true) => d.add_text(text, name),
            (true, false) => d.add_text(text, address),
            (false, false) => d.add_text(text, format!("{name} {address}")),
        }
        for term in address_terms(address) {
            d.add_text(addr, term);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::schema::Value;

    fn values(doc: &TantivyDocument, field: Field) -> Vec<String> {
        doc.get_all(field)
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    }

    #[test]
    fn document_fields_are_normalized() {
        let schema = IndexSchema::new();
        let f = schema.fields();
        let doc = IndexDoc {
            key: 7,
            id: "ABCDEF".into(),
            message_id: Some("<X@Example.org>".into()),
            date: Some(1_247_565_600),
            from: vec![Party {
                name: Some("Alice Smith".into()),
                address: Some("Alice@Mail.Example.org".into()),
            }],
            subject: "Budget".into(),
            text: "The committee will discuss the proposed security countermeasures \
                   and the budget next week.\n> old quoted text"
                .into(),
            attachments: vec![crate::Attachment {
                name: Some("Plan.pdf".into()),
                content_type: "application/pdf".into(),
            }],
            folders: vec!["INBOX/Work".into()],
            ..IndexDoc::default()
        };
        let d = build_document(&schema, &doc);
        assert_eq!(values(&d, f.id), ["abcdef"]);
        assert_eq!(values(&d, f.message_id), ["x@example.org"]);
        assert_eq!(
            values(&d, f.from_addr),
            [
                "alice@mail.example.org",
                "@mail.example.org",
                "@example.org"
            ]
        );
        assert_eq!(values(&d, f.from), ["Alice Smith Alice@Mail.Example.org"]);
        assert_eq!(values(&d, f.lang), ["eng"]);
        assert_eq!(values(&d, f.quoted), ["> old quoted text"]);
        assert_eq!(values(&d, f.has), ["date", "quoted", "attachment"]);
        assert_eq!(values(&d, f.folder), ["inbox", "inbox/work", "work"]);
        assert_eq!(values(&d, f.cited), ["no"]);
    }

    #[test]
    fn empty_document_is_valid() {
        let schema = IndexSchema::new();
        let d = build_document(&schema, &IndexDoc::default());
        assert_eq!(values(&d, schema.fields().lang), ["und"]);
    }

    /// Copies of each id alive in the committed index.
    fn copies(dir: &Path, id: &str) -> usize {
        let index = open_checked(dir, &IndexSchema::new()).unwrap();
        let searcher = index.reader().unwrap().searcher();
        let field = IndexSchema::new().fields().id;
        let term = Term::from_field_text(field, id);
        searcher.doc_freq(&term).unwrap() as usize
            - searcher
                .segment_readers()
                .iter()
                .map(|s| {
                    let postings = s
                        .inverted_index(field)
                        .unwrap()
                        .read_postings(&term, tantivy::schema::IndexRecordOption::Basic)
                        .unwrap();
                    let Some(mut p) = postings else { return 0 };
                    let mut dead = 0;
                    let mut d = tantivy::DocSet::doc(&p);
                    while d != tantivy::TERMINATED {
                        if s.alive_bitset().is_some_and(|b| !b.is_alive(d)) {
                            dead += 1;
                        }
                        d = tantivy::DocSet::advance(&mut p);
                    }
                    dead
                })
                .sum::<usize>()
    }

    fn doc(key: u64) -> IndexDoc {
        IndexDoc {
            key,
            id: format!("{key:064x}"),
            ..IndexDoc::default()
        }
    }

    /// Regression: after a reopen, an update merged together with a segment
    /// whose deletes carry the last commit's stamp must not leave the old
    /// copy alive (found by the SIGKILL import test).
    #[test]
    fn update_after_reopen_survives_a_merge() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        // One thread, so that documents added together share a segment.
        let one = WriterOptions {
            threads: Some(1),
            ..WriterOptions::default()
        };
        let mut w = IndexWriter::open_with(dir, &one).unwrap();
        w.add(&doc(1)).unwrap();
        w.add(&doc(2)).unwrap();
        w.commit("a").unwrap();
        w.add(&doc(3)).unwrap();
        w.commit("b").unwrap();
        // The first segment's deletes now carry the commit's stamp.
        w.delete(&doc(2).id);
        w.commit("c").unwrap();
        w.close().unwrap();

        let mut w = IndexWriter::open_with(dir, &one).unwrap();
        w.upsert(&doc(1)).unwrap();
        let index = open_checked(dir, &IndexSchema::new()).unwrap();
        let mut ids = index.searchable_segment_ids().unwrap();
        // The segment without deletes first: its delete cursor is the one
        // the merged segment inherits.
        let metas = index.searchable_segment_metas().unwrap();
        ids.sort_by_key(|id| {
            metas
                .iter()
                .find(|m| m.id() == *id)
                .is_some_and(|m| m.has_deletes())
        });
        w.writer.merge(&ids).wait().unwrap();
        w.commit("d").unwrap();
        w.close().unwrap();
        assert_eq!(copies(dir, &doc(1).id), 1);
        assert_eq!(copies(dir, &doc(2).id), 0);
        assert_eq!(copies(dir, &doc(3).id), 1);
    }

    /// A creation killed after tantivy's first files but before meta.json
    /// is started again, while a folder of someone else's files is refused.
    #[test]
    fn interrupted_creation_is_started_again() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("index");
        fs::create_dir_all(&dir).unwrap();
        write_version_marker(&dir).unwrap();
        fs::write(dir.join(".managed.json"), "[]").unwrap();
        fs::write(dir.join(".tmp2imyuq"), "{").unwrap();
        let mut w = IndexWriter::open(&dir).unwrap();
        w.add(&doc(1)).unwrap();
        w.commit("x").unwrap();
        w.close().unwrap();
        assert_eq!(copies(&dir, &doc(1).id), 1);

        let foreign = tmp.path().join("foreign");
        fs::create_dir_all(&foreign).unwrap();
        fs::write(foreign.join("notes.txt"), "mine").unwrap();
        assert!(matches!(
            IndexWriter::open(&foreign),
            Err(Error::NotAnIndex { .. })
        ));
        assert!(foreign.join("notes.txt").exists());
    }

    #[test]
    fn writer_is_shareable_between_threads() {
        fn assert_sync<T: Send + Sync>() {}
        assert_sync::<IndexWriter>();
    }
}

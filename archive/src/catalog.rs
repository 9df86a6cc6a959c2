//! The SQLite catalog: what every message is, where each copy came from, and
//! the accounting of every import.
//!
//! The catalog is an ordinary SQLite 3 database (`catalog.sqlite`), so an
//! archive stays inspectable with the `sqlite3` shell. Its schema carries a
//! version in the `meta` table; see ARCHITECTURE.md for the tables.

use crate::digest::Digest;
use crate::error::{Error, Result};
use crate::message::{Address, AttachmentInfo, ParsedMessage};
use crate::store::{BlockLocation, ObjectLocation};
use rusqlite::{Connection, OpenFlags, OptionalExtension, params};
use serde::Serialize;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Version of the catalog schema this build reads and writes.
pub const CATALOG_VERSION: u32 = 3;

const SCHEMA: &str = r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE packs (id INTEGER PRIMARY KEY, committed_len INTEGER NOT NULL);
CREATE TABLE blocks (
  id INTEGER PRIMARY KEY,
  pack INTEGER NOT NULL, offset INTEGER NOT NULL, clen INTEGER NOT NULL, ulen INTEGER NOT NULL
);
CREATE TABLE messages (
  id INTEGER PRIMARY KEY,
  sha256 BLOB NOT NULL UNIQUE,
  block INTEGER NOT NULL, inner_offset INTEGER NOT NULL, size INTEGER NOT NULL,
  message_id TEXT,
  date_utc INTEGER, date_offset INTEGER, date_raw TEXT,
  subject TEXT,
  in_reply_to TEXT, refs TEXT,
  attachments INTEGER NOT NULL DEFAULT 0,
  charset_fallbacks TEXT, warnings TEXT,
  parse_ok INTEGER NOT NULL,
  import_run INTEGER NOT NULL,
  thread INTEGER NOT NULL
);
CREATE INDEX messages_message_id ON messages(message_id);
CREATE INDEX messages_thread ON messages(thread);
CREATE TABLE thread_ids (message_id TEXT PRIMARY KEY, thread INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX thread_ids_thread ON thread_ids(thread);
CREATE TABLE thread_subjects (subject TEXT PRIMARY KEY, thread INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX thread_subjects_thread ON thread_subjects(thread);
CREATE INDEX messages_date ON messages(date_utc);
CREATE TABLE addresses (
  message INTEGER NOT NULL, role TEXT NOT NULL, pos INTEGER NOT NULL,
  name TEXT, address TEXT,
  PRIMARY KEY (message, role, pos)
) WITHOUT ROWID;
CREATE INDEX addresses_address ON addresses(lower(address));
CREATE TABLE attachments (
  message INTEGER NOT NULL, pos INTEGER NOT NULL,
  name TEXT, content_type TEXT NOT NULL, size INTEGER NOT NULL,
  PRIMARY KEY (message, pos)
) WITHOUT ROWID;
CREATE TABLE sources (
  id INTEGER PRIMARY KEY,
  path TEXT NOT NULL, fingerprint TEXT NOT NULL,
  format TEXT NOT NULL, variant TEXT, compression TEXT,
  size INTEGER NOT NULL, file_sha256 TEXT,
  complete INTEGER NOT NULL DEFAULT 0,
  next_index INTEGER NOT NULL DEFAULT 0,
  messages INTEGER NOT NULL DEFAULT 0, imported INTEGER NOT NULL DEFAULT 0,
  duplicates INTEGER NOT NULL DEFAULT 0, failed INTEGER NOT NULL DEFAULT 0,
  first_import INTEGER NOT NULL, completed_at TEXT,
  UNIQUE (path, fingerprint)
);
CREATE TABLE occurrences (
  id INTEGER PRIMARY KEY,
  message INTEGER NOT NULL, source INTEGER NOT NULL, idx INTEGER NOT NULL,
  offset INTEGER NOT NULL, length INTEGER NOT NULL,
  file TEXT, from_line BLOB, flags TEXT, folder TEXT,
  UNIQUE (source, idx)
);
CREATE INDEX occurrences_message ON occurrences(message);
CREATE TABLE failures (
  source INTEGER NOT NULL, idx INTEGER NOT NULL, offset INTEGER NOT NULL, reason TEXT NOT NULL,
  PRIMARY KEY (source, idx)
) WITHOUT ROWID;
CREATE TABLE index_dirty (key INTEGER PRIMARY KEY);
CREATE TABLE articles (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  title TEXT, outlet TEXT, url TEXT, published TEXT, author TEXT,
  format TEXT NOT NULL, file_name TEXT, sha256 TEXT NOT NULL,
  text TEXT NOT NULL, added_at TEXT NOT NULL
);
CREATE TABLE citations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  article INTEGER NOT NULL, message INTEGER NOT NULL,
  quote TEXT NOT NULL, passage TEXT NOT NULL,
  start_char INTEGER NOT NULL, end_char INTEGER NOT NULL,
  method TEXT NOT NULL, score REAL NOT NULL,
  manual INTEGER NOT NULL DEFAULT 0,
  own_text INTEGER NOT NULL DEFAULT 1,
  also_in TEXT,
  created_at TEXT NOT NULL
);
CREATE INDEX citations_article ON citations(article);
CREATE INDEX citations_message ON citations(message);
CREATE TABLE unmatched_quotes (
  article INTEGER NOT NULL, pos INTEGER NOT NULL, quote TEXT NOT NULL,
  PRIMARY KEY (article, pos)
) WITHOUT ROWID;
CREATE TABLE imports (
  id INTEGER PRIMARY KEY, started_at TEXT NOT NULL, finished_at TEXT,
  mailcite_version TEXT NOT NULL, args TEXT NOT NULL,
  messages INTEGER, imported INTEGER, duplicates INTEGER, failed INTEGER
);
"#;

/// Tables added by catalog version 2 (authenticity). Applied to new
/// catalogs after [`SCHEMA`], and by the migration from version 1.
const SCHEMA_V2: &str = r#"
CREATE TABLE dkim_keys (
  id INTEGER PRIMARY KEY,
  domain TEXT NOT NULL, selector TEXT NOT NULL, record TEXT NOT NULL,
  first_seen TEXT, last_seen TEXT, origin TEXT NOT NULL, added_at TEXT NOT NULL,
  UNIQUE (domain, selector, record)
);
CREATE TABLE dkim_results (
  message INTEGER NOT NULL, pos INTEGER NOT NULL,
  kind TEXT NOT NULL, instance INTEGER, status TEXT NOT NULL, reason TEXT,
  domain TEXT NOT NULL, selector TEXT NOT NULL, algorithm TEXT NOT NULL,
  canonicalization TEXT NOT NULL, signed_headers TEXT NOT NULL,
  body_length INTEGER, partial_body INTEGER NOT NULL, key_bits INTEGER,
  signed_at INTEGER, expires_at INTEGER, checked_at TEXT NOT NULL,
  PRIMARY KEY (message, pos)
) WITHOUT ROWID;
CREATE INDEX dkim_results_key ON dkim_results(domain, selector);
CREATE TABLE dkim_unchecked (message INTEGER PRIMARY KEY);
ALTER TABLE attachments ADD COLUMN text_status TEXT;
ALTER TABLE attachments ADD COLUMN text_format TEXT;
ALTER TABLE attachments ADD COLUMN text_chars INTEGER;
ALTER TABLE attachments ADD COLUMN text_error TEXT;
"#;

/// Version 3: messages found inside other messages (attached or pasted),
/// one row per distinct original (`identity`), linked to every message that
/// carries it.
const SCHEMA_V3: &str = r#"
CREATE TABLE embedded (
  id INTEGER PRIMARY KEY,
  identity BLOB NOT NULL UNIQUE,
  kind TEXT NOT NULL, reconstructed INTEGER NOT NULL,
  message_id TEXT, date_utc INTEGER, date_offset INTEGER, zone_known INTEGER NOT NULL,
  date_raw TEXT, from_json TEXT NOT NULL, to_json TEXT NOT NULL, cc_json TEXT NOT NULL,
  subject TEXT, text TEXT NOT NULL
);
CREATE INDEX embedded_message_id ON embedded(message_id);
CREATE TABLE embeddings (
  parent INTEGER NOT NULL, pos INTEGER NOT NULL, child INTEGER NOT NULL,
  container INTEGER, marker TEXT, start_char INTEGER, end_char INTEGER,
  PRIMARY KEY (parent, pos)
) WITHOUT ROWID;
CREATE INDEX embeddings_child ON embeddings(child, parent);
"#;

/// A message found inside an archived message, as the catalog keeps it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EmbeddedRow {
    /// Row id in `embedded` (the same original carried by several messages
    /// has one row).
    pub child: i64,
    /// Position among the messages embedded in the carrying message.
    pub pos: i64,
    /// Position of the embedded message that contains this one, if any.
    pub container: Option<i64>,
    /// `attached`, `forwarded` or `quoted`.
    pub kind: String,
    /// Read back from pasted text (not an attached MIME part).
    pub reconstructed: bool,
    /// The marker line as written.
    pub marker: Option<String>,
    /// SHA-256 identity, hex.
    pub identity: String,
    /// Message-ID, if written.
    pub message_id: Option<String>,
    /// Unix seconds (wall clock read as UTC when `zone_known` is false).
    pub date_utc: Option<i64>,
    /// Zone offset, seconds.
    pub date_offset: Option<i32>,
    /// Whether the written date named its zone.
    pub zone_known: bool,
    /// Date as written.
    pub date_raw: Option<String>,
    /// From.
    pub from: Vec<crate::message::Address>,
    /// To.
    pub to: Vec<crate::message::Address>,
    /// Cc.
    pub cc: Vec<crate::message::Address>,
    /// Subject.
    pub subject: Option<String>,
    /// Its own text.
    pub text: String,
}

const EMBEDDED_COLUMNS: &str = "e.id, l.pos, l.container, e.kind, e.reconstructed, l.marker, \
     hex(e.identity), e.message_id, e.date_utc, e.date_offset, e.zone_known, e.date_raw, \
     e.from_json, e.to_json, e.cc_json, e.subject, e.text";

impl EmbeddedRow {
    /// How deep this one is nested among `all`, the messages embedded in
    /// one message: 0 when that message carries it directly.
    pub fn nesting(&self, all: &[EmbeddedRow]) -> usize {
        let mut depth = 0;
        let mut at = self.container;
        while let Some(c) = at {
            depth += 1;
            if depth > all.len() {
                break;
            }
            at = all.iter().find(|x| x.pos == c).and_then(|x| x.container);
        }
        depth
    }

    /// The row an [`crate::embedded::Embedded`] message is stored as.
    pub fn from_embedded(child: i64, pos: usize, m: &crate::embedded::Embedded) -> EmbeddedRow {
        EmbeddedRow {
            child,
            pos: pos as i64,
            container: m.container.map(|c| c as i64),
            kind: m.kind.as_str().to_string(),
            reconstructed: m.reconstructed,
            marker: m.marker.clone(),
            identity: m.identity.to_hex(),
            message_id: m.message_id.clone(),
            date_utc: m.date.map(|d| d.utc),
            date_offset: m.date.filter(|_| m.zone_known).map(|d| d.offset_secs),
            zone_known: m.zone_known,
            date_raw: m.date_raw.clone(),
            from: m.from.clone(),
            to: m.to.clone(),
            cc: m.cc.clone(),
            subject: m.subject.clone(),
            text: m.text.clone(),
        }
    }
}

fn embedded_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<EmbeddedRow> {
    let addrs = |i: usize| -> rusqlite::Result<Vec<crate::message::Address>> {
        let s: String = r.get(i)?;
        Ok(serde_json::from_str(&s).unwrap_or_default())
    };
    Ok(EmbeddedRow {
        child: r.get(0)?,
        pos: r.get(1)?,
        container: r.get(2)?,
        kind: r.get(3)?,
        reconstructed: r.get(4)?,
        marker: r.get(5)?,
        identity: r.get::<_, String>(6)?.to_lowercase(),
        message_id: r.get(7)?,
        date_utc: r.get(8)?,
        date_offset: r.get(9)?,
        zone_known: r.get(10)?,
        date_raw: r.get(11)?,
        from: addrs(12)?,
        to: addrs(13)?,
        cc: addrs(14)?,
        subject: r.get(15)?,
        text: r.get(16)?,
    })
}

/// Records the messages embedded in message `parent` (idempotent: an
/// original already known is linked, not stored again). Returns each one's
/// row id and whether it was new.
fn insert_embedded(
    tx: &rusqlite::Transaction<'_>,
    parent: i64,
    list: &[crate::embedded::Embedded],
) -> rusqlite::Result<Vec<(i64, bool)>> {
    let mut ins = tx.prepare_cached(
        "INSERT OR IGNORE INTO embedded (identity, kind, reconstructed, message_id, date_utc, \
         date_offset, zone_known, date_raw, from_json, to_json, cc_json, subject, text) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?;
    let mut find = tx.prepare_cached("SELECT id FROM embedded WHERE identity = ?1")?;
    let mut link = tx.prepare_cached(
        "INSERT OR IGNORE INTO embeddings (parent, pos, child, container, marker, start_char, end_char) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let json = |a: &[crate::message::Address]| serde_json::to_string(a).unwrap_or_default();
    let mut out = Vec::with_capacity(list.len());
    for (pos, m) in list.iter().enumerate() {
        let new = ins.execute(params![
            &m.identity.0[..],
            m.kind.as_str(),
            m.reconstructed,
            m.message_id,
            m.date.map(|d| d.utc),
            m.date.filter(|_| m.zone_known).map(|d| d.offset_secs),
            m.zone_known,
            m.date_raw,
            json(&m.from),
            json(&m.to),
            json(&m.cc),
            m.subject,
            m.text,
        ])? == 1;
        let child: i64 = find.query_row([&m.identity.0[..]], |r| r.get(0))?;
        link.execute(params![
            parent,
            pos as i64,
            child,
            m.container.map(|c| c as i64),
            m.marker,
            m.span.map(|s| s.0 as i64),
            m.span.map(|s| s.1 as i64),
        ])?;
        out.push((child, new));
    }
    Ok(out)
}

/// The catalog database.
pub struct Catalog {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
}

/// A container as recorded in `sources`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceRow {
    /// Row id.
    pub id: i64,
    /// Absolute path.
    pub path: String,
    /// Format name.
    pub format: String,
    /// mbox variant, if any.
    pub variant: Option<String>,
    /// Compression layer.
    pub compression: Option<String>,
    /// Size on disk.
    pub size: u64,
    /// SHA-256 of the file's bytes (file containers, once complete).
    pub file_sha256: Option<String>,
    /// True once every message was accounted for.
    pub complete: bool,
    /// Index of the first message not yet committed.
    pub next_index: u64,
    /// Messages found.
    pub messages: u64,
    /// New messages stored.
    pub imported: u64,
    /// Messages already in the archive.
    pub duplicates: u64,
    /// Messages that could not be read.
    pub failed: u64,
    /// When the import completed (RFC 3339).
    pub completed_at: Option<String>,
}

/// One copy of a message in a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Occurrence {
    /// Container path.
    pub source: String,
    /// Container format.
    pub format: String,
    /// mbox variant.
    pub variant: Option<String>,
    /// Compression of the container file.
    pub compression: Option<String>,
    /// SHA-256 of the container file, when known.
    pub source_sha256: Option<String>,
    /// Index in the container.
    pub index: u64,
    /// Byte offset in the container's decompressed stream.
    pub offset: u64,
    /// Bytes in the container.
    pub length: u64,
    /// The file within a directory container.
    pub file: Option<String>,
    /// The mbox From_ line.
    pub from_line: Option<String>,
    /// Maildir flags.
    pub flags: Option<String>,
    /// Folder.
    pub folder: Option<String>,
}

/// The recorded outcome of text extraction for one attachment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachmentText {
    /// `text`, `failed`, `unsupported`; `None` when never extracted.
    pub status: Option<String>,
    /// The format read (`pdf`, `docx`, ...).
    pub format: Option<String>,
    /// Characters of text extracted.
    pub chars: Option<i64>,
    /// Why extraction failed.
    pub error: Option<String>,
}

/// A message row with its metadata.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageRow {
    /// Catalog key (stable row id).
    pub key: i64,
    /// SHA-256 of the raw bytes.
    #[serde(serialize_with = "ser_digest")]
    pub id: Digest,
    /// Raw size.
    pub size: u64,
    /// Message-ID without brackets.
    pub message_id: Option<String>,
    /// Date, UTC seconds.
    pub date_utc: Option<i64>,
    /// Original zone offset, seconds east.
    pub date_offset: Option<i32>,
    /// Date header as written.
    pub date_raw: Option<String>,
    /// Subject.
    pub subject: Option<String>,
    /// In-Reply-To ids.
    pub in_reply_to: Vec<String>,
    /// References ids.
    pub references: Vec<String>,
    /// Charset guesses that were needed.
    pub charset_fallbacks: Vec<String>,
    /// Parse warnings.
    pub warnings: Vec<String>,
    /// Whether mail-parser could parse it.
    pub parse_ok: bool,
    /// Thread number (see [`crate::thread`]).
    pub thread: i64,
    /// From.
    pub from: Vec<Address>,
    /// To.
    pub to: Vec<Address>,
    /// Cc.
    pub cc: Vec<Address>,
    /// Bcc.
    pub bcc: Vec<Address>,
    /// Reply-To.
    pub reply_to: Vec<Address>,
    /// Attachments.
    pub attachments: Vec<AttachmentInfo>,
    /// Where the bytes are stored.
    #[serde(skip)]
    pub location: ObjectLocation,
}

fn ser_digest<S: serde::Serializer>(d: &Digest, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&d.to_hex())
}

/// A new message to insert, with its stored location.
pub struct NewMessage<'a> {
    /// Its digest.
    pub id: Digest,
    /// Raw size.
    pub size: u64,
    /// Parsed metadata.
    pub parsed: &'a ParsedMessage,
    /// Index into the batch's blocks, and location within that block.
    pub block: usize,
    /// Offset in the decompressed block.
    pub inner_offset: u64,
    /// Its signature checks (empty: unsigned).
    pub auth: &'a [crate::auth::AuthResult],
    /// Text extraction outcome per attachment (same order as
    /// `parsed.attachments`; may be empty when not extracted).
    pub texts: &'a [crate::extract::Outcome],
    /// Messages found inside it ([`crate::embedded::extract`]).
    pub embedded: &'a [crate::embedded::Embedded],
}

/// An occurrence to insert.
pub struct NewOccurrence<'a> {
    /// The message: either a key already in the catalog or the index of a
    /// [`NewMessage`] of the same batch.
    pub message: MessageRef,
    /// Index in the container.
    pub index: u64,
    /// Offset.
    pub offset: u64,
    /// Length.
    pub length: u64,
    /// File in a directory container.
    pub file: Option<&'a Path>,
    /// From_ line.
    pub from_line: Option<&'a [u8]>,
    /// Maildir flags.
    pub flags: Option<&'a str>,
    /// Folder.
    pub folder: Option<&'a str>,
}

/// Reference to a message from an occurrence.
#[derive(Debug, Clone, Copy)]
pub enum MessageRef {
    /// Already in the catalog.
    Existing(i64),
    /// Inserted in the same batch (index into `BatchWrite::messages`).
    New(usize),
}

/// Everything one batch writes, in one transaction.
pub struct BatchWrite<'a> {
    /// The import run.
    pub run: i64,
    /// The container.
    pub source: i64,
    /// Blocks appended to the store for this batch.
    pub blocks: Vec<BlockLocation>,
    /// New messages.
    pub messages: Vec<NewMessage<'a>>,
    /// Occurrences (new and duplicate messages).
    pub occurrences: Vec<NewOccurrence<'a>>,
    /// Split failures: index, offset, reason.
    pub failures: Vec<(u64, u64, String)>,
    /// Counters to add to the source.
    pub counts: Counts,
    /// Index of the next message of the container after this batch.
    pub next_index: u64,
    /// Pack lengths now durable.
    pub packs: Vec<(u32, u64)>,
    /// Existing messages whose index document must be refreshed (they got
    /// a new occurrence).
    pub dirty: Vec<i64>,
}

/// What [`Catalog::write_batch`] assigned.
#[derive(Debug, Clone, Default)]
pub struct BatchResult {
    /// Keys of the new messages, in the batch's order.
    pub keys: Vec<i64>,
    /// Their thread numbers.
    pub threads: Vec<i64>,
    /// Earlier messages whose thread number changed (two threads merged).
    pub rethreaded: Vec<i64>,
    /// Per new message, its embedded messages: row id and whether this
    /// batch stored that original first.
    pub embedded: Vec<Vec<(i64, bool)>>,
}

/// Gives a new message its thread: the thread of any Message-ID it carries or
/// references, else (for a message without references) the thread of an
/// earlier message with the same normalized subject, else a new thread. Two
/// threads linked by the message are merged into the older one.
fn assign_thread(
    tx: &rusqlite::Transaction<'_>,
    key: i64,
    p: &ParsedMessage,
    rethreaded: &mut Vec<i64>,
) -> rusqlite::Result<i64> {
    let mut ids: Vec<&str> = Vec::new();
    ids.extend(p.message_id.as_deref());
    ids.extend(p.in_reply_to.iter().map(String::as_str));
    ids.extend(p.references.iter().map(String::as_str));
    ids.retain(|s| !s.is_empty());
    let mut found: Vec<i64> = Vec::new();
    {
        let mut st = tx.prepare_cached("SELECT thread FROM thread_ids WHERE message_id = ?1")?;
        for id in &ids {
            if let Some(t) = st.query_row([id], |r| r.get(0)).optional()? {
                found.push(t);
            }
        }
    }
    let subject = p
        .subject
        .as_deref()
        .map(crate::thread::normalize_subject)
        .filter(|s| crate::thread::subject_is_distinctive(s));
    let unlinked = p.in_reply_to.is_empty() && p.references.is_empty();
    if found.is_empty()
        && unlinked
        && let Some(s) = &subject
        && let Some(t) = tx
            .prepare_cached("SELECT thread FROM thread_subjects WHERE subject = ?1")?
            .query_row([s], |r| r.get::<_, i64>(0))
            .optional()?
    {
        found.push(t);
    }
    found.sort_unstable();
    found.dedup();
    let thread = found.first().copied().unwrap_or(key);
    for &other in found.iter().skip(1) {
        let mut st = tx.prepare_cached("SELECT id FROM messages WHERE thread = ?1")?;
        let moved: Vec<i64> = st
            .query_map([other], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        rethreaded.extend(moved);
        tx.execute(
            "UPDATE messages SET thread = ?1 WHERE thread = ?2",
            [thread, other],
        )?;
        tx.execute(
            "UPDATE thread_ids SET thread = ?1 WHERE thread = ?2",
            [thread, other],
        )?;
        tx.execute(
            "UPDATE thread_subjects SET thread = ?1 WHERE thread = ?2",
            [thread, other],
        )?;
    }
    tx.execute(
        "UPDATE messages SET thread = ?1 WHERE id = ?2",
        [thread, key],
    )?;
    let mut st = tx.prepare_cached(
        "INSERT INTO thread_ids (message_id, thread) VALUES (?1, ?2) ON CONFLICT(message_id) DO UPDATE SET thread = excluded.thread",
    )?;
    for id in &ids {
        st.execute(params![id, thread])?;
    }
    if let Some(s) = &subject {
        tx.prepare_cached(
            "INSERT OR IGNORE INTO thread_subjects (subject, thread) VALUES (?1, ?2)",
        )?
        .execute(params![s, thread])?;
    }
    Ok(thread)
}

/// Per-container counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Messages found.
    pub messages: u64,
    /// New messages stored.
    pub imported: u64,
    /// Messages already in the archive.
    pub duplicates: u64,
    /// Messages that could not be read.
    pub failed: u64,
}

impl Counts {
    /// Adds `o` to `self`.
    pub fn add(&mut self, o: &Counts) {
        self.messages += o.messages;
        self.imported += o.imported;
        self.duplicates += o.duplicates;
        self.failed += o.failed;
    }
}

/// Archive-wide figures for `mailcite stats`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    /// Distinct messages (distinct raw bytes).
    pub messages: u64,
    /// Copies found across all containers.
    pub occurrences: u64,
    /// Containers recorded.
    pub sources: u64,
    /// Containers whose import is not complete.
    pub incomplete_sources: u64,
    /// Copies beyond the first of each message.
    pub duplicates: u64,
    /// Messages that could not be read, over all imports.
    pub failed: u64,
    /// Message-IDs carried by more than one distinct message.
    pub conflicts: u64,
    /// Messages stored with parse warnings.
    pub with_warnings: u64,
    /// Messages mail-parser could not parse (stored raw).
    pub unparsed: u64,
    /// Messages without a usable Date.
    pub undated: u64,
    /// Earliest Date (UTC seconds).
    pub first_date: Option<i64>,
    /// Latest Date (UTC seconds).
    pub last_date: Option<i64>,
    /// Total raw bytes of the distinct messages.
    pub raw_bytes: u64,
}

pub(crate) fn sql_err(path: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |source| Error::Catalog {
        path: path.to_path_buf(),
        source,
    }
}

fn join_ids(v: &[String]) -> Option<String> {
    if v.is_empty() {
        None
    } else {
        Some(v.join(" "))
    }
}

fn split_ids(s: Option<String>) -> Vec<String> {
    s.map(|s| {
        s.split(' ')
            .filter(|x| !x.is_empty())
            .map(String::from)
            .collect()
    })
    .unwrap_or_default()
}

fn join_lines(v: &[String]) -> Option<String> {
    if v.is_empty() {
        None
    } else {
        Some(v.join("\n"))
    }
}

fn split_lines(s: Option<String>) -> Vec<String> {
    s.map(|s| s.lines().map(String::from).collect())
        .unwrap_or_default()
}

impl Catalog {
    /// Opens the catalog at `path`; creates it when `create` is true and the
    /// file does not exist. `read_only` opens without write access.
    pub fn open(path: &Path, create: bool, read_only: bool) -> Result<Catalog> {
        let e = sql_err(path);
        let exists = path.exists();
        if !exists && !create {
            return Err(Error::NotFound(format!(
                "{} does not exist",
                path.display()
            )));
        }
        let flags = if read_only {
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX
        };
        let conn = Connection::open_with_flags(path, flags).map_err(&e)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(&e)?;
        if !read_only {
            conn.pragma_update(None, "journal_mode", "WAL")
                .map_err(&e)?;
            conn.pragma_update(None, "synchronous", "NORMAL")
                .map_err(&e)?;
        }
        conn.pragma_update(None, "cache_size", -65536).map_err(&e)?;
        let mut cat = Catalog {
            conn,
            path: path.to_path_buf(),
        };
        // A catalog with no table is new, also when its file exists: the
        // creating process was killed, or its disk filled up, before the
        // schema transaction committed.
        if !exists || (!read_only && cat.has_no_tables()?) {
            cat.create_schema()?;
        }
        if read_only && matches!(cat.version()?, Some(v) if v < CATALOG_VERSION) {
            // An archive written by an earlier mailcite: upgrade it once
            // (additive), then read it.
            drop(cat);
            Catalog::open(path, false, false)?;
            return Catalog::open(path, false, true);
        }
        if !read_only {
            cat.migrate()?;
        }
        cat.check_version()?;
        Ok(cat)
    }

    fn version(&self) -> Result<Option<u32>> {
        let v: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'catalog_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(sql_err(&self.path))?;
        Ok(v.and_then(|v| v.parse().ok()))
    }

    /// Upgrades an older catalog in one transaction: version 1 to 2 adds
    /// the authenticity tables and marks every message as not yet checked
    /// (`mailcite dkim` checks them); version 2 to 3 adds the tables of
    /// embedded messages, filled when the index is rebuilt (the index schema
    /// changed with it). Other versions are left to `check_version`.
    fn migrate(&mut self) -> Result<()> {
        let e = sql_err(&self.path);
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(&e)?;
        let v: Option<String> = tx
            .query_row(
                "SELECT value FROM meta WHERE key = 'catalog_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(&e)?;
        let mut v = match v.as_deref() {
            Some("1") => 1,
            Some("2") => 2,
            _ => return Ok(()),
        };
        if v == 1 {
            tx.execute_batch(SCHEMA_V2).map_err(&e)?;
            tx.execute_batch("INSERT INTO dkim_unchecked (message) SELECT id FROM messages;")
                .map_err(&e)?;
            v = 2;
        }
        if v == 2 {
            tx.execute_batch(SCHEMA_V3).map_err(&e)?;
        }
        tx.execute(
            "UPDATE meta SET value = ?1 WHERE key = 'catalog_version'",
            [CATALOG_VERSION.to_string()],
        )
        .map_err(&e)?;
        tx.commit().map_err(&e)?;
        Ok(())
    }

    /// Records the messages embedded in `parent` in one transaction
    /// (idempotent); returns each one's row id and whether it was new.
    pub fn record_embedded(
        &self,
        parent: i64,
        list: &[crate::embedded::Embedded],
    ) -> Result<Vec<(i64, bool)>> {
        let e = sql_err(&self.path);
        let tx = self.conn.unchecked_transaction().map_err(&e)?;
        let out = insert_embedded(&tx, parent, list).map_err(&e)?;
        tx.commit().map_err(&e)?;
        Ok(out)
    }

    /// The messages embedded in message `parent`, in order.
    pub fn embedded_in(&self, parent: i64) -> Result<Vec<EmbeddedRow>> {
        let e = sql_err(&self.path);
        let mut st = self
            .conn
            .prepare_cached(&format!(
                "SELECT {EMBEDDED_COLUMNS} FROM embeddings l JOIN embedded e ON e.id = l.child \
                 WHERE l.parent = ?1 ORDER BY l.pos"
            ))
            .map_err(&e)?;
        let rows = st.query_map([parent], embedded_row).map_err(&e)?;
        rows.collect::<rusqlite::Result<_>>().map_err(&e)
    }

    /// One embedded original by row id, as first carried (lowest parent key):
    /// the row and that parent's key.
    pub fn embedded(&self, child: i64) -> Result<Option<(EmbeddedRow, i64)>> {
        let e = sql_err(&self.path);
        let mut st = self
            .conn
            .prepare_cached(&format!(
                "SELECT {EMBEDDED_COLUMNS}, l.parent FROM embeddings l JOIN embedded e ON e.id = l.child \
                 WHERE l.child = ?1 ORDER BY l.parent, l.pos LIMIT 1"
            ))
            .map_err(&e)?;
        st.query_row([child], |r| Ok((embedded_row(r)?, r.get(17)?)))
            .optional()
            .map_err(&e)
    }

    /// The embedded original whose identity is `hex` (or starts with it,
    /// when that is unambiguous), as first carried; and that carrier's key.
    pub fn embedded_by_identity(&self, hex: &str) -> Result<Option<(EmbeddedRow, i64)>> {
        let e = sql_err(&self.path);
        let hex = hex.trim().to_uppercase();
        if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let mut st = self
            .conn
            .prepare_cached("SELECT id FROM embedded WHERE hex(identity) LIKE ?1 || '%' LIMIT 2")
            .map_err(&e)?;
        let ids: Vec<i64> = st
            .query_map([&hex], |r| r.get(0))
            .map_err(&e)?
            .collect::<rusqlite::Result<_>>()
            .map_err(&e)?;
        match ids.as_slice() {
            [one] => self.embedded(*one),
            _ => Ok(None),
        }
    }

    /// Keys of every message that carries embedded original `child`.
    pub fn embedded_parents(&self, child: i64) -> Result<Vec<i64>> {
        let e = sql_err(&self.path);
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT parent FROM embeddings WHERE child = ?1 ORDER BY parent",
            )
            .map_err(&e)?;
        let rows = st.query_map([child], |r| r.get(0)).map_err(&e)?;
        rows.collect::<rusqlite::Result<_>>().map_err(&e)
    }

    /// Ids (SHA-256, hex) of every message that carries embedded original
    /// `child`, in import order.
    pub fn embedded_carrier_ids(&self, child: i64) -> Result<Vec<String>> {
        let e = sql_err(&self.path);
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT lower(hex(m.sha256)) FROM messages m WHERE m.id IN \
                 (SELECT parent FROM embeddings WHERE child = ?1) ORDER BY m.id",
            )
            .map_err(&e)?;
        let rows = st.query_map([child], |r| r.get(0)).map_err(&e)?;
        rows.collect::<rusqlite::Result<_>>().map_err(&e)
    }

    /// Embedded originals whose first carrier is `parent` (each is indexed
    /// once, with its first carrier).
    pub fn embedded_first_in(&self, parent: i64) -> Result<Vec<EmbeddedRow>> {
        Ok(self
            .embedded_in(parent)?
            .into_iter()
            .filter(|r| {
                self.embedded_parents(r.child)
                    .map(|p| p.first() == Some(&parent))
                    .unwrap_or(false)
            })
            .fold(Vec::new(), |mut acc: Vec<EmbeddedRow>, r| {
                if !acc.iter().any(|a| a.child == r.child) {
                    acc.push(r);
                }
                acc
            }))
    }

    /// Every embedded original as the index must hold it: identity (hex,
    /// lowercase) and the key of its first carrier.
    pub fn embedded_first_carriers(&self) -> Result<Vec<(String, i64)>> {
        let e = sql_err(&self.path);
        let mut st = self
            .conn
            .prepare(
                "SELECT lower(hex(e.identity)), min(l.parent) FROM embedded e \
                 JOIN embeddings l ON l.child = e.id GROUP BY e.id",
            )
            .map_err(&e)?;
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(&e)?;
        rows.collect::<rusqlite::Result<_>>().map_err(&e)
    }

    /// Number of distinct embedded originals, and of links to carriers.
    pub fn embedded_counts(&self) -> Result<(u64, u64)> {
        let e = sql_err(&self.path);
        self.conn
            .query_row(
                "SELECT (SELECT count(*) FROM embedded), (SELECT count(*) FROM embeddings)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(&e)
    }

    fn has_no_tables(&self) -> Result<bool> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(sql_err(&self.path))?;
        Ok(n == 0)
    }

    fn create_schema(&mut self) -> Result<()> {
        let e = sql_err(&self.path);
        let tx = self.conn.transaction().map_err(&e)?;
        tx.execute_batch(SCHEMA).map_err(&e)?;
        tx.execute_batch(SCHEMA_V2).map_err(&e)?;
        tx.execute_batch(SCHEMA_V3).map_err(&e)?;
        tx.execute(
            "INSERT INTO meta (key, value) VALUES ('catalog_version', ?1)",
            [CATALOG_VERSION.to_string()],
        )
        .map_err(&e)?;
        tx.commit().map_err(&e)?;
        Ok(())
    }

    fn check_version(&self) -> Result<()> {
        let e = sql_err(&self.path);
        let v: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'catalog_version'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(&e)?;
        match v {
            Some(v) if v == CATALOG_VERSION.to_string() => Ok(()),
            other => Err(Error::UnsupportedVersion {
                path: self.path.clone(),
                found: other.unwrap_or_else(|| "none".into()),
                supported: CATALOG_VERSION,
            }),
        }
    }

    /// The underlying connection, for read queries by other modules.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Committed length of every pack.
    pub fn committed_packs(&self) -> Result<Vec<(u32, u64)>> {
        let e = sql_err(&self.path);
        let mut st = self
            .conn
            .prepare("SELECT id, committed_len FROM packs ORDER BY id")
            .map_err(&e)?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, u64>(1)?)))
            .map_err(&e)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(&e)
    }

    /// Records the start of an import run; returns its id.
    pub fn begin_run(&mut self, args: &str) -> Result<i64> {
        let e = sql_err(&self.path);
        self.conn
            .execute(
                "INSERT INTO imports (started_at, mailcite_version, args) VALUES (?1, ?2, ?3)",
                params![now_rfc3339(), env!("CARGO_PKG_VERSION"), args],
            )
            .map_err(&e)?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Records the end of an import run with its totals.
    pub fn finish_run(&mut self, run: i64, c: &Counts) -> Result<()> {
        let e = sql_err(&self.path);
        self.conn
            .execute(
                "UPDATE imports SET finished_at = ?1, messages = ?2, imported = ?3, duplicates = ?4, failed = ?5 WHERE id = ?6",
                params![now_rfc3339(), c.messages, c.imported, c.duplicates, c.failed, run],
            )
            .map_err(&e)?;
        Ok(())
    }

    /// Finds the source row for a container state, if one was recorded.
    pub fn find_source(&self, path: &str, fingerprint: &str) -> Result<Option<SourceRow>> {
        let e = sql_err(&self.path);
        self.conn
            .query_row(
                &format!("{SOURCE_COLS} WHERE path = ?1 AND fingerprint = ?2"),
                params![path, fingerprint],
                source_row,
            )
            .optional()
            .map_err(&e)
    }

    /// Creates a source row and returns it.
    pub fn create_source(
        &mut self,
        path: &str,
        fingerprint: &str,
        format: &str,
        compression: Option<&str>,
        size: u64,
    ) -> Result<SourceRow> {
        let e = sql_err(&self.path);
        self.conn
            .execute(
                "INSERT INTO sources (path, fingerprint, format, compression, size, first_import) VALUES (?1, ?2, ?3, ?4, ?5, strftime('%s','now'))",
                params![path, fingerprint, format, compression, size],
            )
            .map_err(&e)?;
        let id = self.conn.last_insert_rowid();
        self.conn
            .query_row(&format!("{SOURCE_COLS} WHERE id = ?1"), [id], source_row)
            .map_err(&e)
    }

    /// Records the mbox variant found for a source.
    pub fn set_source_variant(&mut self, source: i64, variant: &str) -> Result<()> {
        let e = sql_err(&self.path);
        self.conn
            .execute(
                "UPDATE sources SET variant = ?1 WHERE id = ?2",
                params![variant, source],
            )
            .map_err(&e)?;
        Ok(())
    }

    /// Marks a source complete with the SHA-256 of its file.
    pub fn complete_source(&mut self, source: i64, file_sha256: Option<&str>) -> Result<()> {
        let e = sql_err(&self.path);
        self.conn
            .execute(
                "UPDATE sources SET complete = 1, file_sha256 = ?1, completed_at = ?2 WHERE id = ?3",
                params![file_sha256, now_rfc3339(), source],
            )
            .map_err(&e)?;
        Ok(())
    }

    /// Failures recorded for a source.
    pub fn source_failures(&self, source: i64) -> Result<Vec<crate::source::SplitFailure>> {
        let e = sql_err(&self.path);
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT idx, offset, reason FROM failures WHERE source = ?1 ORDER BY idx",
            )
            .map_err(&e)?;
        let rows = st
            .query_map([source], |r| {
                Ok(crate::source::SplitFailure {
                    index: r.get(0)?,
                    offset: r.get(1)?,
                    reason: r.get(2)?,
                })
            })
            .map_err(&e)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(&e)
    }

    /// Points messages at a new block (after `verify --repair` stored them
    /// again), removes blocks no message uses any more, and records the pack
    /// state, in one transaction. `moves` holds each message's key and inner
    /// offset in the new block.
    pub fn relocate(
        &mut self,
        block: &BlockLocation,
        moves: &[(i64, u64)],
        pack: (u32, u64),
    ) -> Result<()> {
        let e = sql_err(&self.path);
        let tx = self.conn.transaction().map_err(&e)?;
        tx.execute(
            "INSERT INTO blocks (pack, offset, clen, ulen) VALUES (?1, ?2, ?3, ?4)",
            params![block.pack, block.offset, block.clen, block.ulen],
        )
        .map_err(&e)?;
        let id = tx.last_insert_rowid();
        for (key, inner) in moves {
            tx.execute(
                "UPDATE messages SET block = ?1, inner_offset = ?2 WHERE id = ?3",
                params![id, inner, key],
            )
            .map_err(&e)?;
        }
        tx.execute(
            "DELETE FROM blocks WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.block = blocks.id)",
            [],
        )
        .map_err(&e)?;
        tx.execute(
            "INSERT INTO packs (id, committed_len) VALUES (?1, ?2) ON CONFLICT(id) DO UPDATE SET committed_len = excluded.committed_len",
            params![pack.0, pack.1],
        )
        .map_err(&e)?;
        tx.commit().map_err(&e)?;
        Ok(())
    }

    /// Every message's key and id, by key.
    pub fn all_ids(&self) -> Result<Vec<(i64, Digest)>> {
        let e = sql_err(&self.path);
        let mut st = self
            .conn
            .prepare("SELECT id, sha256 FROM messages ORDER BY id")
            .map_err(&e)?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?)))
            .map_err(&e)?;
        let mut out = Vec::new();
        for row in rows {
            let (k, sha) = row.map_err(&e)?;
            out.push((k, Digest::from_slice(&sha).unwrap_or(Digest([0; 32]))));
        }
        Ok(out)
    }

    /// What text extraction gave for each attachment of a message, in
    /// attachment order: `(status, format, characters, error)`; status is
    /// `text`, `failed`, `unsupported`, or `None` when never extracted (a
    /// message imported by an earlier version).
    pub fn attachment_texts(&self, key: i64) -> Result<Vec<AttachmentText>> {
        let e = sql_err(&self.path);
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT text_status, text_format, text_chars, text_error FROM attachments WHERE message = ?1 ORDER BY pos",
            )
            .map_err(&e)?;
        let rows = st
            .query_map([key], |r| {
                Ok(AttachmentText {
                    status: r.get(0)?,
                    format: r.get(1)?,
                    chars: r.get(2)?,
                    error: r.get(3)?,
                })
            })
            .map_err(&e)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(&e)
    }

    /// Keys of the given digests that are already stored.
    pub fn existing(&self, ids: &[Digest]) -> Result<HashMap<Digest, i64>> {
        let e = sql_err(&self.path);
        let mut st = self
            .conn
            .prepare_cached("SELECT id FROM messages WHERE sha256 = ?1")
            .map_err(&e)?;
        let mut out = HashMap::new();
        for d in ids {
            if let Some(k) = st
                .query_row([&d.0[..]], |r| r.get::<_, i64>(0))
                .optional()
                .map_err(&e)?
            {
                out.insert(*d, k);
            }
        }
        Ok(out)
    }

    /// Writes one batch atomically: the new messages get keys and threads.
    pub fn write_batch(&mut self, b: &BatchWrite<'_>) -> Result<BatchResult> {
        let e = sql_err(&self.path);
        let tx = self.conn.transaction().map_err(&e)?;
        let mut block_ids = Vec::with_capacity(b.blocks.len());
        {
            let mut st = tx
                .prepare_cached(
                    "INSERT INTO blocks (pack, offset, clen, ulen) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(&e)?;
            for bl in &b.blocks {
                st.execute(params![bl.pack, bl.offset, bl.clen, bl.ulen])
                    .map_err(&e)?;
                block_ids.push(tx.last_insert_rowid());
            }
        }
        let mut keys = Vec::with_capacity(b.messages.len());
        let mut embedded = Vec::with_capacity(b.messages.len());
        let mut rethreaded = Vec::new();
        let mut threads = Vec::with_capacity(b.messages.len());
        {
            let mut st = tx
                .prepare_cached(
                    "INSERT INTO messages (sha256, block, inner_offset, size, message_id, date_utc, date_offset, date_raw, subject, in_reply_to, refs, attachments, charset_fallbacks, warnings, parse_ok, import_run, thread)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, 0)",
                )
                .map_err(&e)?;
            let mut ad = tx
                .prepare_cached(
                    "INSERT INTO addresses (message, role, pos, name, address) VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .map_err(&e)?;
            let mut at = tx
                .prepare_cached(
                    "INSERT INTO attachments (message, pos, name, content_type, size, text_status, text_format, text_chars, text_error)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(&e)?;
            for m in &b.messages {
                let p = m.parsed;
                let block = *block_ids.get(m.block).ok_or_else(|| {
                    Error::Invalid(format!("batch refers to missing block {}", m.block))
                })?;
                st.execute(params![
                    &m.id.0[..],
                    block,
                    m.inner_offset,
                    m.size,
                    p.message_id,
                    p.date.map(|d| d.utc),
                    p.date.map(|d| d.offset_secs),
                    p.date_raw,
                    p.subject,
                    join_ids(&p.in_reply_to),
                    join_ids(&p.references),
                    p.attachments.len() as i64,
                    join_lines(&p.charset_fallbacks),
                    join_lines(&p.warnings),
                    p.parse_ok,
                    b.run,
                ])
                .map_err(&e)?;
                let key = tx.last_insert_rowid();
                keys.push(key);
                threads.push(assign_thread(&tx, key, p, &mut rethreaded).map_err(&e)?);
                for (role, list) in [
                    ("from", &p.from),
                    ("to", &p.to),
                    ("cc", &p.cc),
                    ("bcc", &p.bcc),
                    ("reply-to", &p.reply_to),
                ] {
                    for (i, a) in list.iter().enumerate() {
                        ad.execute(params![key, role, i as i64, a.name, a.address])
                            .map_err(&e)?;
                    }
                }
                for (i, a) in p.attachments.iter().enumerate() {
                    let (status, format, chars, error) = match m.texts.get(i) {
                        Some(crate::extract::Outcome::Text { format, text, .. }) => (
                            Some("text"),
                            Some(format.as_str()),
                            Some(text.chars().count() as i64),
                            None,
                        ),
                        Some(crate::extract::Outcome::Failed { format, reason }) => (
                            Some("failed"),
                            Some(format.as_str()),
                            None,
                            Some(reason.as_str()),
                        ),
                        Some(crate::extract::Outcome::Unsupported) => {
                            (Some("unsupported"), None, None, None)
                        }
                        None => (None, None, None, None),
                    };
                    at.execute(params![
                        key,
                        i as i64,
                        a.name,
                        a.content_type,
                        a.size,
                        status,
                        format,
                        chars,
                        error
                    ])
                    .map_err(&e)?;
                }
                crate::auth::insert_results(&tx, key, m.auth).map_err(&e)?;
                embedded.push(insert_embedded(&tx, key, m.embedded).map_err(&e)?);
            }
        }
        {
            let mut st = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO occurrences (message, source, idx, offset, length, file, from_line, flags, folder)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                )
                .map_err(&e)?;
            for o in &b.occurrences {
                let key = match o.message {
                    MessageRef::Existing(k) => k,
                    MessageRef::New(i) => *keys.get(i).ok_or_else(|| {
                        Error::Invalid(format!("batch refers to missing message {i}"))
                    })?,
                };
                st.execute(params![
                    key,
                    b.source,
                    o.index,
                    o.offset,
                    o.length,
                    o.file.map(|f| f.to_string_lossy().into_owned()),
                    o.from_line,
                    o.flags,
                    o.folder,
                ])
                .map_err(&e)?;
            }
            let mut f = tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO failures (source, idx, offset, reason) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(&e)?;
            for (idx, off, reason) in &b.failures {
                f.execute(params![b.source, idx, off, reason]).map_err(&e)?;
            }
        }
        tx.execute(
            "UPDATE sources SET messages = messages + ?1, imported = imported + ?2, duplicates = duplicates + ?3, failed = failed + ?4, next_index = ?5 WHERE id = ?6",
            params![
                b.counts.messages,
                b.counts.imported,
                b.counts.duplicates,
                b.counts.failed,
                b.next_index,
                b.source
            ],
        )
        .map_err(&e)?;
        {
            let mut st = tx
                .prepare_cached("INSERT OR IGNORE INTO index_dirty (key) VALUES (?1)")
                .map_err(&e)?;
            for k in b.dirty.iter().chain(&rethreaded) {
                st.execute([k]).map_err(&e)?;
            }
        }
        for (pack, len) in &b.packs {
            tx.execute(
                "INSERT INTO packs (id, committed_len) VALUES (?1, ?2) ON CONFLICT(id) DO UPDATE SET committed_len = excluded.committed_len",
                params![pack, len],
            )
            .map_err(&e)?;
        }
        tx.commit().map_err(&e)?;
        Ok(BatchResult {
            keys,
            threads,
            rethreaded,
            embedded,
        })
    }

    /// Messages whose index documents are stale (see [`BatchWrite::dirty`]).
    pub fn dirty_keys(&self) -> Result<Vec<i64>> {
        let e = sql_err(&self.path);
        let mut st = self
            .conn
            .prepare_cached("SELECT key FROM index_dirty ORDER BY key")
            .map_err(&e)?;
        let rows = st.query_map([], |r| r.get(0)).map_err(&e)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(&e)
    }

    /// Forgets stale marks once the index has been refreshed.
    pub fn clear_dirty(&mut self, keys: &[i64]) -> Result<()> {
        let e = sql_err(&self.path);
        let tx = self.conn.transaction().map_err(&e)?;
        {
            let mut st = tx
                .prepare_cached("DELETE FROM index_dirty WHERE key = ?1")
                .map_err(&e)?;
            for k in keys {
                st.execute([k]).map_err(&e)?;
            }
        }
        tx.commit().map_err(&e)?;
        Ok(())
    }

    /// The largest message key, 0 for an empty archive.
    pub fn max_key(&self) -> Result<i64> {
        let e = sql_err(&self.path);
        self.conn
            .query_row("SELECT ifnull(max(id), 0) FROM messages", [], |r| r.get(0))
            .map_err(&e)
    }

    /// Container paths and folders of a message's occurrences, deduplicated.
    pub fn sources_and_folders(&self, key: i64) -> Result<(Vec<String>, Vec<String>)> {
        let e = sql_err(&self.path);
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT s.path, o.file, o.folder FROM occurrences o JOIN sources s ON s.id = o.source WHERE o.message = ?1 ORDER BY o.id",
            )
            .map_err(&e)?;
        let rows = st
            .query_map([key], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<String>>(2)?,
                ))
            })
            .map_err(&e)?;
        let (mut sources, mut folders) = (Vec::new(), Vec::new());
        for r in rows {
            let (path, file, folder) = r.map_err(&e)?;
            let p = file.unwrap_or(path);
            if !sources.contains(&p) {
                sources.push(p);
            }
            if let Some(f) = folder
                && !folders.contains(&f)
            {
                folders.push(f);
            }
        }
        Ok((sources, folders))
    }

    /// The thread number of a message.
    pub fn thread_of(&self, key: i64) -> Result<i64> {
        let e = sql_err(&self.path);
        self.conn
            .query_row("SELECT thread FROM messages WHERE id = ?1", [key], |r| {
                r.get(0)
            })
            .map_err(&e)
    }

    /// Number of messages in a thread.
    pub fn thread_members_count(&self, thread: i64) -> Result<usize> {
        let e = sql_err(&self.path);
        self.conn
            .prepare_cached("SELECT count(*) FROM messages WHERE thread = ?1")
            .map_err(&e)?
            .query_row([thread], |r| r.get::<_, i64>(0))
            .map(|n| n as usize)
            .map_err(&e)
    }

    /// Every message of a thread.
    pub fn thread_members(&self, thread: i64) -> Result<Vec<MessageRow>> {
        let e = sql_err(&self.path);
        let keys: Vec<i64> = self
            .conn
            .prepare_cached("SELECT id FROM messages WHERE thread = ?1 ORDER BY id")
            .map_err(&e)?
            .query_map([thread], |r| r.get(0))
            .map_err(&e)?
            .collect::<rusqlite::Result<_>>()
            .map_err(&e)?;
        let mut out = Vec::with_capacity(keys.len());
        for k in keys {
            if let Some(m) = self.message(k)? {
                out.push(m);
            }
        }
        Ok(out)
    }

    /// Loads a message by its catalog key.
    pub fn message(&self, key: i64) -> Result<Option<MessageRow>> {
        let e = sql_err(&self.path);
        let row = self
            .conn
            .prepare_cached(&format!("{MESSAGE_COLS} WHERE m.id = ?1"))
            .map_err(&e)?
            .query_row([key], message_row)
            .optional()
            .map_err(&e)?;
        match row {
            Some(mut m) => {
                self.fill_parties(&mut m)?;
                Ok(Some(m))
            }
            None => Ok(None),
        }
    }

    fn fill_parties(&self, m: &mut MessageRow) -> Result<()> {
        let e = sql_err(&self.path);
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT role, name, address FROM addresses WHERE message = ?1 ORDER BY role, pos",
            )
            .map_err(&e)?;
        let rows = st
            .query_map([m.key], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    Address {
                        name: r.get(1)?,
                        address: r.get(2)?,
                    },
                ))
            })
            .map_err(&e)?;
        for row in rows {
            let (role, a) = row.map_err(&e)?;
            match role.as_str() {
                "from" => m.from.push(a),
                "to" => m.to.push(a),
                "cc" => m.cc.push(a),
                "bcc" => m.bcc.push(a),
                _ => m.reply_to.push(a),
            }
        }
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT name, content_type, size FROM attachments WHERE message = ?1 ORDER BY pos",
            )
            .map_err(&e)?;
        let rows = st
            .query_map([m.key], |r| {
                Ok(AttachmentInfo {
                    name: r.get(0)?,
                    content_type: r.get(1)?,
                    size: r.get(2)?,
                })
            })
            .map_err(&e)?;
        for row in rows {
            m.attachments.push(row.map_err(&e)?);
        }
        Ok(())
    }

    /// Every occurrence of a message.
    pub fn occurrences(&self, key: i64) -> Result<Vec<Occurrence>> {
        let e = sql_err(&self.path);
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT s.path, s.format, s.variant, s.compression, s.file_sha256, o.idx, o.offset, o.length, o.file, o.from_line, o.flags, o.folder
                 FROM occurrences o JOIN sources s ON s.id = o.source WHERE o.message = ?1 ORDER BY o.id",
            )
            .map_err(&e)?;
        let rows = st
            .query_map([key], |r| {
                Ok(Occurrence {
                    source: r.get(0)?,
                    format: r.get(1)?,
                    variant: r.get(2)?,
                    compression: r.get(3)?,
                    source_sha256: r.get(4)?,
                    index: r.get(5)?,
                    offset: r.get(6)?,
                    length: r.get(7)?,
                    file: r.get(8)?,
                    from_line: r
                        .get::<_, Option<Vec<u8>>>(9)?
                        .map(|b| String::from_utf8_lossy(&b).into_owned()),
                    flags: r.get(10)?,
                    folder: r.get(11)?,
                })
            })
            .map_err(&e)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(&e)
    }

    /// Resolves a user's reference to a message: a full SHA-256, a unique hex
    /// prefix of at least 8 digits, or a Message-ID (with or without `<>`).
    pub fn resolve(&self, reference: &str) -> Result<i64> {
        let e = sql_err(&self.path);
        let r = reference.trim();
        let is_hex = r.len() >= 8 && r.len() <= 64 && r.bytes().all(|b| b.is_ascii_hexdigit());
        if is_hex {
            let lower = r.to_ascii_lowercase();
            if let Ok(d) = lower.parse::<Digest>() {
                if let Some(k) = self.existing(&[d])?.get(&d) {
                    return Ok(*k);
                }
            } else {
                // Prefix: compare on the blob range [prefix00.., prefixff..].
                let mut lo = Vec::new();
                let mut i = 0;
                while i + 1 < lower.len() {
                    lo.push(u8::from_str_radix(&lower[i..i + 2], 16).unwrap_or(0));
                    i += 2;
                }
                let odd = lower.len() % 2 == 1;
                let mut lo_b = lo.clone();
                let mut hi_b = lo.clone();
                if odd {
                    let nib = u8::from_str_radix(&lower[lower.len() - 1..], 16).unwrap_or(0);
                    lo_b.push(nib << 4);
                    hi_b.push((nib << 4) | 0x0f);
                }
                hi_b.resize(32, 0xff);
                let mut st = self
                    .conn
                    .prepare_cached(
                        "SELECT id FROM messages WHERE sha256 >= ?1 AND sha256 <= ?2 LIMIT 2",
                    )
                    .map_err(&e)?;
                let keys: Vec<i64> = st
                    .query_map(params![lo_b, hi_b], |r| r.get(0))
                    .map_err(&e)?
                    .collect::<rusqlite::Result<_>>()
                    .map_err(&e)?;
                match keys.len() {
                    1 => return Ok(keys[0]),
                    n if n > 1 => {
                        return Err(Error::Invalid(format!(
                            "id prefix {r} matches several messages; give more digits"
                        )));
                    }
                    _ => {}
                }
            }
        } else if r.len() < 8 && r.bytes().all(|b| b.is_ascii_hexdigit()) && !r.is_empty() {
            return Err(Error::Invalid(format!(
                "id prefix {r} is too short; give at least 8 hex digits"
            )));
        }
        let mid = r.trim_start_matches('<').trim_end_matches('>');
        let mut st = self
            .conn
            .prepare_cached("SELECT id FROM messages WHERE message_id = ?1 ORDER BY id LIMIT 2")
            .map_err(&e)?;
        let keys: Vec<i64> = st
            .query_map([mid], |r| r.get(0))
            .map_err(&e)?
            .collect::<rusqlite::Result<_>>()
            .map_err(&e)?;
        match keys.len() {
            1 => Ok(keys[0]),
            0 => Err(Error::NotFound(format!(
                "no message with id or Message-ID {r}; try `mailcite search` to find it"
            ))),
            _ => Err(Error::Invalid(format!(
                "Message-ID <{mid}> is carried by several different messages (a conflict); use the SHA-256 id instead (see `mailcite search id:{mid}`)"
            ))),
        }
    }

    /// Other messages that carry the same Message-ID (conflicts).
    pub fn conflicts_of(&self, key: i64) -> Result<Vec<Digest>> {
        let e = sql_err(&self.path);
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT o.sha256 FROM messages m JOIN messages o ON o.message_id = m.message_id AND o.id != m.id WHERE m.id = ?1 ORDER BY o.id",
            )
            .map_err(&e)?;
        let rows = st
            .query_map([key], |r| r.get::<_, Vec<u8>>(0))
            .map_err(&e)?;
        let mut out = Vec::new();
        for r in rows {
            if let Some(d) = Digest::from_slice(&r.map_err(&e)?) {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// All sources, in the order they were first imported.
    pub fn sources(&self) -> Result<Vec<SourceRow>> {
        let e = sql_err(&self.path);
        let mut st = self
            .conn
            .prepare(&format!("{SOURCE_COLS} ORDER BY id"))
            .map_err(&e)?;
        let rows = st.query_map([], source_row).map_err(&e)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(&e)
    }

    /// Archive-wide figures.
    pub fn stats(&self) -> Result<Stats> {
        let e = sql_err(&self.path);
        let c = &self.conn;
        let one = |sql: &str| -> Result<i64> {
            c.query_row(sql, [], |r| r.get::<_, Option<i64>>(0))
                .map(|v| v.unwrap_or(0))
                .map_err(&e)
        };
        let opt = |sql: &str| -> Result<Option<i64>> {
            c.query_row(sql, [], |r| r.get::<_, Option<i64>>(0))
                .map_err(&e)
        };
        let messages = one("SELECT count(*) FROM messages")? as u64;
        let occurrences = one("SELECT count(*) FROM occurrences")? as u64;
        Ok(Stats {
            messages,
            occurrences,
            sources: one("SELECT count(*) FROM sources")? as u64,
            incomplete_sources: one("SELECT count(*) FROM sources WHERE complete = 0")? as u64,
            duplicates: occurrences.saturating_sub(messages),
            failed: one("SELECT count(*) FROM failures")? as u64,
            conflicts: one(
                "SELECT count(*) FROM (SELECT message_id FROM messages WHERE message_id IS NOT NULL GROUP BY message_id HAVING count(*) > 1)",
            )? as u64,
            with_warnings: one("SELECT count(*) FROM messages WHERE warnings IS NOT NULL")? as u64,
            unparsed: one("SELECT count(*) FROM messages WHERE parse_ok = 0")? as u64,
            undated: one("SELECT count(*) FROM messages WHERE date_utc IS NULL")? as u64,
            first_date: opt("SELECT min(date_utc) FROM messages")?,
            last_date: opt("SELECT max(date_utc) FROM messages")?,
            raw_bytes: one("SELECT sum(size) FROM messages")? as u64,
        })
    }

    /// Message keys in key order, starting after `after`.
    pub fn keys_after(&self, after: i64, limit: usize) -> Result<Vec<i64>> {
        let e = sql_err(&self.path);
        let mut st = self
            .conn
            .prepare_cached("SELECT id FROM messages WHERE id > ?1 ORDER BY id LIMIT ?2")
            .map_err(&e)?;
        let rows = st
            .query_map(params![after, limit as i64], |r| r.get(0))
            .map_err(&e)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(&e)
    }
}

const SOURCE_COLS: &str = "SELECT id, path, format, variant, compression, size, file_sha256, complete, next_index, messages, imported, duplicates, failed, completed_at FROM sources";

fn source_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SourceRow> {
    Ok(SourceRow {
        id: r.get(0)?,
        path: r.get(1)?,
        format: r.get(2)?,
        variant: r.get(3)?,
        compression: r.get(4)?,
        size: r.get(5)?,
        file_sha256: r.get(6)?,
        complete: r.get(7)?,
        next_index: r.get(8)?,
        messages: r.get(9)?,
        imported: r.get(10)?,
        duplicates: r.get(11)?,
        failed: r.get(12)?,
        completed_at: r.get(13)?,
    })
}

const MESSAGE_COLS: &str = "SELECT m.id, m.sha256, m.size, m.message_id, m.date_utc, m.date_offset, m.date_raw, m.subject, m.in_reply_to, m.refs, m.charset_fallbacks, m.warnings, m.parse_ok, b.pack, b.offset, b.clen, b.ulen, m.inner_offset, m.thread FROM messages m JOIN blocks b ON b.id = m.block";

fn message_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<MessageRow> {
    let sha: Vec<u8> = r.get(1)?;
    Ok(MessageRow {
        key: r.get(0)?,
        id: Digest::from_slice(&sha).unwrap_or(Digest([0; 32])),
        size: r.get(2)?,
        message_id: r.get(3)?,
        date_utc: r.get(4)?,
        date_offset: r.get(5)?,
        date_raw: r.get(6)?,
        subject: r.get(7)?,
        in_reply_to: split_ids(r.get(8)?),
        references: split_ids(r.get(9)?),
        charset_fallbacks: split_lines(r.get(10)?),
        warnings: split_lines(r.get(11)?),
        parse_ok: r.get(12)?,
        thread: r.get(18)?,
        from: Vec::new(),
        to: Vec::new(),
        cc: Vec::new(),
        bcc: Vec::new(),
        reply_to: Vec::new(),
        attachments: Vec::new(),
        location: ObjectLocation {
            block: BlockLocation {
                pack: r.get(13)?,
                offset: r.get(14)?,
                clen: r.get(15)?,
                ulen: r.get(16)?,
            },
            inner_offset: r.get(17)?,
            len: r.get(2)?,
        },
    })
}

/// The current time in RFC 3339, UTC.
pub fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A catalog file left empty (its creator was killed, or its disk
    /// filled up, before the schema committed) is created again, not
    /// refused with "no such table: meta".
    #[test]
    fn empty_catalog_file_is_created_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("catalog.sqlite");
        std::fs::write(&path, b"").unwrap();
        let cat = Catalog::open(&path, true, false).unwrap();
        assert_eq!(cat.version().unwrap(), Some(CATALOG_VERSION));
        drop(cat);
        Catalog::open(&path, false, true).unwrap();
    }
}

//! The one index schema ([`SCHEMA_VERSION`]), and how values are normalized
//! into its exact-term fields.
//!
//! Nothing but the identifiers needed to show a hit is stored: the text lives
//! in the archive, which hands it back for snippets. Fields:
//!
//! | field | kind | content |
//! |---|---|---|
//! | `key` | u64, indexed, fast, stored | catalog row id |
//! | `id` | raw, stored | SHA-256 hex (lowercase) |
//! | `message_id` | raw | Message-ID, lowercase, without `<>` |
//! | `date` | date, fast, stored | UTC, second precision; absent when unknown (range queries run on the fast column, so no inverted index is kept) |
//! | `date_offset` | i64, stored | zone offset of the Date header, seconds |
//! | `from` `to` `cc` `bcc` | text, positions | display name and address of each party, tokenized |
//! | `from_addr` `to_addr` `cc_addr` `bcc_addr` | raw (`from_addr` also fast) | each address lowercase, its `@domain` and each parent `@domain` of two labels or more |
//! | `subject` `body` `quoted` | text, positions | subject; own text; quoted text ([`crate::split_quoted`]), without PGP armor and base64 lines |
//! | `attachment` | text, positions | attachment file names |
//! | `content` | text, positions | text extracted from attachments (PDF, Office, OpenDocument, RTF, text, HTML, attached messages) |
//! | `type` | raw | attachment MIME types, each also as major type, subtype, short alias (`docx`) and file-name extension |
//! | `folder` | raw | folder paths lowercase, each with its ancestors (`inbox`, `inbox/projects`) |
//! | `source` | raw | source paths, lowercase |
//! | `source_text` | text, positions | source paths tokenized (so `source:leak` finds `/data/leak-2.mbox`) |
//! | `has` | raw | `attachment`, `date`, `quoted` |
//! | `thread` | raw | thread id, lowercase |
//! | `lang` | raw | ISO 639-3 code of the own text (`und` if it has no letters); drives stemming at query time |
//! | `cited` | raw | `yes` / `no` |
//! | `article` | raw | ids of citing articles, lowercase |
//! | `dkim` | raw | status of each DKIM signature (`pass`, `fail`, `nokey`, `revoked`, `expired`, `weak`, `invalid`), `none` when unsigned, `unchecked` before the first check |
//! | `dkimdomain` | raw | `d=` domain of each DKIM signature, lowercase |
//! | `arc` | raw | status of each ARC-Seal and ARC-Message-Signature |
//! | `anomaly` | raw | `date` when the Date header is far from the first Received hop |
//! | `is` | raw | on the document of a message found inside another: `embedded`, its kind (`attached`, `forwarded`, `quoted`) and `reconstructed` when read back from pasted text; searches leave these documents out unless they name `is:` |
//!
//! Every exact-term value is lowercased when indexed and when queried, so
//! exact matches are case-insensitive. Raw fields have neither frequencies nor
//! norms.
//!
//! There are no stemmed fields: stemming happens at query time (see
//! [`crate::query`]): a word also matches the indexed words that share its
//! stem in language L, in messages whose `lang` is L. This keeps one posting
//! list per word (a stemmed copy of the text cost a quarter of the index) and
//! lets stemming improve without a reindex.

use tantivy::schema::{
    DateOptions, DateTimePrecision, Field, IndexRecordOption, NumericOptions, Schema,
    TextFieldIndexing, TextOptions,
};

use crate::analyzers::{BASE_TOKENIZER, RAW_TOKENIZER};

/// Version of the on-disk schema and of the analysis behind it. Any change to
/// fields, analyzers or value normalization must bump it; an index of another
/// version is refused with advice to run `mailcite reindex`.
pub const SCHEMA_VERSION: u32 = 3;

/// Handles of every field.
#[derive(Debug, Clone)]
pub struct Fields {
    /// Catalog row id.
    pub key: Field,
    /// SHA-256 hex.
    pub id: Field,
    /// Message-ID.
    pub message_id: Field,
    /// Date (UTC).
    pub date: Field,
    /// Zone offset in seconds.
    pub date_offset: Field,
    /// From names and addresses, tokenized.
    pub from: Field,
    /// To names and addresses, tokenized.
    pub to: Field,
    /// Cc names and addresses, tokenized.
    pub cc: Field,
    /// Bcc names and addresses, tokenized.
    pub bcc: Field,
    /// From addresses and domains, exact.
    pub from_addr: Field,
    /// To addresses and domains, exact.
    pub to_addr: Field,
    /// Cc addresses and domains, exact.
    pub cc_addr: Field,
    /// Bcc addresses and domains, exact.
    pub bcc_addr: Field,
    /// Subject, unstemmed.
    pub subject: Field,
    /// Own text, unstemmed.
    pub body: Field,
    /// Quoted text, unstemmed.
    pub quoted: Field,
    /// Attachment names.
    pub attachment: Field,
    /// Text extracted from attachments.
    pub content: Field,
    /// Attachment types.
    pub mime_type: Field,
    /// Folders.
    pub folder: Field,
    /// Source paths, exact.
    pub source: Field,
    /// Source paths, tokenized.
    pub source_text: Field,
    /// `attachment`, `date`, `quoted`.
    pub has: Field,
    /// Thread id.
    pub thread: Field,
    /// Language code.
    pub lang: Field,
    /// `yes` / `no`.
    pub cited: Field,
    /// Citing article ids.
    pub article: Field,
    /// DKIM statuses.
    pub dkim: Field,
    /// DKIM signing domains.
    pub dkim_domain: Field,
    /// ARC statuses.
    pub arc: Field,
    /// Anomalies (`date`).
    pub anomaly: Field,
    /// What an embedded message is (`embedded`, `forwarded`, ...).
    pub is: Field,
}

/// The schema with its field handles.
#[derive(Debug, Clone)]
pub struct IndexSchema {
    schema: Schema,
    fields: Fields,
}

impl Default for IndexSchema {
    fn default() -> Self {
        Self::new()
    }
}

fn raw() -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(RAW_TOKENIZER)
            .set_index_option(IndexRecordOption::Basic)
            .set_fieldnorms(false),
    )
}

fn text(tokenizer: &str, record: IndexRecordOption, norms: bool) -> TextOptions {
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(record)
            .set_fieldnorms(norms),
    )
}

fn positions() -> TextOptions {
    text(
        BASE_TOKENIZER,
        IndexRecordOption::WithFreqsAndPositions,
        true,
    )
}

impl IndexSchema {
    /// Builds the schema of version [`SCHEMA_VERSION`].
    pub fn new() -> Self {
        let mut b = Schema::builder();
        let key = b.add_u64_field(
            "key",
            NumericOptions::default()
                .set_indexed()
                .set_fast()
                .set_stored(),
        );
        let id = b.add_text_field("id", raw().set_stored());
        let message_id = b.add_text_field("message_id", raw());
        let date = b.add_date_field(
            "date",
            DateOptions::default()
                .set_fast()
                .set_stored()
                .set_precision(DateTimePrecision::Seconds),
        );
        let date_offset = b.add_i64_field("date_offset", NumericOptions::default().set_stored());
        let from = b.add_text_field("from", positions());
        let to = b.add_text_field("to", positions());
        let cc = b.add_text_field("cc", positions());
        let bcc = b.add_text_field("bcc", positions());
        let from_addr = b.add_text_field("from_addr", raw().set_fast(RAW_TOKENIZER));
        let to_addr = b.add_text_field("to_addr", raw());
        let cc_addr = b.add_text_field("cc_addr", raw());
        let bcc_addr = b.add_text_field("bcc_addr", raw());
        let subject = b.add_text_field("subject", positions());
        let body = b.add_text_field("body", positions());
        let quoted = b.add_text_field("quoted", positions());
        let attachment = b.add_text_field("attachment", positions());
        let content = b.add_text_field("content", positions());
        let mime_type = b.add_text_field("type", raw());
        let folder = b.add_text_field("folder", raw());
        let source = b.add_text_field("source", raw());
        let source_text = b.add_text_field(
            "source_text",
            text(
                BASE_TOKENIZER,
                IndexRecordOption::WithFreqsAndPositions,
                false,
            ),
        );
        let has = b.add_text_field("has", raw());
        let thread = b.add_text_field("thread", raw());
        let lang = b.add_text_field("lang", raw());
        let cited = b.add_text_field("cited", raw());
        let article = b.add_text_field("article", raw());
        let dkim = b.add_text_field("dkim", raw());
        let dkim_domain = b.add_text_field("dkimdomain", raw());
        let arc = b.add_text_field("arc", raw());
        let anomaly = b.add_text_field("anomaly", raw());
        let is = b.add_text_field("is", raw());
        let fields = Fields {
            key,
            id,
            message_id,
            date,
            date_offset,
            from,
            to,
            cc,
            bcc,
            from_addr,
            to_addr,
            cc_addr,
            bcc_addr,
            subject,
            body,
            quoted,
            attachment,
            content,
            mime_type,
            folder,
            source,
            source_text,
            has,
            thread,
            lang,
            cited,
            article,
            dkim,
            dkim_domain,
            arc,
            anomaly,
            is,
        };
        IndexSchema {
            schema: b.build(),
            fields,
        }
    }

    /// The tantivy schema.
    pub fn schema(&self) -> &Schema {
        &self.schema
    }

    /// The field handles.
    pub fn fields(&self) -> &Fields {
        &self.fields
    }
}

// ---------------------------------------------------------------------------
// Value normalization, shared by indexing and querying.

/// Seconds representable by tantivy's nanosecond `DateTime` (years 1678..2262).
const MAX_DATE_SECS: i64 = i64::MAX / 1_000_000_000;

/// Clamps Unix seconds into the range tantivy can represent.
pub fn clamp_date_secs(secs: i64) -> i64 {
    secs.clamp(-MAX_DATE_SECS, MAX_DATE_SECS)
}

/// Unix seconds as a tantivy date (clamped).
pub fn to_tantivy_date(secs: i64) -> tantivy::DateTime {
    tantivy::DateTime::from_timestamp_secs(clamp_date_secs(secs))
}

/// A Message-ID as stored: trimmed, without angle brackets, lowercase.
pub fn normalize_message_id(message_id: &str) -> String {
    let trimmed = message_id.trim();
    let inner = trimmed
        .strip_prefix('<')
        .map(|s| s.strip_suffix('>').unwrap_or(s))
        .unwrap_or(trimmed);
    inner.trim().to_lowercase()
}

/// An address as stored: trimmed, without angle brackets or a `mailto:`,
/// lowercase.
pub fn normalize_address(address: &str) -> String {
    let mut a = address.trim();
    a = a.strip_prefix('<').unwrap_or(a);
    a = a.strip_suffix('>').unwrap_or(a);
    let lower = a.trim().to_lowercase();
    match lower.strip_prefix("mailto:") {
        Some(rest) => rest.to_string(),
        None => lower,
    }
}

/// A domain as stored in the address fields: `@` + lowercase domain, no
/// trailing dot.
pub fn normalize_domain(domain: &str) -> String {
    let d = domain.trim().trim_start_matches('@').trim_end_matches('.');
    format!("@{}", d.to_lowercase())
}

/// Exact terms for one address: the address, its `@domain`, and each parent
/// domain of at least two labels (`@mail.example.org`, `@example.org`).
pub fn address_terms(address: &str) -> Vec<String> {
    let address = normalize_address(address);
    if address.is_empty() {
        return Vec::new();
    }
    let mut terms = vec![address.clone()];
    if let Some((_, domain)) = address.rsplit_once('@') {
        let mut domain = domain.trim_end_matches('.');
        while !domain.is_empty() && domain.contains('.') {
            terms.push(format!("@{domain}"));
            domain = match domain.split_once('.') {
                Some((_, parent)) => parent,
                None => "",
            };
        }
        if terms.len() == 1 && !domain.is_empty() {
            // A single-label domain (`alice@localhost`) still gets its term.
            terms.push(format!("@{domain}"));
        }
    }
    terms
}

/// Short names for MIME subtypes whose official names nobody types.
const SUBTYPE_ALIASES: &[(&str, &str)] = &[
    ("msword", "doc"),
    (
        "vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    ("vnd.ms-excel", "xls"),
    (
        "vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
    ("vnd.ms-powerpoint", "ppt"),
    (
        "vnd.openxmlformats-officedocument.presentationml.presentation",
        "pptx",
    ),
    ("vnd.oasis.opendocument.text", "odt"),
    ("vnd.oasis.opendocument.spreadsheet", "ods"),
    ("jpeg", "jpg"),
    ("x-zip-compressed", "zip"),
    ("x-zip", "zip"),
    ("plain", "txt"),
    ("rfc822", "eml"),
    ("calendar", "ics"),
    ("pgp-signature", "pgp"),
    ("pgp-encrypted", "pgp"),
    ("vnd.ms-outlook", "msg"),
];

/// Exact `type` terms for one attachment: the MIME type, its major type, its
/// subtype, a short alias of the subtype, and the file name's extension.
pub fn type_terms(content_type: &str, name: Option<&str>) -> Vec<String> {
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_lowercase();
    let mut terms = Vec::new();
    if !mime.is_empty() {
        terms.push(mime.clone());
        if let Some((major, sub)) = mime.split_once('/') {
            terms.push(major.to_string());
            if !sub.is_empty() {
                terms.push(sub.to_string());
                if let Some((_, alias)) = SUBTYPE_ALIASES.iter().find(|(s, _)| *s == sub) {
                    terms.push((*alias).to_string());
                }
            }
        }
    }
    if let Some(name) = name
        && let Some((_, ext)) = name.trim().rsplit_once('.')
    {
        let ext = ext.trim().to_lowercase();
        if !ext.is_empty() && ext.len() <= 10 && ext.chars().all(char::is_alphanumeric) {
            terms.push(ext);
        }
    }
    terms.retain(|t| !t.is_empty());
    terms.sort();
    terms.dedup();
    terms
}

/// Exact `folder` terms: every run of consecutive components of the folder
/// path, lower case, so `folder:sent` matches `alice/Maildir/Sent`,
/// `folder:inbox` matches every custodian's `inbox`, and `folder:alice`
/// includes all of Alice's subfolders.
pub fn folder_terms(folder: &str) -> Vec<String> {
    let folder = folder.trim().to_lowercase();
    let parts: Vec<&str> = folder
        .split(['/', '\\'])
        .filter(|p| !p.is_empty())
        .collect();
    // Deep paths: keep the last components, where folder names live.
    let parts = &parts[parts.len().saturating_sub(8)..];
    let mut terms = Vec::new();
    for i in 0..parts.len() {
        for j in i + 1..=parts.len() {
            terms.push(parts[i..j].join("/"));
        }
    }
    terms.sort();
    terms.dedup();
    terms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_has_every_field_once() {
        let s = IndexSchema::new();
        let schema = s.schema();
        for name in [
            "key",
            "id",
            "message_id",
            "date",
            "date_offset",
            "from",
            "from_addr",
            "bcc_addr",
            "subject",
            "body",
            "quoted",
            "attachment",
            "type",
            "folder",
            "source",
            "source_text",
            "has",
            "thread",
            "lang",
            "cited",
            "article",
        ] {
            assert!(schema.get_field(name).is_ok(), "{name}");
        }
        // Building twice yields the same schema (the version check relies on it).
        assert_eq!(IndexSchema::new().schema(), schema);
    }

    #[test]
    fn addresses_and_parent_domains() {
        assert_eq!(
            address_terms("<Alice@Mail.Example.ORG>"),
            [
                "alice@mail.example.org",
                "@mail.example.org",
                "@example.org"
            ]
        );
        assert_eq!(
            address_terms("bob@localhost"),
            ["bob@localhost", "@localhost"]
        );
        assert_eq!(address_terms("  "), Vec::<String>::new());
        assert_eq!(
            address_terms("mailto:carol@example.org"),
            ["carol@example.org", "@example.org"]
        );
        assert_eq!(normalize_domain("@Example.org."), "@example.org");
    }

    #[test]
    fn message_ids_lose_brackets_and_case() {
        assert_eq!(
            normalize_message_id(" <ABC@Example.org> "),
            "abc@example.org"
        );
        assert_eq!(normalize_message_id("abc@example.org"), "abc@example.org");
        assert_eq!(normalize_message_id("<"), "");
    }

    #[test]
    fn mime_types_expand_to_searchable_terms() {
        assert_eq!(
            type_terms("Application/PDF; name=x.pdf", Some("Report.PDF")),
            ["application", "application/pdf", "pdf"]
        );
        assert_eq!(
            type_terms(
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                None
            ),
            [
                "application",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                "docx",
                "vnd.openxmlformats-officedocument.wordprocessingml.document"
            ]
        );
        assert_eq!(
            type_terms("application/octet-stream", Some("scan.tiff")),
            [
                "application",
                "application/octet-stream",
                "octet-stream",
                "tiff"
            ]
        );
        assert_eq!(type_terms("", None), Vec::<String>::new());
    }

    #[test]
    fn folders_include_ancestors() {
        assert_eq!(
            folder_terms("INBOX/Projects/2009"),
            [
                "2009",
                "inbox",
                "inbox/projects",
                "inbox/projects/2009",
                "projects",
                "projects/2009"
            ]
        );
        assert_eq!(folder_terms("/"), Vec::<String>::new());
    }

    #[test]
    fn absurd_dates_are_clamped() {
        assert_eq!(
            to_tantivy_date(i64::MAX).into_timestamp_secs(),
            MAX_DATE_SECS
        );
        assert_eq!(
            to_tantivy_date(i64::MIN).into_timestamp_secs(),
            -MAX_DATE_SECS
        );
    }
}

//! `mailcite-index`: the full-text index of a mailcite archive.
//!
//! The archive is the source of truth; this index is derived from it and can
//! always be rebuilt (`mailcite reindex`). The crate takes plain data
//! ([`IndexDoc`]) and never depends on the archive.
//!
//! * [`IndexWriter`] creates or opens an index directory and adds, replaces
//!   and deletes documents; each commit carries a payload string
//!   ([`IndexWriter::last_payload`]).
//! * [`Searcher`] runs mailcite queries ([`parse`], grammar in [`query`]),
//!   sorted by date or relevance, with counts and facets, and builds
//!   highlighted snippets from text the caller supplies.
//! * [`schema`] documents every field; [`analyzers`] how text becomes terms
//!   (stemming per detected language, accent folding, CJK bigrams).
//!
//! ```no_run
//! use mailcite_index::{IndexDoc, IndexWriter, Searcher, SearchOptions};
//! # fn main() -> mailcite_index::Result<()> {
//! let dir = std::path::Path::new("index");
//! let mut writer = IndexWriter::open(dir)?;
//! writer.add(&IndexDoc { key: 1, id: "ab12...".into(), subject: "Budget".into(), ..Default::default() })?;
//! writer.commit("catalog-row:1")?;
//! let searcher = Searcher::open(dir)?;
//! let results = searcher.search("budget after:2009-01-01", &SearchOptions::default())?;
//! println!("{} messages", results.total);
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

pub mod analyzers;
pub mod document;
pub mod error;
pub mod query;
pub mod schema;
pub mod search;
pub mod writer;

pub use document::{Attachment, IndexDoc, Party, split_quoted};
pub use error::{Error, Result};
pub use query::{HighlightTerm, Query, QueryError, parse, to_tantivy};
pub use schema::{IndexSchema, SCHEMA_VERSION};
pub use search::{Facets, Hit, SearchOptions, SearchResults, Searcher, Snippet, Sort};
pub use writer::{IndexWriter, WriterOptions};

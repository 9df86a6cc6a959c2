//! `mailcite-archive`: the source of truth of a mailcite archive.
//!
//! It owns everything between a leaked container on disk and a verified,
//! content-addressed copy of each message:
//!
//! * [`source`]: finding containers (mbox, Maildir, MH, single files, trees,
//!   compressed files), detecting their format by content and splitting them
//!   into raw messages with their byte offsets;
//! * [`message`]: parsing a raw message into the metadata the catalog keeps;
//! * [`received`]: the `Received:` chain, time evidence independent of the sender;
//! * [`safe_name`]: file names for attachments written to disk;
//! * [`store`]: the append-only, zstd-compressed, SHA-256-addressed object store;
//! * [`catalog`]: the SQLite catalog of messages, occurrences and sources;
//! * [`ingest`]: the import pipeline tying them together with its accounting.
//!
//! The search index is derived from this crate's data by `mailcite-index`.
#![deny(missing_docs)]

pub mod archive;
pub mod articles;
pub mod auth;
pub mod catalog;
pub mod citation;
pub mod digest;
pub mod dkim;
pub mod embedded;
pub mod error;
pub mod extract;
pub mod ingest;
pub mod message;
pub mod parts;
pub mod received;
pub mod safe_name;
pub mod source;
pub mod store;
pub mod thread;
pub mod verify;

pub use archive::Archive;
pub use digest::Digest;
pub use error::{Error, Result};

pub mod people;

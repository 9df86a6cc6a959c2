//! The archive's error type: every variant names what it was working on.

use std::path::PathBuf;

/// Errors from opening, reading or writing an archive.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An I/O error on a named path.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// The SQLite catalog failed.
    #[error("catalog {path}: {source}")]
    Catalog {
        /// The catalog file.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: rusqlite::Error,
    },
    /// The archive was written by a version of mailcite this one cannot read.
    #[error(
        "{path}: archive format version {found} is not supported (this mailcite reads version {supported}); use a mailcite release that matches the archive"
    )]
    UnsupportedVersion {
        /// The archive directory.
        path: PathBuf,
        /// Version found on disk.
        found: String,
        /// Version this build reads and writes.
        supported: u32,
    },
    /// The directory exists but is not a mailcite archive.
    #[error(
        "{path} is not a mailcite archive (no {marker} file); pass --archive with an archive directory, or an empty or new directory to create one"
    )]
    NotAnArchive {
        /// The directory.
        path: PathBuf,
        /// The marker file that was expected.
        marker: &'static str,
    },
    /// Another process holds the archive's write lock.
    #[error(
        "{path} is locked by another mailcite import (pid file {lock}); wait for it to finish and run the command again"
    )]
    Locked {
        /// The archive directory.
        path: PathBuf,
        /// The lock file.
        lock: PathBuf,
    },
    /// A stored object is missing, unreadable or does not re-hash to its id.
    #[error("object {id}: {reason}")]
    Object {
        /// The message id (SHA-256 hex).
        id: String,
        /// What is wrong.
        reason: String,
    },
    /// A message reference did not resolve.
    #[error("{0}")]
    NotFound(String),
    /// Invalid user input (a bad id prefix, an ambiguous reference, ...).
    #[error("{0}")]
    Invalid(String),
}

/// Result alias for the archive crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error with the path it happened on.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

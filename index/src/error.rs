//! The crate's one error type.
//!
//! Query mistakes are [`QueryError`]s (message and column, meant for the
//! user); everything else names the index directory it concerns.

use std::path::PathBuf;

use crate::query::QueryError;

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The query text is not valid mailcite query syntax.
    #[error("{0}")]
    Query(#[from] QueryError),

    /// The directory holds an index built with another schema version (or
    /// without mailcite's version marker).
    #[error(
        "the search index at {path} has schema version {found}, but this mailcite needs \
         version {expected}; run `mailcite reindex` to rebuild it from the archive"
    )]
    SchemaVersion {
        /// Index directory.
        path: PathBuf,
        /// The version found, or a description such as "unknown".
        found: String,
        /// [`crate::SCHEMA_VERSION`].
        expected: u32,
    },

    /// There is no index in the directory.
    #[error("no search index at {path}; run `mailcite reindex` to build it from the archive")]
    Missing {
        /// Index directory.
        path: PathBuf,
    },

    /// The directory holds other files and no index: refusing to write there.
    #[error(
        "{path} is not empty and holds no search index; give mailcite an empty or \
         missing directory for the index"
    )]
    NotAnIndex {
        /// The directory.
        path: PathBuf,
    },

    /// Another writer holds the index lock.
    #[error(
        "the search index at {path} is being written by another process \
         (another import or reindex is running)"
    )]
    Locked {
        /// Index directory.
        path: PathBuf,
    },

    /// A file system error.
    #[error("search index at {path}: {source}")]
    Io {
        /// The file or directory concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },

    /// An error from the tantivy engine.
    #[error("search index at {path}: {source}")]
    Tantivy {
        /// Index directory.
        path: PathBuf,
        /// The underlying error.
        source: tantivy::TantivyError,
    },
}

/// This crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Adds the index directory to tantivy errors.
pub(crate) trait TantivyContext<T> {
    fn at(self, path: &std::path::Path) -> Result<T>;
}

impl<T> TantivyContext<T> for tantivy::Result<T> {
    fn at(self, path: &std::path::Path) -> Result<T> {
        self.map_err(|source| match source {
            tantivy::TantivyError::LockFailure(..) => Error::Locked {
                path: path.to_path_buf(),
            },
            source => Error::Tantivy {
                path: path.to_path_buf(),
                source,
            },
        })
    }
}

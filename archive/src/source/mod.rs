//! Containers of mail: finding them, detecting their format by content, and
//! splitting them into raw messages.
//!
//! A *container* is one file or one directory that holds messages: an mbox file,
//! a Maildir folder, an MH folder, or a single message file. Every container can
//! also be compressed (.gz, .xz, .bz2, .zst, recognized by magic bytes). The
//! [`discover`] walk turns the paths a user gives into containers and skipped
//! files; each container is then read by its splitter into [`RawMessage`]s.

pub mod compress;
pub mod detect;
pub mod discover;
pub mod files;
pub mod mbox;

use serde::Serialize;
use std::path::PathBuf;

/// The format of a container, as recorded in the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// An mbox file (see [`mbox::Variant`]).
    Mbox,
    /// An MMDF mailbox (messages between `^A^A^A^A` lines).
    Mmdf,
    /// A Maildir or Maildir++ folder.
    Maildir,
    /// An MH folder (numbered message files).
    Mh,
    /// One message in one file (`.eml`, or a file of any name in a
    /// one-message-per-file tree such as the Enron layout).
    Message,
    /// Apple Mail `.emlx`: a byte count line, the message, a property list.
    Emlx,
}

impl Format {
    /// The name stored in the catalog and printed in summaries.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Mbox => "mbox",
            Format::Mmdf => "mmdf",
            Format::Maildir => "maildir",
            Format::Mh => "mh",
            Format::Message => "message",
            Format::Emlx => "emlx",
        }
    }
}

/// One message as found in a container, before parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMessage {
    /// Position of the message in its container, from 0.
    pub index: u64,
    /// Byte offset of the message's first byte (its From_ line in an mbox) in
    /// the container's (decompressed) byte stream; 0 for single files.
    pub offset: u64,
    /// Number of container bytes the message occupies, including its From_
    /// line and separator.
    pub length: u64,
    /// The mbox From_ line without its line ending, kept as provenance.
    pub from_line: Option<Vec<u8>>,
    /// The message bytes: as the container holds them after the variant's
    /// un-escaping, without the From_ line, with the mbox separator newline
    /// removed, so that the same message hashes the same from mbox and .eml.
    pub bytes: Vec<u8>,
    /// Maildir flags (the letters after `:2,`), when from a Maildir.
    pub flags: Option<String>,
    /// Folder name within a Maildir++ or MH tree, when known.
    pub folder: Option<String>,
    /// Path of the file that held the message, when the container is a
    /// directory (Maildir, MH); `None` when it is the container itself.
    pub file: Option<PathBuf>,
    /// Problems the splitter noticed but worked around.
    pub warnings: Vec<String>,
}

/// A message the splitter found but could not read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SplitFailure {
    /// Position of the message in its container.
    pub index: u64,
    /// Byte offset in the container's byte stream.
    pub offset: u64,
    /// What was wrong, said for a reporter.
    pub reason: String,
}

/// What a splitter yields for each message it finds.
pub type SplitItem = std::result::Result<RawMessage, SplitFailure>;

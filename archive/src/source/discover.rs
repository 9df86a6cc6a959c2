//! Walking the paths a user names and turning them into containers.
//!
//! A directory with `cur/` or `new/` is a Maildir (its `.Name` subfolders are
//! Maildir++ folders); a directory with `.mh_sequences`, or whose files are
//! all numbered, is an MH folder; any other directory is walked, and each of
//! its files is classified by content: mbox and MMDF files become containers
//! of their own, single messages are grouped per directory (the Enron / CMU
//! one-message-per-file layout), and everything else is skipped with a reason.

use super::Format;
use super::compress::{self, Compression};
use super::detect::{self, Detected};
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// How many decompressed bytes are read to classify a file.
pub const DETECT_PREFIX: usize = 64 * 1024;

/// A file inside a directory container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirFile {
    /// The file.
    pub path: PathBuf,
    /// Folder name (Maildir++ or MH subfolder, or directory), when meaningful.
    pub folder: Option<String>,
    /// Maildir flags (letters after `:2,`); `Some("")` for messages in `new/`.
    pub flags: Option<String>,
    /// Size on disk.
    pub size: u64,
}

/// What kind of container a [`Container`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerKind {
    /// A file holding messages: mbox, MMDF or a single message.
    File {
        /// Detected format.
        format: Format,
        /// Detected compression.
        compression: Compression,
        /// Size on disk.
        size: u64,
    },
    /// A directory whose files are messages, one per file.
    Dir {
        /// [`Format::Maildir`], [`Format::Mh`] or [`Format::Message`].
        format: Format,
        /// The message files, in import order.
        files: Vec<DirFile>,
    },
}

/// A container found by [`discover`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    /// Absolute path of the file or directory.
    pub path: PathBuf,
    /// What it is.
    pub kind: ContainerKind,
    /// Identifies this state of the container: size and modification time of a
    /// file, or a hash of a directory's listing. An unchanged fingerprint means
    /// a completed container need not be read again.
    pub fingerprint: String,
}

impl Container {
    /// The container's format.
    pub fn format(&self) -> Format {
        match &self.kind {
            ContainerKind::File { format, .. } | ContainerKind::Dir { format, .. } => *format,
        }
    }

    /// Bytes on disk the container spans.
    pub fn size(&self) -> u64 {
        match &self.kind {
            ContainerKind::File { size, .. } => *size,
            ContainerKind::Dir { files, .. } => files.iter().map(|f| f.size).sum(),
        }
    }
}

/// A path that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    /// The file or directory.
    pub path: PathBuf,
    /// Why it is not mail, or could not be read.
    pub reason: String,
}

/// The result of walking the user's paths.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Containers to import, in a deterministic order.
    pub containers: Vec<Container>,
    /// Files that are not mail or could not be read.
    pub skipped: Vec<Skipped>,
}

/// A path given by the user that cannot be read at all: a fatal error.
#[derive(Debug)]
pub struct DiscoverError {
    /// The path.
    pub path: PathBuf,
    /// The error.
    pub error: std::io::Error,
}

/// Walks `paths` and classifies everything under them.
pub fn discover(paths: &[PathBuf]) -> Result<Discovery, DiscoverError> {
    let mut d = Discovery::default();
    for p in paths {
        let meta = fs::metadata(p).map_err(|error| DiscoverError {
            path: p.clone(),
            error,
        })?;
        let abs = fs::canonicalize(p).map_err(|error| DiscoverError {
            path: p.clone(),
            error,
        })?;
        if meta.is_dir() {
            let root_name = abs
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "/".into());
            visit_dir(&abs, &root_name, &mut d);
        } else {
            classify_file(&abs, meta.len(), &mut d, None);
        }
    }
    Ok(d)
}

fn mtime_ns(meta: &fs::Metadata) -> u128 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos())
        .unwrap_or(0)
}

/// Sorted entries of a directory; unreadable entries are reported as skipped.
fn entries(dir: &Path, d: &mut Discovery) -> Vec<(PathBuf, fs::Metadata, bool)> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => {
            d.skipped.push(Skipped {
                path: dir.to_path_buf(),
                reason: format!("cannot read directory: {e}"),
            });
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    for ent in rd {
        let ent = match ent {
            Ok(e) => e,
            Err(e) => {
                d.skipped.push(Skipped {
                    path: dir.to_path_buf(),
                    reason: format!("cannot list an entry: {e}"),
                });
                continue;
            }
        };
        let path = ent.path();
        let is_link = ent.file_type().map(|t| t.is_symlink()).unwrap_or(false);
        match fs::metadata(&path) {
            Ok(m) => out.push((path, m, is_link)),
            Err(e) => d.skipped.push(Skipped {
                path,
                reason: format!("cannot read: {e}"),
            }),
        }
    }
    out.sort_by(|a, b| a.0.as_os_str().cmp(b.0.as_os_str()));
    out
}

fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() || dir.join("new").is_dir()
}

fn is_numeric_name(p: &Path) -> Option<u64> {
    let n = p.file_name()?.to_str()?;
    if n.is_empty() || n.len() > 18 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

/// Maildir and MH bookkeeping files that are not messages.
fn bookkeeping_reason(name: &str) -> Option<&'static str> {
    match name {
        ".mh_sequences" | ".mh_profile" | ".xmhcache" | ".mh_lock" => Some("MH bookkeeping file"),
        "maildirfolder"
        | "maildirsize"
        | "courierimapkeywords"
        | "courierimapuiddb"
        | "courierimapacl"
        | "courierimapsubscribed"
        | "subscriptions" => Some("Maildir bookkeeping file"),
        ".DS_Store" | "Thumbs.db" | "desktop.ini" => Some("operating system metadata file"),
        _ if name.starts_with("dovecot") => Some("Dovecot index file"),
        _ => None,
    }
}

fn maildir_flags(name: &str) -> Option<String> {
    for sep in [":2,", "!2,", ";2,"] {
        if let Some(i) = name.rfind(sep) {
            return Some(name[i + sep.len()..].to_string());
        }
    }
    None
}

fn visit_dir(dir: &Path, folder: &str, d: &mut Discovery) {
    if is_maildir(dir) {
        visit_maildir(dir, folder, d);
        return;
    }
    let ents = entries(dir, d);
    let has_seq = dir.join(".mh_sequences").is_file();
    let regular: Vec<_> = ents.iter().filter(|(_, m, _)| m.is_file()).collect();
    let numeric = regular
        .iter()
        .filter(|(p, _, _)| is_numeric_name(p).is_some())
        .count();
    let others = regular
        .iter()
        .filter(|(p, _, _)| {
            is_numeric_name(p).is_none()
                && p.file_name()
                    .and_then(|n| n.to_str())
                    .and_then(bookkeeping_reason)
                    .is_none()
        })
        .count();
    let is_mh = numeric > 0 && (has_seq || others == 0);

    let mut loose: Vec<DirFile> = Vec::new();
    let mut mh: Vec<(u64, DirFile)> = Vec::new();
    for (path, meta, is_link) in &ents {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if meta.is_dir() {
            if *is_link {
                d.skipped.push(Skipped {
                    path: path.clone(),
                    reason: "symbolic link to a directory (not followed)".into(),
                });
            } else {
                visit_dir(path, &format!("{folder}/{name}"), d);
            }
            continue;
        }
        if !meta.is_file() {
            d.skipped.push(Skipped {
                path: path.clone(),
                reason: "not a regular file".into(),
            });
            continue;
        }
        if let Some(reason) = bookkeeping_reason(&name) {
            d.skipped.push(Skipped {
                path: path.clone(),
                reason: reason.into(),
            });
            continue;
        }
        if is_mh && let Some(n) = is_numeric_name(path) {
            mh.push((
                n,
                DirFile {
                    path: path.clone(),
                    folder: Some(folder.to_string()),
                    flags: None,
                    size: meta.len(),
                },
            ));
            continue;
        }
        classify_file(path, meta.len(), d, Some((&mut loose, folder)));
    }
    if !mh.is_empty() {
        mh.sort_by_key(|(n, _)| *n);
        push_dir(d, dir, Format::Mh, mh.into_iter().map(|(_, f)| f).collect());
    }
    if !loose.is_empty() {
        push_dir(d, dir, Format::Message, loose);
    }
}

fn visit_maildir(dir: &Path, folder: &str, d: &mut Discovery) {
    let mut files = Vec::new();
    for sub in ["cur", "new"] {
        let subdir = dir.join(sub);
        if !subdir.is_dir() {
            continue;
        }
        for (path, meta, _) in entries(&subdir, d) {
            if !meta.is_file() {
                d.skipped.push(Skipped {
                    path,
                    reason: "not a regular file inside a Maildir".into(),
                });
                continue;
            }
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if let Some(reason) = bookkeeping_reason(&name) {
                d.skipped.push(Skipped {
                    path,
                    reason: reason.into(),
                });
                continue;
            }
            let flags = if sub == "new" {
                Some(String::new())
            } else {
                Some(maildir_flags(&name).unwrap_or_default())
            };
            files.push(DirFile {
                path,
                folder: Some(folder.to_string()),
                flags,
                size: meta.len(),
            });
        }
    }
    let tmp = dir.join("tmp");
    if tmp.is_dir() {
        for (path, meta, _) in entries(&tmp, d) {
            if meta.is_file() {
                d.skipped.push(Skipped {
                    path,
                    reason: "in a Maildir tmp/ folder: a delivery in progress, not a delivered message; import it by naming the file if it matters".into(),
                });
            }
        }
    }
    if !files.is_empty() {
        push_dir(d, dir, Format::Maildir, files);
    }
    // Maildir++ subfolders (".Sent", ".Archive.2009") and any other subdirectory.
    for (path, meta, is_link) in entries(dir, d) {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if meta.is_dir() {
            if matches!(name.as_str(), "cur" | "new" | "tmp") {
                continue;
            }
            if is_link {
                d.skipped.push(Skipped {
                    path,
                    reason: "symbolic link to a directory (not followed)".into(),
                });
                continue;
            }
            let sub = name.strip_prefix('.').unwrap_or(&name).to_string();
            visit_dir(&path, &format!("{folder}/{sub}"), d);
        } else if meta.is_file() {
            if let Some(reason) = bookkeeping_reason(&name) {
                d.skipped.push(Skipped {
                    path,
                    reason: reason.into(),
                });
            } else {
                let mut loose = Vec::new();
                classify_file(&path, meta.len(), d, Some((&mut loose, folder)));
                if !loose.is_empty() {
                    // A loose message file beside cur/ and new/: keep it as its own container.
                    let f = loose.remove(0);
                    push_file(d, &f.path, Format::Message, Compression::None, f.size);
                }
            }
        }
    }
}

fn push_dir(d: &mut Discovery, dir: &Path, format: Format, files: Vec<DirFile>) {
    let mut h = Sha256::new();
    for f in &files {
        let mtime = fs::metadata(&f.path).map(|m| mtime_ns(&m)).unwrap_or(0);
        h.update(f.path.as_os_str().as_encoded_bytes());
        h.update(format!("\0{}\0{}\n", f.size, mtime).as_bytes());
    }
    let fp = crate::Digest::from_slice(&h.finalize())
        .map(|x| x.to_hex())
        .unwrap_or_default();
    d.containers.push(Container {
        path: dir.to_path_buf(),
        kind: ContainerKind::Dir { format, files },
        fingerprint: format!("dir:{fp}"),
    });
}

fn push_file(d: &mut Discovery, path: &Path, format: Format, compression: Compression, size: u64) {
    let mtime = fs::metadata(path).map(|m| mtime_ns(&m)).unwrap_or(0);
    d.containers.push(Container {
        path: path.to_path_buf(),
        kind: ContainerKind::File {
            format,
            compression,
            size,
        },
        fingerprint: format!("file:{size}:{mtime}"),
    });
}

/// Classifies one file. Single messages go to `group` when the file is inside
/// a walked directory, else become a container of their own.
fn classify_file(
    path: &Path,
    size: u64,
    d: &mut Discovery,
    group: Option<(&mut Vec<DirFile>, &str)>,
) {
    let (compression, prefix) = match compress::read_prefix(path, DETECT_PREFIX) {
        Ok(x) => x,
        Err(e) => {
            d.skipped.push(Skipped {
                path: path.to_path_buf(),
                reason: format!("cannot read: {e}"),
            });
            return;
        }
    };
    match detect::detect(&prefix) {
        Detected::Mail(Format::Message) => match group {
            Some((files, folder)) if compression == Compression::None => files.push(DirFile {
                path: path.to_path_buf(),
                folder: Some(folder.to_string()),
                flags: None,
                size,
            }),
            _ => push_file(d, path, Format::Message, compression, size),
        },
        Detected::Mail(format) => push_file(d, path, format, compression, size),
        Detected::NotMail(reason) => {
            let reason = if compression == Compression::None {
                reason
            } else {
                format!("{} compressed: {reason}", compression.as_str())
            };
            d.skipped.push(Skipped {
                path: path.to_path_buf(),
                reason,
            });
        }
    }
}

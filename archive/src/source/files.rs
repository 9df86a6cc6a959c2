//! Reading containers: one-message-per-file directories (Maildir, MH, loose
//! files), single message files, and dispatch to the mbox and MMDF splitters.

use super::compress::{self, ReadMeter};
use super::discover::{Container, ContainerKind, DirFile};
use super::mbox::{self, MboxReader, MmdfReader, Variant};
use super::{Format, RawMessage, SplitFailure, SplitItem};
use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// Largest message read from a single file; larger ones are reported as failed.
pub const MAX_FILE_MESSAGE: u64 = 1 << 30;

/// How many decompressed bytes of an mbox are examined to guess its variant.
pub const VARIANT_PREFIX: usize = 4 << 20;

/// An opened container, ready to yield its messages.
pub struct ContainerReader {
    /// The messages (or failures) in container order.
    pub items: Box<dyn Iterator<Item = SplitItem> + Send>,
    /// The mbox variant, for mbox containers.
    pub variant: Option<Variant>,
    /// Raw bytes read and their SHA-256, for file containers.
    pub meter: Option<ReadMeter>,
}

/// Opens a container. `variant` overrides mbox variant detection. `progress`
/// is advanced by every raw byte read. Messages over the default limits
/// ([`mbox::DEFAULT_MAX_MESSAGE_BYTES`], [`MAX_FILE_MESSAGE`]) are failures.
pub fn open_container(
    c: &Container,
    variant: Option<Variant>,
    progress: Arc<AtomicU64>,
) -> std::io::Result<ContainerReader> {
    open_container_with_limit(c, variant, progress, mbox::DEFAULT_MAX_MESSAGE_BYTES)
}

/// [`open_container`] with another message size limit: a message over
/// `max_message_bytes` (in any kind of container) becomes a failure naming
/// its size, and reading goes on with the next message.
pub fn open_container_with_limit(
    c: &Container,
    variant: Option<Variant>,
    progress: Arc<AtomicU64>,
    max_message_bytes: usize,
) -> std::io::Result<ContainerReader> {
    let max = max_message_bytes;
    match &c.kind {
        ContainerKind::File { format, .. } => {
            let opened = compress::open(&c.path, Some(progress))?;
            let meter = opened.meter.clone();
            match format {
                Format::Mbox => {
                    let v = match variant {
                        Some(v) => v,
                        None => {
                            let (_, prefix) = compress::read_prefix(&c.path, VARIANT_PREFIX)?;
                            mbox::detect_variant(&prefix)
                        }
                    };
                    Ok(ContainerReader {
                        items: Box::new(
                            MboxReader::new(opened.reader, v).with_max_message_bytes(max),
                        ),
                        variant: Some(v),
                        meter: Some(meter),
                    })
                }
                Format::Mmdf => Ok(ContainerReader {
                    items: Box::new(MmdfReader::new(opened.reader).with_max_message_bytes(max)),
                    variant: None,
                    meter: Some(meter),
                }),
                Format::Emlx => {
                    let item = read_single(opened.reader, 0, None, max).map(unwrap_emlx);
                    Ok(ContainerReader {
                        items: Box::new(std::iter::once(item)),
                        variant: None,
                        meter: Some(meter),
                    })
                }
                _ => {
                    let item = read_single(opened.reader, 0, None, max);
                    Ok(ContainerReader {
                        items: Box::new(std::iter::once(item)),
                        variant: None,
                        meter: Some(meter),
                    })
                }
            }
        }
        ContainerKind::Dir { files, .. } => Ok(ContainerReader {
            items: Box::new(DirReader {
                files: files.clone().into_iter().enumerate(),
                progress,
                max,
            }),
            variant: None,
            meter: None,
        }),
    }
}

/// Takes the message out of an .emlx file: the byte count line gives its
/// length; the property list after it is not part of the message.
fn unwrap_emlx(mut m: RawMessage) -> RawMessage {
    let nl = m
        .bytes
        .iter()
        .position(|&b| b == b'\n')
        .unwrap_or(m.bytes.len());
    let count: Option<usize> = std::str::from_utf8(&m.bytes[..nl])
        .ok()
        .and_then(|s| s.trim().parse().ok());
    let start = (nl + 1).min(m.bytes.len());
    let available = m.bytes.len() - start;
    let len = match count {
        Some(n) if n <= available => n,
        Some(n) => {
            m.warnings.push(format!(
                "emlx byte count {n} exceeds the {available} bytes present; kept what is there"
            ));
            available
        }
        None => available,
    };
    m.offset = start as u64;
    m.length = len as u64;
    m.bytes = m.bytes[start..start + len].to_vec();
    m
}

/// Reads a whole single-message stream of at most `max` bytes (and at most
/// [`MAX_FILE_MESSAGE`]); the bytes are kept exactly.
fn read_single(reader: impl Read, index: u64, file: Option<&DirFile>, max: usize) -> SplitItem {
    let max = (max as u64).min(MAX_FILE_MESSAGE);
    let mut bytes = Vec::new();
    match reader.take(max + 1).read_to_end(&mut bytes) {
        Ok(_) if bytes.len() as u64 > max => Err(SplitFailure {
            index,
            offset: 0,
            reason: format!("message is larger than the {} limit", size_text(max)),
        }),
        Ok(_) => Ok(RawMessage {
            index,
            offset: 0,
            length: bytes.len() as u64,
            from_line: None,
            bytes,
            flags: file.and_then(|f| f.flags.clone()),
            folder: file.and_then(|f| f.folder.clone()),
            file: file.map(|f| f.path.clone()),
            warnings: Vec::new(),
        }),
        Err(e) => Err(SplitFailure {
            index,
            offset: bytes.len() as u64,
            reason: match file {
                Some(f) => format!("{}: read error: {e}", f.path.display()),
                None => format!("read error: {e}"),
            },
        }),
    }
}

/// `n` bytes in MiB when a whole number of them, else in bytes.
fn size_text(n: u64) -> String {
    if n >= 1 << 20 && n.is_multiple_of(1 << 20) {
        format!("{} MiB", n >> 20)
    } else {
        format!("{n}-byte")
    }
}

struct DirReader {
    files: std::iter::Enumerate<std::vec::IntoIter<DirFile>>,
    progress: Arc<AtomicU64>,
    max: usize,
}

impl Iterator for DirReader {
    type Item = SplitItem;
    fn next(&mut self) -> Option<SplitItem> {
        let (i, f) = self.files.next()?;
        let index = i as u64;
        Some(read_dir_file(&f, index, &self.progress, self.max))
    }
}

fn read_dir_file(f: &DirFile, index: u64, progress: &AtomicU64, max: usize) -> SplitItem {
    let opened = match compress::open(&f.path, None) {
        Ok(o) => o,
        Err(e) => {
            return Err(SplitFailure {
                index,
                offset: 0,
                reason: format!("{}: cannot open: {e}", f.path.display()),
            });
        }
    };
    let item = read_single(opened.reader, index, Some(f), max);
    progress.fetch_add(f.size, Ordering::Relaxed);
    item
}

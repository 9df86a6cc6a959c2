//! The content-addressed object store: raw messages, zstd-compressed, in
//! append-only pack files.
//!
//! Messages are grouped into *blocks* of about [`BLOCK_TARGET`] bytes, each
//! compressed as one zstd frame (small messages compress far better together
//! than alone), and appended to `packs/NNNNNN.pack`. A block on disk is
//!
//! ```text
//! "MCB1" | count: u32 LE | ulen: u64 LE | clen: u64 LE | zstd frame (clen bytes)
//! ```
//!
//! and its decompressed content is, per message, `sha256 (32 bytes) | len: u64
//! LE | bytes`, so a pack can be read and verified without the catalog.
//!
//! Crash safety: blocks are appended and the pack is fsynced *before* the
//! catalog transaction that references them commits, and the catalog records
//! each pack's committed length. On the next write, anything past that length
//! (left by a killed import) is cut off. An object therefore never looks
//! complete unless its bytes are durably on disk.

use crate::digest::Digest;
use crate::error::{Error, Result};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Uncompressed size at which a block is closed.
pub const BLOCK_TARGET: usize = 64 * 1024;
/// Pack files are closed once they reach this size.
pub const PACK_LIMIT: u64 = 1 << 30;
/// zstd level for blocks.
pub const LEVEL: i32 = 3;
/// Magic bytes that start every pack file.
pub const PACK_MAGIC: &[u8; 16] = b"MAILCITE-PACK-1\n";
const BLOCK_MAGIC: &[u8; 4] = b"MCB1";
/// Bytes of the header before each block's compressed frame in a pack.
pub const BLOCK_HEADER: u64 = 24;
/// Per-message header inside a decompressed block.
const ENTRY_HEADER: usize = 40;

/// Where a block lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockLocation {
    /// Pack number.
    pub pack: u32,
    /// Byte offset of the block header in the pack.
    pub offset: u64,
    /// Compressed length (excluding the header).
    pub clen: u64,
    /// Decompressed length.
    pub ulen: u64,
}

/// Where a message lives: its block and its range in the decompressed block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObjectLocation {
    /// The block.
    pub block: BlockLocation,
    /// Offset of the message bytes in the decompressed block.
    pub inner_offset: u64,
    /// Message length.
    pub len: u64,
}

/// A block compressed and ready to append.
pub struct PreparedBlock {
    frame: Vec<u8>,
    ulen: u64,
    count: u32,
    /// For each message in the block: its digest, inner offset and length.
    pub entries: Vec<(Digest, u64, u64)>,
}

/// Packs `messages` into one block and compresses it (CPU only, no I/O:
/// callers run this in parallel).
pub fn prepare_block(messages: &[(Digest, &[u8])]) -> std::io::Result<PreparedBlock> {
    let total: usize = messages.iter().map(|(_, b)| b.len() + ENTRY_HEADER).sum();
    let mut plain = Vec::with_capacity(total);
    let mut entries = Vec::with_capacity(messages.len());
    for (d, b) in messages {
        plain.extend_from_slice(d.as_bytes());
        plain.extend_from_slice(&(b.len() as u64).to_le_bytes());
        entries.push((*d, plain.len() as u64, b.len() as u64));
        plain.extend_from_slice(b);
    }
    let frame = zstd::bulk::compress(&plain, LEVEL)?;
    Ok(PreparedBlock {
        frame,
        ulen: plain.len() as u64,
        count: messages.len() as u32,
        entries,
    })
}

/// Read access to the packs of an archive.
#[derive(Debug, Clone)]
pub struct Store {
    dir: PathBuf,
}

impl Store {
    /// The store in `dir` (the archive's `packs/` directory), created if missing.
    pub fn open(dir: &Path) -> Result<Store> {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        Ok(Store {
            dir: dir.to_path_buf(),
        })
    }

    /// The store in `dir` without creating anything (read-only use).
    pub fn open_existing(dir: &Path) -> Store {
        Store {
            dir: dir.to_path_buf(),
        }
    }

    /// Path of pack `n`.
    pub fn pack_path(&self, n: u32) -> PathBuf {
        self.dir.join(format!("{n:06}.pack"))
    }

    /// Reads and decompresses a whole block.
    pub fn read_block(&self, b: &BlockLocation) -> Result<Vec<u8>> {
        let path = self.pack_path(b.pack);
        let mut f = File::open(&path).map_err(|e| Error::io(&path, e))?;
        f.seek(SeekFrom::Start(b.offset))
            .map_err(|e| Error::io(&path, e))?;
        let mut header = [0u8; BLOCK_HEADER as usize];
        f.read_exact(&mut header).map_err(|e| Error::io(&path, e))?;
        let bad = |why: &str| Error::Object {
            id: format!("block at {}:{}", path.display(), b.offset),
            reason: why.to_string(),
        };
        if &header[..4] != BLOCK_MAGIC {
            return Err(bad("no block header at the recorded offset"));
        }
        let ulen = u64::from_le_bytes(header[8..16].try_into().unwrap_or_default());
        let clen = u64::from_le_bytes(header[16..24].try_into().unwrap_or_default());
        if ulen != b.ulen || clen != b.clen {
            return Err(bad("block header does not match the catalog"));
        }
        let mut frame = vec![0u8; clen as usize];
        f.read_exact(&mut frame).map_err(|e| Error::io(&path, e))?;
        let plain = zstd::bulk::decompress(&frame, ulen as usize)
            .map_err(|e| bad(&format!("cannot decompress: {e}")))?;
        if plain.len() as u64 != ulen {
            return Err(bad("decompressed length differs"));
        }
        Ok(plain)
    }

    /// Reads one message and checks that it re-hashes to `id`.
    pub fn read(&self, id: &Digest, loc: &ObjectLocation) -> Result<Vec<u8>> {
        let block = self.read_block(&loc.block)?;
        extract(&block, id, loc)
    }

    /// Starts appending. `committed` gives each pack's committed length from the
    /// catalog; bytes beyond it (from an interrupted import) are removed.
    pub fn writer(&self, committed: &[(u32, u64)]) -> Result<PackWriter> {
        let last = self.clean(committed)?;
        PackWriter::open(self.clone(), last.0, last.1)
    }

    /// Like [`Store::writer`], but appends to a new pack after the last
    /// committed one, so that nothing is written into a damaged pack (used
    /// by `verify --repair`).
    pub fn fresh_writer(&self, committed: &[(u32, u64)]) -> Result<PackWriter> {
        let last = self.clean(committed)?;
        let next = if committed.is_empty() { 1 } else { last.0 + 1 };
        PackWriter::open(self.clone(), next, 0)
    }

    /// Removes uncommitted bytes and packs; returns the last committed pack
    /// and its length.
    fn clean(&self, committed: &[(u32, u64)]) -> Result<(u32, u64)> {
        let mut last = (1u32, PACK_MAGIC.len() as u64);
        for &(n, len) in committed {
            let path = self.pack_path(n);
            if let Ok(meta) = fs::metadata(&path)
                && meta.len() > len
            {
                let f = OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .map_err(|e| Error::io(&path, e))?;
                f.set_len(len).map_err(|e| Error::io(&path, e))?;
                f.sync_all().map_err(|e| Error::io(&path, e))?;
            }
            if n >= last.0 {
                last = (n, len);
            }
        }
        // A pack past the last committed one can only be left by a crash.
        let mut n = last.0 + 1;
        while self.pack_path(n).exists() {
            let p = self.pack_path(n);
            fs::remove_file(&p).map_err(|e| Error::io(&p, e))?;
            n += 1;
        }
        Ok(last)
    }
}

/// Takes one message out of a decompressed block and verifies its hash.
pub fn extract(block: &[u8], id: &Digest, loc: &ObjectLocation) -> Result<Vec<u8>> {
    let bad = |why: &str| Error::Object {
        id: id.to_hex(),
        reason: why.to_string(),
    };
    let start = loc.inner_offset as usize;
    let end = start
        .checked_add(loc.len as usize)
        .ok_or_else(|| bad("bad length"))?;
    if start < ENTRY_HEADER || end > block.len() {
        return Err(bad("location outside its block"));
    }
    let stored = &block[start - ENTRY_HEADER..start - 8];
    if stored != id.as_bytes() {
        return Err(bad("block entry names another object"));
    }
    let bytes = &block[start..end];
    if Digest::of(bytes) != *id {
        return Err(bad("stored bytes do not re-hash to the message id"));
    }
    Ok(bytes.to_vec())
}

/// Iterates over the entries of a decompressed block: digest, inner offset, bytes.
pub fn block_entries(block: &[u8]) -> impl Iterator<Item = (Option<Digest>, u64, &[u8])> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        if pos + ENTRY_HEADER > block.len() {
            return None;
        }
        let d = Digest::from_slice(&block[pos..pos + 32]);
        let len = u64::from_le_bytes(block[pos + 32..pos + 40].try_into().ok()?) as usize;
        let start = pos + ENTRY_HEADER;
        let end = start.checked_add(len)?.min(block.len());
        pos = end;
        Some((d, start as u64, &block[start..end]))
    })
}

/// Appends blocks to the current pack.
pub struct PackWriter {
    store: Store,
    pack: u32,
    file: File,
    len: u64,
    dirty: bool,
}

impl PackWriter {
    fn open(store: Store, pack: u32, committed_len: u64) -> Result<PackWriter> {
        let path = store.pack_path(pack);
        let mut file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        let mut len = file.metadata().map_err(|e| Error::io(&path, e))?.len();
        if len == 0 {
            file.write_all(PACK_MAGIC)
                .map_err(|e| Error::io(&path, e))?;
            len = PACK_MAGIC.len() as u64;
        } else if len < committed_len {
            return Err(Error::Object {
                id: path.display().to_string(),
                reason: format!(
                    "pack is {len} bytes but the catalog says {committed_len} were committed: objects are missing; run `mailcite verify`"
                ),
            });
        }
        Ok(PackWriter {
            store,
            pack,
            file,
            len,
            dirty: true,
        })
    }

    /// Appends a block; returns where it went.
    pub fn append(&mut self, b: &PreparedBlock) -> Result<BlockLocation> {
        if self.len > PACK_MAGIC.len() as u64 && self.len + b.frame.len() as u64 > PACK_LIMIT {
            self.sync()?;
            let next = self.pack + 1;
            *self = PackWriter::open(self.store.clone(), next, 0)?;
        }
        let path = self.store.pack_path(self.pack);
        let mut header = Vec::with_capacity(BLOCK_HEADER as usize);
        header.extend_from_slice(BLOCK_MAGIC);
        header.extend_from_slice(&b.count.to_le_bytes());
        header.extend_from_slice(&b.ulen.to_le_bytes());
        header.extend_from_slice(&(b.frame.len() as u64).to_le_bytes());
        self.file
            .write_all(&header)
            .and_then(|_| self.file.write_all(&b.frame))
            .map_err(|e| Error::io(&path, e))?;
        let loc = BlockLocation {
            pack: self.pack,
            offset: self.len,
            clen: b.frame.len() as u64,
            ulen: b.ulen,
        };
        self.len += BLOCK_HEADER + b.frame.len() as u64;
        self.dirty = true;
        Ok(loc)
    }

    /// Makes everything appended so far durable; returns `(pack, length)` to
    /// record in the catalog as committed.
    pub fn sync(&mut self) -> Result<(u32, u64)> {
        if self.dirty {
            let path = self.store.pack_path(self.pack);
            self.file.sync_data().map_err(|e| Error::io(&path, e))?;
            self.dirty = false;
        }
        Ok((self.pack, self.len))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_read_and_truncate_garbage() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let a = b"Subject: a\n\nalpha\n".to_vec();
        let b = b"Subject: b\n\nbeta\n".to_vec();
        let (da, db) = (Digest::of(&a), Digest::of(&b));
        let mut w = store.writer(&[]).unwrap();
        let pb = prepare_block(&[(da, &a), (db, &b)]).unwrap();
        let loc = w.append(&pb).unwrap();
        let (pack, len) = w.sync().unwrap();
        let la = ObjectLocation {
            block: loc,
            inner_offset: pb.entries[0].1,
            len: pb.entries[0].2,
        };
        let lb = ObjectLocation {
            block: loc,
            inner_offset: pb.entries[1].1,
            len: pb.entries[1].2,
        };
        assert_eq!(store.read(&da, &la).unwrap(), a);
        assert_eq!(store.read(&db, &lb).unwrap(), b);
        assert!(store.read(&db, &la).is_err(), "wrong id must not verify");
        // An uncommitted append (a crash before the catalog commit) is cut off.
        let pc = prepare_block(&[(da, &a)]).unwrap();
        w.append(&pc).unwrap();
        drop(w);
        let before = fs::metadata(store.pack_path(pack)).unwrap().len();
        assert!(before > len);
        let _w = store.writer(&[(pack, len)]).unwrap();
        assert_eq!(fs::metadata(store.pack_path(pack)).unwrap().len(), len);
        let block = store.read_block(&loc).unwrap();
        let ents: Vec<_> = block_entries(&block).collect();
        assert_eq!(ents.len(), 2);
        assert_eq!(ents[1].0, Some(db));
    }

    #[test]
    fn flipped_byte_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        let a = b"Subject: a\n\nalpha\n".repeat(100);
        let da = Digest::of(&a);
        let mut w = store.writer(&[]).unwrap();
        let pb = prepare_block(&[(da, &a)]).unwrap();
        let loc = w.append(&pb).unwrap();
        w.sync().unwrap();
        let la = ObjectLocation {
            block: loc,
            inner_offset: pb.entries[0].1,
            len: pb.entries[0].2,
        };
        let path = store.pack_path(loc.pack);
        let mut bytes = fs::read(&path).unwrap();
        let i = (loc.offset + BLOCK_HEADER + 8) as usize;
        bytes[i] ^= 0x40;
        fs::write(&path, &bytes).unwrap();
        assert!(store.read(&da, &la).is_err());
    }
}

//! Transparent decompression of .gz, .xz, .bz2 and .zst containers, detected
//! by their magic bytes (never by file name alone), and hashing of the bytes
//! read from disk so every source file gets a SHA-256 for provenance.

use sha2::{Digest as _, Sha256};
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// A compression layer recognized by magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Compression {
    /// Not compressed.
    None,
    /// gzip (RFC 1952), possibly several members.
    Gzip,
    /// xz / LZMA2.
    Xz,
    /// bzip2.
    Bzip2,
    /// Zstandard.
    Zstd,
}

impl Compression {
    /// Detects a compression format from the first bytes of a file.
    pub fn sniff(prefix: &[u8]) -> Compression {
        if prefix.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if prefix.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0x00]) {
            Compression::Xz
        } else if prefix.starts_with(b"BZh") && prefix.len() >= 4 && prefix[3].is_ascii_digit() {
            Compression::Bzip2
        } else if prefix.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }

    /// The name stored in the catalog (`none`, `gzip`, `xz`, `bzip2`, `zstd`).
    pub fn as_str(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Xz => "xz",
            Compression::Bzip2 => "bzip2",
            Compression::Zstd => "zstd",
        }
    }
}

/// Counts and hashes the raw (on-disk) bytes of a source file as they are read.
#[derive(Clone, Default)]
pub struct ReadMeter {
    /// Raw bytes read so far from the file, shared with progress reporting.
    pub bytes: Arc<AtomicU64>,
    hasher: Arc<std::sync::Mutex<Sha256>>,
}

impl ReadMeter {
    /// The SHA-256 of all raw bytes read so far, in hex.
    pub fn sha256_hex(&self) -> String {
        let h = match self.hasher.lock() {
            Ok(h) => h.clone(),
            Err(p) => p.into_inner().clone(),
        };
        crate::Digest::from_slice(&h.finalize())
            .map(|d| d.to_hex())
            .unwrap_or_default()
    }
}

struct MeteredFile {
    file: File,
    meter: ReadMeter,
    global: Option<Arc<AtomicU64>>,
}

impl Read for MeteredFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        if n > 0 {
            self.meter.bytes.fetch_add(n as u64, Ordering::Relaxed);
            if let Some(g) = &self.global {
                g.fetch_add(n as u64, Ordering::Relaxed);
            }
            match self.meter.hasher.lock() {
                Ok(mut h) => h.update(&buf[..n]),
                Err(p) => p.into_inner().update(&buf[..n]),
            }
        }
        Ok(n)
    }
}

/// An opened source file: its decompressed byte stream and what it was.
pub struct Opened {
    /// The decompressed bytes.
    pub reader: Box<dyn BufRead + Send>,
    /// The compression layer that was removed.
    pub compression: Compression,
    /// Size and SHA-256 of the raw file bytes read so far.
    pub meter: ReadMeter,
}

/// Opens `path`, sniffs its compression and returns a buffered reader of the
/// decompressed bytes. `global` (if given) is advanced by every raw byte read,
/// for progress bars.
pub fn open(path: &Path, global: Option<Arc<AtomicU64>>) -> io::Result<Opened> {
    let mut file = File::open(path)?;
    let mut magic = [0u8; 6];
    let mut got = 0;
    while got < magic.len() {
        let n = file.read(&mut magic[got..])?;
        if n == 0 {
            break;
        }
        got += n;
    }
    let compression = Compression::sniff(&magic[..got]);
    let file = File::open(path)?;
    let meter = ReadMeter::default();
    let raw = BufReader::with_capacity(
        256 * 1024,
        MeteredFile {
            file,
            meter: meter.clone(),
            global,
        },
    );
    let reader: Box<dyn BufRead + Send> = match compression {
        Compression::None => Box::new(raw),
        Compression::Gzip => Box::new(BufReader::with_capacity(
            256 * 1024,
            flate2::bufread::MultiGzDecoder::new(raw),
        )),
        Compression::Xz => Box::new(BufReader::with_capacity(
            256 * 1024,
            liblzma::bufread::XzDecoder::new_multi_decoder(raw),
        )),
        Compression::Bzip2 => Box::new(BufReader::with_capacity(
            256 * 1024,
            bzip2::bufread::MultiBzDecoder::new(raw),
        )),
        Compression::Zstd => Box::new(BufReader::with_capacity(
            256 * 1024,
            zstd::stream::read::Decoder::with_buffer(raw)?,
        )),
    };
    Ok(Opened {
        reader,
        compression,
        meter,
    })
}

/// Reads up to `n` decompressed bytes from the start of `path` (for format
/// detection). Decompression errors after some bytes were read are ignored:
/// the prefix is what matters.
pub fn read_prefix(path: &Path, n: usize) -> io::Result<(Compression, Vec<u8>)> {
    let opened = open(path, None)?;
    let mut buf = Vec::with_capacity(n.min(1 << 20));
    let mut r = opened.reader.take(n as u64);
    let mut chunk = [0u8; 8192];
    loop {
        match r.read(&mut chunk) {
            Ok(0) => break,
            Ok(k) => buf.extend_from_slice(&chunk[..k]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                if buf.is_empty() {
                    return Err(e);
                }
                break;
            }
        }
    }
    Ok((opened.compression, buf))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn each_compression_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let data = b"From a@example.org Mon Jul 13 10:11:12 2009\nSubject: hi\n\nbody\n".repeat(50);
        let mut cases: Vec<(&str, Vec<u8>, Compression)> =
            vec![("plain", data.clone(), Compression::None)];
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&data).unwrap();
        cases.push(("gz", gz.finish().unwrap(), Compression::Gzip));
        let mut xz = liblzma::write::XzEncoder::new(Vec::new(), 6);
        xz.write_all(&data).unwrap();
        cases.push(("xz", xz.finish().unwrap(), Compression::Xz));
        let mut bz = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
        bz.write_all(&data).unwrap();
        cases.push(("bz2", bz.finish().unwrap(), Compression::Bzip2));
        cases.push((
            "zst",
            zstd::encode_all(&data[..], 3).unwrap(),
            Compression::Zstd,
        ));
        for (name, bytes, want) in cases {
            // Names deliberately say nothing: detection is by content.
            let p = dir.path().join(format!("box-{name}"));
            std::fs::write(&p, &bytes).unwrap();
            let mut o = open(&p, None).unwrap();
            assert_eq!(o.compression, want, "{name}");
            let mut out = Vec::new();
            o.reader.read_to_end(&mut out).unwrap();
            assert_eq!(out, data, "{name}");
            assert_eq!(o.meter.bytes.load(Ordering::Relaxed), bytes.len() as u64);
            assert_eq!(o.meter.sha256_hex(), crate::Digest::of(&bytes).to_hex());
        }
    }
}

//! An archive directory: version marker, catalog, packs, index, lock.
//!
//! ```text
//! ARCHIVE/
//!   mailcite-archive.json   format marker and version
//!   catalog.sqlite          the catalog (plus -wal/-shm while in use)
//!   packs/000001.pack       the object store
//!   index/                  the search index (derived; `mailcite reindex`)
//!   lock                    held by the one process writing
//! ```

use crate::catalog::{Catalog, MessageRow};
use crate::error::{Error, Result};
use crate::store::Store;
use fs4::fs_std::FileExt;
use serde::{Deserialize, Serialize};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Version of the archive layout (marker file, packs) this build reads and writes.
pub const ARCHIVE_VERSION: u32 = 1;
/// Name of the marker file.
pub const MARKER: &str = "mailcite-archive.json";
/// Default archive directory, relative to the current directory.
pub const DEFAULT_DIR: &str = "mailcite-archive";

#[derive(Serialize, Deserialize)]
struct Marker {
    format: String,
    version: u32,
    created: String,
    created_by: String,
}

/// An open archive.
pub struct Archive {
    dir: PathBuf,
    /// The catalog.
    pub catalog: Catalog,
    /// The object store.
    pub store: Store,
    _lock: Option<File>,
}

/// How to open an archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Read only; the archive must exist.
    Read,
    /// Read and write under the exclusive lock; created if missing.
    Write,
}

impl Archive {
    /// Opens (or, for [`Mode::Write`], creates) the archive in `dir`.
    pub fn open(dir: &Path, mode: Mode) -> Result<Archive> {
        let marker = dir.join(MARKER);
        if !marker.exists() {
            if mode == Mode::Read {
                if dir.exists() {
                    return Err(Error::NotAnArchive {
                        path: dir.to_path_buf(),
                        marker: MARKER,
                    });
                }
                return Err(Error::NotFound(format!(
                    "no archive at {}; import mail first with `mailcite import PATH`, or pass --archive DIR",
                    dir.display()
                )));
            }
            Self::create(dir)?;
        }
        let text = fs::read_to_string(&marker).map_err(|e| Error::io(&marker, e))?;
        let m: Marker = serde_json::from_str(&text).map_err(|_| Error::NotAnArchive {
            path: dir.to_path_buf(),
            marker: MARKER,
        })?;
        if m.format != "mailcite-archive" {
            return Err(Error::NotAnArchive {
                path: dir.to_path_buf(),
                marker: MARKER,
            });
        }
        if m.version != ARCHIVE_VERSION {
            return Err(Error::UnsupportedVersion {
                path: dir.to_path_buf(),
                found: m.version.to_string(),
                supported: ARCHIVE_VERSION,
            });
        }
        let lock = if mode == Mode::Write {
            let lp = dir.join("lock");
            let mut f = OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .read(true)
                .open(&lp)
                .map_err(|e| Error::io(&lp, e))?;
            match FileExt::try_lock_exclusive(&f) {
                Ok(true) => {}
                Ok(false) => {
                    return Err(Error::Locked {
                        path: dir.to_path_buf(),
                        lock: lp,
                    });
                }
                Err(e) => return Err(Error::io(&lp, e)),
            }
            let _ = f.set_len(0);
            let _ = writeln!(f, "{}", std::process::id());
            Some(f)
        } else {
            None
        };
        let catalog = Catalog::open(
            &dir.join("catalog.sqlite"),
            mode == Mode::Write,
            mode == Mode::Read,
        )?;
        let store = if mode == Mode::Write {
            Store::open(&dir.join("packs"))?
        } else {
            Store::open_existing(&dir.join("packs"))
        };
        Ok(Archive {
            dir: dir.to_path_buf(),
            catalog,
            store,
            _lock: lock,
        })
    }

    fn create(dir: &Path) -> Result<()> {
        fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let nonempty = fs::read_dir(dir)
            .map_err(|e| Error::io(dir, e))?
            .next()
            .is_some();
        if nonempty {
            return Err(Error::NotAnArchive {
                path: dir.to_path_buf(),
                marker: MARKER,
            });
        }
        let m = Marker {
            format: "mailcite-archive".into(),
            version: ARCHIVE_VERSION,
            created: crate::catalog::now_rfc3339(),
            created_by: format!("mailcite {}", env!("CARGO_PKG_VERSION")),
        };
        let text = serde_json::to_string_pretty(&m).unwrap_or_default();
        write_atomic(&dir.join(MARKER), text.as_bytes())
    }

    /// The archive directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The directory of the derived search index.
    pub fn index_dir(&self) -> PathBuf {
        self.dir.join("index")
    }

    /// Reads a message's raw bytes, verified against its id.
    pub fn raw(&self, m: &MessageRow) -> Result<Vec<u8>> {
        self.store.read(&m.id, &m.location)
    }

    /// Loads a message row by key.
    pub fn message(&self, key: i64) -> Result<MessageRow> {
        self.catalog
            .message(key)?
            .ok_or_else(|| Error::NotFound(format!("no message with key {key}")))
    }

    /// Resolves a reference (id, prefix, Message-ID) and loads the message.
    pub fn lookup(&self, reference: &str) -> Result<MessageRow> {
        let key = self.catalog.resolve(reference)?;
        self.message(key)
    }

    /// Bytes on disk of the packs, the catalog and the index.
    pub fn disk_usage(&self) -> DiskUsage {
        DiskUsage {
            packs: dir_size(&self.dir.join("packs")),
            catalog: ["catalog.sqlite", "catalog.sqlite-wal"]
                .iter()
                .map(|f| fs::metadata(self.dir.join(f)).map(|m| m.len()).unwrap_or(0))
                .sum(),
            index: dir_size(&self.index_dir()),
        }
    }
}

/// Sizes on disk, in bytes.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct DiskUsage {
    /// Object store packs.
    pub packs: u64,
    /// SQLite catalog.
    pub catalog: u64,
    /// Search index.
    pub index: u64,
}

fn dir_size(p: &Path) -> u64 {
    walkdir::WalkDir::new(p)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter_map(|e| e.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum()
}

/// Writes `bytes` to `path` atomically: a temporary file in the same
/// directory, fsync, rename, fsync of the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| Error::io(dir, e))?;
    tmp.write_all(bytes).map_err(|e| Error::io(path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(0o644))
            .map_err(|e| Error::io(path, e))?;
    }
    tmp.as_file().sync_all().map_err(|e| Error::io(path, e))?;
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

//! Integrity checks: every stored object re-hashes to its id, and every
//! pack the catalog relies on is whole.

use crate::archive::Archive;
use crate::digest::Digest;
use crate::error::Result;
use crate::store::{self, BlockLocation, ObjectLocation};
use rusqlite::params;
use serde::Serialize;

/// One integrity problem, with the message's provenance.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Problem {
    /// The message id (SHA-256 hex), when the problem is about a message.
    pub id: Option<String>,
    /// Message-ID header, when known.
    pub message_id: Option<String>,
    /// What is wrong.
    pub problem: String,
    /// Where copies of the message came from (`path#index@offset`).
    pub occurrences: Vec<String>,
}

/// The result of [`verify`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    /// Objects checked.
    pub objects: u64,
    /// Objects that re-hashed correctly.
    pub ok: u64,
    /// Problems found.
    pub problems: Vec<Problem>,
}

/// Re-reads and re-hashes every stored message. `progress` is called with
/// the number of objects checked so far.
pub fn verify(archive: &Archive, progress: &mut dyn FnMut(u64)) -> Result<VerifyReport> {
    let mut report = VerifyReport::default();
    let conn = archive.catalog.conn();
    let e = |source| crate::Error::Catalog {
        path: archive.catalog.path().to_path_buf(),
        source,
    };
    for (pack, len) in archive.catalog.committed_packs()? {
        let p = archive.store.pack_path(pack);
        match std::fs::metadata(&p) {
            Ok(m) if m.len() >= len => {}
            Ok(m) => report.problems.push(Problem {
                id: None,
                message_id: None,
                problem: format!(
                    "pack {} is {} bytes, but {} bytes were committed: it was truncated",
                    p.display(),
                    m.len(),
                    len
                ),
                occurrences: Vec::new(),
            }),
            Err(err) => report.problems.push(Problem {
                id: None,
                message_id: None,
                problem: format!("pack {} is missing: {err}", p.display()),
                occurrences: Vec::new(),
            }),
        }
    }
    let mut st = conn
        .prepare(
            "SELECT b.id, b.pack, b.offset, b.clen, b.ulen, m.id, m.sha256, m.inner_offset, m.size, m.message_id
             FROM blocks b JOIN messages m ON m.block = b.id ORDER BY b.id, m.inner_offset",
        )
        .map_err(e)?;
    let mut rows = st.query([]).map_err(e)?;
    let mut current: Option<(i64, std::result::Result<Vec<u8>, String>)> = None;
    while let Some(r) = rows.next().map_err(e)? {
        let block_id: i64 = r.get(0).map_err(e)?;
        let loc = BlockLocation {
            pack: r.get(1).map_err(e)?,
            offset: r.get(2).map_err(e)?,
            clen: r.get(3).map_err(e)?,
            ulen: r.get(4).map_err(e)?,
        };
        let key: i64 = r.get(5).map_err(e)?;
        let sha: Vec<u8> = r.get(6).map_err(e)?;
        let inner: u64 = r.get(7).map_err(e)?;
        let size: u64 = r.get(8).map_err(e)?;
        let message_id: Option<String> = r.get(9).map_err(e)?;
        if current.as_ref().map(|c| c.0) != Some(block_id) {
            let data = archive.store.read_block(&loc).map_err(|x| x.to_string());
            current = Some((block_id, data));
        }
        report.objects += 1;
        let id = Digest::from_slice(&sha).unwrap_or(Digest([0; 32]));
        let outcome = match current.as_ref().map(|c| &c.1) {
            Some(Ok(block)) => store::extract(
                block,
                &id,
                &ObjectLocation {
                    block: loc,
                    inner_offset: inner,
                    len: size,
                },
            )
            .map(|_| ())
            .map_err(|x| x.to_string()),
            Some(Err(why)) => Err(why.clone()),
            None => Err("internal: no block".into()),
        };
        match outcome {
            Ok(()) => report.ok += 1,
            Err(why) => report.problems.push(Problem {
                id: Some(id.to_hex()),
                message_id,
                problem: why,
                occurrences: occurrence_labels(archive, key)?,
            }),
        }
        if report.objects % 1000 == 0 {
            progress(report.objects);
        }
    }
    progress(report.objects);
    Ok(report)
}

fn occurrence_labels(archive: &Archive, key: i64) -> Result<Vec<String>> {
    Ok(archive
        .catalog
        .occurrences(key)?
        .into_iter()
        .map(|o| match o.file {
            Some(f) => f,
            None => format!("{}#{}@{}", o.source, o.index, o.offset),
        })
        .collect())
}

/// Number of messages in the catalog (for progress bars).
pub fn object_count(archive: &Archive) -> Result<u64> {
    archive
        .catalog
        .conn()
        .query_row("SELECT count(*) FROM messages", params![], |r| r.get(0))
        .map_err(|source| crate::Error::Catalog {
            path: archive.catalog.path().to_path_buf(),
            source,
        })
}

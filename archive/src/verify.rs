//! Integrity checks: every stored object re-hashes to its id, every pack the
//! catalog relies on is whole, catalog and store agree (nothing missing,
//! nothing extra), and [`repair`] re-reads lost objects from their sources.
//! (Agreement with the search index is checked by the binary, which owns
//! the index.)

use crate::archive::Archive;
use crate::digest::Digest;
use crate::error::Result;
use crate::store::{self, BlockLocation, ObjectLocation};
use rusqlite::params;
use serde::Serialize;

/// One integrity problem, with the message's provenance.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Problem {
    /// What kind of problem: `altered` (an object no longer hashes to its
    /// id), `missing` (an object, block or pack is gone), `truncated` (a
    /// pack is shorter than committed), `extra` (stored data or rows that
    /// nothing refers to), `dangling` (a row that refers to nothing),
    /// `index-missing`, `index-extra` (the search index disagrees).
    pub kind: String,
    /// The message id (SHA-256 hex), when the problem is about a message.
    pub id: Option<String>,
    /// Catalog key of the message, when the problem is about a message.
    #[serde(skip)]
    pub key: Option<i64>,
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
                kind: "truncated".into(),
                id: None,
                key: None,
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
                kind: "missing".into(),
                id: None,
                key: None,
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
    let mut current: Option<(i64, std::result::Result<Vec<u8>, Failure>)> = None;
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
            let data = archive.store.read_block(&loc).map_err(describe);
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
            .map_err(describe),
            Some(Err(why)) => Err(why.clone()),
            None => Err(("missing", "internal: no block".into())),
        };
        match outcome {
            Ok(()) => report.ok += 1,
            Err((kind, why)) => report.problems.push(Problem {
                kind: kind.into(),
                id: Some(id.to_hex()),
                key: Some(key),
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
    consistency(archive, &mut report)?;
    Ok(report)
}

/// A problem kind and its description.
type Failure = (&'static str, String);

/// An error reading an object as a problem kind and text: the file is gone
/// or too short (`missing`), or its bytes changed (`altered`).
fn describe(e: crate::Error) -> Failure {
    let kind = match &e {
        crate::Error::Io { .. } => "missing",
        _ => "altered",
    };
    (kind, e.to_string())
}

/// Catalog rows that refer to nothing, and stored data nothing refers to.
fn consistency(archive: &Archive, report: &mut VerifyReport) -> Result<()> {
    let conn = archive.catalog.conn();
    let e = |source| crate::Error::Catalog {
        path: archive.catalog.path().to_path_buf(),
        source,
    };
    // Messages whose block row is gone (the join above skips them).
    let mut st = conn
        .prepare(
            "SELECT m.id, m.sha256, m.message_id, m.block FROM messages m
             WHERE NOT EXISTS (SELECT 1 FROM blocks b WHERE b.id = m.block)",
        )
        .map_err(e)?;
    let rows: Vec<(i64, Vec<u8>, Option<String>, i64)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .map_err(e)?
        .collect::<rusqlite::Result<_>>()
        .map_err(e)?;
    for (key, sha, message_id, block) in rows {
        report.objects += 1;
        report.problems.push(Problem {
            kind: "missing".into(),
            id: Digest::from_slice(&sha).map(|d| d.to_hex()),
            key: Some(key),
            message_id,
            problem: format!(
                "the catalog places the message in block {block}, which does not exist"
            ),
            occurrences: occurrence_labels(archive, key)?,
        });
    }
    let dangling: [(&str, &str); 6] = [
        (
            "SELECT count(*) FROM blocks b WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.block = b.id)",
            "stored blocks hold no catalogued message",
        ),
        (
            "SELECT count(*) FROM occurrences o WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = o.message)",
            "occurrences refer to a message that is not in the catalog",
        ),
        (
            "SELECT count(*) FROM occurrences o WHERE NOT EXISTS (SELECT 1 FROM sources s WHERE s.id = o.source)",
            "occurrences refer to a source that is not in the catalog",
        ),
        (
            "SELECT count(*) FROM messages m WHERE NOT EXISTS (SELECT 1 FROM occurrences o WHERE o.message = m.id)",
            "messages have no recorded occurrence (provenance lost)",
        ),
        (
            "SELECT count(*) FROM citations c WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = c.message)",
            "citations refer to a message that is not in the catalog",
        ),
        (
            "SELECT count(*) FROM dkim_results r WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.id = r.message)",
            "signature results refer to a message that is not in the catalog",
        ),
    ];
    for (i, (sql, what)) in dangling.iter().enumerate() {
        let n: i64 = conn.query_row(sql, [], |r| r.get(0)).map_err(e)?;
        if n > 0 {
            report.problems.push(Problem {
                kind: if i == 0 { "extra" } else { "dangling" }.into(),
                id: None,
                key: None,
                message_id: None,
                problem: format!("{n} {what}"),
                occurrences: Vec::new(),
            });
        }
    }
    // Files in packs/ that the catalog does not know.
    let committed: Vec<u32> = archive
        .catalog
        .committed_packs()?
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let dir = archive.dir().join("packs");
    if let Ok(entries) = std::fs::read_dir(&dir) {
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        for name in names {
            let known = name
                .strip_suffix(".pack")
                .and_then(|n| n.parse::<u32>().ok())
                .is_some_and(|n| committed.contains(&n));
            if !known {
                report.problems.push(Problem {
                    kind: "extra".into(),
                    id: None,
                    key: None,
                    message_id: None,
                    problem: format!(
                        "{} is not a pack the catalog knows (left by an interrupted import, or put there by hand)",
                        dir.join(&name).display()
                    ),
                    occurrences: Vec::new(),
                });
            }
        }
    }
    Ok(())
}

/// After damaged blocks were replaced: a pack shorter than its committed
/// length whose remaining blocks all lie within the file is committed again
/// at the end of its last block (the lost tail held only replaced blocks).
fn shrink_damaged_packs(archive: &mut Archive) -> Result<()> {
    let conn = archive.catalog.conn();
    let e = |source| crate::Error::Catalog {
        path: archive.catalog.path().to_path_buf(),
        source,
    };
    for (pack, committed) in archive.catalog.committed_packs()? {
        let len = std::fs::metadata(archive.store.pack_path(pack))
            .map(|m| m.len())
            .unwrap_or(0);
        if len >= committed {
            continue;
        }
        let end: Option<u64> = conn
            .query_row(
                "SELECT max(offset + clen) FROM blocks WHERE pack = ?1",
                [pack],
                |r| r.get(0),
            )
            .map_err(e)?;
        match end {
            None => {
                conn.execute("DELETE FROM packs WHERE id = ?1", [pack])
                    .map_err(e)?;
            }
            Some(end) if end + store::BLOCK_HEADER <= len => {
                conn.execute(
                    "UPDATE packs SET committed_len = ?1 WHERE id = ?2",
                    params![end + store::BLOCK_HEADER, pack],
                )
                .map_err(e)?;
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The outcome of [`repair`].
#[derive(Debug, Clone, Default, Serialize)]
pub struct RepairReport {
    /// Ids of the messages read again from a source and stored anew.
    pub recovered: Vec<String>,
    /// Ids of damaged messages that could not be recovered, with why.
    pub unrecovered: Vec<(String, String)>,
}

/// Re-reads every `altered` or `missing` message of `report` from the source
/// containers it was imported from, when they are still present: a copy is
/// used only if its bytes hash to the message's id, so a changed source can
/// never replace evidence. Recovered messages are stored in a new block and
/// the catalog is pointed at it in one transaction.
pub fn repair(archive: &mut Archive, report: &VerifyReport) -> Result<RepairReport> {
    use crate::source::{discover, files::open_container, mbox::Variant};
    use std::collections::{BTreeMap, HashMap};

    let mut out = RepairReport::default();
    let mut wanted: HashMap<Digest, i64> = HashMap::new();
    for p in &report.problems {
        if let (Some(key), Some(id)) = (p.key, p.id.as_deref())
            && (p.kind == "altered" || p.kind == "missing")
            && let Some(d) = Digest::from_hex(id)
        {
            wanted.insert(d, key);
        }
    }
    if wanted.is_empty() {
        return Ok(out);
    }
    // The containers that held a copy, with their recorded variant.
    let mut containers: BTreeMap<String, Option<String>> = BTreeMap::new();
    for &key in wanted.values() {
        for o in archive.catalog.occurrences(key)? {
            containers.insert(o.source, o.variant);
        }
    }
    let mut found: HashMap<Digest, Vec<u8>> = HashMap::new();
    let mut tried: Vec<String> = Vec::new();
    for (path, variant) in &containers {
        if found.len() == wanted.len() {
            break;
        }
        let Ok(d) = discover::discover(&[std::path::PathBuf::from(path)]) else {
            tried.push(format!("{path}: no longer readable"));
            continue;
        };
        for c in &d.containers {
            let v = variant.as_deref().and_then(Variant::parse);
            let Ok(reader) = open_container(c, v, Default::default()) else {
                continue;
            };
            for item in reader.items.flatten() {
                let id = Digest::of(&item.bytes);
                if wanted.contains_key(&id) && !found.contains_key(&id) {
                    found.insert(id, item.bytes);
                }
            }
        }
    }
    let mut recovered: Vec<(Digest, Vec<u8>)> = found.into_iter().collect();
    recovered.sort_by_key(|(d, _)| d.0);
    for d in wanted.keys() {
        if !recovered.iter().any(|(r, _)| r == d) {
            out.unrecovered.push((
                d.to_hex(),
                if tried.is_empty() {
                    "no source file still holds these exact bytes".into()
                } else {
                    format!(
                        "no source file still holds these exact bytes ({})",
                        tried.join("; ")
                    )
                },
            ));
        }
    }
    out.unrecovered.sort();
    if recovered.is_empty() {
        return Ok(out);
    }
    let msgs: Vec<(Digest, &[u8])> = recovered.iter().map(|(d, b)| (*d, b.as_slice())).collect();
    let block = store::prepare_block(&msgs)
        .map_err(|e| crate::Error::io(archive.dir().join("packs"), e))?;
    let committed = archive.catalog.committed_packs()?;
    let mut writer = archive.store.fresh_writer(&committed)?;
    let loc = writer.append(&block)?;
    let pack_state = writer.sync()?;
    let moves: Vec<(i64, u64)> = block
        .entries
        .iter()
        .filter_map(|(d, inner, _)| wanted.get(d).map(|k| (*k, *inner)))
        .collect();
    archive.catalog.relocate(&loc, &moves, pack_state)?;
    shrink_damaged_packs(archive)?;
    out.recovered = recovered.iter().map(|(d, _)| d.to_hex()).collect();
    Ok(out)
}

/// Where each copy of a message came from, one label per occurrence
/// (`file` for directory containers, `path#index@offset` otherwise).
pub fn occurrence_labels(archive: &Archive, key: i64) -> Result<Vec<String>> {
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

//! `mailcite verify`: objects re-hash, catalog, store and index agree, and
//! `--repair` re-reads lost objects from their sources.

use crate::support::*;
use serde_json::Value;
use std::fs;
use std::path::Path;

/// Copies the sample leak to `dir` (so the test can change the sources) and
/// imports it into `archive`.
fn archive_of_copied_leak(dir: &Path, archive: &Path) -> std::path::PathBuf {
    let leak = dir.join("leak");
    copy_tree(&sample_leak(), &leak);
    import_json(archive, &[&leak]);
    leak
}

fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &dst);
        } else {
            fs::copy(e.path(), &dst).unwrap();
        }
    }
}

fn verify(archive: &Path, extra: &[&str]) -> (i32, Value) {
    let out = mailcite(archive)
        .arg("verify")
        .arg("--json")
        .args(extra)
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("verify --json: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code().unwrap(), v)
}

fn problems(v: &Value) -> Vec<(String, String)> {
    v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["kind"].as_str().unwrap().to_string(),
                p["id"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// Block boundaries of the first pack, from the catalog.
fn blocks(archive: &Path) -> Vec<(i64, i64, i64)> {
    let c = rusqlite::Connection::open(archive.join("catalog.sqlite")).unwrap();
    let mut st = c
        .prepare("SELECT id, offset, clen FROM blocks WHERE pack = 1 ORDER BY offset")
        .unwrap();
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn ids_in_block(archive: &Path, block: i64) -> Vec<String> {
    let c = rusqlite::Connection::open(archive.join("catalog.sqlite")).unwrap();
    let mut st = c
        .prepare("SELECT sha256 FROM messages WHERE block = ?1")
        .unwrap();
    st.query_map([block], |r| r.get::<_, Vec<u8>>(0))
        .unwrap()
        .map(|b| b.unwrap().iter().map(|x| format!("{x:02x}")).collect())
        .collect()
}

#[test]
fn verify_names_an_altered_and_a_deleted_object_and_repair_recovers_both() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("a");
    archive_of_copied_leak(tmp.path(), &archive);
    let (code, v) = verify(&archive, &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["ok"], 8);
    assert_eq!(v["index_documents"], 8);

    let b = blocks(&archive);
    assert!(b.len() >= 2, "the sample leak spans several blocks: {b:?}");
    let (first, last) = (b[0], b[b.len() - 1]);
    let altered = ids_in_block(&archive, first.0);
    let deleted = ids_in_block(&archive, last.0);
    let pack = archive.join("packs/000001.pack");
    let mut bytes = fs::read(&pack).unwrap();
    // Flip one byte inside the first block's compressed frame...
    let at = (first.1 + 24 + first.2 / 2) as usize;
    bytes[at] ^= 0x40;
    // ...and delete the last block.
    bytes.truncate(last.1 as usize);
    fs::write(&pack, &bytes).unwrap();

    let (code, v) = verify(&archive, &[]);
    assert_eq!(code, 1, "problems mean exit status 1");
    let p = problems(&v);
    for id in &altered {
        assert!(p.contains(&("altered".into(), id.clone())), "{p:?}");
    }
    for id in &deleted {
        assert!(p.contains(&("missing".into(), id.clone())), "{p:?}");
    }
    assert!(p.iter().any(|(k, _)| k == "truncated"), "{p:?}");
    // Each message problem carries its provenance.
    for prob in v["problems"].as_array().unwrap() {
        if prob["kind"] == "altered" || prob["kind"] == "missing" && prob["id"].is_string() {
            assert!(
                !prob["occurrences"].as_array().unwrap().is_empty(),
                "{prob}"
            );
        }
    }
    let text = mailcite(&archive).arg("verify").output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains(&altered[0]) && text.contains(&deleted[0]),
        "{text}"
    );

    let (code, v) = verify(&archive, &["--repair"]);
    assert_eq!(code, 0, "{v}");
    let recovered = v["repair"]["recovered"].as_array().unwrap();
    assert_eq!(recovered.len(), altered.len() + deleted.len(), "{v}");
    let (code, v) = verify(&archive, &[]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["ok"], 8);
    // The recovered messages read back exactly.
    let shown = json(&archive, &["show", &deleted[0]]);
    assert_eq!(shown["id"], deleted[0].as_str());
}

#[test]
fn repair_never_uses_a_changed_source() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("a");
    let leak = archive_of_copied_leak(tmp.path(), &archive);
    let b = blocks(&archive);
    let last = b[b.len() - 1];
    let deleted = ids_in_block(&archive, last.0);
    let pack = archive.join("packs/000001.pack");
    let bytes = fs::read(&pack).unwrap();
    fs::write(&pack, &bytes[..last.1 as usize]).unwrap();
    // Change every source file a little: no copy hashes to the ids any more.
    for e in walk(&leak) {
        let mut b = fs::read(&e).unwrap();
        b.extend_from_slice(b"\n");
        fs::write(&e, b).unwrap();
    }
    let (code, v) = verify(&archive, &["--repair"]);
    assert_eq!(code, 1, "{v}");
    let unrecovered: Vec<String> = v["repair"]["unrecovered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u[0].as_str().unwrap().to_string())
        .collect();
    for id in &deleted {
        assert!(unrecovered.contains(id), "{v}");
    }
    assert!(!v["repair"]["remaining"].as_array().unwrap().is_empty());
}

fn walk(p: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(p).unwrap() {
        let e = e.unwrap().path();
        if e.is_dir() {
            out.extend(walk(&e));
        } else {
            out.push(e);
        }
    }
    out
}

#[test]
fn verify_checks_that_the_index_agrees_with_the_catalog() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("a");
    import_json(&archive, &[&sample_leak()]);
    // The index of another archive: one document, none of these.
    let other = tmp.path().join("b");
    let single = tmp.path().join("one.eml");
    fs::write(
        &single,
        "From: someone@example.org\nSubject: another archive\nMessage-ID: <x@example.org>\n\nnot in the first archive\n",
    )
    .unwrap();
    import_json(&other, &[&single]);
    fs::remove_dir_all(archive.join("index")).unwrap();
    copy_tree(&other.join("index"), &archive.join("index"));
    let (code, v) = verify(&archive, &[]);
    assert_eq!(code, 1);
    let p = problems(&v);
    assert_eq!(
        p.iter().filter(|(k, _)| k == "index-missing").count(),
        8,
        "no catalog message is in that index: {p:?}"
    );
    assert!(p.iter().any(|(k, _)| k == "index-extra"), "{p:?}");
    let (code, v) = verify(&archive, &["--repair"]);
    assert_eq!(code, 0, "{v}");
    assert_eq!(v["repair"]["index_rebuilt"], true);
    assert_eq!(v["index_documents"], 8);
}

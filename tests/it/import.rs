//! `mailcite import`, `stats` and `verify`: accounting, idempotence, resume,
//! exact storage, formats, and the real corpora.

use crate::support::*;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use std::fs;
use std::path::Path;

fn sha_hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02X}"))
        .collect()
}

fn stored_ids(archive: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(archive.join("catalog.sqlite")).unwrap();
    let mut st = conn
        .prepare("SELECT hex(sha256) FROM messages ORDER BY id")
        .unwrap();
    st.query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect()
}

#[test]
fn sample_leak_is_fully_accounted_for() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("a");
    let r = import_json(&archive, &[&sample_leak()]);
    assert_eq!(r["schema_version"], 1);
    let (m, i, d, f) = check_accounting(&r);
    assert_eq!((m, i, d, f), (9, 8, 1, 0), "{r:#}");

    let mbox = container(&r, "ivan-petrov.mbox");
    assert_eq!(mbox["format"], "mbox");
    assert_eq!(mbox["variant"], "mboxrd");
    assert_eq!(
        mbox["messages"], 4,
        "a body line 'From the start' must not split"
    );
    let gz = container(&r, "archive-2009.mbox.gz");
    assert_eq!(gz["compression"], "gzip");
    assert_eq!(gz["messages"], 1);
    let md = container(&r, "sample-leak/maildir");
    assert_eq!(md["format"], "maildir");
    assert_eq!(md["messages"], 2);
    let sent = container(&r, "maildir/.Sent");
    assert_eq!(sent["format"], "maildir");
    assert_eq!(sent["messages"], 1);
    let loose = container(&r, "sample-leak/loose");
    assert_eq!(
        loose["duplicates"], 1,
        "the .eml copy of an mbox message is a duplicate"
    );

    let skipped: Vec<(String, String)> = r["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["path"].as_str().unwrap().to_string(),
                s["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        skipped
            .iter()
            .any(|(p, why)| p.ends_with("notes.json") && why.contains("JSON")),
        "{skipped:?}"
    );
    assert!(
        skipped.iter().any(|(p, _)| p.ends_with("README.txt")),
        "{skipped:?}"
    );

    let stats = json(&archive, &["stats"]);
    assert_eq!(stats["messages"], 8);
    assert_eq!(stats["occurrences"], 9);
    assert_eq!(stats["duplicates"], 1);
    assert_eq!(stats["sources"], 5);
    assert_eq!(stats["first_date_rfc3339"], "2009-07-13T06:11:12Z");
}

#[test]
fn importing_again_adds_nothing_and_says_so() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("a");
    import_json(&archive, &[&sample_leak()]);
    let before = dump_catalog(&archive);
    let again = import_json(&archive, &[&sample_leak()]);
    assert_eq!(check_accounting(&again), (0, 0, 0, 0));
    for c in again["containers"].as_array().unwrap() {
        assert_eq!(c["status"], "unchanged", "{c}");
    }
    assert_eq!(dump_catalog(&archive), before);
    let out = mailcite(&archive)
        .arg("import")
        .arg(sample_leak())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("already imported and unchanged"), "{text}");
}

#[test]
fn same_message_from_mbox_and_eml_hashes_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    let msg = b"From: Alice <alice@example.org>\nSubject: same\nMessage-ID: <same@example.org>\n\nbody line\n";
    fs::write(tmp.path().join("one.eml"), msg).unwrap();
    let mut mbox = b"From alice@example.org Mon Jul 13 10:11:12 2009\n".to_vec();
    mbox.extend_from_slice(msg);
    mbox.extend_from_slice(b"\n");
    fs::write(tmp.path().join("box"), &mbox).unwrap();
    let archive = tmp.path().join("a");
    let r = import_json(
        &archive,
        &[&tmp.path().join("box"), &tmp.path().join("one.eml")],
    );
    assert_eq!(check_accounting(&r), (2, 1, 1, 0));
    assert_eq!(stored_ids(&archive), vec![sha_hex(msg)]);
}

#[test]
fn mbox_variants_are_unescaped_as_their_variant_says() {
    let tmp = tempfile::tempdir().unwrap();
    // mboxrd: ">>From " becomes ">From ", ">From " becomes "From ".
    let rd = b"From a@example.org Mon Jul 13 10:11:12 2009\nSubject: rd\n\n>From here\n>>From there\n\nFrom b@example.org Mon Jul 13 10:11:13 2009\nSubject: two\n\nx\n";
    fs::write(tmp.path().join("rd.mbox"), rd).unwrap();
    let archive = tmp.path().join("a");
    let r = import_json(&archive, &[&tmp.path().join("rd.mbox")]);
    assert_eq!(container(&r, "rd.mbox")["variant"], "mboxrd");
    assert_eq!(check_accounting(&r), (2, 2, 0, 0));
    let ids = stored_ids(&archive);
    assert_eq!(ids[0], sha_hex(b"Subject: rd\n\nFrom here\n>From there\n"));
    assert_eq!(ids[1], sha_hex(b"Subject: two\n\nx\n"));

    // mboxcl2 forced: nothing is un-escaped, Content-Length is honoured over a
    // From_ line inside the body.
    let body = b"line\n\nFrom c@example.org Mon Jul 13 10:11:14 2009\n>From kept\n";
    let mut cl2 = format!(
        "From a@example.org Mon Jul 13 10:11:12 2009\nSubject: cl2\nContent-Length: {}\n\n",
        body.len()
    )
    .into_bytes();
    cl2.extend_from_slice(body);
    cl2.extend_from_slice(b"\nFrom b@example.org Mon Jul 13 10:11:13 2009\nSubject: next\n\ny\n");
    fs::write(tmp.path().join("cl2.mbox"), &cl2).unwrap();
    let archive2 = tmp.path().join("b");
    let out = mailcite(&archive2)
        .args(["import", "--json", "--mbox-variant", "mboxcl2"])
        .arg(tmp.path().join("cl2.mbox"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(check_accounting(&r), (2, 2, 0, 0));
    let mut first = format!("Subject: cl2\nContent-Length: {}\n\n", body.len()).into_bytes();
    first.extend_from_slice(body);
    assert_eq!(stored_ids(&archive2)[0], sha_hex(&first));
}

#[test]
fn every_format_and_compression_is_detected_by_content() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("tree");
    let msg = |n: u32| {
        format!(
            "From: Alice <alice@example.org>\nTo: bob@example.org\nSubject: message {n}\nDate: Mon, 13 Jul 2009 10:11:{n:02} +0000\nMessage-ID: <m{n}@example.org>\n\nbody {n}\n"
        )
    };
    let mbox = |ns: &[u32]| -> Vec<u8> {
        let mut v = Vec::new();
        for n in ns {
            v.extend_from_slice(
                format!("From alice@example.org Mon Jul 13 10:11:{n:02} 2009\n").as_bytes(),
            );
            v.extend_from_slice(msg(*n).as_bytes());
            v.push(b'\n');
        }
        v
    };
    fs::create_dir_all(root.join("mh/inbox")).unwrap();
    fs::write(root.join("mh/inbox/1"), msg(1)).unwrap();
    fs::write(root.join("mh/inbox/2"), msg(2)).unwrap();
    fs::write(root.join("mh/inbox/.mh_sequences"), "unseen: 2\n").unwrap();
    fs::create_dir_all(root.join("enron/allen-p/inbox")).unwrap();
    fs::write(root.join("enron/allen-p/inbox/1."), msg(3)).unwrap();
    fs::write(root.join("enron/allen-p/inbox/2."), msg(4)).unwrap();
    // Compressed mboxes with misleading or missing extensions.
    let gz = {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(&mbox(&[5, 6])).unwrap();
        e.finish().unwrap()
    };
    fs::write(root.join("box-gz.dat"), gz).unwrap();
    fs::write(
        root.join("box.zst"),
        zstd::encode_all(&mbox(&[7])[..], 3).unwrap(),
    )
    .unwrap();
    for (tool, ext, n) in [("xz", "xz", 8), ("bzip2", "bz2", 9)] {
        let p = root.join(format!("box{n}"));
        fs::write(&p, mbox(&[n])).unwrap();
        let st = std::process::Command::new(tool)
            .arg("-f")
            .arg(&p)
            .status()
            .unwrap();
        assert!(st.success(), "{tool} is needed by this test");
        assert!(root.join(format!("box{n}.{ext}")).exists());
    }
    fs::write(root.join("photo.png"), b"\x89PNG\r\n\x1a\nnot really").unwrap();
    fs::write(root.join("expected.json"), b"[{\"subject\": \"x\"}]").unwrap();
    fs::write(
        root.join("key.asc"),
        b"-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nxx\n",
    )
    .unwrap();
    fs::write(
        root.join("mmdf.box"),
        format!(
            "\x01\x01\x01\x01\n{}\x01\x01\x01\x01\n\x01\x01\x01\x01\n{}\x01\x01\x01\x01\n",
            msg(10),
            msg(11)
        ),
    )
    .unwrap();

    let archive = tmp.path().join("a");
    let r = import_json(&archive, &[&root]);
    assert_eq!(check_accounting(&r), (11, 11, 0, 0), "{r:#}");
    assert_eq!(container(&r, "mh/inbox")["format"], "mh");
    assert_eq!(container(&r, "allen-p/inbox")["format"], "message");
    assert_eq!(container(&r, "box-gz.dat")["compression"], "gzip");
    assert_eq!(container(&r, "box.zst")["compression"], "zstd");
    assert_eq!(container(&r, "box8.xz")["compression"], "xz");
    assert_eq!(container(&r, "box9.bz2")["compression"], "bzip2");
    assert_eq!(container(&r, "mmdf.box")["format"], "mmdf");
    assert_eq!(container(&r, "mmdf.box")["messages"], 2);
    let skipped: Vec<String> = r["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s["path"].as_str().unwrap(),
                s["reason"].as_str().unwrap()
            )
        })
        .collect();
    for name in ["photo.png", "expected.json", "key.asc", ".mh_sequences"] {
        assert!(
            skipped.iter().any(|s| s.contains(name)),
            "{name} not skipped: {skipped:?}"
        );
    }
}

#[test]
fn maildir_flags_and_folders_are_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("a");
    import_json(&archive, &[&sample_leak()]);
    let conn = rusqlite::Connection::open(archive.join("catalog.sqlite")).unwrap();
    let mut st = conn
        .prepare("SELECT m.message_id, o.flags, o.folder, o.file IS NOT NULL FROM occurrences o JOIN messages m ON m.id = o.message WHERE o.flags IS NOT NULL ORDER BY m.message_id")
        .unwrap();
    let rows: Vec<(String, String, String, bool)> = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    assert_eq!(
        rows,
        vec![
            (
                "auditors-1@nordlicht-trade.example".into(),
                "".into(),
                "sample-leak/maildir".into(),
                true
            ),
            (
                "auditors-2@borealis-shipping.example".into(),
                "S".into(),
                "sample-leak/maildir/Sent".into(),
                true
            ),
            (
                "invoice-114@borealis-shipping.example".into(),
                "RS".into(),
                "sample-leak/maildir".into(),
                true
            ),
        ]
    );
    // The mbox copy keeps its From_ line and byte offset as provenance.
    let (line, offset): (Vec<u8>, i64) = conn
        .query_row(
            "SELECT o.from_line, o.offset FROM occurrences o JOIN messages m ON m.id = o.message WHERE m.message_id = 'harbour-2@nordlicht-trade.example'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        line,
        b"From anna.berg@nordlicht-trade.example Tue Jul 14 07:02:00 2009"
    );
    let mbox = fs::read(sample_leak().join("ivan-petrov.mbox")).unwrap();
    assert!(mbox[offset as usize..].starts_with(&line));
}

#[test]
fn same_message_id_with_different_bytes_is_a_conflict() {
    let tmp = tempfile::tempdir().unwrap();
    fs::write(
        tmp.path().join("a.eml"),
        "Message-ID: <dup@example.org>\nSubject: one\n\nx\n",
    )
    .unwrap();
    fs::write(
        tmp.path().join("b.eml"),
        "Message-ID: <dup@example.org>\nSubject: two\n\nx\n",
    )
    .unwrap();
    let archive = tmp.path().join("a");
    let r = import_json(&archive, &[tmp.path()]);
    assert_eq!(check_accounting(&r), (2, 2, 0, 0));
    assert_eq!(json(&archive, &["stats"])["conflicts"], 1);
}

#[test]
fn fatal_errors_name_the_path_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let out = mailcite(&tmp.path().join("a"))
        .arg("import")
        .arg(tmp.path().join("nope.mbox"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nope.mbox") && err.contains("no such file"),
        "{err}"
    );

    // A directory that is not an archive is never written into.
    let notarchive = tmp.path().join("docs");
    fs::create_dir(&notarchive).unwrap();
    fs::write(notarchive.join("x.txt"), "hello").unwrap();
    let out = mailcite(&notarchive)
        .arg("import")
        .arg(sample_leak())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a mailcite archive"));
}

#[test]
fn unknown_archive_version_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("a");
    import_json(&archive, &[&sample_leak()]);
    let marker = archive.join("mailcite-archive.json");
    let text = fs::read_to_string(&marker)
        .unwrap()
        .replace("\"version\": 1", "\"version\": 99");
    fs::write(&marker, text).unwrap();
    let out = mailcite(&archive).arg("stats").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("version 99 is not supported"), "{err}");
}

#[test]
fn compatibility_fixture_of_format_1_still_opens() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("archive-v1");
    let src = repo().join("tests/fixtures/archive-v1");
    for e in walkdir(&src) {
        let rel = e.strip_prefix(&src).unwrap();
        let dst = archive.join(rel);
        fs::create_dir_all(dst.parent().unwrap()).unwrap();
        fs::copy(&e, &dst).unwrap();
    }
    let stats = json(&archive, &["stats"]);
    assert_eq!(stats["messages"], 8);
    assert_eq!(stats["occurrences"], 9);
    let v = json(&archive, &["verify"]);
    assert_eq!(v["objects"], 8);
    assert_eq!(v["problems"].as_array().unwrap().len(), 0);
    let v = json(&archive, &["show", "harbour-2@nordlicht-trade.example"]);
    assert_eq!(v["thread_size"], 2);
    let v = json(&archive, &["search", "countermeasures"]);
    assert_eq!(v["total"], 2);
    assert_eq!(v["hits"][0]["cited_by"][0]["article"], 1);
    let v = json(&archive, &["article", "show", "1"]);
    assert_eq!(v["citations"].as_array().unwrap().len(), 5);
}

fn walkdir(p: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(p).unwrap() {
        let e = e.unwrap().path();
        if e.is_dir() {
            out.extend(walkdir(&e));
        } else {
            out.push(e);
        }
    }
    out
}

#[test]
fn verify_names_a_corrupted_object() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("a");
    import_json(&archive, &[&sample_leak()]);
    let v = json(&archive, &["verify"]);
    assert_eq!(v["ok"], 8);
    let pack = archive.join("packs/000001.pack");
    let mut bytes = fs::read(&pack).unwrap();
    let n = bytes.len();
    bytes[n - 10] ^= 0xff;
    fs::write(&pack, bytes).unwrap();
    let out = mailcite(&archive)
        .args(["verify", "--json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let problems = v["problems"].as_array().unwrap();
    assert!(!problems.is_empty());
    assert!(problems[0]["id"].as_str().unwrap().len() == 64);
    assert!(!problems[0]["occurrences"].as_array().unwrap().is_empty());
}

/// From_ line counts per yearly file, from ../shared/corpora/README.md.
const CYPHERPUNKS: [(&str, u64); 9] = [
    ("1970", 29),
    ("1992", 974),
    ("1993", 9_434),
    ("1994", 15_003),
    ("1995", 12_966),
    ("1996", 27_218),
    ("1997", 22_041),
    ("1998", 10_444),
    ("1999", 17),
];

#[test]
fn cypherpunks_corpus_imports_with_exact_counts_and_verifies() {
    let Some(corpora) = shared_corpora() else {
        return;
    };
    let dir = corpora.join("bulk/cypherpunks");
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("a");
    let r = import_json(&archive, &[&dir]);
    let (m, i, d, f) = check_accounting(&r);
    assert_eq!(m, 98_126, "every From_ line is one message");
    assert_eq!(f, 0);
    assert_eq!(i + d, 98_126);
    for (year, n) in CYPHERPUNKS {
        let c = container(&r, &format!("cypherpunks-{year}.mbox.zst"));
        assert_eq!(c["messages"].as_u64().unwrap(), n, "{year}");
        assert_eq!(c["variant"], "mboxrd", "{year}");
        assert_eq!(c["compression"], "zstd");
        assert_eq!(c["sha256"].as_str().unwrap().len(), 64);
    }
    let stats = json(&archive, &["stats"]);
    assert_eq!(stats["occurrences"], 98_126);
    assert_eq!(stats["messages"].as_u64().unwrap(), i);
    let v = json(&archive, &["verify"]);
    assert_eq!(v["objects"].as_u64().unwrap(), i);
    assert_eq!(
        v["ok"].as_u64().unwrap(),
        i,
        "every stored object re-hashes to its id"
    );
}

#[test]
fn hard_corpora_every_file_is_accounted_for() {
    let Some(corpora) = shared_corpora() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("a");
    let r = import_json(&archive, &[&corpora.join("hard")]);
    let (m, i, _d, _f) = check_accounting(&r);
    assert!(m > 1000, "the hard cases hold about 1,200 messages: {m}");
    assert!(i > 900);
    // Expected-output files next to the fixtures are never imported as mail.
    for c in r["containers"].as_array().unwrap() {
        let p = c["path"].as_str().unwrap();
        assert!(!p.ends_with(".json"), "{p} imported as mail");
        assert!(!p.ends_with("SOURCE.txt"), "{p} imported as mail");
    }
    let skipped: Vec<&str> = r["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["path"].as_str().unwrap())
        .collect();
    assert!(skipped.iter().any(|p| p.ends_with(".json")));
    assert!(skipped.iter().any(|p| p.ends_with("python.png")));
    // The mairix test mailboxes: gzip and xz mboxes, an MH folder and a Maildir.
    let mairix: Vec<&Value> = r["containers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["path"].as_str().unwrap().contains("mairix-testmsgs"))
        .collect();
    let formats: std::collections::BTreeSet<&str> = mairix
        .iter()
        .map(|c| c["format"].as_str().unwrap())
        .collect();
    for f in ["maildir", "mh", "mbox", "mmdf"] {
        assert!(
            formats.contains(f),
            "mairix-testmsgs has a {f} container: {formats:?}"
        );
    }
    let compressions: std::collections::BTreeSet<&str> = mairix
        .iter()
        .filter_map(|c| c["compression"].as_str())
        .collect();
    assert!(
        compressions.contains("gzip") && compressions.contains("xz"),
        "{compressions:?}"
    );
    let v = json(&archive, &["verify"]);
    assert_eq!(v["problems"].as_array().unwrap().len(), 0);

    // Importing the same tree again adds nothing.
    let again = import_json(&archive, &[&corpora.join("hard")]);
    let (_, i2, _, _) = check_accounting(&again);
    assert_eq!(i2, 0);
}

#[test]
fn killed_imports_resume_to_the_same_archive() {
    let Some(corpora) = shared_corpora() else {
        return;
    };
    let dir = corpora.join("bulk/cypherpunks");
    let inputs = [
        dir.join("cypherpunks-1992.mbox.zst"),
        dir.join("cypherpunks-1993.mbox.zst"),
        dir.join("cypherpunks-1995.mbox.zst"),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let clean = tmp.path().join("clean");
    let refs: Vec<&Path> = inputs.iter().map(|p| p.as_path()).collect();
    let started = std::time::Instant::now();
    import_json(&clean, &refs);
    let full = started.elapsed();
    let expected = dump_catalog(&clean);

    let killed = tmp.path().join("killed");
    // Kill points spread over the length of an uninterrupted run.
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    let kills = 6;
    for k in 0..kills {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let frac = (k as f64 + (seed % 1000) as f64 / 1000.0) / kills as f64;
        let wait = full.mul_f64(frac.clamp(0.02, 0.98));
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_mailcite"))
            .arg("--archive")
            .arg(&killed)
            .arg("--quiet")
            .arg("import")
            .args(&inputs)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + wait;
        while std::time::Instant::now() < deadline {
            if child.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        // SIGKILL: no chance to clean up.
        let _ = child.kill();
        let _ = child.wait();
    }
    let last = import_json(&killed, &refs);
    check_accounting(&last);
    assert_eq!(dump_catalog(&killed), expected);
    let v = json(&killed, &["verify"]);
    assert_eq!(v["problems"].as_array().unwrap().len(), 0, "{v}");
}

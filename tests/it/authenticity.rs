//! DKIM through the command line: keys, checks at import and on demand,
//! search fields, and what `show`, `search` and `export` report. The
//! messages in tests/fixtures/dkim were signed by dkimpy (an independent
//! signer); archive/tests/dkim.rs checks each case in the library.

use crate::support::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    repo().join("tests/fixtures/dkim")
}

/// The signed fixtures, without the key file and README.
fn messages(dir: &Path) -> PathBuf {
    let out = dir.join("signed");
    std::fs::create_dir_all(&out).unwrap();
    for e in std::fs::read_dir(fixtures()).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".eml") || name.ends_with(".mbox") {
            std::fs::copy(&p, out.join(name)).unwrap();
        }
    }
    out
}

fn count(archive: &Path, query: &str) -> u64 {
    let out = mailcite(archive)
        .args(["search", "--count", query])
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{query}");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

fn dkim_of(archive: &Path, file: &str) -> Value {
    // Tampered copies share their Message-ID: look messages up by SHA-256.
    use sha2::Digest as _;
    let raw = std::fs::read(fixtures().join(file)).unwrap();
    let id: String = sha2::Sha256::digest(&raw)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    json(archive, &["show", &id])["authenticity"].clone()
}

#[test]
fn keys_archived_before_import_give_every_status_at_import() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("a");
    let v = json(
        &archive,
        &[
            "keys",
            "add",
            fixtures().join("keys.zone").to_str().unwrap(),
        ],
    );
    assert_eq!(v["added"], 7);
    import_json(&archive, &[&messages(tmp.path())]);

    for (file, status) in [
        ("pass-relaxed.eml", "pass"),
        ("pass-simple.eml", "pass"),
        ("pass-ed25519.eml", "pass"),
        ("rotated.eml", "pass"),
        ("body-tampered.eml", "fail"),
        ("header-tampered.eml", "fail"),
        ("expired.eml", "expired"),
        ("expired-tampered.eml", "fail"),
        ("weak.eml", "weak"),
        ("weak-tampered.eml", "fail"),
        ("nokey.eml", "nokey"),
        ("revoked.eml", "revoked"),
        ("partial.eml", "pass"),
        ("unsigned.eml", "none"),
    ] {
        let a = dkim_of(&archive, file);
        assert_eq!(a["dkim"], status, "{file}: {a}");
    }
    let body = dkim_of(&archive, "body-tampered.eml");
    assert!(
        body["summary"]
            .as_str()
            .unwrap()
            .contains("body hash mismatch"),
        "{body}"
    );
    let header = dkim_of(&archive, "header-tampered.eml");
    assert!(
        header["summary"]
            .as_str()
            .unwrap()
            .contains("signature mismatch"),
        "{header}"
    );
    let partial = dkim_of(&archive, "partial.eml");
    assert_eq!(partial["signatures"][0]["partial_body"], true, "{partial}");
    assert!(partial["summary"].as_str().unwrap().contains("l="));
    let weak = dkim_of(&archive, "weak.eml");
    assert_eq!(weak["signatures"][0]["key_bits"], 512);

    // Searchable.
    assert_eq!(count(&archive, "dkim:weak"), 1);
    assert_eq!(count(&archive, "dkim:expired"), 1);
    assert_eq!(count(&archive, "dkim:revoked"), 1);
    assert_eq!(count(&archive, "dkim:nokey"), 1);
    assert_eq!(count(&archive, "dkim:none"), 1);
    assert!(count(&archive, "dkim:pass") >= 5);
    assert!(count(&archive, "dkim:fail") >= 4);
    assert_eq!(
        count(&archive, "dkimdomain:example.com"),
        count(
            &archive,
            "dkim:pass OR dkim:fail OR dkim:nokey OR dkim:revoked OR dkim:expired OR dkim:weak"
        ),
    );
    assert_eq!(count(&archive, "dkimdomain:nowhere.example"), 0);
    // Search hits carry the status.
    let v = json(&archive, &["search", "dkim:expired"]);
    assert_eq!(v["hits"][0]["dkim"], "expired");
}

#[test]
fn adding_a_key_later_rechecks_the_messages_it_signed() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("a");
    import_json(&archive, &[&messages(tmp.path())]);
    assert_eq!(dkim_of(&archive, "pass-relaxed.eml")["dkim"], "nokey");
    assert_eq!(count(&archive, "dkim:pass"), 0);
    // A key file in JSON with dates, for the one selector.
    let zone = std::fs::read_to_string(fixtures().join("keys.zone")).unwrap();
    let line = zone
        .lines()
        .find(|l| l.starts_with("main._domainkey"))
        .expect("keys.zone has the main selector");
    let record: String = line
        .split('"')
        .skip(1)
        .step_by(2)
        .collect::<Vec<_>>()
        .concat();
    let key_file = tmp.path().join("keys.json");
    std::fs::write(
        &key_file,
        serde_json::json!([{
            "domain": "example.com", "selector": "main", "record": record,
            "first_seen": "2020-01-01", "last_seen": "2022-12-31"
        }])
        .to_string(),
    )
    .unwrap();
    let v = json(&archive, &["keys", "add", key_file.to_str().unwrap()]);
    assert_eq!(v["added"], 1);
    assert!(v["rechecked"].as_u64().unwrap() >= 3, "{v}");
    assert_eq!(dkim_of(&archive, "pass-relaxed.eml")["dkim"], "pass");
    assert_eq!(dkim_of(&archive, "expired.eml")["dkim"], "expired");
    assert!(count(&archive, "dkim:pass") >= 3);
    let keys = json(&archive, &["keys", "list"]);
    assert_eq!(keys["keys"][0]["first_seen"], "2020-01-01");
    // Adding it again adds nothing and changes nothing.
    let v = json(&archive, &["keys", "add", key_file.to_str().unwrap()]);
    assert_eq!(v["added"], 0);
    assert_eq!(v["changed"].as_array().unwrap().len(), 0);

    // `dkim QUERY` checks only the matching messages.
    let v = json(&archive, &["dkim", "subject:annual"]);
    assert!(v["checked"].as_u64().unwrap() >= 1);
    assert!(v["checked"].as_u64().unwrap() < 18);
}

#[test]
fn a_bad_key_file_is_refused_with_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("a");
    let bad = tmp.path().join("bad.zone");
    std::fs::write(&bad, "; keys\nthis is not a record\n").unwrap();
    let out = mailcite(&archive)
        .args(["keys", "add", bad.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.zone") && err.contains("line 2"), "{err}");
}

#[test]
fn dns_is_never_used_without_asking_and_help_says_why() {
    let out = mailcite(Path::new("/nonexistent"))
        .args(["dkim", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("--dns") && help.contains("tells the") && help.contains("owner"),
        "{help}"
    );
}

#[test]
fn exports_carry_the_dkim_result() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("a");
    json(
        &archive,
        &[
            "keys",
            "add",
            fixtures().join("keys.zone").to_str().unwrap(),
        ],
    );
    import_json(&archive, &[&messages(tmp.path())]);
    let out = mailcite(&archive)
        .args(["export", "--query", "dkim:weak", "--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let c = &v["citations"][0];
    assert_eq!(c["dkim"], "weak", "{v}");
    assert!(
        c["authenticity"].as_str().unwrap().contains("512-bit"),
        "{c}"
    );
    let out = mailcite(&archive)
        .args(["export", "--query", "dkim:expired", "--format", "markdown"])
        .output()
        .unwrap();
    let md = String::from_utf8_lossy(&out.stdout);
    assert!(md.contains("DKIM expired"), "{md}");
}

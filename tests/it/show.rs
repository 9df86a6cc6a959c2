//! `mailcite show`, `thread`, `completions` and `man`.

use crate::support::*;
use std::fs;

fn sample_archive() -> (tempfile::TempDir, std::path::PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("a");
    import_json(&archive, &[&sample_leak()]);
    (tmp, archive)
}

#[test]
fn show_gives_text_headers_and_every_occurrence() {
    let (_t, archive) = sample_archive();
    let v = json(&archive, &["show", "<harbour-1@borealis-shipping.example>"]);
    assert_eq!(v["message_id"], "harbour-1@borealis-shipping.example");
    assert_eq!(
        v["date"], "2009-07-13 10:11:12 +0400",
        "shown in its original zone"
    );
    assert!(
        v["text"]
            .as_str()
            .unwrap()
            .contains("active countermeasures")
    );
    let occ = v["occurrences"].as_array().unwrap();
    assert_eq!(occ.len(), 2, "the mbox copy and the .eml copy");
    assert!(
        occ.iter()
            .any(|o| o["format"] == "mbox" && o["offset"] == 0)
    );
    assert!(occ.iter().any(|o| {
        o["file"]
            .as_str()
            .unwrap_or("")
            .ends_with("forwarded-copy.eml")
    }));
    assert_eq!(v["thread_size"], 2);

    // The same message by a unique id prefix, as text.
    let id = v["id"].as_str().unwrap();
    let out = mailcite(&archive)
        .args(["show", &id[..10]])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Subject    Harbour schedule for July"),
        "{text}"
    );
    assert!(text.contains("Occurrences (2)"), "{text}");
}

#[test]
fn show_decodes_koi8r_and_raw_gives_the_exact_bytes() {
    let (_t, archive) = sample_archive();
    let v = json(&archive, &["show", "ru-1@borealis-shipping.example"]);
    assert_eq!(v["subject"], "Контрмеры");
    assert_eq!(v["from"][0]["name"], "Иван Петров");
    assert!(v["text"].as_str().unwrap().contains("контрмерами"));

    let out = mailcite(&archive)
        .args(["show", "--raw", "harbour-1@borealis-shipping.example"])
        .output()
        .unwrap();
    let eml = fs::read(sample_leak().join("loose/forwarded-copy.eml")).unwrap();
    assert_eq!(out.stdout, eml);
}

#[test]
fn show_explains_bad_references() {
    let (_t, archive) = sample_archive();
    let out = mailcite(&archive).args(["show", "abc"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 8 hex digits"));
    let out = mailcite(&archive)
        .args(["show", "<nobody@example.org>"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no message with id or Message-ID"));
}

#[test]
fn thread_shows_the_conversation_with_the_current_message_marked() {
    let (_t, archive) = sample_archive();
    let v = json(&archive, &["thread", "harbour-2@nordlicht-trade.example"]);
    let msgs = v["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0]["message_id"], "harbour-1@borealis-shipping.example");
    assert_eq!(msgs[0]["depth"], 0);
    assert_eq!(msgs[1]["depth"], 1);
    assert_eq!(msgs[1]["current"], true);
    // A reply without In-Reply-To or References joins by subject.
    let tmp = tempfile::tempdir().unwrap();
    fs::write(tmp.path().join("1.eml"), "From: a@example.org\nSubject: Budget for 2001\nDate: Mon, 1 Jan 2001 10:00:00 +0000\nMessage-ID: <b1@example.org>\n\nx\n").unwrap();
    fs::write(tmp.path().join("2.eml"), "From: b@example.org\nSubject: RE: Budget for 2001\nDate: Tue, 2 Jan 2001 10:00:00 +0000\nMessage-ID: <b2@example.org>\n\ny\n").unwrap();
    let a2 = tmp.path().join("a");
    import_json(&a2, &[tmp.path()]);
    let v = json(&a2, &["thread", "b1@example.org"]);
    let msgs = v["messages"].as_array().unwrap();
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[1]["link"], "subject");
}

#[test]
fn completions_and_man_page_are_generated() {
    let tmp = tempfile::tempdir().unwrap();
    let out = mailcite(tmp.path())
        .args(["completions", "bash"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("import"));
    let out = mailcite(tmp.path()).arg("man").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains(".TH mailcite"));
}

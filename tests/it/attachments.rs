//! Text extracted from attachments: searchable (`content:` and plain
//! words), shown as "in attachment NAME", printed by `show --attachment`.
//! Real attachments from ../shared/corpora/hard.

use crate::support::*;
use serde_json::Value;

fn count(archive: &std::path::Path, query: &str) -> u64 {
    let out = mailcite(archive)
        .args(["search", "--count", query])
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{query}");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

#[test]
fn pdf_and_docx_attachments_are_searchable_and_shown() {
    let Some(corpora) = shared_corpora() else {
        return;
    };
    let hard = corpora.join("hard");
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("a");
    // A Portuguese student's mail with a .docx, and a test message with a PDF.
    import_json(
        &archive,
        &[
            &hard.join("journalism-tools/iped/test_mbox.mbox"),
            &hard.join("mailparse-crate/test_email_01.txt"),
        ],
    );

    // Words that are only in the attachments.
    assert_eq!(count(&archive, "content:Guilherme"), 1);
    assert!(
        count(&archive, "Guilherme AND NOT from:Guilherme") >= 1,
        "plain words cover attachment text"
    );
    assert_eq!(count(&archive, "subject:Guilherme"), 0);
    assert_eq!(count(&archive, "content:demonstration"), 1);
    assert_eq!(count(&archive, "\"small demonstration\""), 1, "phrases too");

    let v = json(&archive, &["search", "content:Guilherme"]);
    let hit = &v["hits"][0];
    assert_eq!(hit["in_attachment"], "Trabalho experimental.docx", "{hit}");
    assert!(hit["snippet"].as_str().unwrap().contains("Guilherme"));
    let out = mailcite(&archive)
        .args(["search", "demonstration"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("in attachment sample.pdf:"), "{text}");
    // A match in the body is not attributed to an attachment.
    let v = json(&archive, &["search", "subject:\"Test with attachments\""]);
    assert_eq!(v["hits"][0]["in_attachment"], Value::Null);

    // show: the extraction outcome per attachment, and the text itself.
    let id = hit["id"].as_str().unwrap().to_string();
    let shown = json(&archive, &["show", &id]);
    let texts = shown["attachment_texts"].as_array().unwrap();
    assert_eq!(texts.len(), 4, "{shown}");
    assert_eq!(texts[0]["status"], "unsupported", "a GIF");
    assert_eq!(texts[1]["status"], "text");
    assert_eq!(texts[1]["format"], "docx");
    assert!(texts[1]["chars"].as_i64().unwrap() > 1000);
    let out = mailcite(&archive)
        .args(["show", &id, "--attachment", "2"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Grupo14: Guilherme"), "{text}");
    let out = mailcite(&archive)
        .args(["show", &id, "--attachment", "1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a format"));
    let out = mailcite(&archive)
        .args(["show", &id, "--attachment", "9"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("choose N from 1 to 4"));

    // The index is derived: a rebuild finds the same.
    json(&archive, &["reindex"]);
    assert_eq!(count(&archive, "content:Guilherme"), 1);
}

#[test]
fn broken_attachments_are_recorded_not_fatal() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("mail");
    std::fs::create_dir_all(&dir).unwrap();
    let msg = "From: Ivan Petrov <ivan.petrov@borealis-shipping.example>\n\
To: Anna Berg <anna.berg@nordlicht-trade.example>\n\
Subject: Manifest (fictional test message)\n\
Message-ID: <manifest-1@borealis-shipping.example>\n\
MIME-Version: 1.0\n\
Content-Type: multipart/mixed; boundary=\"b\"\n\
\n\
--b\n\
Content-Type: text/plain\n\
\n\
See the attached files.\n\
--b\n\
Content-Type: application/pdf; name=\"manifest.pdf\"\n\
Content-Transfer-Encoding: base64\n\
\n\
JVBERi0xLjQKdGhpcyBpcyBub3QgcmVhbGx5IGEgUERGCg==\n\
--b\n\
Content-Type: application/rtf; name=\"note.rtf\"\n\
\n\
{\\rtf1\\ansi {\\fonttbl{\\f0 Arial;}}\\f0 Cargo of timber\\par bound for Murmansk}\n\
--b--\n";
    std::fs::write(dir.join("manifest.eml"), msg).unwrap();
    let archive = tmp.path().join("a");
    let report = import_json(&archive, &[&dir]);
    assert_eq!(report["totals"]["imported"], 1);
    let shown = json(&archive, &["show", "manifest-1@borealis-shipping.example"]);
    let texts = shown["attachment_texts"].as_array().unwrap();
    assert_eq!(texts[0]["status"], "failed", "{shown}");
    assert!(texts[0]["error"].as_str().unwrap().contains("PDF"));
    assert_eq!(texts[1]["status"], "text");
    assert_eq!(count(&archive, "content:murmansk"), 1);
    assert_eq!(
        count(&archive, "content:attached"),
        0,
        "body words are not content"
    );
}

#[test]
fn save_writes_attachments_under_safe_names_inside_the_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("mail");
    std::fs::create_dir_all(&dir).unwrap();
    let part = |name: &str, body: &str| {
        format!(
            "--b\nContent-Type: application/octet-stream; name=\"{name}\"\n\
Content-Disposition: attachment; filename=\"{name}\"\n\n{body}\n"
        )
    };
    let msg = format!(
        "From: Ivan Petrov <ivan.petrov@borealis-shipping.example>\n\
Subject: Files (fictional test message)\n\
Message-ID: <files-1@borealis-shipping.example>\n\
MIME-Version: 1.0\n\
Content-Type: multipart/mixed; boundary=\"b\"\n\n\
--b\nContent-Type: text/plain\n\nsee attached\n{}{}{}{}--b--\n",
        part("../../escape.txt", "one"),
        part("/etc/passwd", "two"),
        part("CON", "three"),
        part("report.txt", "four"),
    );
    std::fs::write(dir.join("files.eml"), msg).unwrap();
    let archive = tmp.path().join("a");
    import_json(&archive, &[&dir]);
    let out_dir = tmp.path().join("out");
    std::fs::create_dir_all(&out_dir).unwrap();
    std::fs::write(out_dir.join("report.txt"), "already here").unwrap();
    let v = json(
        &archive,
        &[
            "show",
            "files-1@borealis-shipping.example",
            "--save",
            out_dir.to_str().unwrap(),
        ],
    );
    let saved = v["saved"].as_array().unwrap();
    assert_eq!(saved.len(), 4, "{v}");
    let mut names: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "_CON",
            "escape.txt",
            "passwd",
            "report (2).txt",
            "report.txt"
        ]
    );
    assert_eq!(
        std::fs::read_to_string(out_dir.join("report.txt")).unwrap(),
        "already here",
        "an existing file is never overwritten"
    );
    assert_eq!(
        std::fs::read_to_string(out_dir.join("report (2).txt"))
            .unwrap()
            .trim(),
        "four"
    );
    assert!(!tmp.path().join("escape.txt").exists());
    // Only one, with --attachment.
    let one = tmp.path().join("one");
    let v = json(
        &archive,
        &[
            "show",
            "files-1@borealis-shipping.example",
            "--attachment",
            "2",
            "--save",
            one.to_str().unwrap(),
        ],
    );
    assert_eq!(v["saved"].as_array().unwrap().len(), 1);
    assert!(one.join("passwd").exists());
}

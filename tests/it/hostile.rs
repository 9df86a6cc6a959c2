//! Hostile input through the real binary: limits (huge messages and
//! headers, many and deeply nested MIME parts, decompression bombs, a
//! million tiny messages, truncated files, NUL bytes and invalid UTF-8) are
//! handled in bounded memory and time with nothing else lost; terminal
//! output carries no raw escape or bidirectional character; exports carry
//! no script; crashing inputs found by fuzzing stay fixed.
//!
//! Peak memory is measured with `/usr/bin/time -v` (GNU time) and printed,
//! so that a run with `--nocapture` gives the figures.

use crate::support::*;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Peak RSS allowed for a limit test, in KiB.
const MAX_RSS_KB: u64 = 500 * 1024;

/// Runs `mailcite --archive A ARGS` under `/usr/bin/time -v`; returns the
/// output (GNU time's report removed from stderr), the peak RSS in KiB and
/// the wall time.
fn measured(archive: &Path, args: &[&str]) -> (Output, u64, Duration) {
    let mut c = Command::new("/usr/bin/time");
    c.arg("-v")
        .arg(env!("CARGO_BIN_EXE_mailcite"))
        .arg("--archive")
        .arg(archive)
        .arg("--color")
        .arg("never")
        .args(args)
        .env_remove("MAILCITE_ARCHIVE");
    let started = Instant::now();
    let mut out = c
        .output()
        .expect("run /usr/bin/time (GNU time; apt-get install time)");
    let took = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let rss = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok())
        .expect("GNU time prints the maximum resident set size");
    let cut = stderr.find("\tCommand being timed").unwrap_or(stderr.len());
    out.stderr = stderr.as_bytes()[..cut].to_vec();
    (out, rss, took)
}

/// `import --json` under measurement; checks success and the accounting.
fn import_measured(archive: &Path, paths: &[&Path], extra: &[&str], what: &str) -> Value {
    let mut args = vec!["import", "--json"];
    args.extend_from_slice(extra);
    let paths: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    args.extend(paths.iter().map(String::as_str));
    let (out, rss, took) = measured(archive, &args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{what}: import failed: {stderr}");
    assert!(!stderr.contains("panicked"), "{what}: {stderr}");
    eprintln!(
        "{what}: import took {:.2} s, peak RSS {} MiB",
        took.as_secs_f64(),
        rss / 1024
    );
    assert!(rss < MAX_RSS_KB, "{what}: peak RSS {rss} KiB");
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    check_accounting(&report);
    report
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// A small, valid message with a unique Message-ID.
fn small(n: usize) -> String {
    format!(
        "From: a{n}@example.org\nTo: b@example.org\nSubject: small {n}\nMessage-ID: <small-{n}@example.org>\nDate: Tue, 2 Mar 2021 10:00:00 +0000\n\nbody {n}\n"
    )
}

const FROM_LINE: &str = "From a@example.org Tue Mar  2 10:00:00 2021\n";

/// `show ID --json` succeeds and returns the message.
fn show(archive: &Path, id: &str) -> Value {
    json(archive, &["show", id])
}

#[test]
fn oversize_message_is_a_failure_naming_it_and_nothing_else_is_lost() {
    let tmp = tempfile::tempdir().unwrap();
    let mbox = tmp.path().join("big.mbox");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&mbox).unwrap());
    writeln!(f, "{FROM_LINE}{}", small(1)).unwrap();
    let big_offset = (FROM_LINE.len() + small(1).len() + 1) as u64;
    write!(f, "{FROM_LINE}Subject: big\n\n").unwrap();
    let line = "x".repeat(75) + "\n";
    for _ in 0..(3 << 20) / line.len() {
        f.write_all(line.as_bytes()).unwrap();
    }
    write!(f, "\n{FROM_LINE}{}", small(3)).unwrap();
    drop(f);
    let archive = tmp.path().join("a");
    let r = import_measured(
        &archive,
        &[&mbox],
        &["--max-message-bytes", "1048576"],
        "3 MiB message, 1 MiB limit",
    );
    let c = container(&r, "big.mbox");
    assert_eq!(c["messages"], 3);
    assert_eq!(c["imported"], 2);
    assert_eq!(c["failed"], 1);
    let failure = &c["failures"][0];
    assert_eq!(failure["index"], 1);
    assert_eq!(failure["offset"], big_offset);
    assert!(
        failure["reason"].as_str().unwrap().contains("limit"),
        "{failure}"
    );
    show(&archive, "small-1@example.org");
    show(&archive, "small-3@example.org");

    // The same limit holds for a single message file.
    let eml = write(
        tmp.path(),
        "big.eml",
        format!("Subject: big\n\n{}", "y".repeat(2 << 20)).as_bytes(),
    );
    let r = import_measured(
        &archive,
        &[&eml],
        &["--max-message-bytes", "1048576"],
        "2 MiB .eml",
    );
    assert_eq!(container(&r, "big.eml")["failed"], 1);
}

/// Writes an mbox with a message of `body_bytes` bytes between two small
/// ones, streaming.
fn huge_mbox(path: &Path, body_bytes: u64) {
    let mut f = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    write!(f, "{FROM_LINE}{}\n{FROM_LINE}Subject: huge\n\n", small(1)).unwrap();
    let line = [b"z".repeat(1023), b"\n".to_vec()].concat();
    let mut written = 0;
    while written < body_bytes {
        f.write_all(&line).unwrap();
        written += line.len() as u64;
    }
    write!(f, "\n{FROM_LINE}{}", small(3)).unwrap();
    f.flush().unwrap();
}

/// 2 GiB is over the default 1 GiB limit. Ignored in CI: writing and
/// reading 2 GiB takes about a minute and 2 GiB of disk. The splitter
/// holds a message up to the limit in memory, so peak RSS is bounded by
/// the limit (about 1 GiB here), not by the message.
#[test]
#[ignore = "writes and reads a 2 GiB file (about a minute); run with --ignored"]
fn two_gigabyte_message_is_a_failure_and_nothing_else_is_lost() {
    let tmp = tempfile::tempdir().unwrap();
    let mbox = tmp.path().join("huge.mbox");
    huge_mbox(&mbox, 2 << 30);
    let archive = tmp.path().join("a");
    let (out, rss, took) = measured(&archive, &["import", "--json", mbox.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "2 GiB message: import took {:.1} s, peak RSS {} MiB",
        took.as_secs_f64(),
        rss / 1024
    );
    assert!(rss < 2 * 1024 * 1024, "peak RSS {rss} KiB");
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    check_accounting(&r);
    let c = container(&r, "huge.mbox");
    assert_eq!(
        (c["imported"].as_u64(), c["failed"].as_u64()),
        (Some(2), Some(1))
    );
    assert!(
        c["failures"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("limit")
    );
}

#[test]
fn one_megabyte_header_line_is_imported_in_bounded_time() {
    let tmp = tempfile::tempdir().unwrap();
    let long = "a".repeat(1 << 20);
    let msg = format!(
        "Subject: {long}\nX-Long: {long}\nFrom: {long}@example.org\nMessage-ID: <long@example.org>\n\nbody\n"
    );
    let eml = write(tmp.path(), "long.eml", msg.as_bytes());
    let mbox = write(
        tmp.path(),
        "long.mbox",
        format!("{FROM_LINE}{msg}\n{FROM_LINE}{}", small(2)).as_bytes(),
    );
    let archive = tmp.path().join("a");
    let r = import_measured(&archive, &[&eml, &mbox], &[], "1 MiB header lines");
    let (m, i, d, f) = check_accounting(&r);
    assert_eq!((m, i, d, f), (3, 2, 1, 0));
    let v = show(&archive, "long@example.org");
    assert!(v["subject"].as_str().unwrap().len() >= 1 << 20);
    show(&archive, "small-2@example.org");
}

/// A multipart message: `depth` levels of multipart/mixed, the innermost
/// holding `parts` text parts (built without recursion: 5,000 levels).
fn mime(parts: usize, depth: usize, id: &str) -> String {
    let mut s = format!("Message-ID: <{id}@example.org>\nSubject: {id}\nMIME-Version: 1.0\n");
    for d in 0..depth {
        s.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"b{d}\"\n\n--b{d}\n"
        ));
    }
    s.push_str("Content-Type: text/plain\n\nleaf text\n");
    let innermost = depth.saturating_sub(1);
    for _ in 1..parts {
        s.push_str(&format!(
            "--b{innermost}\nContent-Type: text/plain\n\nmore text\n"
        ));
    }
    for d in (0..depth).rev() {
        s.push_str(&format!("--b{d}--\n"));
    }
    s
}

#[test]
fn ten_thousand_parts_and_deep_nesting_are_imported_in_bounded_time() {
    let tmp = tempfile::tempdir().unwrap();
    let wide = mime(10_000, 1, "wide");
    // 10,000 named attachments.
    let attachments: String = (0..10_000)
        .map(|i| format!("--att\nContent-Type: application/octet-stream; name=\"f{i}.bin\"\nContent-Disposition: attachment; filename=\"f{i}.bin\"\nContent-Transfer-Encoding: base64\n\nAAAA\n"))
        .collect();
    let files = format!(
        "Message-ID: <files@example.org>\nSubject: files\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"att\"\n\n{attachments}--att--\n"
    );
    let inputs = [
        write(tmp.path(), "wide.eml", wide.as_bytes()),
        write(tmp.path(), "files.eml", files.as_bytes()),
        write(
            tmp.path(),
            "deep100.eml",
            mime(1, 100, "deep100").as_bytes(),
        ),
        write(
            tmp.path(),
            "deep5000.eml",
            mime(1, 5000, "deep5000").as_bytes(),
        ),
    ];
    let archive = tmp.path().join("a");
    let refs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    let started = Instant::now();
    let r = import_measured(
        &archive,
        &refs,
        &[],
        "10,000 parts, nesting 100 and 5,000 deep",
    );
    assert!(started.elapsed() < Duration::from_secs(120));
    assert_eq!(check_accounting(&r), (4, 4, 0, 0));
    for id in ["wide", "files", "deep100", "deep5000"] {
        show(&archive, &format!("{id}@example.org"));
    }
    let v = show(&archive, "files@example.org");
    assert!(
        v["attachments"].as_array().unwrap().len() >= 1000,
        "attachments are listed"
    );
}

#[test]
fn decompression_bombs_and_lying_encodings_stay_bounded() {
    let tmp = tempfile::tempdir().unwrap();
    // A gzip that expands a thousandfold: 64 MiB of zeros (not mail).
    let zeros = tmp.path().join("zeros.gz");
    {
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&zeros).unwrap(),
            flate2::Compression::best(),
        );
        let block = vec![0u8; 1 << 20];
        for _ in 0..64 {
            gz.write_all(&block).unwrap();
        }
        gz.finish().unwrap();
    }
    // An mbox of one message repeated 20,000 times, gzipped.
    let repeated = tmp.path().join("repeated.mbox.gz");
    let one = format!("{FROM_LINE}{}\n", small(7));
    {
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&repeated).unwrap(),
            flate2::Compression::best(),
        );
        for _ in 0..20_000 {
            gz.write_all(one.as_bytes()).unwrap();
        }
        gz.finish().unwrap();
    }
    let ratio = (64u64 << 20) / std::fs::metadata(&zeros).unwrap().len();
    assert!(ratio >= 1000, "expands {ratio}-fold");
    let ratio = (one.len() * 20_000) as u64 / std::fs::metadata(&repeated).unwrap().len();
    assert!(ratio >= 200, "expands {ratio}-fold");
    // One message of 64 MiB of the same line, zstd-compressed (far more
    // than a thousandfold), over an 8 MiB limit: a failure naming it, the
    // next message kept.
    let big = tmp.path().join("big.mbox.zst");
    {
        let mut z =
            zstd::stream::write::Encoder::new(std::fs::File::create(&big).unwrap(), 19).unwrap();
        write!(z, "{FROM_LINE}Subject: big\n\n").unwrap();
        let line = "a".repeat(1023) + "\n";
        for _ in 0..(64 << 10) {
            z.write_all(line.as_bytes()).unwrap();
        }
        write!(z, "\n{FROM_LINE}{}", small(8)).unwrap();
        z.finish().unwrap();
    }
    let ratio = (64u64 << 20) / std::fs::metadata(&big).unwrap().len();
    assert!(ratio >= 1000, "expands {ratio}-fold");
    // A base64 attachment whose headers claim an enormous size, holding a
    // gzip bomb that nothing should expand, and a broken base64 tail.
    let mut bomb = Vec::new();
    {
        let mut gz = flate2::write::GzEncoder::new(&mut bomb, flate2::Compression::best());
        gz.write_all(&vec![0u8; 32 << 20]).unwrap();
        gz.finish().unwrap();
    }
    let b64 = base64(&bomb);
    let msg = format!(
        "Message-ID: <bomb@example.org>\nSubject: bomb\nMIME-Version: 1.0\nContent-Length: 99999999999999\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nsee attached\n--b\nContent-Type: application/gzip; name=\"bomb.gz\"; size=99999999999999\nContent-Disposition: attachment; filename=\"bomb.gz\"; size=99999999999999\nContent-Transfer-Encoding: base64\n\n{b64}\n=====!!!!\n--b--\n"
    );
    let eml = write(tmp.path(), "bomb.eml", msg.as_bytes());
    let archive = tmp.path().join("a");
    let r = import_measured(
        &archive,
        &[&zeros, &repeated, &big, &eml],
        &["--max-message-bytes", "8388608"],
        "gzip bombs and a lying attachment",
    );
    let c = container(&r, "repeated.mbox.gz");
    assert_eq!(
        (
            c["messages"].as_u64(),
            c["imported"].as_u64(),
            c["duplicates"].as_u64()
        ),
        (Some(20_000), Some(1), Some(19_999))
    );
    assert_eq!(container(&r, "bomb.eml")["imported"], 1);
    let c = container(&r, "big.mbox.zst");
    assert_eq!(
        (c["imported"].as_u64(), c["failed"].as_u64()),
        (Some(1), Some(1)),
        "{c}"
    );
    show(&archive, "small-8@example.org");
    assert!(
        r["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["path"].as_str().unwrap().ends_with("zeros.gz")),
        "{r}"
    );
    let v = show(&archive, "bomb@example.org");
    assert_eq!(v["attachments"].as_array().unwrap().len(), 1, "{v}");
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for (i, chunk) in bytes.chunks(3).enumerate() {
        if i > 0 && i % 19 == 0 {
            out.push('\n');
        }
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(A[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `n` tiny distinct messages in one mbox, imported; returns the time.
fn many_tiny(n: usize) {
    let tmp = tempfile::tempdir().unwrap();
    let mbox = tmp.path().join("tiny.mbox");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&mbox).unwrap());
    for i in 0..n {
        write!(f, "{FROM_LINE}Subject: t{i}\n\n{i}\n\n").unwrap();
    }
    drop(f);
    let archive = tmp.path().join("a");
    let r = import_measured(&archive, &[&mbox], &[], &format!("{n} tiny messages"));
    assert_eq!(check_accounting(&r), (n as u64, n as u64, 0, 0));
    let stats = json(&archive, &["stats"]);
    assert_eq!(stats["messages"], n as u64);
}

#[test]
fn a_hundred_thousand_tiny_messages() {
    many_tiny(100_000);
}

#[test]
#[ignore = "a million messages take several minutes; run with --ignored"]
fn a_million_tiny_messages() {
    many_tiny(1_000_000);
}

#[test]
fn truncated_files_keep_every_message_before_the_cut() {
    let tmp = tempfile::tempdir().unwrap();
    let full = format!(
        "{FROM_LINE}{}\n{FROM_LINE}{}\n{FROM_LINE}{}",
        small(1),
        small(2),
        small(3)
    );
    let cut_body = &full[..full.len() - 4];
    let header_cut = full.find("Subject: small 3").unwrap() + 9;
    let cut_header = &full[..header_cut];
    let body = write(tmp.path(), "cut-body.mbox", cut_body.as_bytes());
    let header = write(tmp.path(), "cut-header.mbox", cut_header.as_bytes());
    // A gzip cut in the middle of its stream: a read error after the
    // first messages.
    let mut gz = Vec::new();
    {
        let mut e = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::none());
        let mut all = String::new();
        for i in 10..200 {
            all.push_str(&format!("{FROM_LINE}{}\n", small(i)));
        }
        e.write_all(all.as_bytes()).unwrap();
        e.finish().unwrap();
    }
    let gz_cut = write(tmp.path(), "cut.mbox.gz", &gz[..gz.len() / 2]);
    let archive = tmp.path().join("a");
    let r = import_measured(&archive, &[&body, &header, &gz_cut], &[], "truncated files");
    for name in ["cut-body.mbox", "cut-header.mbox"] {
        let c = container(&r, name);
        assert_eq!(c["messages"], 3, "{c}");
        assert_eq!(c["failed"], 0, "{c}");
    }
    show(&archive, "small-1@example.org");
    show(&archive, "small-2@example.org");
    let c = container(&r, "cut.mbox.gz");
    let got = c["imported"].as_u64().unwrap();
    assert!(got > 50, "messages before the cut are kept: {c}");
    assert_eq!(c["failed"], 1, "the cut is reported: {c}");
    assert!(
        c["failures"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("read error")
            || c["failures"][0]["reason"]
                .as_str()
                .unwrap()
                .contains("corrupt"),
        "{c}"
    );
    show(&archive, "small-10@example.org");
}

#[test]
fn nul_bytes_and_invalid_utf8_in_headers_are_kept_and_shown_safely() {
    let tmp = tempfile::tempdir().unwrap();
    let raw: &[u8] = b"From: N\0ul \xff\xfe <nul@example.org>\nSubject: bad \0 \xc3\x28 \xed\xa0\x80 bytes\nMessage-ID: <nul@example.org>\nX-Odd: \x80\x81\x82\n\nbody with \0 and \xff\n";
    let eml = write(tmp.path(), "nul.eml", raw);
    let archive = tmp.path().join("a");
    let r = import_measured(&archive, &[&eml], &[], "NUL and invalid UTF-8");
    assert_eq!(check_accounting(&r), (1, 1, 0, 0));
    let v = show(&archive, "nul@example.org");
    let out = mailcite(&archive)
        .args(["show", "--raw", v["id"].as_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.stdout, raw, "stored exactly");
    let out = mailcite(&archive)
        .args(["show", "nul@example.org"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(!out.stdout.contains(&0), "no raw NUL on the terminal");
    assert!(String::from_utf8(out.stdout).is_ok(), "valid UTF-8 out");
    let out = mailcite(&archive)
        .args(["search", "bytes"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.stdout.contains(&0));
}

/// Characters that must never reach a terminal raw.
fn assert_terminal_safe(what: &str, out: &[u8]) {
    let text = String::from_utf8(out.to_vec()).expect("valid UTF-8");
    for c in text.chars() {
        let bad = (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}');
        assert!(!bad, "{what}: raw {:?} in output:\n{text}", c);
    }
}

#[test]
fn escape_and_bidi_characters_never_reach_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let hostile = "evil\x1b[2J\x1b]0;pwned\x07\rover\u{202e}txt.exe\u{200b}zw\u{2066}iso\u{9b}31m";
    let msg = format!(
        "From: \"Mal\x1b[31mlory\u{202e}\" <mallory@example.org>\nTo: victim@example.org\nSubject: {hostile} sanitizeme\nMessage-ID: <hostile@example.org>\nDate: Tue, 2 Mar 2021 10:00:00 +0000\nContent-Type: text/plain; charset=utf-8\n\nBody {hostile} sanitizeme\n\x1b[1;1Hfake prompt$ \n"
    );
    let eml = write(tmp.path(), "hostile.eml", msg.as_bytes());
    let archive = tmp.path().join("a");
    import_json(&archive, &[&eml]);
    for args in [
        vec!["search", "sanitizeme"],
        vec!["search", "--facets", "sanitizeme"],
        vec!["show", "hostile@example.org"],
        vec!["show", "--headers", "hostile@example.org"],
        vec!["thread", "hostile@example.org"],
        vec!["people"],
    ] {
        let out = mailcite(&archive).args(&args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_terminal_safe(&format!("{args:?}"), &out.stdout);
        assert_terminal_safe(&format!("{args:?} stderr"), &out.stderr);
    }
    // Made visible, not dropped: a reader can tell something was there.
    let out = mailcite(&archive)
        .args(["show", "hostile@example.org"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\\x1b[2J"), "{text}");
    assert!(text.contains("\\u{202e}"), "{text}");
}

/// Tags an export may contain; anything else came from a message.
const EXPORT_TAGS: &[&str] = &[
    "!doctype",
    "html",
    "head",
    "meta",
    "title",
    "style",
    "body",
    "h1",
    "h2",
    "div",
    "blockquote",
    "mark",
    "dl",
    "dt",
    "dd",
];

/// Every tag of `html` is one of [`EXPORT_TAGS`], no attribute is an event
/// handler, and no URL is `javascript:`.
fn assert_no_script(html: &str) {
    let lower = html.to_ascii_lowercase();
    let mut rest = lower.as_str();
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("tags are closed");
        let tag = &rest[..end];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '!')
            .collect();
        assert!(
            EXPORT_TAGS.contains(&name.as_str()),
            "tag <{tag}> in export"
        );
        for attr in tag.split_whitespace().skip(1) {
            assert!(!attr.starts_with("on"), "event handler {attr} in <{tag}>");
            assert!(!attr.contains("javascript:"), "{attr} in <{tag}>");
            assert!(
                !attr.starts_with("href") && !attr.starts_with("src"),
                "{attr}"
            );
        }
    }
}

/// In Markdown, every `<`, `[` and `]` from a message is escaped: no raw
/// HTML, no link, no image can form.
fn assert_markdown_inert(md: &str) {
    let b = md.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        let footnote_end = c == b']'
            && md[..i]
                .rfind("[^")
                .is_some_and(|j| md[j + 2..i].bytes().all(|d| d.is_ascii_digit()));
        if c == b'<' || (c == b']' && !footnote_end) || (c == b'[' && !md[i..].starts_with("[^")) {
            assert!(
                i > 0 && b[i - 1] == b'\\',
                "unescaped {:?} at {i} in\n{md}",
                c as char
            );
        }
    }
}

#[test]
fn exports_never_carry_script() {
    let tmp = tempfile::tempdir().unwrap();
    let payload = r#"<script>alert(1)</script> <a href="javascript:alert(2)">click</a> <img src=x onerror=alert(3)> [link](javascript:alert(4)) <javascript:alert(5)>"#;
    let msg = format!(
        "From: \"<script>alert(6)</script>\" <evil@example.org>\nTo: x@example.org\nSubject: <img src=x onerror=alert(7)> plan\nMessage-ID: <script@example.org>\nDate: Tue, 2 Mar 2021 10:00:00 +0000\n\nThe operation begins on Monday morning at the northern harbour gate. {payload} The operation begins on Monday.\n"
    );
    let html_msg = "From: evil@example.org\nSubject: html\nMessage-ID: <html@example.org>\nContent-Type: text/html\n\n<html><body><p>Transfer the remaining funds before the auditors arrive next week.</p><script>alert(8)</script><img src=x onerror=alert(9)><a href=\"javascript:alert(10)\">x</a></body></html>\n";
    let dir = tmp.path().join("leak");
    std::fs::create_dir(&dir).unwrap();
    write(&dir, "script.eml", msg.as_bytes());
    write(&dir, "html.eml", html_msg.as_bytes());
    let archive = tmp.path().join("a");
    import_json(&archive, &[&dir]);
    let article = write(
        tmp.path(),
        "article.html",
        br#"<html><head><title>&lt;script&gt;alert(11)&lt;/script&gt; story</title></head><body>
<p>An email said: "The operation begins on Monday morning at the northern harbour gate."</p>
<p>Another: "Transfer the remaining funds before the auditors arrive next week."</p>
<script>alert(12)</script><p onclick="alert(13)">end</p></body></html>"#,
    );
    let out = mailcite(&archive)
        .args(["article", "add", "--json"])
        .arg(&article)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let added: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(added["citations"].as_array().unwrap().len(), 2, "{added}");
    for selection in [
        vec!["--article", "1"],
        vec!["--query", "operation OR funds"],
    ] {
        for format in ["html", "markdown"] {
            let mut args = vec!["export", "--format", format];
            args.extend(&selection);
            let out = mailcite(&archive).args(&args).output().unwrap();
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8(out.stdout).unwrap();
            if format == "html" {
                assert!(text.contains("Content-Security-Policy"));
                assert_no_script(&text);
            } else {
                assert_markdown_inert(&text);
            }
        }
    }
}

/// Inputs that crashed a fuzz target once (`fuzz/run.sh`), through the
/// real import: each must import without a panic.
#[test]
fn inputs_found_by_fuzzing_import_cleanly() {
    let dir = repo().join("tests/fixtures/hostile");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return;
    };
    let files: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    if files.is_empty() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("a");
    let refs: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let out = mailcite(&archive)
        .arg("import")
        .arg("--json")
        .args(&refs)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

//! `mailcite search`: the query language on the sample leak (exact sets of
//! Message-IDs), sorting, paging, counting, facets, exit codes and errors,
//! snapshots of the text and JSON output, `reindex`, and known answers on the
//! real corpora in `../shared/corpora` (see `support::shared_corpora`).

use crate::support::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

// The eight messages of the sample leak, by Message-ID (dates in UTC).
/// Ivan to Anna, 2009-07-13 06:11Z; mbox and loose .eml; "active countermeasures".
const H1: &str = "harbour-1@borealis-shipping.example";
/// Anna's reply, 2009-07-14 07:02Z; quotes "active countermeasures".
const H2: &str = "harbour-2@nordlicht-trade.example";
/// KOI8-R, Ivan (Иван Петров) to board@, 2009-07-15 14:30Z; "контрмерами".
const RU: &str = "ru-1@borealis-shipping.example";
/// Press Office to all-staff@, 2009-07-16 11:00Z; one `>From` quoted line.
const ST: &str = "statement-1@borealis-shipping.example";
/// Lena Sokol to Ivan, 2009-07-17 05:15Z; Maildir cur/; invoice PDF attached.
const INV: &str = "invoice-114@borealis-shipping.example";
/// Anna to Ivan, 2009-07-18 18:45Z; Maildir new/.
const AU1: &str = "auditors-1@nordlicht-trade.example";
/// Ivan's reply to AU1, 2009-07-19 05:00Z; Maildir .Sent folder.
const AU2: &str = "auditors-2@borealis-shipping.example";
/// Board to Ivan, 2009-07-20 12:00Z; gzipped mbox.
const MIN: &str = "minutes-1@borealis-shipping.example";
const ALL: &[&str] = &[H1, H2, RU, ST, INV, AU1, AU2, MIN];

fn sample_archive() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("a");
    import_json(&archive, &[&sample_leak()]);
    (tmp, archive)
}

/// `mailcite search OPTS -- QUERY` (the `--` lets a query start with `-`).
fn search(archive: &Path, opts: &[&str], query: &str) -> Output {
    mailcite(archive)
        .arg("search")
        .args(opts)
        .arg("--")
        .arg(query)
        .output()
        .expect("run mailcite")
}

/// `search --json OPTS -- QUERY` (every hit unless OPTS limits them): checks
/// that the exit code is 0 with hits and 1 without, and returns the JSON.
fn search_json(archive: &Path, opts: &[&str], query: &str) -> Value {
    let mut args = vec!["--json"];
    if !opts.iter().any(|o| *o == "-n" || *o == "--limit") {
        args.extend(["--limit", "100000"]);
    }
    args.extend(opts);
    let out = search(archive, &args, query);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{query:?} {opts:?}: not JSON ({e}); stderr: {stderr}"));
    let total = v["total"].as_u64().expect("total");
    let expected = if total > 0 { 0 } else { 1 };
    assert_eq!(
        out.status.code(),
        Some(expected),
        "{query:?} {opts:?}: {total} matches; stderr: {stderr}"
    );
    v
}

/// The Message-IDs of the hits, in order ("" for a message without one).
fn hit_ids(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["message_id"].as_str().unwrap_or("").to_string())
        .collect()
}

/// The Message-IDs of every message matching `query`, sorted.
fn ids(archive: &Path, query: &str) -> Vec<String> {
    let v = search_json(archive, &[], query);
    let mut ids = hit_ids(&v);
    assert_eq!(
        ids.len() as u64,
        v["total"].as_u64().unwrap(),
        "{query:?}: every hit is listed"
    );
    ids.sort();
    ids
}

fn sorted(ids: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

/// Runs every `(query, expected Message-IDs)` case and reports all the
/// mismatches at once.
fn check_cases(archive: &Path, cases: &[(&str, &[&str])]) {
    let mut wrong = Vec::new();
    for (query, expected) in cases {
        let got = ids(archive, query);
        let want = sorted(expected);
        if got != want {
            wrong.push(format!(
                "  {query}\n    expected {want:?}\n    got      {got:?}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} queries gave the wrong messages:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}

/// The SHA-256 id of the message with this Message-ID.
fn sha_id(archive: &Path, message_id: &str) -> String {
    let v = search_json(archive, &[], &format!("id:{message_id}"));
    v["hits"][0]["id"].as_str().expect("id").to_string()
}

#[test]
fn words_phrases_and_operators() {
    let (_t, archive) = sample_archive();
    check_cases(
        &archive,
        &[
            // Both words, anywhere, in any order.
            ("July file", &[AU1, AU2]),
            ("file July", &[AU1, AU2]),
            ("July AND auditors", &[AU1, AU2, H2]),
            // Case and accents do not matter.
            ("MURMANSK", &[H1, H2]),
            ("múrmansk", &[H1, H2]),
            // The exact phrase, in the own text and in the quote.
            ("\"active countermeasures\"", &[H1, H2]),
            ("\"countermeasures active\"", &[]),
            ("\"countermeasures active\"~2", &[H1, H2]),
            // OR and |.
            ("charter OR Murmansk", &[H1, H2, INV, MIN]),
            ("charter | Murmansk", &[H1, H2, INV, MIN]),
            // NOT and -word.
            ("July -auditors", &[H1, INV]),
            ("July NOT auditors", &[H1, INV]),
            ("-July", &[RU, ST, MIN]),
            ("NOT July", &[RU, ST, MIN]),
            // Parentheses, and OR binding tighter than the implicit AND.
            ("(charter OR Murmansk) press", &[H1, H2, MIN]),
            ("charter OR Murmansk press", &[H1, H2, MIN]),
            ("charter OR (Murmansk press)", &[H1, H2, INV, MIN]),
            ("(July -auditors) OR контрмеры", &[H1, INV, RU]),
            // Lower-case operators are ordinary words.
            ("July or Murmansk", &[]),
        ],
    );
}

#[test]
fn people_by_name_address_and_domain() {
    let (_t, archive) = sample_archive();
    check_cases(
        &archive,
        &[
            ("from:anna", &[H2, AU1]),
            ("from:berg", &[H2, AU1]),
            ("from:\"Anna Berg\"", &[H2, AU1]),
            ("from:anna.berg@nordlicht-trade.example", &[H2, AU1]),
            ("from:@nordlicht-trade.example", &[H2, AU1]),
            (
                "from:@borealis-shipping.example",
                &[H1, RU, ST, INV, AU2, MIN],
            ),
            ("from:(anna OR lena)", &[H2, AU1, INV]),
            // The KOI8-R encoded display name of <ru-1>.
            ("from:иван", &[RU]),
            ("from:\"Иван Петров\"", &[RU]),
            ("from:ivan", &[H1, RU, AU2]),
            ("from:board", &[MIN]),
            ("to:anna", &[H1, AU2]),
            ("to:\"Anna Berg\"", &[H1, AU2]),
            ("to:anna.berg@nordlicht-trade.example", &[H1, AU2]),
            ("to:@nordlicht-trade.example", &[H1, AU2]),
            // board@ receives <ru-1>; "Board" sends the minutes.
            ("to:board", &[RU]),
            ("to:board@borealis-shipping.example", &[RU]),
            ("to:ivan", &[H2, INV, AU1, MIN]),
            ("to:all-staff@borealis-shipping.example", &[ST]),
        ],
    );
}

#[test]
fn subject_body_quoted_and_attachments() {
    let (_t, archive) = sample_archive();
    check_cases(
        &archive,
        &[
            ("subject:July", &[H1, H2]),
            ("subject:auditors", &[AU1, AU2]),
            ("subject:\"Harbour schedule\"", &[H1, H2]),
            ("subject:\"schedule harbour\"", &[]),
            ("subject:контрмеры", &[RU]),
            // The phrase is Ivan's own text in <harbour-1> and quoted in
            // Anna's reply <harbour-2>.
            ("body:\"active countermeasures\"", &[H1]),
            ("quoted:\"active countermeasures\"", &[H2]),
            ("body:auditors", &[H2, AU1]),
            ("quoted:auditors", &[AU2]),
            // After mboxrd un-escaping, <statement-1> has one quoted line
            // (">From the archive: no comment.").
            ("has:quoted", &[H2, ST, AU2]),
            ("quoted:archive", &[ST]),
            ("body:\"our side\"", &[ST]),
            ("attachment:invoice", &[INV]),
            ("attachment:invoice-2009-114.pdf", &[INV]),
            ("type:pdf", &[INV]),
            ("type:application/pdf", &[INV]),
            ("type:image", &[]),
            ("has:attachment", &[INV]),
            ("-has:attachment charter", &[MIN]),
            ("lang:ru", &[RU]),
            ("lang:russian", &[RU]),
        ],
    );
}

#[test]
fn ids_threads_and_sources() {
    let (_t, archive) = sample_archive();
    let h1_sha = sha_id(&archive, H1);
    let au2_sha = sha_id(&archive, AU2);
    assert_eq!(h1_sha.len(), 64, "{h1_sha}");
    let by_sha = format!("id:{}", &au2_sha[..12]);
    let thread_by_sha = format!("thread:{}", &h1_sha[..12]);
    check_cases(
        &archive,
        &[
            (&format!("id:{H1}"), &[H1]),
            (&format!("id:<{H1}>"), &[H1]),
            (&format!("id:<{RU}>"), &[RU]),
            (&by_sha, &[AU2]),
            ("id:<nobody@example.org>", &[]),
            // The conversation of a message, from either end.
            (&format!("thread:<{H2}>"), &[H1, H2]),
            (&format!("thread:{H1}"), &[H1, H2]),
            (&format!("thread:{AU2}"), &[AU1, AU2]),
            (&thread_by_sha, &[H1, H2]),
            (&format!("thread:{MIN}"), &[MIN]),
            // Where the copies were found: <harbour-1> is in the mbox and in
            // the loose .eml.
            ("source:ivan-petrov.mbox", &[H1, H2, RU, ST]),
            ("source:archive-2009.mbox.gz", &[MIN]),
            ("source:forwarded-copy.eml", &[H1]),
            ("source:maildir", &[INV, AU1, AU2]),
            ("source:sample-leak", ALL),
        ],
    );
    // A thread: of an unknown message is an error that says what to give.
    let out = search(&archive, &[], "thread:<nobody@example.org>");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("thread:<nobody@example.org>"), "{err}");
    assert!(err.contains("Message-ID"), "{err}");
}

#[test]
fn folder_sent_finds_the_maildir_sent_folder() {
    let (_t, archive) = sample_archive();
    check_cases(
        &archive,
        &[
            ("folder:Sent", &[AU2]),
            ("folder:sent", &[AU2]),
            ("folder:Sent Auditors", &[AU2]),
            ("-folder:Sent subject:auditors", &[AU1]),
        ],
    );
}

#[test]
fn dates_and_ranges_in_utc() {
    let (_t, archive) = sample_archive();
    check_cases(
        &archive,
        &[
            ("date:2009", ALL),
            ("date:2009-07", ALL),
            ("date:2008", &[]),
            ("date:2009-07-15", &[RU]),
            ("date:2009-07-15..2009-07-15", &[RU]),
            // Both ends included.
            ("date:2009-07-14..2009-07-17", &[H2, RU, ST, INV]),
            // Open on either side; a month at the right end means its end.
            ("date:2009-07-17..", &[INV, AU1, AU2, MIN]),
            ("date:..2009-07-14", &[H1, H2]),
            ("date:..2009-07", ALL),
            // before: excludes its day, after: includes it.
            ("before:2009-07-15", &[H1, H2]),
            ("after:2009-07-18", &[AU1, AU2, MIN]),
            ("after:2009-07-15 before:2009-07-18", &[RU, ST, INV]),
            ("has:date", ALL),
        ],
    );
}

#[test]
fn dates_are_compared_and_sorted_in_utc_and_undated_messages_come_last() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("mail");
    fs::create_dir(&dir).unwrap();
    let msgs = [
        // 2001-01-02 04:00Z, written on the 1st in New York.
        ("ny", "Mon, 1 Jan 2001 23:00:00 -0500"),
        // 2001-01-02 01:00Z.
        ("ldn", "Tue, 2 Jan 2001 01:00:00 +0000"),
        // 2001-01-01 23:30Z, written on the 2nd in Tokyo.
        ("tokyo", "Tue, 2 Jan 2001 08:30:00 +0900"),
        ("nodate", ""),
    ];
    for (name, date) in msgs {
        let date = if date.is_empty() {
            String::new()
        } else {
            format!("Date: {date}\n")
        };
        fs::write(
            dir.join(format!("{name}.eml")),
            format!("From: {name}@example.org\nSubject: {name}\n{date}Message-ID: <{name}@example.org>\n\nzebra\n"),
        )
        .unwrap();
    }
    let archive = tmp.path().join("a");
    import_json(&archive, &[&dir]);
    let order = |sort: &str| hit_ids(&search_json(&archive, &["--sort", sort], "zebra"));
    assert_eq!(
        order("date"),
        [
            "ny@example.org",
            "ldn@example.org",
            "tokyo@example.org",
            "nodate@example.org"
        ]
    );
    assert_eq!(
        order("date-asc"),
        [
            "tokyo@example.org",
            "ldn@example.org",
            "ny@example.org",
            "nodate@example.org"
        ]
    );
    check_cases(
        &archive,
        &[
            ("date:2001-01-02", &["ny@example.org", "ldn@example.org"]),
            ("date:2001-01-01", &["tokyo@example.org"]),
            ("before:2001-01-02", &["tokyo@example.org"]),
            ("after:2001-01-02", &["ny@example.org", "ldn@example.org"]),
            ("zebra -has:date", &["nodate@example.org"]),
        ],
    );
    let v = search_json(&archive, &["--facets"], "zebra");
    assert_eq!(v["facets"]["undated"], 1, "{v}");
    assert_eq!(v["facets"]["per_year"], serde_json::json!([[2001, 3]]));
}

#[test]
fn prefix_fuzzy_and_stemming() {
    let (_t, archive) = sample_archive();
    check_cases(
        &archive,
        &[
            ("counter*", &[H1, H2]),
            ("audit*", &[H1, H2, AU1, AU2]),
            ("контрмер*", &[RU]),
            // Fuzzy: one edit (a missing letter, a transposition), or two.
            ("countermesures~1", &[H1, H2]),
            ("murmanks~1", &[H1, H2]),
            ("charterr~1", &[INV, MIN]),
            ("countermesure~2", &[H1, H2]),
            // English stemming in subject, own and quoted text.
            ("countermeasure", &[H1, H2]),
            ("auditor", &[H2, AU1, AU2]),
            ("arrives", &[AU1, AU2]),
            // A quoted single word is not stemmed.
            ("\"countermeasure\"", &[]),
            // Russian stemming: the KOI8-R message says "контрмерами",
            // "просьбе", "прессе".
            ("контрмеры", &[RU]),
            ("Контрмеры", &[RU]),
            ("контрмерами", &[RU]),
            ("просьбы", &[RU]),
            ("прессы", &[RU]),
        ],
    );
}

#[test]
fn help_example_fuzzy_query_finds_countermeasures() {
    // Fuzzy terms are not stemmed: the help's example is one edit from the
    // word as written.
    let (_t, archive) = sample_archive();
    check_cases(&archive, &[("countermesures~1", &[H1, H2])]);
    let help = mailcite(&archive)
        .args(["search", "--help"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("countermesures~1"));
}

#[test]
fn a_query_starting_with_a_dash_goes_after_double_dash() {
    let (_t, archive) = sample_archive();
    // Without `--` clap says what to do.
    let out = mailcite(&archive)
        .args(["search", "-July"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("use '-- -J'"));
    for (query, expected) in [
        ("-July", &[RU, ST, MIN][..]),
        ("-has:attachment charter", &[MIN]),
    ] {
        let out = mailcite(&archive)
            .args(["search", "--json", "--", query])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{query}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("{query}: not JSON ({e}): {stdout}"));
        let mut got = hit_ids(&v);
        got.sort();
        assert_eq!(got, sorted(expected), "{query}");
    }
}

#[test]
fn several_arguments_are_joined_into_one_query() {
    let (_t, archive) = sample_archive();
    let out = mailcite(&archive)
        .args(["search", "--json", "July", "file"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["query"], "July file");
    let mut got = hit_ids(&v);
    got.sort();
    assert_eq!(got, sorted(&[AU1, AU2]));
}

#[test]
fn sort_orders() {
    let (_t, archive) = sample_archive();
    let q = "Murmansk OR vessel OR ministry OR charter";
    let by = |sort: &str| search_json(&archive, &["--sort", sort], q);

    // Newest first is the default.
    assert_eq!(hit_ids(&search_json(&archive, &[], q)), [MIN, INV, H2, H1]);
    assert_eq!(hit_ids(&by("date")), [MIN, INV, H2, H1]);
    assert_eq!(hit_ids(&by("date-asc")), [H1, H2, INV, MIN]);
    assert_eq!(
        hit_ids(&by("date-asc")),
        hit_ids(&by("date")).into_iter().rev().collect::<Vec<_>>()
    );

    // Relevance: scores never increase, and <harbour-1>, which has three of
    // the words in its own text, comes first.
    let rel = by("relevance");
    let scores: Vec<f64> = rel["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert!(scores.iter().all(|s| *s > 0.0), "{scores:?}");
    let rel_ids = hit_ids(&rel);
    assert_eq!(rel_ids[0], H1, "{rel_ids:?}");
    let mut set = rel_ids.clone();
    set.sort();
    assert_eq!(set, sorted(&[H1, H2, INV, MIN]));
    // Sorted by date there is no score.
    assert!(
        by("date")["hits"]
            .as_array()
            .unwrap()
            .iter()
            .all(|h| h["score"] == 0.0)
    );
}

#[test]
fn limit_offset_and_count() {
    let (_t, archive) = sample_archive();
    let all = [AU2, AU1, INV, H2, H1];
    assert_eq!(hit_ids(&search_json(&archive, &[], "July")), all);
    let page = |args: &[&str]| {
        let v = search_json(&archive, args, "July");
        assert_eq!(v["total"], 5, "the total counts every match: {args:?}");
        hit_ids(&v)
    };
    assert_eq!(page(&["-n", "2"]), all[..2]);
    assert_eq!(page(&["--limit", "2", "--offset", "2"]), all[2..4]);
    assert_eq!(page(&["-n", "2", "--offset", "4"]), all[4..]);
    assert_eq!(page(&["-n", "2", "--offset", "5"]), Vec::<String>::new());
    assert_eq!(page(&["-n", "0"]), Vec::<String>::new());
    assert_eq!(
        page(&["-n", "2", "--offset", "1", "--sort", "date-asc"]),
        [H2, INV]
    );

    let out = search(&archive, &["-n", "2", "--offset", "2"], "July");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.starts_with("5 messages match; showing 3-4\n"),
        "{text}"
    );

    // --count prints the number only.
    let out = search(&archive, &["--count"], "July");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "5\n");
    let out = search(&archive, &["--count"], "from:@borealis-shipping.example");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "6\n");
    let out = search(&archive, &["--count"], "zeppelin");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "0\n");
    let v = search_json(&archive, &["--count"], "July");
    assert_eq!(v["total"], 5);
    assert!(v.get("hits").is_none(), "{v}");
}

#[test]
fn exit_codes_and_query_errors() {
    let (_t, archive) = sample_archive();
    // 0 when something matched, 1 when nothing did.
    assert_eq!(search(&archive, &[], "July").status.code(), Some(0));
    let out = search(&archive, &[], "zeppelin");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "0 messages match\n");
    let v = search_json(&archive, &[], "zeppelin");
    assert_eq!(v["total"], 0);
    assert_eq!(v["hits"], serde_json::json!([]));

    // 2 for a query that cannot be parsed, with the problem and its column.
    let cases: &[(&str, &[&str])] = &[
        (
            "July \"active countermeasures",
            &["unclosed quote", "column 6"],
        ),
        (
            "from:anna foo:bar",
            &["unknown field \"foo:\"", "column 11"],
        ),
        (
            "July date:2009-13-01",
            &["bad date \"2009-13-01\"", "month", "column 11"],
        ),
        ("date:yesterday", &["bad date \"yesterday\"", "column 6"]),
        ("July (a OR b", &["unbalanced parenthesis", "column 6"]),
        ("July)", &["unbalanced parenthesis", "column 5"]),
        ("July AND", &["AND", "column 6"]),
        ("a OR", &["OR", "column 3"]),
        ("NOT", &["NOT", "column 1"]),
        ("July~3", &["fuzzy distance", "column 1"]),
        ("before:", &["missing value", "column 1"]),
        ("has:foo", &["has:", "column 5"]),
        ("lang:xx", &["unknown language", "column 6"]),
    ];
    let mut wrong = Vec::new();
    for (query, fragments) in cases {
        for json in [false, true] {
            let opts: &[&str] = if json { &["--json"] } else { &[] };
            let out = search(&archive, opts, query);
            let err = String::from_utf8_lossy(&out.stderr);
            if out.status.code() != Some(2)
                || !out.stdout.is_empty()
                || !err.contains("invalid query")
                || fragments.iter().any(|f| !err.contains(f))
            {
                wrong.push(format!(
                    "{query:?} json={json}: exit {:?}, stdout {:?}, stderr {err:?}",
                    out.status.code(),
                    String::from_utf8_lossy(&out.stdout)
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn facets_count_years_months_and_senders() {
    let (_t, archive) = sample_archive();
    let v = search_json(&archive, &["--facets"], "from:@borealis-shipping.example");
    assert_eq!(v["total"], 6);
    assert_eq!(
        v["facets"],
        serde_json::json!({
            "per_year": [[2009, 6]],
            "per_month": [["2009-07", 6]],
            "top_senders": [
                ["ivan.petrov@borealis-shipping.example", 3],
                ["board@borealis-shipping.example", 1],
                ["lena.sokol@borealis-shipping.example", 1],
                ["press@borealis-shipping.example", 1],
            ],
            "undated": 0,
        })
    );
    // Facets count every match, not only the page shown.
    let v = search_json(&archive, &["--facets", "-n", "1"], "July");
    assert_eq!(v["hits"].as_array().unwrap().len(), 1);
    assert_eq!(
        v["facets"]["per_month"],
        serde_json::json!([["2009-07", 5]])
    );
    assert_eq!(
        v["facets"]["top_senders"],
        serde_json::json!([
            ["anna.berg@nordlicht-trade.example", 2],
            ["ivan.petrov@borealis-shipping.example", 2],
            ["lena.sokol@borealis-shipping.example", 1],
        ])
    );
}

/// Replaces what depends on the machine (the archive's and the repository's
/// absolute paths) so that snapshots are the same everywhere.
fn redact(text: &str, archive: &Path) -> String {
    text.replace(archive.to_str().unwrap(), "[ARCHIVE]")
        .replace(repo().to_str().unwrap(), "[REPO]")
}

#[test]
fn snapshot_text_output() {
    let (_t, archive) = sample_archive();
    let mut all = String::new();
    for (opts, query) in [
        (&[][..], "July"),
        (
            &["--sort", "date-asc", "--facets"][..],
            "from:@borealis-shipping.example",
        ),
        (&[][..], "контрмеры"),
        (&[][..], "\"active countermeasures\""),
        (&["-n", "1", "--offset", "1"][..], "has:quoted"),
        (&[][..], "zeppelin"),
    ] {
        let out = search(&archive, opts, query);
        let mut command = String::from("$ mailcite search");
        for o in opts {
            command.push(' ');
            command.push_str(o);
        }
        all.push_str(&format!(
            "{command} -- '{query}'   (exit {})\n",
            out.status.code().unwrap()
        ));
        all.push_str(&String::from_utf8(out.stdout).unwrap());
        all.push('\n');
    }
    insta::assert_snapshot!("search_text", redact(&all, &archive));
}

#[test]
fn snapshot_json_output() {
    let (_t, archive) = sample_archive();
    let v = search_json(&archive, &["--facets"], "countermeasures OR контрмеры");
    let v: Value = serde_json::from_str(&redact(&v.to_string(), &archive)).unwrap();
    insta::assert_json_snapshot!("search_json_facets", v);
    let v = search_json(
        &archive,
        &["--sort", "date-asc", "-n", "2"],
        "has:attachment OR has:quoted",
    );
    let v: Value = serde_json::from_str(&redact(&v.to_string(), &archive)).unwrap();
    insta::assert_json_snapshot!("search_json_page", v);
}

/// Queries for the reindex tests on the sample leak.
const SAMPLE_QUERIES: &[&str] = &[
    "July",
    "\"active countermeasures\"",
    "quoted:\"active countermeasures\"",
    "charter OR Murmansk",
    "from:@borealis-shipping.example -July",
    "контрмеры",
    "thread:<harbour-2@nordlicht-trade.example>",
    "date:2009-07-14..2009-07-17",
    "has:attachment type:pdf",
    "audit* OR countermesures~1",
    "source:maildir",
    "press",
];

/// Full JSON output (with facets) of `queries` in each sort order.
fn results(
    archive: &Path,
    queries: &[&str],
    sorts: &[&str],
    limit: &str,
) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for q in queries {
        for s in sorts {
            let v = search_json(archive, &["--facets", "--sort", s, "-n", limit], q);
            out.insert(format!("{s} {q}"), v);
        }
    }
    out
}

/// What must not depend on how the index was built, whatever the order of
/// equal-ranked hits: the total, the facets and the set of hits.
fn order_free(results: &BTreeMap<String, Value>) -> BTreeMap<String, (Value, Value, Vec<String>)> {
    results
        .iter()
        .map(|(k, v)| {
            let mut ids: Vec<String> = v["hits"]
                .as_array()
                .unwrap()
                .iter()
                .map(|h| h["id"].as_str().unwrap().to_string())
                .collect();
            ids.sort();
            (k.clone(), (v["total"].clone(), v["facets"].clone(), ids))
        })
        .collect()
}

fn reindex(archive: &Path) {
    let out = mailcite(archive).arg("reindex").output().unwrap();
    assert!(
        out.status.success(),
        "reindex failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn reindex_gives_identical_results_on_the_sample_leak() {
    let (_t, archive) = sample_archive();
    let by_date = results(&archive, SAMPLE_QUERIES, &["date", "date-asc"], "100");
    let by_rel = results(&archive, SAMPLE_QUERIES, &["relevance"], "100");
    reindex(&archive);
    assert_eq!(
        results(&archive, SAMPLE_QUERIES, &["date", "date-asc"], "100"),
        by_date
    );
    assert_eq!(
        order_free(&results(&archive, SAMPLE_QUERIES, &["relevance"], "100")),
        order_free(&by_rel)
    );
}

#[test]
#[ignore = "bug: relevance scores and order after import differ from those after reindex (deleted index documents still weigh in BM25)"]
fn reindex_keeps_relevance_scores_and_order() {
    let (_t, archive) = sample_archive();
    let before = results(&archive, SAMPLE_QUERIES, &["relevance"], "100");
    reindex(&archive);
    let after = results(&archive, SAMPLE_QUERIES, &["relevance"], "100");
    let brief = |v: &Value| -> Vec<String> {
        v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| format!("{} {}", h["message_id"].as_str().unwrap(), h["score"]))
            .collect()
    };
    let wrong: Vec<String> = before
        .iter()
        .filter(|(k, v)| after[*k] != **v)
        .map(|(k, v)| {
            format!(
                "{k}\n  after import:  {:?}\n  after reindex: {:?}",
                brief(v),
                brief(&after[k])
            )
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

// ---------------------------------------------------------------------------
// The real corpora.

/// Imports cypherpunks 1992 and 1993 (10,408 messages) into a temp archive.
fn cypherpunks_archive(corpora: &Path) -> (tempfile::TempDir, PathBuf, Vec<PathBuf>) {
    let dir = corpora.join("bulk/cypherpunks");
    let files = vec![
        dir.join("cypherpunks-1992.mbox.zst"),
        dir.join("cypherpunks-1993.mbox.zst"),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("a");
    let paths: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    let r = import_json(&archive, &paths);
    assert_eq!(
        check_accounting(&r),
        (10_408, 10_408, 0, 0),
        "{}",
        r["totals"]
    );
    (tmp, archive, files)
}

/// The header fields of every message of a zstd-compressed mboxrd file, read
/// independently of mailcite: messages start at `From ` lines (the body ones
/// are `>From`-quoted), the header ends at the first empty line (CR LF or
/// LF), folded lines are unfolded, and names are lowercase.
fn mbox_headers(path: &Path) -> Vec<Vec<(String, String)>> {
    let raw = zstd::decode_all(fs::File::open(path).unwrap()).unwrap();
    let mut messages: Vec<Vec<(String, String)>> = Vec::new();
    let mut in_header = false;
    for line in raw.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.starts_with(b"From ") {
            messages.push(Vec::new());
            in_header = true;
            continue;
        }
        if !in_header {
            continue;
        }
        if line.is_empty() {
            in_header = false;
            continue;
        }
        let line = String::from_utf8_lossy(line);
        let fields = messages.last_mut().unwrap();
        if line.starts_with([' ', '\t']) {
            if let Some(last) = fields.last_mut() {
                last.1.push(' ');
                last.1.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            fields.push((name.trim().to_lowercase(), value.trim().to_string()));
        }
    }
    messages
}

fn header<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn cypherpunks_known_answers() {
    let Some(corpora) = shared_corpora() else {
        return;
    };
    let (_t, archive, files) = cypherpunks_archive(&corpora);

    // Messages from one address, counted independently in the mbox headers
    // (371: also found with Python's mailbox and email.utils.getaddresses).
    let address = "tcmay@netcom.com";
    let mut expected: Vec<String> = Vec::new();
    let mut count = 0;
    for f in &files {
        let messages = mbox_headers(f);
        count += messages.len();
        for m in messages {
            if header(&m, "from").is_some_and(|v| v.to_lowercase().contains(address)) {
                let id = header(&m, "message-id").unwrap_or("");
                expected.push(id.trim().trim_matches(['<', '>']).to_string());
            }
        }
    }
    assert_eq!(
        count, 10_408,
        "the independent split agrees with the import"
    );
    expected.sort();
    assert_eq!(expected.len(), 371);
    assert_eq!(ids(&archive, &format!("from:{address}")), expected);
    let out = search(&archive, &["--count"], &format!("from:{address}"));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "371\n");
    // By domain, including subdomains such as netcom2.netcom.com (981 by
    // Python's email.utils.getaddresses on the From headers).
    let out = search(&archive, &["--count"], "from:@netcom.com");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "981\n");

    // A date range, checked against the catalog. Python's
    // email.utils.parsedate_to_datetime finds 1337; mailcite also dates the
    // two messages from qualcomm.com whose garbled Date headers hide
    // "18 Apr 93 13:14:19 -0700" (and 12:17) after sendmail noise.
    let start = chrono::NaiveDate::from_ymd_opt(1993, 3, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp();
    let end = chrono::NaiveDate::from_ymd_opt(1993, 5, 1)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp()
        - 1;
    let conn = rusqlite::Connection::open_with_flags(
        archive.join("catalog.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let catalog_count: i64 = conn
        .query_row(
            "SELECT count(*) FROM messages WHERE date_utc BETWEEN ?1 AND ?2",
            [start, end],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(catalog_count, 1339);
    let mut st = conn
        .prepare("SELECT ifnull(message_id, '') FROM messages WHERE date_utc BETWEEN ?1 AND ?2")
        .unwrap();
    let mut in_range: Vec<String> = st
        .query_map([start, end], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    in_range.sort();
    assert_eq!(ids(&archive, "date:1993-03..1993-04"), in_range);
    assert_eq!(ids(&archive, "after:1993-03 before:1993-05"), in_range);
    let out = search(&archive, &["--count"], "date:1993-03-01..1993-04-30");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "1339\n");

    // A phrase (57 messages by a Python scan of the decoded subjects and
    // text parts).
    let out = search(&archive, &["--count"], "\"digital telephony\"");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "57\n");

    // A phrase written once, in "PGP in Fidonet", and quoted in six replies.
    let original = "199310030409.AA15860@xtropia";
    let replies = [
        "199310030757.AA04131@eff.org",
        "199310040016.AA06558@eff.org",
        "9310031721.AA26808@snark.lehman.com",
        "9310031908.AA27027@snark.lehman.com",
        "9310040243.AA28056@longs.lance.colostate.edu",
        "m0ojXWd-00022EC@khijol",
    ];
    let phrase = "\"hobby sysops have been arrested\"";
    assert_eq!(ids(&archive, &format!("body:{phrase}")), [original]);
    assert_eq!(ids(&archive, &format!("quoted:{phrase}")), sorted(&replies));
    let mut all = replies.to_vec();
    all.push(original);
    assert_eq!(ids(&archive, phrase), sorted(&all));
    // The original comes first when sorted oldest first.
    let v = search_json(&archive, &["--sort", "date-asc", "-n", "1"], phrase);
    assert_eq!(hit_ids(&v), [original]);
    assert_eq!(v["hits"][0]["subject"], "PGP in Fidonet");
}

#[test]
fn cypherpunks_garbage_date_headers_are_not_dated_in_the_future() {
    let Some(corpora) = shared_corpora() else {
        return;
    };
    let (_t, archive, _) = cypherpunks_archive(&corpora);
    // Every message of 1992 and 1993 was written in 1992 or 1993 (or has no
    // usable date).
    assert_eq!(ids(&archive, "date:1994.."), Vec::<String>::new());
    let v = search_json(
        &archive,
        &["--sort", "date", "-n", "1"],
        "from:smb@research.att.com",
    );
    let newest = v["hits"][0]["date"].as_str().unwrap();
    assert!(newest.starts_with("1993-"), "{newest}");
}

#[test]
fn cypherpunks_reindex_gives_identical_results() {
    let Some(corpora) = shared_corpora() else {
        return;
    };
    let (_t, archive, _) = cypherpunks_archive(&corpora);
    let queries = [
        "\"digital telephony\"",
        "from:tcmay@netcom.com clipper",
        "quoted:\"hobby sysops have been arrested\"",
        "date:1993-03..1993-04 remailer",
        "anonymity OR pseudonymity",
        "subject:clipper -from:@netcom.com",
        "escrow*",
    ];
    let oldest_first = results(&archive, &queries, &["date-asc"], "30");
    let all = results(&archive, &queries, &["date", "relevance"], "100000");
    reindex(&archive);
    assert_eq!(
        results(&archive, &queries, &["date-asc"], "30"),
        oldest_first
    );
    assert_eq!(
        order_free(&results(
            &archive,
            &queries,
            &["date", "relevance"],
            "100000"
        )),
        order_free(&all)
    );
}

/// The file each hit was found in, via `show --json`.
fn hit_files(archive: &Path, v: &Value) -> Vec<String> {
    let mut files: Vec<String> = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| {
            let shown = json(archive, &["show", h["id"].as_str().unwrap()]);
            shown["occurrences"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["file"].as_str().unwrap_or("").to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    files.sort();
    files
}

#[test]
fn hard_corpus_cyrillic_and_cjk_queries() {
    let Some(corpora) = shared_corpora() else {
        return;
    };
    // mailcite records absolute, canonical paths.
    let hard = fs::canonicalize(corpora.join("hard")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("a");
    import_json(&archive, &[&hard]);
    let file = |rel: &str| hard.join(rel).to_str().unwrap().to_string();

    // KOI8-R, quoted-printable: "=DB=CF=D3=D4=C9=CA" is "шостий".
    assert_eq!(
        ids(&archive, "шостий"),
        ["AM0PR0702MB3522C04E8C4950FA9976EC23E12B0@AM0PR0702MB3522.eurprd07.prod.outlook.com"]
    );
    // Russian in a KOI8-R encoded word: the attachment "Список.doc"
    // (=?koi8-r?B?89DJ08/LLmRvYw==?=) of two mime4j messages without a
    // Message-ID.
    for query in ["attachment:список", "список", "attachment:\"Список.doc\""] {
        let v = search_json(&archive, &[], query);
        let mut subjects: Vec<&str> = v["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["subject"].as_str().unwrap())
            .collect();
        subjects.sort();
        assert_eq!(subjects, ["A simple subject", "Greetings"], "{query}");
        assert_eq!(
            hit_files(&archive, &v),
            [
                file("james-mime4j/core/src/test/resources/mimetools-testmsgs/russian.msg"),
                // mime4j's expected output: the same bytes, a duplicate.
                file("james-mime4j/core/src/test/resources/mimetools-testmsgs/russian.out"),
                file("james-mime4j/core/src/test/resources/testmsgs/russian-headers.msg"),
                file("james-mime4j/core/src/test/resources/testmsgs/russian-headers.out"),
            ],
            "{query}"
        );
    }

    // ISO-2022-JP text: "けいじゅ＠今はフリー(^^;;;です."
    assert_eq!(
        ids(&archive, "フリー"),
        ["199707281508.AAA24167@hoyogw.example"]
    );
    assert_eq!(
        ids(&archive, "今は"),
        ["199707281508.AAA24167@hoyogw.example"]
    );
    // ISO-2022-JP text "すみません。", in a message without a Message-ID.
    let v = search_json(&archive, &[], "すみません");
    assert_eq!(v["total"], 1);
    assert_eq!(v["hits"][0]["subject"], "まみむめも");
    assert_eq!(
        hit_files(&archive, &v),
        [file("ruby-mail-gem/multi_charset/japanese_iso_2022.eml")]
    );
    // GB2312 encoded-word subjects: "代开各地增值税发票", and one with "镜头".
    let v = search_json(&archive, &[], "增值税");
    assert_eq!(v["total"], 1);
    assert_eq!(v["hits"][0]["subject"], "代开各地增值税发票");
    assert_eq!(
        hit_files(&archive, &v),
        [file("spamscope-mail-parser/mail_test_12")]
    );
    assert_eq!(
        ids(&archive, "subject:镜头"),
        ["5AF385F77A53C2509D46E44914A76433@ljhw"]
    );
}

//! `mailcite people`: correspondents with their counts and dates.

use crate::support::*;
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// A small fictional mailbox: one address in two cases, a second address
/// under the same display name, a recipient listed twice in one message
/// (To and Cc, different case), a message dated 01:30 +0200 (the day before
/// in UTC), and a message with neither a date nor a sender address.
pub const PEOPLE_MBOX: &str = "\
From maria@example.org Mon Jan  4 10:00:00 2010
From: Maria Lopez <Maria.Lopez@Example.ORG>
To: Bob <bob@example.net>
Date: Mon, 04 Jan 2010 10:00:00 +0000
Subject: Budget first draft
Message-ID: <p1@example.org>

Here is the budget.

From maria@example.org Tue Jan  5 23:30:00 2010
From: maria.lopez@example.org
To: bob@example.net, Carol <carol@example.net>
Cc: BOB@EXAMPLE.NET
Date: Wed, 06 Jan 2010 01:30:00 +0200
Subject: Second thoughts
Message-ID: <p2@example.org>

Let us wait.

From mlopez@other.example Wed Jan 20 09:00:00 2010
From: Maria Lopez <mlopez@other.example>
To: bob@example.net
Date: Wed, 20 Jan 2010 09:00:00 +0000
Subject: From my other account
Message-ID: <p3@other.example>

Another address, same name.

From nobody Thu Jan 21 09:00:00 2010
From: undisclosed sender;
To: bob@example.net
Subject: No date, no sender address
Message-ID: <p4@example.net>

Who wrote this?

";

/// An archive of [`PEOPLE_MBOX`].
pub fn fixture_archive() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let mbox = tmp.path().join("people.mbox");
    std::fs::write(&mbox, PEOPLE_MBOX).unwrap();
    let archive = tmp.path().join("a");
    import_json(&archive, &[&mbox]);
    (tmp, archive)
}

fn sample_archive() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("a");
    import_json(&archive, &[&sample_leak()]);
    (tmp, archive)
}

/// `people --json` with `args`, every person.
fn people(archive: &Path, args: &[&str]) -> Value {
    let mut a = vec!["people", "--limit", "0"];
    a.extend_from_slice(args);
    json(archive, &a)
}

fn person<'a>(v: &'a Value, address: &str) -> &'a Value {
    v["people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["address"] == address)
        .unwrap_or_else(|| panic!("no {address} in {v}"))
}

/// Per address, recounted from the catalog's rows in Rust: messages, sent,
/// received, first and last date.
type Recount = HashMap<String, (u64, u64, u64, Option<i64>, Option<i64>)>;

fn recount(archive: &Path) -> Recount {
    let conn = rusqlite::Connection::open_with_flags(
        archive.join("catalog.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut st = conn
        .prepare(
            "SELECT a.message, a.role, a.address, m.date_utc FROM addresses a
             JOIN messages m ON m.id = a.message",
        )
        .unwrap();
    type Sets = (HashSet<i64>, HashSet<i64>, HashSet<i64>, Vec<i64>);
    let mut sets: HashMap<String, Sets> = HashMap::new();
    let rows = st
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, Option<i64>>(3)?,
            ))
        })
        .unwrap();
    for row in rows {
        let (message, role, address, date) = row.unwrap();
        let Some(address) = address.filter(|a| !a.is_empty()) else {
            continue;
        };
        if !["from", "to", "cc", "bcc"].contains(&role.as_str()) {
            continue;
        }
        let e = sets.entry(address.to_lowercase()).or_default();
        e.0.insert(message);
        if role == "from" {
            e.1.insert(message);
        } else {
            e.2.insert(message);
        }
        e.3.extend(date);
    }
    sets.into_iter()
        .map(|(a, (all, sent, recv, dates))| {
            (
                a,
                (
                    all.len() as u64,
                    sent.len() as u64,
                    recv.len() as u64,
                    dates.iter().copied().min(),
                    dates.iter().copied().max(),
                ),
            )
        })
        .collect()
}

/// Checks every person of `people --json` against [`recount`].
pub fn check_against_catalog(archive: &Path, v: &Value) {
    let expected = recount(archive);
    let list = v["people"].as_array().unwrap();
    assert_eq!(
        list.len(),
        expected.len(),
        "one entry per lower-cased address"
    );
    assert_eq!(v["total_people"].as_u64().unwrap() as usize, expected.len());
    for p in list {
        let a = p["address"].as_str().unwrap();
        let (m, s, r, first, last) = expected[a];
        assert_eq!(p["messages"].as_u64(), Some(m), "{a}");
        assert_eq!(p["sent"].as_u64(), Some(s), "{a}");
        assert_eq!(p["received"].as_u64(), Some(r), "{a}");
        assert_eq!(p["first_date_utc"].as_i64(), first, "{a}");
        assert_eq!(p["last_date_utc"].as_i64(), last, "{a}");
    }
}

#[test]
fn people_counts_match_hand_counts_and_the_catalog() {
    let (_t, archive) = sample_archive();
    let v = people(&archive, &[]);
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["messages"], 8, "8 distinct messages (the .eml is a copy)");
    assert_eq!(v["without_sender"], 0);
    // Hand-counted from examples/sample-leak.
    let ivan = person(&v, "ivan.petrov@borealis-shipping.example");
    assert_eq!(
        (
            ivan["messages"].as_u64(),
            ivan["sent"].as_u64(),
            ivan["received"].as_u64()
        ),
        (Some(7), Some(3), Some(4))
    );
    assert_eq!(
        ivan["names"],
        serde_json::json!(["Ivan Petrov", "Иван Петров"])
    );
    assert_eq!(ivan["first_date"], "2009-07-13T06:11:12Z");
    assert_eq!(ivan["last_date"], "2009-07-20T12:00:00Z");
    let anna = person(&v, "anna.berg@nordlicht-trade.example");
    assert_eq!(
        (anna["sent"].as_u64(), anna["received"].as_u64()),
        (Some(2), Some(2))
    );
    let staff = person(&v, "all-staff@borealis-shipping.example");
    assert_eq!(staff["names"], serde_json::json!([]));
    // Busiest first.
    assert_eq!(
        v["people"][0]["address"],
        "ivan.petrov@borealis-shipping.example"
    );
    check_against_catalog(&archive, &v);
}

#[test]
fn people_merges_case_but_never_two_addresses() {
    let (_t, archive) = fixture_archive();
    let v = people(&archive, &[]);
    check_against_catalog(&archive, &v);
    assert_eq!(v["messages"], 4);
    assert_eq!(v["without_sender"], 1, "the garbled From is counted apart");
    assert_eq!(v["total_people"], 4);
    let maria = person(&v, "maria.lopez@example.org");
    assert_eq!(
        maria["sent"], 2,
        "Maria.Lopez@Example.ORG and maria.lopez@example.org are one person"
    );
    assert_eq!(maria["received"], 0);
    assert_eq!(maria["names"], serde_json::json!(["Maria Lopez"]));
    assert_eq!(
        maria["same_name"],
        serde_json::json!(["mlopez@other.example"])
    );
    assert_eq!(
        maria["last_date"], "2010-01-05T23:30:00Z",
        "01:30 +0200 on the 6th is the 5th in UTC"
    );
    let other = person(&v, "mlopez@other.example");
    assert_eq!(
        other["sent"], 1,
        "the same name on another address is another person"
    );
    assert_eq!(
        other["same_name"],
        serde_json::json!(["maria.lopez@example.org"])
    );
    let bob = person(&v, "bob@example.net");
    assert_eq!(
        bob["received"], 4,
        "To and Cc of one message count once; the message without sender counts"
    );
    assert_eq!(bob["messages"], 4);
    assert_eq!(bob["first_date"], "2010-01-04T10:00:00Z");
    assert_eq!(bob["last_date"], "2010-01-20T09:00:00Z");

    // The text listing says how the garbled message was counted.
    let out = mailcite(&archive).arg("people").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("4 people in 4 messages (1 without a sender address"),
        "{text}"
    );
    assert!(
        text.contains("[same name as mlopez@other.example]"),
        "{text}"
    );
    assert!(text.contains("2010-01-05"), "{text}");
}

#[test]
fn people_query_narrows_the_counts() {
    let (_t, archive) = fixture_archive();
    let v = people(&archive, &["budget"]);
    assert_eq!(v["query"], "budget");
    assert_eq!(v["messages"], 1);
    assert_eq!(v["total_people"], 2);
    assert_eq!(person(&v, "maria.lopez@example.org")["sent"], 1);
    assert_eq!(person(&v, "bob@example.net")["received"], 1);

    let v = people(&archive, &["to:bob@example.net -budget"]);
    assert_eq!(v["messages"], 3);
    assert_eq!(v["without_sender"], 1);
    assert_eq!(person(&v, "maria.lopez@example.org")["sent"], 1);

    // Nothing matches: exit 1, like search; a bad query: exit 2.
    let out = mailcite(&archive)
        .args(["people", "zzzqqq"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = mailcite(&archive)
        .args(["people", "frm:bob"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid query"));
}

#[test]
fn people_csv_sort_and_limit() {
    let (_t, archive) = fixture_archive();
    let out = mailcite(&archive)
        .args(["people", "--csv", "--sort", "address"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "address,names,messages,sent,received,first_date,last_date,same_name"
    );
    assert_eq!(lines.len(), 5, "{text}");
    assert_eq!(
        lines[1],
        "bob@example.net,Bob,4,0,4,2010-01-04T10:00:00Z,2010-01-20T09:00:00Z,"
    );
    let addresses: Vec<&str> = lines[1..]
        .iter()
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(
        addresses,
        [
            "bob@example.net",
            "carol@example.net",
            "maria.lopez@example.org",
            "mlopez@other.example"
        ]
    );

    let v = json(&archive, &["people", "--limit", "1", "--sort", "sent"]);
    assert_eq!(v["people"].as_array().unwrap().len(), 1);
    assert_eq!(v["people"][0]["address"], "maria.lopez@example.org");
    assert_eq!(v["total_people"], 4);
    assert_eq!(v["sort"], "sent");
    let v = json(&archive, &["people", "--sort", "last"]);
    assert_eq!(v["people"][0]["address"], "bob@example.net");
    let v = json(&archive, &["people", "--sort", "first"]);
    let order: Vec<&str> = v["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["address"].as_str().unwrap())
        .collect();
    assert_eq!(&order[..2], ["bob@example.net", "maria.lopez@example.org"]);
}

#[test]
fn people_output_is_terminal_safe() {
    let tmp = tempfile::tempdir().unwrap();
    let mbox = tmp.path().join("evil.mbox");
    std::fs::write(
        &mbox,
        "From x Mon Jan  4 10:00:00 2010\n\
         From: =?utf-8?q?Evil=1B[2J=E2=80=AEName?= <evil@example.org>\n\
         To: \"=cmd|calc\" <bob@example.net>\n\
         Date: Mon, 04 Jan 2010 10:00:00 +0000\n\
         Subject: x\n\n\
         body\n",
    )
    .unwrap();
    let archive = tmp.path().join("a");
    import_json(&archive, &[&mbox]);
    let out = mailcite(&archive).arg("people").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains('\x1b') && !text.contains('\u{202e}'),
        "{text:?}"
    );
    assert!(text.contains("Evil\\x1b[2J\\u{202e}Name"), "{text}");
    let out = mailcite(&archive)
        .args(["people", "--csv"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\x1b'), "{text:?}");
    assert!(
        !text.contains(",=") && !text.contains("\n="),
        "no cell a spreadsheet would evaluate: {text}"
    );
    assert!(text.contains("'=cmd|calc"), "{text}");
}

/// The real cypherpunks list, 1992 (974 messages): `people` agrees with the
/// catalog, and `timeline` accounts for every message.
#[test]
fn people_and_timeline_on_cypherpunks_1992() {
    let Some(corpora) = shared_corpora() else {
        return;
    };
    let src = corpora.join("bulk/cypherpunks/cypherpunks-1992.mbox.zst");
    let tmp = tempfile::tempdir().unwrap();
    let mbox = tmp.path().join("cypherpunks-1992.mbox");
    let bytes = zstd::decode_all(std::fs::File::open(&src).unwrap()).unwrap();
    std::fs::write(&mbox, bytes).unwrap();
    let archive = tmp.path().join("a");
    let report = import_json(&archive, &[&mbox]);
    let (messages, ..) = check_accounting(&report);
    assert_eq!(messages, 974);

    let start = std::time::Instant::now();
    let v = people(&archive, &[]);
    eprintln!("people on 974 messages: {:?}", start.elapsed());
    check_against_catalog(&archive, &v);
    let stats = json(&archive, &["stats"]);
    assert_eq!(v["messages"], stats["messages"]);

    let t = json(&archive, &["timeline"]);
    let sum: u64 = t["buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .sum();
    assert_eq!(sum, t["dated"].as_u64().unwrap());
    assert_eq!(t["undated"], stats["undated"]);
    assert_eq!(t["messages"], stats["messages"]);

    // A query narrows: the people of "remailer" messages are a subset.
    let q = people(&archive, &["remailer"]);
    let n = json(&archive, &["search", "--count", "remailer"])["total"]
        .as_u64()
        .unwrap();
    assert_eq!(q["messages"].as_u64().unwrap(), n);
    assert!(q["total_people"].as_u64().unwrap() < v["total_people"].as_u64().unwrap());
}

#[test]
fn own_names_win_and_same_name_hints_only_link_senders() {
    let tmp = tempfile::tempdir().unwrap();
    let mbox = tmp.path().join("names.mbox");
    let msg = |i: u32, from: &str, to: &str| {
        format!(
            "From x Mon Jan  4 10:00:00 2010\nFrom: {from}\nTo: {to}\nDate: Mon, 0{i} Jan 2010 10:00:00 +0000\nSubject: m{i}\nMessage-ID: <n{i}@example.org>\n\nbody\n\n"
        )
    };
    let text = [
        msg(1, "Alice Smith <alice@example.org>", "bob@example.org"),
        msg(
            2,
            "Bob <bob@example.org>",
            "\"Team Lead\" <alice@example.org>",
        ),
        msg(3, "Alice Smith <asmith@other.example>", "bob@example.org"),
        // Someone calls a list "Alice Smith": not a sender, no hint.
        msg(
            4,
            "Bob <bob@example.org>",
            "\"Alice Smith\" <list@example.org>",
        ),
        // A one-word name links nobody.
        msg(5, "Bob <bob2@example.org>", "alice@example.org"),
    ]
    .concat();
    std::fs::write(&mbox, text).unwrap();
    let archive = tmp.path().join("a");
    import_json(&archive, &[&mbox]);
    let v = people(&archive, &[]);
    let alice = person(&v, "alice@example.org");
    assert_eq!(
        alice["names"],
        serde_json::json!(["Alice Smith"]),
        "her own name, not what others call her"
    );
    assert_eq!(
        alice["same_name"],
        serde_json::json!(["asmith@other.example"])
    );
    let list = person(&v, "list@example.org");
    assert_eq!(
        list["names"],
        serde_json::json!(["Alice Smith"]),
        "a recipient only: the names others gave it"
    );
    assert_eq!(list["same_name"], serde_json::json!([]));
    assert_eq!(
        person(&v, "bob@example.org")["same_name"],
        serde_json::json!([])
    );
}

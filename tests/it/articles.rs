//! `mailcite article add|list|show|remove`, `cite`, `export` and the search
//! filters on citations (`cited:`, `article:`), on the fictional sample leak,
//! the fictional sample article and small fictional articles and messages
//! written by the tests.

use crate::support::*;
use serde_json::Value;
use sha2::{Digest as _, Sha256};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

// ---------------------------------------------------------------------------
// Helpers

/// A temp dir with the sample leak imported into `a/`.
fn sample_archive() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("a");
    import_json(&archive, &[&sample_leak()]);
    (tmp, archive)
}

fn sample_article() -> PathBuf {
    repo().join("examples/sample-article.html")
}

/// One fictional message.
struct Msg<'a> {
    file: &'a str,
    message_id: &'a str,
    from: &'a str,
    date: &'a str,
    subject: &'a str,
    extra: &'a str,
    body: &'a str,
}

/// Writes `msgs` as `.eml` files into `dir/mail/` and imports them into
/// `dir/a/`; returns the archive.
fn archive_of(dir: &Path, msgs: &[Msg]) -> PathBuf {
    let mail = dir.join("mail");
    fs::create_dir_all(&mail).unwrap();
    for m in msgs {
        fs::write(
            mail.join(m.file),
            format!(
                "From: {}\nTo: desk@example.org\nSubject: {}\nDate: {}\nMessage-ID: <{}>\n{}\n{}",
                m.from, m.subject, m.date, m.message_id, m.extra, m.body
            ),
        )
        .unwrap();
    }
    let archive = dir.join("a");
    let report = import_json(&archive, &[&mail]);
    assert_eq!(
        report["totals"]["imported"].as_u64(),
        Some(msgs.len() as u64),
        "{report}"
    );
    archive
}

/// Writes an article file into `dir`.
fn write_article(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, text).unwrap();
    p
}

/// `mailcite article add FILE ARGS --json`.
fn add(archive: &Path, file: &Path, args: &[&str]) -> Value {
    let mut a = vec!["article", "add", file.to_str().unwrap()];
    a.extend_from_slice(args);
    json(archive, &a)
}

/// The citation whose quote contains `needle`.
fn citation<'a>(v: &'a Value, needle: &str) -> &'a Value {
    v["citations"]
        .as_array()
        .expect("citations")
        .iter()
        .find(|c| c["quote"].as_str().unwrap().contains(needle))
        .unwrap_or_else(|| panic!("no citation quoting {needle:?} in {v:#}"))
}

/// The Message-IDs the article's citations point to, by quote.
fn sources(v: &Value) -> Vec<(String, String)> {
    v["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["quote"].as_str().unwrap().to_string(),
                c["message_id"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn unmatched(v: &Value) -> Vec<String> {
    v["unmatched"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["quote"].as_str().unwrap().to_string())
        .collect()
}

/// The SHA-256 id of the message with this Message-ID.
fn sha_of(archive: &Path, message_id: &str) -> String {
    json(archive, &["show", message_id])["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

fn also_in(c: &Value) -> BTreeSet<String> {
    c["also_in"]
        .as_array()
        .unwrap_or_else(|| panic!("also_in is a list: {c}"))
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

fn run(archive: &Path, args: &[&str]) -> Output {
    mailcite(archive).args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).unwrap()
}

/// `search --json --limit 100 QUERY`: the Message-IDs of the hits, and the
/// parsed output. Exit 0 with hits, 1 without.
fn search(archive: &Path, query: &str) -> (BTreeSet<String>, Value) {
    let out = run(archive, &["search", "--json", "--limit", "100", query]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "search {query:?}: {e}: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let ids: BTreeSet<String> = v["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["message_id"].as_str().unwrap().to_string())
        .collect();
    let expected_code = if ids.is_empty() { 1 } else { 0 };
    assert_eq!(
        out.status.code(),
        Some(expected_code),
        "search {query:?}: {v}"
    );
    (ids, v)
}

/// `export ARGS` to stdout, checked for success.
fn export(archive: &Path, args: &[&str]) -> String {
    let mut a = vec!["export"];
    a.extend_from_slice(args);
    let out = run(archive, &a);
    assert!(
        out.status.success(),
        "export {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout(&out)
}

fn sha256_hex(b: &[u8]) -> String {
    Sha256::digest(b)
        .iter()
        .map(|x| format!("{x:02x}"))
        .collect()
}

/// The sample leak's messages, by Message-ID.
const HARBOUR_1: &str = "harbour-1@borealis-shipping.example";
const HARBOUR_2: &str = "harbour-2@nordlicht-trade.example";
const AUDITORS_1: &str = "auditors-1@nordlicht-trade.example";
const AUDITORS_2: &str = "auditors-2@borealis-shipping.example";
const MINUTES_1: &str = "minutes-1@borealis-shipping.example";
const STATEMENT_1: &str = "statement-1@borealis-shipping.example";
const INVOICE_114: &str = "invoice-114@borealis-shipping.example";
const RU_1: &str = "ru-1@borealis-shipping.example";

// ---------------------------------------------------------------------------
// article add

#[test]
fn sample_article_links_each_quote_to_its_source() {
    let (_t, archive) = sample_archive();
    let v = add(&archive, &sample_article(), &[]);

    assert_eq!(v["schema_version"], 1);
    let a = &v["article"];
    assert!(a["id"].as_i64().is_some(), "{a}");
    assert_eq!(
        a["title"],
        "Shipping firm prepared “countermeasures” against the press"
    );
    assert_eq!(a["format"], "html");
    assert_eq!(a["published"], "2009-09-01T08:00:00Z");
    assert_eq!(a["url"], "https://courier.example/2009/09/borealis");
    assert_eq!(a["author"], "A. Reporter");
    assert_eq!(a["citations"], 5);
    assert_eq!(a["unmatched"], 1);
    let article_bytes = fs::read(sample_article()).unwrap();
    assert_eq!(a["sha256"], sha256_hex(&article_bytes));

    // Every citation has the documented shape.
    for c in v["citations"].as_array().unwrap() {
        for key in ["quote", "message_id", "id", "method", "score", "also_in"] {
            assert!(c.get(key).is_some(), "citation without {key}: {c}");
        }
        assert_eq!(c["id"].as_str().unwrap().len(), 64, "{c}");
        assert!(
            ["exact", "normalized", "fuzzy"].contains(&c["method"].as_str().unwrap()),
            "{c}"
        );
        let score = c["score"].as_f64().unwrap();
        assert!(score > 0.0 && score <= 1.0, "{c}");
        assert!(c["also_in"].is_array(), "{c}");
    }

    let expected = [
        ("per a big request on the ministry side", HARBOUR_1),
        (
            "prepare active countermeasures against the press before the audit",
            HARBOUR_1,
        ),
        ("tell the auditors nothing until August", HARBOUR_2),
        // The <blockquote>.
        (
            "The auditors arrive on Monday morning. Keep the July file in the office safe.",
            AUDITORS_1,
        ),
        // An unmarked verbatim run of more than 8 words.
        (
            "the board approved the charter. The press statement goes out on Wednesday",
            MINUTES_1,
        ),
    ];
    let got = sources(&v);
    assert_eq!(got.len(), expected.len(), "{got:?}");
    for (quote, mid) in expected {
        assert!(
            got.iter().any(|(q, m)| q.contains(quote) && m == mid),
            "{quote:?} should cite <{mid}>: {got:?}"
        );
    }

    // Quoted in Anna's reply too: the original is cited, the reply listed.
    let c = citation(&v, "prepare active countermeasures");
    assert_eq!(c["method"], "exact");
    assert_eq!(c["own_text"], true);
    assert_eq!(c["id"], sha_of(&archive, HARBOUR_1));
    // The .eml duplicate of the original is the same message, not another.
    assert_eq!(also_in(c), set(&[&sha_of(&archive, HARBOUR_2)]));
    assert_eq!(
        also_in(citation(&v, "tell the auditors")),
        BTreeSet::new(),
        "only in Anna's own text"
    );

    assert_eq!(unmatched(&v), ["has never misled any auditor"]);

    // The same, as an editor reads it.
    let id = v["article"]["id"].to_string();
    let out = run(&archive, &["article", "show", &id]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.contains("5 citations, 1 quote without a source"),
        "{text}"
    );
    assert!(text.contains("Quotes without a source"), "{text}");
    assert!(text.contains("has never misled any auditor"), "{text}");
    assert!(text.contains("Harbour schedule for July"), "{text}");
    assert!(text.contains("also in 1 other message"), "{text}");
}

#[test]
fn every_quote_style_finds_its_message() {
    let tmp = tempfile::tempdir().unwrap();
    let sentences = [
        "The ferry timetable changes in spring because of the new berth.",
        "Nobody may enter the northern warehouse after midnight.",
        "We shipped the crates under a different company name.",
        "The harbour pilot was paid twice for the same evening.",
        "Keep the second ledger away from the accountants entirely.",
        "The customs permits were signed before the inspection happened.",
        "Tell the captain to move the barge before sunrise tomorrow.",
    ];
    let files: Vec<String> = (1..=7).map(|i| format!("q{i}.eml")).collect();
    let mids: Vec<String> = (1..=7).map(|i| format!("q{i}@example.org")).collect();
    let bodies: Vec<String> = sentences
        .iter()
        .map(|s| format!("Hello,\n\n{s}\n\nRegards\n"))
        .collect();
    let msgs: Vec<Msg> = (0..7)
        .map(|i| Msg {
            file: &files[i],
            message_id: &mids[i],
            from: "Alice Example <alice@example.org>",
            date: "Mon, 2 Mar 2015 09:00:00 +0100",
            subject: "Note",
            extra: "",
            body: &bodies[i],
        })
        .collect();
    let archive = archive_of(tmp.path(), &msgs);

    let txt = write_article(
        tmp.path(),
        "styles.txt",
        "Port officials were told \"the ferry timetable changes in spring\" by the operator.\n\n\
         A manager wrote “Nobody may enter the northern warehouse after midnight”, the files show.\n\n\
         Un courriel dit « We shipped the crates under a different company name » selon nous.\n\n\
         Eine Mail sagt „The harbour pilot was paid twice“ laut Unterlagen.\n\n\
         Another says ‚Keep the second ledger away from the accountants‘ in full.\n\n\
         Il écrit ‹ The customs permits were signed before the inspection › encore.\n\n\
         The note reads 「Tell the captain to move the barge before sunrise」 exactly.\n",
    );
    let v = add(&archive, &txt, &[]);
    assert_eq!(v["article"]["format"], "text");
    let expected = [
        ("the ferry timetable changes in spring", "q1@example.org"),
        (
            "Nobody may enter the northern warehouse after midnight",
            "q2@example.org",
        ),
        (
            "We shipped the crates under a different company name",
            "q3@example.org",
        ),
        ("The harbour pilot was paid twice", "q4@example.org"),
        (
            "Keep the second ledger away from the accountants",
            "q5@example.org",
        ),
        (
            "The customs permits were signed before the inspection",
            "q6@example.org",
        ),
        (
            "Tell the captain to move the barge before sunrise",
            "q7@example.org",
        ),
    ];
    let want: Vec<(String, String)> = expected
        .iter()
        .map(|(q, m)| (q.to_string(), m.to_string()))
        .collect();
    assert_eq!(sources(&v), want, "{v:#}");
    assert!(unmatched(&v).is_empty(), "{v:#}");

    // The same marks written as HTML character references, and <q>.
    let html = write_article(
        tmp.path(),
        "styles.html",
        "<!doctype html><html><head><title>Styles</title></head><body>\n\
         <p>Officials heard &ldquo;the ferry timetable changes in spring&rdquo;.</p>\n\
         <p>Un courriel dit &laquo;&nbsp;we shipped the crates under a different company name&nbsp;&raquo;.</p>\n\
         <p>Die Mail: &bdquo;the harbour pilot was paid twice&ldquo;.</p>\n\
         <p>Another: &sbquo;keep the second ledger away from the accountants&lsquo;.</p>\n\
         <p>Il &eacute;crit &lsaquo;the customs permits were signed before the inspection&rsaquo;.</p>\n\
         <p>The manager wrote <q>Nobody may enter the northern warehouse after midnight</q>.</p>\n\
         </body></html>\n",
    );
    let v = add(&archive, &html, &[]);
    assert_eq!(v["article"]["format"], "html");
    let got = sources(&v);
    for (quote, mid) in [
        ("ferry timetable", "q1@example.org"),
        ("crates under a different", "q3@example.org"),
        ("pilot was paid twice", "q4@example.org"),
        ("second ledger", "q5@example.org"),
        ("customs permits", "q6@example.org"),
        ("northern warehouse", "q2@example.org"),
    ] {
        assert!(
            got.iter().any(|(q, m)| q.contains(quote) && m == mid),
            "{quote:?} should cite <{mid}>: {got:?}"
        );
    }
    assert_eq!(got.len(), 6, "{got:?}");
}

/// Messages for the block-quote and verbatim-run tests.
fn quay_messages() -> [Msg<'static>; 2] {
    [
        Msg {
            file: "quay.eml",
            message_id: "quay-1@example.org",
            from: "Alice Example <alice@example.org>",
            date: "Mon, 2 Mar 2015 09:00:00 +0000",
            subject: "Quay",
            extra: "",
            body: "Hi,\n\nthe forklift drivers were paid in cash every second Friday at the gate.\n\
                   Also the crane operators never signed a single safety sheet last winter.\n",
        },
        Msg {
            file: "dock.eml",
            message_id: "dock-1@example.org",
            from: "Bob Example <bob@example.org>",
            date: "Tue, 3 Mar 2015 09:00:00 +0000",
            subject: "Dock workers",
            extra: "",
            body: "All,\n\nWe will not inform the dock workers before the contract is signed.\n\
                   The lawyers will handle the union if it asks any questions.\n\nBob\n",
        },
    ]
}

#[test]
fn block_quotes_and_unmarked_verbatim_runs_are_cited() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = archive_of(tmp.path(), &quay_messages());

    // Markdown: a `>` block quote over two lines, and an unmarked run.
    let md = write_article(
        tmp.path(),
        "story.md",
        "# Dock story\n\nA manager put it plainly:\n\n\
         > We will not inform the dock workers\n> before the contract is signed.\n\n\
         Records show the forklift drivers were paid in cash every second Friday at the gate, \
         a practice that lasted years.\n\n\
         Separately, the operators never signed a single safety sheet, staff say.\n",
    );
    let v = add(&archive, &md, &[]);
    assert_eq!(v["article"]["format"], "markdown");
    assert_eq!(v["article"]["title"], "Dock story");
    let block = citation(&v, "dock workers");
    assert_eq!(block["message_id"], "dock-1@example.org");
    assert!(
        block["quote"]
            .as_str()
            .unwrap()
            .contains("before the contract is signed"),
        "one passage for the whole block: {block}"
    );
    let run8 = citation(&v, "forklift drivers");
    assert_eq!(run8["message_id"], "quay-1@example.org");
    assert!(
        run8["quote"]
            .as_str()
            .unwrap()
            .contains("paid in cash every second Friday at the gate"),
        "{run8}"
    );
    // "operators never signed a single safety sheet" is only 7 words.
    assert_eq!(v["citations"].as_array().unwrap().len(), 2, "{v:#}");
    assert!(unmatched(&v).is_empty(), "{v:#}");

    // HTML: a <blockquote> with paragraphs, and an 8-word unmarked run.
    let html = write_article(
        tmp.path(),
        "story.html",
        "<!doctype html><html><head><title>Docks</title></head><body>\n\
         <p>The memo is blunt.</p>\n\
         <blockquote><p>The lawyers will handle the union if it asks any questions.</p></blockquote>\n\
         <p>Separately, the crane operators never signed a single safety sheet last winter, staff say.</p>\n\
         </body></html>\n",
    );
    let v = add(&archive, &html, &[]);
    assert_eq!(
        sources(&v),
        [
            (
                "The lawyers will handle the union if it asks any questions.".to_string(),
                "dock-1@example.org".to_string()
            ),
            (
                "the crane operators never signed a single safety sheet last winter".to_string(),
                "quay-1@example.org".to_string()
            ),
        ],
        "{v:#}"
    );
}

#[test]
fn an_eight_word_run_is_cited_wherever_it_starts() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = archive_of(tmp.path(), &quay_messages());
    let mut missed = Vec::new();
    for (i, lead) in ["", "One", "One two", "One two three", "One two three four"]
        .iter()
        .enumerate()
    {
        // Exactly 8 words the message has, after `lead`.
        let art = write_article(
            tmp.path(),
            &format!("run{i}.txt"),
            &format!("{lead} crane operators never signed a single safety sheet.\n"),
        );
        let v = add(&archive, &art, &[]);
        if sources(&v)
            != [(
                "crane operators never signed a single safety sheet".to_string(),
                "quay-1@example.org".to_string(),
            )]
        {
            missed.push(format!("{lead:?}: {:?}", sources(&v)));
        }
    }
    assert!(missed.is_empty(), "not cited after: {missed:#?}");
}

/// A message whose sentences the editors' changes are made on.
fn contract_message() -> Msg<'static> {
    Msg {
        file: "contract.eml",
        message_id: "contract-1@example.org",
        from: "Alice Example <alice@example.org>",
        date: "Mon, 2 Mar 2015 09:00:00 +0000",
        subject: "Contract",
        extra: "",
        body: "Dear all,\n\n\
               The minister called the deal \"a done thing\" and asked us to keep the\n\
               second contract out of the tender file until the elections are over.\n\
               He also said the inspectors would be well-\n\
               rewarded for their patience -- and for their silence.\n\nAlice\n",
    }
}

#[test]
fn editors_changes_give_normalized_or_fuzzy_matches_with_a_score() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = archive_of(tmp.path(), &[contract_message()]);
    let art = write_article(
        tmp.path(),
        "edits.txt",
        "Elided: “the minister called the deal ... out of the tender file”.\n\n\
         Elided again: “keep the second contract … until the elections are over”.\n\n\
         Inserted: “asked [the staff] to keep the second contract out of the tender file”.\n\n\
         Curly marks: “called the deal ‘a done thing’ and asked us”.\n\n\
         Wrapped: \"the inspectors would be well-rewarded for\n\
         their patience – and for their silence\".\n\n\
         Changed: “asked us to keep the third contract out of the tender file until the elections are over”.\n",
    );
    let v = add(&archive, &art, &[]);
    assert!(unmatched(&v).is_empty(), "{v:#}");
    for needle in [
        "called the deal ...",
        "second contract …",
        "[the staff]",
        "‘a done thing’",
        "well-rewarded",
        "third contract",
    ] {
        let c = citation(&v, needle);
        assert_eq!(c["message_id"], "contract-1@example.org", "{c}");
        let method = c["method"].as_str().unwrap();
        assert!(
            method == "normalized" || method == "fuzzy",
            "an edited quote is not exact: {c}"
        );
        let score = c["score"].as_f64().unwrap();
        assert!((0.85..=1.0).contains(&score), "{c}");
        // The passage is the message's own wording.
        let passage = c["passage"].as_str().unwrap();
        assert!(!passage.contains('['), "{c}");
        assert!(!passage.contains('…') && !passage.contains("..."), "{c}");
    }
    let wrapped = citation(&v, "well-rewarded");
    assert_eq!(wrapped["method"], "normalized");
    assert_eq!(wrapped["score"], 1.0);
    let changed = citation(&v, "third contract");
    assert_eq!(changed["method"], "fuzzy");
    assert!(changed["score"].as_f64().unwrap() < 1.0, "{changed}");
    assert!(
        changed["passage"]
            .as_str()
            .unwrap()
            .contains("second contract"),
        "the passage is what the message says: {changed}"
    );
    let elided = citation(&v, "second contract …");
    assert!(
        elided["passage"]
            .as_str()
            .unwrap()
            .contains("out of the tender file"),
        "the passage covers the elided part: {elided}"
    );

    // A stricter threshold leaves the changed quote without a source.
    let v = add(&archive, &art, &["--min-score", "0.99"]);
    assert!(
        unmatched(&v).iter().any(|q| q.contains("third contract")),
        "{v:#}"
    );
    assert_eq!(citation(&v, "well-rewarded")["method"], "normalized");
}

#[test]
fn a_wrapped_passage_is_printed_without_escape_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = archive_of(tmp.path(), &[contract_message()]);
    let art = write_article(
        tmp.path(),
        "wrapped.txt",
        "She wrote that the minister “asked [the staff] to keep the second contract out of the tender file”.\n",
    );
    let out = run(&archive, &["article", "add", art.to_str().unwrap()]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("message has:"), "{text}");
    assert!(
        !text.contains("\\x0a"),
        "a line break of the message is white space, not an escape: {text}"
    );
}

#[test]
fn a_quote_in_several_messages_cites_the_original() {
    let tmp = tempfile::tempdir().unwrap();
    let memo = "The board decided to sell the northern terminal to a company registered\n\
                in Cyprus, and the sale must stay confidential until the vote in May.\n";
    let reply = format!(
        "Understood, I will prepare the papers.\n\nOn Mon, 2 Mar 2015, Alice wrote:\n{}",
        memo.lines().map(|l| format!("> {l}\n")).collect::<String>()
    );
    let forward = format!(
        "FYI\n\n---------- Forwarded message ---------\nFrom: Alice Example <alice@example.org>\n\
         Date: Mon, 2 Mar 2015\nSubject: Board memo\n\nTeam,\n\n{memo}"
    );
    let original = format!("Team,\n\n{memo}\nAlice\n");
    let archive = archive_of(
        tmp.path(),
        &[
            Msg {
                file: "memo-1.eml",
                message_id: "memo-1@example.org",
                from: "Alice Example <alice@example.org>",
                date: "Mon, 2 Mar 2015 09:00:00 +0400",
                subject: "Board memo",
                extra: "",
                body: &original,
            },
            Msg {
                file: "memo-2.eml",
                message_id: "memo-2@example.org",
                from: "Bob Example <bob@example.org>",
                date: "Tue, 3 Mar 2015 10:00:00 +0400",
                subject: "Re: Board memo",
                extra: "In-Reply-To: <memo-1@example.org>\n",
                body: &reply,
            },
            Msg {
                file: "memo-3.eml",
                message_id: "memo-3@example.org",
                from: "Carol Example <carol@example.org>",
                date: "Wed, 4 Mar 2015 11:00:00 +0400",
                subject: "Fwd: Board memo",
                extra: "",
                body: &forward,
            },
            // Only a reply quotes this one; its original is not in the leak.
            Msg {
                file: "reply-only.eml",
                message_id: "reply-only@example.org",
                from: "Bob Example <bob@example.org>",
                date: "Tue, 3 Mar 2015 10:00:00 +0000",
                subject: "Re: Dredging",
                extra: "",
                body: "Noted.\n\nOn Mon, 2 Mar 2015, Alice wrote:\n\
                       > The dredging contract went to the mayor's cousin without any tender at all.\n",
            },
            // Only a forward has this one.
            Msg {
                file: "fwd-only.eml",
                message_id: "fwd-only@example.org",
                from: "Carol Example <carol@example.org>",
                date: "Wed, 4 Mar 2015 11:00:00 +0000",
                subject: "Fwd: Cranes",
                extra: "",
                body: "See below.\n\n---------- Forwarded message ---------\n\
                       From: Eve Example <eve@example.org>\nSubject: Cranes\n\n\
                       The two cranes were insured for three times their actual value last year.\n",
            },
            // The same statement sent twice; the later one comes first on disk.
            Msg {
                file: "a-statement-late.eml",
                message_id: "stmt-late@example.org",
                from: "Press Office <press@example.org>",
                date: "Fri, 6 Mar 2015 09:00:00 +0000",
                subject: "Statement",
                extra: "",
                body: "Our company has always respected every environmental rule in the port.\n",
            },
            Msg {
                file: "z-statement-early.eml",
                message_id: "stmt-early@example.org",
                from: "Press Office <press@example.org>",
                date: "Thu, 5 Mar 2015 09:00:00 +0000",
                subject: "Statement",
                extra: "",
                body: "Our company has always respected every environmental rule in the port.\n",
            },
            // A reply whose clock was wrong: dated before the original it quotes.
            Msg {
                file: "b-tugs-reply.eml",
                message_id: "tugs-reply@example.org",
                from: "Bob Example <bob@example.org>",
                date: "Sun, 1 Mar 2015 08:00:00 +0000",
                subject: "Re: Tugs",
                extra: "In-Reply-To: <tugs-1@example.org>\n",
                body: "Fine by me.\n\n> Both tugs will be registered under the flag of Belize next month.\n",
            },
            Msg {
                file: "c-tugs.eml",
                message_id: "tugs-1@example.org",
                from: "Alice Example <alice@example.org>",
                date: "Mon, 2 Mar 2015 08:00:00 +0000",
                subject: "Tugs",
                extra: "",
                body: "Both tugs will be registered under the flag of Belize next month.\n",
            },
        ],
    );
    let art = write_article(
        tmp.path(),
        "port.html",
        "<!doctype html><html><head><title>Port</title></head><body>\n\
         <p>The memo said “the board decided to sell the northern terminal to a company registered in Cyprus”.</p>\n\
         <p>A reply shows “the dredging contract went to the mayor’s cousin without any tender”.</p>\n\
         <blockquote><p>The two cranes were insured for three times their actual value last year.</p></blockquote>\n\
         <p>The press office said “Our company has always respected every environmental rule in the port”.</p>\n\
         <p>Alice wrote that “both tugs will be registered under the flag of Belize”.</p>\n\
         </body></html>\n",
    );
    let v = add(&archive, &art, &[]);
    assert!(unmatched(&v).is_empty(), "{v:#}");

    let c = citation(&v, "northern terminal");
    assert_eq!(c["message_id"], "memo-1@example.org", "the original: {c}");
    assert_eq!(c["own_text"], true);
    assert_eq!(
        also_in(c),
        set(&[
            &sha_of(&archive, "memo-2@example.org"),
            &sha_of(&archive, "memo-3@example.org")
        ]),
        "the reply and the forward are listed"
    );

    let c = citation(&v, "dredging contract");
    assert_eq!(c["message_id"], "reply-only@example.org");
    assert_eq!(c["own_text"], false, "quoted in the reply: {c}");
    assert_eq!(also_in(c), BTreeSet::new());

    let c = citation(&v, "two cranes");
    assert_eq!(c["message_id"], "fwd-only@example.org");
    assert_eq!(c["own_text"], false, "quoted in the forward: {c}");

    let c = citation(&v, "environmental rule");
    assert_eq!(c["message_id"], "stmt-early@example.org", "earliest: {c}");
    assert_eq!(
        also_in(c),
        set(&[&sha_of(&archive, "stmt-late@example.org")])
    );

    let c = citation(&v, "Belize");
    assert_eq!(
        c["message_id"], "tugs-1@example.org",
        "own text wins over an earlier quoting reply: {c}"
    );
    assert_eq!(c["own_text"], true);
    assert_eq!(
        also_in(c),
        set(&[&sha_of(&archive, "tugs-reply@example.org")])
    );

    // The editor is told when only a quoting message was found.
    let id = v["article"]["id"].to_string();
    let out = run(&archive, &["article", "show", &id]);
    let text = stdout(&out);
    assert!(
        text.contains("quoted in that message: its original was not found"),
        "{text}"
    );
    assert!(text.contains("also in 2 other messages"), "{text}");
}

#[test]
fn title_date_and_url_come_from_metadata_unless_given() {
    let (tmp, archive) = sample_archive();
    let v = add(&archive, &sample_article(), &[]);
    let a = &v["article"];
    assert_eq!(
        a["title"],
        "Shipping firm prepared “countermeasures” against the press"
    );
    assert_eq!(a["published"], "2009-09-01T08:00:00Z");
    assert_eq!(a["url"], "https://courier.example/2009/09/borealis");
    assert_eq!(a["author"], "A. Reporter");
    assert_eq!(a["outlet"], Value::Null);

    let v = add(
        &archive,
        &sample_article(),
        &[
            "--title",
            "Ministry pressed shipping firm",
            "--url",
            "https://courier.example/corrected",
            "--published",
            "2009-09-02",
            "--outlet",
            "The Courier",
            "--author",
            "B. Editor",
        ],
    );
    let a = &v["article"];
    assert_eq!(a["title"], "Ministry pressed shipping firm");
    assert_eq!(a["url"], "https://courier.example/corrected");
    assert_eq!(a["published"], "2009-09-02");
    assert_eq!(a["outlet"], "The Courier");
    assert_eq!(a["author"], "B. Editor");
    assert_eq!(a["citations"], 5, "the options change no citation");

    // og:title is preferred over <title>.
    let html = write_article(
        tmp.path(),
        "og.html",
        "<!doctype html><html><head><title>Site | Story</title>\n\
         <meta property=\"og:title\" content=\"Harbour secrets\">\n\
         <meta property=\"og:url\" content=\"https://news.example.org/harbour\">\n\
         <meta property=\"article:published_time\" content=\"2009-10-01T06:00:00+02:00\">\n\
         </head><body><p>Nothing quoted here at all.</p></body></html>\n",
    );
    let a = &add(&archive, &html, &[])["article"];
    assert_eq!(a["title"], "Harbour secrets");
    assert_eq!(a["url"], "https://news.example.org/harbour");
    assert_eq!(a["published"], "2009-10-01T06:00:00+02:00");

    // Markdown front matter.
    let md = write_article(
        tmp.path(),
        "fm.md",
        "---\ntitle: The audit\ndate: 2009-11-05\nurl: https://news.example.org/audit\n---\n\n\
         # Heading that is not the title\n\nShe would “tell the auditors nothing until August”.\n",
    );
    let v = add(&archive, &md, &[]);
    assert_eq!(v["article"]["title"], "The audit");
    assert_eq!(v["article"]["published"], "2009-11-05");
    assert_eq!(v["article"]["url"], "https://news.example.org/audit");
    assert_eq!(sources(&v)[0].1, HARBOUR_2);

    // Plain text: no metadata, the file name is the title.
    let txt = write_article(tmp.path(), "draft.txt", "Nothing quoted.\n");
    let a = &add(&archive, &txt, &[])["article"];
    assert_eq!(a["title"], "draft.txt");
    assert_eq!(a["url"], Value::Null);
    assert_eq!(a["published"], Value::Null);
}

// ---------------------------------------------------------------------------
// article list / show / remove, and search

#[test]
fn list_show_and_remove_keep_every_message() {
    let (tmp, archive) = sample_archive();
    let stats_before = json(&archive, &["stats"]);
    let first = add(&archive, &sample_article(), &[]);
    let id1 = first["article"]["id"].as_i64().unwrap().to_string();
    let txt = write_article(
        tmp.path(),
        "follow-up.txt",
        "Follow-up.\n\nIvan Petrov wrote that the firm acted “per a big request on the ministry side”.\n\
         The press office wrote: “Draft statement below”.\n",
    );
    let second = add(&archive, &txt, &["--title", "Follow-up"]);
    let id2 = second["article"]["id"].as_i64().unwrap().to_string();
    assert_ne!(id1, id2);
    assert_eq!(
        sources(&second),
        [
            (
                "per a big request on the ministry side".to_string(),
                HARBOUR_1.to_string()
            ),
            ("Draft statement below".to_string(), STATEMENT_1.to_string()),
        ]
    );

    let list = json(&archive, &["article", "list"]);
    let arts = list["articles"].as_array().unwrap();
    assert_eq!(arts.len(), 2);
    assert_eq!(arts[0]["citations"], 5);
    assert_eq!(arts[0]["unmatched"], 1);
    assert_eq!(arts[1]["citations"], 2);
    assert_eq!(arts[1]["unmatched"], 0);
    assert_eq!(arts[1]["title"], "Follow-up");
    let text = stdout(&run(&archive, &["article", "list"]));
    assert!(text.contains("5 citations"), "{text}");
    assert!(text.contains("Follow-up"), "{text}");

    let show = json(&archive, &["article", "show", &id1]);
    assert_eq!(show["article"]["id"].to_string(), id1);
    assert_eq!(show["citations"].as_array().unwrap().len(), 5);
    assert_eq!(
        show["unmatched"],
        serde_json::json!([{"quote": "has never misled any auditor"}])
    );
    for c in show["citations"].as_array().unwrap() {
        assert_eq!(c["article"].to_string(), id1);
        assert_eq!(c["message_sha256"].as_str().unwrap().len(), 64);
        assert_eq!(c["manual"], false);
    }

    let (cited, _) = search(&archive, "cited:yes");
    assert_eq!(
        cited,
        set(&[HARBOUR_1, HARBOUR_2, AUDITORS_1, MINUTES_1, STATEMENT_1])
    );

    // Removing the first article removes its citations, never a message.
    let out = run(&archive, &["article", "remove", &id1]);
    assert!(out.status.success());
    assert!(
        stdout(&out).contains("5 citations (no message was removed)"),
        "{}",
        stdout(&out)
    );
    let stats_after = json(&archive, &["stats"]);
    for key in [
        "messages",
        "occurrences",
        "sources",
        "duplicates",
        "raw_bytes",
    ] {
        assert_eq!(stats_before[key], stats_after[key], "stats {key}");
    }
    let out = run(&archive, &["article", "show", &id1]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("no article {id1}")));
    assert_eq!(
        json(&archive, &["article", "list"])["articles"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Only the second article's messages are still cited, and only by it.
    let (cited, v) = search(&archive, "cited:yes");
    assert_eq!(cited, set(&[HARBOUR_1, STATEMENT_1]));
    for h in v["hits"].as_array().unwrap() {
        let by: Vec<String> = h["cited_by"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["article"].to_string())
            .collect();
        assert_eq!(by, std::slice::from_ref(&id2), "{h}");
    }
    assert!(search(&archive, &format!("article:{id1}")).0.is_empty());
    assert!(
        json(&archive, &["show", MINUTES_1])["cited_in"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // And with the second one gone nothing is cited; every message is there.
    let v = json(&archive, &["article", "remove", &id2]);
    assert_eq!(v["citations_removed"], 2);
    assert!(search(&archive, "cited:yes").0.is_empty());
    assert_eq!(search(&archive, "cited:no").0.len(), 8);
    assert_eq!(json(&archive, &["stats"])["messages"], 8);
}

#[test]
fn search_filters_on_citations_and_json_carries_them() {
    let (_t, archive) = sample_archive();
    let (uncited, _) = search(&archive, "cited:no");
    assert_eq!(uncited.len(), 8, "nothing is cited yet");
    assert!(search(&archive, "cited:yes").0.is_empty());

    let v = add(&archive, &sample_article(), &[]);
    let id = v["article"]["id"].as_i64().unwrap();
    let title = v["article"]["title"].clone();

    let cited = set(&[HARBOUR_1, HARBOUR_2, AUDITORS_1, MINUTES_1]);
    let (yes, hits) = search(&archive, "cited:yes");
    assert_eq!(yes, cited);
    assert_eq!(hits["total"], 4);
    for h in hits["hits"].as_array().unwrap() {
        assert_eq!(
            h["cited_by"],
            serde_json::json!([{"article": id, "title": title}]),
            "{h}"
        );
    }
    assert_eq!(
        search(&archive, "cited:no").0,
        set(&[AUDITORS_2, INVOICE_114, STATEMENT_1, RU_1])
    );
    assert_eq!(search(&archive, &format!("article:{id}")).0, cited);
    assert!(
        search(&archive, &format!("article:{}", id + 1))
            .0
            .is_empty()
    );
    assert_eq!(
        search(&archive, "countermeasures cited:yes").0,
        set(&[HARBOUR_1, HARBOUR_2])
    );
    assert_eq!(
        search(&archive, "auditors -cited:yes").0,
        set(&[AUDITORS_2])
    );
    let count = run(&archive, &["search", "--count", "cited:yes"]);
    assert_eq!(stdout(&count).trim(), "4");

    // Uncited hits say so.
    let (_, v) = search(&archive, "invoice");
    assert_eq!(v["hits"][0]["cited_by"], serde_json::json!([]));

    // `show --json` lists the citations of a message.
    let m = json(&archive, &["show", AUDITORS_1]);
    let cited_in = m["cited_in"].as_array().unwrap();
    assert_eq!(cited_in.len(), 1);
    assert_eq!(cited_in[0]["article"], id);
    assert_eq!(cited_in[0]["article_title"], title);
    assert_eq!(cited_in[0]["method"], "exact");
    assert_eq!(
        cited_in[0]["passage"],
        "The auditors arrive on Monday morning. Keep the July file in the office safe."
    );
    let text = m["text"].as_str().unwrap();
    let (s, e) = (
        cited_in[0]["start_char"].as_u64().unwrap() as usize,
        cited_in[0]["end_char"].as_u64().unwrap() as usize,
    );
    assert_eq!(
        text.chars().skip(s).take(e - s).collect::<String>(),
        cited_in[0]["passage"].as_str().unwrap(),
        "the offsets point at the passage in the message text"
    );
    assert_eq!(
        json(&archive, &["show", HARBOUR_1])["cited_in"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "two passages of the same message"
    );
    assert!(
        json(&archive, &["show", INVOICE_114])["cited_in"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

// ---------------------------------------------------------------------------
// cite

#[test]
fn cite_records_a_manual_citation_and_refuses_a_passage_not_in_the_message() {
    let (_t, archive) = sample_archive();
    let id = add(&archive, &sample_article(), &[])["article"]["id"]
        .as_i64()
        .unwrap()
        .to_string();

    // A passage of an uncited message, given as the journalist typed it.
    let v = json(
        &archive,
        &[
            "cite",
            STATEMENT_1,
            "--article",
            &id,
            "--passage",
            "draft statement below",
        ],
    );
    assert_eq!(v["message_id"], STATEMENT_1);
    assert_eq!(v["id"], sha_of(&archive, STATEMENT_1));
    assert_eq!(v["passage"], "Draft statement below");
    assert_eq!(v["article"].to_string(), id);

    // Line wrapping is no obstacle; the id may be a prefix.
    let prefix = &sha_of(&archive, HARBOUR_1)[..12];
    let v = json(
        &archive,
        &[
            "cite",
            prefix,
            "--article",
            &id,
            "--passage",
            "on the ministry side we must\n  prepare active countermeasures",
        ],
    );
    assert_eq!(
        v["passage"],
        "on the ministry side we must\nprepare active countermeasures"
    );

    let show = json(&archive, &["article", "show", &id]);
    let manual: Vec<&Value> = show["citations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["manual"] == true)
        .collect();
    assert_eq!(manual.len(), 2, "{show:#}");
    assert!(manual.iter().all(|c| c["method"] == "manual"));
    assert_eq!(show["article"]["citations"], 7);
    let text = stdout(&run(&archive, &["article", "show", &id]));
    assert!(text.contains("7 citations"), "{text}");
    assert!(text.contains("Statement draft"), "{text}");
    assert!(search(&archive, "cited:yes").0.contains(STATEMENT_1));

    // Not in the message: refused, with a way to check, and nothing recorded.
    let out = run(
        &archive,
        &[
            "cite",
            HARBOUR_1,
            "--article",
            &id,
            "--passage",
            "we will sink the ship before the audit",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("the passage is not in message"), "{err}");
    assert!(err.contains("mailcite show"), "{err}");
    assert!(out.stdout.is_empty());
    // A passage of another message is not in this one either.
    let out = run(
        &archive,
        &[
            "cite",
            INVOICE_114,
            "--article",
            &id,
            "--passage",
            "Draft statement below",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        json(&archive, &["article", "show", &id])["article"]["citations"],
        7
    );
    assert!(!search(&archive, "cited:yes").0.contains(INVOICE_114));

    // An article that does not exist.
    let out = run(
        &archive,
        &[
            "cite",
            HARBOUR_1,
            "--article",
            "99",
            "--passage",
            "The vessel leaves Murmansk",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no article 99"));
}

#[test]
fn cite_refuses_a_passage_with_a_changed_word() {
    let (_t, archive) = sample_archive();
    let id = add(&archive, &sample_article(), &[])["article"]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    // The message says "against the press" and "active".
    for passage in [
        "we must prepare active countermeasures against the unions before the audit",
        "Per a big request on the ministry side we must prepare passive countermeasures against the press before the audit",
    ] {
        let out = run(
            &archive,
            &["cite", HARBOUR_1, "--article", &id, "--passage", passage],
        );
        assert_eq!(
            out.status.code(),
            Some(2),
            "{passage:?} is not in the message: {}",
            stdout(&out)
        );
    }
    assert_eq!(
        json(&archive, &["article", "show", &id])["article"]["citations"],
        5
    );
}

// ---------------------------------------------------------------------------
// export

/// The byte offset of the From_ line of Anna's reply in ivan-petrov.mbox.
fn harbour_2_offset() -> usize {
    let mbox = fs::read(sample_leak().join("ivan-petrov.mbox")).unwrap();
    mbox.windows(15)
        .position(|w| w == b"From anna.berg@")
        .unwrap()
}

#[test]
fn export_article_in_every_format_has_the_full_provenance() {
    let (tmp, archive) = sample_archive();
    let id = add(&archive, &sample_article(), &[])["article"]["id"]
        .as_i64()
        .unwrap()
        .to_string();
    let h1 = sha_of(&archive, HARBOUR_1);
    let h2 = sha_of(&archive, HARBOUR_2);
    // The id is the SHA-256 of the raw message: the loose .eml is that message.
    assert_eq!(
        h1,
        sha256_hex(&fs::read(sample_leak().join("loose/forwarded-copy.eml")).unwrap())
    );
    let off2 = harbour_2_offset();

    // JSON
    let v: Value =
        serde_json::from_str(&export(&archive, &["--article", &id, "--format", "json"])).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert_eq!(v["article"]["id"].to_string(), id);
    let cs = v["citations"].as_array().unwrap();
    assert_eq!(cs.len(), 5);
    let ns: Vec<u64> = cs.iter().map(|c| c["n"].as_u64().unwrap()).collect();
    assert_eq!(ns, [1, 2, 3, 4, 5]);
    let c = cs
        .iter()
        .find(|c| {
            c["passage"] == "prepare active countermeasures against the press before the audit"
        })
        .expect("the countermeasures passage");
    assert_eq!(c["message_id"], HARBOUR_1);
    assert_eq!(c["id"], h1);
    assert_eq!(c["date"], "2009-07-13 10:11:12 +0400");
    assert_eq!(c["date_header"], "Mon, 13 Jul 2009 10:11:12 +0400");
    assert_eq!(
        c["from"],
        "Ivan Petrov <ivan.petrov@borealis-shipping.example>"
    );
    assert_eq!(c["to"], "Anna Berg <anna.berg@nordlicht-trade.example>");
    assert_eq!(c["subject"], "Harbour schedule for July");
    assert_eq!(c["also_in"], serde_json::json!([h2]));
    assert!(
        c["context_before"]
            .as_str()
            .unwrap()
            .ends_with("Per a big request on the ministry side we must"),
        "{c}"
    );
    assert!(
        c["context_after"]
            .as_str()
            .unwrap()
            .contains("From the start we knew this would be difficult"),
        "{c}"
    );
    let occ = c["occurrences"].as_array().unwrap();
    assert_eq!(occ.len(), 2, "the mbox copy and the .eml copy");
    assert!(occ.iter().any(
        |o| o["source"].as_str().unwrap().ends_with("ivan-petrov.mbox")
            && o["index"] == 0
            && o["offset"] == 0
    ));
    assert!(occ.iter().any(|o| {
        o["file"]
            .as_str()
            .unwrap_or("")
            .ends_with("loose/forwarded-copy.eml")
    }));
    let reply = cs.iter().find(|c| c["message_id"] == HARBOUR_2).unwrap();
    assert_eq!(reply["date"], "2009-07-14 09:02:00 +0200");
    assert_eq!(reply["occurrences"][0]["index"], 1);
    assert_eq!(reply["occurrences"][0]["offset"], off2);
    let minutes = cs.iter().find(|c| c["message_id"] == MINUTES_1).unwrap();
    assert_eq!(minutes["date"], "2009-07-20 16:00:00 +0400");
    assert!(
        minutes["occurrences"][0]["source"]
            .as_str()
            .unwrap()
            .ends_with("archive-2009.mbox.gz")
    );
    // A narrower context.
    let v: Value = serde_json::from_str(&export(
        &archive,
        &["--article", &id, "--format", "json", "--context", "10"],
    ))
    .unwrap();
    for c in v["citations"].as_array().unwrap() {
        for k in ["context_before", "context_after"] {
            assert!(c[k].as_str().unwrap().chars().count() <= 10, "{c}");
        }
    }

    // Markdown: footnotes.
    let md = export(&archive, &["--article", &id]);
    assert_eq!(
        md,
        export(&archive, &["--article", &id, "--format", "markdown"])
    );
    for n in 1..=5 {
        assert!(md.contains(&format!("\n[^{n}]: ")), "footnote {n}: {md}");
    }
    assert!(!md.contains("[^6]"));
    let f2 = md
        .lines()
        .find(|l| {
            l.contains("]: “prepare active countermeasures against the press before the audit”")
        })
        .unwrap();
    for needle in [
        "from Ivan Petrov \\<ivan.petrov@borealis-shipping.example\\>",
        "to Anna Berg \\<anna.berg@nordlicht-trade.example\\>",
        "dated 2009-07-13 10:11:12 +0400",
        "subject “Harbour schedule for July”",
        "Message-ID \\<harbour-1@borealis-shipping.example\\>",
        &h1,
        "ivan-petrov.mbox (message 0, byte offset 0)",
        "loose/forwarded-copy.eml",
        "Context:",
        "The vessel leaves Murmansk on the 20th.",
        "Also in 1 other message",
    ] {
        assert!(f2.contains(needle), "{needle:?} missing from {f2}");
    }
    assert!(
        md.contains(&format!("ivan-petrov.mbox (message 1, byte offset {off2})")),
        "{md}"
    );
    assert!(md.contains("dated 2009-07-14 09:02:00 +0200"), "{md}");
    assert!(
        md.contains("archive-2009.mbox.gz (message 0, byte offset 0)"),
        "{md}"
    );
    // An edited quote says how it was quoted.
    assert!(
        md.contains("Quoted as: “per a big request on the ministry side” (normalized match)"),
        "{md}"
    );

    // CSV
    let csv_text = export(&archive, &["--article", &id, "--format", "csv"]);
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    let headers: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        headers,
        [
            "n",
            "quote",
            "passage",
            "context_before",
            "context_after",
            "method",
            "score",
            "own_text",
            "sha256",
            "message_id",
            "date",
            "from",
            "to",
            "cc",
            "subject",
            "occurrences",
            "also_in",
            "dkim",
            "authenticity"
        ]
    );
    let col = |name: &str| headers.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    assert_eq!(rows.len(), 5);
    let row = rows
        .iter()
        .find(|r| {
            &r[col("passage")]
                == "prepare active countermeasures against the press before the audit"
        })
        .unwrap();
    assert_eq!(&row[col("message_id")], HARBOUR_1);
    assert_eq!(&row[col("sha256")], h1);
    assert_eq!(&row[col("date")], "2009-07-13 10:11:12 +0400");
    assert_eq!(
        &row[col("from")],
        "Ivan Petrov <ivan.petrov@borealis-shipping.example>"
    );
    assert_eq!(
        &row[col("to")],
        "Anna Berg <anna.berg@nordlicht-trade.example>"
    );
    assert_eq!(&row[col("subject")], "Harbour schedule for July");
    assert_eq!(&row[col("method")], "exact");
    assert_eq!(&row[col("also_in")], h2);
    assert!(row[col("occurrences")].contains("ivan-petrov.mbox (message 0, byte offset 0)"));
    assert!(row[col("occurrences")].contains("forwarded-copy.eml"));
    assert!(row[col("context_before")].contains("The vessel leaves Murmansk"));
    let reply = rows
        .iter()
        .find(|r| &r[col("message_id")] == HARBOUR_2)
        .unwrap();
    assert_eq!(&reply[col("date")], "2009-07-14 09:02:00 +0200");
    assert!(reply[col("occurrences")].contains(&format!("(message 1, byte offset {off2})")));

    // HTML
    let html = export(&archive, &["--article", &id, "--format", "html"]);
    assert!(html.starts_with("<!DOCTYPE html>"));
    for needle in [
        "&lt;harbour-1@borealis-shipping.example&gt;",
        "2009-07-13 10:11:12 +0400",
        "2009-07-14 09:02:00 +0200",
        "Ivan Petrov &lt;ivan.petrov@borealis-shipping.example&gt;",
        "Anna Berg &lt;anna.berg@nordlicht-trade.example&gt;",
        "Harbour schedule for July",
        &h1,
        "ivan-petrov.mbox (message 0, byte offset 0)",
        "forwarded-copy.eml",
        "<mark>prepare active countermeasures against the press before the audit</mark>",
        "The vessel leaves Murmansk",
    ] {
        assert!(html.contains(needle), "{needle:?} missing from {html}");
    }
    assert!(html.contains(&format!("(message 1, byte offset {off2})")));
    assert_eq!(html.matches("<div class=\"c\"").count(), 5);

    // --out writes the same bytes to a file and nothing to stdout.
    for (format, text) in [("markdown", &md), ("csv", &csv_text), ("html", &html)] {
        let path = tmp.path().join(format!("sources.{format}"));
        let out = run(
            &archive,
            &[
                "export",
                "--article",
                &id,
                "--format",
                format,
                "--out",
                path.to_str().unwrap(),
            ],
        );
        assert!(out.status.success());
        assert!(out.stdout.is_empty(), "{format}: {}", stdout(&out));
        assert_eq!(&fs::read_to_string(&path).unwrap(), text, "{format}");
    }
    let path = tmp.path().join("sources.json");
    let out = run(
        &archive,
        &[
            "export",
            "--article",
            &id,
            "--format",
            "json",
            "-o",
            path.to_str().unwrap(),
        ],
    );
    assert!(out.status.success() && out.stdout.is_empty());
    let v: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    assert_eq!(v["citations"].as_array().unwrap().len(), 5);

    // A manual citation is exported like the others.
    json(
        &archive,
        &[
            "cite",
            STATEMENT_1,
            "--article",
            &id,
            "--passage",
            "Draft statement below",
        ],
    );
    let md = export(&archive, &["--article", &id]);
    assert!(md.contains("\n[^6]: “Draft statement below”"), "{md}");
    assert!(md.contains("dated 2009-07-16 11:00:00 +0000"), "{md}");
}

#[test]
fn export_query_has_the_provenance_of_each_hit() {
    let (_t, archive) = sample_archive();
    let h1 = sha_of(&archive, HARBOUR_1);
    let off2 = harbour_2_offset();

    let v: Value = serde_json::from_str(&export(
        &archive,
        &["--query", "countermeasures", "--format", "json"],
    ))
    .unwrap();
    assert_eq!(v["query"], "countermeasures");
    assert_eq!(v["article"], Value::Null);
    let cs = v["citations"].as_array().unwrap();
    let mids: BTreeSet<String> = cs
        .iter()
        .map(|c| c["message_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(mids, set(&[HARBOUR_1, HARBOUR_2]));
    for c in cs {
        assert!(
            c["passage"].as_str().unwrap().contains("countermeasures"),
            "{c}"
        );
        assert!(!c["occurrences"].as_array().unwrap().is_empty());
    }
    let c = cs.iter().find(|c| c["message_id"] == HARBOUR_1).unwrap();
    assert_eq!(c["id"], h1);
    assert_eq!(c["date"], "2009-07-13 10:11:12 +0400");
    assert_eq!(
        c["from"],
        "Ivan Petrov <ivan.petrov@borealis-shipping.example>"
    );
    assert_eq!(c["to"], "Anna Berg <anna.berg@nordlicht-trade.example>");
    assert_eq!(c["subject"], "Harbour schedule for July");

    let md = export(&archive, &["--query", "countermeasures"]);
    assert!(md.contains("[^1]: ") && md.contains("[^2]: "), "{md}");
    assert!(md.contains("Message-ID \\<harbour-1@borealis-shipping.example\\>"));
    assert!(md.contains(&format!("ivan-petrov.mbox (message 1, byte offset {off2})")));
    assert!(md.contains("dated 2009-07-14 09:02:00 +0200"));

    let csv_text = export(&archive, &["--query", "countermeasures", "--format", "csv"]);
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = r.headers().unwrap().clone();
    let mid = headers.iter().position(|h| h == "message_id").unwrap();
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    let got: BTreeSet<String> = rows.iter().map(|r| r[mid].to_string()).collect();
    assert_eq!(got, set(&[HARBOUR_1, HARBOUR_2]));

    let html = export(
        &archive,
        &["--query", "countermeasures", "--format", "html"],
    );
    assert!(html.contains("&lt;harbour-2@nordlicht-trade.example&gt;"));
    assert!(html.contains(&h1));

    // A query limited to one sender.
    let v: Value = serde_json::from_str(&export(
        &archive,
        &[
            "--query",
            "from:@borealis-shipping.example countermeasures",
            "--format",
            "json",
        ],
    ))
    .unwrap();
    assert_eq!(v["citations"].as_array().unwrap().len(), 1);
    assert_eq!(v["citations"][0]["message_id"], HARBOUR_1);
}

#[test]
fn export_query_separates_passage_and_context() {
    let (_t, archive) = sample_archive();
    let v: Value = serde_json::from_str(&export(
        &archive,
        &[
            "--query",
            "\"active countermeasures\" from:ivan",
            "--format",
            "json",
            "--context",
            "40",
        ],
    ))
    .unwrap();
    let c = &v["citations"][0];
    assert_eq!(c["message_id"], HARBOUR_1);
    let text = json(&archive, &["show", HARBOUR_1])["text"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let passage = c["passage"].as_str().unwrap();
    assert!(passage.contains("active countermeasures"), "{c}");
    assert!(
        text.contains(passage),
        "the passage is the message's text, without added ellipses: {passage:?}"
    );
    let before = c["context_before"].as_str().unwrap();
    let after = c["context_after"].as_str().unwrap();
    assert!(!before.is_empty() && !after.is_empty(), "{c}");
    assert!(before.chars().count() <= 40 && after.chars().count() <= 40);
}

// ---------------------------------------------------------------------------
// Hostile content

/// The tags (`<...>`) of an HTML document.
fn tags(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(s) = rest.find('<') {
        let e = rest[s..].find('>').map(|e| s + e + 1).unwrap_or(rest.len());
        out.push(&rest[s..e]);
        rest = &rest[e..];
    }
    out
}

/// Every occurrence of `pat` in `s` is preceded by a backslash.
fn all_escaped(s: &str, pat: &str) -> bool {
    s.match_indices(pat)
        .all(|(i, _)| i > 0 && s.as_bytes()[i - 1] == b'\\')
}

#[test]
fn hostile_messages_are_neutralized_in_every_export() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = archive_of(
        tmp.path(),
        &[Msg {
            file: "evil.eml",
            message_id: "evil-1@example.org",
            from: "\"Mallory <script>alert(1)</script>\" <mallory@example.org>",
            date: "Tue, 10 Mar 2015 08:00:00 +0400",
            subject: "=cmd|' /C calc'!A0 <script>alert(1)</script> [click](javascript:alert(1))",
            extra: "",
            body: "=cmd|' /C calc'!A0 the shipment left at dawn <script>alert(1)</script> with \
                   <img src=http://tracker.example/x.png> and [a link](javascript:alert(1)) and \
                   ![pixel](http://tracker.example/y.png) nothing else.\n",
        }],
    );
    let art = write_article(
        tmp.path(),
        "evil.txt",
        "The files say “the shipment left at dawn” and more.\n",
    );
    let v = add(
        &archive,
        &art,
        &[
            "--title",
            "<script>alert(2)</script> [t](javascript:alert(3))",
        ],
    );
    assert_eq!(sources(&v)[0].1, "evil-1@example.org");
    let id = v["article"]["id"].as_i64().unwrap().to_string();
    json(
        &archive,
        &[
            "cite",
            "evil-1@example.org",
            "--article",
            &id,
            "--passage",
            "=cmd|' /C calc'!A0 the shipment left at dawn <script>alert(1)</script> with \
             <img src=http://tracker.example/x.png> and [a link](javascript:alert(1))",
        ],
    );

    for source in [["--article", id.as_str()], ["--query", "shipment"]] {
        let html = export(&archive, &[source[0], source[1], "--format", "html"]);
        let lower = html.to_lowercase();
        assert!(!lower.contains("<script"), "{html}");
        assert!(!lower.contains("<img"), "{html}");
        for t in tags(&html) {
            let t = t.to_lowercase();
            assert!(
                !t.contains("tracker") && !t.contains("javascript:") && !t.contains("://"),
                "remote or script reference in a tag: {t}"
            );
            assert!(!t.contains(" on"), "event handler attribute in {t}");
        }
        // The text is there, as text.
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(html.contains("&lt;img src=http://tracker.example/x.png&gt;"));
        // A policy that blocks everything remote.
        let meta = tags(&html)
            .into_iter()
            .find(|t| t.starts_with("<meta http-equiv=\"Content-Security-Policy\""))
            .expect("a Content-Security-Policy meta");
        let csp = meta
            .split("content=\"")
            .nth(1)
            .and_then(|c| c.split('"').next())
            .expect("a content attribute");
        assert!(csp.contains("default-src 'none'"), "{csp}");
        for allowed in ["http", "*", "data:", "script-src", "img-src"] {
            assert!(!csp.contains(allowed), "{csp} allows {allowed}");
        }

        let md = export(&archive, &[source[0], source[1], "--format", "markdown"]);
        assert!(md.contains("alert(1)"), "{md}");
        assert!(all_escaped(&md, "<"), "a raw < in {md}");
        assert!(all_escaped(&md, "]("), "an unescaped link in {md}");
        assert!(all_escaped(&md, "!["), "an unescaped image in {md}");

        let csv_text = export(&archive, &[source[0], source[1], "--format", "csv"]);
        let mut r = csv::Reader::from_reader(csv_text.as_bytes());
        let headers = r.headers().unwrap().clone();
        let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
        assert!(!rows.is_empty());
        for row in &rows {
            for (h, cell) in headers.iter().zip(row.iter()) {
                assert!(
                    !cell.starts_with(['=', '+', '-', '@']),
                    "column {h} starts a formula: {cell}"
                );
            }
            let subject = &row[headers.iter().position(|h| h == "subject").unwrap()];
            assert!(subject.contains("=cmd|"), "the subject is kept: {subject}");
        }
    }
    // The formula-led passage is kept, made inert.
    let csv_text = export(&archive, &["--article", &id, "--format", "csv"]);
    assert!(csv_text.contains("'=cmd|' /C calc'!A0 the shipment left at dawn"));
}

//! Microbenchmarks of the archive's hot paths on generated, fictional mail:
//! splitting an in-memory mbox ([`MboxReader`], bytes/s) and parsing
//! messages ([`parse_message`], messages/s).
//!
//! `cargo bench -p mailcite-archive` (add `-- --sample-count 20` for a quick
//! run). No files outside the repository are read.

use std::io::Cursor;

use divan::counter::{BytesCount, ItemsCount};
use divan::{Bencher, black_box};
use mailcite_archive::message::parse_message;
use mailcite_archive::source::mbox::{MboxReader, Variant};

fn main() {
    divan::main();
}

/// Messages in the generated mailbox (about 2.5 KB each, like the
/// cypherpunks corpus).
const MESSAGES: usize = 2_000;

const WORDS: &[&str] = &[
    "the",
    "shipment",
    "harbour",
    "ministry",
    "tender",
    "invoice",
    "budget",
    "meeting",
    "remailer",
    "anonymous",
    "cipher",
    "key",
    "escrow",
    "export",
    "signature",
    "contract",
    "report",
    "payment",
    "account",
    "transfer",
    "customs",
    "vessel",
    "cargo",
    "quarterly",
    "draft",
    "confidential",
    "approval",
    "board",
    "director",
    "office",
    "schedule",
    "audit",
    "and",
    "of",
    "to",
    "in",
    "for",
    "on",
    "with",
    "as",
    "by",
    "at",
    "from",
    "that",
    "this",
];

const PEOPLE: &[(&str, &str)] = &[
    ("Anna Berg", "anna.berg@nordlicht-trade.example"),
    ("Piotr Nowak", "p.nowak@borealis-shipping.example"),
    ("Claire Dubois", "claire@harbour-authority.example"),
    ("Jonas Weber", "jweber@ministry.example"),
    ("Mia Tanaka", "mia.tanaka@audit-partners.example"),
];

/// Deterministic pseudo-random numbers (xorshift), so every run measures the
/// same bytes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One fictional message (without From_ line), LF line ends. Some quote an
/// earlier message, some carry a `From ` body line (escaped in the mbox) and
/// every tenth is multipart with a small base64 attachment.
fn message(rng: &mut Rng, i: usize) -> String {
    let (from_name, from) = PEOPLE[rng.below(PEOPLE.len())];
    let (_, to) = PEOPLE[rng.below(PEOPLE.len())];
    let day = 1 + i % 28;
    let mut subject = String::new();
    for _ in 0..4 {
        subject.push_str(WORDS[rng.below(WORDS.len())]);
        subject.push(' ');
    }
    let mut body = String::new();
    for line in 0..30 {
        if line == 10 && i.is_multiple_of(3) {
            body.push_str("> ");
        }
        if line == 20 && i.is_multiple_of(7) {
            body.push_str("From the harbour office, as agreed:\n");
        }
        for _ in 0..11 {
            body.push_str(WORDS[rng.below(WORDS.len())]);
            body.push(' ');
        }
        body.push('\n');
    }
    let head = format!(
        "From: {from_name} <{from}>\nTo: {to}\nSubject: {}\nDate: Tue, {day} Mar 2009 10:{:02}:00 +0100\nMessage-ID: <bench-{i}@mailcite.example>\nMIME-Version: 1.0\n",
        subject.trim_end(),
        i % 60
    );
    if i.is_multiple_of(10) {
        format!(
            "{head}Content-Type: multipart/mixed; boundary=\"b{i}\"\n\n--b{i}\nContent-Type: text/plain; charset=utf-8\n\n{body}\n--b{i}\nContent-Type: application/octet-stream; name=\"ledger-{i}.bin\"\nContent-Transfer-Encoding: base64\n\nVGhpcyBpcyBhIGZpY3Rpb25hbCBsZWRnZXIgZm9yIGEgYmVuY2htYXJrLg==\n--b{i}--\n"
        )
    } else {
        format!("{head}Content-Type: text/plain; charset=utf-8\n\n{body}")
    }
}

fn messages() -> Vec<Vec<u8>> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    (0..MESSAGES)
        .map(|i| message(&mut rng, i).into_bytes())
        .collect()
}

/// The messages as an mboxrd: From_ lines, `>`-escaped body From lines,
/// a blank line after each message.
fn mbox() -> Vec<u8> {
    let mut out = Vec::new();
    for m in messages() {
        out.extend_from_slice(b"From bench@mailcite.example Tue Mar  3 10:00:00 2009\n");
        for line in m.split_inclusive(|&b| b == b'\n') {
            let quoted = line.iter().position(|&b| b != b'>');
            if quoted.is_some_and(|p| line[p..].starts_with(b"From ")) {
                out.push(b'>');
            }
            out.extend_from_slice(line);
        }
        out.push(b'\n');
    }
    out
}

/// Splitting: bytes of mbox per second, through the streaming reader.
#[divan::bench]
fn split_mbox(bencher: Bencher) {
    let data = mbox();
    bencher.counter(BytesCount::of_slice(&data)).bench(|| {
        let reader = MboxReader::new(Cursor::new(black_box(&data[..])), Variant::Mboxrd);
        let n = reader.filter(|item| item.is_ok()).count();
        assert_eq!(n, MESSAGES);
        n
    });
}

/// Parsing: messages per second (headers, dates, addresses, decoded text,
/// attachment list).
#[divan::bench]
fn parse_messages(bencher: Bencher) {
    let msgs = messages();
    bencher.counter(ItemsCount::new(msgs.len())).bench(|| {
        msgs.iter()
            .map(|m| parse_message(black_box(m)).text.len())
            .sum::<usize>()
    });
}

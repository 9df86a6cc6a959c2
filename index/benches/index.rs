//! Microbenchmarks of the index's hot paths on generated, fictional
//! documents: indexing ([`IndexWriter`], documents/s including the commit)
//! and query latency ([`Searcher`], 20 hits newest first, with and without a
//! snippet per hit, and counting).
//!
//! `cargo bench -p mailcite-index` (add `-- --sample-count 10` for a quick
//! run). No files outside the repository are read.

use std::sync::OnceLock;

use divan::counter::ItemsCount;
use divan::{Bencher, black_box};
use mailcite_index::{IndexDoc, IndexWriter, Party, SearchOptions, Searcher, WriterOptions, parse};
use tempfile::TempDir;

fn main() {
    divan::main();
}

/// Documents per indexing run.
const INDEX_DOCS: usize = 2_000;
/// Documents in the index the queries run on.
const SEARCH_DOCS: usize = 20_000;

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
    "countermeasures",
    "lubyanka",
    "pipeline",
    "subsidy",
    "offshore",
];

const PEOPLE: &[(&str, &str)] = &[
    ("Anna Berg", "anna.berg@nordlicht-trade.example"),
    ("Piotr Nowak", "p.nowak@borealis-shipping.example"),
    ("Claire Dubois", "claire@harbour-authority.example"),
    ("Jonas Weber", "jweber@ministry.example"),
    ("Mia Tanaka", "mia.tanaka@audit-partners.example"),
];

/// Deterministic pseudo-random numbers (xorshift).
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

fn party(rng: &mut Rng) -> Party {
    let (name, address) = PEOPLE[rng.below(PEOPLE.len())];
    Party {
        name: Some(name.to_string()),
        address: Some(address.to_string()),
    }
}

/// `n` fictional English messages of about 2 KB, dated over 2009, a third
/// of them quoting an earlier one.
fn docs(n: usize) -> Vec<IndexDoc> {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    (0..n)
        .map(|i| {
            let mut text = String::new();
            for line in 0..25 {
                if line >= 18 && i.is_multiple_of(3) {
                    text.push_str("> ");
                }
                for _ in 0..12 {
                    text.push_str(WORDS[rng.below(WORDS.len())]);
                    text.push(' ');
                }
                text.push('\n');
            }
            let subject = (0..4)
                .map(|_| WORDS[rng.below(WORDS.len())])
                .collect::<Vec<_>>()
                .join(" ");
            IndexDoc {
                key: i as u64 + 1,
                id: format!("{:064x}", i as u128 * 0x9e37_79b9_7f4a_7c15 + 1),
                message_id: Some(format!("bench-{i}@mailcite.example")),
                date: Some(1_230_768_000 + (i as i64 * 1_577) % 31_536_000),
                date_offset: 3600,
                from: vec![party(&mut rng)],
                to: vec![party(&mut rng)],
                subject,
                text,
                sources: vec!["bench.mbox".to_string()],
                dkim: vec!["none".to_string()],
                ..IndexDoc::default()
            }
        })
        .collect()
}

fn write_index(dir: &std::path::Path, docs: &[IndexDoc]) {
    let mut writer = IndexWriter::open_with(dir, &WriterOptions::default()).expect("open writer");
    for d in docs {
        writer.add(d).expect("add");
    }
    writer.commit("bench").expect("commit");
    writer.close().expect("close");
}

/// Indexing: documents per second into a fresh index, commit included
/// (analysis, language detection, postings, segment write).
#[divan::bench(sample_count = 10)]
fn index_documents(bencher: Bencher) {
    let docs = docs(INDEX_DOCS);
    bencher
        .counter(ItemsCount::new(docs.len()))
        .with_inputs(|| tempfile::tempdir().expect("temp dir"))
        .bench_local_values(|dir| {
            write_index(dir.path(), black_box(&docs));
            dir
        });
}

/// The index for the query benchmarks, built once; the texts stand in for
/// the decoded messages snippets are cut from.
struct Fixture {
    _dir: TempDir,
    searcher: Searcher,
    texts: Vec<String>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let docs = docs(SEARCH_DOCS);
        write_index(dir.path(), &docs);
        let searcher = Searcher::open(dir.path()).expect("open searcher");
        let count = SearchOptions {
            count_only: true,
            ..SearchOptions::default()
        };
        for q in QUERIES {
            let total = searcher.search(q, &count).expect("search").total;
            assert!(total > 0, "benchmark query {q} matches nothing");
        }
        Fixture {
            _dir: dir,
            searcher,
            texts: docs.into_iter().map(|d| d.text).collect(),
        }
    })
}

const QUERIES: &[&str] = &[
    "harbour",
    "lubyanka",
    "\"key escrow\"",
    "from:anna.berg@nordlicht-trade.example",
    "from:@ministry.example",
    "date:2009-03..2009-04",
    "tender date:2009-06",
    "remailer OR cipher",
    "countermeasures -budget",
    "subject:offshore",
    "quoted:pipeline",
    "count*",
    "subsidi~1",
];

/// 20 hits newest first, without snippets.
#[divan::bench(args = QUERIES)]
fn search_top20(bencher: Bencher, query: &str) {
    let f = fixture();
    let options = SearchOptions::default();
    bencher.bench(|| {
        f.searcher
            .search(black_box(query), &options)
            .expect("search")
    });
}

/// 20 hits newest first, each with its snippet (cut from the kept text, so
/// without the store's decompression and parsing that `mailcite search`
/// adds).
#[divan::bench(args = QUERIES)]
fn search_top20_snippets(bencher: Bencher, query: &str) {
    let f = fixture();
    let options = SearchOptions::default();
    let parsed = parse(query).expect("query parses");
    bencher.bench(|| {
        let results = f
            .searcher
            .search_query(black_box(&parsed), &options)
            .expect("search");
        results
            .hits
            .iter()
            .map(|h| {
                let text = &f.texts[(h.key - 1) as usize];
                f.searcher.snippet(&parsed, text, 200).text.len()
            })
            .sum::<usize>()
    });
}

/// Counting all matches (`mailcite search --count`).
#[divan::bench(args = QUERIES)]
fn search_count(bencher: Bencher, query: &str) {
    let f = fixture();
    let options = SearchOptions {
        count_only: true,
        ..SearchOptions::default()
    };
    bencher.bench(|| {
        f.searcher
            .search(black_box(query), &options)
            .expect("search")
            .total
    });
}

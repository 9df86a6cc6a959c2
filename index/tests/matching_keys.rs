//! `Searcher::matching_keys`: every match's catalog key, across segments and
//! after deletions, without scoring.

use mailcite_index::{IndexDoc, IndexWriter, Party, SearchOptions, Searcher, WriterOptions, parse};

fn doc(key: u64, subject: &str) -> IndexDoc {
    IndexDoc {
        key,
        id: format!("{key:02x}").repeat(32),
        from: vec![Party {
            name: None,
            address: Some(format!("s{}@example.org", key % 3)),
        }],
        subject: subject.to_string(),
        ..IndexDoc::default()
    }
}

#[test]
fn all_keys_of_all_matches() {
    let dir = tempfile::tempdir().unwrap();
    let options = WriterOptions {
        memory_budget: 15_000_000,
        threads: Some(1),
    };
    let mut writer = IndexWriter::open_with(dir.path(), &options).unwrap();
    // Two commits, so two segments.
    for key in 1..=40 {
        writer
            .add(&doc(key, if key % 2 == 0 { "budget even" } else { "odd" }))
            .unwrap();
    }
    writer.commit("a").unwrap();
    for key in 41..=60 {
        writer.add(&doc(key, "budget late")).unwrap();
    }
    writer.delete(&doc(42, "").id);
    writer.commit("b").unwrap();
    drop(writer);

    let searcher = Searcher::open(dir.path()).unwrap();
    let q = parse("budget").unwrap();
    let keys = searcher.matching_keys(&q).unwrap();
    let expected: Vec<u64> = (2..=40)
        .step_by(2)
        .chain(41..=60)
        .filter(|&k| k != 42)
        .collect();
    assert_eq!(keys, expected, "ascending, deleted documents left out");
    let total = searcher
        .search_query(&q, &SearchOptions::default())
        .unwrap()
        .total;
    assert_eq!(keys.len(), total, "the same matches as search");

    let q = parse("from:s0@example.org -budget").unwrap();
    let keys = searcher.matching_keys(&q).unwrap();
    assert_eq!(keys, [3, 9, 15, 21, 27, 33, 39]);
    assert!(
        searcher
            .matching_keys(&parse("nothing").unwrap())
            .unwrap()
            .is_empty()
    );
}

//! End-to-end tests: a small index of fictional messages in a temporary
//! directory, queried through the public API.

use std::path::Path;
use std::sync::OnceLock;

use mailcite_index::{
    Attachment, Error, IndexDoc, IndexWriter, Party, SearchOptions, Searcher, Sort, WriterOptions,
    parse,
};

fn ts(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> i64 {
    chrono::NaiveDate::from_ymd_opt(y, m, d)
        .and_then(|d| d.and_hms_opt(h, min, s))
        .map(|dt| dt.and_utc().timestamp())
        .expect("valid test date")
}

fn party(name: &str, address: &str) -> Party {
    Party {
        name: (!name.is_empty()).then(|| name.to_string()),
        address: (!address.is_empty()).then(|| address.to_string()),
    }
}

fn attachment(name: &str, content_type: &str) -> Attachment {
    Attachment {
        name: Some(name.to_string()),
        content_type: content_type.to_string(),
    }
}

/// A fake SHA-256: the key's byte repeated.
fn id(key: u64) -> String {
    format!("{key:02x}").repeat(32)
}

fn doc(key: u64, date: Option<i64>, from: Party, subject: &str, text: &str) -> IndexDoc {
    IndexDoc {
        key,
        id: id(key),
        date,
        from: vec![from],
        subject: subject.to_string(),
        text: text.to_string(),
        ..IndexDoc::default()
    }
}

fn corpus() -> Vec<IndexDoc> {
    let alice = || party("Alice Smith", "alice@example.org");
    let bob = || party("Bob Jones", "bob@mail.example.com");
    let mut docs = Vec::new();

    let mut d = doc(
        1,
        Some(ts(2009, 7, 15, 10, 0, 0)),
        alice(),
        "Weekly report",
        "Hello Bob,\n\nThe weekly report covers the budget and the proposed active \
         countermeasures against intrusion. We need to discuss these measures with the \
         committee soon.\n\nAlice",
    );
    d.to = vec![bob()];
    d.date_offset = 7200;
    d.message_id = Some("<Report-1@example.org>".into());
    d.folders = vec!["INBOX".into()];
    d.sources = vec!["/leaks/dnc-2016/part1.mbox".into()];
    d.thread = Some("T1".into());
    docs.push(d);

    let mut d = doc(
        2,
        Some(ts(2009, 7, 16, 9, 0, 0)),
        bob(),
        "Re: Weekly report",
        "Thanks, I will read it tonight.\n\nOn Wed, Jul 15, 2009 at 10:00 AM, Alice Smith \
         <alice@example.org> wrote:\n> The weekly report covers the budget and the proposed \
         active countermeasures against intrusion.",
    );
    d.to = vec![alice()];
    d.folders = vec!["INBOX/Work".into()];
    d.thread = Some("t1".into());
    docs.push(d);

    docs.push(doc(
        3,
        Some(ts(2009, 8, 1, 12, 0, 0)),
        party("Иван Петров", "ivan@example.ru"),
        "Совещание",
        "Коллеги, на совещании мы обсудили новые меры безопасности. Рабочая группа \
         предложила воспользоваться контрмерами против утечек информации и усилить \
         контроль за доступом к серверам. Прошу подготовить предложения до пятницы.",
    ));

    docs.push(doc(
        4,
        Some(ts(2010, 1, 10, 8, 0, 0)),
        party("Klaus Weber", "klaus@example.de"),
        "Ergebnisse",
        "Sehr geehrte Damen und Herren, die Verhandlungen mit dem Lieferanten wurden \
         gestern endlich abgeschlossen. Wir werden die Ergebnisse in der nächsten Sitzung \
         gemeinsam besprechen. Mit freundlichen Grüßen, Klaus Weber",
    ));

    let mut d = doc(
        5,
        Some(ts(2011, 3, 5, 14, 0, 0)),
        party("Zoé Martin", "zoe@example.fr"),
        "Mon résumé",
        "Bonjour, veuillez trouver ci-joint mon résumé et ma lettre de motivation pour le \
         poste à Paris. Je reste à votre disposition pour un entretien. Cordialement, Zoé",
    );
    d.attachments = vec![attachment("résumé.pdf", "application/pdf")];
    docs.push(d);

    docs.push(doc(
        6,
        Some(ts(2012, 5, 1, 1, 0, 0)),
        party("", "tanaka@example.jp"),
        "会議",
        "明日の会議は東京都庁で行います。よろしくお願いします。",
    ));

    docs.push(doc(
        7,
        Some(ts(2012, 6, 1, 1, 0, 0)),
        party("", "li@example.cn"),
        "开会",
        "我们明天在北京大学开会，请准时参加。",
    ));

    let mut d = doc(
        8,
        None,
        party("Carol", "carol@example.net"),
        "Undated note",
        "This message has no date at all; lubyanka is mentioned here.",
    );
    d.attachments = vec![attachment("scan.tiff", "application/octet-stream")];
    docs.push(d);

    let mut d = doc(
        9,
        Some(ts(2009, 12, 31, 23, 30, 0)),
        party("Dave", "dave@example.org"),
        "FW: budget",
        "Please see below.\n\n-----Original Message-----\nFrom: Eve\nSent: Monday\n\
         Subject: budget\n\nThe budget draft is attached.",
    );
    d.to = vec![alice()];
    d.attachments = vec![attachment(
        "Budget_2010.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )];
    d.cited_by = vec!["ART-2016-01".into()];
    docs.push(d);

    let mut d = doc(
        10,
        Some(ts(2010, 6, 15, 18, 0, 0)),
        party("Frank", "frank@sub.mail.example.org"),
        "Tomorrow",
        "Meeting near Lubianka square tomorrow.",
    );
    d.cc = vec![party("Grace", "grace@example.org")];
    d.bcc = vec![party("Heidi", "heidi@example.com")];
    docs.push(d);

    docs.push(doc(
        11,
        Some(ts(2009, 1, 1, 0, 0, 0)),
        alice(),
        "New year",
        "Happy new year everyone",
    ));
    docs.push(doc(
        12,
        Some(ts(2009, 6, 30, 23, 59, 59)),
        bob(),
        "Quarter",
        "End of June quarter closing numbers",
    ));
    docs.push(doc(
        13,
        Some(ts(2013, 2, 2, 10, 0, 0)),
        party("Pablo", "pablo@example.es"),
        "Informe",
        "Te envío el informe.\n\n-----Mensaje original-----\nDe: Pablo\nEnviado el: lunes\n\n\
         secreto absoluto",
    ));
    docs.push(doc(
        14,
        Some(ts(2013, 3, 3, 10, 0, 0)),
        party("Анна", "anna@example.ru"),
        "Fwd: документ",
        "Смотри ниже.\n\n-------- Пересылаемое сообщение --------\nОт: Анна\nДата: 1 мая\n\n\
         секретный документ о переговорах",
    ));
    docs.push(doc(
        15,
        Some(ts(2014, 1, 1, 10, 0, 0)),
        party("", "kim@example.kr"),
        "회의",
        "회의는 내일입니다",
    ));
    docs.push(doc(
        16,
        Some(ts(2015, 5, 5, 12, 0, 0)),
        party("Nina", "nina@example.net"),
        "Lunch on Friday?",
        "Shall we get lunch on Friday at noon?",
    ));
    let mut d = doc(
        17,
        Some(ts(2015, 6, 6, 12, 0, 0)),
        party("Oscar", "oscar@example.net"),
        "Draft agreement",
        "The draft agreement is attached for review.",
    );
    d.attachments = vec![attachment(
        "agreement.docx",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )];
    docs.push(d);
    let mut d = doc(
        18,
        Some(ts(2016, 1, 1, 12, 0, 0)),
        party("Paul", "paul@example.net"),
        "Court papers",
        "The court papers were filed on Monday.",
    );
    d.folders = vec!["Sent Items".into()];
    docs.push(d);
    docs
}

fn test_options() -> WriterOptions {
    WriterOptions {
        memory_budget: 15_000_000,
        threads: Some(1),
    }
}

fn build(dir: &Path, docs: &[IndexDoc]) {
    let mut writer = IndexWriter::open_with(dir, &test_options()).expect("open writer");
    for d in docs {
        writer.add(d).expect("add");
    }
    writer.commit("row:18").expect("commit");
    writer.close().expect("close");
}

fn shared() -> &'static Searcher {
    static INDEX: OnceLock<(tempfile::TempDir, Searcher)> = OnceLock::new();
    let (_, searcher) = INDEX.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tempdir");
        build(dir.path(), &corpus());
        let searcher = Searcher::open(dir.path()).expect("open searcher");
        (dir, searcher)
    });
    searcher
}

/// Keys matching `query`, ascending.
fn keys(query: &str) -> Vec<u64> {
    let options = SearchOptions {
        limit: 100,
        ..SearchOptions::default()
    };
    let results = shared()
        .search(query, &options)
        .unwrap_or_else(|e| panic!("{query}: {e}"));
    let mut keys: Vec<u64> = results.hits.iter().map(|h| h.key).collect();
    keys.sort_unstable();
    assert_eq!(results.total, keys.len(), "{query}");
    keys
}

fn sorted_keys(query: &str, sort: Sort) -> Vec<u64> {
    let options = SearchOptions {
        sort,
        limit: 100,
        ..SearchOptions::default()
    };
    let results = shared().search(query, &options).expect("search");
    results.hits.iter().map(|h| h.key).collect()
}

#[test]
fn words_are_anded() {
    assert_eq!(keys("weekly report"), [1, 2]);
    assert_eq!(keys("weekly AND report"), [1, 2]);
    assert_eq!(keys("weekly lunch"), Vec::<u64>::new());
}

#[test]
fn phrases_match_exactly() {
    assert_eq!(keys("\"active countermeasures\""), [1, 2]);
    assert_eq!(keys("\"countermeasures active\""), Vec::<u64>::new());
    assert_eq!(keys("\"proposed countermeasures\"~1"), [1, 2]);
    // A quoted single word is not stemmed.
    assert_eq!(keys("\"countermeasure\""), Vec::<u64>::new());
}

#[test]
fn or_not_minus_and_parentheses() {
    assert_eq!(keys("lubianka OR lubyanka"), [8, 10]);
    assert_eq!(keys("lubianka | lubyanka"), [8, 10]);
    assert_eq!(keys("budget"), [1, 2, 9]);
    assert_eq!(keys("budget NOT draft"), [1, 2]);
    assert_eq!(keys("budget -draft"), [1, 2]);
    assert_eq!(keys("-has:date"), [8]);
    assert_eq!(keys("(lubianka OR lubyanka) square"), [10]);
    assert_eq!(keys("lubyanka OR (weekly -tonight)"), [1, 8]);
}

#[test]
fn party_fields() {
    assert_eq!(keys("from:alice"), [1, 11]);
    assert_eq!(keys("from:ALICE@example.org"), [1, 11]);
    assert_eq!(keys("from:\"alice smith\""), [1, 11]);
    assert_eq!(keys("from:(alice OR bob)"), [1, 2, 11, 12]);
    assert_eq!(keys("to:bob"), [1]);
    assert_eq!(keys("to:alice@example.org"), [2, 9]);
    assert_eq!(keys("cc:grace"), [10]);
    assert_eq!(keys("bcc:heidi"), [10]);
    assert_eq!(keys("bcc:grace"), Vec::<u64>::new());
}

#[test]
fn domains_and_parent_domains() {
    assert_eq!(keys("from:@example.org"), [1, 9, 10, 11]);
    assert_eq!(keys("from:@mail.example.org"), [10]);
    assert_eq!(keys("from:@sub.mail.example.org"), [10]);
    assert_eq!(keys("to:@example.com"), [1]);
    assert_eq!(keys("bcc:@example.com"), [10]);
    // Bare: every address field.
    assert_eq!(keys("@example.de"), [4]);
    assert_eq!(keys("alice@example.org"), [1, 2, 9, 11]);
}

#[test]
fn text_fields() {
    assert_eq!(keys("subject:report"), [1, 2]);
    assert_eq!(keys("subject:\"weekly report\""), [1, 2]);
    assert_eq!(keys("subject:budget"), [9]);
    assert_eq!(keys("body:intrusion"), [1]);
    assert_eq!(keys("quoted:intrusion"), [2]);
    assert_eq!(keys("attachment:resume"), [5]);
    assert_eq!(keys("attachment:budget"), [9]);
}

#[test]
fn quoted_phrase_is_found_by_quoted_not_by_body() {
    assert_eq!(keys("quoted:\"active countermeasures\""), [2]);
    assert_eq!(keys("body:\"active countermeasures\""), [1]);
    assert_eq!(keys("quoted:secreto"), [13]);
    assert_eq!(keys("body:secreto"), Vec::<u64>::new());
    assert_eq!(keys("quoted:секретный"), [14]);
    assert_eq!(keys("body:секретный"), Vec::<u64>::new());
    assert_eq!(keys("quoted:draft"), [9]);
}

#[test]
fn attachment_types() {
    assert_eq!(keys("has:attachment"), [5, 8, 9, 17]);
    assert_eq!(keys("type:pdf"), [5]);
    assert_eq!(keys("type:application/pdf"), [5]);
    assert_eq!(keys("type:xlsx"), [9]);
    assert_eq!(keys("type:excel"), [9]);
    assert_eq!(keys("type:word"), [17]);
    assert_eq!(keys("type:tiff"), [8]);
    assert_eq!(keys("type:application/*"), [5, 8, 9, 17]);
}

#[test]
fn ids_threads_folders_sources_articles() {
    assert_eq!(keys("id:<report-1@example.org>"), [1]);
    assert_eq!(keys("id:Report-1@example.org"), [1]);
    assert_eq!(keys("id:01010101"), [1]);
    assert_eq!(keys(&format!("id:{}", id(9).to_uppercase())), [9]);
    assert_eq!(keys("id:0101010"), Vec::<u64>::new());
    assert_eq!(keys("thread:t1"), [1, 2]);
    assert_eq!(keys("folder:inbox"), [1, 2]);
    assert_eq!(keys("folder:INBOX/Work"), [2]);
    assert_eq!(keys("folder:\"sent items\""), [18]);
    assert_eq!(keys("source:dnc-2016"), [1]);
    assert_eq!(keys("source:part1.mbox"), [1]);
    assert_eq!(keys("source:/leaks/dnc-2016/part1.mbox"), [1]);
    assert_eq!(keys("cited:yes"), [9]);
    assert_eq!(keys("article:art-2016-01"), [9]);
    assert_eq!(keys("cited:no").len(), 17);
}

#[test]
fn languages() {
    assert_eq!(keys("lang:ru"), [3, 14]);
    assert_eq!(keys("lang:rus"), [3, 14]);
    assert_eq!(keys("lang:german"), [4]);
    assert_eq!(keys("lang:fr"), [5]);
    assert_eq!(keys("lang:ja"), [6]);
    assert_eq!(keys("lang:zh"), [7]);
    assert_eq!(keys("lang:ko"), [15]);
}

#[test]
fn dates() {
    assert_eq!(keys("date:2009"), [1, 2, 3, 9, 11, 12]);
    assert_eq!(keys("date:2009-07"), [1, 2]);
    assert_eq!(keys("date:2009-07-15"), [1]);
    assert_eq!(keys("date:2009-01..2009-06-30"), [11, 12]);
    assert_eq!(keys("date:2009-01..2009-06"), [11, 12]);
    assert_eq!(keys("date:..2009-06"), [11, 12]);
    assert_eq!(keys("date:2015..2015"), [16, 17]);
    assert_eq!(
        keys("date:2010-01.."),
        [4, 5, 6, 7, 10, 13, 14, 15, 16, 17, 18]
    );
    assert_eq!(keys("before:2009-07-15"), [11, 12]);
    assert_eq!(keys("before:2009"), Vec::<u64>::new());
    assert_eq!(
        keys("after:2009-07-15"),
        [1, 2, 3, 4, 5, 6, 7, 9, 10, 13, 14, 15, 16, 17, 18]
    );
    assert_eq!(keys("after:2015"), [16, 17, 18]);
    assert_eq!(keys("date:..").len(), 17);
    assert_eq!(keys("has:date").len(), 17);
}

#[test]
fn prefix_and_fuzzy() {
    assert_eq!(keys("countermeas*"), [1, 2]);
    assert_eq!(keys("subject:repo*"), [1, 2]);
    assert_eq!(keys("from:ali*"), [1, 11]);
    assert_eq!(keys("lubianka~1"), [8, 10]);
    assert_eq!(keys("lubianka"), [10]);
    assert_eq!(keys("lubjanka~2"), [8, 10]);
}

#[test]
fn english_stemming() {
    assert_eq!(keys("countermeasure"), [1, 2]);
    assert_eq!(keys("body:countermeasure"), [1]);
    assert_eq!(keys("quoted:countermeasure"), [2]);
}

#[test]
fn russian_stemming() {
    // The document is long enough for a reliable detection.
    let detected = mailcite_index::analyzers::detect_language(&corpus()[2].text);
    assert_eq!(detected.map(|d| (d.code, d.reliable)), Some(("rus", true)));
    assert_eq!(keys("контрмеры"), [3]);
    assert_eq!(keys("контрмерами"), [3]);
    assert_eq!(keys("КОНТРМЕРА"), [3]);
}

#[test]
fn german_stemming() {
    let detected = mailcite_index::analyzers::detect_language(&corpus()[3].text);
    assert_eq!(detected.map(|d| (d.code, d.reliable)), Some(("deu", true)));
    assert_eq!(keys("Verhandlung"), [4]);
    assert_eq!(keys("verhandlungen"), [4]);
}

#[test]
fn accent_and_case_folding() {
    assert_eq!(keys("resume"), [5]);
    assert_eq!(keys("RÉSUMÉ"), [5]);
    assert_eq!(keys("zoe"), [5]);
    assert_eq!(keys("grusse"), [4]);
}

#[test]
fn cjk_bigrams() {
    assert_eq!(keys("東京都"), [6]);
    assert_eq!(keys("東京"), [6]);
    assert_eq!(keys("会議"), [6]);
    assert_eq!(keys("北京大学"), [7]);
    assert_eq!(keys("大学 开会"), [7]);
    assert_eq!(keys("회의"), [15]);
}

#[test]
fn sort_orders() {
    assert_eq!(sorted_keys("date:2009", Sort::Date), [9, 3, 2, 1, 12, 11]);
    assert_eq!(
        sorted_keys("date:2009", Sort::DateAsc),
        [11, 12, 1, 2, 3, 9]
    );
    // Undated messages come last both ways.
    assert_eq!(sorted_keys("lubianka~1", Sort::Date), [10, 8]);
    assert_eq!(sorted_keys("lubianka~1", Sort::DateAsc), [10, 8]);
    let options = SearchOptions {
        sort: Sort::Relevance,
        ..SearchOptions::default()
    };
    let results = shared().search("budget", &options).expect("search");
    let scores: Vec<f32> = results.hits.iter().map(|h| h.score).collect();
    assert_eq!(results.hits.first().map(|h| h.key), Some(9), "{scores:?}");
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert!(scores.iter().all(|s| *s > 0.0), "{scores:?}");
}

#[test]
fn limit_offset_and_count() {
    let page = |limit, offset| SearchOptions {
        limit,
        offset,
        ..SearchOptions::default()
    };
    let results = shared().search("date:2009", &page(2, 1)).expect("search");
    assert_eq!(results.total, 6);
    assert_eq!(
        results.hits.iter().map(|h| h.key).collect::<Vec<_>>(),
        [3, 2]
    );
    let results = shared().search("date:2009", &page(10, 5)).expect("search");
    assert_eq!(results.hits.iter().map(|h| h.key).collect::<Vec<_>>(), [11]);
    let results = shared().search("date:2009", &page(10, 50)).expect("search");
    assert!(results.hits.is_empty());
    let count = SearchOptions {
        count_only: true,
        ..SearchOptions::default()
    };
    let results = shared().search("date:2009", &count).expect("search");
    assert_eq!(results.total, 6);
    assert!(results.hits.is_empty());
}

#[test]
fn hits_carry_identity_and_date() {
    let results = shared()
        .search("id:<report-1@example.org>", &SearchOptions::default())
        .expect("search");
    let hit = &results.hits[0];
    assert_eq!(hit.key, 1);
    assert_eq!(hit.id, id(1));
    assert_eq!(hit.date, Some(ts(2009, 7, 15, 10, 0, 0)));
    assert_eq!(hit.date_offset, 7200);
}

#[test]
fn facets_count_all_matches() {
    let options = SearchOptions {
        facets: true,
        limit: 1,
        ..SearchOptions::default()
    };
    let results = shared().search("date:2009", &options).expect("search");
    let facets = results.facets.expect("facets requested");
    assert_eq!(facets.per_year, [(2009, 6)]);
    let months: Vec<(&str, u64)> = facets
        .per_month
        .iter()
        .map(|(m, n)| (m.as_str(), *n))
        .collect();
    assert_eq!(
        months,
        [
            ("2009-01", 1),
            ("2009-06", 1),
            ("2009-07", 2),
            ("2009-08", 1),
            ("2009-12", 1)
        ]
    );
    assert_eq!(facets.undated, 0);
    let senders: Vec<(&str, u64)> = facets
        .top_senders
        .iter()
        .map(|(s, n)| (s.as_str(), *n))
        .collect();
    assert_eq!(
        senders,
        [
            ("alice@example.org", 2),
            ("bob@mail.example.com", 2),
            ("dave@example.org", 1),
            ("ivan@example.ru", 1)
        ]
    );
    let results = shared().search("lubianka~1", &options).expect("search");
    let facets = results.facets.expect("facets requested");
    assert_eq!(facets.undated, 1);
    assert_eq!(facets.per_year, [(2010, 1)]);
    // Facets come with count-only searches too.
    let count = SearchOptions {
        count_only: true,
        facets: true,
        ..SearchOptions::default()
    };
    let results = shared().search("has:attachment", &count).expect("search");
    assert_eq!(results.total, 4);
    assert_eq!(results.facets.map(|f| f.undated), Some(1));
}

fn marked(query: &str, text: &str) -> String {
    let q = parse(query).expect("valid query");
    let s = shared().snippet(&q, text, 200);
    let mut out = String::new();
    let mut last = 0;
    for (a, b) in &s.highlights {
        out.push_str(&s.text[last..*a]);
        out.push('[');
        out.push_str(&s.text[*a..*b]);
        out.push(']');
        last = *b;
    }
    out.push_str(&s.text[last..]);
    out
}

#[test]
fn snippets_highlight_stemmed_and_cyrillic_words() {
    let docs = corpus();
    let out = marked("countermeasure committee", &docs[0].text);
    assert!(out.contains("active [countermeasures] against"), "{out}");
    assert!(out.contains("the [committee] soon"), "{out}");
    let out = marked("контрмеры", &docs[2].text);
    assert!(
        out.contains("воспользоваться [контрмерами] против"),
        "{out}"
    );
    let out = marked("\"active countermeasures\" -budget", &docs[1].text);
    assert!(out.contains("[active] [countermeasures]"), "{out}");
    assert!(!out.contains("[budget]"), "{out}");
    let out = marked("東京都", &docs[5].text);
    assert!(out.contains("[東京都]"), "{out}");
}

#[test]
fn query_errors_are_reported_not_raised() {
    match shared().search("frm:alice", &SearchOptions::default()) {
        Err(Error::Query(e)) => {
            assert_eq!(e.position, 0);
            assert!(
                e.message.starts_with("unknown field \"frm:\" at column 1"),
                "{e}"
            );
        }
        other => panic!("expected a query error, got {other:?}"),
    }
    assert!(matches!(
        shared().search("date:2009-13", &SearchOptions::default()),
        Err(Error::Query(_))
    ));
}

#[test]
fn upsert_replaces_and_delete_removes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut writer = IndexWriter::open_with(dir.path(), &test_options()).expect("open");
    let mut d = doc(
        1,
        None,
        party("Alice", "alice@example.org"),
        "first subject",
        "text",
    );
    writer.add(&d).expect("add");
    writer.commit("1").expect("commit");
    d.subject = "second subject".into();
    d.cited_by = vec!["a1".into()];
    writer.upsert(&d).expect("upsert");
    writer.upsert(&d).expect("upsert twice");
    writer.commit("2").expect("commit");
    let searcher = Searcher::open(dir.path()).expect("open searcher");
    let count = |q: &str| {
        searcher
            .search(q, &SearchOptions::default())
            .expect("search")
            .total
    };
    assert_eq!(searcher.num_docs(), 1);
    assert_eq!(count("first"), 0);
    assert_eq!(count("second"), 1);
    assert_eq!(count("cited:yes"), 1);
    writer.delete(&d.id.to_uppercase());
    writer.commit("3").expect("commit");
    searcher.reload().expect("reload");
    assert_eq!(count("second"), 0);
    assert_eq!(searcher.num_docs(), 0);
    writer.close().expect("close");
}

#[test]
fn payload_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    assert_eq!(IndexWriter::last_payload(dir.path()).expect("read"), None);
    let mut writer = IndexWriter::open_with(dir.path(), &test_options()).expect("open");
    assert_eq!(IndexWriter::last_payload(dir.path()).expect("read"), None);
    writer.commit("catalog:42").expect("commit");
    assert_eq!(
        IndexWriter::last_payload(dir.path())
            .expect("read")
            .as_deref(),
        Some("catalog:42")
    );
    writer.commit("{\"row\":43}").expect("commit");
    writer.close().expect("close");
    assert_eq!(
        IndexWriter::last_payload(dir.path())
            .expect("read")
            .as_deref(),
        Some("{\"row\":43}")
    );
    // Reopening keeps the payload until the next commit.
    let writer = IndexWriter::open_with(dir.path(), &test_options()).expect("reopen");
    drop(writer);
    assert_eq!(
        IndexWriter::last_payload(dir.path())
            .expect("read")
            .as_deref(),
        Some("{\"row\":43}")
    );
}

#[test]
fn second_writer_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let _writer = IndexWriter::open_with(dir.path(), &test_options()).expect("open");
    let err = IndexWriter::open_with(dir.path(), &test_options()).expect_err("locked");
    assert!(matches!(err, Error::Locked { .. }), "{err}");
}

#[test]
fn schema_version_mismatch_asks_for_reindex() {
    let dir = tempfile::tempdir().expect("tempdir");
    IndexWriter::open_with(dir.path(), &test_options())
        .expect("create")
        .close()
        .expect("close");
    std::fs::write(
        dir.path().join(mailcite_index::writer::VERSION_FILE),
        "{\"schema_version\":0}",
    )
    .expect("write marker");
    let err = IndexWriter::open_with(dir.path(), &test_options()).expect_err("mismatch");
    assert!(matches!(err, Error::SchemaVersion { .. }), "{err}");
    let message = err.to_string();
    assert!(message.contains("schema version 0"), "{message}");
    assert!(message.contains("run `mailcite reindex`"), "{message}");
    assert!(matches!(
        Searcher::open(dir.path()),
        Err(Error::SchemaVersion { .. })
    ));
    // No marker at all (an index not written by mailcite).
    std::fs::remove_file(dir.path().join(mailcite_index::writer::VERSION_FILE))
        .expect("remove marker");
    let err = Searcher::open(dir.path()).expect_err("no marker");
    assert!(err.to_string().contains("mailcite reindex"), "{err}");
}

#[test]
fn foreign_directory_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("notes.txt"), "mine").expect("write");
    let err = IndexWriter::open_with(dir.path(), &test_options()).expect_err("foreign");
    assert!(matches!(err, Error::NotAnIndex { .. }), "{err}");
    assert!(dir.path().join("notes.txt").exists());
}

#[test]
fn missing_index_is_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let err = Searcher::open(&dir.path().join("nothing")).expect_err("missing");
    assert!(matches!(err, Error::Missing { .. }), "{err}");
    assert!(err.to_string().contains("mailcite reindex"), "{err}");
}

#[test]
fn random_queries_never_panic() {
    // A small deterministic generator (xorshift), no extra dependency.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let pieces = [
        "budget",
        "from:",
        "to:",
        "subject:",
        "date:",
        "before:",
        "after:",
        "id:",
        "type:",
        "has:",
        "lang:",
        "cited:",
        "folder:",
        "source:",
        "(",
        ")",
        "\"",
        "-",
        "OR",
        "AND",
        "NOT",
        "|",
        "*",
        "~",
        "~2",
        "2009",
        "2009-07",
        "..",
        "@",
        "example.org",
        "東京",
        "контрмеры",
        " ",
        " ",
        ":",
        "<",
        ">",
        "é",
        "\u{0301}",
        "\u{10FFFF}",
        "0",
        "9",
    ];
    let absurd = SearchOptions {
        facets: true,
        limit: usize::MAX,
        offset: usize::MAX - 3,
        ..SearchOptions::default()
    };
    let relevance = SearchOptions {
        facets: true,
        limit: usize::MAX,
        offset: 2,
        sort: Sort::Relevance,
        ..SearchOptions::default()
    };
    let plain = SearchOptions::default();
    for i in 0..3000 {
        let options = [&absurd, &relevance, &plain][i % 3];
        let len = (next() % 8) as usize;
        let query: String = (0..len)
            .map(|_| pieces[(next() % pieces.len() as u64) as usize])
            .collect();
        if let Ok(parsed) = parse(&query) {
            let _ = shared().snippet(&parsed, &corpus()[0].text, (next() % 300) as usize);
        }
        match shared().search(&query, options) {
            Ok(_) | Err(Error::Query(_)) => {}
            Err(other) => panic!("{query:?}: {other}"),
        }
    }
}

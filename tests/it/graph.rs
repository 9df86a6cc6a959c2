//! `mailcite graph`: GraphML, DOT and CSV exports of who wrote to whom.

use crate::people::fixture_archive;
use crate::support::*;
use std::collections::HashMap;
use std::path::Path;

fn run(archive: &Path, args: &[&str]) -> String {
    let out = mailcite(archive).arg("graph").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// (source label, target label) → weight, from a GraphML document.
fn graphml_edges(text: &str) -> (Vec<String>, HashMap<(String, String), u64>) {
    let doc = roxmltree::Document::parse(text).expect("GraphML is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "graphml");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://graphml.graphdrawing.org/xmlns")
    );
    let data = |n: roxmltree::Node<'_, '_>, key: &str| -> String {
        n.children()
            .find(|c| c.has_tag_name("data") && c.attribute("key") == Some(key))
            .and_then(|c| c.text())
            .unwrap_or("")
            .to_string()
    };
    let mut labels = HashMap::new();
    let mut nodes = Vec::new();
    for n in doc.descendants().filter(|n| n.has_tag_name("node")) {
        let label = data(n, "label");
        labels.insert(n.attribute("id").unwrap().to_string(), label.clone());
        nodes.push(label);
    }
    let mut edges = HashMap::new();
    for e in doc.descendants().filter(|n| n.has_tag_name("edge")) {
        let s = labels[e.attribute("source").unwrap()].clone();
        let t = labels[e.attribute("target").unwrap()].clone();
        let w: u64 = data(e, "weight").parse().unwrap();
        assert_eq!(data(e, "messages"), w.to_string());
        edges.insert((s, t), w);
    }
    (nodes, edges)
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

#[test]
fn graphml_parses_and_weighs_each_edge_by_messages() {
    let (_t, archive) = fixture_archive();
    let text = run(&archive, &[]);
    let (nodes, edges) = graphml_edges(&text);
    assert_eq!(
        nodes,
        [
            "bob@example.net",
            "carol@example.net",
            "maria.lopez@example.org",
            "mlopez@other.example"
        ]
    );
    let expected: HashMap<_, _> = [
        // Message 1, and message 2 which lists Bob in To and (upper case) Cc.
        (pair("maria.lopez@example.org", "bob@example.net"), 2),
        (pair("maria.lopez@example.org", "carol@example.net"), 1),
        (pair("mlopez@other.example", "bob@example.net"), 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        edges, expected,
        "the message without a sender address has no edge"
    );
    let doc = roxmltree::Document::parse(&text).unwrap();
    let maria = doc
        .descendants()
        .find(|n| {
            n.has_tag_name("node")
                && n.children()
                    .any(|c| c.text() == Some("maria.lopez@example.org"))
        })
        .unwrap();
    let get = |k: &str| {
        maria
            .children()
            .find(|c| c.attribute("key") == Some(k))
            .and_then(|c| c.text())
            .map(str::to_string)
    };
    assert_eq!(get("sent").as_deref(), Some("2"));
    assert_eq!(get("names").as_deref(), Some("Maria Lopez"));

    // A query narrows; --min-weight drops light edges; --out writes a file.
    let (_, edges) = graphml_edges(&run(&archive, &["budget"]));
    assert_eq!(edges.len(), 1);
    assert_eq!(
        edges[&pair("maria.lopez@example.org", "bob@example.net")],
        1
    );
    let out = archive.parent().unwrap().join("g.graphml");
    run(
        &archive,
        &["--min-weight", "2", "--out", out.to_str().unwrap()],
    );
    let (nodes, edges) = graphml_edges(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(edges.len(), 1);
    assert_eq!(nodes.len(), 2, "only the ends of kept edges are nodes");
}

#[test]
fn dot_and_csv_have_the_edges() {
    let (_t, archive) = fixture_archive();
    let dot = run(&archive, &["--format", "dot"]);
    assert!(dot.starts_with("digraph correspondence {"), "{dot}");
    assert!(dot.trim_end().ends_with('}'));
    assert!(
        dot.contains("\"maria.lopez@example.org\" -> \"bob@example.net\" [weight=2, label=\"2\""),
        "{dot}"
    );
    assert!(dot.contains("\"mlopez@other.example\" -> \"bob@example.net\" [weight=1"));
    assert_eq!(dot.matches(" -> ").count(), 3);
    assert!(
        dot.contains("label=\"Maria Lopez\\nmaria.lopez@example.org\""),
        "{dot}"
    );

    let csv = run(&archive, &["--format", "csv"]);
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines,
        [
            "source,target,messages",
            "maria.lopez@example.org,bob@example.net,2",
            "maria.lopez@example.org,carol@example.net,1",
            "mlopez@other.example,bob@example.net,1",
        ]
    );
}

#[test]
fn hostile_names_are_escaped_in_every_format() {
    let tmp = tempfile::tempdir().unwrap();
    let mbox = tmp.path().join("evil.mbox");
    std::fs::write(
        &mbox,
        "From x Mon Jan  4 10:00:00 2010\n\
         From: =?utf-8?q?Q=22uote_Back=5Cslash_=3Ctag=3E_=26_=1B[2J?= <evil@example.org>\n\
         To: bob@example.net\n\
         Date: Mon, 04 Jan 2010 10:00:00 +0000\n\
         Subject: x\n\n\
         body\n",
    )
    .unwrap();
    let archive = tmp.path().join("a");
    import_json(&archive, &[&mbox]);
    let xml = run(&archive, &[]);
    assert!(!xml.contains('\x1b'));
    let doc = roxmltree::Document::parse(&xml).expect("still well-formed");
    let names: Vec<&str> = doc
        .descendants()
        .filter(|n| n.attribute("key") == Some("names"))
        .filter_map(|n| n.text())
        .collect();
    assert!(
        names.contains(&"Q\"uote Back\\slash <tag> & \\x1b[2J"),
        "{names:?}"
    );
    let dot = run(&archive, &["--format", "dot"]);
    assert!(
        dot.contains("label=\"Q\\\"uote Back\\\\slash <tag> & \\\\x1b[2J\\nevil@example.org\""),
        "{dot}"
    );
    assert!(!dot.contains('\x1b'));
}

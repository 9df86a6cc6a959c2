//! Helpers shared by the integration tests.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The sample leak shipped with the repository.
pub fn sample_leak() -> PathBuf {
    repo().join("examples/sample-leak")
}

/// `../shared/corpora`, or `None` with a printed reason. With `CI=true` a
/// missing corpus is a failure, never a silent skip.
pub fn shared_corpora() -> Option<PathBuf> {
    let base = std::env::var_os("MAILCITE_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("../shared"));
    let corpora = base.join("corpora");
    if corpora.join("README.md").is_file() {
        return Some(corpora);
    }
    if std::env::var("CI").map(|v| v == "true").unwrap_or(false) {
        panic!(
            "{} is missing, and CI=true: the real-corpus tests must run in CI",
            corpora.display()
        );
    }
    eprintln!(
        "skipping: {} not found (set MAILCITE_SHARED to the shared folder)",
        corpora.display()
    );
    None
}

/// A `mailcite` command on `archive`, with no colour and no progress.
pub fn mailcite(archive: &Path) -> Command {
    let mut c = assert_cmd::cargo::cargo_bin_cmd!("mailcite");
    c.arg("--archive").arg(archive).arg("--color").arg("never");
    c.env_remove("MAILCITE_ARCHIVE");
    c
}

/// Runs `mailcite import --json PATHS` and returns the parsed report.
pub fn import_json(archive: &Path, paths: &[&Path]) -> Value {
    let out = mailcite(archive)
        .arg("import")
        .arg("--json")
        .args(paths)
        .output()
        .expect("run mailcite");
    assert!(
        out.status.success(),
        "import failed: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    serde_json::from_slice(&out.stdout).expect("import --json prints JSON")
}

/// `mailcite search --json --limit LIMIT QUERY`, which may find nothing
/// (exit 1) but must not fail.
pub fn search_json(archive: &Path, query: &str, limit: usize) -> Value {
    let out = mailcite(archive)
        .args(["search", "--json", "--limit", &limit.to_string(), query])
        .output()
        .expect("run mailcite");
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "search {query}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("search --json prints JSON")
}

/// The ids of the hits of a `search --json` result, in order.
pub fn hit_ids(v: &Value) -> Vec<String> {
    v["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["id"].as_str().expect("id").to_string())
        .collect()
}

/// Runs `mailcite ARGS --json` and returns the parsed output.
pub fn json(archive: &Path, args: &[&str]) -> Value {
    let out = mailcite(archive)
        .args(args)
        .arg("--json")
        .output()
        .expect("run mailcite");
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("--json prints JSON")
}

/// Checks the accounting invariant of an import report and returns the totals.
pub fn check_accounting(report: &Value) -> (u64, u64, u64, u64) {
    let mut sum = (0, 0, 0, 0);
    for c in report["containers"].as_array().expect("containers") {
        let m = c["messages"].as_u64().unwrap();
        let i = c["imported"].as_u64().unwrap();
        let d = c["duplicates"].as_u64().unwrap();
        let f = c["failed"].as_u64().unwrap();
        assert_eq!(m, i + d + f, "container not accounted for: {c}");
        assert_eq!(
            c["failures"].as_array().unwrap().len() as u64,
            f,
            "every failure has a reason: {c}"
        );
        sum = (sum.0 + m, sum.1 + i, sum.2 + d, sum.3 + f);
    }
    let t = &report["totals"];
    assert_eq!(
        (
            t["messages"].as_u64().unwrap(),
            t["imported"].as_u64().unwrap(),
            t["duplicates"].as_u64().unwrap(),
            t["failed"].as_u64().unwrap()
        ),
        sum,
        "totals are the sum of the containers"
    );
    sum
}

/// Finds the container whose path ends with `suffix`.
pub fn container<'a>(report: &'a Value, suffix: &str) -> &'a Value {
    report["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["path"].as_str().unwrap().ends_with(suffix))
        .unwrap_or_else(|| panic!("no container ending in {suffix}: {report}"))
}

/// Everything that identifies an archive's content, sorted: messages with
/// their ids and metadata, occurrences, source counters and failures.
pub fn dump_catalog(archive: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open_with_flags(
        archive.join("catalog.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut out = Vec::new();
    let queries = [
        "SELECT hex(sha256) || ' ' || size || ' ' || ifnull(message_id,'') || ' ' || ifnull(date_utc,'') || ' ' || ifnull(subject,'') FROM messages",
        "SELECT hex(m.sha256) || ' ' || s.path || ' ' || o.idx || ' ' || o.offset || ' ' || o.length || ' ' || ifnull(o.folder,'') || ' ' || ifnull(o.flags,'') FROM occurrences o JOIN messages m ON m.id = o.message JOIN sources s ON s.id = o.source",
        "SELECT path || ' ' || format || ' ' || ifnull(variant,'') || ' ' || complete || ' ' || messages || ' ' || imported || ' ' || duplicates || ' ' || failed || ' ' || ifnull(file_sha256,'') FROM sources",
        "SELECT s.path || ' ' || f.idx || ' ' || f.offset || ' ' || f.reason FROM failures f JOIN sources s ON s.id = f.source",
        "SELECT m.message_id || ' ' || a.role || ' ' || a.pos || ' ' || ifnull(a.address,'') FROM addresses a JOIN messages m ON m.id = a.message",
    ];
    for q in queries {
        let mut st = conn.prepare(q).unwrap();
        let rows = st.query_map([], |r| r.get::<_, String>(0)).unwrap();
        for r in rows {
            out.push(r.unwrap());
        }
    }
    out.sort();
    out
}

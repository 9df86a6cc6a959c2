//! Crash safety: `import`, `article add` and `reindex` killed with SIGKILL
//! at random moments and run again end in the archive an uninterrupted run
//! makes; a full disk and a read-only archive give a clear error and leave
//! the archive consistent; readers work while an import runs, and a second
//! import waits for no one: it is refused by the lock with a clear message.
//!
//! The kill moments come from a seed printed by each test (set
//! `MAILCITE_KILL_SEED` to replay one).

use crate::support::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// SIGKILLs survived by the import test.
const IMPORT_KILLS: usize = 20;

/// A small xorshift generator: kill moments must be reproducible from the
/// printed seed.
struct Rng(u64);

impl Rng {
    fn new(test: &str) -> Rng {
        let seed = std::env::var("MAILCITE_KILL_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos() as u64)
                    .unwrap_or(1)
            })
            | 1;
        eprintln!("{test}: MAILCITE_KILL_SEED={seed}");
        Rng(seed)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// `cypherpunks-YEAR.mbox.zst` decompressed into `dir`, or `None` (with the
/// reason printed; a failure under CI=true) when the corpus is missing.
pub fn cypherpunks_mbox(dir: &Path, year: &str) -> Option<PathBuf> {
    let corpora = shared_corpora()?;
    let src = corpora.join(format!("bulk/cypherpunks/cypherpunks-{year}.mbox.zst"));
    let out = dir.join(format!("cypherpunks-{year}.mbox"));
    let input = std::fs::File::open(&src).unwrap_or_else(|e| panic!("{}: {e}", src.display()));
    let mut decoder = zstd::stream::read::Decoder::new(input).unwrap();
    let mut file = std::fs::File::create(&out).unwrap();
    std::io::copy(&mut decoder, &mut file).unwrap();
    Some(out)
}

/// The `mailcite` binary with `--archive archive --quiet`.
fn bin(archive: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mailcite"));
    c.arg("--archive")
        .arg(archive)
        .arg("--quiet")
        .arg("--color")
        .arg("never")
        .env_remove("MAILCITE_ARCHIVE");
    c
}

/// Starts `cmd`, waits `wait` (or until it ends) and SIGKILLs it. True when
/// the process was still running, i.e. really killed; a run that ended by
/// itself must have succeeded (its stderr is shown otherwise).
fn kill_after(mut cmd: Command, wait: Duration) -> bool {
    let stderr = tempfile::tempfile().unwrap();
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(stderr.try_clone().unwrap())
        .spawn()
        .expect("spawn mailcite");
    let deadline = Instant::now() + wait;
    let mut ended = None;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            ended = Some(status);
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    if ended.is_none() {
        ended = child.try_wait().unwrap();
    }
    let Some(status) = ended else {
        // SIGKILL: no chance to clean up.
        let _ = child.kill();
        let _ = child.wait();
        return true;
    };
    if !status.success() {
        use std::io::{Read, Seek};
        let mut stderr = stderr;
        let mut text = String::new();
        stderr.rewind().unwrap();
        stderr.read_to_string(&mut text).unwrap();
        panic!("{cmd:?} ended by itself with {status}: {text}");
    }
    false
}

fn run_ok(mut cmd: Command) -> Output {
    let out = cmd.output().expect("run mailcite");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `verify --json` reports no problem.
fn assert_verifies(archive: &Path) {
    let out = mailcite(archive)
        .args(["verify", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("verify: {}", String::from_utf8_lossy(&out.stderr)));
    assert_eq!(v["problems"].as_array().unwrap().len(), 0, "{v}");
    assert!(out.status.success());
}

/// The ids a search finds, in order.
fn search_ids(archive: &Path, query: &str) -> Vec<String> {
    // Sorted: messages of the same date may come in another order from
    // an index built in another order.
    let mut ids = hit_ids(&search_json(archive, query, 100_000));
    ids.sort();
    ids
}

/// Every article row, citation and unmatched quote, without the times of
/// day they were added.
fn dump_articles(archive: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open_with_flags(
        archive.join("catalog.sqlite"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let mut out = Vec::new();
    for q in [
        "SELECT id || ' ' || ifnull(title,'') || ' ' || format || ' ' || sha256 || ' ' || length(text) FROM articles",
        "SELECT c.article || ' ' || hex(m.sha256) || ' ' || c.quote || ' ' || c.passage || ' ' || c.start_char || ' ' || c.end_char || ' ' || c.method || ' ' || c.score || ' ' || c.own_text || ' ' || ifnull(c.also_in,'') FROM citations c JOIN messages m ON m.id = c.message",
        "SELECT article || ' ' || pos || ' ' || quote FROM unmatched_quotes",
    ] {
        let mut st = conn.prepare(q).unwrap();
        let rows = st.query_map([], |r| r.get::<_, String>(0)).unwrap();
        out.extend(rows.map(|r| r.unwrap()));
    }
    out.sort();
    out
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

#[test]
fn import_killed_at_20_random_moments_resumes_to_the_same_archive() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(y1992) = cypherpunks_mbox(tmp.path(), "1992") else {
        return;
    };
    let Some(y1970) = cypherpunks_mbox(tmp.path(), "1970") else {
        return;
    };
    let inputs = [y1970, y1992, sample_leak()];
    // Small batches: many commit points for the kills to fall around.
    let import = |archive: &Path| {
        let mut c = bin(archive);
        c.args(["import", "--batch-messages", "40"]).args(&inputs);
        c
    };
    let clean = tmp.path().join("clean");
    let started = Instant::now();
    run_ok(import(&clean));
    let full = started.elapsed();
    let expected = dump_catalog(&clean);
    let expected_hits = search_ids(&clean, "date:1992-10");
    assert!(!expected_hits.is_empty());

    let mut rng = Rng::new("import kill test");
    let (mut kills, mut attempts, mut series) = (0, 0, 0);
    let mut killed = tmp.path().join("killed-0");
    while kills < IMPORT_KILLS {
        attempts += 1;
        assert!(attempts < IMPORT_KILLS * 10, "the import never got killed");
        // Up to a fifth of an uninterrupted run per attempt: each restart
        // resumes, so a series goes through the whole import in a few kills.
        let wait = full.mul_f64(0.01 + 0.2 * rng.unit());
        if kill_after(import(&killed), wait) {
            kills += 1;
            // Between kills, readers see a consistent archive.
            assert_verifies_or_in_progress(&killed);
        } else {
            // That run completed: it must be the archive of an
            // uninterrupted run. Start a new series.
            assert_eq!(dump_catalog(&killed), expected, "series {series}");
            series += 1;
            killed = tmp.path().join(format!("killed-{series}"));
        }
    }
    let last = import_json(
        &killed,
        &inputs.iter().map(|p| p.as_path()).collect::<Vec<_>>(),
    );
    check_accounting(&last);
    assert_eq!(dump_catalog(&killed), expected);
    assert_verifies(&killed);
    assert_eq!(search_ids(&killed, "date:1992-10"), expected_hits);
    eprintln!(
        "import: {kills} SIGKILLs survived in {attempts} runs ({series} series completed), uninterrupted run {:.1} s",
        full.as_secs_f64()
    );
}

/// After a kill or a failed write, the catalog and store agree (`verify`
/// finds no damaged or missing object; the index may lag behind and
/// uncommitted pack bytes may remain until the next import).
fn assert_verifies_or_in_progress(archive: &Path) {
    if !archive.join("catalog.sqlite").exists() {
        return;
    }
    let out = mailcite(archive)
        .args(["verify", "--json"])
        .output()
        .unwrap();
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&out.stdout) else {
        // Killed before the archive was complete: the next run makes it.
        return;
    };
    // Allowed: an index behind the catalog, and pack bytes no committed
    // batch refers to yet (the next writer truncates them). Never: a
    // catalog row whose bytes are missing or damaged.
    for p in v["problems"].as_array().unwrap() {
        let kind = p["kind"].as_str().unwrap_or("");
        let leftover = kind == "extra"
            && p["problem"]
                .as_str()
                .unwrap_or("")
                .contains("left by an interrupted import");
        assert!(
            kind.starts_with("index-") || leftover,
            "an interrupted import left a store/catalog problem: {p}"
        );
    }
}

#[test]
fn article_add_killed_at_random_moments_is_all_or_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    import_json(&base, &[&sample_leak()]);
    let article = repo().join("examples/sample-article.html");
    let add = |archive: &Path| {
        let mut c = bin(archive);
        c.args(["article", "add"]).arg(&article);
        c
    };
    let clean = tmp.path().join("clean");
    copy_dir(&base, &clean);
    let started = Instant::now();
    run_ok(add(&clean));
    let full = started.elapsed();
    let expected = dump_articles(&clean);
    assert!(expected.len() > 3, "{expected:?}");
    let expected_cited = search_ids(&clean, "cited:yes");
    assert!(!expected_cited.is_empty());

    let mut rng = Rng::new("article add kill test");
    let mut kills = 0;
    for k in 0..20 {
        let a = tmp.path().join(format!("k{k}"));
        copy_dir(&base, &a);
        let wait = full.mul_f64(0.02 + 0.96 * rng.unit());
        if kill_after(add(&a), wait) {
            kills += 1;
        }
        // All or nothing: either no article, or exactly the clean one.
        let after_kill = dump_articles(&a);
        assert!(
            after_kill.is_empty() || after_kill == expected,
            "kill {k} left a partial article: {after_kill:?}"
        );
        if after_kill.is_empty() {
            run_ok(add(&a));
        } else {
            // Committed before the kill: the next command brings the index
            // up to date (cited: terms of the newly cited messages).
            run_ok({
                let mut c = bin(&a);
                c.args(["import"]).arg(sample_leak());
                c
            });
        }
        assert_eq!(dump_articles(&a), expected, "kill {k}");
        assert_eq!(search_ids(&a, "cited:yes"), expected_cited, "kill {k}");
        assert_verifies(&a);
        std::fs::remove_dir_all(&a).unwrap();
    }
    eprintln!(
        "article add: {kills} of 20 runs killed while running, uninterrupted run {:.2} s",
        full.as_secs_f64()
    );
    assert!(kills >= 10, "too few runs were really killed: {kills}");
}

#[test]
fn reindex_killed_at_random_moments_leaves_a_working_index() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(y1992) = cypherpunks_mbox(tmp.path(), "1992") else {
        return;
    };
    let archive = tmp.path().join("a");
    import_json(&archive, &[&y1992, &sample_leak()]);
    let queries = [
        "date:1992-10",
        "encryption",
        "countermeasures",
        "from:@soda.berkeley.edu",
    ];
    let expected: Vec<Vec<String>> = queries.iter().map(|q| search_ids(&archive, q)).collect();
    let started = Instant::now();
    run_ok({
        let mut c = bin(&archive);
        c.arg("reindex");
        c
    });
    let full = started.elapsed();
    let mut rng = Rng::new("reindex kill test");
    let mut kills = 0;
    for k in 0..20 {
        let wait = full.mul_f64(0.02 + 0.96 * rng.unit());
        let mut c = bin(&archive);
        c.arg("reindex");
        if kill_after(c, wait) {
            kills += 1;
        }
        // Searching works right after the kill (the old index, the new one,
        // or one rebuilt on the spot) and finds the same messages.
        for (q, e) in queries.iter().zip(&expected) {
            assert_eq!(&search_ids(&archive, q), e, "kill {k}, query {q}");
        }
    }
    run_ok({
        let mut c = bin(&archive);
        c.arg("reindex");
        c
    });
    for (q, e) in queries.iter().zip(&expected) {
        assert_eq!(&search_ids(&archive, q), e, "{q}");
    }
    assert_verifies(&archive);
    eprintln!(
        "reindex: {kills} of 20 runs killed while running, uninterrupted run {:.2} s",
        full.as_secs_f64()
    );
    assert!(kills >= 10, "too few runs were really killed: {kills}");
}

/// Runs `cmd` to its end, failing the test if it takes over `secs` seconds
/// (an import once hung forever when its catalog write failed).
fn output_within(mut cmd: Command, secs: u64) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(secs);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} did not end within {secs} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Runs `cmd` through `sh` with the file size limit set to `kb` KiB and
/// SIGXFSZ ignored, so that a write past it fails with EFBIG ("File too
/// large"), as on a full disk, instead of killing the process.
fn with_file_size_limit(cmd: &Command, kb: u64) -> Command {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg(format!("trap '' XFSZ; ulimit -f {}; exec \"$@\"", kb * 2))
        .arg("sh")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    c.env_remove("MAILCITE_ARCHIVE");
    c
}

#[test]
fn a_full_disk_is_a_clear_error_and_the_archive_stays_consistent() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(y1992) = cypherpunks_mbox(tmp.path(), "1992") else {
        return;
    };
    let inputs = [y1992, sample_leak()];
    let import = |archive: &Path| {
        let mut c = bin(archive);
        c.args(["import", "--batch-messages", "100"]).args(&inputs);
        c
    };
    let clean = tmp.path().join("clean");
    run_ok(import(&clean));
    let expected = dump_catalog(&clean);
    // `ulimit -f` counts 512-byte blocks in POSIX sh: the helper doubles.
    let mut failed_at = Vec::new();
    for kb in [8, 64, 300, 700, 1500] {
        let archive = tmp.path().join(format!("full-{kb}"));
        let out = output_within(with_file_size_limit(&import(&archive), kb), 300);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{kb} KiB: {stderr}");
        if out.status.success() {
            continue;
        }
        failed_at.push(kb);
        assert_eq!(out.status.code(), Some(2), "{kb} KiB: {stderr}");
        assert!(
            stderr.contains("mailcite: error:") && stderr.contains("hint: the disk may be full"),
            "{kb} KiB: the error says what to do: {stderr}"
        );
        // What was committed is consistent: nothing refers to missing bytes.
        if archive.join("catalog.sqlite").exists() {
            assert_verifies_or_in_progress(&archive);
        }
        // Space freed: the same command completes the import exactly.
        run_ok(import(&archive));
        assert_eq!(dump_catalog(&archive), expected, "{kb} KiB");
        assert_verifies(&archive);
    }
    eprintln!("full disk: imports failed cleanly at file size limits {failed_at:?} KiB");
    assert!(
        failed_at.len() >= 3,
        "the limits were reached: {failed_at:?}"
    );
}

/// Makes `dir` and everything in it unwritable, even for root, until
/// dropped. `None` (with the reason printed) when that is not possible here.
struct ReadOnly(PathBuf);

impl ReadOnly {
    fn new(dir: &Path) -> Option<ReadOnly> {
        let root = Command::new("id")
            .arg("-u")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
            .unwrap_or(false);
        if !root {
            let ok = Command::new("chmod")
                .args(["-R", "a-w"])
                .arg(dir)
                .status()
                .is_ok_and(|s| s.success());
            return ok.then(|| ReadOnly(dir.to_path_buf()));
        }
        // Root ignores permissions: the immutable attribute stops it.
        let ok = Command::new("chattr")
            .args(["-R", "+i"])
            .arg(dir)
            .status()
            .is_ok_and(|s| s.success());
        let probe = dir.join("probe");
        if ok && std::fs::write(&probe, b"x").is_err() {
            return Some(ReadOnly(dir.to_path_buf()));
        }
        let _ = std::fs::remove_file(&probe);
        let _ = Command::new("chattr").args(["-R", "-i"]).arg(dir).status();
        eprintln!(
            "skipping: running as root and `chattr +i` does not work on {} (file system or capability)",
            dir.display()
        );
        None
    }
}

impl Drop for ReadOnly {
    fn drop(&mut self) {
        let _ = Command::new("chattr")
            .args(["-R", "-i"])
            .arg(&self.0)
            .status();
        let _ = Command::new("chmod")
            .args(["-R", "u+w"])
            .arg(&self.0)
            .status();
    }
}

fn tree_snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(tree_snapshot(&p));
        } else {
            out.push((p.clone(), std::fs::read(&p).unwrap()));
        }
    }
    out.sort();
    out
}

#[test]
fn a_read_only_archive_is_a_clear_error_and_stays_unchanged() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("a");
    import_json(&archive, &[&sample_leak()]);
    let expected = dump_catalog(&archive);
    let before = tree_snapshot(&archive);
    let extra = tmp.path().join("extra.eml");
    std::fs::write(&extra, small_message()).unwrap();
    let Some(guard) = ReadOnly::new(&archive) else {
        return;
    };
    for args in [
        vec!["import".to_string(), extra.display().to_string()],
        vec!["reindex".to_string()],
        vec![
            "keys".to_string(),
            "add".to_string(),
            repo()
                .join("tests/fixtures/dkim/keys.zone")
                .display()
                .to_string(),
        ],
    ] {
        let out = mailcite(&archive).args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(
            stderr.contains("mailcite: error:")
                && stderr.contains("hint: the archive or its disk is not writable"),
            "{args:?}: the error names the cause: {stderr}"
        );
    }
    // Reading a read-only archive: a clear answer either way, never a panic.
    let out = mailcite(&archive)
        .args(["search", "countermeasures"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        out.status.success() || stderr.contains("mailcite: error:"),
        "{stderr}"
    );
    drop(guard);
    let after = tree_snapshot(&archive);
    let changed: Vec<_> = after
        .iter()
        .filter(|f| !before.contains(f))
        .map(|f| f.0.display().to_string())
        .collect();
    assert!(changed.is_empty(), "changed on disk: {changed:?}");
    assert_eq!(after.len(), before.len());
    assert_eq!(dump_catalog(&archive), expected);
    assert_verifies(&archive);
}

fn small_message() -> &'static str {
    "From: x@example.org\nSubject: extra\nMessage-ID: <extra@example.org>\n\nextra\n"
}

#[test]
fn searches_and_show_work_while_an_import_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(y1992) = cypherpunks_mbox(tmp.path(), "1992") else {
        return;
    };
    let archive = tmp.path().join("a");
    import_json(&archive, &[&sample_leak()]);
    let known = json(&archive, &["show", "harbour-1@borealis-shipping.example"]);
    let mut child = bin(&archive)
        .args(["import", "--batch-messages", "25"])
        .arg(&y1992)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (mut polls, mut last_count) = (0, 0u64);
    while child.try_wait().unwrap().is_none() {
        // The import holds the write lock; readers never wait for it.
        let started = Instant::now();
        let count = mailcite(&archive)
            .args(["search", "--count", "date:1992 OR countermeasures"])
            .output()
            .unwrap();
        assert!(
            matches!(count.status.code(), Some(0) | Some(1)),
            "search during import: {}",
            String::from_utf8_lossy(&count.stderr)
        );
        let n: u64 = String::from_utf8_lossy(&count.stdout)
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("a count: {:?}", count.stdout));
        assert!(
            n >= last_count,
            "the index never goes back: {n} < {last_count}"
        );
        last_count = n;
        // Every hit the index shows is in the catalog.
        for id in search_ids(&archive, "date:1992") {
            let v = json(&archive, &["show", &id]);
            assert_eq!(v["id"], id.as_str());
        }
        let v = json(&archive, &["show", "harbour-1@borealis-shipping.example"]);
        assert_eq!(v["id"], known["id"]);
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "a reader waited"
        );
        polls += 1;
    }
    let status = child.wait().unwrap();
    assert!(status.success());
    eprintln!("{polls} rounds of search and show during the import");
    assert!(
        polls >= 2,
        "the import ended before the readers ran: {polls}"
    );
    assert!(search_ids(&archive, "date:1992").len() > 900);
}

#[test]
fn a_second_import_is_refused_by_the_lock_with_a_clear_message() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(y1992) = cypherpunks_mbox(tmp.path(), "1992") else {
        return;
    };
    let archive = tmp.path().join("a");
    import_json(&archive, &[&sample_leak()]);
    let mut first = bin(&archive)
        .args(["import", "--batch-messages", "25"])
        .arg(&y1992)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the first import has committed something: it holds the lock.
    let started = Instant::now();
    loop {
        let s = json(&archive, &["stats"]);
        if s["messages"].as_u64().unwrap() > 20 {
            break;
        }
        assert!(
            first.try_wait().unwrap().is_none(),
            "first import ended too soon"
        );
        assert!(started.elapsed() < Duration::from_secs(120));
        std::thread::sleep(Duration::from_millis(20));
    }
    let second = mailcite(&archive)
        .arg("import")
        .arg(tmp.path().join("cypherpunks-1992.mbox"))
        .output()
        .unwrap();
    let still_running = first.try_wait().unwrap().is_none();
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        still_running,
        "the first import ended before the second ran"
    );
    assert_eq!(second.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("is locked by another mailcite import")
            && stderr.contains("run the command again"),
        "{stderr}"
    );
    // Other writers are serialized the same way.
    let reindex = mailcite(&archive).arg("reindex").output().unwrap();
    if first.try_wait().unwrap().is_none() {
        assert_eq!(reindex.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&reindex.stderr).contains("locked"));
    }
    assert!(first.wait().unwrap().success());
    // Once the first is done, the second runs and adds nothing new.
    let again = import_json(&archive, &[&tmp.path().join("cypherpunks-1992.mbox")]);
    assert_eq!(check_accounting(&again).1, 0);
    let clean = tmp.path().join("clean");
    import_json(&clean, &[&sample_leak()]);
    import_json(&clean, &[&tmp.path().join("cypherpunks-1992.mbox")]);
    import_json(&clean, &[&tmp.path().join("cypherpunks-1992.mbox")]);
    assert_eq!(dump_catalog(&archive), dump_catalog(&clean));
    assert_verifies(&archive);
}

//! DKIM verification against messages signed by an independent signer (dkimpy).
//!
//! * Committed fixtures (`tests/fixtures/dkim`, generated once by `tests/dkim/sign.py`)
//!   need nothing at run time.
//! * `live_independent_signer` runs `tests/dkim/sign.py` now, with fresh keys. Without
//!   dkimpy it is skipped, or fails when `CI=true`.
//! * `dkimpy_corpus` verifies the real signed messages of
//!   `../shared/corpora/hard/dkimpy-testdata` with the keys dkimpy's own tests use.
//!   Without `../shared` it is skipped, or fails when `CI=true`.

use mailcite_archive::dkim::{
    self, KeyMap, KeySource, Kind, REASON_BODY_HASH, REASON_SIGNATURE, Signature, Status,
};
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("archive/ has a parent")
        .to_path_buf()
}

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn load_keys(dir: &Path) -> KeyMap {
    let zone = std::fs::read_to_string(dir.join("keys.zone")).expect("keys.zone");
    dkim::parse_key_file(&zone)
        .expect("keys.zone parses")
        .into_iter()
        .collect()
}

fn verify_file(dir: &Path, name: &str, keys: &dyn KeySource) -> Vec<Signature> {
    let raw = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    dkim::verify(&raw, keys)
}

fn one(dir: &Path, name: &str, keys: &dyn KeySource) -> Signature {
    let mut sigs = verify_file(dir, name, keys);
    assert_eq!(sigs.len(), 1, "{name}: {sigs:#?}");
    sigs.remove(0)
}

/// Splits an mboxrd file with the project's own splitter (which removes `>From ` quoting).
fn mbox_messages(path: &Path) -> Vec<Vec<u8>> {
    use mailcite_archive::source::mbox::{MboxReader, Variant};
    let file = std::fs::File::open(path).expect("mbox");
    MboxReader::new(std::io::BufReader::new(file), Variant::Mboxrd)
        .filter_map(Result::ok)
        .map(|m| m.bytes)
        .collect()
}

/// Every expectation on a directory produced by `tests/dkim/sign.py`.
fn check_signed_set(dir: &Path) {
    let keys = load_keys(dir);

    for name in ["pass-relaxed.eml", "pass-simple.eml", "rotated.eml"] {
        let s = one(dir, name, &keys);
        assert_eq!(s.status, Status::Pass, "{name}: {s:#?}");
        assert_eq!(s.kind, Kind::Dkim);
        assert_eq!(s.domain, "example.com");
        assert_eq!(s.reason, None);
        assert!(!s.partial_body);
        assert!(s.signed_at.is_some());
    }
    let s = one(dir, "pass-relaxed.eml", &keys);
    assert_eq!(s.selector, "main");
    assert_eq!(s.algorithm, "rsa-sha256");
    assert_eq!(s.canonicalization, "relaxed/relaxed");
    assert_eq!(
        s.signed_headers,
        ["from", "to", "subject", "date", "message-id"]
    );
    assert_eq!(s.key_bits, Some(2048));
    assert_eq!(
        one(dir, "pass-simple.eml", &keys).canonicalization,
        "simple/simple"
    );
    // Rotation: the second archived key for the selector verifies.
    assert_eq!(one(dir, "rotated.eml", &keys).key_bits, Some(2048));

    if dir.join("pass-ed25519.eml").exists() {
        let s = one(dir, "pass-ed25519.eml", &keys);
        assert_eq!(s.status, Status::Pass, "{s:#?}");
        assert_eq!(s.algorithm, "ed25519-sha256");
    }

    let s = one(dir, "body-tampered.eml", &keys);
    assert_eq!(s.status, Status::Fail);
    assert_eq!(s.reason.as_deref(), Some(REASON_BODY_HASH));

    let s = one(dir, "header-tampered.eml", &keys);
    assert_eq!(s.status, Status::Fail);
    assert_eq!(s.reason.as_deref(), Some(REASON_SIGNATURE));

    let s = one(dir, "expired.eml", &keys);
    assert_eq!(s.status, Status::Expired, "{s:#?}");
    assert_eq!(s.expires_at, Some(1_551_434_400 + 86_400));
    assert_eq!(s.signed_at, Some(1_551_434_400));
    // Expired but altered: a failure, never "expired".
    let s = one(dir, "expired-tampered.eml", &keys);
    assert_eq!(s.status, Status::Fail);
    assert_eq!(s.reason.as_deref(), Some(REASON_BODY_HASH));

    let s = one(dir, "weak.eml", &keys);
    assert_eq!(s.status, Status::Weak, "{s:#?}");
    assert_eq!(s.key_bits, Some(512));
    let s = one(dir, "weak-tampered.eml", &keys);
    assert_eq!(s.status, Status::Fail);
    assert_eq!(s.key_bits, Some(512));
    assert!(
        s.reason
            .as_deref()
            .unwrap_or("")
            .starts_with(REASON_SIGNATURE),
        "{s:#?}"
    );

    let s = one(dir, "nokey.eml", &keys);
    assert_eq!(s.status, Status::NoKey);
    assert_eq!(s.selector, "absent");
    assert_eq!(
        dkim::required_keys(&std::fs::read(dir.join("nokey.eml")).unwrap()),
        [("example.com".to_string(), "absent".to_string())]
    );

    let s = one(dir, "revoked.eml", &keys);
    assert_eq!(s.status, Status::Revoked, "{s:#?}");

    let s = one(dir, "partial.eml", &keys);
    assert_eq!(s.status, Status::Pass, "{s:#?}");
    assert!(s.partial_body);
    assert!(s.body_length.is_some());
    assert!(s.reason.is_some());
    // Without the appended text, the same signature covers the whole body.
    let raw = std::fs::read(dir.join("partial.eml")).unwrap();
    let cut = raw
        .windows(10)
        .position(|w| w == b"\r\nP.S. Thi")
        .expect("appended text");
    let whole = dkim::verify(&raw[..cut], &keys);
    assert_eq!(whole[0].status, Status::Pass, "{whole:#?}");
    assert!(!whole[0].partial_body);

    assert!(verify_file(dir, "unsigned.eml", &keys).is_empty());

    // mbox round trip: LF line ends and ">From " quoting; after the splitter removes
    // the quoting, the message verifies again.
    let messages = mbox_messages(&dir.join("mbox.mbox"));
    assert_eq!(messages.len(), 1);
    assert!(messages[0].windows(18).any(|w| w == b"\nFrom the desk of "));
    let s = dkim::verify(&messages[0], &keys);
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].status, Status::Pass, "{s:#?}");
    // Still quoted, the body differs from what was signed.
    let quoted = std::fs::read(dir.join("mbox.mbox")).unwrap();
    let start = quoted.iter().position(|&b| b == b'\n').unwrap() + 1;
    let s = dkim::verify(&quoted[start..], &keys);
    assert_eq!(s[0].status, Status::Fail);
    assert_eq!(s[0].reason.as_deref(), Some(REASON_BODY_HASH));

    if dir.join("arc-2hop.eml").exists() {
        check_arc(dir, &keys);
    }

    // No keys at all: everything signed is nokey, except what fails on its body.
    let empty = KeyMap::new();
    assert_eq!(one(dir, "pass-relaxed.eml", &empty).status, Status::NoKey);
    assert_eq!(one(dir, "body-tampered.eml", &empty).status, Status::Fail);
}

/// (kind, instance, status) of each result, in header order.
fn summary(sigs: &[Signature]) -> Vec<(Kind, Option<u32>, Status)> {
    sigs.iter()
        .map(|s| (s.kind, s.instance, s.status))
        .collect()
}

fn check_arc(dir: &Path, keys: &KeyMap) {
    use Kind::{ArcMessageSignature as Ams, ArcSeal as Seal, Dkim};
    use Status::{Fail, NoKey, Pass};

    let sigs = verify_file(dir, "arc-2hop.eml", keys);
    assert_eq!(
        summary(&sigs),
        [
            (Seal, Some(2), Pass),
            (Ams, Some(2), Pass),
            (Seal, Some(1), Pass),
            (Ams, Some(1), Pass),
            (Dkim, None, Pass),
        ],
        "{sigs:#?}"
    );
    assert_eq!(sigs[0].domain, "example.org");
    assert_eq!(sigs[0].canonicalization, "relaxed");
    assert_eq!(
        dkim::required_keys(&std::fs::read(dir.join("arc-2hop.eml")).unwrap()),
        [
            ("example.org".to_string(), "arc".to_string()),
            ("example.com".to_string(), "main".to_string())
        ]
    );

    // The body changed after the last hop: every body hash fails, the seals (which
    // cover only ARC headers) still verify.
    let sigs = verify_file(dir, "arc-body-tampered.eml", keys);
    assert_eq!(
        summary(&sigs),
        [
            (Seal, Some(2), Pass),
            (Ams, Some(2), Fail),
            (Seal, Some(1), Pass),
            (Ams, Some(1), Fail),
            (Dkim, None, Fail),
        ],
        "{sigs:#?}"
    );
    assert_eq!(sigs[1].reason.as_deref(), Some(REASON_BODY_HASH));

    // The first hop's ARC-Authentication-Results changed: both seals cover it.
    let sigs = verify_file(dir, "arc-aar-tampered.eml", keys);
    assert_eq!(
        summary(&sigs),
        [
            (Seal, Some(2), Fail),
            (Ams, Some(2), Pass),
            (Seal, Some(1), Fail),
            (Ams, Some(1), Pass),
            (Dkim, None, Pass),
        ],
        "{sigs:#?}"
    );
    assert_eq!(sigs[0].reason.as_deref(), Some(REASON_SIGNATURE));

    // Without the ARC key, the ARC signatures are nokey and DKIM still passes.
    let mut only_dkim = KeyMap::new();
    for r in dkim::parse_key_file(&std::fs::read_to_string(dir.join("keys.zone")).unwrap()).unwrap()
    {
        if r.domain == "example.com" {
            only_dkim.insert(&r.domain, &r.selector, r.record);
        }
    }
    let sigs = verify_file(dir, "arc-2hop.eml", &only_dkim);
    assert_eq!(
        summary(&sigs),
        [
            (Seal, Some(2), NoKey),
            (Ams, Some(2), NoKey),
            (Seal, Some(1), NoKey),
            (Ams, Some(1), NoKey),
            (Dkim, None, Pass),
        ],
        "{sigs:#?}"
    );

    // Dropping the first ARC-Seal breaks the chain: mail-auth's verify_arc sees it.
    let raw = std::fs::read(dir.join("arc-2hop.eml")).unwrap();
    let text = String::from_utf8(raw).unwrap();
    let start = text.find("ARC-Seal: i=1;").unwrap();
    let end = start
        + text[start..]
            .find("\r\nARC-Message-Signature: i=1")
            .unwrap()
        + 2;
    let broken = format!("{}{}", &text[..start], &text[end..]);
    let sigs = dkim::verify(broken.as_bytes(), keys);
    let seal2 = &sigs[0];
    assert_eq!((seal2.kind, seal2.status), (Seal, Fail), "{sigs:#?}");
    assert!(
        seal2
            .reason
            .as_deref()
            .unwrap_or("")
            .contains("broken ARC chain"),
        "{seal2:#?}"
    );
}

#[test]
fn dkim_committed_fixtures() {
    check_signed_set(&workspace().join("tests/fixtures/dkim"));
}

#[test]
fn dkim_status_serializes_lowercase() {
    assert_eq!(serde_json::to_string(&Status::NoKey).unwrap(), "\"nokey\"");
    assert_eq!(
        serde_json::to_string(&Kind::ArcMessageSignature).unwrap(),
        "\"arc-message-signature\""
    );
    assert_eq!(Status::Expired.as_str(), "expired");
}

#[test]
fn dkim_verify_is_usable_from_many_threads() {
    let dir = workspace().join("tests/fixtures/dkim");
    let keys = load_keys(&dir);
    let raw = std::fs::read(dir.join("pass-relaxed.eml")).unwrap();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..5 {
                    assert_eq!(dkim::verify(&raw, &keys)[0].status, Status::Pass);
                }
            });
        }
    });
}

#[test]
fn dkim_live_independent_signer() {
    let have = std::process::Command::new("python3")
        .args(["-c", "import dkim"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        let msg = "python3 with dkimpy is needed for this test: pip install dkimpy pynacl";
        if ci() {
            panic!("{msg}");
        }
        eprintln!("skipping live_independent_signer: {msg}");
        return;
    }
    let out = tempfile::tempdir().unwrap();
    let script = workspace().join("tests/dkim/sign.py");
    let status = std::process::Command::new("python3")
        .arg(&script)
        .arg(out.path())
        .status()
        .expect("run sign.py");
    assert!(status.success(), "{} failed", script.display());
    check_signed_set(out.path());
}

/// Keys the dkimpy test suite serves for its test data (dkim/tests/test_dkim.py,
/// test_dkim_ed25519.py and data/*.txt|*.dns), as a zone file.
const DKIMPY_KEYS: &str = r#"
; RFC 8463 appendix A keys (dkimpy data/test.txt and dnsfunc5)
brisbane._domainkey.football.example.com. IN TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
test._domainkey.football.example.com. IN TXT ( "v=DKIM1; g=*; k=rsa; "
    "p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB" )
; dkimpy data/eximtest.dns
sed._domainkey.test.ex. IN TXT "v=DKIM1; k=ed25519; p=sPs07Vu29FpHT/80UXUcYHFOHifD4o2ZlP2+XUh9g6E="
; dkimpy test_dkim.py dnsfunc (test_degenerate_folding)
20120113._domainkey.gmail.com. IN TXT "k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA1Kd87/UeJjenpabgbFwh+eBCsSTrqmwIYYvywlbhbqoo2DymndFkbjOVIPIldNs/m40KF+yzMn1skyoxcTUGCQs8g3FgD2Ap3ZB5DekAo5wMmk4wimDO+U8QzI3SD07y2+07wlNWwIt8svnxgdxGkVbbhzY8i+RQ9DpSVpPbF7ykQxtKXkv/ahW3KjViiAH+ghvvIhkx4xYSIc9oSwVmAl5OctMEeWUwg8Istjqz8BZeTWbf41fbNhte7Y+YqZOwq1Sd0DbvYAD9NOZK9vlfuac0598HY+vtSBczUiKERHv1yRbcaQtZFh5wtiRrN04BLUTD21MycBX5jYchHjPY/wIDAQAB"
"#;

#[test]
fn dkim_dkimpy_corpus() {
    let dir = workspace()
        .parent()
        .expect("workspace has a parent")
        .join("shared/corpora/hard/dkimpy-testdata");
    if !dir.is_dir() {
        let msg = format!("{} is missing (the shared corpora)", dir.display());
        if ci() {
            panic!("{msg}");
        }
        eprintln!("skipping dkimpy_corpus: {msg}");
        return;
    }
    let keys: KeyMap = dkim::parse_key_file(DKIMPY_KEYS)
        .expect("keys parse")
        .into_iter()
        .collect();

    // RFC 8463's example: an Ed25519 and an RSA signature (1024 bits) over the same message.
    let s = verify_file(&dir, "rfc6376.signed.msg", &keys);
    assert_eq!(s.len(), 2, "{s:#?}");
    assert_eq!(
        (s[0].status, s[0].algorithm.as_str(), s[0].selector.as_str()),
        (Status::Pass, "ed25519-sha256", "brisbane"),
        "{s:#?}"
    );
    assert_eq!(s[0].key_bits, Some(256));
    assert_eq!(
        (s[1].status, s[1].algorithm.as_str(), s[1].key_bits),
        (Status::Pass, "rsa-sha256", Some(1024)),
        "{s:#?}"
    );
    assert_eq!(
        s[0].signed_headers,
        [
            "from",
            "to",
            "subject",
            "date",
            "message-id",
            "from",
            "subject",
            "date"
        ]
    );

    // Degenerate folding of h= and b= (Debian bug #711751), a real Gmail signature.
    let s = one(&dir, "test2.message", &keys);
    assert_eq!(s.status, Status::Pass, "{s:#?}");
    assert_eq!(s.domain, "gmail.com");
    assert_eq!(s.key_bits, Some(2048));

    // Exim's Ed25519 test message.
    let s = one(&dir, "ed25519test2.msg", &keys);
    assert_eq!(s.status, Status::Pass, "{s:#?}");
    assert_eq!(s.domain, "test.ex");

    // A real kitterman.com signature from 2011: its key is not archived.
    let s = one(&dir, "message.mbox", &keys);
    assert_eq!(s.status, Status::NoKey, "{s:#?}");
    assert_eq!(
        dkim::required_keys(&std::fs::read(dir.join("message.mbox")).unwrap()),
        [("kitterman.com".to_string(), "2007-00".to_string())]
    );

    // Altering the signed Subject of the RFC example breaks both signatures.
    let raw = std::fs::read(dir.join("rfc6376.signed.msg")).unwrap();
    let text = String::from_utf8(raw).unwrap();
    let altered = text.replace("Subject: Is dinner ready?", "Subject: Is lunch ready?");
    for s in dkim::verify(altered.as_bytes(), &keys) {
        assert_eq!(s.status, Status::Fail);
        assert_eq!(s.reason.as_deref(), Some(REASON_SIGNATURE));
    }

    // Unsigned messages of the set.
    for name in [
        "rfc6376.msg",
        "test.message",
        "test_extra.message",
        "test_nofrom.message",
        "ed25519test.msg",
    ] {
        assert!(verify_file(&dir, name, &keys).is_empty(), "{name}");
    }
}

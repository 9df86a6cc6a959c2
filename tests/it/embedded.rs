//! Messages inside messages: pasted forwards and replies reconstructed from
//! the text, attached messages, the same original recognized once, and
//! `is:` searches (fixtures in tests/fixtures/embedded, fictional).

use crate::support::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

fn fixtures() -> Vec<PathBuf> {
    let dir = repo().join("tests/fixtures/embedded");
    ["forward-chain.eml", "second-forward.eml", "attached.eml"]
        .iter()
        .map(|f| dir.join(f))
        .collect()
}

fn search(archive: &Path, query: &str) -> Value {
    search_json(archive, query, 100)
}

fn imported() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("a");
    let paths = fixtures();
    let report = import_json(
        &archive,
        &paths.iter().map(|p| p.as_path()).collect::<Vec<_>>(),
    );
    // The messages inside are not messages of the containers: three files,
    // three messages.
    assert_eq!(report["totals"]["messages"], 3, "{report}");
    assert_eq!(report["totals"]["imported"], 3, "{report}");
    (tmp, archive)
}

#[test]
fn forwards_and_attached_messages_become_searchable_children() {
    let (_tmp, archive) = imported();

    // Plain searches find the carrying messages only.
    let plain = search(&archive, "quittances");
    assert_eq!(plain["total"], 2, "{plain}");
    assert!(hit_ids(&plain).iter().all(|id| !id.starts_with("e-")));

    // Four distinct originals: Ivan's forwarded reply, Anna's quoted
    // question (carried twice), the attached message and the forward pasted
    // inside it.
    let all = search(&archive, "is:embedded");
    assert_eq!(all["total"], 4, "{all}");
    assert!(hit_ids(&all).iter().all(|id| id.starts_with("e-")));

    let anna = search(
        &archive,
        "is:embedded from:anna.berg@nordlicht-trade.example",
    );
    assert_eq!(anna["total"], 1, "{anna}");
    let hit = &anna["hits"][0];
    assert_eq!(hit["subject"], "harbour fees");
    assert_eq!(hit["embedded"]["reconstructed"], true);
    assert_eq!(hit["embedded"]["zone_known"], false);
    assert_eq!(hit["embedded"]["carried_by"].as_array().unwrap().len(), 2);
    assert!(hit["snippet"].as_str().unwrap().contains("harbour fees"));
    assert!(
        hit["date"]
            .as_str()
            .unwrap()
            .starts_with("2009-03-02 18:40")
    );

    let russian = search(&archive, "is:forwarded наличными");
    assert_eq!(russian["total"], 1, "{russian}");
    assert_eq!(
        russian["hits"][0]["from"][0]["address"],
        "ivan.petrov@borealis-shipping.example"
    );
    assert_eq!(russian["hits"][0]["subject"], "RE: harbour fees");

    let attached = search(&archive, "is:attached");
    assert_eq!(attached["total"], 1, "{attached}");
    assert_eq!(attached["hits"][0]["subject"], "Fwd: invoice 114");
    assert_eq!(attached["hits"][0]["embedded"]["reconstructed"], false);
    assert_eq!(
        attached["hits"][0]["message_id"],
        "invoice-114-fwd@borealis-shipping.example"
    );
    assert_eq!(search(&archive, "is:reconstructed")["total"], 3);
    assert_eq!(
        search(&archive, "is:embedded date:2009-03-02")["total"],
        2,
        "Anna's question and the port office's invoice"
    );
    let port = search(&archive, "is:embedded from:office@port-murmansk.example");
    assert_eq!(port["total"], 1);
    assert!(
        port["hits"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("48,000 roubles")
    );
}

#[test]
fn show_lists_the_messages_inside_and_shows_one() {
    let (_tmp, archive) = imported();
    let chain = search(&archive, "subject:\"Fwd: RE: harbour fees\"");
    let parent = chain["hits"][0]["id"].as_str().unwrap().to_string();
    let out = mailcite(&archive)
        .args(["show", "--json", &parent])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let inside = v["embedded"].as_array().unwrap();
    assert_eq!(inside.len(), 2, "{v}");
    assert_eq!(inside[0]["kind"], "forwarded");
    assert_eq!(
        inside[0]["marker"],
        "-------- Пересылаемое сообщение --------"
    );
    assert_eq!(inside[1]["kind"], "quoted");
    assert_eq!(inside[1]["container"], 0);
    assert_eq!(
        inside[1]["text"],
        "How do we pay the harbour fees this time? The auditors ask about\nthe quittances from Murmansk."
    );

    let child = format!("e-{}", &inside[1]["identity"].as_str().unwrap()[..16]);
    let out = mailcite(&archive).args(["show", &child]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("reconstructed from the text"), "{text}");
    assert!(
        text.contains("Anna Berg <anna.berg@nordlicht-trade.example>"),
        "{text}"
    );
    assert!(text.contains("Carried by (2):"), "{text}");
    assert!(text.contains("(zone unknown)"), "{text}");

    let terminal = mailcite(&archive).args(["show", &parent]).output().unwrap();
    let t = String::from_utf8(terminal.stdout).unwrap();
    assert!(t.contains("Messages inside (2)"), "{t}");

    // The conversation shows them under their carrier.
    let out = mailcite(&archive)
        .args(["thread", "--json", &parent])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let node = &v["messages"][0];
    assert_eq!(node["embedded"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(node["embedded"][1]["depth"], 2);
    assert_eq!(node["embedded"][1]["from"], "Anna Berg");

    let missing = mailcite(&archive)
        .args(["show", "e-0000"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("is:embedded"));
}

#[test]
fn verify_and_reindex_keep_one_document_per_original() {
    let (_tmp, archive) = imported();
    let verify = |a: &Path| -> Value {
        let out = mailcite(a).args(["verify", "--json"]).output().unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let v = verify(&archive);
    assert_eq!(v["problems"].as_array().unwrap().len(), 0, "{v}");
    // Three messages and four originals found inside them.
    assert_eq!(v["index_documents"], 7, "{v}");
    // Importing the same files again adds nothing.
    let again = import_json(
        &archive,
        &fixtures().iter().map(|p| p.as_path()).collect::<Vec<_>>(),
    );
    assert_eq!(again["totals"]["imported"], 0);
    let out = mailcite(&archive).arg("reindex").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = verify(&archive);
    assert_eq!(v["problems"].as_array().unwrap().len(), 0, "{v}");
    assert_eq!(v["index_documents"], 7, "{v}");
    assert_eq!(search(&archive, "is:embedded")["total"], 4);
}

/// Real forwards from the hard cases in ../shared/corpora: a forward of a
/// forward of an Outlook forward (attached three deep, then pasted twice),
/// an Italian reply chain with Apple Mail's translated marker, and a
/// forward in a journalism-tools test mailbox.
#[test]
fn real_forward_chains_from_the_hard_corpus() {
    let Some(corpora) = shared_corpora() else {
        return;
    };
    let hard = corpora.join("hard");
    let files = [
        hard.join("james-mime4j/core/src/test/resources/mimetools-testmsgs/frag.msg"),
        hard.join("spamscope-mail-parser/mail_test_7"),
        hard.join("journalism-tools/aleph-ingest-file/plan.mbox"),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("a");
    let report = import_json(
        &archive,
        &files.iter().map(|p| p.as_path()).collect::<Vec<_>>(),
    );
    assert_eq!(report["totals"]["imported"], 3, "{report}");
    let inside = |query: &str| -> Vec<Value> {
        let hits = search(&archive, query);
        let id = hits["hits"][0]["id"].as_str().unwrap().to_string();
        let out = mailcite(&archive)
            .args(["show", "--json", &id])
            .output()
            .unwrap();
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        v["embedded"].as_array().unwrap().clone()
    };

    let frag = inside("subject:priceless");
    let kinds: Vec<&str> = frag.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["attached", "attached", "attached", "quoted", "quoted"]
    );
    let containers: Vec<Value> = frag.iter().map(|e| e["container"].clone()).collect();
    assert_eq!(
        containers,
        [Value::Null, 0.into(), 1.into(), 2.into(), 3.into()]
    );
    assert_eq!(frag[2]["from"][0]["address"], "ShawnM@snesystems.com");
    assert_eq!(frag[2]["subject"], "FW: Another Priceless  Moment");
    assert_eq!(frag[4]["from"][0]["address"], "Ailinn@bellsouth.net");
    assert_eq!(frag[4]["reconstructed"], true);

    let ordine = inside("subject:ordine");
    assert_eq!(ordine.len(), 3);
    assert_eq!(ordine[2]["kind"], "forwarded");
    assert_eq!(ordine[2]["subject"], "R: R: Ordine");
    assert_eq!(
        ordine[2]["from"][0]["address"],
        "anna.milone@mmlampadari.com"
    );

    let plan = inside("subject:plan");
    assert_eq!(plan.len(), 1);
    assert_eq!(plan[0]["kind"], "forwarded");
    assert_eq!(
        plan[0]["from"][0]["address"],
        "Tiamat.Mesopotamian@yandex.ru"
    );
    assert_eq!(plan[0]["subject"], "Our friends has a good plan");
    assert!(
        plan[0]["text"]
            .as_str()
            .unwrap()
            .starts_with("Our friends do propose")
    );

    // Each original is searchable on its own.
    let shawn = search(&archive, "is:attached from:ShawnM@snesystems.com");
    assert_eq!(shawn["total"], 1, "{shawn}");
    let v = mailcite(&archive)
        .args(["verify", "--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&v.stdout).unwrap();
    assert_eq!(v["problems"].as_array().unwrap().len(), 0, "{v}");
}

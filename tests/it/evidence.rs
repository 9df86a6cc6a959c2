//! Time evidence from the Received chain, and the upgrade of archives made
//! before authenticity was recorded.

use crate::support::*;
use std::fs;

const BACKDATED: &str = "Received: from mx.borealis-shipping.example (mx.borealis-shipping.example [192.0.2.10])\n\
\tby mail.nordlicht-trade.example with ESMTPS id 4F2A; Tue, 14 Jul 2009 09:12:40 +0200\n\
Received: from [10.1.1.4] by mx.borealis-shipping.example with ESMTP;\n Tue, 14 Jul 2009 07:12:31 +0000\n\
From: Ivan Petrov <ivan.petrov@borealis-shipping.example>\n\
To: Anna Berg <anna.berg@nordlicht-trade.example>\n\
Subject: Inspection report (fictional test message)\n\
Date: Fri, 10 Jul 2009 10:00:00 +0300\n\
Message-ID: <backdated-1@borealis-shipping.example>\n\
\n\
The inspection found nothing, as agreed.\n";

const ON_TIME: &str = "Received: by mx.borealis-shipping.example with ESMTP; Tue, 14 Jul 2009 07:15:00 +0000\n\
From: Ivan Petrov <ivan.petrov@borealis-shipping.example>\n\
To: Anna Berg <anna.berg@nordlicht-trade.example>\n\
Subject: Inspection report, corrected (fictional test message)\n\
Date: Tue, 14 Jul 2009 10:14:00 +0300\n\
Message-ID: <ontime-1@borealis-shipping.example>\n\
\n\
Corrected figures attached next week.\n";

#[test]
fn a_date_far_from_the_first_received_hop_is_flagged_and_searchable() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("mail");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("backdated.eml"), BACKDATED).unwrap();
    fs::write(dir.join("ontime.eml"), ON_TIME).unwrap();
    let archive = tmp.path().join("a");
    import_json(&archive, &[&dir]);

    let v = json(&archive, &["search", "anomaly:date"]);
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(
        v["hits"][0]["message_id"],
        "backdated-1@borealis-shipping.example"
    );

    let v = json(&archive, &["show", "backdated-1@borealis-shipping.example"]);
    assert_eq!(v["date_anomaly"], true);
    assert_eq!(v["first_received"], "2009-07-14 07:12:31 +0000");
    // Date 2009-07-10 07:00 UTC is 4 days, 12 min 31 s before the first hop.
    assert_eq!(v["date_skew_secs"], -(4 * 86_400 + 12 * 60 + 31));
    let hops = v["received"].as_array().unwrap();
    assert_eq!(hops.len(), 2);
    assert_eq!(hops[0]["by"], "mail.nordlicht-trade.example");
    assert_eq!(hops[1]["from"], "[10.1.1.4]");

    let out = mailcite(&archive)
        .args(["show", "--headers", "backdated-1@borealis-shipping.example"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Received chain (2 hops"), "{text}");
    assert!(text.contains("2009-07-14 07:12:31 +0000"), "{text}");
    assert!(
        text.contains("4 d 0 h before the first Received hop"),
        "{text}"
    );
    assert!(text.contains("Headers as written:"), "{text}");

    let v = json(&archive, &["show", "ontime-1@borealis-shipping.example"]);
    assert_eq!(v["date_anomaly"], false);
    assert_eq!(v["date_skew_secs"], -60);

    // The threshold is configurable, and remembered.
    json(&archive, &["reindex", "--max-date-skew", "5d"]);
    assert_eq!(count(&archive, "anomaly:date"), 0);
    json(&archive, &["reindex"]);
    assert_eq!(count(&archive, "anomaly:date"), 0, "the 5d setting is kept");
    json(&archive, &["reindex", "--max-date-skew", "36h"]);
    assert_eq!(count(&archive, "anomaly:date"), 1);
}

#[test]
fn an_archive_from_before_authenticity_is_upgraded_and_checked_on_demand() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("archive-v1");
    let src = repo().join("tests/fixtures/archive-v1");
    copy(&src, &archive);
    // Opening it upgrades the catalog and rebuilds the index (with a note).
    let out = mailcite(&archive)
        .args(["search", "--json", "dkim:unchecked"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rebuilding it from the archive"), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["total"], 8, "nothing was checked before: {v}");
    let v = json(&archive, &["dkim"]);
    assert_eq!(v["checked"], 8);
    assert_eq!(v["counts"]["none"], 8, "{v}");
    let v = json(&archive, &["search", "dkim:none"]);
    assert_eq!(v["total"], 8);
    assert_eq!(v["hits"][0]["dkim"], "none");
    let v = json(&archive, &["verify"]);
    assert_eq!(v["problems"].as_array().unwrap().len(), 0, "{v}");
}

/// `mailcite search --count QUERY` (exit status 1 when nothing matches).
fn count(archive: &std::path::Path, query: &str) -> u64 {
    let out = mailcite(archive)
        .args(["search", "--count", query])
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)));
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

fn copy(from: &std::path::Path, to: &std::path::Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy(&e.path(), &dst);
        } else {
            fs::copy(e.path(), &dst).unwrap();
        }
    }
}

//! Authenticity glue shared by `dkim`, `keys`, `show`, `search` and
//! `export`: checking stored messages again, and describing results.

use anyhow::Context as _;
use mailcite_archive::archive::Archive;
use mailcite_archive::auth::{self, AuthResult};
use mailcite_archive::catalog::now_rfc3339;
use rayon::prelude::*;
use serde::Serialize;

/// Each message's results, and the keys whose results changed.
pub type Rechecked = (Vec<(i64, Vec<AuthResult>)>, Vec<i64>);

/// Messages checked per transaction.
const CHUNK: usize = 2000;

/// Checks the given messages again against the archive's key store, stores
/// the results, and refreshes their index documents. Returns each message's
/// results and the keys whose results changed.
pub fn recheck(
    archive: &mut Archive,
    keys: &[i64],
    mut progress: impl FnMut(u64),
) -> anyhow::Result<Rechecked> {
    let records = archive.catalog.key_records()?;
    let checked_at = now_rfc3339();
    let mut all = Vec::with_capacity(keys.len());
    let mut changed = Vec::new();
    let mut done = 0u64;
    for chunk in keys.chunks(CHUNK) {
        let mut raws = Vec::with_capacity(chunk.len());
        let mut cache: Option<(mailcite_archive::store::BlockLocation, Vec<u8>)> = None;
        for &key in chunk {
            let m = archive.message(key)?;
            let loc = &m.location;
            if cache.as_ref().map(|c| c.0) != Some(loc.block) {
                cache = Some((loc.block, archive.store.read_block(&loc.block)?));
            }
            if let Some((_, block)) = &cache {
                let raw =
                    mailcite_archive::store::extract(block, &m.id, loc).with_context(|| {
                        format!(
                            "cannot read message {} from the store; run `mailcite verify`",
                            m.id
                        )
                    })?;
                raws.push((key, raw));
            }
        }
        let results: Vec<(i64, Vec<AuthResult>)> = raws
            .par_iter()
            .map(|(key, raw)| (*key, auth::check(raw, &records, &checked_at)))
            .collect();
        changed.extend(archive.catalog.set_auth_results(&results)?);
        done += results.len() as u64;
        all.extend(results);
        progress(done);
    }
    let mut writer = crate::indexing::open_writer(archive)?;
    crate::indexing::catch_up(archive, &mut writer, |_| {})?;
    writer.close()?;
    Ok((all, changed))
}

/// The authenticity of one message, for JSON outputs.
#[derive(Debug, Clone, Serialize)]
pub struct Authenticity {
    /// `pass`, `fail`, ... of the best DKIM signature; `none` for unsigned
    /// mail; `unchecked` when it was never checked.
    pub dkim: String,
    /// One line per signature, as shown on the terminal.
    pub summary: String,
    /// Every stored result (absent when unchecked).
    pub signatures: Vec<AuthResult>,
}

/// Rank of a status for choosing a message's headline result: a passing
/// signature is the strongest evidence, then a valid but expired or weak one.
fn rank(status: &str) -> u8 {
    match status {
        "pass" => 0,
        "expired" => 1,
        "weak" => 2,
        "fail" => 3,
        "revoked" => 4,
        "nokey" => 5,
        "invalid" => 6,
        _ => 7,
    }
}

/// Describes a message's stored results.
pub fn authenticity(results: Option<&[AuthResult]>) -> Authenticity {
    let Some(results) = results else {
        return Authenticity {
            dkim: "unchecked".into(),
            summary: "not checked yet (run `mailcite dkim`)".into(),
            signatures: Vec::new(),
        };
    };
    let dkim: Vec<&AuthResult> = results.iter().filter(|r| r.is_dkim()).collect();
    let best = dkim
        .iter()
        .min_by_key(|r| rank(&r.status))
        .map_or_else(|| "none".to_string(), |r| r.status.clone());
    let summary = if dkim.is_empty() {
        "not signed (no DKIM-Signature)".to_string()
    } else {
        dkim.iter()
            .map(|r| describe(r))
            .collect::<Vec<_>>()
            .join("; ")
    };
    Authenticity {
        dkim: best,
        summary,
        signatures: results.to_vec(),
    }
}

/// One signature in words: `DKIM pass (d=example.com s=sel, rsa-sha256)`.
pub fn describe(r: &AuthResult) -> String {
    let what = match r.kind.as_str() {
        "dkim" => "DKIM".to_string(),
        "arc-seal" => format!("ARC-Seal i={}", r.instance.unwrap_or(0)),
        _ => format!("ARC-Message-Signature i={}", r.instance.unwrap_or(0)),
    };
    let mut s = format!(
        "{what} {} (d={} s={}, {})",
        r.status, r.domain, r.selector, r.algorithm
    );
    if let Some(why) = &r.reason {
        s.push_str(&format!(": {why}"));
    }
    if r.partial_body {
        s.push_str(&format!(
            "; only the first {} bytes of the body are signed (l=), the rest could have been added by anyone",
            r.body_length.unwrap_or(0)
        ));
    }
    s
}

//! Authenticity records in the catalog: the archived DKIM keys
//! (`dkim_keys`), the result of every signature check (`dkim_results`), the
//! messages not checked yet (`dkim_unchecked`, left by the upgrade from
//! catalog version 1), and the date-skew setting behind `anomaly:date`.
//!
//! Verification itself lives in [`crate::dkim`]; this module only stores and
//! reads what it found.

use crate::catalog::{Catalog, now_rfc3339};
use crate::error::{Error, Result};
use crate::received::DEFAULT_MAX_DATE_SKEW_SECS;
use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;
use std::collections::HashMap;

/// The stored outcome of one signature check (a DKIM-Signature, an
/// ARC-Seal or an ARC-Message-Signature).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuthResult {
    /// `dkim`, `arc-seal` or `arc-message-signature`.
    pub kind: String,
    /// ARC instance (`i=`).
    pub instance: Option<u32>,
    /// `pass`, `fail`, `nokey`, `revoked`, `expired`, `weak`, `invalid`.
    pub status: String,
    /// Why, for anything but `pass`.
    pub reason: Option<String>,
    /// Signing domain (`d=`).
    pub domain: String,
    /// Selector (`s=`).
    pub selector: String,
    /// Algorithm (`a=`).
    pub algorithm: String,
    /// Canonicalization (`c=`), e.g. `relaxed/simple`.
    pub canonicalization: String,
    /// Signed header fields (`h=`).
    pub signed_headers: Vec<String>,
    /// Body length limit (`l=`).
    pub body_length: Option<u64>,
    /// True when `l=` left part of the body unsigned.
    pub partial_body: bool,
    /// Size of the key that verified the signature, in bits.
    pub key_bits: Option<u32>,
    /// Signing time (`t=`), Unix seconds.
    pub signed_at: Option<i64>,
    /// Expiry (`x=`), Unix seconds.
    pub expires_at: Option<i64>,
    /// When the check ran (RFC 3339).
    pub checked_at: String,
}

impl AuthResult {
    /// True for a DKIM-Signature (as opposed to an ARC header).
    pub fn is_dkim(&self) -> bool {
        self.kind == "dkim"
    }
}

/// A key in the archive's key store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredKey {
    /// Row id.
    pub id: i64,
    /// Domain, lowercase.
    pub domain: String,
    /// Selector.
    pub selector: String,
    /// The TXT record (`v=DKIM1; k=rsa; p=...`).
    pub record: String,
    /// First seen in DNS, as given.
    pub first_seen: Option<String>,
    /// Last seen in DNS, as given.
    pub last_seen: Option<String>,
    /// Where the key came from (`file:PATH`, `dns`).
    pub origin: String,
    /// When it was added (RFC 3339).
    pub added_at: String,
}

/// A key to add to the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKey<'a> {
    /// Domain.
    pub domain: &'a str,
    /// Selector.
    pub selector: &'a str,
    /// TXT record.
    pub record: &'a str,
    /// First seen.
    pub first_seen: Option<&'a str>,
    /// Last seen.
    pub last_seen: Option<&'a str>,
    /// Origin.
    pub origin: &'a str,
}

/// Archived key records by `(domain, selector)`, both lowercase.
pub type KeyRecords = HashMap<(String, String), Vec<String>>;

/// Checks every signature of a raw message against `keys` (offline) and
/// turns the outcome into catalog rows stamped `checked_at`.
pub fn check(raw: &[u8], keys: &KeyRecords, checked_at: &str) -> Vec<AuthResult> {
    crate::dkim::verify(raw, keys)
        .into_iter()
        .map(|s| AuthResult {
            kind: match s.kind {
                crate::dkim::Kind::Dkim => "dkim",
                crate::dkim::Kind::ArcSeal => "arc-seal",
                crate::dkim::Kind::ArcMessageSignature => "arc-message-signature",
            }
            .to_string(),
            instance: s.instance,
            status: s.status.as_str().to_string(),
            reason: s.reason,
            domain: normalize_name(&s.domain),
            selector: normalize_name(&s.selector),
            algorithm: s.algorithm,
            canonicalization: s.canonicalization,
            signed_headers: s.signed_headers,
            body_length: s.body_length,
            partial_body: s.partial_body,
            key_bits: s.key_bits,
            signed_at: s.signed_at,
            expires_at: s.expires_at,
            checked_at: checked_at.to_string(),
        })
        .collect()
}

/// Normalizes a domain or selector for storage and look-up.
pub fn normalize_name(s: &str) -> String {
    s.trim().trim_end_matches('.').to_ascii_lowercase()
}

impl Catalog {
    fn err(&self) -> impl Fn(rusqlite::Error) -> Error + '_ {
        |source| Error::Catalog {
            path: self.path.clone(),
            source,
        }
    }

    /// Adds keys; a key already stored (same domain, selector and record)
    /// gets its dates widened. Returns how many were new.
    pub fn add_keys(&mut self, keys: &[NewKey<'_>]) -> Result<usize> {
        let path = self.path.clone();
        let e = |source| Error::Catalog {
            path: path.clone(),
            source,
        };
        let now = now_rfc3339();
        let tx = self.conn.transaction().map_err(e)?;
        let mut added = 0;
        {
            let mut ins = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO dkim_keys (domain, selector, record, first_seen, last_seen, origin, added_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(e)?;
            let mut widen = tx
                .prepare_cached(
                    "UPDATE dkim_keys SET
                       first_seen = CASE WHEN first_seen IS NULL OR (?4 IS NOT NULL AND ?4 < first_seen) THEN coalesce(?4, first_seen) ELSE first_seen END,
                       last_seen = CASE WHEN last_seen IS NULL OR (?5 IS NOT NULL AND ?5 > last_seen) THEN coalesce(?5, last_seen) ELSE last_seen END
                     WHERE domain = ?1 AND selector = ?2 AND record = ?3",
                )
                .map_err(e)?;
            for k in keys {
                let domain = normalize_name(k.domain);
                let selector = normalize_name(k.selector);
                let n = ins
                    .execute(params![
                        domain,
                        selector,
                        k.record.trim(),
                        k.first_seen,
                        k.last_seen,
                        k.origin,
                        now
                    ])
                    .map_err(e)?;
                if n == 0 {
                    widen
                        .execute(params![
                            domain,
                            selector,
                            k.record.trim(),
                            k.first_seen,
                            k.last_seen
                        ])
                        .map_err(e)?;
                }
                added += n;
            }
        }
        tx.commit().map_err(e)?;
        Ok(added)
    }

    /// Every stored key, by domain, selector, then first seen.
    pub fn keys(&self) -> Result<Vec<StoredKey>> {
        let e = self.err();
        let mut st = self
            .conn
            .prepare(
                "SELECT id, domain, selector, record, first_seen, last_seen, origin, added_at
                 FROM dkim_keys ORDER BY domain, selector, first_seen, id",
            )
            .map_err(&e)?;
        let rows = st
            .query_map([], |r| {
                Ok(StoredKey {
                    id: r.get(0)?,
                    domain: r.get(1)?,
                    selector: r.get(2)?,
                    record: r.get(3)?,
                    first_seen: r.get(4)?,
                    last_seen: r.get(5)?,
                    origin: r.get(6)?,
                    added_at: r.get(7)?,
                })
            })
            .map_err(&e)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(&e)
    }

    /// Every stored key as `(domain, selector) -> records`, for verifying.
    pub fn key_records(&self) -> Result<KeyRecords> {
        let mut out = KeyRecords::new();
        for k in self.keys()? {
            out.entry((k.domain, k.selector))
                .or_default()
                .push(k.record);
        }
        Ok(out)
    }

    /// The stored checks of a message; `None` when it was never checked.
    /// An empty list means the message carries no signature.
    pub fn auth_results(&self, key: i64) -> Result<Option<Vec<AuthResult>>> {
        let e = self.err();
        let unchecked = self
            .conn
            .prepare_cached("SELECT 1 FROM dkim_unchecked WHERE message = ?1")
            .and_then(|mut st| st.query_row([key], |_| Ok(())).optional())
            .map_err(&e)?
            .is_some();
        if unchecked {
            return Ok(None);
        }
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT kind, instance, status, reason, domain, selector, algorithm, canonicalization,
                        signed_headers, body_length, partial_body, key_bits, signed_at, expires_at, checked_at
                 FROM dkim_results WHERE message = ?1 ORDER BY pos",
            )
            .map_err(&e)?;
        let rows = st
            .query_map([key], |r| {
                let headers: String = r.get(8)?;
                Ok(AuthResult {
                    kind: r.get(0)?,
                    instance: r.get(1)?,
                    status: r.get(2)?,
                    reason: r.get(3)?,
                    domain: r.get(4)?,
                    selector: r.get(5)?,
                    algorithm: r.get(6)?,
                    canonicalization: r.get(7)?,
                    signed_headers: headers
                        .split(':')
                        .filter(|h| !h.is_empty())
                        .map(String::from)
                        .collect(),
                    body_length: r.get(9)?,
                    partial_body: r.get(10)?,
                    key_bits: r.get(11)?,
                    signed_at: r.get(12)?,
                    expires_at: r.get(13)?,
                    checked_at: r.get(14)?,
                })
            })
            .map_err(&e)?;
        Ok(Some(
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(&e)?,
        ))
    }

    /// Replaces the stored checks of each message, marks it checked, and
    /// marks its index document stale when its results changed. Returns the
    /// keys whose results changed.
    pub fn set_auth_results(&mut self, results: &[(i64, Vec<AuthResult>)]) -> Result<Vec<i64>> {
        let mut before = Vec::with_capacity(results.len());
        for (key, _) in results {
            before.push(self.auth_results(*key)?);
        }
        let path = self.path.clone();
        let e = |source| Error::Catalog {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(e)?;
        let mut changed = Vec::new();
        for ((key, rows), old) in results.iter().zip(before) {
            let same = old.as_ref().is_some_and(|o| same_outcome(o, rows));
            if same {
                continue;
            }
            tx.execute("DELETE FROM dkim_results WHERE message = ?1", [key])
                .map_err(e)?;
            tx.execute("DELETE FROM dkim_unchecked WHERE message = ?1", [key])
                .map_err(e)?;
            insert_results(&tx, *key, rows).map_err(e)?;
            tx.execute("INSERT OR IGNORE INTO index_dirty (key) VALUES (?1)", [key])
                .map_err(e)?;
            changed.push(*key);
        }
        tx.commit().map_err(e)?;
        Ok(changed)
    }

    /// Keys of messages never checked.
    pub fn unchecked_keys(&self) -> Result<Vec<i64>> {
        let e = self.err();
        let mut st = self
            .conn
            .prepare("SELECT message FROM dkim_unchecked ORDER BY message")
            .map_err(&e)?;
        let rows = st.query_map([], |r| r.get(0)).map_err(&e)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(&e)
    }

    /// Keys of messages with at least one signature by `domain` and
    /// `selector` (to re-check after a key is added).
    pub fn keys_signed_by(&self, domain: &str, selector: &str) -> Result<Vec<i64>> {
        let e = self.err();
        let mut st = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT message FROM dkim_results WHERE domain = ?1 AND selector = ?2 ORDER BY message",
            )
            .map_err(&e)?;
        let rows = st
            .query_map([normalize_name(domain), normalize_name(selector)], |r| {
                r.get(0)
            })
            .map_err(&e)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(&e)
    }

    /// Number of stored checks per status, DKIM signatures only, plus
    /// `none` (messages checked with no signature) and `unchecked`.
    pub fn auth_counts(&self) -> Result<Vec<(String, u64)>> {
        let e = self.err();
        let mut st = self
            .conn
            .prepare(
                "SELECT status, count(*) FROM dkim_results WHERE kind = 'dkim' GROUP BY status
                 UNION ALL
                 SELECT 'none', count(*) FROM messages m WHERE NOT EXISTS
                   (SELECT 1 FROM dkim_results r WHERE r.message = m.id AND r.kind = 'dkim')
                   AND NOT EXISTS (SELECT 1 FROM dkim_unchecked u WHERE u.message = m.id)
                 UNION ALL
                 SELECT 'unchecked', count(*) FROM dkim_unchecked",
            )
            .map_err(&e)?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?)))
            .map_err(&e)?;
        let mut out: Vec<(String, u64)> = rows
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(&e)?
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .collect();
        out.sort();
        Ok(out)
    }

    /// The largest gap between Date and the first Received hop that is not
    /// an anomaly, in seconds (default one day).
    pub fn max_date_skew(&self) -> Result<i64> {
        let e = self.err();
        let v: Option<String> = self
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'max_date_skew_secs'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(&e)?;
        Ok(v.and_then(|v| v.parse().ok())
            .unwrap_or(DEFAULT_MAX_DATE_SKEW_SECS))
    }

    /// Records the date-skew threshold (the index must then be rebuilt).
    pub fn set_max_date_skew(&mut self, secs: i64) -> Result<()> {
        let e = self.err();
        self.conn
            .execute(
                "INSERT INTO meta (key, value) VALUES ('max_date_skew_secs', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [secs.to_string()],
            )
            .map_err(&e)?;
        Ok(())
    }
}

/// Writes the checks of a new message inside an import transaction.
pub(crate) fn insert_results(
    tx: &Transaction<'_>,
    key: i64,
    rows: &[AuthResult],
) -> rusqlite::Result<()> {
    let mut st = tx.prepare_cached(
        "INSERT INTO dkim_results (message, pos, kind, instance, status, reason, domain, selector, algorithm,
           canonicalization, signed_headers, body_length, partial_body, key_bits, signed_at, expires_at, checked_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
    )?;
    for (pos, r) in rows.iter().enumerate() {
        st.execute(params![
            key,
            pos as i64,
            r.kind,
            r.instance,
            r.status,
            r.reason,
            normalize_name(&r.domain),
            normalize_name(&r.selector),
            r.algorithm,
            r.canonicalization,
            r.signed_headers.join(":"),
            r.body_length,
            r.partial_body,
            r.key_bits,
            r.signed_at,
            r.expires_at,
            r.checked_at,
        ])?;
    }
    Ok(())
}

/// Same results apart from when they were checked.
fn same_outcome(a: &[AuthResult], b: &[AuthResult]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            let mut y = y.clone();
            y.checked_at = x.checked_at.clone();
            y.domain = normalize_name(&y.domain);
            y.selector = normalize_name(&y.selector);
            *x == y
        })
}

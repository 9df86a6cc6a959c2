//! Offline DKIM and ARC verification against archived public keys.
//!
//! Leaked mail is often years old: the signing keys have long been rotated out of
//! DNS. This module verifies `DKIM-Signature`, `ARC-Message-Signature` and
//! `ARC-Seal` headers against key records the user archived (see
//! [`parse_key_file`]) and never touches the network. [`fetch_key_dns`] is the only
//! function that does, and only when the user asks for it.
//!
//! # How results are decided
//!
//! The cryptography is done by `mail-auth` (rust-crypto backend). Every signature is
//! verified on its own, once per archived key for its selector, through a resolver
//! cache that answers every lookup from the archive (a name with no archived key is
//! answered "not found"), with an authenticator that has no name servers at all.
//!
//! * [`Status::Pass`]: body hash and header signature verify with an archived key.
//! * [`Status::Fail`]: they do not; `reason` says whether the body
//!   ("body hash mismatch: …") or the signed headers ("signature mismatch: …") were
//!   altered, or what else went wrong. A body hash mismatch is reported as a failure
//!   even when no key is archived: it does not depend on the key.
//! * [`Status::NoKey`]: no usable archived key for `selector._domainkey.domain`.
//! * [`Status::Revoked`]: the only archived record(s) have an empty `p=`.
//! * [`Status::Expired`]: the cryptography verifies but `x=` lies before the time of
//!   verification. `mail-auth` compares `x=` with the clock before it looks at the
//!   cryptography, and its time-parameterised check is private, so `x=` is cleared on
//!   a copy of the parsed signature before verification (the raw header, which is what
//!   is hashed, is untouched) and the expiry is judged afterwards. An expired
//!   signature whose cryptography fails is [`Status::Fail`].
//! * [`Status::Weak`]: the cryptography verifies with an RSA key under 1024 bits
//!   (such keys can be factored, so the signature no longer proves who signed). Weak
//!   takes precedence over expired. A weak key with a failing signature is
//!   [`Status::Fail`] (the reason mentions the weak key); `key_bits` is always set.
//! * [`Status::Invalid`]: the signature header cannot be parsed (or is inconsistent,
//!   such as `x=` not after `t=`).
//! * [`Status::None`] is never returned by [`verify`]: it is for unsigned mail, which
//!   [`verify`] reports as an empty vector.
//!
//! With several archived keys for one selector (rotations) each is tried and the best
//! outcome is reported, in the order pass, expired, weak, fail, revoked, nokey.
//!
//! `l=` (body length) signatures are accepted: `body_length` is set and
//! `partial_body` tells whether the canonicalised body is longer than `l=`, i.e.
//! whether content after the signed part was not signed. `mail-auth` truncates the
//! raw body before canonicalisation; RFC 6376 counts canonicalised octets, so the
//! body hashes of `l=` signatures are recomputed here per the RFC.
//!
//! Messages stored with bare LF line ends (mbox, Maildir) are converted to CRLF, the
//! form they had on the wire when they were signed, before verification.
//!
//! # ARC
//!
//! `mail-auth`'s `verify_arc` yields one result for the whole chain and checks only
//! the newest `ARC-Message-Signature`. It is used for the chain's structure (instance
//! numbers, `cv=` values, completeness): when it reports a structural error, every
//! `ARC-Seal` is reported as [`Status::Fail`] with that reason. The cryptographic
//! result of each `ARC-Message-Signature` and each `ARC-Seal` is obtained separately,
//! with `mail-auth`'s DKIM verifier: an AMS is verified exactly like a DKIM signature
//! (RFC 8617 §4.1.2), a seal as a relaxed-canonicalised signature over the ARC
//! headers of its instance and all earlier ones (RFC 8617 §5.1.1). Older AMS
//! failing is normal when later hops changed the message; the reason says so.

mod keyfile;

pub use keyfile::KeyFileError;

use mail_auth::{
    AuthenticatedMessage, DkimResult, MessageAuthenticator, Parameters, ResolverCache, Txt,
    arc::ArcError,
    common::{
        crypto::{Algorithm, CryptoError, HashAlgorithm},
        headers::{Header, Writable},
        parse::TxtRecordParser,
        verify::{DomainKey, VerifySignature},
    },
    dkim::{Canonicalization, DkimError},
    hickory_resolver::{
        config::{ResolverConfig, ResolverOpts},
        proto::{op::ResponseCode, rr::RData},
    },
};
use serde::Serialize;
use std::{
    borrow::{Borrow, Cow},
    collections::HashMap,
    future::Future,
    hash::Hash,
    sync::{Arc, OnceLock},
    task::{Context, Poll, Wake},
};

/// Most signatures of each kind verified in one message; hostile input may carry
/// thousands. The rest are reported as [`Status::Invalid`].
const MAX_SIGNATURES: usize = 64;
/// Most archived keys tried per selector.
const MAX_KEYS_PER_SELECTOR: usize = 16;
/// RSA keys shorter than this are [`Status::Weak`].
const WEAK_RSA_BITS: u32 = 1024;

/// Reason given when the body hash does not match.
pub const REASON_BODY_HASH: &str = "body hash mismatch: the body was altered after signing";
/// Reason given when the header signature does not verify.
pub const REASON_SIGNATURE: &str = "signature mismatch: signed headers were altered";

/// One archived DKIM public key record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyRecord {
    /// Signing domain (`d=`), lowercase, without trailing dot.
    pub domain: String,
    /// Selector (`s=`), lowercase.
    pub selector: String,
    /// The TXT record text, quoted strings joined (`v=DKIM1; k=rsa; p=...`).
    pub record: String,
    /// When the record was first seen, as given: `YYYY-MM-DD` or RFC 3339.
    pub first_seen: Option<String>,
    /// When the record was last seen, as given: `YYYY-MM-DD` or RFC 3339.
    pub last_seen: Option<String>,
}

/// Parses a key file: DNS zone-file lines
/// (`sel._domainkey.example.com. 3600 IN TXT "v=DKIM1; k=rsa; " "p=..."`, multi-line
/// parenthesised records, `$ORIGIN`, indented continuation records), `dig` output
/// (records of the ANSWER SECTION; `;` comments and non-TXT records are ignored) or
/// JSON (an object or an array of objects with `domain`, `selector`, `record` or `txt`
/// (a string or an array of strings), optional `first_seen` and `last_seen`; `name`:
/// `sel._domainkey.example.com` may replace domain and selector). The format is
/// detected by content: JSON starts with `{` or `[`. Errors name the line and say what
/// was expected.
pub fn parse_key_file(text: &str) -> Result<Vec<KeyRecord>, KeyFileError> {
    keyfile::parse(text)
}

/// Where verification gets keys: all TXT records archived for one selector.
pub trait KeySource {
    /// Every archived TXT record of `selector._domainkey.domain` (any order; each is
    /// tried). `domain` and `selector` are passed lowercase, without trailing dot.
    fn lookup(&self, domain: &str, selector: &str) -> Vec<String>;
}

/// A simple in-memory [`KeySource`]: records keyed by (domain, selector), both
/// compared case-insensitively.
#[derive(Debug, Clone, Default)]
pub struct KeyMap {
    map: HashMap<(String, String), Vec<String>>,
}

impl KeyMap {
    /// An empty key map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one TXT record for `selector._domainkey.domain` (duplicates are kept once).
    pub fn insert(&mut self, domain: &str, selector: &str, record: impl Into<String>) {
        let record = record.into();
        let entry = self
            .map
            .entry((
                keyfile::normalize_domain(domain),
                selector.trim().to_ascii_lowercase(),
            ))
            .or_default();
        if !entry.contains(&record) {
            entry.push(record);
        }
    }

    /// Adds every record of a parsed key file.
    pub fn extend_records<'a>(&mut self, records: impl IntoIterator<Item = &'a KeyRecord>) {
        for r in records {
            self.insert(&r.domain, &r.selector, r.record.clone());
        }
    }

    /// Number of (domain, selector) pairs with at least one record.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no record was inserted.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
}

impl FromIterator<KeyRecord> for KeyMap {
    fn from_iter<T: IntoIterator<Item = KeyRecord>>(iter: T) -> Self {
        let mut map = KeyMap::new();
        for r in iter {
            map.insert(&r.domain, &r.selector, r.record);
        }
        map
    }
}

impl KeySource for KeyMap {
    fn lookup(&self, domain: &str, selector: &str) -> Vec<String> {
        self.map
            .get(&(
                keyfile::normalize_domain(domain),
                selector.to_ascii_lowercase(),
            ))
            .cloned()
            .unwrap_or_default()
    }
}

impl KeySource for HashMap<(String, String), Vec<String>> {
    fn lookup(&self, domain: &str, selector: &str) -> Vec<String> {
        self.get(&(domain.to_string(), selector.to_string()))
            .cloned()
            .unwrap_or_default()
    }
}

impl KeySource for [KeyRecord] {
    fn lookup(&self, domain: &str, selector: &str) -> Vec<String> {
        self.iter()
            .filter(|r| {
                r.domain.eq_ignore_ascii_case(domain) && r.selector.eq_ignore_ascii_case(selector)
            })
            .map(|r| r.record.clone())
            .collect()
    }
}

impl KeySource for Vec<KeyRecord> {
    fn lookup(&self, domain: &str, selector: &str) -> Vec<String> {
        self.as_slice().lookup(domain, selector)
    }
}

/// Outcome of verifying one signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Body hash and header signature verify with an archived key.
    Pass,
    /// The signature does not verify; `reason` says why.
    Fail,
    /// No (usable) archived key for the selector.
    NoKey,
    /// The archived key record has an empty `p=`.
    Revoked,
    /// Cryptographically valid, but `x=` lies in the past.
    Expired,
    /// Cryptographically valid with an RSA key under 1024 bits.
    Weak,
    /// Unsigned message (recorded by callers when [`verify`] returns nothing).
    None,
    /// The signature header cannot be parsed.
    Invalid,
}

impl Status {
    /// The lowercase name used in the catalog and exports (`"pass"`, `"nokey"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pass => "pass",
            Status::Fail => "fail",
            Status::NoKey => "nokey",
            Status::Revoked => "revoked",
            Status::Expired => "expired",
            Status::Weak => "weak",
            Status::None => "none",
            Status::Invalid => "invalid",
        }
    }

    /// Rank for choosing the best outcome among several archived keys (higher is better).
    fn rank(self) -> u8 {
        match self {
            Status::Pass => 7,
            Status::Expired => 6,
            Status::Weak => 5,
            Status::Fail => 4,
            Status::Revoked => 3,
            Status::NoKey => 2,
            Status::Invalid => 1,
            Status::None => 0,
        }
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which header a [`Signature`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// `DKIM-Signature`.
    Dkim,
    /// `ARC-Seal`.
    ArcSeal,
    /// `ARC-Message-Signature`.
    ArcMessageSignature,
}

impl Kind {
    /// The header name (`"DKIM-Signature"`, `"ARC-Seal"`, `"ARC-Message-Signature"`).
    pub fn header_name(self) -> &'static str {
        match self {
            Kind::Dkim => "DKIM-Signature",
            Kind::ArcSeal => "ARC-Seal",
            Kind::ArcMessageSignature => "ARC-Message-Signature",
        }
    }
}

/// The verification result of one signature header.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signature {
    /// Which header this is.
    pub kind: Kind,
    /// ARC instance (`i=`); `None` for DKIM.
    pub instance: Option<u32>,
    /// The outcome.
    pub status: Status,
    /// Why, for every status but pass (and for pass with `l=` partial bodies).
    pub reason: Option<String>,
    /// `d=`, lowercase (empty when the header could not be parsed and had none).
    pub domain: String,
    /// `s=`, lowercase.
    pub selector: String,
    /// `a=`: `rsa-sha256`, `rsa-sha1` or `ed25519-sha256`.
    pub algorithm: String,
    /// `c=` as `header/body`, e.g. `relaxed/simple` (ARC-Seal: `relaxed`).
    pub canonicalization: String,
    /// `h=`, as listed (ARC-Seal: empty).
    pub signed_headers: Vec<String>,
    /// `l=`, when present.
    pub body_length: Option<u64>,
    /// `l=` left part of the body unsigned.
    pub partial_body: bool,
    /// Size of the key that decided the status (RSA modulus bits, 256 for Ed25519).
    pub key_bits: Option<u32>,
    /// `t=`, seconds since the Unix epoch.
    pub signed_at: Option<i64>,
    /// `x=`, seconds since the Unix epoch.
    pub expires_at: Option<i64>,
}

/// Why [`fetch_key_dns`] failed.
#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    /// The resolver could not be set up (runtime, system configuration).
    #[error("cannot set up DNS resolution: {0}")]
    Setup(String),
    /// The name is not a valid DNS name.
    #[error("invalid DNS name {name:?}: {message}")]
    Name {
        /// The name that was queried.
        name: String,
        /// The parser's message.
        message: String,
    },
    /// The query failed (no such name, timeout, server failure).
    #[error("DNS query for {name} failed: {message}")]
    Query {
        /// The name that was queried.
        name: String,
        /// The resolver's message.
        message: String,
    },
}

/// Fetches the TXT records of `selector._domainkey.domain` from DNS (only called when
/// the user passes `--dns`). Blocking; builds its own small runtime. Each record's
/// character-strings are joined; records are returned in the resolver's order.
pub fn fetch_key_dns(domain: &str, selector: &str) -> Result<Vec<String>, DnsError> {
    let name = format!(
        "{}._domainkey.{}.",
        selector.trim(),
        keyfile::normalize_domain(domain)
    );
    let fqdn = mail_auth::hickory_resolver::proto::rr::Name::from_str_relaxed(name.as_str())
        .map_err(|e| DnsError::Name {
            name: name.clone(),
            message: e.to_string(),
        })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| DnsError::Setup(e.to_string()))?;
    runtime.block_on(async {
        let auth = MessageAuthenticator::new_system_conf()
            .or_else(|_| MessageAuthenticator::new_cloudflare())
            .map_err(|e| DnsError::Setup(e.to_string()))?;
        let lookup = auth
            .resolver()
            .txt_lookup(fqdn)
            .await
            .map_err(|e| DnsError::Query {
                name: name.clone(),
                message: e.to_string(),
            })?;
        let mut out = Vec::new();
        for record in lookup.answers() {
            if let RData::TXT(txt) = &record.data {
                let mut joined = Vec::new();
                for part in txt.txt_data.iter() {
                    joined.extend_from_slice(part);
                }
                out.push(String::from_utf8_lossy(&joined).into_owned());
            }
        }
        Ok(out)
    })
}

/// The (domain, selector) pairs a message's signatures (DKIM, ARC-Message-Signature,
/// ARC-Seal) need, lowercase, deduplicated, in header order, so callers can report
/// which keys are missing.
pub fn required_keys(raw: &[u8]) -> Vec<(String, String)> {
    let raw = to_crlf(raw);
    let Some(msg) = AuthenticatedMessage::parse_with_opts(&raw, None, false) else {
        return Vec::new();
    };
    let mut found: Vec<(usize, String, String)> = Vec::new();
    let base = raw.as_ptr() as usize;
    let pos = |name: &[u8]| (name.as_ptr() as usize).saturating_sub(base);
    for h in &msg.dkim_headers {
        found.push((pos(h.name), h.header.d.clone(), h.header.s.clone()));
    }
    for h in &msg.ams_headers {
        found.push((pos(h.name), h.header.d.clone(), h.header.s.clone()));
    }
    for h in &msg.as_headers {
        found.push((pos(h.name), h.header.d.clone(), h.header.s.clone()));
    }
    found.sort_by_key(|(p, _, _)| *p);
    let mut out: Vec<(String, String)> = Vec::new();
    for (_, d, s) in found {
        let pair = (keyfile::normalize_domain(&d), s.trim().to_ascii_lowercase());
        if !pair.0.is_empty() && !pair.1.is_empty() && !out.contains(&pair) {
            out.push(pair);
        }
    }
    out
}

/// Verifies every DKIM-Signature and every ARC set of a raw message against keys from
/// `keys` only. No network access, ever. An empty vector means the message is unsigned.
///
/// Results are in header order. Safe to call from many threads at once; each call
/// parses the message once and builds only small per-signature structures (the
/// authenticator, which has no name servers, is built once per process).
pub fn verify(raw: &[u8], keys: &dyn KeySource) -> Vec<Signature> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| verify_inner(raw, keys))) {
        Ok(out) => out,
        Err(_) => vec![Signature {
            kind: Kind::Dkim,
            instance: None,
            status: Status::Invalid,
            reason: Some("the verifier failed on this message's signature headers".into()),
            domain: String::new(),
            selector: String::new(),
            algorithm: String::new(),
            canonicalization: String::new(),
            signed_headers: Vec::new(),
            body_length: None,
            partial_body: false,
            key_bits: None,
            signed_at: None,
            expires_at: None,
        }],
    }
}

// ---------------------------------------------------------------- internals

/// The authenticator: no name servers, so nothing can ever be sent.
fn authenticator() -> Option<&'static MessageAuthenticator> {
    static AUTH: OnceLock<Option<MessageAuthenticator>> = OnceLock::new();
    AUTH.get_or_init(|| {
        MessageAuthenticator::new(
            ResolverConfig::from_parts(None, vec![], vec![]),
            ResolverOpts::default(),
        )
        .ok()
    })
    .as_ref()
}

/// Drives a future to completion on the current thread. The futures of this module
/// never wait on I/O (every lookup is answered by [`ArchiveCache`]), but the waker is
/// real so any future completes correctly.
fn block_on<F: Future>(future: F) -> F::Output {
    struct ThreadWaker(std::thread::Thread);
    impl Wake for ThreadWaker {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Arc::new(ThreadWaker(std::thread::current())).into();
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::park();
    }
}

fn not_found() -> Txt {
    Txt::Error(mail_auth::Error::Dns(mail_auth::DnsError::RecordNotFound(
        ResponseCode::NXDomain,
    )))
}

/// mail-auth's resolver cache over archived records: answers every name, so the
/// (server-less) resolver is never consulted.
struct ArchiveCache {
    map: HashMap<Box<str>, Txt>,
}

impl ResolverCache<Box<str>, Txt> for ArchiveCache {
    fn get<Q>(&self, name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        Some(self.map.get(name).cloned().unwrap_or_else(not_found))
    }

    fn remove<Q>(&self, _name: &Q) -> Option<Txt>
    where
        Box<str>: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        None
    }

    fn insert(&self, _key: Box<str>, _value: Txt, _valid_until: std::time::Instant) {}
}

/// The same cache type for the other record kinds mail-auth's parameters name.
struct EmptyCache;

impl<K, V> ResolverCache<K, V> for EmptyCache {
    fn get<Q>(&self, _name: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        None
    }
    fn remove<Q>(&self, _name: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        None
    }
    fn insert(&self, _key: K, _value: V, _valid_until: std::time::Instant) {}
}

/// One archived key record, parsed once per message.
#[derive(Clone)]
struct ParsedKey {
    txt: Txt,
    bits: Option<u32>,
    rsa: bool,
}

fn parse_key(record: &str) -> ParsedKey {
    match DomainKey::parse(record.as_bytes()) {
        Ok(key) => {
            let bits = key.p.public_key_bits();
            // mail-auth reports usize::MAX for Ed25519 keys.
            let rsa = bits != usize::MAX;
            let bits = if rsa {
                u32::try_from(bits).unwrap_or(u32::MAX)
            } else {
                256
            };
            ParsedKey {
                txt: Txt::DomainKey(Arc::new(key)),
                bits: Some(bits),
                rsa,
            }
        }
        Err(err) => ParsedKey {
            txt: Txt::Error(err),
            bits: None,
            rsa: false,
        },
    }
}

/// A signature to verify, in the form mail-auth's DKIM verifier takes.
struct Job<'x> {
    kind: Kind,
    instance: Option<u32>,
    header: Header<'x, mail_auth::dkim::Signature>,
    /// For ARC-Seals: the header list the seal covers (replaces the message's).
    headers: Option<Vec<(&'x [u8], &'x [u8])>>,
    /// Description fields of the result.
    template: Signature,
    /// Reason a seal fails regardless of its cryptography (broken chain structure).
    chain_error: Option<String>,
}

/// Result of verifying one job with one key.
struct Outcome {
    status: Status,
    reason: Option<String>,
    key_bits: Option<u32>,
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn to_i64(v: u64) -> Option<i64> {
    (v != 0).then(|| i64::try_from(v).unwrap_or(i64::MAX))
}

fn algorithm_name(a: Algorithm) -> &'static str {
    match a {
        Algorithm::RsaSha1 => "rsa-sha1",
        Algorithm::RsaSha256 => "rsa-sha256",
        Algorithm::Ed25519Sha256 => "ed25519-sha256",
    }
}

fn canon_name(c: Canonicalization) -> &'static str {
    match c {
        Canonicalization::Relaxed => "relaxed",
        Canonicalization::Simple => "simple",
    }
}

/// Converts bare LF line ends to CRLF (mail is signed in its CRLF wire form).
fn to_crlf(raw: &[u8]) -> Cow<'_, [u8]> {
    let bare = raw
        .iter()
        .enumerate()
        .any(|(i, &b)| b == b'\n' && (i == 0 || raw[i - 1] != b'\r'));
    if !bare {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 32 + 2);
    let mut prev = 0u8;
    for &b in raw {
        if b == b'\n' && prev != b'\r' {
            out.push(b'\r');
        }
        out.push(b);
        prev = b;
    }
    Cow::Owned(out)
}

/// The canonicalised body, in full.
fn canonical_body(body: &[u8], c: Canonicalization) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 2);
    c.canonical_body(body, 0).write(&mut out);
    out
}

/// Recomputes the body hashes of `l=` signatures per RFC 6376 (the first `l` octets of
/// the canonicalised body) and returns the canonicalised body lengths.
fn fix_length_hashes(msg: &mut AuthenticatedMessage<'_>) -> HashMap<bool, u64> {
    let body = msg.raw_body();
    let mut canon: HashMap<bool, Vec<u8>> = HashMap::new();
    let mut lengths = HashMap::new();
    let mut fixed = Vec::with_capacity(msg.body_hashes.len());
    for (c, ha, l, bh) in &msg.body_hashes {
        if *l == 0 {
            fixed.push((*c, *ha, *l, bh.clone()));
            continue;
        }
        let relaxed = *c == Canonicalization::Relaxed;
        let full = canon
            .entry(relaxed)
            .or_insert_with(|| canonical_body(body, *c));
        lengths.insert(relaxed, full.len() as u64);
        let cut = usize::try_from(*l).unwrap_or(usize::MAX).min(full.len());
        let hash = ha.hash(&full[..cut]).as_ref().to_vec();
        fixed.push((*c, *ha, *l, hash));
    }
    msg.body_hashes = fixed;
    lengths
}

fn verify_inner(raw: &[u8], keys: &dyn KeySource) -> Vec<Signature> {
    let raw = to_crlf(raw);
    let Some(mut msg) = AuthenticatedMessage::parse_with_opts(&raw, None, false) else {
        return Vec::new();
    };
    let lengths = fix_length_hashes(&mut msg);
    let base = raw.as_ptr() as usize;
    let pos = |name: &[u8]| (name.as_ptr() as usize).saturating_sub(base);
    let mut out: Vec<(usize, Signature)> = Vec::new();

    // Headers mail-auth could not parse.
    for err in &msg.errors {
        let kind = if err.name.eq_ignore_ascii_case(b"DKIM-Signature") {
            Kind::Dkim
        } else if err.name.eq_ignore_ascii_case(b"ARC-Seal") {
            Kind::ArcSeal
        } else if err.name.eq_ignore_ascii_case(b"ARC-Message-Signature") {
            Kind::ArcMessageSignature
        } else {
            // ARC-Authentication-Results and DKIM2 headers are not signatures.
            continue;
        };
        out.push((
            pos(err.name),
            invalid_from_raw(kind, err.value, &err.header),
        ));
    }

    let mut jobs: Vec<(usize, Job<'_>)> = Vec::new();
    for h in &msg.dkim_headers {
        let s = &h.header;
        let template = describe_sig(
            Kind::Dkim,
            None,
            &s.d,
            &s.s,
            s.a,
            format!("{}/{}", canon_name(s.ch), canon_name(s.cb)),
            s.h.clone(),
            s.l,
            s.t,
            s.x,
            &lengths,
            s.cb,
        );
        jobs.push((
            pos(h.name),
            Job {
                kind: Kind::Dkim,
                instance: None,
                header: Header::new(h.name, h.value, s.clone()),
                headers: None,
                template,
                chain_error: None,
            },
        ));
    }
    arc_jobs(&msg, &lengths, &pos, &mut jobs);

    let mut counts: HashMap<Kind, usize> = HashMap::new();
    let mut parsed_keys: HashMap<String, ParsedKey> = HashMap::new();
    let now = now_secs();
    for (p, job) in jobs {
        let n = counts.entry(job.kind).or_insert(0);
        *n += 1;
        if *n > MAX_SIGNATURES {
            let mut sig = job.template.clone();
            sig.status = Status::Invalid;
            sig.reason = Some(format!(
                "more than {MAX_SIGNATURES} {} headers; this one was not verified",
                job.kind.header_name()
            ));
            out.push((p, sig));
            continue;
        }
        out.push((p, run_job(&msg, &job, keys, &mut parsed_keys, now)));
    }
    out.sort_by_key(|(p, _)| *p);
    out.into_iter().map(|(_, s)| s).collect()
}

#[allow(clippy::too_many_arguments)]
fn describe_sig(
    kind: Kind,
    instance: Option<u32>,
    d: &str,
    s: &str,
    a: Algorithm,
    canonicalization: String,
    signed_headers: Vec<String>,
    l: u64,
    t: u64,
    x: u64,
    lengths: &HashMap<bool, u64>,
    cb: Canonicalization,
) -> Signature {
    let partial_body = l != 0
        && lengths
            .get(&(cb == Canonicalization::Relaxed))
            .is_some_and(|len| *len > l);
    Signature {
        kind,
        instance,
        status: Status::Invalid,
        reason: None,
        domain: keyfile::normalize_domain(d),
        selector: s.trim().to_ascii_lowercase(),
        algorithm: algorithm_name(a).to_string(),
        canonicalization,
        signed_headers,
        body_length: (l != 0).then_some(l),
        partial_body,
        key_bits: None,
        signed_at: to_i64(t),
        expires_at: to_i64(x),
    }
}

/// A best-effort description of a header mail-auth could not parse.
fn invalid_from_raw(kind: Kind, value: &[u8], err: &mail_auth::Error) -> Signature {
    let text = String::from_utf8_lossy(value);
    let mut tags: HashMap<String, String> = HashMap::new();
    for part in text.split(';') {
        if let Some((k, v)) = part.split_once('=') {
            let k = k.trim().to_ascii_lowercase();
            let v: String = v.split_whitespace().collect::<Vec<_>>().join("");
            if k.len() <= 3 && !tags.contains_key(&k) {
                tags.insert(k, v);
            }
        }
    }
    let tag = |k: &str| tags.get(k).cloned().unwrap_or_default();
    let number = |k: &str| tags.get(k).and_then(|v| v.parse::<u64>().ok());
    let reason = match err {
        mail_auth::Error::Dkim(DkimError::UnsupportedVersion) => {
            "unsupported or missing v= version".to_string()
        }
        mail_auth::Error::Dkim(DkimError::UnsupportedAlgorithm) => {
            format!("unsupported algorithm a={:?}", tag("a"))
        }
        mail_auth::Error::Dkim(DkimError::UnsupportedCanonicalization) => {
            format!("unsupported canonicalization c={:?}", tag("c"))
        }
        mail_auth::Error::Base64 => "invalid base64 in b= or bh=".to_string(),
        mail_auth::Error::MissingParameters => {
            "a required tag (d=, s=, b=, bh= or h=) is missing".to_string()
        }
        mail_auth::Error::Arc(ArcError::InvalidInstance(i)) => {
            format!("invalid ARC instance i={i}")
        }
        mail_auth::Error::Arc(ArcError::InvalidCV) => "invalid cv= value".to_string(),
        mail_auth::Error::Arc(ArcError::HasHeaderTag) => {
            "an ARC-Seal must not have an h= tag".to_string()
        }
        other => format!("cannot parse the signature: {other}"),
    };
    Signature {
        kind,
        instance: if kind == Kind::Dkim {
            None
        } else {
            number("i").and_then(|i| u32::try_from(i).ok())
        },
        status: Status::Invalid,
        reason: Some(reason),
        domain: keyfile::normalize_domain(&tag("d")),
        selector: tag("s").to_ascii_lowercase(),
        algorithm: tag("a").to_ascii_lowercase(),
        canonicalization: tag("c").to_ascii_lowercase(),
        signed_headers: tag("h")
            .split(':')
            .filter(|h| !h.is_empty())
            .map(str::to_string)
            .collect(),
        body_length: number("l"),
        partial_body: false,
        key_bits: None,
        signed_at: number("t").and_then(to_i64),
        expires_at: number("x").and_then(to_i64),
    }
}

/// Builds one job per ARC-Message-Signature and per ARC-Seal.
fn arc_jobs<'x>(
    msg: &AuthenticatedMessage<'x>,
    lengths: &HashMap<bool, u64>,
    pos: &dyn Fn(&[u8]) -> usize,
    jobs: &mut Vec<(usize, Job<'x>)>,
) {
    if msg.ams_headers.is_empty() && msg.as_headers.is_empty() {
        return;
    }
    let chain_error = arc_chain_error(msg);

    for h in &msg.ams_headers {
        let s = &h.header;
        let template = describe_sig(
            Kind::ArcMessageSignature,
            Some(s.i),
            &s.d,
            &s.s,
            s.a,
            format!("{}/{}", canon_name(s.ch), canon_name(s.cb)),
            s.h.clone(),
            s.l,
            s.t,
            s.x,
            lengths,
            s.cb,
        );
        let sig = mail_auth::dkim::Signature {
            v: 1,
            a: s.a,
            d: s.d.clone(),
            s: s.s.clone(),
            b: s.b.clone(),
            bh: s.bh.clone(),
            h: s.h.clone(),
            l: s.l,
            x: s.x,
            t: s.t,
            ch: s.ch,
            cb: s.cb,
            ..Default::default()
        };
        jobs.push((
            pos(h.name),
            Job {
                kind: Kind::ArcMessageSignature,
                instance: Some(s.i),
                header: Header::new(h.name, h.value, sig),
                headers: None,
                template,
                chain_error: None,
            },
        ));
    }

    for h in &msg.as_headers {
        let seal = &h.header;
        let template = describe_sig(
            Kind::ArcSeal,
            Some(seal.i),
            &seal.d,
            &seal.s,
            seal.a,
            "relaxed".to_string(),
            Vec::new(),
            0,
            seal.t,
            0,
            lengths,
            Canonicalization::Relaxed,
        );
        // The seal of instance i covers AAR, AMS and AS of instances 1..i (its own
        // AS with b= emptied, which mail-auth's verifier appends itself). DKIM picks
        // repeated header names from the bottom up, so list the newest instance first.
        let mut covered: Vec<(&'x [u8], &'x [u8])> = Vec::new();
        let mut names: Vec<String> = Vec::new();
        let mut missing = None;
        for i in (1..=seal.i).rev() {
            let aar = msg.aar_headers.iter().find(|x| x.header.i == i);
            let ams = msg.ams_headers.iter().find(|x| x.header.i == i);
            let seal_i = msg.as_headers.iter().find(|x| x.header.i == i);
            match (aar, ams, seal_i) {
                (Some(aar), Some(ams), Some(s)) => {
                    covered.push((aar.name, aar.value));
                    covered.push((ams.name, ams.value));
                    if i != seal.i {
                        covered.push((s.name, s.value));
                    }
                }
                _ => {
                    missing = Some(i);
                    break;
                }
            }
        }
        for i in 1..=seal.i {
            names.push("ARC-Authentication-Results".into());
            names.push("ARC-Message-Signature".into());
            if i != seal.i {
                names.push("ARC-Seal".into());
            }
        }
        let chain_error = match (missing, &chain_error) {
            (Some(i), _) => Some(format!(
                "broken ARC chain: instance {i} lacks an ARC-Authentication-Results, ARC-Message-Signature or ARC-Seal"
            )),
            (None, Some(e)) => Some(e.clone()),
            (None, None) => None,
        };
        let sig = mail_auth::dkim::Signature {
            v: 1,
            a: seal.a,
            d: seal.d.clone(),
            s: seal.s.clone(),
            b: seal.b.clone(),
            h: names,
            t: seal.t,
            ch: Canonicalization::Relaxed,
            cb: Canonicalization::Relaxed,
            ..Default::default()
        };
        jobs.push((
            pos(h.name),
            Job {
                kind: Kind::ArcSeal,
                instance: Some(seal.i),
                header: Header::new(h.name, h.value, sig),
                headers: if missing.is_some() {
                    None
                } else {
                    Some(covered)
                },
                template,
                chain_error,
            },
        ));
    }
}

/// The chain-level verdict of mail-auth's `verify_arc`, when it is structural
/// (cryptographic results are taken per signature instead).
fn arc_chain_error(msg: &AuthenticatedMessage<'_>) -> Option<String> {
    // Cheap structural checks first, matching verify_arc's, so it is only asked when
    // the chain is plausible; its cache answers "not found" to every key lookup.
    let auth = authenticator()?;
    let cache = ArchiveCache {
        map: HashMap::new(),
    };
    let params = Parameters::new(msg)
        .with_txt_cache(&cache)
        .with_mx_cache(&EmptyCache)
        .with_ipv4_cache(&EmptyCache)
        .with_ipv6_cache(&EmptyCache)
        .with_ptr_cache(&EmptyCache);
    let output = block_on(auth.verify_arc(params));
    let err = match output.result() {
        DkimResult::Fail(e) | DkimResult::Neutral(e) | DkimResult::PermError(e) => e.clone(),
        _ => return None,
    };
    match err {
        mail_auth::Error::Arc(ArcError::InvalidInstance(i)) => Some(format!(
            "broken ARC chain: instance numbers are not 1..n (problem at i={i})"
        )),
        mail_auth::Error::Arc(ArcError::InvalidCV) => Some(
            "broken ARC chain: cv= must be none in instance 1 and pass in later instances"
                .to_string(),
        ),
        mail_auth::Error::Arc(ArcError::BrokenChain) => Some(
            "broken ARC chain: the numbers of ARC-Seal, ARC-Message-Signature and ARC-Authentication-Results headers differ"
                .to_string(),
        ),
        mail_auth::Error::Arc(ArcError::ChainTooLong) => {
            Some("broken ARC chain: more than 50 ARC sets".to_string())
        }
        mail_auth::Error::Arc(ArcError::HasHeaderTag) => {
            Some("broken ARC chain: an ARC-Seal has an h= tag".to_string())
        }
        _ if msg.has_arc_errors => {
            Some("broken ARC chain: an ARC header cannot be parsed".to_string())
        }
        _ => None,
    }
}

/// Verifies one job against every archived key for its selector.
fn run_job(
    msg: &AuthenticatedMessage<'_>,
    job: &Job<'_>,
    keys: &dyn KeySource,
    parsed_keys: &mut HashMap<String, ParsedKey>,
    now: u64,
) -> Signature {
    let mut sig = job.template.clone();
    let s = &job.header.header;
    if s.x != 0 && s.t != 0 && s.x <= s.t {
        sig.status = Status::Invalid;
        sig.reason = Some(format!(
            "x= ({}) is not after t= ({}): the signature is malformed",
            s.x, s.t
        ));
        return sig;
    }

    let records = keys.lookup(&sig.domain, &sig.selector);
    let mut candidates: Vec<ParsedKey> = records
        .iter()
        .take(MAX_KEYS_PER_SELECTOR)
        .map(|r| {
            parsed_keys
                .entry(r.clone())
                .or_insert_with(|| parse_key(r))
                .clone()
        })
        .collect();
    let tried = candidates.len();
    if candidates.is_empty() {
        candidates.push(ParsedKey {
            txt: not_found(),
            bits: None,
            rsa: false,
        });
    }

    let mut best: Option<Outcome> = None;
    for key in candidates {
        let outcome = verify_with_key(msg, job, key, now);
        let better = best
            .as_ref()
            .is_none_or(|b| outcome.status.rank() > b.status.rank());
        if better {
            let done = outcome.status == Status::Pass;
            best = Some(outcome);
            if done {
                break;
            }
        }
    }
    let Some(best) = best else {
        return sig;
    };
    sig.status = best.status;
    sig.reason = best.reason;
    sig.key_bits = best.key_bits;
    if tried > 1
        && sig.status != Status::Pass
        && let Some(r) = sig.reason.as_mut()
    {
        r.push_str(&format!(" (tried {tried} archived keys)"));
    }
    if job.kind == Kind::ArcMessageSignature
        && sig.status == Status::Fail
        && msg
            .ams_headers
            .iter()
            .any(|h| Some(h.header.i) > job.instance)
        && let Some(r) = sig.reason.as_mut()
    {
        r.push_str(
            " (an older ARC-Message-Signature is expected to break when a later hop changed the message)",
        );
    }
    if let Some(chain) = &job.chain_error
        && matches!(
            sig.status,
            Status::Pass | Status::Expired | Status::Weak | Status::Fail
        )
    {
        let crypto = match sig.status {
            Status::Fail => sig.reason.clone().unwrap_or_default(),
            other => format!("the seal's own signature is {other}"),
        };
        sig.status = Status::Fail;
        sig.reason = Some(format!("{chain}; {crypto}"));
    }
    if sig.partial_body && sig.status == Status::Pass {
        sig.reason = Some(
            "only the first l= octets of the body are signed: content after them is unsigned"
                .to_string(),
        );
    }
    sig
}

/// Verifies one job with one archived key (or with "not found").
fn verify_with_key(
    msg: &AuthenticatedMessage<'_>,
    job: &Job<'_>,
    key: ParsedKey,
    now: u64,
) -> Outcome {
    let Some(auth) = authenticator() else {
        return Outcome {
            status: Status::Invalid,
            reason: Some("the DKIM verifier could not be initialised".into()),
            key_bits: None,
        };
    };
    let orig = &job.header.header;
    // mail-auth rejects expired signatures before checking them: clear x= on the
    // parsed copy (the raw header is what gets hashed) and judge expiry below. r= and
    // atps= would make it look up further names; they play no part in authenticity.
    let mut sig = orig.clone();
    sig.x = 0;
    sig.r = false;
    sig.atps = None;
    sig.atpsh = None;

    let ha = HashAlgorithm::from(sig.a);
    let mut body_hashes = msg.body_hashes.clone();
    if job.kind == Kind::ArcSeal {
        // A seal signs no body; give mail-auth's body check a value that matches.
        let hash = ha
            .hash(Canonicalization::Relaxed.canonical_body(msg.raw_body(), 0))
            .as_ref()
            .to_vec();
        sig.bh = hash.clone();
        if !body_hashes
            .iter()
            .any(|(c, h, l, _)| *c == sig.cb && *h == ha && *l == sig.l)
        {
            body_hashes.push((sig.cb, ha, sig.l, hash));
        }
    } else if !body_hashes
        .iter()
        .any(|(c, h, l, _)| *c == sig.cb && *h == ha && *l == sig.l)
    {
        // Never let mail-auth's lookup of the body hash come up empty.
        let full = canonical_body(msg.raw_body(), sig.cb);
        let cut = if sig.l == 0 {
            full.len()
        } else {
            usize::try_from(sig.l).unwrap_or(usize::MAX).min(full.len())
        };
        body_hashes.push((sig.cb, ha, sig.l, ha.hash(&full[..cut]).as_ref().to_vec()));
    }

    let domain_key = sig.domain_key();
    let single = AuthenticatedMessage {
        headers: job.headers.clone().unwrap_or_else(|| msg.headers.clone()),
        from: msg.from.clone(),
        raw_message: msg.raw_message,
        body_offset: msg.body_offset,
        body_hashes,
        dkim_headers: vec![Header::new(job.header.name, job.header.value, sig)],
        ..Default::default()
    };
    let mut map = HashMap::new();
    map.insert(domain_key.clone().into_boxed_str(), key.txt.clone());
    let cache = ArchiveCache { map };
    let params = Parameters::new(&single)
        .with_txt_cache(&cache)
        .with_mx_cache(&EmptyCache)
        .with_ipv4_cache(&EmptyCache)
        .with_ipv6_cache(&EmptyCache)
        .with_ptr_cache(&EmptyCache);
    let outputs = block_on(auth.verify_dkim(params));
    let result = outputs
        .first()
        .map(|o| o.result().clone())
        .unwrap_or(DkimResult::None);

    let bits = key.bits;
    let weak = key.rsa && matches!(bits, Some(b) if b < WEAK_RSA_BITS);
    let expired = orig.x != 0 && orig.x <= now;
    let key_name = domain_key.trim_end_matches('.').to_string();
    let (status, reason) = match result {
        DkimResult::Pass => {
            if weak {
                let mut r = format!(
                    "the signature verifies, but with a {}-bit RSA key (under {WEAK_RSA_BITS} bits), which can be factored: it does not prove who signed",
                    bits.unwrap_or(0)
                );
                if expired {
                    r.push_str("; it has also expired (x= is in the past)");
                }
                (Status::Weak, Some(r))
            } else if expired {
                (
                    Status::Expired,
                    Some(format!(
                        "the signature is cryptographically valid, but its x= expiry ({}) has passed",
                        orig.x
                    )),
                )
            } else {
                (Status::Pass, None)
            }
        }
        DkimResult::Fail(e)
        | DkimResult::Neutral(e)
        | DkimResult::PermError(e)
        | DkimResult::TempError(e) => map_error(&e, &key_name, weak.then_some(bits).flatten()),
        DkimResult::None => (
            Status::Invalid,
            Some("the verifier returned no result".to_string()),
        ),
    };
    Outcome {
        status,
        reason,
        key_bits: bits,
    }
}

/// Maps a mail-auth error to a status; `weak_bits` is the size of a weak RSA key.
fn map_error(
    e: &mail_auth::Error,
    key_name: &str,
    weak_bits: Option<u32>,
) -> (Status, Option<String>) {
    use mail_auth::Error as E;
    let weak_note = match weak_bits {
        Some(b) => format!(" (the key is also weak: {b}-bit RSA)"),
        None => String::new(),
    };
    let (status, reason) = match e {
        E::Dkim(DkimError::FailedBodyHashMatch) | E::Arc(ArcError::FailedBodyHashMatch) => {
            (Status::Fail, REASON_BODY_HASH.to_string())
        }
        E::Crypto(CryptoError::FailedVerification) => {
            (Status::Fail, format!("{REASON_SIGNATURE}{weak_note}"))
        }
        E::Crypto(CryptoError::IncompatibleAlgorithms) => (
            Status::Fail,
            "the archived key's type does not match the signature's a= algorithm".to_string(),
        ),
        E::Crypto(CryptoError::Library(msg)) => (
            Status::Fail,
            format!("the signature cannot be checked with the archived key: {msg}"),
        ),
        E::Dkim(DkimError::FailedAuidMatch) => (
            Status::Fail,
            "the i= identity is not within the d= domain".to_string(),
        ),
        E::Dkim(DkimError::RevokedPublicKey) => (
            Status::Revoked,
            format!("the archived record for {key_name} has an empty p=: the key was revoked"),
        ),
        E::Dns(_) => (Status::NoKey, format!("no archived key for {key_name}")),
        E::Dkim(DkimError::UnsupportedKeyType) => (
            Status::NoKey,
            format!("the archived record for {key_name} has an unsupported key type (k=)"),
        ),
        E::Base64 => (
            Status::NoKey,
            format!("the archived record for {key_name} has invalid base64 in p="),
        ),
        other => (
            Status::NoKey,
            format!("the archived record for {key_name} is unusable: {other}"),
        ),
    };
    (status, Some(reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crlf_conversion() {
        assert_eq!(&*to_crlf(b"a\nb\r\nc\n"), b"a\r\nb\r\nc\r\n");
        assert!(matches!(to_crlf(b"a\r\nb\r\n"), Cow::Borrowed(_)));
        assert_eq!(&*to_crlf(b"\n"), b"\r\n");
    }

    #[test]
    fn unsigned_and_garbage_never_panic() {
        let keys = KeyMap::new();
        assert!(verify(b"", &keys).is_empty());
        assert!(verify(b"From: a@example.com\r\n\r\nhi\r\n", &keys).is_empty());
        let garbage: &[&[u8]] = &[
            b"DKIM-Signature: \r\n\r\n",
            b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=!!!; b=@@@\r\n\r\n",
            b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s; l=999999999999999999999; h=from; bh=AAAA; b=AAAA\r\nFrom: x\r\n\r\nbody",
            b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.com; s=s; l=18446744073709551615; h=from; bh=AAAA; b=AAAA\r\nFrom: x\r\n\r\nbody",
            b"ARC-Seal: i=0; cv=pass\r\nARC-Message-Signature: i=99999999999; d=x\r\n\r\n",
            b"ARC-Seal: i=1; a=rsa-sha256; cv=none; d=example.com; s=s; b=AAAA\r\nARC-Message-Signature: i=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=AAAA; b=AAAA\r\n\r\n",
            b"\xff\xfe\x00DKIM-Signature: v=1\n",
        ];
        for g in garbage {
            let _ = verify(g, &keys);
            let _ = required_keys(g);
        }
        let mut giant = b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=s; h=".to_vec();
        giant.extend(std::iter::repeat_n(b"from:".as_slice(), 200_000).flatten());
        giant.extend_from_slice(b"; bh=AAAA; b=AAAA\r\nFrom: x\r\n\r\nbody\r\n");
        let out = verify(&giant, &keys);
        assert_eq!(out.len(), 1);
    }

    #[test]
    fn keymap_is_case_insensitive() {
        let mut keys = KeyMap::new();
        keys.insert("Example.COM.", "Sel", "v=DKIM1; p=");
        keys.insert("example.com", "sel", "v=DKIM1; p=");
        assert_eq!(keys.lookup("example.com", "sel"), vec!["v=DKIM1; p="]);
        assert_eq!(keys.len(), 1);
    }
}

//! Parsing archived DKIM key files: DNS zone-file lines, `dig` output and JSON.

use super::KeyRecord;
use serde_json::Value;

/// Why a key file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyFileError {
    /// A zone-file or `dig` line that is not a DKIM TXT record.
    #[error("line {line}: {message}")]
    Line {
        /// 1-based line number in the key file.
        line: usize,
        /// What was expected and what was found.
        message: String,
    },
    /// The file looks like JSON but is not valid JSON.
    #[error("line {line}, column {column}: invalid JSON: {message}")]
    Json {
        /// 1-based line number reported by the JSON parser.
        line: usize,
        /// 1-based column reported by the JSON parser.
        column: usize,
        /// The JSON parser's message.
        message: String,
    },
    /// A JSON entry that lacks a field or has one of the wrong type.
    #[error("JSON entry {index} (starting at line {line}): {message}")]
    Entry {
        /// 0-based index of the entry in the top-level array (0 for a single object).
        index: usize,
        /// 1-based line where the entry starts (best effort).
        line: usize,
        /// What was expected.
        message: String,
    },
}

const EXPECTED_RECORD: &str = "expected a DNS TXT record such as \
`sel._domainkey.example.com. 3600 IN TXT \"v=DKIM1; k=rsa; p=...\"`";

/// Parses a key file; see [`super::parse_key_file`].
pub(super) fn parse(text: &str) -> Result<Vec<KeyRecord>, KeyFileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match text.trim_start().chars().next() {
        Some('{') | Some('[') => parse_json(text),
        _ => parse_zone(text),
    }
}

// ---------------------------------------------------------------- JSON

fn parse_json(text: &str) -> Result<Vec<KeyRecord>, KeyFileError> {
    let value: Value = serde_json::from_str(text).map_err(|e| KeyFileError::Json {
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let starts = entry_start_lines(text);
    let entries: Vec<&Value> = match &value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    let mut out = Vec::with_capacity(entries.len());
    for (index, entry) in entries.into_iter().enumerate() {
        let line = starts.get(index).copied().unwrap_or(1);
        let err = |message: String| KeyFileError::Entry {
            index,
            line,
            message,
        };
        let Value::Object(map) = entry else {
            return Err(err(
                "expected an object with domain, selector and record".into()
            ));
        };
        let text_field = |name: &str| -> Result<Option<String>, KeyFileError> {
            match map.get(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(err(format!("expected `{name}` to be a string"))),
            }
        };
        let record = match map.get("record").or_else(|| map.get("txt")) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Array(parts)) => {
                let mut joined = String::new();
                for part in parts {
                    match part {
                        Value::String(s) => joined.push_str(s),
                        _ => {
                            return Err(err(
                                "expected `record` to be a string or an array of strings".into(),
                            ));
                        }
                    }
                }
                joined
            }
            Some(_) => {
                return Err(err(
                    "expected `record` to be a string or an array of strings".into(),
                ));
            }
            None => {
                return Err(err(
                    "missing `record` (or `txt`): the TXT record text".into()
                ));
            }
        };
        let (domain, selector) = match (text_field("domain")?, text_field("selector")?) {
            (Some(domain), Some(selector)) => (domain, selector),
            (domain, _) => match text_field("name")? {
                Some(name) => split_owner(&name).ok_or_else(|| {
                    err(format!(
                        "expected `name` of the form selector._domainkey.domain, found {name:?}"
                    ))
                })?,
                None => {
                    let missing = if domain.is_none() {
                        "domain"
                    } else {
                        "selector"
                    };
                    return Err(err(format!(
                        "missing `{missing}` (give domain and selector, or name = selector._domainkey.domain)"
                    )));
                }
            },
        };
        let domain = normalize_domain(&domain);
        let selector = selector.trim().to_ascii_lowercase();
        if domain.is_empty() || selector.is_empty() {
            return Err(err("expected a non-empty domain and selector".into()));
        }
        out.push(KeyRecord {
            domain,
            selector,
            record,
            first_seen: text_field("first_seen")?,
            last_seen: text_field("last_seen")?,
        });
    }
    Ok(out)
}

/// Best-effort line numbers where each top-level array element (or the single object) starts.
fn entry_start_lines(text: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut depth = 0usize;
    let mut line = 1usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut top_is_array = false;
    for (pos, ch) in text.chars().enumerate() {
        if ch == '\n' {
            line += 1;
        }
        if in_string {
            if escaped {
                escaped = false;
            } else if ch == '\\' {
                escaped = true;
            } else if ch == '"' {
                in_string = false;
            }
            continue;
        }
        match ch {
            '"' => in_string = true,
            '[' | '{' => {
                if depth == 0 {
                    top_is_array = ch == '[';
                    if !top_is_array {
                        starts.push(line);
                    }
                } else if depth == 1 && top_is_array {
                    starts.push(line);
                }
                depth += 1;
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        let _ = pos;
    }
    starts
}

// ---------------------------------------------------------------- zone files and dig output

/// One token of a zone-file record.
#[derive(Debug)]
enum Token {
    Word(String),
    Quoted(Vec<u8>),
}

fn parse_zone(text: &str) -> Result<Vec<KeyRecord>, KeyFileError> {
    let mut out = Vec::new();
    let mut origin: Option<String> = None;
    let mut last_owner: Option<String> = None;
    // A logical record may span lines inside parentheses.
    let mut pending: Vec<Token> = Vec::new();
    let mut pending_start = 0usize;
    let mut pending_indented = false;
    let mut depth = 0usize;

    for (idx, line) in text.lines().enumerate() {
        let line_no = idx + 1;
        if depth == 0 {
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with(';') || trimmed.starts_with('#') {
                continue;
            }
            if let Some(rest) = trimmed.strip_prefix("$ORIGIN") {
                let name = rest.split(';').next().unwrap_or("").trim();
                if name.is_empty() {
                    return Err(KeyFileError::Line {
                        line: line_no,
                        message: "expected a domain name after $ORIGIN".into(),
                    });
                }
                origin = Some(name.to_string());
                continue;
            }
            if trimmed.starts_with('$') {
                // $TTL, $INCLUDE and other directives carry no key.
                continue;
            }
            pending_start = line_no;
            pending_indented = line.starts_with([' ', '\t']);
        }
        tokenize_line(line, line_no, &mut pending, &mut depth)?;
        if depth == 0 && !pending.is_empty() {
            let tokens = std::mem::take(&mut pending);
            if let Some(record) = record_from_tokens(
                tokens,
                pending_start,
                pending_indented,
                &mut last_owner,
                origin.as_deref(),
            )? {
                out.push(record);
            }
        }
    }
    if depth > 0 {
        return Err(KeyFileError::Line {
            line: pending_start,
            message: "expected a closing `)` for the record starting on this line".into(),
        });
    }
    Ok(out)
}

fn tokenize_line(
    line: &str,
    line_no: usize,
    tokens: &mut Vec<Token>,
    depth: &mut usize,
) -> Result<(), KeyFileError> {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b' ' | b'\t' | b'\r' => i += 1,
            b';' => break,
            b'(' => {
                *depth += 1;
                i += 1;
            }
            b')' => {
                if *depth == 0 {
                    return Err(KeyFileError::Line {
                        line: line_no,
                        message: "found `)` without a matching `(`".into(),
                    });
                }
                *depth -= 1;
                i += 1;
            }
            b'"' => {
                i += 1;
                let mut value = Vec::new();
                let mut closed = false;
                while i < bytes.len() {
                    match bytes[i] {
                        b'"' => {
                            closed = true;
                            i += 1;
                            break;
                        }
                        b'\\' => {
                            let digits = bytes
                                .get(i + 1..i + 4)
                                .filter(|d| d.len() == 3 && d.iter().all(|c| c.is_ascii_digit()));
                            if let Some(d) = digits {
                                let n = (u32::from(d[0] - b'0')) * 100
                                    + u32::from(d[1] - b'0') * 10
                                    + u32::from(d[2] - b'0');
                                value.push(u8::try_from(n).unwrap_or(b'?'));
                                i += 4;
                            } else if let Some(&c) = bytes.get(i + 1) {
                                value.push(c);
                                i += 2;
                            } else {
                                i += 1;
                            }
                        }
                        c => {
                            value.push(c);
                            i += 1;
                        }
                    }
                }
                if !closed {
                    return Err(KeyFileError::Line {
                        line: line_no,
                        message: "expected a closing `\"` on this line".into(),
                    });
                }
                tokens.push(Token::Quoted(value));
            }
            _ => {
                let start = i;
                while i < bytes.len() && !matches!(bytes[i], b' ' | b'\t' | b'\r' | b'(' | b')') {
                    if bytes[i] == b';' {
                        break;
                    }
                    i += 1;
                }
                tokens.push(Token::Word(line[start..i].to_string()));
            }
        }
    }
    Ok(())
}

fn is_class(word: &str) -> bool {
    matches!(
        word.to_ascii_uppercase().as_str(),
        "IN" | "CH" | "HS" | "CS"
    )
}

fn is_ttl(word: &str) -> bool {
    !word.is_empty()
        && word.chars().next().is_some_and(|c| c.is_ascii_digit())
        && word.chars().all(|c| {
            c.is_ascii_digit() || matches!(c.to_ascii_lowercase(), 's' | 'm' | 'h' | 'd' | 'w')
        })
}

fn describe(tokens: &[Token]) -> String {
    let mut s = String::new();
    for t in tokens.iter().take(4) {
        if !s.is_empty() {
            s.push(' ');
        }
        match t {
            Token::Word(w) => s.push_str(w),
            Token::Quoted(q) => {
                s.push('"');
                s.push_str(&String::from_utf8_lossy(q));
                s.push('"');
            }
        }
    }
    let mut truncated: String = s.chars().take(60).collect();
    if truncated.len() < s.len() {
        truncated.push('…');
    }
    truncated
}

fn record_from_tokens(
    tokens: Vec<Token>,
    line: usize,
    indented: bool,
    last_owner: &mut Option<String>,
    origin: Option<&str>,
) -> Result<Option<KeyRecord>, KeyFileError> {
    let bad = |message: String| KeyFileError::Line { line, message };
    let found = describe(&tokens);
    let mut iter = tokens.into_iter().peekable();

    // Owner name: absent on an indented line (it repeats the previous owner).
    let owner = if indented {
        last_owner
            .clone()
            .ok_or_else(|| bad(format!("{EXPECTED_RECORD}; an indented line needs a previous record's name, found {found:?}")))?
    } else {
        match iter.next() {
            Some(Token::Word(w)) => w,
            _ => return Err(bad(format!("{EXPECTED_RECORD}, found {found:?}"))),
        }
    };
    *last_owner = Some(owner.clone());

    // Optional TTL and class, in either order, then the type.
    let mut rtype = None;
    for _ in 0..3 {
        match iter.next() {
            Some(Token::Word(w)) if is_ttl(&w) || is_class(&w) => continue,
            Some(Token::Word(w)) => {
                rtype = Some(w);
                break;
            }
            _ => break,
        }
    }
    let Some(rtype) = rtype else {
        return Err(bad(format!("{EXPECTED_RECORD}, found {found:?}")));
    };
    if !rtype.eq_ignore_ascii_case("TXT") {
        // dig output and zone files hold other records too (CNAME, SOA, NS): they carry no key.
        const OTHER_TYPES: &[&str] = &[
            "A", "AAAA", "CNAME", "DNAME", "SOA", "NS", "MX", "PTR", "SRV", "CAA", "SPF", "HINFO",
            "TLSA", "SVCB", "HTTPS", "DS", "DNSKEY", "RRSIG", "NSEC", "NSEC3", "OPT",
        ];
        if OTHER_TYPES.iter().any(|t| t.eq_ignore_ascii_case(&rtype)) {
            return Ok(None);
        }
        return Err(bad(format!("{EXPECTED_RECORD}, found {found:?}")));
    }

    let mut record = Vec::new();
    let mut parts = 0;
    for token in iter {
        parts += 1;
        match token {
            Token::Quoted(q) => record.extend_from_slice(&q),
            Token::Word(w) => record.extend_from_slice(w.as_bytes()),
        }
    }
    if parts == 0 {
        return Err(bad(format!(
            "expected the TXT record's text (quoted strings) after TXT, found {found:?}"
        )));
    }

    let full_owner = if owner == "@" {
        origin.unwrap_or("").to_string()
    } else if owner.ends_with('.') {
        owner.clone()
    } else if let Some(origin) = origin {
        format!("{owner}.{}", origin.trim_start_matches('.'))
    } else {
        owner.clone()
    };
    let Some((domain, selector)) = split_owner(&full_owner) else {
        return Err(bad(format!(
            "expected a name of the form selector._domainkey.domain, found {owner:?}"
        )));
    };
    Ok(Some(KeyRecord {
        domain: normalize_domain(&domain),
        selector: selector.to_ascii_lowercase(),
        record: String::from_utf8_lossy(&record).into_owned(),
        first_seen: None,
        last_seen: None,
    }))
}

/// Splits `selector._domainkey.domain[.]` into (domain, selector).
fn split_owner(name: &str) -> Option<(String, String)> {
    let name = name.trim().trim_end_matches('.');
    let lower = name.to_ascii_lowercase();
    let at = lower.find("._domainkey.")?;
    let selector = &name[..at];
    let domain = &name[at + "._domainkey.".len()..];
    if selector.is_empty() || domain.is_empty() {
        return None;
    }
    Some((domain.to_string(), selector.to_string()))
}

pub(super) fn normalize_domain(domain: &str) -> String {
    domain.trim().trim_end_matches('.').to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_line_with_several_quoted_strings() {
        let text = "; archived 2021\n\
                    sel1._domainkey.Example.COM. 3600 IN TXT \"v=DKIM1; k=rsa; \" \"p=MIIB\" \"IjAN\"\n";
        let keys = parse(text).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].domain, "example.com");
        assert_eq!(keys[0].selector, "sel1");
        assert_eq!(keys[0].record, "v=DKIM1; k=rsa; p=MIIBIjAN");
        assert_eq!(keys[0].first_seen, None);
    }

    #[test]
    fn parenthesised_multi_line_zone_record_with_origin() {
        let text = "$TTL 3600\n$ORIGIN example.org.\n\
                    mail._domainkey IN TXT ( \"v=DKIM1; k=ed25519; \" ; key part one\n\
                    \t\"p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=\" )\n\
                    \t IN TXT \"v=DKIM1; p=\"\n";
        let keys = parse(text).unwrap();
        assert_eq!(keys.len(), 2, "{keys:?}");
        assert_eq!(keys[0].domain, "example.org");
        assert_eq!(keys[0].selector, "mail");
        assert_eq!(
            keys[0].record,
            "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
        );
        // The indented line repeats the owner name.
        assert_eq!(keys[1].selector, "mail");
        assert_eq!(keys[1].record, "v=DKIM1; p=");
    }

    #[test]
    fn dig_output() {
        let text = "\n; <<>> DiG 9.18.24 <<>> TXT s1._domainkey.example.net\n\
;; global options: +cmd\n;; Got answer:\n\
;; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 4242\n\n\
;; QUESTION SECTION:\n;s1._domainkey.example.net.\tIN\tTXT\n\n\
;; ANSWER SECTION:\n\
s1._domainkey.example.net. 300\tIN\tCNAME\ts1.keys.example.net.\n\
s1._domainkey.example.net. 300\tIN\tTXT\t\"v=DKIM1; k=rsa; p=MIGf\" \"MA0G\"\n\n\
;; Query time: 20 msec\n;; SERVER: 127.0.0.53#53(127.0.0.53) (UDP)\n";
        let keys = parse(text).unwrap();
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].domain, "example.net");
        assert_eq!(keys[0].selector, "s1");
        assert_eq!(keys[0].record, "v=DKIM1; k=rsa; p=MIGfMA0G");
    }

    #[test]
    fn json_with_dates_and_names() {
        let text = r#"[
  {"domain": "Example.com.", "selector": "s2020", "record": "v=DKIM1; p=AAAA",
   "first_seen": "2020-01-02", "last_seen": "2021-03-04T05:06:07Z"},
  {"name": "s2021._domainkey.example.com", "txt": ["v=DKIM1; ", "p=BBBB"]}
]"#;
        let keys = parse(text).unwrap();
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].domain, "example.com");
        assert_eq!(keys[0].first_seen.as_deref(), Some("2020-01-02"));
        assert_eq!(keys[0].last_seen.as_deref(), Some("2021-03-04T05:06:07Z"));
        assert_eq!(keys[1].selector, "s2021");
        assert_eq!(keys[1].domain, "example.com");
        assert_eq!(keys[1].record, "v=DKIM1; p=BBBB");

        let single = parse(r#"{"domain":"example.org","selector":"a","record":"p="}"#).unwrap();
        assert_eq!(single.len(), 1);
    }

    #[test]
    fn json_errors_name_the_entry_and_line() {
        let err = parse("[\n {\"domain\": \"example.com\", \"record\": \"p=\"}\n]").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("line 2") && msg.contains("selector"), "{msg}");
        let err = parse("{\"domain\": \n").unwrap_err();
        assert!(matches!(err, KeyFileError::Json { .. }), "{err}");
    }

    #[test]
    fn garbage_names_the_line() {
        let text =
            "sel._domainkey.example.com. IN TXT \"v=DKIM1; p=\"\n\nthis is not a key file at all\n";
        let err = parse(text).unwrap_err();
        assert!(matches!(err, KeyFileError::Line { line: 3, .. }), "{err:?}");
        let msg = err.to_string();
        assert!(
            msg.starts_with("line 3: expected a DNS TXT record"),
            "{msg}"
        );

        let err = parse("example.com. IN TXT \"v=spf1 -all\"\n").unwrap_err();
        assert!(
            err.to_string().contains("selector._domainkey.domain"),
            "{err}"
        );

        let err = parse("s._domainkey.example.com. IN TXT ( \"v=DKIM1;\"\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 1: expected a closing `)` for the record starting on this line"
        );

        let err = parse("s._domainkey.example.com. IN TXT \"unterminated\n").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("line 1: expected a closing `\"`"),
            "{err}"
        );
    }
}

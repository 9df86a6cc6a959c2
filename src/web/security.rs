//! Who may talk to the server, and the headers every answer carries.
//!
//! * Host check: bound to loopback, the server only answers requests whose
//!   `Host` is `127.0.0.1:PORT`, `localhost:PORT` or `[::1]:PORT`, so a web
//!   page elsewhere cannot reach it through DNS rebinding.
//! * Token (`--listen`): every request carries the token printed at start,
//!   as `?token=` (answered with a redirect that sets an HttpOnly,
//!   SameSite=Strict cookie) or as that cookie.
//! * Cross-site requests: a POST must come from a page of this server
//!   (`Sec-Fetch-Site` same-origin or none, `Origin` this host when present)
//!   and carry the per-process CSRF token its forms embed ([`check_csrf`]).
//! * Headers: a Content-Security-Policy that loads nothing from any other
//!   host and runs no inline script, `nosniff`, no referrer, no framing, no
//!   caching of leaked material.

use super::{State, WebError};
use axum::extract::{Request, State as StateOf};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

/// Name of the access-token cookie.
pub const TOKEN_COOKIE: &str = "mailcite_token";

/// The policy of every page.
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The policy of a message's sanitized HTML: nothing at all is loaded but
/// images written into the page itself, no script, no form, a unique origin.
pub const MESSAGE_HTML_CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; form-action 'none'; base-uri 'none'; sandbox";

/// 32 random hex digits from the operating system's generator.
pub fn random_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| anyhow::anyhow!("cannot get random bytes for the token: {e}"))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// Compares two secrets in time independent of where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The value of cookie `name`, if sent.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

/// The value of query parameter `name` (not percent-decoded: tokens are hex).
fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
        (k == name).then_some(v)
    })
}

/// The query string without `name`.
fn without_param(query: &str, name: &str) -> String {
    query
        .split('&')
        .filter(|kv| kv.split_once('=').map_or(*kv, |(k, _)| k) != name && !kv.is_empty())
        .collect::<Vec<_>>()
        .join("&")
}

fn deny(status: StatusCode, message: &str) -> Response {
    with_headers(WebError::new(status, message).into_response())
}

/// The middleware every request passes: host, token, cross-site checks,
/// then the security headers on the answer.
pub async fn guard(StateOf(state): StateOf<State>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !state.hosts.is_empty() && !state.hosts.contains(&host) {
        return deny(
            StatusCode::MISDIRECTED_REQUEST,
            "this server only answers at the address it printed (127.0.0.1)",
        );
    }
    if let Some(token) = &state.token {
        let from_cookie = cookie(headers, TOKEN_COOKIE).is_some_and(|t| same_secret(t, token));
        if !from_cookie {
            let query = req.uri().query();
            let from_query = query_param(query, "token").is_some_and(|t| same_secret(t, token));
            if !from_query {
                return deny(
                    StatusCode::UNAUTHORIZED,
                    "open the address mailcite serve printed, with its ?token=",
                );
            }
            if req.method() == Method::GET {
                // Keep the token in a cookie and drop it from the address bar
                // (and from the history).
                let rest = without_param(query.unwrap_or(""), "token");
                let to = if rest.is_empty() {
                    req.uri().path().to_string()
                } else {
                    format!("{}?{rest}", req.uri().path())
                };
                let mut r = Redirect::to(&to).into_response();
                if let Ok(v) = HeaderValue::from_str(&format!(
                    "{TOKEN_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict"
                )) {
                    r.headers_mut().insert(header::SET_COOKIE, v);
                }
                return with_headers(r);
            }
        }
    }
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
        if site.is_some_and(|s| s != "same-origin" && s != "none") {
            return deny(
                StatusCode::FORBIDDEN,
                "cross-site request refused: changes can only be made from this server's own pages",
            );
        }
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or("");
            // Under `Referrer-Policy: no-referrer` a browser sends
            // `Origin: null` with a form POST; it then also says where the
            // request came from in Sec-Fetch-Site.
            let ok = if origin == "null" {
                site == Some("same-origin")
            } else {
                origin
                    .strip_prefix("http://")
                    .is_some_and(|o| o.eq_ignore_ascii_case(&host))
            };
            if !ok {
                return deny(
                    StatusCode::FORBIDDEN,
                    "cross-site request refused: the Origin is not this server",
                );
            }
        }
    }
    with_headers(next.run(req).await)
}

/// Adds the security headers a handler did not set itself.
fn with_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    let mut set = |name: header::HeaderName, value: &'static str| {
        if !h.contains_key(&name) {
            h.insert(name, HeaderValue::from_static(value));
        }
    };
    set(header::CONTENT_SECURITY_POLICY, PAGE_CSP);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "no-referrer");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::CACHE_CONTROL, "no-store");
    set(
        header::HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(
        header::HeaderName::from_static("cross-origin-resource-policy"),
        "same-origin",
    );
    r
}

/// Checks the CSRF token a form sent back.
pub fn check_csrf(state: &State, sent: Option<&str>) -> Result<(), WebError> {
    match sent {
        Some(t) if same_secret(t, &state.csrf) => Ok(()),
        _ => Err(WebError::new(
            StatusCode::FORBIDDEN,
            "the form's security token is missing or stale: reload the page and try again",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hex() {
        let a = random_token().unwrap();
        let b = random_token().unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn secrets_compare_exactly() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
        assert!(!same_secret("", "a"));
    }

    #[test]
    fn cookies_and_query_parameters() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; mailcite_token=xyz; b=2"),
        );
        assert_eq!(cookie(&h, TOKEN_COOKIE), Some("xyz"));
        assert_eq!(cookie(&h, "c"), None);
        assert_eq!(query_param(Some("q=x&token=t1"), "token"), Some("t1"));
        assert_eq!(query_param(Some("q=x"), "token"), None);
        assert_eq!(
            without_param("q=x&token=t1&sort=date", "token"),
            "q=x&sort=date"
        );
        assert_eq!(without_param("token=t1", "token"), "");
    }
}

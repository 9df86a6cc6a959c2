//! `mailcite serve`: the real binary on the sample leak plus hostile
//! messages, spoken to over plain HTTP (status codes, escaping, security
//! headers, the token and cross-site checks, new messages after an import),
//! and the end-to-end browser test in headless Chromium (tests/web/e2e.mjs).

use crate::support::{mailcite, repo, sample_leak};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A message whose subject, sender name and text try to inject markup.
const HOSTILE: &str = "From: \"<img src=x onerror=alert(2)>\" <evil@hostile.example>\nTo: anna.berg@nordlicht-trade.example\nSubject: <script>alert(1)</script> xylophonic\nDate: Tue, 14 Jul 2009 12:00:00 +0000\nMessage-ID: <hostile-1@hostile.example>\n\nThe body says </pre><script>alert(3)</script> and xylophonic twice.\n";

/// An HTML message with a remote tracking image, a link, an inline image
/// and an attachment whose name tries to climb out of the download folder.
const HTML_MAIL: &str = "From: Tracker <news@tracker.example>\nTo: anna.berg@nordlicht-trade.example\nSubject: Quarterly newsletter zeppelinic\nDate: Wed, 15 Jul 2009 08:00:00 +0000\nMessage-ID: <html-1@tracker.example>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"mix\"\n\n--mix\nContent-Type: multipart/alternative; boundary=\"alt\"\n\n--alt\nContent-Type: text/plain; charset=utf-8\n\nThe zeppelinic newsletter in plain text.\n--alt\nContent-Type: text/html; charset=utf-8\n\n<html><body><h1>Newsletter</h1><p>The zeppelinic newsletter.</p><img src=\"http://127.0.0.1:9/pixel.gif?reader=1\" width=1 height=1><img src=\"https://tracker.example/open.gif\"><a href=\"https://tracker.example/click\">read more</a><script>alert(4)</script></body></html>\n--alt--\n--mix\nContent-Type: application/pdf; name=\"../../.bashrc\"\nContent-Disposition: attachment; filename=\"../../.bashrc\"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--mix--\n";

/// Writes an mbox of `messages` to `path`.
fn write_mbox(path: &Path, messages: &[&str]) {
    let mut s = String::new();
    for m in messages {
        s.push_str("From someone@example Tue Jul 14 12:00:00 2009\n");
        s.push_str(m);
        s.push('\n');
    }
    std::fs::write(path, s).unwrap();
}

/// An archive with the sample leak, the hostile messages and the sample
/// article.
fn web_archive() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("archive");
    let extra = tmp.path().join("hostile.mbox");
    write_mbox(&extra, &[HOSTILE, HTML_MAIL]);
    let out = mailcite(&archive)
        .arg("import")
        .arg(sample_leak())
        .arg(&extra)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = mailcite(&archive)
        .args(["article", "add"])
        .arg(repo().join("examples/sample-article.html"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (tmp, archive)
}

/// A running `mailcite serve`, stopped on drop.
struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT/` (with `?token=` under `--listen`).
    url: String,
    /// `127.0.0.1:PORT`.
    addr: String,
}

impl Server {
    fn start(archive: &Path, extra: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_mailcite"))
            .arg("--archive")
            .arg(archive)
            .args(["--color", "never", "serve"])
            .env_remove("MAILCITE_ARCHIVE")
            .args(["--port", "0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line.trim().to_string();
        assert!(url.starts_with("http://"), "serve printed {url:?}");
        let addr = url["http://".len()..]
            .split('/')
            .next()
            .unwrap()
            .to_string();
        Server { child, url, addr }
    }

    fn get(&self, path: &str) -> Response {
        request(&self.addr, "GET", path, &[], "")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP answer.
struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One HTTP/1.1 request over a fresh connection (`Host` is `addr` unless
/// given in `headers`).
fn request(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> Response {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: {addr}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if method == "POST" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .expect("a status line");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    if headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Response {
        status,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = b.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        let start = eol + 2;
        out.extend_from_slice(&b[start..(start + size).min(b.len())]);
        b = &b[(start + size + 2).min(b.len())..];
    }
}

/// The value of the first `name="csrf"` field on a page.
fn csrf(page: &str) -> String {
    let at = page
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token")
        + 19;
    page[at..].split('"').next().unwrap().to_string()
}

/// The full id of the first message a search for `q` finds.
fn first_hit(server: &Server, q: &str) -> String {
    let r = server.get(&format!("/search?q={q}"));
    assert_eq!(r.status, 200, "{}", r.body);
    let at = r.body.find("href=\"/m/").expect("a hit") + 9;
    r.body[at..].split('"').next().unwrap().to_string()
}

#[test]
fn pages_answer_with_strict_security_headers() {
    let (_tmp, archive) = web_archive();
    let server = Server::start(&archive, &[]);
    assert!(
        server.url.starts_with("http://127.0.0.1:"),
        "{}",
        server.url
    );
    let id = first_hit(&server, "countermeasures");
    for (path, status) in [
        ("/".to_string(), 303),
        ("/search".to_string(), 200),
        (
            "/search?q=countermeasures&sort=relevance&page=1".to_string(),
            200,
        ),
        ("/search?q=frm%3Aanna".to_string(), 400),
        (format!("/m/{id}"), 200),
        (format!("/m/{}", &id[..8]), 200),
        (format!("/t/{id}"), 200),
        ("/a".to_string(), 200),
        ("/a/1".to_string(), 200),
        ("/a/999".to_string(), 404),
        ("/m/0000000000000000".to_string(), 404),
        ("/m/harbour-2@nordlicht-trade.example".to_string(), 200),
        ("/nowhere".to_string(), 404),
    ] {
        let r = server.get(&path);
        assert_eq!(r.status, status, "{path}: {}", r.body);
        let csp = r.header("content-security-policy").unwrap_or("");
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("http") && !csp.contains('*'), "{path}: {csp}");
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
        for remote in [
            "src=\"http",
            "href=\"http",
            "src=\"//",
            "href=\"//",
            "action=\"http",
        ] {
            assert!(
                !r.body.contains(remote),
                "{path} refers to another host: {remote}"
            );
        }
    }
    let bad = server.get("/search?q=frm%3Aanna");
    assert!(bad.body.contains("did you mean"), "{}", bad.body);
    let js = server.get("/static/app.js");
    assert_eq!(js.status, 200);
    assert!(
        js.header("content-type")
            .unwrap()
            .starts_with("text/javascript")
    );
    // Every script and stylesheet comes from this server.
    let page = server.get(&format!("/m/{id}"));
    assert!(
        page.body
            .contains("<script src=\"/static/app.js\" defer></script>")
    );
    assert!(!page.body.contains("<script>"));
    // The search page: hits, highlight, facets, paging-ready permalinks.
    let s = server.get("/search?q=countermeasures");
    assert!(s.body.contains("2 messages match"), "{}", s.body);
    assert!(s.body.contains("<mark>countermeasures</mark>"));
    assert!(s.body.contains("<svg class=\"histogram\""));
    assert!(
        s.body
            .contains("href=\"/search?q=countermeasures%20date%3A2009-07\"")
    );
    assert!(s.body.contains("id=\"recipients\""));
    // The thread page marks the current message.
    let t = server.get(&format!("/t/{id}"));
    assert!(t.body.contains("aria-current=\"page\""), "{}", t.body);
    // Exports download.
    for f in ["markdown", "json", "csv", "html"] {
        let r = server.get(&format!("/a/1/export/{f}"));
        assert_eq!(r.status, 200, "{f}");
        assert!(
            r.header("content-disposition")
                .unwrap()
                .starts_with("attachment;")
        );
    }
    let json: serde_json::Value =
        serde_json::from_str(&server.get("/a/1/export/json").body).unwrap();
    assert_eq!(json["article"]["id"], 1);
    assert!(!json["citations"].as_array().unwrap().is_empty());
}

#[test]
fn hostile_text_is_shown_as_text() {
    let (_tmp, archive) = web_archive();
    let server = Server::start(&archive, &[]);
    let s = server.get("/search?q=xylophonic");
    assert_eq!(s.status, 200);
    assert!(
        s.body
            .contains("&lt;script&gt;alert(1)&lt;/script&gt; xylophonic"),
        "{}",
        s.body
    );
    let id = first_hit(&server, "xylophonic");
    for path in [
        format!("/m/{id}"),
        format!("/t/{id}"),
        "/search?q=xylophonic".to_string(),
    ] {
        let r = server.get(&path);
        assert_eq!(r.status, 200);
        for bad in ["<script>alert", "<img src=x", "</pre><script>"] {
            assert!(!r.body.contains(bad), "{path} contains {bad}");
        }
    }
    let m = server.get(&format!("/m/{id}"));
    assert!(
        m.body
            .contains("&lt;/pre&gt;&lt;script&gt;alert(3)&lt;/script&gt;")
    );
    assert!(m.body.contains("&lt;img src=x onerror=alert(2)&gt;"));
    // A query with markup is echoed escaped.
    let q = server.get("/search?q=%22%3Cscript%3E%22");
    assert!(!q.body.contains("<script>\""), "{}", q.body);
    assert!(q.body.contains("value=\"&quot;&lt;script&gt;&quot;\""));
}

#[test]
fn message_html_is_sanitized_sandboxed_and_loads_nothing() {
    let (_tmp, archive) = web_archive();
    let server = Server::start(&archive, &[]);
    let id = first_hit(&server, "zeppelinic");
    let page = server.get(&format!("/m/{id}"));
    assert!(
        page.body.contains(&format!(
            "<iframe class=\"html-body\" sandbox src=\"/m/{id}/html\""
        )),
        "{}",
        page.body
    );
    assert!(
        !page.body.contains("tracker.example/"),
        "remote URLs on the page"
    );
    let h = server.get(&format!("/m/{id}/html"));
    assert_eq!(h.status, 200);
    let csp = h.header("content-security-policy").unwrap();
    assert!(
        csp.starts_with("default-src 'none'; style-src 'unsafe-inline'; img-src data:"),
        "{csp}"
    );
    assert!(csp.contains("sandbox"));
    assert_eq!(h.header("x-frame-options"), Some("SAMEORIGIN"));
    assert!(h.body.contains("The zeppelinic newsletter."));
    assert!(h.body.contains("read more"));
    for bad in [
        "tracker.example",
        "127.0.0.1:9",
        "pixel.gif",
        "<script",
        "alert(4)",
        "href=",
    ] {
        assert!(!h.body.contains(bad), "{bad} in {}", h.body);
    }
    // The attachment downloads under a safe name, never rendered.
    let a = server.get(&format!("/m/{id}/attachment/1"));
    assert_eq!(a.status, 200);
    assert_eq!(a.header("content-type"), Some("application/octet-stream"));
    assert_eq!(
        a.header("content-disposition"),
        Some("attachment; filename=\"bashrc\"; filename*=UTF-8''bashrc")
    );
    assert_eq!(a.body, "%PDF-1.4\n");
    assert_eq!(server.get(&format!("/m/{id}/attachment/2")).status, 404);
    assert_eq!(server.get(&format!("/m/{id}/attachment/0")).status, 404);
    // The exact stored bytes.
    let raw = server.get(&format!("/m/{id}/raw"));
    assert_eq!(raw.header("content-type"), Some("application/octet-stream"));
    assert!(raw.body.starts_with("From: Tracker"));
    // A plain message has no HTML version.
    let plain = first_hit(&server, "countermeasures");
    assert_eq!(server.get(&format!("/m/{plain}/html")).status, 404);
}

#[test]
fn state_changes_need_the_form_token_and_this_origin() {
    let (_tmp, archive) = web_archive();
    let server = Server::start(&archive, &[]);
    let id = first_hit(&server, "zeppelinic");
    let page = server.get(&format!("/m/{id}"));
    let token = csrf(&page.body);
    let form = "application/x-www-form-urlencoded";
    let body =
        |t: &str, passage: &str| format!("csrf={t}&message={id}&article=1&passage={passage}");
    let post =
        |headers: &[(&str, &str)], b: &str| request(&server.addr, "POST", "/cite", headers, b);
    // No token, a wrong token, another site, another origin: refused.
    let r = post(
        &[("Content-Type", form)],
        &format!("message={id}&article=1&passage=x"),
    );
    assert_eq!(r.status, 403, "{}", r.body);
    assert_eq!(
        post(&[("Content-Type", form)], &body("0123", "x")).status,
        403
    );
    let r = post(
        &[("Content-Type", form), ("Sec-Fetch-Site", "cross-site")],
        &body(&token, "newsletter+in+plain+text"),
    );
    assert_eq!(r.status, 403);
    let r = post(
        &[("Content-Type", form), ("Origin", "http://evil.example")],
        &body(&token, "newsletter+in+plain+text"),
    );
    assert_eq!(r.status, 403);
    let r = post(
        &[("Content-Type", form), ("Origin", "null")],
        &body(&token, "newsletter+in+plain+text"),
    );
    assert_eq!(r.status, 403, "Origin null without Sec-Fetch-Site");
    assert_eq!(
        request(
            &server.addr,
            "POST",
            "/a",
            &[("Content-Type", form)],
            "text=hello"
        )
        .status,
        403
    );
    // A passage that is not in the message.
    let r = post(
        &[("Content-Type", form)],
        &body(&token, "not+in+this+message+at+all"),
    );
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("the passage is not in message"));
    // The real thing, as the browser sends it.
    let origin = format!("http://{}", server.addr);
    let r = post(
        &[
            ("Content-Type", form),
            ("Origin", &origin),
            ("Sec-Fetch-Site", "same-origin"),
        ],
        &body(&token, "zeppelinic+newsletter+in+plain+text"),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(r.header("location").unwrap().starts_with("/a/1#c"));
    let a = server.get("/a/1");
    assert!(
        a.body.contains("zeppelinic newsletter in plain text"),
        "{}",
        a.body
    );
    // Adding an article by pasting it.
    let r = request(
        &server.addr,
        "POST",
        "/a",
        &[("Content-Type", form)],
        &format!(
            "csrf={token}&title=Pasted+%3Cb%3E&text=They+wrote+%22prepare+active+countermeasures+against+the+press%22."
        ),
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let list = server.get("/a");
    assert!(list.body.contains("Pasted &lt;b&gt;"), "{}", list.body);
    let new = server.get(r.header("location").unwrap());
    assert!(new.body.contains("1 citation<"), "{}", new.body);
}

#[test]
fn writes_while_an_import_holds_the_lock_get_409() {
    let (_tmp, archive) = web_archive();
    let server = Server::start(&archive, &[]);
    let token = csrf(&server.get("/a").body);
    let lock = std::fs::OpenOptions::new()
        .write(true)
        .open(archive.join("lock"))
        .unwrap();
    // What an import holds while it runs.
    assert!(fs4::fs_std::FileExt::try_lock_exclusive(&lock).unwrap());
    let r = request(
        &server.addr,
        "POST",
        "/a",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &format!("csrf={token}&text=hello+world"),
    );
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("An import is running"));
    // Reading still works.
    assert_eq!(server.get("/search?q=countermeasures").status, 200);
    drop(lock);
}

#[test]
fn listen_requires_the_printed_token() {
    let (_tmp, archive) = web_archive();
    let server = Server::start(&archive, &["--listen", "127.0.0.1"]);
    let token = server
        .url
        .split("?token=")
        .nth(1)
        .expect("a token in the address")
        .to_string();
    assert_eq!(token.len(), 32);
    assert_eq!(server.get("/search").status, 401);
    assert_eq!(server.get("/static/app.css").status, 401);
    assert_eq!(
        server
            .get("/search?token=00000000000000000000000000000000")
            .status,
        401
    );
    let r = server.get(&format!("/search?q=countermeasures&token={token}"));
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), Some("/search?q=countermeasures"));
    let cookie = r.header("set-cookie").unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().unwrap();
    let ok = request(
        &server.addr,
        "GET",
        "/search?q=countermeasures",
        &[("Cookie", pair)],
        "",
    );
    assert_eq!(ok.status, 200);
    let bad = request(
        &server.addr,
        "GET",
        "/search",
        &[("Cookie", "mailcite_token=0123456789abcdef0123456789abcdef")],
        "",
    );
    assert_eq!(bad.status, 401);
}

#[test]
fn loopback_server_checks_the_host_header() {
    let (_tmp, archive) = web_archive();
    let server = Server::start(&archive, &[]);
    let r = request(
        &server.addr,
        "GET",
        "/search",
        &[("Host", "evil.example")],
        "",
    );
    assert_eq!(r.status, 421);
    let port = server.addr.rsplit(':').next().unwrap();
    let host = format!("localhost:{port}");
    let r = request(&server.addr, "GET", "/search", &[("Host", &host)], "");
    assert_eq!(r.status, 200);
}

#[test]
fn new_messages_appear_after_an_import_commits() {
    let (tmp, archive) = web_archive();
    let server = Server::start(&archive, &[]);
    let r = server.get("/search?q=quixotically");
    assert!(r.body.contains("0 messages match"), "{}", r.body);
    let more = tmp.path().join("more.mbox");
    write_mbox(
        &more,
        &[
            "From: late@example.org\nSubject: Late arrival\nDate: Thu, 16 Jul 2009 09:00:00 +0000\nMessage-ID: <late@example.org>\n\nA quixotically late message.\n",
        ],
    );
    let out = mailcite(&archive)
        .arg("import")
        .arg(&more)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = server.get("/search?q=quixotically");
    assert!(r.body.contains("1 message match"), "{}", r.body);
    let id = first_hit(&server, "quixotically");
    assert_eq!(server.get(&format!("/m/{id}")).status, 200);
}

/// The browser test: search, open a hit, select a passage, cite it into an
/// article, see it on the article page, export; an HTML message with remote
/// images makes no request to any other host; a screenshot of each page is
/// not blank. Needs node, tests/web/node_modules (playwright-core) and
/// /usr/bin/chromium, which `.ci/run` installs: missing ones fail the test
/// with CI=true and skip it otherwise.
#[test]
fn browser_end_to_end() {
    let web = repo().join("tests/web");
    let chromium =
        std::env::var("MAILCITE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let node_ok = Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let missing: Vec<&str> = [
        (!node_ok).then_some("node"),
        (!web.join("node_modules/playwright-core").is_dir())
            .then_some("tests/web/node_modules/playwright-core (cd tests/web && npm ci)"),
        (!Path::new(&chromium).exists()).then_some("chromium (apt-get install chromium)"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !missing.is_empty() {
        if std::env::var("CI").is_ok_and(|v| v == "true") {
            panic!("the browser test needs {} and CI=true", missing.join(", "));
        }
        eprintln!("skipping the browser test: missing {}", missing.join(", "));
        return;
    }
    let (tmp, archive) = web_archive();
    let server = Server::start(&archive, &[]);
    let html_id = first_hit(&server, "zeppelinic");
    let shots = tmp.path().join("screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let out = Command::new("node")
        .arg(web.join("e2e.mjs"))
        .arg(&server.url)
        .arg(&html_id)
        .arg(&shots)
        .env("MAILCITE_CHROMIUM", &chromium)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stdout}{stderr}");
    assert!(out.status.success(), "e2e.mjs failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains("e2e: all checks passed"), "{stdout}");
    // The citation made in the browser is in the archive.
    let a = crate::support::json(&archive, &["article", "show", "1"]);
    let passages: Vec<&str> = a["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["passage"].as_str().unwrap())
        .collect();
    assert!(
        passages
            .iter()
            .any(|p| p.contains("From the start we knew this would be difficult")),
        "{passages:?}"
    );
}

#[test]
fn messages_inside_are_listed_and_searchable() {
    let tmp = tempfile::tempdir().unwrap();
    let archive = tmp.path().join("archive");
    let dir = repo().join("tests/fixtures/embedded");
    let out = mailcite(&archive)
        .arg("import")
        .arg(dir.join("forward-chain.eml"))
        .arg(dir.join("second-forward.eml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = Server::start(&archive, &[]);
    let hits = server.get("/search?q=is%3Aembedded+from%3Aanna.berg%40nordlicht-trade.example");
    assert_eq!(hits.status, 200);
    assert!(
        hits.body
            .contains("reconstructed from the text inside 2 messages"),
        "{}",
        hits.body
    );
    let search = server.get("/search?q=subject%3A%22Fwd%3A+RE%3A+harbour+fees%22");
    let start = search
        .body
        .find("href=\"/m/")
        .expect("a hit links to its message")
        + 6;
    let end = start + search.body[start..].find('"').unwrap();
    let page = server.get(&search.body[start..end]);
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Messages inside (2)"), "{}", page.body);
    assert!(
        page.body
            .contains("Anna Berg &lt;anna.berg@nordlicht-trade.example&gt;")
    );
    assert!(page.body.contains("class=\"depth1\""));
}

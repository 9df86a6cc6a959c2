//! `GET /m/ID`: one message with its headers, text, sanitized HTML,
//! attachments, provenance, thread and citations, and a form to cite a
//! passage; `/m/ID/html` (the sanitized HTML, for the sandboxed frame),
//! `/m/ID/raw` and `/m/ID/attachment/N` (downloads).

use super::super::html::{self, addresses, escape, message_url};
use super::super::sanitize::{content_disposition, message_html, safe_file_name};
use super::super::security::MESSAGE_HTML_CSP;
use super::super::{State, WebError, blocking};
use super::{csrf_field, short, snapshot};
use crate::authenticity::{authenticity, describe};
use crate::commands::show::occurrence_line;
use crate::commands::thread::nodes;
use crate::output::human_bytes;
use axum::extract::{Path, State as StateOf};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use mailcite_archive::message::parse_message;
use mailcite_archive::parts::parts;

/// `GET /m/ID`.
pub async fn show(StateOf(state): StateOf<State>, Path(id): Path<String>) -> Response {
    blocking(move || render(&state, &id)).await
}

fn row(name: &str, value_html: &str) -> String {
    if value_html.is_empty() {
        String::new()
    } else {
        format!(
            "<tr><th scope=\"row\">{}</th><td>{value_html}</td></tr>\n",
            escape(name)
        )
    }
}

fn render(state: &State, id: &str) -> Result<Response, WebError> {
    let archive = state.read()?;
    snapshot(&archive)?;
    let m = archive.lookup(id)?;
    let hex = m.id.to_hex();
    let raw = archive.raw(&m)?;
    let parsed = parse_message(&raw);
    let p = parts(&raw);
    let occurrences = archive.catalog.occurrences(m.key)?;
    let conflicts = archive.catalog.conflicts_of(m.key)?;
    let cited_in = archive.catalog.citations_of_message(m.key)?;
    let auth = authenticity(archive.catalog.auth_results(m.key)?.as_deref());
    let thread = nodes(&archive, &m)?;
    let articles = archive.catalog.articles()?;
    let subject = m
        .subject
        .clone()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "(no subject)".into());

    let mut b = format!(
        "<article class=\"message\">\n<h1 id=\"subject\">{}</h1>\n",
        escape(&subject)
    );
    b.push_str("<table class=\"headers\">\n");
    b.push_str(&row("From", &addresses(&m.from)));
    b.push_str(&row("To", &addresses(&m.to)));
    b.push_str(&row("Cc", &addresses(&m.cc)));
    b.push_str(&row("Bcc", &addresses(&m.bcc)));
    b.push_str(&row("Reply-To", &addresses(&m.reply_to)));
    let date = crate::output::message_date(m.date_utc, m.date_offset);
    b.push_str(&row(
        "Date",
        &match m.date_raw.as_deref().filter(|r| !r.is_empty()) {
            Some(r) => format!(
                "{} <span class=\"note\">(header: {})</span>",
                escape(&date),
                escape(r)
            ),
            None => escape(&date),
        },
    ));
    if let Some(mid) = &m.message_id {
        b.push_str(&row("Message-ID", &escape(&format!("<{mid}>"))));
    }
    b.push_str(&row(
        "DKIM",
        &format!(
            "<span class=\"dkim dkim-{}\">{}</span> {}",
            escape(&auth.dkim),
            escape(&auth.dkim),
            escape(&auth.summary)
        ),
    ));
    if thread.len() > 1 {
        b.push_str(&row(
            "Thread",
            &format!(
                "<a href=\"/t/{}\">{} messages</a>",
                html::url_component(&hex),
                thread.len()
            ),
        ));
    }
    for w in &m.warnings {
        b.push_str(&row("Warning", &escape(w)));
    }
    if !m.charset_fallbacks.is_empty() {
        b.push_str(&row(
            "Charsets",
            &escape(&format!("guessed: {}", m.charset_fallbacks.join(", "))),
        ));
    }
    b.push_str("</table>\n");

    // The text, selectable for citing.
    b.push_str(&format!(
        "<h2>Text</h2>\n<pre class=\"text\" id=\"message-text\" data-message=\"{}\">{}</pre>\n",
        escape(&hex),
        escape(parsed.text.trim_end())
    ));
    if p.html.is_some() {
        b.push_str(&format!(
            "<h2>HTML version</h2>\n<p class=\"note\">Sanitized: scripts, forms and links removed; nothing remote is loaded (images the message does not carry are dropped).</p>\n<iframe class=\"html-body\" sandbox src=\"/m/{}/html\" title=\"HTML version of the message, sanitized\" referrerpolicy=\"no-referrer\"></iframe>\n",
            html::url_component(&hex)
        ));
    }
    if !m.attachments.is_empty() {
        b.push_str("<h2>Attachments</h2>\n<ul class=\"attachments\">\n");
        for (i, a) in m.attachments.iter().enumerate() {
            b.push_str(&format!(
                "<li><a href=\"/m/{}/attachment/{}\" download>{}</a> <span class=\"note\">{} · {}</span></li>\n",
                html::url_component(&hex),
                i + 1,
                escape(&safe_file_name(a.name.as_deref(), i + 1)),
                escape(&a.content_type),
                escape(&human_bytes(a.size))
            ));
        }
        b.push_str("</ul>\n");
    }

    // Messages found inside this one.
    let inside = archive.catalog.embedded_in(m.key)?;
    if !inside.is_empty() {
        b.push_str(&format!(
            "<h2>Messages inside ({})</h2>\n<p class=\"note\">Attached messages keep their bytes; pasted ones are reconstructed from the text above (header lines as pasted, the date maybe without its zone).</p>\n<ol class=\"embedded\">\n",
            inside.len()
        ));
        for e in &inside {
            let depth = e.nesting(&inside);
            b.push_str(&format!(
                "<li class=\"depth{}\"><strong>{}</strong>{} · {} · {} · <code>e-{}</code><pre class=\"text\">{}</pre></li>\n",
                depth.min(4),
                escape(e.subject.as_deref().unwrap_or("(no subject)")),
                if e.reconstructed {
                    format!(" <span class=\"note\">{} (reconstructed)</span>", escape(&e.kind))
                } else {
                    format!(" <span class=\"note\">{}</span>", escape(&e.kind))
                },
                escape(&crate::output::addresses(&e.from)),
                escape(&crate::commands::search::embedded_date_or_none(
                    e.date_utc,
                    e.date_offset
                )),
                escape(&e.identity[..12.min(e.identity.len())]),
                escape(e.text.trim_end())
            ));
        }
        b.push_str("</ol>\n");
    }

    // Citations.
    b.push_str("<h2>Cited in</h2>\n");
    if cited_in.is_empty() {
        b.push_str("<p class=\"meta\" id=\"cited-in\">No article cites this message yet.</p>\n");
    } else {
        b.push_str("<ul class=\"citations\" id=\"cited-in\">\n");
        for c in &cited_in {
            b.push_str(&format!(
                "<li><a href=\"/a/{}#c{}\">{}</a>: <q>{}</q> <span class=\"note\">{} · characters {}–{}</span></li>\n",
                c.article,
                c.id,
                escape(c.article_title.as_deref().unwrap_or("(untitled)")),
                escape(&c.citation.passage),
                escape(&c.citation.method),
                c.citation.start_char,
                c.citation.end_char
            ));
        }
        b.push_str("</ul>\n");
    }
    // Cite form: works without JavaScript (paste the passage); app.js fills
    // it from a selection in the text.
    b.push_str("<section class=\"cite-form\" id=\"cite\">\n<h2>Cite a passage</h2>\n");
    if articles.is_empty() {
        b.push_str("<p class=\"meta\">Add the article first: <a href=\"/a\">Articles</a>.</p>\n");
    } else {
        b.push_str(&format!(
            "<form method=\"post\" action=\"/cite\">\n{}\n<input type=\"hidden\" name=\"message\" value=\"{}\">\n<label>Passage (select it in the text above, or paste it)<textarea name=\"passage\" id=\"passage\" rows=\"3\" required></textarea></label>\n<label>Article <select name=\"article\" id=\"article\">",
            csrf_field(state),
            escape(&hex)
        ));
        for a in articles.iter().rev() {
            b.push_str(&format!(
                "<option value=\"{}\">{} — {}</option>",
                a.id,
                a.id,
                escape(a.title.as_deref().unwrap_or("(untitled)"))
            ));
        }
        b.push_str("</select></label>\n<button type=\"submit\" id=\"cite-button\">Record the citation</button>\n</form>\n");
    }
    b.push_str("</section>\n");

    // Thread.
    if thread.len() > 1 {
        b.push_str(&format!(
            "<h2>Thread</h2>\n{}",
            super::thread::tree(&thread)
        ));
    }

    // Provenance.
    b.push_str("<section class=\"provenance\" id=\"provenance\">\n<h2>Provenance</h2>\n<table class=\"headers\">\n");
    b.push_str(&row("SHA-256", &format!("<code>{}</code>", escape(&hex))));
    b.push_str(&row("Size", &escape(&human_bytes(m.size))));
    for o in &occurrences {
        b.push_str(&row("Found in", &escape(&occurrence_line(o))));
    }
    for c in &conflicts {
        let c = c.to_hex();
        b.push_str(&row(
            "Conflict",
            &format!(
                "<a href=\"{}\">{}</a> has the same Message-ID but different bytes",
                escape(&message_url(&c)),
                escape(short(&c))
            ),
        ));
    }
    for sig in &auth.signatures {
        b.push_str(&row("Signature", &escape(&describe(sig))));
    }
    b.push_str(&row(
        "Raw",
        &format!(
            "<a href=\"/m/{}/raw\" download>download the exact stored bytes (.eml)</a>",
            html::url_component(&hex)
        ),
    ));
    b.push_str("</table>\n</section>\n</article>\n");
    Ok(html::page(&subject, &b).into_response())
}

/// `GET /m/ID/html`: the sanitized HTML body, for the sandboxed frame.
pub async fn html_body(StateOf(state): StateOf<State>, Path(id): Path<String>) -> Response {
    blocking(move || {
        let archive = state.read()?;
        let m = archive.lookup(&id)?;
        let raw = archive.raw(&m)?;
        let p = parts(&raw);
        let Some(h) = p.html else {
            return Err(WebError::new(
                StatusCode::NOT_FOUND,
                "this message has no HTML version",
            ));
        };
        let page = message_html(&h, &p.inline_images);
        let mut r = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], page).into_response();
        let hs = r.headers_mut();
        hs.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(MESSAGE_HTML_CSP),
        );
        hs.insert(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("SAMEORIGIN"),
        );
        Ok(r)
    })
    .await
}

fn download(bytes: Vec<u8>, name: &str) -> Response {
    let mut r = ([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response();
    if let Ok(v) = HeaderValue::from_str(&content_disposition(name)) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    r
}

/// `GET /m/ID/raw`: the exact stored bytes.
pub async fn raw(StateOf(state): StateOf<State>, Path(id): Path<String>) -> Response {
    blocking(move || {
        let archive = state.read()?;
        let m = archive.lookup(&id)?;
        let hex = m.id.to_hex();
        let raw = archive.raw(&m)?;
        Ok(download(raw, &format!("{}.eml", short(&hex))))
    })
    .await
}

/// `GET /m/ID/attachment/N` (N from 1): the attachment's bytes, always as a
/// download under a safe name.
pub async fn attachment(
    StateOf(state): StateOf<State>,
    Path((id, n)): Path<(String, usize)>,
) -> Response {
    blocking(move || {
        let archive = state.read()?;
        let m = archive.lookup(&id)?;
        let raw = archive.raw(&m)?;
        let p = parts(&raw);
        let missing = || WebError::new(StatusCode::NOT_FOUND, format!("no attachment {n}"));
        let i = n.checked_sub(1).ok_or_else(missing)?;
        let (Some(listed), Some(data)) = (m.attachments.get(i), p.attachments.get(i)) else {
            return Err(missing());
        };
        if listed.name != data.info.name || listed.content_type != data.info.content_type {
            return Err(WebError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the attachment list read now differs from the catalog's; run `mailcite reindex`",
            ));
        }
        Ok(download(
            data.bytes.clone(),
            &safe_file_name(listed.name.as_deref(), n),
        ))
    })
    .await
}

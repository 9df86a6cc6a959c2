//! Articles: `GET /a` (list and the add form), `POST /a` (add: upload or
//! paste), `GET /a/ID` (citations, quotes without a source, exports),
//! `GET /a/ID/export/FORMAT` and `POST /cite` (record a citation by hand).

use super::super::html::{self, escape, message_url};
use super::super::sanitize::content_disposition;
use super::super::security::check_csrf;
use super::super::{State, WebError, blocking};
use super::{csrf_field, short, snapshot};
use crate::cli::ExportFormat;
use crate::commands::article::{ArticleInput, add_article};
use crate::commands::export::{Selection, render};
use axum::Form;
use axum::extract::{FromRequest, Multipart, Path, Request, State as StateOf};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;

/// `GET /a`.
pub async fn list(StateOf(state): StateOf<State>) -> Response {
    blocking(move || {
        let archive = state.read()?;
        let articles = archive.catalog.articles()?;
        let mut b = String::from("<h1>Articles</h1>\n");
        if articles.is_empty() {
            b.push_str("<p class=\"meta\">No article yet.</p>\n");
        } else {
            b.push_str("<table class=\"list\" id=\"articles\">\n<thead><tr><th>#</th><th>Title</th><th>Outlet</th><th>Published</th><th>Citations</th><th>Without a source</th></tr></thead>\n<tbody>\n");
            for a in &articles {
                b.push_str(&format!(
                    "<tr><td>{}</td><td><a href=\"/a/{}\">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                    a.id,
                    a.id,
                    escape(a.title.as_deref().unwrap_or("(untitled)")),
                    escape(a.outlet.as_deref().unwrap_or("")),
                    escape(a.published.as_deref().unwrap_or("")),
                    a.citations,
                    a.unmatched
                ));
            }
            b.push_str("</tbody></table>\n");
        }
        b.push_str(&format!(
            "<section class=\"add-article\">\n<h2>Add an article</h2>\n<p class=\"note\">Text, Markdown or HTML. Every quoted passage is looked up in the archive, as by <code>mailcite article add</code>.</p>\n<form method=\"post\" action=\"/a\" enctype=\"multipart/form-data\">\n{}\n<label>File <input type=\"file\" name=\"file\" accept=\".html,.htm,.md,.txt,text/*\"></label>\n<label>or paste it <textarea name=\"text\" rows=\"8\"></textarea></label>\n<label>Title <input type=\"text\" name=\"title\"></label>\n<label>Outlet <input type=\"text\" name=\"outlet\"></label>\n<label>URL <input type=\"text\" name=\"url\"></label>\n<label>Published <input type=\"text\" name=\"published\" placeholder=\"2024-05-01\"></label>\n<button type=\"submit\">Add the article</button>\n</form>\n</section>\n",
            csrf_field(&state)
        ));
        Ok(html::page("Articles", &b).into_response())
    })
    .await
}

/// The fields of a form, from `multipart/form-data` or
/// `application/x-www-form-urlencoded`; an uploaded file's name as
/// `NAME.filename`.
async fn form_fields(req: Request) -> Result<HashMap<String, Vec<u8>>, WebError> {
    let bad = |e: String| WebError::new(StatusCode::BAD_REQUEST, e);
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    let mut out = HashMap::new();
    if multipart {
        let mut mp = Multipart::from_request(req, &())
            .await
            .map_err(|e| bad(e.body_text()))?;
        while let Some(field) = mp.next_field().await.map_err(|e| bad(e.body_text()))? {
            let name = field.name().unwrap_or("").to_string();
            if let Some(f) = field.file_name() {
                out.insert(format!("{name}.filename"), f.as_bytes().to_vec());
            }
            let bytes = field.bytes().await.map_err(|e| bad(e.body_text()))?;
            out.insert(name, bytes.to_vec());
        }
    } else {
        let Form(map) = Form::<HashMap<String, String>>::from_request(req, &())
            .await
            .map_err(|e| bad(e.body_text()))?;
        out.extend(map.into_iter().map(|(k, v)| (k, v.into_bytes())));
    }
    Ok(out)
}

fn text_field(fields: &HashMap<String, Vec<u8>>, name: &str) -> Option<String> {
    fields
        .get(name)
        .map(|v| String::from_utf8_lossy(v).trim().to_string())
        .filter(|s| !s.is_empty())
}

/// `POST /a`: adds an article from an upload or pasted text.
pub async fn add(StateOf(state): StateOf<State>, req: Request) -> Response {
    let fields = match form_fields(req).await {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    blocking(move || {
        check_csrf(&state, text_field(&fields, "csrf").as_deref())?;
        let (bytes, file_name) = match fields.get("file").filter(|b| !b.is_empty()) {
            Some(b) => (b.clone(), text_field(&fields, "file.filename")),
            None => match fields
                .get("text")
                .filter(|b| !b.iter().all(u8::is_ascii_whitespace))
            {
                Some(b) => (b.clone(), None),
                None => {
                    return Err(WebError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        "choose a file or paste the article's text",
                    ));
                }
            },
        };
        let mut archive = state.write()?;
        let out = add_article(
            &mut archive,
            ArticleInput {
                bytes,
                source: Some(
                    file_name
                        .clone()
                        .unwrap_or_else(|| "(pasted in mailcite serve)".into()),
                ),
                file_name,
                title: text_field(&fields, "title"),
                outlet: text_field(&fields, "outlet"),
                url: text_field(&fields, "url"),
                published: text_field(&fields, "published"),
                author: text_field(&fields, "author"),
                min_score: 0.85,
            },
        )?;
        Ok(Redirect::to(&format!("/a/{}", out.article.id)).into_response())
    })
    .await
}

/// `GET /a/ID`.
pub async fn show(StateOf(state): StateOf<State>, Path(id): Path<i64>) -> Response {
    blocking(move || {
        let archive = state.read()?;
        snapshot(&archive)?;
        let a = archive.catalog.article(id)?;
        let citations = archive.catalog.citations_of_article(id)?;
        let unmatched = archive.catalog.unmatched_quotes(id)?;
        let title = a.title.clone().unwrap_or_else(|| "(untitled)".into());
        let mut b = format!("<h1>{}</h1>\n<p class=\"meta\">", escape(&title));
        let meta: Vec<String> = [&a.outlet, &a.author, &a.published]
            .into_iter()
            .flatten()
            .map(|s| escape(s))
            .collect();
        b.push_str(&meta.join(" · "));
        if let Some(u) = &a.url {
            // Shown, not linked: following it from here would tell the
            // outlet's server who reads the archive.
            b.push_str(&format!(" · <span class=\"url\">{}</span>", escape(u)));
        }
        b.push_str(&format!(
            "</p>\n<p class=\"exports\">Export the sources: <a class=\"button\" href=\"/a/{id}/export/markdown\" download>Markdown</a> <a class=\"button\" href=\"/a/{id}/export/json\" download>JSON</a> <a class=\"button\" href=\"/a/{id}/export/csv\" download>CSV</a> <a class=\"button\" href=\"/a/{id}/export/html\" download>HTML</a></p>\n"
        ));
        b.push_str(&format!(
            "<h2>{} citation{}</h2>\n<ol class=\"citations\" id=\"citations\">\n",
            citations.len(),
            if citations.len() == 1 { "" } else { "s" }
        ));
        for c in &citations {
            let m = archive.message(c.message)?;
            let hex = m.id.to_hex();
            b.push_str(&format!(
                "<li id=\"c{}\"><blockquote>{}</blockquote>\n<p class=\"meta\">→ <a href=\"{}\">{}</a> · {} · {} · <code>{}</code> · {}{}{}</p></li>\n",
                c.id,
                escape(&c.citation.passage),
                escape(&message_url(&hex)),
                escape(m.subject.as_deref().filter(|s| !s.trim().is_empty()).unwrap_or("(no subject)")),
                escape(&crate::output::message_date(m.date_utc, m.date_offset)),
                escape(&crate::output::sender(&m.from)),
                escape(short(&hex)),
                escape(&c.citation.method),
                if c.citation.method == "fuzzy" {
                    format!(" {:.2}", c.citation.score)
                } else {
                    String::new()
                },
                if c.citation.quote != c.citation.passage && !c.citation.quote.is_empty() {
                    format!(" · quoted as <q>{}</q>", escape(&c.citation.quote))
                } else {
                    String::new()
                }
            ));
        }
        b.push_str("</ol>\n");
        b.push_str(&format!(
            "<h2>{} quote{} without a source in the archive</h2>\n<ul class=\"unmatched\" id=\"unmatched\">\n",
            unmatched.len(),
            if unmatched.len() == 1 { "" } else { "s" }
        ));
        for q in &unmatched {
            b.push_str(&format!("<li><q>{}</q></li>\n", escape(q)));
        }
        b.push_str("</ul>\n");
        Ok(html::page(&title, &b).into_response())
    })
    .await
}

/// `GET /a/ID/export/FORMAT` (`markdown`, `json`, `csv`, `html`): the
/// export of `mailcite export --article ID`, as a download.
pub async fn export(
    StateOf(state): StateOf<State>,
    Path((id, format)): Path<(i64, String)>,
) -> Response {
    blocking(move || {
        let (fmt, ext, mime) = match format.as_str() {
            "markdown" | "md" => (ExportFormat::Markdown, "md", "text/markdown; charset=utf-8"),
            "json" => (ExportFormat::Json, "json", "application/json"),
            "csv" => (ExportFormat::Csv, "csv", "text/csv; charset=utf-8"),
            "html" => (ExportFormat::Html, "html", "text/html; charset=utf-8"),
            _ => {
                return Err(WebError::new(
                    StatusCode::NOT_FOUND,
                    "export formats: markdown, json, csv, html",
                ));
            }
        };
        let archive = state.read()?;
        let bytes = render(&archive, Selection::Article(id), fmt, 200)?;
        let mut r = ([(header::CONTENT_TYPE, mime)], bytes).into_response();
        if let Ok(v) =
            HeaderValue::from_str(&content_disposition(&format!("article-{id}-sources.{ext}")))
        {
            r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
        }
        r.headers_mut().insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; style-src 'unsafe-inline'; sandbox"),
        );
        Ok(r)
    })
    .await
}

/// `POST /cite` (`message`, `article`, `passage`, `csrf`): records a
/// citation after checking, as `mailcite cite` does, that the passage is in
/// the message; then shows the article.
pub async fn cite(
    StateOf(state): StateOf<State>,
    Form(fields): Form<HashMap<String, String>>,
) -> Response {
    blocking(move || {
        check_csrf(&state, fields.get("csrf").map(String::as_str))?;
        let get = |k: &str| fields.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
        let (Some(message), Some(article), Some(passage)) =
            (get("message"), get("article"), get("passage"))
        else {
            return Err(WebError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "give the message, the article and the passage",
            ));
        };
        let article: i64 = article.parse().map_err(|_| {
            WebError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "the article must be a number",
            )
        })?;
        let mut archive = state.write()?;
        let recorded = match crate::commands::cite::record(&mut archive, article, message, passage)
        {
            Ok(r) => r,
            Err(e) => {
                let mut w = WebError::from(e);
                if w.status == StatusCode::INTERNAL_SERVER_ERROR {
                    w.status = StatusCode::UNPROCESSABLE_ENTITY;
                }
                return Err(w);
            }
        };
        let anchor = recorded
            .citation
            .map(|c| format!("#c{c}"))
            .unwrap_or_default();
        Ok(Redirect::to(&format!("/a/{}{anchor}", recorded.article.id)).into_response())
    })
    .await
}

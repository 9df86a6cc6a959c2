//! `GET /search?q=QUERY&sort=date|relevance|date-asc&page=N`: hits with
//! highlighted passages, paging, and facets (messages per month as a
//! clickable histogram, top senders and recipients, attachments, cited).

use super::super::chart::month_histogram;
use super::super::html::{self, escape, highlighted, message_url, plural, search_url};
use super::super::{State, WebError, blocking};
use super::short;
use crate::commands::search::{hits, resolve_thread_refs};
use axum::extract::{Query, State as StateOf};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use mailcite_archive::archive::Archive;
use mailcite_index::{SearchOptions, Sort};
use std::collections::HashMap;

/// Hits per page.
pub const PAGE_SIZE: usize = 20;
/// Entries in each list facet.
const TOP: usize = 10;

/// `GET /`.
pub async fn home() -> Response {
    Redirect::to("/search").into_response()
}

fn sort_of(s: &str) -> (Sort, &'static str) {
    match s {
        "relevance" => (Sort::Relevance, "relevance"),
        "date-asc" => (Sort::DateAsc, "date-asc"),
        _ => (Sort::Date, "date"),
    }
}

fn form(q: &str, sort: &str) -> String {
    let opt = |v: &str, label: &str| {
        format!(
            "<option value=\"{v}\"{}>{label}</option>",
            if v == sort { " selected" } else { "" }
        )
    };
    format!(
        "<form class=\"search\" action=\"/search\" method=\"get\" role=\"search\">
<input type=\"search\" name=\"q\" value=\"{}\" placeholder=\"countermeasures from:@example.org date:2009\" aria-label=\"Query\" autofocus>
<select name=\"sort\" aria-label=\"Order\">{}{}{}</select>
<button type=\"submit\">Search</button>
</form>",
        escape(q),
        opt("date", "Newest first"),
        opt("relevance", "Best match"),
        opt("date-asc", "Oldest first"),
    )
}

const TIPS: &str = "<section class=\"tips\"><h2>Query language</h2><p>The same as <code>mailcite search</code>:</p>
<ul>
<li><code>budget report</code> both words; <code>\"active countermeasures\"</code> a phrase; <code>a OR b</code>, <code>-draft</code>, <code>( … )</code></li>
<li><code>from:anna</code>, <code>to:@example.org</code>, <code>cc:</code>, <code>subject:</code>, <code>body:</code>, <code>quoted:</code></li>
<li><code>has:attachment</code>, <code>type:pdf</code>, <code>attachment:invoice</code></li>
<li><code>date:2009-07</code>, <code>date:2009-01..2009-06</code>, <code>before:2009-07-15</code>, <code>after:2009-07-01</code></li>
<li><code>cited:yes</code>, <code>cited:no</code>, <code>article:1</code>, <code>dkim:pass</code>, <code>thread:ID</code>, <code>folder:Sent</code>, <code>lang:ru</code></li>
</ul></section>";

/// `GET /search`.
pub async fn search(
    StateOf(state): StateOf<State>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    blocking(move || run(&state, &params)).await
}

fn run(state: &State, params: &HashMap<String, String>) -> Result<Response, WebError> {
    let q = params.get("q").map(|s| s.trim()).unwrap_or("").to_string();
    let (sort, sort_name) = sort_of(params.get("sort").map(String::as_str).unwrap_or(""));
    let page_no: usize = params
        .get("page")
        .and_then(|p| p.parse().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1)
        .min(100_000);
    let archive = state.read()?;
    if q.is_empty() {
        let stats = archive.catalog.stats()?;
        let range = match (stats.first_date, stats.last_date) {
            (Some(a), Some(b)) => format!(
                ", from {} to {}",
                &crate::output::date_in_zone(a, 0)[..10],
                &crate::output::date_in_zone(b, 0)[..10]
            ),
            _ => String::new(),
        };
        let body = format!(
            "<h1>Search</h1>\n{}\n<p class=\"meta\">The archive holds {}{}.</p>\n{TIPS}",
            form("", sort_name),
            plural(stats.messages, "message"),
            escape(&range)
        );
        return Ok(html::page("Search", &body).into_response());
    }
    let bad = |msg: String| {
        let body = format!(
            "<h1>Search</h1>\n{}\n<p class=\"error\">{}</p>\n{TIPS}",
            form(&q, sort_name),
            escape(&msg)
        );
        Ok((StatusCode::BAD_REQUEST, html::page("Invalid query", &body)).into_response())
    };
    let resolved = match resolve_thread_refs(&q, &archive) {
        Ok(r) => r,
        Err(e) => return bad(format!("{e:#}")),
    };
    let query = match mailcite_index::parse(&resolved) {
        Ok(query) => query,
        Err(e) => return bad(format!("invalid query: {e}")),
    };
    let searcher = &state.searcher;
    // Messages an import committed since the last request.
    searcher.reload().map_err(anyhow::Error::from)?;
    let opts = SearchOptions {
        sort,
        limit: PAGE_SIZE,
        offset: (page_no - 1) * PAGE_SIZE,
        count_only: false,
        facets: true,
    };
    let results = searcher
        .search_query(&query, &opts)
        .map_err(anyhow::Error::from)?;
    let page_hits = hits(&archive, searcher, &query, &results.hits)?;
    let facets = results.facets.unwrap_or_default();
    let count = |extra: &str| -> Result<u64, WebError> {
        let combined = mailcite_index::parse(&format!("({resolved}) {extra}"))
            .map_err(|e| WebError::new(StatusCode::BAD_REQUEST, e.to_string()))?;
        let r = searcher
            .search_query(
                &combined,
                &SearchOptions {
                    count_only: true,
                    ..Default::default()
                },
            )
            .map_err(anyhow::Error::from)?;
        Ok(r.total as u64)
    };
    let with_attachment = count("has:attachment")?;
    let cited = count("cited:yes")?;
    let recipients = top_recipients(&archive, searcher, &query)?;

    let total = results.total as u64;
    let mut body = format!("<h1 class=\"print-only\">Search: {}</h1>\n", escape(&q));
    body.push_str(&form(&q, sort_name));
    body.push_str("\n<div class=\"results-layout\">\n<section class=\"results\">\n");
    let first = (page_no - 1) * PAGE_SIZE;
    body.push_str(&format!(
        "<p class=\"meta\" id=\"total\">{} match{}{}</p>\n",
        plural(total, "message"),
        if total == 1 { "es" } else { "" },
        if page_hits.is_empty() {
            String::new()
        } else {
            format!("; showing {}–{}", first + 1, first + page_hits.len())
        }
    ));
    body.push_str("<ol class=\"hits\">\n");
    for h in &page_hits {
        let subject = h
            .subject
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .unwrap_or("(no subject)");
        // A message found inside others opens on the first that carries it.
        let (href, inside) = match &h.embedded {
            Some(e) => (
                e.carried_by
                    .first()
                    .map_or_else(String::new, |id| message_url(id)),
                format!(
                    " · <span class=\"note\">{} message{} inside {} message{}</span>",
                    escape(&e.kind),
                    if e.reconstructed {
                        " reconstructed from the text"
                    } else {
                        ""
                    },
                    e.carried_by.len(),
                    if e.carried_by.len() == 1 { "" } else { "s" }
                ),
            ),
            None => (message_url(&h.id), String::new()),
        };
        body.push_str(&format!(
            "<li class=\"hit\"><a class=\"subject\" href=\"{}\">{}</a>\n<div class=\"meta\"><span class=\"date\">{}</span> · <span class=\"who\">{}</span> → <span class=\"who\">{}</span> · <code>{}</code>{inside}{}{}</div>\n<p class=\"snippet\">{}</p></li>\n",
            escape(&href),
            escape(subject),
            escape(h.date.as_deref().unwrap_or("(no date)")),
            escape(&crate::output::sender(&h.from)),
            escape(&crate::output::clip(&crate::output::addresses(&h.to), 60)),
            escape(short(&h.id)),
            if matches!(h.dkim.as_str(), "none" | "unchecked") {
                String::new()
            } else {
                format!(
                    " · <span class=\"dkim dkim-{}\" title=\"{}\">DKIM {}</span>",
                    escape(&h.dkim),
                    escape(&h.dkim_summary),
                    escape(&h.dkim)
                )
            },
            h.cited_by
                .iter()
                .map(|c| format!(
                    " · <a class=\"cited\" href=\"/a/{}\">cited in {}</a>",
                    c.article,
                    escape(c.title.as_deref().unwrap_or("(untitled)"))
                ))
                .collect::<String>(),
            match &h.in_attachment {
                Some(name) => format!(
                    "<span class=\"note\">in attachment {}:</span> {}",
                    escape(name),
                    highlighted(&h.snippet, &h.highlights)
                ),
                None => highlighted(&h.snippet, &h.highlights),
            }
        ));
    }
    body.push_str("</ol>\n");
    // Paging.
    let pages = (total as usize).div_ceil(PAGE_SIZE).max(1);
    if pages > 1 {
        let link = |p: usize| format!("{}&amp;page={p}", escape(&search_url(&q, sort_name)));
        body.push_str("<nav class=\"paging\" aria-label=\"Pages\">");
        if page_no > 1 {
            body.push_str(&format!(
                "<a rel=\"prev\" href=\"{}\">← Newer</a> ",
                link(page_no - 1)
            ));
        }
        body.push_str(&format!("<span>page {page_no} of {pages}</span>"));
        if page_no < pages {
            body.push_str(&format!(
                " <a rel=\"next\" href=\"{}\">Older →</a>",
                link(page_no + 1)
            ));
        }
        body.push_str("</nav>\n");
    }
    body.push_str("</section>\n<aside class=\"facets\">\n");
    // Facets.
    let narrow = |extra: &str| escape(&search_url(&format!("{q} {extra}"), sort_name));
    body.push_str("<h2>Messages per month</h2>\n");
    let svg = month_histogram(&q, sort_name, &facets.per_month);
    if svg.is_empty() {
        body.push_str("<p class=\"meta\">No dated message matches.</p>\n");
    } else {
        body.push_str(&svg);
        body.push('\n');
    }
    if facets.undated > 0 {
        body.push_str(&format!(
            "<p class=\"meta\">{} without a date.</p>\n",
            plural(facets.undated, "message")
        ));
    }
    body.push_str("<h2>Top senders</h2>\n<ul class=\"facet\" id=\"senders\">\n");
    for (addr, n) in facets.top_senders.iter().take(TOP) {
        body.push_str(&format!(
            "<li><a href=\"{}\">{}</a> <span class=\"n\">{n}</span></li>\n",
            narrow(&format!("from:{addr}")),
            escape(addr)
        ));
    }
    body.push_str("</ul>\n<h2>Top recipients</h2>\n<ul class=\"facet\" id=\"recipients\">\n");
    for (addr, n) in &recipients {
        body.push_str(&format!(
            "<li><a href=\"{}\">{}</a> <span class=\"n\">{n}</span></li>\n",
            narrow(&format!("to:{addr}")),
            escape(addr)
        ));
    }
    body.push_str("</ul>\n<h2>Attachments</h2>\n<ul class=\"facet\" id=\"attachments\">\n");
    body.push_str(&format!(
        "<li><a href=\"{}\">with attachment</a> <span class=\"n\">{with_attachment}</span></li>\n<li><a href=\"{}\">without</a> <span class=\"n\">{}</span></li>\n",
        narrow("has:attachment"),
        narrow("-has:attachment"),
        total.saturating_sub(with_attachment)
    ));
    body.push_str("</ul>\n<h2>Citations</h2>\n<ul class=\"facet\" id=\"cited\">\n");
    body.push_str(&format!(
        "<li><a href=\"{}\">cited</a> <span class=\"n\">{cited}</span></li>\n<li><a href=\"{}\">not cited</a> <span class=\"n\">{}</span></li>\n",
        narrow("cited:yes"),
        narrow("cited:no"),
        total.saturating_sub(cited)
    ));
    body.push_str("</ul>\n</aside>\n</div>\n");
    Ok(html::page(&format!("Search: {q}"), &body).into_response())
}

/// The most frequent To, Cc and Bcc addresses (lower case) of the messages
/// `query` matches, with the number of messages each received.
fn top_recipients(
    archive: &Archive,
    searcher: &mailcite_index::Searcher,
    query: &mailcite_index::Query,
) -> Result<Vec<(String, u64)>, WebError> {
    let keys = searcher.matching_keys(query).map_err(anyhow::Error::from)?;
    archive.catalog.select_messages(&keys)?;
    let conn = archive.catalog.conn();
    let mut st = conn
        .prepare(
            "SELECT lower(a.address), COUNT(DISTINCT a.message) FROM addresses a
             WHERE a.role IN ('to', 'cc', 'bcc') AND a.address IS NOT NULL
               AND a.message IN (SELECT key FROM temp.mailcite_selection)
             GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?1",
        )
        .map_err(err)?;
    let rows = st
        .query_map([TOP as i64], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
        })
        .map_err(err)?;
    rows.collect::<Result<Vec<_>, _>>().map_err(err)
}

fn err(e: impl std::fmt::Display) -> WebError {
    WebError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string())
}

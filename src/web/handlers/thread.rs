//! `GET /t/ID`: a conversation as a tree, the given message marked.

use super::super::html::{self, escape, message_url};
use super::super::{State, blocking};
use super::{short, snapshot};
use crate::commands::thread::{Node, nodes};
use axum::extract::{Path, State as StateOf};
use axum::response::{IntoResponse, Response};

/// The tree as nested lists (no inline style: indentation comes from the
/// nesting).
pub fn tree(nodes: &[Node]) -> String {
    let mut out = String::from("<ul class=\"tree\">\n");
    let mut depth = 0usize;
    let mut first = true;
    for n in nodes {
        let d = n.depth.min(50);
        if first {
            first = false;
        } else if d > depth {
            for _ in depth..d {
                out.push_str("\n<ul>");
            }
        } else {
            out.push_str("</li>\n");
            for _ in d..depth {
                out.push_str("</ul></li>\n");
            }
        }
        depth = d;
        out.push_str(&format!(
            "<li{}>{}<a href=\"{}\">{}</a> <span class=\"who\">{}</span> <span class=\"date\">{}</span>{}{}",
            if n.current { " class=\"current\" aria-current=\"page\"" } else { "" },
            if n.current { "<span class=\"marker\" title=\"this message\">▶ </span>" } else { "" },
            escape(&message_url(&n.id)),
            escape(n.subject.as_deref().filter(|s| !s.trim().is_empty()).unwrap_or("(no subject)")),
            escape(&n.from),
            escape(n.date.as_deref().unwrap_or("(no date)")),
            if n.link == "subject" { " <span class=\"note\">(joined by subject)</span>" } else { "" },
            if n.cited_by.is_empty() {
                String::new()
            } else {
                let links: Vec<String> = n
                    .cited_by
                    .iter()
                    .map(|a| format!("<a href=\"/a/{a}\">article {a}</a>"))
                    .collect();
                format!(" <span class=\"cited\">cited in {}</span>", links.join(", "))
            }
        ));
    }
    if !first {
        out.push_str("</li>\n");
        for _ in 0..depth {
            out.push_str("</ul></li>\n");
        }
    }
    out.push_str("</ul>\n");
    out
}

/// `GET /t/ID`.
pub async fn show(StateOf(state): StateOf<State>, Path(id): Path<String>) -> Response {
    blocking(move || {
        let archive = state.read()?;
        snapshot(&archive)?;
        let m = archive.lookup(&id)?;
        let nodes = nodes(&archive, &m)?;
        let subject = m.subject.clone().unwrap_or_else(|| "(no subject)".into());
        let body = format!(
            "<h1>Thread: {}</h1>\n<p class=\"meta\">{} message{} · <a href=\"{}\">back to message {}</a></p>\n{}",
            escape(&subject),
            nodes.len(),
            if nodes.len() == 1 { "" } else { "s" },
            escape(&message_url(&m.id.to_hex())),
            escape(short(&m.id.to_hex())),
            tree(&nodes)
        );
        Ok(html::page(&format!("Thread: {subject}"), &body).into_response())
    })
    .await
}

//! `mailcite thread`: the conversation around a message.

use crate::cli::ThreadArgs;
use crate::output::{self, clip, outln, sanitize::line, sender, short_id};
use crate::{Context, Outcome};
use anyhow::Context as _;
use mailcite_archive::archive::{Archive, Mode};
use mailcite_archive::catalog::MessageRow;
use mailcite_archive::thread::build_tree;
use serde::Serialize;

/// One message of a conversation, in tree order.
#[derive(Serialize)]
pub(crate) struct Node {
    pub id: String,
    pub message_id: Option<String>,
    pub date: Option<String>,
    pub from: String,
    pub subject: Option<String>,
    pub depth: usize,
    /// `root`, `reference` or `subject`: how it was attached.
    pub link: &'static str,
    /// The message asked for.
    pub current: bool,
    /// Ids of the articles that cite the message.
    pub cited_by: Vec<i64>,
    /// Messages found inside it (forwarded, quoted, attached), in order.
    pub embedded: Vec<EmbeddedNode>,
}

/// A message found inside a message of the conversation.
#[derive(Serialize)]
pub(crate) struct EmbeddedNode {
    /// `e-` and its identity (`mailcite show e-ID`).
    pub id: String,
    /// `attached`, `forwarded` or `quoted`.
    pub kind: String,
    /// Read back from pasted text.
    pub reconstructed: bool,
    pub date: Option<String>,
    pub from: String,
    pub subject: Option<String>,
    /// Nesting below the carrying message (1: directly inside it).
    pub depth: usize,
}

#[derive(Serialize)]
struct ThreadOut {
    thread: i64,
    messages: Vec<Node>,
}

/// The conversation of message `m` in tree order (JWZ-style, see
/// `mailcite_archive::thread::build_tree`), `m` marked current. Shared by
/// `thread` and the web view.
pub(crate) fn nodes(archive: &Archive, m: &MessageRow) -> anyhow::Result<Vec<Node>> {
    let members = archive.catalog.thread_members(m.thread)?;
    let tree = build_tree(&members);
    let by_key: std::collections::HashMap<i64, &_> = members.iter().map(|x| (x.key, x)).collect();
    let mut cited: std::collections::HashMap<i64, Vec<i64>> = std::collections::HashMap::new();
    for n in &tree {
        let ids = archive
            .catalog
            .articles_citing(n.key)?
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        cited.insert(n.key, ids);
    }
    let mut inside: std::collections::HashMap<i64, Vec<EmbeddedNode>> =
        std::collections::HashMap::new();
    for n in &tree {
        let rows = archive.catalog.embedded_in(n.key)?;
        let list = rows
            .iter()
            .map(|e| {
                let depth = 1 + e.nesting(&rows);
                EmbeddedNode {
                    id: format!("e-{}", e.identity),
                    kind: e.kind.clone(),
                    reconstructed: e.reconstructed,
                    date: e
                        .date_utc
                        .map(|t| crate::commands::search::embedded_date(t, e.date_offset)),
                    from: sender(&e.from),
                    subject: e.subject.clone(),
                    depth,
                }
            })
            .collect();
        inside.insert(n.key, list);
    }
    let nodes: Vec<Node> = tree
        .iter()
        .map(|n| {
            let x = by_key[&n.key];
            Node {
                id: x.id.to_hex(),
                message_id: x.message_id.clone(),
                date: x
                    .date_utc
                    .map(|t| output::date_in_zone(t, x.date_offset.unwrap_or(0))),
                from: sender(&x.from),
                subject: x.subject.clone(),
                depth: n.depth,
                link: n.link,
                current: n.key == m.key,
                cited_by: cited.remove(&n.key).unwrap_or_default(),
                embedded: inside.remove(&n.key).unwrap_or_default(),
            }
        })
        .collect();
    Ok(nodes)
}

pub fn run(ctx: &Context, args: ThreadArgs) -> anyhow::Result<Outcome> {
    let archive = Archive::open(&ctx.archive, Mode::Read)
        .with_context(|| format!("cannot open the archive {}", ctx.archive.display()))?;
    let m = archive.lookup(&args.id)?;
    let nodes = nodes(&archive, &m)?;
    if args.json {
        output::print_json(&ThreadOut {
            thread: m.thread,
            messages: nodes,
        })?;
        return Ok(Outcome::Success);
    }
    outln!(
        "Thread of {} message{}",
        nodes.len(),
        if nodes.len() == 1 { "" } else { "s" }
    );
    for n in &nodes {
        outln!(
            "{} {}  {:<25}  {:<20} {}{}{}{}",
            if n.current { "▶" } else { " " },
            short_id(&n.id),
            n.date.as_deref().unwrap_or("(no date)"),
            clip(&line(&n.from), 20),
            "  ".repeat(n.depth.min(20)),
            clip(&line(n.subject.as_deref().unwrap_or("(no subject)")), 70),
            if n.link == "subject" {
                "  (by subject)"
            } else {
                ""
            },
            if n.cited_by.is_empty() {
                String::new()
            } else {
                let ids: Vec<String> = n.cited_by.iter().map(|a| a.to_string()).collect();
                format!("  [cited in article {}]", ids.join(", "))
            }
        );
        for e in &n.embedded {
            outln!(
                "  {}  {:<25}  {:<20} {}↳ {} {}{}",
                short_id(&e.id),
                e.date.as_deref().unwrap_or("(no date)"),
                clip(&line(&e.from), 20),
                "  ".repeat((n.depth + e.depth).min(20)),
                e.kind,
                clip(&line(e.subject.as_deref().unwrap_or("(no subject)")), 60),
                if e.reconstructed {
                    "  (reconstructed)"
                } else {
                    ""
                }
            );
        }
    }
    Ok(Outcome::Success)
}

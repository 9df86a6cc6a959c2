//! `mailcite thread`: the conversation around a message.

use crate::cli::ThreadArgs;
use crate::output::{self, clip, message_date, outln, sanitize::line, sender, short_id};
use crate::{Context, Outcome};
use anyhow::Context as _;
use mailcite_archive::archive::{Archive, Mode};
use mailcite_archive::thread::build_tree;
use serde::Serialize;

#[derive(Serialize)]
struct Node {
    id: String,
    message_id: Option<String>,
    date: Option<String>,
    from: String,
    subject: Option<String>,
    depth: usize,
    link: &'static str,
    current: bool,
    /// Ids of the articles that cite the message.
    cited_by: Vec<i64>,
}

#[derive(Serialize)]
struct ThreadOut {
    thread: i64,
    messages: Vec<Node>,
}

pub fn run(ctx: &Context, args: ThreadArgs) -> anyhow::Result<Outcome> {
    let archive = Archive::open(&ctx.archive, Mode::Read)
        .with_context(|| format!("cannot open the archive {}", ctx.archive.display()))?;
    let m = archive.lookup(&args.id)?;
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
            }
        })
        .collect();
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
    for (n, t) in nodes.iter().zip(&tree) {
        let x = by_key[&t.key];
        outln!(
            "{} {}  {:<25}  {:<20} {}{}{}{}",
            if n.current { "▶" } else { " " },
            short_id(&n.id),
            message_date(x.date_utc, x.date_offset),
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
    }
    Ok(Outcome::Success)
}

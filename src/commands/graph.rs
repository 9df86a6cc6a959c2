//! `mailcite graph`: who wrote to whom, as GraphML, DOT or CSV.

use super::people::csv_cell;
use super::selection;
use crate::cli::{GraphArgs, GraphFormat};
use crate::output::markup::{dot, xml};
use crate::{Context, Outcome};
use anyhow::Context as _;
use mailcite_archive::archive::{Archive, Mode};
use mailcite_archive::people::{Edge, Person};
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;

pub fn run(ctx: &Context, args: GraphArgs) -> anyhow::Result<Outcome> {
    let archive = Archive::open(&ctx.archive, Mode::Read)
        .with_context(|| format!("cannot open the archive {}", ctx.archive.display()))?;
    let selected = selection::select(&archive, &args.query)?;
    let sel = selected.as_ref().map(|s| &s.selection);
    let outcome = match sel {
        Some(s) if s.is_empty() => Outcome::NoMatch,
        _ => Outcome::Success,
    };
    let edges: Vec<Edge> = archive
        .catalog
        .correspondence(sel)?
        .into_iter()
        .filter(|e| e.messages >= args.min_weight)
        .collect();
    // Nodes: the addresses at either end of a kept edge, by address.
    let addresses: BTreeSet<&str> = edges
        .iter()
        .flat_map(|e| [e.source.as_str(), e.target.as_str()])
        .collect();
    let people: HashMap<String, Person> = archive
        .catalog
        .people(sel)?
        .people
        .into_iter()
        .filter(|p| addresses.contains(p.address.as_str()))
        .map(|p| (p.address.clone(), p))
        .collect();
    let nodes: Vec<Node> = addresses
        .iter()
        .map(|a| {
            let p = people.get(*a);
            Node {
                address: a.to_string(),
                names: p.map(|p| p.names.clone()).unwrap_or_default(),
                sent: p.map_or(0, |p| p.sent),
                received: p.map_or(0, |p| p.received),
            }
        })
        .collect();
    let text = match args.format {
        GraphFormat::Graphml => graphml(&nodes, &edges, selected.as_ref().map(|s| &*s.query)),
        GraphFormat::Dot => dot_graph(&nodes, &edges),
        GraphFormat::Csv => csv_edges(&edges)?,
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, text.as_bytes())
                .with_context(|| format!("cannot write {}", path.display()))?;
            if !ctx.quiet {
                eprintln!(
                    "wrote {} nodes and {} edges to {}",
                    nodes.len(),
                    edges.len(),
                    crate::output::sanitize::line(&path.display().to_string())
                );
            }
        }
        None => {
            let mut out = std::io::stdout().lock();
            std::io::Write::write_all(&mut out, text.as_bytes())?;
        }
    }
    Ok(outcome)
}

/// One address of the graph.
struct Node {
    address: String,
    names: Vec<String>,
    sent: u64,
    received: u64,
}

/// GraphML; nodes are `n0`, `n1`, ... in address order, with the address as
/// `label`.
fn graphml(nodes: &[Node], edges: &[Edge], query: Option<&str>) -> String {
    let mut s = String::new();
    s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    s.push_str(
        "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\" \
         xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" \
         xsi:schemaLocation=\"http://graphml.graphdrawing.org/xmlns \
         http://graphml.graphdrawing.org/xmlns/1.0/graphml.xsd\">\n",
    );
    if let Some(q) = query {
        let _ = writeln!(s, "  <desc>mailcite graph: {}</desc>", xml(q));
    }
    for (id, for_, name, ty) in [
        ("label", "node", "label", "string"),
        ("names", "node", "names", "string"),
        ("sent", "node", "sent", "int"),
        ("received", "node", "received", "int"),
        ("weight", "edge", "weight", "double"),
        ("messages", "edge", "messages", "int"),
    ] {
        let _ = writeln!(
            s,
            "  <key id=\"{id}\" for=\"{for_}\" attr.name=\"{name}\" attr.type=\"{ty}\"/>"
        );
    }
    s.push_str("  <graph id=\"correspondence\" edgedefault=\"directed\">\n");
    let mut ids: HashMap<&str, usize> = HashMap::new();
    for (i, n) in nodes.iter().enumerate() {
        ids.insert(&n.address, i);
        let _ = writeln!(
            s,
            "    <node id=\"n{i}\"><data key=\"label\">{}</data><data key=\"names\">{}</data>\
             <data key=\"sent\">{}</data><data key=\"received\">{}</data></node>",
            xml(&n.address),
            xml(&n.names.join("; ")),
            n.sent,
            n.received
        );
    }
    for (i, e) in edges.iter().enumerate() {
        let (Some(a), Some(b)) = (ids.get(e.source.as_str()), ids.get(e.target.as_str())) else {
            continue;
        };
        let _ = writeln!(
            s,
            "    <edge id=\"e{i}\" source=\"n{a}\" target=\"n{b}\"><data key=\"weight\">{}</data>\
             <data key=\"messages\">{}</data></edge>",
            e.messages, e.messages
        );
    }
    s.push_str("  </graph>\n</graphml>\n");
    s
}

/// Graphviz DOT; nodes are named by their address.
fn dot_graph(nodes: &[Node], edges: &[Edge]) -> String {
    let mut s = String::from("digraph correspondence {\n  node [shape=box, fontsize=10];\n");
    let max = edges.iter().map(|e| e.messages).max().unwrap_or(1).max(1) as f64;
    for n in nodes {
        let mut label = dot(&n.address);
        if let Some(name) = n.names.first() {
            label = format!("{}\\n{label}", dot(name));
        }
        let _ = writeln!(
            s,
            "  \"{}\" [label=\"{label}\", tooltip=\"sent {}, received {}\"];",
            dot(&n.address),
            n.sent,
            n.received
        );
    }
    for e in edges {
        let width = 1.0 + 4.0 * (e.messages as f64 / max);
        let _ = writeln!(
            s,
            "  \"{}\" -> \"{}\" [weight={}, label=\"{}\", penwidth={width:.2}];",
            dot(&e.source),
            dot(&e.target),
            e.messages,
            e.messages
        );
    }
    s.push_str("}\n");
    s
}

/// CSV edge list.
fn csv_edges(edges: &[Edge]) -> anyhow::Result<String> {
    let mut buf = Vec::new();
    {
        let mut w = csv::Writer::from_writer(&mut buf);
        w.write_record(["source", "target", "messages"])?;
        for e in edges {
            w.write_record([
                csv_cell(&e.source),
                csv_cell(&e.target),
                e.messages.to_string(),
            ])?;
        }
        w.flush()?;
    }
    Ok(String::from_utf8(buf)?)
}

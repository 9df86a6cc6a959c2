//! Conversations: which messages belong together, and as what tree.
//!
//! Every message gets a thread number when it is imported (`messages.thread`):
//! messages linked by Message-ID, In-Reply-To or References share one, and a
//! message that carries no such links joins the thread of an earlier message
//! with the same normalized subject (the "RE: RE: budget" chains of Outlook
//! exports such as the Enron corpus). When a new message links two threads
//! they are merged. The tree is built on demand, JWZ-style: a message's parent
//! is the last message of its References (or its In-Reply-To) that is in the
//! archive; subject-only members hang under the thread's earliest message.

use crate::catalog::MessageRow;
use std::collections::HashMap;

/// Reply and forward prefixes, lower case, in several languages.
const PREFIXES: &[&str] = &[
    "re",
    "fw",
    "fwd",
    "aw",
    "wg",
    "sv",
    "vs",
    "vb",
    "antw",
    "tr",
    "rif",
    "r",
    "res",
    "enc",
    "ответ",
    "отв",
    "пересл",
    "fwd[",
    "回复",
    "转发",
    "答复",
];

/// Lower-cases a subject and strips reply/forward prefixes (`Re:`, `RE[2]:`,
/// `Fwd:`, `AW:`, `Ответ:`...), mailing-list tags (`[cypherpunks]`) and
/// extra white space.
pub fn normalize_subject(subject: &str) -> String {
    let mut s = subject.trim().to_lowercase();
    loop {
        let before = s.len();
        if s.starts_with('[')
            && let Some(end) = s.find(']')
        {
            s = s[end + 1..].trim_start().to_string();
        }
        if let Some(colon) = s.find(':') {
            let head = s[..colon].trim();
            let base = head.split(['[', '(']).next().unwrap_or(head).trim();
            let tail_ok = head[base.len()..]
                .chars()
                .all(|c| c.is_ascii_digit() || "[]() ".contains(c));
            if !base.is_empty() && PREFIXES.contains(&base) && tail_ok {
                s = s[colon + 1..].trim_start().to_string();
            }
        }
        if s.len() == before {
            break;
        }
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Placeholder subjects that say nothing about the conversation.
const GENERIC: &[&str] = &[
    "no subject",
    "(no subject)",
    "<no subject>",
    "[no subject]",
    "untitled",
    "none",
    "(none)",
    "hello",
    "hi",
    "test",
    "testing",
    "question",
    "help",
    "info",
    "update",
    "meeting",
    "thanks",
    "thank you",
    "fyi",
    "important",
    "urgent",
    "без темы",
];

/// Whether a normalized subject is specific enough to join messages by:
/// at least four letters or digits, and not a placeholder like "no subject".
pub fn subject_is_distinctive(normalized: &str) -> bool {
    normalized.chars().filter(|c| c.is_alphanumeric()).count() >= 4
        && !GENERIC.contains(&normalized)
}

/// One node of a conversation tree.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ThreadNode {
    /// Catalog key of the message.
    pub key: i64,
    /// Depth in the tree (0 for roots).
    pub depth: usize,
    /// How the message was attached: `reference`, `subject` or `root`.
    pub link: &'static str,
}

/// Orders the messages of one thread as a depth-first tree.
pub fn build_tree(members: &[MessageRow]) -> Vec<ThreadNode> {
    let by_mid: HashMap<&str, usize> = members
        .iter()
        .enumerate()
        .filter_map(|(i, m)| m.message_id.as_deref().map(|id| (id, i)))
        .collect();
    let order = |i: usize| (members[i].date_utc.unwrap_or(i64::MAX), members[i].key);
    let earliest = (0..members.len()).min_by_key(|&i| order(i));
    let mut parent: Vec<Option<(usize, &'static str)>> = vec![None; members.len()];
    for (i, m) in members.iter().enumerate() {
        let mut p = None;
        for r in m.references.iter().rev().chain(m.in_reply_to.iter()) {
            if let Some(&j) = by_mid.get(r.as_str())
                && j != i
            {
                p = Some((j, "reference"));
                break;
            }
        }
        if p.is_none()
            && m.references.is_empty()
            && m.in_reply_to.is_empty()
            && let Some(e) = earliest
            && e != i
        {
            p = Some((e, "subject"));
        }
        parent[i] = p;
    }
    // Break cycles (forged or looping References): walk up, cut at a repeat.
    for i in 0..members.len() {
        let mut seen = vec![false; members.len()];
        let mut cur = i;
        seen[cur] = true;
        while let Some((p, _)) = parent[cur] {
            if seen[p] {
                parent[cur] = None;
                break;
            }
            seen[p] = true;
            cur = p;
        }
    }
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); members.len()];
    let mut roots = Vec::new();
    for (i, p) in parent.iter().enumerate() {
        match p {
            Some((p, _)) => children[*p].push(i),
            None => roots.push(i),
        }
    }
    roots.sort_by_key(|&i| order(i));
    for c in &mut children {
        c.sort_by_key(|&i| order(i));
    }
    let mut out = Vec::with_capacity(members.len());
    let mut stack: Vec<(usize, usize)> = roots.into_iter().rev().map(|r| (r, 0)).collect();
    while let Some((i, depth)) = stack.pop() {
        out.push(ThreadNode {
            key: members[i].key,
            depth,
            link: parent[i].map(|(_, l)| l).unwrap_or("root"),
        });
        for &c in children[i].iter().rev() {
            stack.push((c, depth + 1));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_normalize() {
        assert_eq!(
            normalize_subject("Re: RE: Fwd:  Budget  2001"),
            "budget 2001"
        );
        assert_eq!(normalize_subject("[cypherpunks] Re: crypto"), "crypto");
        assert_eq!(normalize_subject("RE[2]: AW: Angebot"), "angebot");
        assert_eq!(normalize_subject("Ответ: Контрмеры"), "контрмеры");
        assert_eq!(normalize_subject("Re: Re: "), "");
        assert_eq!(
            normalize_subject("Note: this is not a prefix"),
            "note: this is not a prefix"
        );
        assert!(!subject_is_distinctive("re"));
        assert!(subject_is_distinctive("budget"));
        assert!(!subject_is_distinctive("no subject"));
    }
}

//! Correspondents: who wrote, who received, under which names, when, and
//! who wrote to whom. Read-only queries over `messages` and `addresses`.
//!
//! A *person* is one address compared in lower case: `Ivan@X.example` and
//! `ivan@x.example` are one person; two different addresses are never merged,
//! even under the same display name (that is reported as a hint,
//! [`Person::same_name`]). Only the roles From, To, Cc and Bcc count
//! (Reply-To does not). A message whose From has no address (a garbled
//! header) has no sender: it is counted in [`People::without_sender`] and
//! still counts as received by its recipients.
//!
//! Every query can be restricted to a [`Selection`] of messages (the hits of
//! a search), kept in a temporary table of the catalog's connection.

use crate::catalog::{Catalog, sql_err};
use crate::error::Result;
use rusqlite::params;
use serde::Serialize;
use std::collections::HashMap;

/// The roles that make someone a correspondent of a message.
const ROLES: &str = "('from', 'to', 'cc', 'bcc')";
/// The recipient roles.
const RECIPIENT_ROLES: &str = "('to', 'cc', 'bcc')";
/// Display names with the number of messages each appears in.
type NameCounts = Vec<(String, i64)>;

/// How many other addresses [`Person::same_name`] lists at most.
pub const SAME_NAME_MAX: usize = 5;

/// A set of messages that the queries of this module are restricted to;
/// made by [`Catalog::select_messages`]. Only the latest selection of a
/// catalog is valid.
#[derive(Debug)]
pub struct Selection {
    messages: u64,
}

impl Selection {
    /// Number of catalog messages in the selection.
    pub fn len(&self) -> u64 {
        self.messages
    }

    /// True when no message was selected.
    pub fn is_empty(&self) -> bool {
        self.messages == 0
    }
}

/// One correspondent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    /// The address, lower case.
    pub address: String,
    /// Display names the address sent under (From), most frequent first; for
    /// an address that never sent under a name, the names its
    /// correspondents gave it.
    pub names: Vec<String>,
    /// Messages in which the address is a sender or a recipient (a message
    /// counts once even when it lists the address twice).
    pub messages: u64,
    /// Messages with the address in From.
    pub sent: u64,
    /// Messages with the address in To, Cc or Bcc.
    pub received: u64,
    /// Earliest date of those messages, UTC seconds (undated messages have
    /// none and are left out of the dates, not of the counts).
    pub first_date: Option<i64>,
    /// Latest date, UTC seconds.
    pub last_date: Option<i64>,
    /// Other addresses that sent under one of the display names this
    /// address sent under (names of two words or more, compared in lower
    /// case), busiest first, at most [`SAME_NAME_MAX`]: possibly the same
    /// person, never merged.
    pub same_name: Vec<String>,
}

/// Every correspondent of a set of messages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct People {
    /// Messages considered.
    pub messages: u64,
    /// Of those, messages whose From carries no address.
    pub without_sender: u64,
    /// The correspondents, by address.
    pub people: Vec<Person>,
}

/// Messages from one sender to one recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edge {
    /// Sender address, lower case.
    pub source: String,
    /// Recipient address (To, Cc or Bcc), lower case.
    pub target: String,
    /// Messages from `source` with `target` among the recipients.
    pub messages: u64,
}

/// The date and first sender of a message, for timelines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageDate {
    /// UTC seconds, if the message is dated.
    pub date_utc: Option<i64>,
    /// Offset of the original Date header, seconds east of UTC.
    pub date_offset: Option<i32>,
    /// First From address, lower case.
    pub sender: Option<String>,
}

impl Catalog {
    /// Restricts the queries of this module to the messages with these
    /// catalog keys (unknown keys are ignored). Replaces any earlier
    /// selection. Works on a read-only catalog (the table is temporary).
    pub fn select_messages(&self, keys: &[u64]) -> Result<Selection> {
        let e = sql_err(&self.path);
        self.conn
            .execute_batch(
                "CREATE TEMP TABLE IF NOT EXISTS mailcite_selection (key INTEGER PRIMARY KEY);
                 DELETE FROM temp.mailcite_selection;",
            )
            .map_err(&e)?;
        self.conn.execute_batch("BEGIN").map_err(&e)?;
        let inserted = (|| -> rusqlite::Result<()> {
            let mut st = self
                .conn
                .prepare("INSERT OR IGNORE INTO temp.mailcite_selection (key) VALUES (?1)")?;
            for &k in keys {
                if let Ok(k) = i64::try_from(k) {
                    st.execute([k])?;
                }
            }
            Ok(())
        })();
        match inserted {
            Ok(()) => self.conn.execute_batch("COMMIT").map_err(&e)?,
            Err(err) => {
                let _ = self.conn.execute_batch("ROLLBACK");
                return Err(e(err));
            }
        }
        let messages: i64 = self
            .conn
            .query_row(
                "SELECT COUNT(*) FROM messages WHERE id IN (SELECT key FROM temp.mailcite_selection)",
                [],
                |r| r.get(0),
            )
            .map_err(&e)?;
        Ok(Selection {
            messages: u64::try_from(messages).unwrap_or(0),
        })
    }

    /// Every correspondent of the selected messages (all messages with
    /// `None`), sorted by address.
    pub fn people(&self, selection: Option<&Selection>) -> Result<People> {
        let e = sql_err(&self.path);
        let filter = |col: &str| filter_clause(selection, col);
        let count = |sql: String| -> Result<u64> {
            let n: i64 = self.conn.query_row(&sql, [], |r| r.get(0)).map_err(&e)?;
            Ok(u64::try_from(n).unwrap_or(0))
        };
        let messages = count(format!(
            "SELECT COUNT(*) FROM messages m WHERE 1 {}",
            filter("m.id")
        ))?;
        let without_sender = count(format!(
            "SELECT COUNT(*) FROM messages m WHERE NOT EXISTS (
               SELECT 1 FROM addresses a WHERE a.message = m.id AND a.role = 'from'
                 AND a.address IS NOT NULL AND a.address <> '') {}",
            filter("m.id")
        ))?;

        let mut people: Vec<Person> = Vec::new();
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT lower(a.address),
                        COUNT(DISTINCT a.message),
                        COUNT(DISTINCT CASE WHEN a.role = 'from' THEN a.message END),
                        COUNT(DISTINCT CASE WHEN a.role <> 'from' THEN a.message END),
                        MIN(m.date_utc), MAX(m.date_utc)
                 FROM addresses a JOIN messages m ON m.id = a.message
                 WHERE a.role IN {ROLES} AND a.address IS NOT NULL AND a.address <> '' {}
                 GROUP BY lower(a.address) ORDER BY lower(a.address)",
                filter("a.message")
            ))
            .map_err(&e)?;
        let rows = st
            .query_map([], |r| {
                Ok(Person {
                    address: r.get(0)?,
                    names: Vec::new(),
                    messages: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                    sent: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                    received: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
                    first_date: r.get(4)?,
                    last_date: r.get(5)?,
                    same_name: Vec::new(),
                })
            })
            .map_err(&e)?;
        for row in rows {
            people.push(row.map_err(&e)?);
        }

        // Display names per address, most frequent first: the names it
        // sent under, or, when it never sent under a name, the names its
        // correspondents wrote (the two are not mixed: mailers often put a
        // list's or a previous writer's name before an address).
        let mut names: HashMap<String, (NameCounts, NameCounts)> = HashMap::new();
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT lower(a.address), a.role = 'from', trim(a.name), COUNT(DISTINCT a.message)
                 FROM addresses a
                 WHERE a.role IN {ROLES} AND a.address IS NOT NULL AND a.address <> ''
                   AND a.name IS NOT NULL AND trim(a.name) <> '' {}
                 GROUP BY lower(a.address), a.role = 'from', trim(a.name)",
                filter("a.message")
            ))
            .map_err(&e)?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, bool>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                ))
            })
            .map_err(&e)?;
        for row in rows {
            let (address, from, name, n) = row.map_err(&e)?;
            // A "name" that is only the address again says nothing.
            if name.trim_matches(['<', '>', '"', '\'']).to_lowercase() == address {
                continue;
            }
            let entry = names.entry(address).or_default();
            // Unique within each list: the query groups by name and role.
            if from {
                entry.0.push((name, n));
            } else {
                entry.1.push((name, n));
            }
        }
        // Whether `names` are the person's own (From) names.
        let mut own = vec![false; people.len()];
        for (p, own) in people.iter_mut().zip(&mut own) {
            if let Some((from, others)) = names.remove(&p.address) {
                *own = !from.is_empty();
                let mut list = if from.is_empty() { others } else { from };
                list.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                p.names = list.into_iter().map(|(n, _)| n).collect();
            }
        }
        // Addresses that sent under the same display name of two words or
        // more (compared in lower case; "Alan" alone says too little).
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, p) in people.iter().enumerate() {
            if !own[i] {
                continue;
            }
            for n in &p.names {
                if distinctive(n) {
                    let list = by_name.entry(n.to_lowercase()).or_default();
                    if list.last() != Some(&i) {
                        list.push(i);
                    }
                }
            }
        }
        for i in 0..people.len() {
            if !own[i] {
                continue;
            }
            let mut others: Vec<usize> = people[i]
                .names
                .iter()
                .filter(|n| distinctive(n))
                .filter_map(|n| by_name.get(&n.to_lowercase()))
                .flatten()
                .copied()
                .filter(|&j| j != i)
                .collect();
            others.sort_unstable();
            others.dedup();
            // The busiest first: the likelier counterpart.
            others.sort_by(|&a, &b| people[b].messages.cmp(&people[a].messages).then(a.cmp(&b)));
            others.truncate(SAME_NAME_MAX);
            people[i].same_name = others
                .into_iter()
                .map(|j| people[j].address.clone())
                .collect();
        }
        Ok(People {
            messages,
            without_sender,
            people,
        })
    }

    /// Who wrote to whom: one edge per (From address, To/Cc/Bcc address)
    /// pair, weighted by the number of messages; sorted by weight, heaviest
    /// first, then by addresses.
    pub fn correspondence(&self, selection: Option<&Selection>) -> Result<Vec<Edge>> {
        let e = sql_err(&self.path);
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT lower(f.address), lower(r.address), COUNT(DISTINCT f.message)
                 FROM addresses f JOIN addresses r ON r.message = f.message
                 WHERE f.role = 'from' AND f.address IS NOT NULL AND f.address <> ''
                   AND r.role IN {RECIPIENT_ROLES} AND r.address IS NOT NULL AND r.address <> '' {}
                 GROUP BY lower(f.address), lower(r.address)",
                filter_clause(selection, "f.message")
            ))
            .map_err(&e)?;
        let rows = st
            .query_map(params![], |r| {
                Ok(Edge {
                    source: r.get(0)?,
                    target: r.get(1)?,
                    messages: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                })
            })
            .map_err(&e)?;
        let mut edges = Vec::new();
        for row in rows {
            edges.push(row.map_err(&e)?);
        }
        edges.sort_by(|a, b| {
            b.messages
                .cmp(&a.messages)
                .then_with(|| a.source.cmp(&b.source))
                .then_with(|| a.target.cmp(&b.target))
        });
        Ok(edges)
    }

    /// The date and first sender address of every selected message, in
    /// catalog order.
    pub fn message_dates(&self, selection: Option<&Selection>) -> Result<Vec<MessageDate>> {
        let e = sql_err(&self.path);
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT m.date_utc, m.date_offset,
                        (SELECT lower(a.address) FROM addresses a
                          WHERE a.message = m.id AND a.role = 'from'
                            AND a.address IS NOT NULL AND a.address <> ''
                          ORDER BY a.pos LIMIT 1)
                 FROM messages m WHERE 1 {} ORDER BY m.id",
                filter_clause(selection, "m.id")
            ))
            .map_err(&e)?;
        let rows = st
            .query_map([], |r| {
                Ok(MessageDate {
                    date_utc: r.get(0)?,
                    date_offset: r.get(1)?,
                    sender: r.get(2)?,
                })
            })
            .map_err(&e)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row.map_err(&e)?);
        }
        Ok(out)
    }
}

/// A display name worth comparing across addresses: two words or more.
fn distinctive(name: &str) -> bool {
    name.split_whitespace()
        .filter(|w| w.chars().any(char::is_alphabetic))
        .count()
        >= 2
}

/// `AND col IN (selection)` when a selection applies.
fn filter_clause(selection: Option<&Selection>, col: &str) -> String {
    match selection {
        Some(_) => format!("AND {col} IN (SELECT key FROM temp.mailcite_selection)"),
        None => String::new(),
    }
}

//! Command-line definitions (clap types only).

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Exit status:
  0  success (for `search`: at least one hit)
  1  `search` found nothing
  2  error: unreadable input path, unwritable or incompatible archive, bad query

The archive is the directory given by --archive, else $MAILCITE_ARCHIVE, else
./mailcite-archive. It holds the raw messages (content-addressed, compressed),
the SQLite catalog of where every copy came from, and the search index.";

/// mailcite: import leaked email without losing a message, search it,
/// check it, and cite it.
#[derive(Parser, Debug)]
#[command(name = "mailcite", version, about, long_about = None, after_help = AFTER_HELP)]
pub struct Cli {
    /// Archive directory [env: MAILCITE_ARCHIVE] [default: ./mailcite-archive]
    #[arg(long, global = true, value_name = "DIR")]
    pub archive: Option<PathBuf>,

    /// No progress bars or chatter on stderr.
    #[arg(long, short, global = true)]
    pub quiet: bool,

    /// When to colour output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// When to use colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal only.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Import mbox files, Maildir and MH folders, .eml files and whole trees
    /// of them (compressed or not) into the archive.
    #[command(long_about = IMPORT_HELP)]
    Import(ImportArgs),
    /// Show what the archive holds: messages, copies, sources, dates, sizes.
    Stats(StatsArgs),
    /// Search the archive: words, phrases, people, dates, attachments, in any
    /// language. Newest first.
    #[command(long_about = SEARCH_HELP, after_help = SEARCH_AFTER)]
    Search(SearchArgs),
    /// Rebuild the search index from the archive alone.
    Reindex(ReindexArgs),
    /// Show one message: headers, decoded text, attachments, and where every
    /// copy of it came from.
    #[command(long_about = SHOW_HELP)]
    Show(ShowArgs),
    /// Show the conversation a message belongs to, as an indented tree.
    Thread(ThreadArgs),
    /// Published articles: add one and find the messages it quotes; list,
    /// show, remove.
    #[command(subcommand)]
    Article(ArticleCommand),
    /// Record by hand that an article quotes a passage of a message (the
    /// passage must be in the message).
    Cite(CiteArgs),
    /// Export cited passages with their full provenance, for editors and
    /// lawyers: Markdown footnotes, JSON, CSV or a standalone HTML file.
    #[command(long_about = EXPORT_HELP)]
    Export(ExportArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    ///
    /// Example: mailcite completions bash > /etc/bash_completion.d/mailcite
    Completions(CompletionsArgs),
    /// Print the manual page (roff) generated from this help.
    ///
    /// Example: mailcite man > mailcite.1 && man ./mailcite.1
    Man,
    /// Prove nothing changed since import: re-hash every stored message and
    /// check that catalog, store and index agree. Exit status 1 on any problem.
    #[command(long_about = VERIFY_HELP)]
    Verify(VerifyArgs),
    /// Check the DKIM and ARC signatures of messages against the archived
    /// keys (offline), and store the results.
    #[command(long_about = DKIM_HELP)]
    Dkim(DkimArgs),
    /// The archive's DKIM key store: add archived public keys, list them.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// List correspondents: address, names used, messages sent and received,
    /// first and last date. Optionally only in the messages a search matches.
    #[command(long_about = PEOPLE_HELP, after_help = PEOPLE_AFTER)]
    People(PeopleArgs),
    /// Export who wrote to whom, with message counts, as GraphML (Gephi),
    /// DOT (Graphviz) or CSV.
    #[command(long_about = GRAPH_HELP, after_help = GRAPH_AFTER)]
    Graph(GraphArgs),
    /// Messages per day, week, month or year as a chart in the terminal, as
    /// JSON or as an SVG file; optionally one line per top sender.
    #[command(long_about = TIMELINE_HELP, after_help = TIMELINE_AFTER)]
    Timeline(TimelineArgs),
    /// Browse the archive in a web browser: search with facets, read
    /// messages (remote content blocked), threads, articles, citations.
    #[command(long_about = SERVE_HELP)]
    Serve(ServeArgs),
}

const VERIFY_HELP: &str = "\
Prove that nothing in the archive changed since import.

Re-reads every stored message and checks it still hashes to its SHA-256 id,
checks that every pack the catalog relies on is whole, that catalog and store
agree (no message without its object, no stored block that no message
uses), and that the search index holds exactly the catalog's messages.
Every problem is reported with the message's provenance (where each copy
came from). Exit status 1 when anything is wrong, 0 when all is well.

--repair fixes what can be fixed without trusting anything but the original
files: a damaged or missing object is read again from a source file that
still holds it (its bytes must hash to the message's id, so a changed source
is never used), and a search index that disagrees with the catalog is rebuilt.

Examples:
  mailcite verify
  mailcite verify --json > verify-2026-11-28.json
  mailcite verify --repair";

const DKIM_HELP: &str = "\
Check the DKIM signatures (and ARC sets) of messages against the public keys
archived with `mailcite keys add`, store one result per signature, and print
them. Import already checks every new message; run this after adding keys,
or on an archive made by an older mailcite.

Results: pass (the signed headers and body are exactly as signed); fail
(body hash mismatch: the body was altered after signing; signature mismatch:
signed headers were altered); nokey (no archived key for the selector: add
it); revoked (the archived record has an empty p=); expired (a valid
signature whose x= expiry lies in the past: old mail is not forged because
its signature expired); weak (a valid signature by an RSA key under 1024
bits, which can be forged today); invalid (the signature header cannot be
read); none (unsigned). A signature with l= that leaves part of the body
unsigned is reported as such: text after the signed length could have been
added by anyone.

Nothing is looked up on the network unless you pass --dns.

QUERY narrows the messages, in the search language (`from:example.com`).

Examples:
  mailcite keys add keys/example.com.zone && mailcite dkim
  mailcite dkim from:example.com
  mailcite dkim --json dkim:nokey
  mailcite search dkim:fail";

/// Arguments of `dkim`.
#[derive(Args, Debug)]
pub struct DkimArgs {
    /// Only messages matching this query (the `search` language).
    #[arg(value_name = "QUERY")]
    pub query: Vec<String>,

    /// Fetch keys that are missing from the archive from DNS and archive
    /// them. WARNING: a DNS look-up of selector._domainkey.DOMAIN tells the
    /// domain's owner (and anyone watching the network) that someone is
    /// checking their mail now. Today's key may also differ from the one that
    /// signed old mail (keys are rotated).
    #[arg(long)]
    pub dns: bool,

    /// Also list unsigned messages.
    #[arg(long)]
    pub all: bool,

    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `keys` subcommands.
#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Add archived DKIM public keys from files: DNS zone-file lines
    /// (`sel._domainkey.example.com. IN TXT "v=DKIM1; k=rsa; p=..."`), `dig`
    /// output, or JSON (`[{"domain", "selector", "record", "first_seen",
    /// "last_seen"}]`). Messages signed with these keys are checked again.
    ///
    /// Example: mailcite keys add example.com-2009.zone keys.json
    Add(KeysAddArgs),
    /// List the archived keys.
    List(KeysListArgs),
}

/// Arguments of `keys add`.
#[derive(Args, Debug)]
pub struct KeysAddArgs {
    /// Key files.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,

    /// Print a summary as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `keys list`.
#[derive(Args, Debug)]
pub struct KeysListArgs {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

const IMPORT_HELP: &str = "\
Import mbox files, Maildir and MH folders, .eml files and whole trees of them
into the archive.

Formats are detected by content, not by name: mbox (mboxo, mboxrd, mboxcl,
mboxcl2), MMDF, Maildir and Maildir++ (cur/ and new/, flags and folders
recorded), MH folders, single message files of any name, directories of
one-message-per-file (the Enron layout), in any mix and depth, each possibly
compressed with gzip, xz, bzip2 or zstd. Files that are not mail are skipped
and listed with the reason.

Every message found is accounted for: imported (new bytes, stored under their
SHA-256), duplicate (the same bytes are already in the archive; this copy's
location is recorded too), or failed (with its index, byte offset and reason).
Importing the same files again adds nothing. An interrupted import can simply
be run again: it resumes and ends with the same archive.

Examples:
  mailcite import leak/                      everything under leak/
  mailcite import inbox.mbox.gz ~/Maildir    a compressed mbox and a Maildir
  mailcite --archive case42 import dump/     into the archive ./case42
  mailcite import --json leak/ > report.json per-container accounting as JSON";

/// Arguments of `import`.
#[derive(Args, Debug)]
pub struct ImportArgs {
    /// Files and directories to import.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Treat every mbox as this variant instead of detecting it.
    #[arg(long, value_name = "VARIANT", value_parser = ["mboxo", "mboxrd", "mboxcl", "mboxcl2"])]
    pub mbox_variant: Option<String>,

    /// Print the accounting as JSON (schema in docs/json-schema.md).
    #[arg(long)]
    pub json: bool,

    /// Show every failure and warning, not only the first few per container.
    #[arg(long, short)]
    pub verbose: bool,

    /// Largest message kept, in bytes (default 1 GiB); a larger one is
    /// counted as failed, with its index, offset and size, and the import
    /// goes on. Memory use grows with this limit.
    #[arg(long, value_name = "BYTES", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_message_bytes: Option<u64>,

    /// Messages per committed batch (tests use small batches to stop an
    /// import at many points).
    #[arg(long, value_name = "N", hide = true, value_parser = clap::value_parser!(u64).range(1..))]
    pub batch_messages: Option<u64>,
}

/// Arguments of `stats`.
#[derive(Args, Debug)]
pub struct StatsArgs {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,

    /// Also list every source container with its counts.
    #[arg(long)]
    pub sources: bool,
}

const SEARCH_HELP: &str = "\
Search the archive. Every hit shows a short id (give it to `mailcite show`),
the date in the zone it was written in, the sender, the subject and the best
matching passage.

QUERY LANGUAGE
  budget report          both words (in any field), in any order
  \"active countermeasures\"  the exact phrase
  lubyanka OR kgb        either word; also `|`
  -draft, NOT draft      without the word
  (a OR b) c             parentheses group
  from:anna              sender by name, address or @domain: from:@example.org
  to: cc: bcc:           recipients, same forms
  subject:  body:        only the subject / only the writer's own text
  quoted:               only quoted text (> lines, forwarded and original messages)
  attachment:invoice     attachment file names;  type:pdf  MIME type
  has:attachment         messages with attachments
  id:<msg-id>            by Message-ID (with or without <>) or SHA-256 prefix
  thread:ID              the conversation of a message (id, prefix or Message-ID)
  folder:Sent  source:leak.mbox   where the copies were found (folder: matches
                         any part of the folder path: Sent, alice/Sent)
  lang:ru                detected language (ISO 639-1 or 639-3 code)
  cited:yes  cited:no    cited by an article or not;  article:1  cited by article 1
  date:2009  date:2009-07  date:2009-07-15
  date:2009-01..2009-06-30   a range; either side may be left open
  before:2009-07-15  after:2009-07-01   dates are in UTC
  counter*               prefix;   countermesures~1   fuzzy (1 or 2 edits, not stemmed)

Words match regardless of case and accents, and by their stem in the
message's language (English, Russian, German, French, Spanish and 13 more,
detected per message): `countermeasure` finds \"countermeasures\",
`контрмеры` finds \"контрмерами\". Chinese, Japanese and Korean text is
matched by character pairs.";

const SEARCH_AFTER: &str = "\
Examples:
  mailcite search 'countermeasures from:@borealis-shipping.example'
  mailcite search '\"per a big request\" date:2009-07'
  mailcite search --sort relevance --limit 50 lubyanka
  mailcite search --json 'has:attachment type:pdf' | jq '.hits[].id'
  mailcite search --count 'to:anna.berg@nordlicht-trade.example'

Exit status: 0 when something matched, 1 when nothing did, 2 on an error
(including a query that cannot be parsed: the message points at the problem).";

/// Arguments of `search`.
#[derive(Args, Debug)]
pub struct SearchArgs {
    /// The query (see QUERY LANGUAGE below). Several arguments are joined
    /// with spaces. A query that starts with `-` goes after `--`:
    /// `mailcite search -- -draft budget`.
    #[arg(required = true, value_name = "QUERY")]
    pub query: Vec<String>,

    /// Order of hits.
    #[arg(long, value_enum, default_value_t = SortArg::Date)]
    pub sort: SortArg,

    /// Number of hits to show.
    #[arg(long, short = 'n', default_value_t = 20)]
    pub limit: usize,

    /// Hits to skip (for paging).
    #[arg(long, default_value_t = 0)]
    pub offset: usize,

    /// Only print the number of matching messages.
    #[arg(long, conflicts_with = "facets")]
    pub count: bool,

    /// Also count matches per year and month and list the top senders.
    #[arg(long)]
    pub facets: bool,

    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Sort orders of `search`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SortArg {
    /// Newest first.
    #[value(name = "date", alias = "-date")]
    Date,
    /// Oldest first.
    #[value(name = "date-asc", alias = "+date")]
    DateAsc,
    /// Best match first.
    Relevance,
}

/// Arguments of `reindex`.
#[derive(Args, Debug)]
pub struct ReindexArgs {
    /// Print a summary as JSON.
    #[arg(long)]
    pub json: bool,

    /// Flag messages whose Date header is more than this far from the first
    /// Received hop (`anomaly:date`): seconds, or a number with s, m, h or d
    /// (`36h`, `2d`). Remembered by the archive. Default 1d.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub max_date_skew: Option<i64>,
}

/// Parses `90`, `90s`, `15m`, `36h`, `2d` into seconds.
pub fn parse_duration(s: &str) -> Result<i64, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: i64 = num
        .parse()
        .map_err(|_| format!("\"{s}\" is not a duration; use e.g. 3600, 90m, 36h or 2d"))?;
    let mult = match unit.trim() {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        other => return Err(format!("unknown unit \"{other}\"; use s, m, h or d")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("\"{s}\" is too long"))
}

const SHOW_HELP: &str = "\
Show one message: headers (dates in the zone they were written in), the
decoded text (HTML converted to text; nothing remote is ever loaded), the
attachments, and every occurrence: the container, message index, byte offset
and From_ line of each copy found.

ID is the message's SHA-256, a unique prefix of it (at least 8 hex digits), or
its Message-ID (with or without <>).

Examples:
  mailcite show 3f2a9c1e
  mailcite show '<harbour-1@borealis-shipping.example>'
  mailcite show 3f2a9c1e --raw > original.eml
  mailcite show 3f2a9c1e --headers     every header, and the Received hops
  mailcite show 3f2a9c1e --attachment 1  the text of its first attachment
  mailcite show 3f2a9c1e --save out/     write its attachments to out/

Authenticity: the DKIM and ARC result of every signature (see `mailcite dkim`)
and a warning when the Date header is far from the first Received hop.";

/// Arguments of `show`.
#[derive(Args, Debug)]
pub struct ShowArgs {
    /// SHA-256, unique prefix (8+ hex digits) or Message-ID.
    pub id: String,

    /// Write the original bytes, exactly as stored, to stdout.
    #[arg(long, conflicts_with = "json")]
    pub raw: bool,

    /// Also list every header as written, and the Received chain: each hop
    /// with its timestamp and the gap to the Date header.
    #[arg(long)]
    pub headers: bool,

    /// Print the text extracted from attachment N (as numbered in `show`):
    /// PDF, Word, Excel, PowerPoint, OpenDocument, RTF, text, HTML or an
    /// attached message.
    #[arg(long, value_name = "N", conflicts_with = "raw")]
    pub attachment: Option<usize>,

    /// Save the attachments (only N with --attachment N) into DIR, under
    /// safe file names (no path can leave DIR; an existing file is never
    /// overwritten: a number is added).
    #[arg(long, value_name = "DIR", conflicts_with = "raw")]
    pub save: Option<std::path::PathBuf>,

    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `thread`.
#[derive(Args, Debug)]
pub struct ThreadArgs {
    /// Any message of the conversation: SHA-256, prefix or Message-ID.
    pub id: String,

    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,

    /// Re-read damaged or missing objects from their source files (when
    /// still present and unchanged) and rebuild a disagreeing index.
    #[arg(long)]
    pub repair: bool,
}

/// Arguments of `completions`.
#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// `article` subcommands.
#[derive(Subcommand, Debug)]
pub enum ArticleCommand {
    /// Add an article (plain text, Markdown or HTML) and link every passage it
    /// quotes to the message it came from.
    #[command(long_about = ARTICLE_ADD_HELP)]
    Add(ArticleAddArgs),
    /// List the articles with their citation counts.
    List(JsonArg),
    /// Show an article: its citations (with their messages) and the quotes
    /// no message contains.
    Show(ArticleRefArgs),
    /// Remove an article and its citations (messages are never removed).
    Remove(ArticleRefArgs),
}

const ARTICLE_ADD_HELP: &str = "\
Add an article and link every passage it quotes to its source message.

Quoted passages are found in quotation marks of every common style (\" \",
“ ”, « », „ “, ‚ ‘, ‹ ›, 「 」), in block quotes (Markdown `>`, HTML
<blockquote>), and as unmarked runs of 8 or more words the article shares with
a message. Each passage is looked up in the index and verified on the
message's decoded text, allowing for line wrapping, case, quote marks and
dashes, `> ` prefixes, hyphenation, `...` joining parts and [bracketed]
insertions (those are `normalized` or `fuzzy` matches, with a score). When
several messages contain a passage, the one where it is the writer's own text,
earliest, is chosen; the others are listed. Title, date and URL are read from
HTML metadata when present; the options override them.

Examples:
  mailcite article add story.html
  mailcite article add draft.md --title 'Ministry pressed shipping firm' --outlet 'The Courier'
  mailcite article add story.txt --json";

/// Arguments of `article add`.
#[derive(Args, Debug)]
pub struct ArticleAddArgs {
    /// The article: .txt, .md or .html (detected by content).
    pub file: PathBuf,
    /// Title (default: from the HTML or Markdown, else the file name).
    #[arg(long)]
    pub title: Option<String>,
    /// Outlet (publication).
    #[arg(long)]
    pub outlet: Option<String>,
    /// URL of the published article.
    #[arg(long)]
    pub url: Option<String>,
    /// Publication date.
    #[arg(long)]
    pub published: Option<String>,
    /// Author.
    #[arg(long)]
    pub author: Option<String>,
    /// Lowest similarity (0-1) accepted for an edited quote.
    #[arg(long, default_value_t = 0.85)]
    pub min_score: f32,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Just `--json`.
#[derive(Args, Debug)]
pub struct JsonArg {
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// An article id.
#[derive(Args, Debug)]
pub struct ArticleRefArgs {
    /// Article id (see `mailcite article list`).
    pub id: i64,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `cite`.
#[derive(Args, Debug)]
pub struct CiteArgs {
    /// The message: SHA-256, prefix or Message-ID.
    pub id: String,
    /// The article that quotes it.
    #[arg(long, value_name = "ARTICLE")]
    pub article: i64,
    /// The passage as quoted.
    #[arg(long)]
    pub passage: String,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

const EXPORT_HELP: &str = "\
Export cited passages with everything an editor or lawyer needs to check
them: the exact passage with context, Message-ID, Date in its original zone,
From, To, Cc, Subject, the SHA-256 of the raw message, every occurrence
(source file, index and byte offset), and the authenticity status when the
archive knows it.

  --format markdown   footnotes to paste under an article
  --format json       one object per citation
  --format csv        one row per citation
  --format html       one standalone, script-free file (nothing remote)

Examples:
  mailcite export --article 1 > sources.md
  mailcite export --article 1 --format html --out sources.html
  mailcite export --query 'from:@borealis-shipping.example countermeasures' --format csv";

/// Export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Markdown footnotes.
    Markdown,
    /// JSON.
    Json,
    /// CSV.
    Csv,
    /// Standalone HTML.
    Html,
}

/// Arguments of `export`.
#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Export the citations of this article.
    #[arg(long, required_unless_present = "query", conflicts_with = "query")]
    pub article: Option<i64>,
    /// Export the best passage of each hit of this search.
    #[arg(long)]
    pub query: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExportFormat::Markdown)]
    pub format: ExportFormat,
    /// Characters of context on each side of a passage.
    #[arg(long, default_value_t = 200)]
    pub context: usize,
    /// Hits to export with --query.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Write to this file instead of stdout.
    #[arg(long, short)]
    pub out: Option<PathBuf>,
}

const PEOPLE_HELP: &str = "\
List the correspondents of the archive: each address with the display names
it sent under (for an address that never did, the names others gave it), the
messages it sent (From) and received (To, Cc, Bcc), and the first and last
date it appears (UTC dates).

An address is one person whatever its case (Ivan@X.example = ivan@x.example).
Different addresses are never merged, even under the same display name:
`[same name as ...]` points at other addresses that sent under one of the
same names (of two words or more), so you can decide.
A message whose From has no usable address (a garbled header) has no sender:
it is counted in the summary line and still counts as received by its
recipients. Reply-To is not counted. Undated messages count in the totals but
not in the first and last dates.

With a QUERY (the language of `mailcite search`), only the messages it
matches are counted.";

const PEOPLE_AFTER: &str = "\
Examples:
  mailcite people                                   everyone, busiest first
  mailcite people 'date:2009-07 countermeasures'    who took part in those messages
  mailcite people --sort first --limit 20           the earliest correspondents
  mailcite people --csv > people.csv                for a spreadsheet
  mailcite people --json | jq '.people[0]'

Exit status: 0 on success, 1 when a QUERY matches no message, 2 on an error
(including a query that cannot be parsed).";

/// Sort orders of `people`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum PeopleSort {
    /// Most messages (sent + received, each message once) first.
    Messages,
    /// Most messages sent first.
    Sent,
    /// Most messages received first.
    Received,
    /// By address, A to Z.
    Address,
    /// Earliest first appearance first.
    First,
    /// Latest last appearance first.
    Last,
}

/// Arguments of `people`.
#[derive(Args, Debug)]
pub struct PeopleArgs {
    /// Only count the messages matching this search query (see `mailcite
    /// search --help`). Several arguments are joined with spaces.
    #[arg(value_name = "QUERY")]
    pub query: Vec<String>,

    /// Order of the list.
    #[arg(long, value_enum, default_value_t = PeopleSort::Messages)]
    pub sort: PeopleSort,

    /// Number of people to list (default: 50 on the terminal, all with
    /// --json and --csv; 0 means all).
    #[arg(long, short = 'n')]
    pub limit: Option<usize>,

    /// Print as JSON.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,

    /// Print as CSV (address, names, messages, sent, received, first_date,
    /// last_date, same_name).
    #[arg(long)]
    pub csv: bool,
}

const GRAPH_HELP: &str = "\
Export the correspondence network: one node per address (compared in lower
case; different addresses are never merged), one directed edge from the
sender of a message to each of its recipients (To, Cc and Bcc), weighted by
the number of messages. Nodes carry the address, the display names used and
the messages sent and received; only addresses at either end of a kept edge
are nodes.

  --format graphml   GraphML for Gephi, yEd, Cytoscape, networkx (`weight`
                     attribute on edges; label, names, sent, received on nodes)
  --format dot       Graphviz: `dot -Tsvg graph.dot > graph.svg`; the edge
                     label and pen width show the count
  --format csv       edges only: source,target,messages

With a QUERY (the language of `mailcite search`), only the messages it
matches are counted.";

const GRAPH_AFTER: &str = "\
Examples:
  mailcite graph --out network.graphml                 open in Gephi
  mailcite graph 'date:2009' --format dot --min-weight 2 | dot -Tsvg > 2009.svg
  mailcite graph 'from:@borealis-shipping.example' --format csv > edges.csv

Exit status: 0 on success, 1 when a QUERY matches no message, 2 on an error.";

/// Formats of `graph`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// GraphML (XML), for Gephi and most graph tools.
    Graphml,
    /// Graphviz DOT.
    Dot,
    /// CSV edge list: source,target,messages.
    Csv,
}

/// Arguments of `graph`.
#[derive(Args, Debug)]
pub struct GraphArgs {
    /// Only count the messages matching this search query. Several
    /// arguments are joined with spaces.
    #[arg(value_name = "QUERY")]
    pub query: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = GraphFormat::Graphml)]
    pub format: GraphFormat,

    /// Leave out edges with fewer messages than this.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub min_weight: u64,

    /// Write to this file instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

const TIMELINE_HELP: &str = "\
Count messages per day, week, month or year and draw them: a bar chart in the
terminal, JSON with --json, or an SVG chart (axes, dates, counts; one
self-contained file) with --out FILE.svg.

Buckets are chosen from the span of the dates unless --bucket says otherwise:
under 60 days per day, under 2 years per week (weeks start on Monday), under
25 years per month, else per year. Every bucket between the first and last
date is shown, empty ones as 0.

Dates are bucketed by their UTC date (a message written at 01:00 +0300 on
the 2nd counts on the 1st), the same convention as `date:` in queries.
Messages without a date are counted and reported separately, never dropped.

With --by sender, the top senders (--top, default 5) get one line each in the
SVG, and one sparkline each in the terminal.

With a QUERY (the language of `mailcite search`), only the messages it
matches are counted.";

const TIMELINE_AFTER: &str = "\
Examples:
  mailcite timeline                                   the whole archive
  mailcite timeline 'countermeasures' --bucket day
  mailcite timeline 'from:@borealis-shipping.example' --out borealis.svg
  mailcite timeline --by sender --top 8 --out senders.svg
  mailcite timeline --json | jq '.buckets[] | select(.count > 100)'

Exit status: 0 on success, 1 when a QUERY matches no message, 2 on an error.";

/// Bucket sizes of `timeline`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum BucketArg {
    /// One UTC day.
    Day,
    /// One week, Monday to Sunday (UTC).
    Week,
    /// One calendar month (UTC).
    Month,
    /// One calendar year (UTC).
    Year,
}

/// What `timeline --by` splits by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum TimelineBy {
    /// The first From address of each message.
    Sender,
}

/// Arguments of `timeline`.
#[derive(Args, Debug)]
pub struct TimelineArgs {
    /// Only count the messages matching this search query. Several
    /// arguments are joined with spaces.
    #[arg(value_name = "QUERY")]
    pub query: Vec<String>,

    /// Bucket size (default: chosen from the span of the dates).
    #[arg(long, value_enum)]
    pub bucket: Option<BucketArg>,

    /// One series per top sender.
    #[arg(long, value_enum, value_name = "WHAT")]
    pub by: Option<TimelineBy>,

    /// Number of senders with --by sender.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub top: usize,

    /// Write an SVG chart to this file (the terminal then gets a one-line
    /// summary).
    #[arg(long, short, value_name = "FILE.svg")]
    pub out: Option<PathBuf>,

    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

const SERVE_HELP: &str = "\
Browse the archive in a web browser, on this computer only.

Starts a web server on 127.0.0.1 (this computer) and prints the address to
open. Pages: search (the query language of `mailcite search`, facets and a
histogram per month), message (headers, text, the HTML sanitized with every
remote load blocked so a tracking pixel cannot reveal the reader,
attachments, provenance, thread, citing articles), thread, articles (add,
citations, export) and citing a selected passage. Nothing is loaded from any
other host; search and reading work without JavaScript.

The server reads the archive while an import runs in another process and
shows new messages once the import commits. Adding an article or a citation
needs the archive's lock: while an import runs, the page says so.

--listen ADDR serves on another address (e.g. 0.0.0.0 for the local
network). Every request must then carry a random token printed at start: open
the printed address once, the browser keeps it in a cookie.

Examples:
  mailcite serve                      # http://127.0.0.1:8025/
  mailcite serve --port 9000
  mailcite serve --listen 0.0.0.0     # other computers, with the token";

/// Arguments of `serve`.
#[derive(Args, Debug)]
pub struct ServeArgs {
    /// Port to listen on (0: any free port; the address is printed).
    #[arg(long, default_value_t = 8025, value_name = "P")]
    pub port: u16,

    /// Serve on this address instead of 127.0.0.1 (an IP address, or
    /// ADDR:PORT); every request must then carry the printed token.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
}

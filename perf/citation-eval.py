#!/usr/bin/env python3
"""Recall and precision of `mailcite article add` on real mailing-list mail.

Mailing-list replies quote their parents. This script takes the quoted lines
of replies as the quotes of synthetic articles, whose right source is known:
the parent message, or an earlier message where the same text is the
writer's own (unquoted) text. For each corpus it

1. imports the corpus into a temporary archive (`mailcite --archive DIR
   import PATH`), unless `--archive DIR` names an existing archive (with one
   corpus; a `--archive` that does not exist yet is created and kept);
2. picks replies in a seeded random order: messages with In-Reply-To whose
   parent Message-ID is in the archive (table `messages` of
   ARCHIVE/catalog.sqlite);
3. reads the decoded text of the reply and of the parent with
   `mailcite show --json ID` and takes from the reply its quoted passages:
   runs of consecutive lines quoted at exactly one level (`>` but not `>>`),
   joined with spaces, without the `> ` prefix. A passage is kept when it has
   at least --min-words words (runs of letters and digits) and occurs in the
   parent's own text: its lines that are not quoted (`>`, `| ` or `: `), not
   reply attributions, and not after an "Original Message" or forwarded
   message separator or an Outlook header block (`From:` then `Sent:`),
   compared as words (case, punctuation, whitespace and line
   wrapping ignored). Left out, and counted: passages with double quotation
   marks (they would end the quote in the article), PGP armor (which the
   index leaves out by design) and short lines with an e-mail address
   (signatures, headers, attributions); at most --per-reply passages are
   taken from one reply, and a passage only once;
4. computes the accepted sources of each passage: the parent (every stored
   copy of its Message-ID holding it), and every message dated before the
   parent whose own text holds it, found with `mailcite search --json` on a
   phrase of the passage (oldest first) and checked with the same test; for
   these, the passage also counts as held without its `[bracketed
   insertions]` or as its parts around elisions (`[...]`), in order, since
   the reply's writer may have edited an earlier original. The earliest
   accepted source is the strict expectation;
5. writes the passages, --batch at a time, into plain-text articles (each
   quote in “ ” on its own paragraph, between short neutral sentences), runs
   `mailcite --archive DIR article add FILE --json` on each, timing it, and
   compares the `id` (SHA-256) of the citation returned for each quote with
   the accepted sources. A returned source that is not among them but is
   dated before the parent and holds the passage as its own text (an
   original the search above missed) is checked directly and accepted.

Figures: tried (ground-truth quotes), linked (a citation was returned),
correct (its source is accepted), wrong, unmatched (the article's
`unmatched` list), not extracted (the quote was not found in the article at
all); recall = correct / tried, precision = correct / linked; the median and
maximum time of `article add` per article. The report (Markdown) is printed
and written to --out.

    perf/citation-eval.py [--corpus PATH ...] [--sample N] [--seed S]
                          [--bin PATH] [--archive DIR] [--out FILE]
                          [--batch N] [--per-reply N] [--min-words N]
                          [--examples N] [--keep DIR]

Without --corpus: ../shared/corpora/hard/notmuch-corpora and
../shared/corpora/bulk/cypherpunks (98,126 messages; importing it takes
about 30 s). The exit status is 1 when a corpus misses the aim (recall 95%,
precision 98%).

Python 3.11, standard library only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import shlex
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPORA = [
    REPO.parent / "shared/corpora/hard/notmuch-corpora",
    REPO.parent / "shared/corpora/bulk/cypherpunks",
]

# Neutral prose around the quotes: short, so that it forms no run of eight
# words shared with a message.
INTROS = [
    "One message reads:",
    "The writer said:",
    "In the thread, a member wrote:",
    "According to the archive:",
    "A participant put it this way:",
    "The post states:",
    "Another passage:",
    "As written:",
]
OUTROS = [
    "That was all.",
    "Nobody replied at once.",
    "The thread went on.",
    "Others disagreed.",
    "It is quoted in full.",
    "",
]

RUN = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
DOUBLE_QUOTES = set('"“”„‟«»〝〞「」『』')
SEPARATOR = re.compile(
    r"^\s*(-{3,}|_{3,}|\*{3,}).*(original message|forwarded message)"
    r"|^\s*begin forwarded message",
    re.IGNORECASE,
)
WORD = re.compile(r"[^\W_]+")


def norm(s: str) -> str:
    """Lowercase with whitespace collapsed."""
    return " ".join(s.split()).lower()


def is_attribution(line: str) -> bool:
    s = line.strip().lower()
    return len(s) < 400 and s.endswith(":") and ("wrote" in s or "writes" in s)


def own_segments(text: str) -> list[str]:
    """The message's own text, as segments of words (see `words`) split where
    quoted lines, attributions or separators were removed."""
    segments: list[str] = []
    cur: list[str] = []
    lines = text.splitlines()
    for n, line in enumerate(lines):
        if SEPARATOR.search(line) or (
            line.lower().startswith("from:")
            and any(x.lower().startswith("sent:") for x in lines[n + 1:n + 3])
        ):
            break  # a forward, or an Outlook header block: the rest is quoted
        if QUOTED.match(line) or is_attribution(line):
            if cur:
                segments.append(words(" ".join(cur)))
                cur = []
            continue
        cur.append(line)
    if cur:
        segments.append(words(" ".join(cur)))
    return [s for s in segments if s.strip()]


# Quoted lines: `>`, or `|` or `:` followed by a space (other quoting styles).
QUOTED = re.compile(r"^\s*(>|[|:](\s|$))")
BRACKET = re.compile(r"\s*\[[^\[\]]{1,60}\]\s*")


def words(s: str) -> str:
    """The words of `s` (runs of letters and digits), lowercased, joined and
    surrounded by one space: a substring test on these compares words, not
    punctuation, whitespace or line wrapping."""
    return " " + " ".join(WORD.findall(s.lower())) + " "


ELISION = re.compile(r"\[\s*(?:\.\s*){2,}\]|\[\s*…\s*\]|\.{3,}|…")


def variants(passage: str) -> list[list[str]]:
    """Ways the passage may occur, each a list of word strings (see `words`)
    that must occur in this order: the passage's words; its words without
    its [bracketed insertions]; and its parts around elisions ("[...]",
    "..."). The writer of a reply may have quoted an earlier message with an
    editorial insertion or an elision, which leaves that message the
    original."""
    out = [[words(passage)]]
    if "[" in passage:
        out.append([words(BRACKET.sub(" ", passage))])
    parts = [words(BRACKET.sub(" ", p)) for p in ELISION.split(passage)]
    parts = [p for p in parts if p.strip()]
    if len(parts) > 1:
        out.append(parts)
    return out


def in_order(parts: list[str], segment: str) -> bool:
    at = 0
    for part in parts:
        at = segment.find(part, at)
        if at < 0:
            return False
        at += len(part) - 1
    return True


def in_own_text(keys: list[list[str]], text: str) -> bool:
    segments = own_segments(text)
    return any(in_order(k, seg) for k in keys for seg in segments)


EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
ARMOR = re.compile(r"-----(BEGIN|END) PGP|[A-Za-z0-9+/]{40,}")


def not_prose(passage: str) -> bool:
    """PGP armor (which the index leaves out by design), and signature,
    header or attribution lines: fewer than 12 words with an e-mail address.
    Nobody quotes those in an article."""
    if ARMOR.search(passage):
        return True
    return bool(EMAIL.search(passage)) and len(WORD.findall(passage)) < 12


def quoted_passages(text: str) -> list[str]:
    """Runs of lines quoted at exactly one level, joined, without prefixes."""
    out: list[str] = []
    cur: list[str] = []

    def flush() -> None:
        if cur:
            out.append(" ".join(cur).strip())
            cur.clear()

    for line in text.splitlines():
        s = line.lstrip(" \t")
        if s.startswith(">") and not s[1:].lstrip(" \t").startswith(">"):
            content = s[1:].strip()
            if content:
                cur.append(content)
            else:
                flush()  # a bare ">" line is a paragraph break
        else:
            flush()
    flush()
    return [p for p in out if p]


@dataclass
class Msg:
    sha: str
    message_id: str | None
    date: int | None
    in_reply_to: list[str]


@dataclass
class Case:
    quote: str
    reply: str  # sha
    parent_mid: str
    parents: set[str]  # shas of the parent's copies
    parent_date: int | None
    accepted: set[str] = field(default_factory=set)
    earliest: str = ""
    result: str = ""  # correct | wrong | unmatched | not extracted
    found_by_tool: bool = False  # an earlier original found only by mailcite
    got: dict | None = None


class Mailcite:
    def __init__(self, binary: str, archive: Path):
        self.binary = binary
        self.archive = archive
        self.texts: dict[str, str] = {}

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        cmd = [self.binary, "--archive", str(self.archive), "--color", "never", "-q", *args]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if check and p.returncode != 0:
            raise SystemExit(f"{shlex.join(cmd)} failed ({p.returncode}): {p.stderr.strip()}")
        return p

    def text(self, sha: str) -> str:
        if sha not in self.texts:
            p = self.run("show", "--json", sha, check=False)
            self.texts[sha] = json.loads(p.stdout).get("text") or "" if p.returncode == 0 else ""
        return self.texts[sha]

    def search(self, query: str, limit: int) -> list[str]:
        p = self.run("search", "--json", "--limit", str(limit), "--sort", "date-asc", "--", query,
                     check=False)
        if p.returncode not in (0, 1) or not p.stdout.strip():
            return []
        return [h["id"] for h in json.loads(p.stdout).get("hits", [])]


def load_catalog(archive: Path) -> dict[str, Msg]:
    con = sqlite3.connect(f"file:{archive / 'catalog.sqlite'}?mode=ro", uri=True)
    msgs = {}
    for sha, mid, date, irt in con.execute(
        "SELECT lower(hex(sha256)), message_id, date_utc, in_reply_to FROM messages"
    ):
        msgs[sha] = Msg(sha, mid, date, (irt or "").split())
    con.close()
    return msgs


def phrase_query(passage: str, before: int | None) -> str | None:
    words = WORD.findall(passage)
    if len(words) < 3:
        return None
    # The longest-word window of 8 consecutive words: distinctive and short.
    n = min(8, len(words))
    best = max(range(len(words) - n + 1), key=lambda i: sum(len(w) for w in words[i:i + n]))
    q = '"' + " ".join(words[best:best + n]) + '"'
    if before is not None:
        day = dt.datetime.fromtimestamp(before, dt.timezone.utc).date() + dt.timedelta(days=1)
        q += f" before:{day.isoformat()}"
    return q


def build_cases(mc: Mailcite, msgs: dict[str, Msg], args, stats: dict) -> list[Case]:
    by_mid: dict[str, list[Msg]] = {}
    for m in msgs.values():
        if m.message_id:
            by_mid.setdefault(m.message_id, []).append(m)
    replies = []
    for m in msgs.values():
        for p in m.in_reply_to:
            if p in by_mid and p != m.message_id:
                replies.append((m, p))
                break
    replies.sort(key=lambda r: r[0].sha)
    random.Random(args.seed).shuffle(replies)
    stats["replies with parent in archive"] = len(replies)

    cases: list[Case] = []
    seen: set[str] = set()
    scanned = passages = kept = skipped_marks = skipped_other = 0
    for reply, pmid in replies:
        if len(cases) >= args.sample:
            break
        scanned += 1
        parents = by_mid[pmid]
        parent_texts = [(p, mc.text(p.sha)) for p in parents]
        per_reply = 0
        for passage in quoted_passages(mc.text(reply.sha)):
            if len(WORD.findall(passage)) < args.min_words:
                continue
            passages += 1
            key = norm(passage)
            keys = variants(passage)
            holders = {p.sha for p, t in parent_texts if in_own_text(keys, t)}
            if not holders:
                continue
            if any(c in DOUBLE_QUOTES for c in passage):
                skipped_marks += 1
                continue
            if not_prose(passage):
                skipped_other += 1
                continue
            if key in seen or per_reply >= args.per_reply:
                continue
            seen.add(key)
            per_reply += 1
            kept += 1
            dates = [p.date for p in parents if p.sha in holders and p.date is not None]
            case = Case(passage, reply.sha, pmid, holders, min(dates) if dates else None)
            case.accepted = set(holders)
            # Earlier messages with the same text as their own.
            q = phrase_query(BRACKET.sub(" ", passage), case.parent_date)
            if q and case.parent_date is not None:
                for sha in mc.search(q, 500):
                    m = msgs.get(sha)
                    if (m and sha not in case.accepted and m.date is not None
                            and m.date < case.parent_date and in_own_text(keys, mc.text(sha))):
                        case.accepted.add(sha)
            case.earliest = min(
                case.accepted, key=lambda s: (msgs[s].date if msgs[s].date is not None else 2**62, s)
            )
            cases.append(case)
            if len(cases) >= args.sample:
                break
    stats["replies scanned"] = scanned
    stats[f"quoted passages of {args.min_words}+ words"] = passages
    stats["left out: contain double quotation marks"] = skipped_marks
    stats["left out: PGP armor, or a short line with an e-mail address"] = skipped_other
    stats["quotes whose source is another earlier message too"] = sum(
        1 for c in cases if len(c.accepted - c.parents) > 0
    )
    return cases


def write_article(path: Path, batch: list[Case], rng: random.Random, title: str) -> None:
    paras = [title, ""]
    for c in batch:
        quote = " ".join(c.quote.split())
        paras.append(f"{rng.choice(INTROS)} “{quote}” {rng.choice(OUTROS)}".rstrip())
        paras.append("")
    path.write_text("\n".join(paras), encoding="utf-8")


def evaluate(mc: Mailcite, msgs: dict[str, Msg], cases: list[Case], args, work: Path):
    rng = random.Random(args.seed)
    times: list[float] = []
    extra: list[str] = []
    for n in range(0, len(cases), args.batch):
        batch = cases[n:n + args.batch]
        path = work / f"article-{n // args.batch + 1:03}.txt"
        # The run's time in the title: `article add` refuses a file it has
        # already added, and an --archive may be reused.
        title = f"Evaluation article {n // args.batch + 1} (run {RUN})"
        write_article(path, batch, rng, title)
        t = time.perf_counter()
        p = mc.run("article", "add", str(path), "--json")
        times.append(time.perf_counter() - t)
        if args.keep:
            path.with_suffix(".json").write_text(p.stdout, encoding="utf-8")
        out = json.loads(p.stdout)
        cites: dict[str, dict] = {}
        for c in out["citations"]:
            cites.setdefault(norm(c["quote"]), c)
        unmatched = {norm(u["quote"]) for u in out["unmatched"]}
        mine = {norm(c.quote) for c in batch}
        extra += [c["quote"] for k, c in cites.items() if k not in mine]
        for c in batch:
            k = norm(c.quote)
            if k in cites:
                c.got = cites[k]
                got = msgs.get(c.got["id"])
                # The search for earlier originals may miss some (a phrase of
                # short words, an index that skips part of a message): a
                # source dated before the parent, with the passage as its
                # own text, is checked directly.
                if (c.got["id"] not in c.accepted and got and got.date is not None
                        and c.parent_date is not None and got.date < c.parent_date
                        and in_own_text(variants(c.quote), mc.text(got.sha))):
                    c.accepted.add(got.sha)
                    c.found_by_tool = True
                    if got.date < (msgs[c.earliest].date or 2**62):
                        c.earliest = got.sha
                c.result = "correct" if c.got["id"] in c.accepted else "wrong"
            elif k in unmatched:
                c.result = "unmatched"
            else:
                c.result = "not extracted"
    return times, extra


def clip(s: str, n: int = 160) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"


def describe(mc: Mailcite, msgs: dict[str, Msg], sha: str) -> str:
    m = msgs.get(sha)
    if not m:
        return sha[:12]
    date = (dt.datetime.fromtimestamp(m.date, dt.timezone.utc).strftime("%Y-%m-%d %H:%M")
            if m.date is not None else "no date")
    return f"`{sha[:12]}` <{m.message_id}> {date}"


def report(corpus: str, command: str, msgs, mc, stats, cases, times, extra, args) -> str:
    tried = len(cases)
    count = {r: sum(1 for c in cases if c.result == r)
             for r in ("correct", "wrong", "unmatched", "not extracted")}
    linked = count["correct"] + count["wrong"]
    recall = count["correct"] / tried if tried else 0.0
    precision = count["correct"] / linked if linked else 0.0
    strict = sum(1 for c in cases if c.got and c.got["id"] == c.earliest)
    lines = [
        f"## citation-eval: {corpus}",
        "",
        f"Command: `{command}`",
        "",
        f"Archive: {len(msgs):,} messages. Seed {args.seed}, sample {args.sample}, "
        f"at most {args.per_reply} quotes per reply, {args.batch} quotes per article, "
        f"--min-words {args.min_words}.",
        "",
        "| | count |",
        "|---|---:|",
    ]
    for k, v in stats.items():
        lines.append(f"| {k} | {v:,} |")
    lines += [
        f"| **quotes tried** | **{tried}** |",
        f"| linked | {linked} |",
        f"| correct (the parent, or an earlier message with the text as its own) | {count['correct']} |",
        f"| of which the earliest such message known | {strict} |",
        f"| of which an earlier original that only mailcite found (checked) | "
        f"{sum(1 for c in cases if c.found_by_tool)} |",
        f"| wrong source | {count['wrong']} |",
        f"| unmatched | {count['unmatched']} |",
        f"| not extracted from the article | {count['not extracted']} |",
        f"| other citations (not one of the quotes) | {len(extra)} |",
        f"| **recall** (correct / tried) | **{recall:.2%}** |",
        f"| **precision** (correct / linked) | **{precision:.2%}** |",
    ]
    if times:
        ts = sorted(times)
        p90 = ts[min(len(ts) - 1, int(0.9 * len(ts)))]
        lines.append(
            f"| `article add` per article of ≤{args.batch} quotes: median / p90 / max "
            f"({len(times)} articles) | {statistics.median(ts):.2f} s / {p90:.2f} s / "
            f"{ts[-1]:.2f} s |"
        )
        lines.append(f"| articles taking 1 s or more | {sum(1 for t in ts if t >= 1.0)} |")
    late = [c for c in cases if c.result == "correct" and c.got["id"] != c.earliest]
    if late:
        lines += ["", f"### correct, but an earlier original is known ({len(late)}; "
                  f"up to {args.examples} shown)", ""]
        for c in late[: args.examples]:
            lines.append(f"- “{clip(c.quote)}”")
            lines.append(f"  - earliest known {describe(mc, msgs, c.earliest)}")
            lines.append(f"  - got {describe(mc, msgs, c.got['id'])}, "
                         f"own_text={str(c.got['own_text']).lower()}")
    for kind in ("wrong", "unmatched", "not extracted"):
        bad = [c for c in cases if c.result == kind]
        if not bad:
            continue
        lines += ["", f"### {kind} ({len(bad)}; up to {args.examples} shown)", ""]
        for c in bad[: args.examples]:
            lines.append(f"- “{clip(c.quote)}”")
            lines.append(f"  - reply {describe(mc, msgs, c.reply)}")
            lines.append(
                "  - expected "
                + "; ".join(describe(mc, msgs, s) for s in sorted(c.accepted, key=lambda s: s != c.earliest))
            )
            if c.got:
                g = c.got
                lines.append(
                    f"  - got {describe(mc, msgs, g['id'])}: {g['method']} {g['score']:.2f}, "
                    f"own_text={str(g['own_text']).lower()}, expected among also_in: "
                    f"{'yes' if c.accepted & set(g['also_in']) else 'no'}"
                )
    if extra:
        lines += ["", f"### other citations ({len(extra)}; up to {args.examples} shown)", ""]
        lines += [f"- “{clip(q)}”" for q in extra[: args.examples]]
    lines.append("")
    return "\n".join(lines), recall, precision


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", action="append", type=Path,
                    help="corpus to import (repeatable); default: notmuch-corpora and cypherpunks")
    ap.add_argument("--archive", type=Path,
                    help="use (or create and keep) this archive; only with one corpus")
    ap.add_argument("--sample", type=int, default=200, help="quotes per corpus (default 200)")
    ap.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    ap.add_argument("--bin", default=str(REPO / "target/release/mailcite"),
                    help="mailcite binary (default target/release/mailcite)")
    ap.add_argument("--batch", type=int, default=20, help="quotes per article (default 20)")
    ap.add_argument("--per-reply", type=int, default=3,
                    help="at most this many quotes from one reply (default 3)")
    ap.add_argument("--min-words", type=int, default=8, help="shortest quote in words (default 8)")
    ap.add_argument("--examples", type=int, default=10, help="failures shown per kind")
    ap.add_argument("--keep", type=Path,
                    help="keep the articles and the JSON of `article add` in this directory")
    ap.add_argument("--out", type=Path, default=REPO / "target/citation-eval.md",
                    help="Markdown report (default target/citation-eval.md)")
    args = ap.parse_args()
    corpora = args.corpus or DEFAULT_CORPORA
    if args.archive and len(corpora) != 1:
        ap.error("--archive needs exactly one --corpus")
    if not os.access(args.bin, os.X_OK):
        ap.error(f"{args.bin} is not executable (cargo build --release)")
    command = shlex.join([sys.argv[0], *sys.argv[1:]])

    sections = []
    ok = True
    with tempfile.TemporaryDirectory(prefix="citation-eval-") as tmp:
        tmp = Path(tmp)
        for i, corpus in enumerate(corpora):
            archive = args.archive or tmp / f"archive-{i}"
            mc = Mailcite(args.bin, archive)
            stats: dict = {}
            if not (archive / "catalog.sqlite").exists():
                t = time.perf_counter()
                print(f"importing {corpus} into {archive} ...", file=sys.stderr)
                mc.run("import", "--json", str(corpus))
                stats["import seconds"] = round(time.perf_counter() - t)
            msgs = load_catalog(archive)
            cases = build_cases(mc, msgs, args, stats)
            print(f"{corpus}: {len(cases)} quotes; linking ...", file=sys.stderr)
            work = (args.keep or tmp) / f"articles-{i}"
            work.mkdir(parents=True, exist_ok=True)
            times, extra = evaluate(mc, msgs, cases, args, work)
            text, recall, precision = report(str(corpus), command, msgs, mc, stats, cases,
                                             times, extra, args)
            print(text)
            sections.append(text)
            ok = ok and recall >= 0.95 and precision >= 0.98
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text("\n".join(sections), encoding="utf-8")
    print(f"report written to {args.out}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

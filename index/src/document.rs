//! What the index is given for one message ([`IndexDoc`], plain data the
//! archive fills in), how a body is split into the writer's own text and the
//! text it quotes ([`split_quoted`]), and which lines are not worth indexing
//! ([`strip_unsearchable`]).

/// One message as the index sees it. The archive is the source of truth; this
/// is everything the index needs to find the message again.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexDoc {
    /// Catalog row id; returned in every [`crate::Hit`].
    pub key: u64,
    /// SHA-256 of the raw message, lowercase hex; the identity for
    /// [`crate::IndexWriter::upsert`] and [`crate::IndexWriter::delete`].
    pub id: String,
    /// Message-ID header, with or without angle brackets.
    pub message_id: Option<String>,
    /// Date as Unix seconds (UTC); `None` when the message has no usable date.
    pub date: Option<i64>,
    /// Offset of the Date header's zone from UTC, in seconds.
    pub date_offset: i32,
    /// From header.
    pub from: Vec<Party>,
    /// To header.
    pub to: Vec<Party>,
    /// Cc header.
    pub cc: Vec<Party>,
    /// Bcc header.
    pub bcc: Vec<Party>,
    /// Decoded Subject.
    pub subject: String,
    /// The whole decoded body text; the index splits it with [`split_quoted`].
    pub text: String,
    /// Attachments (names and MIME types).
    pub attachments: Vec<Attachment>,
    /// Text extracted from the attachments (indexed as `content`).
    pub attachment_texts: Vec<String>,
    /// Mail folders the message was found in (`INBOX/Projects`).
    pub folders: Vec<String>,
    /// Source paths (containers) the message was imported from.
    pub sources: Vec<String>,
    /// Thread id assigned by the archive.
    pub thread: Option<String>,
    /// Ids of the articles citing this message.
    pub cited_by: Vec<String>,
    /// Status of each DKIM signature; `["none"]` for unsigned mail, empty
    /// when authenticity was not checked (indexed as `unchecked`).
    pub dkim: Vec<String>,
    /// `d=` domain of each DKIM signature.
    pub dkim_domains: Vec<String>,
    /// Status of each ARC signature and seal.
    pub arc: Vec<String>,
    /// Anomalies found in the message's evidence (`date`).
    pub anomalies: Vec<String>,
    /// For a message found inside another: `embedded`, its kind
    /// (`attached`, `forwarded`, `quoted`) and `reconstructed` when read
    /// back from pasted text. Empty for archived messages.
    pub is: Vec<String>,
}

/// A mailbox in an address header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Party {
    /// Display name (`Alice Smith`).
    pub name: Option<String>,
    /// Address (`alice@example.org`).
    pub address: Option<String>,
}

/// An attachment's metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attachment {
    /// File name, if the part had one.
    pub name: Option<String>,
    /// MIME type (`application/pdf`).
    pub content_type: String,
}

/// Splits a body into the writer's own text and the text it quotes.
///
/// Quoted text is:
/// * every line starting with `>` (after optional blanks);
/// * an attribution line such as `On Tue, 14 Jul 2009, Alice wrote:` (also
///   German `Am ... schrieb ...:`, French `Le ... a écrit :`, Spanish
///   `El ... escribió:`, Russian `... пишет:` / `написал(а):`); when the
///   attribution is not followed by `>` lines, everything after it is quoted;
/// * everything from a separator line to the end: `-----Original Message-----`,
///   `---------- Forwarded message ----------`, `Begin forwarded message:` and
///   their Russian, German, French, Spanish, Italian, Dutch and Portuguese
///   equivalents (`Исходное сообщение`, `Пересылаемое сообщение`,
///   `Ursprüngliche Nachricht`, `Message d'origine`, `Mensaje original`, ...);
/// * everything from an Outlook header block to the end: a `From:` line
///   (`Von:`, `De :`, `De:`, `От:`, ...) followed within four lines by a `Sent:`
///   or `Date:` line (`Gesendet:`, `Envoyé :`, `Enviado:`, `Отправлено:`, ...).
///
/// Both parts keep their lines, joined with `\n`.
pub fn split_quoted(text: &str) -> (String, String) {
    let lines: Vec<&str> = text.lines().collect();
    let mut own = String::new();
    let mut quoted = String::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if is_separator(line) || is_header_block(&lines, i) {
            for rest in &lines[i..] {
                push_line(&mut quoted, rest);
            }
            break;
        }
        if let Some((span, dated)) = attribution_span(&lines, i) {
            let next_content = lines[i + span..].iter().find(|l| !l.trim().is_empty());
            if next_content.is_some_and(|l| is_quote_line(l)) {
                for attribution in &lines[i..i + span] {
                    push_line(&mut quoted, attribution);
                }
                i += span;
                continue;
            }
            if dated {
                for rest in &lines[i..] {
                    push_line(&mut quoted, rest);
                }
                break;
            }
        }
        if is_quote_line(line) {
            push_line(&mut quoted, line);
        } else {
            push_line(&mut own, line);
        }
        i += 1;
    }
    // Every line was pushed with a newline; drop the last one.
    own.pop();
    quoted.pop();
    (own, quoted)
}

/// Removes lines nobody searches for: PGP armor blocks (signatures, encrypted
/// messages, key blocks; a signed message's text stays) and base64 lines
/// (40+ characters of the base64 alphabet mixing upper case, lower case and
/// digits, so hex hashes stay). Such lines are a large share of the distinct
/// terms of a mail corpus. Returns the text unchanged when nothing matches.
pub fn strip_unsearchable(text: &str) -> std::borrow::Cow<'_, str> {
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    fn core(line: &str) -> &str {
        line.trim()
            .trim_start_matches(|c: char| c == '>' || c.is_whitespace())
    }
    // The last END line: a BEGIN after it cannot be closed (keeps the scan
    // below linear whatever the input).
    let last_end = lines
        .iter()
        .rposition(|l| core(l).starts_with("-----END PGP "));
    // An armor block is dropped only when its END line is there too: a
    // message that merely mentions or quotes a BEGIN line keeps its text.
    let mut armor_end: Option<usize> = None;
    let mut out = String::new();
    let mut changed = false;
    for (i, line) in lines.iter().enumerate() {
        let c = core(line);
        let drop = if armor_end.is_some_and(|end| i <= end) {
            true
        } else if c.starts_with("-----BEGIN PGP ") && !c.starts_with("-----BEGIN PGP SIGNED") {
            armor_end = match last_end {
                Some(last) if last > i => lines[i + 1..=last]
                    .iter()
                    .position(|l| core(l).starts_with("-----END PGP "))
                    .map(|k| i + 1 + k),
                _ => None,
            };
            armor_end.is_some()
        } else {
            is_base64_line(c)
        };
        if drop {
            if !changed {
                changed = true;
                out.reserve(text.len());
                // Everything before this line was kept verbatim.
                let kept = line.as_ptr() as usize - text.as_ptr() as usize;
                out.push_str(&text[..kept]);
            }
            out.push('\n');
        } else if changed {
            out.push_str(line);
        }
    }
    if changed {
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

fn is_base64_line(line: &str) -> bool {
    line.len() >= 40
        && line
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
        && line.bytes().any(|b| b.is_ascii_uppercase())
        && line.bytes().any(|b| b.is_ascii_lowercase())
        && line.bytes().any(|b| b.is_ascii_digit())
}

fn push_line(out: &mut String, line: &str) {
    out.push_str(line);
    out.push('\n');
}

fn is_quote_line(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

/// Separator phrases, lowercase, without the dashes and colons around them.
const SEPARATORS: &[&str] = &[
    "original message",
    "forwarded message",
    "begin forwarded message",
    "original-nachricht",
    "ursprüngliche nachricht",
    "weitergeleitete nachricht",
    "anfang der weitergeleiteten nachricht",
    "message d'origine",
    "message d’origine",
    "message transféré",
    "début du message réexpédié",
    "début du message transféré",
    "mensaje original",
    "mensaje reenviado",
    "inicio del mensaje reenviado",
    "messaggio originale",
    "messaggio inoltrato",
    "oorspronkelijk bericht",
    "doorgestuurd bericht",
    "mensagem original",
    "mensagem encaminhada",
    "исходное сообщение",
    "пересылаемое сообщение",
    "переадресованное сообщение",
    "начало переадресованного сообщения",
    "оригинальное сообщение",
];

fn is_separator(line: &str) -> bool {
    if line.len() > 120 {
        return false;
    }
    let decoration = |c: char| c.is_whitespace() || "-_=*:".contains(c);
    let core = line.trim_matches(decoration);
    if core.is_empty() || core.len() == line.trim().len() && !line.trim_end().ends_with(':') {
        // A bare phrase without any dash, star or colon is ordinary text.
        return false;
    }
    let core = core.to_lowercase();
    SEPARATORS.iter().any(|s| core == *s)
}

/// Strips decoration an HTML-to-text conversion leaves around header names.
fn header_line(line: &str) -> String {
    line.trim_start_matches(|c: char| c.is_whitespace() || c == '*')
        .to_lowercase()
}

const FROM_HEADERS: &[&str] = &[
    "from:",
    "von:",
    "de :",
    "de:",
    "от:",
    "от кого:",
    "da:",
    "van:",
];
const SENT_HEADERS: &[&str] = &[
    "sent:",
    "date:",
    "gesendet:",
    "datum:",
    "envoyé :",
    "envoyé:",
    "date :",
    "enviado el:",
    "enviado:",
    "fecha:",
    "отправлено:",
    "дата:",
    "inviato:",
    "verzonden:",
    "data:",
];

fn is_header_block(lines: &[&str], i: usize) -> bool {
    let first = header_line(lines[i]);
    if !FROM_HEADERS.iter().any(|h| first.starts_with(h)) {
        return false;
    }
    lines[i + 1..]
        .iter()
        .take(4)
        .map(|l| header_line(l))
        .any(|l| SENT_HEADERS.iter().any(|h| l.starts_with(h)))
}

/// Verbs of attribution lines; the line must also end with `:`.
const ATTRIBUTION_VERBS: &[&str] = &[
    "wrote",
    "writes",
    "schrieb",
    "a écrit",
    "escribió",
    "scrisse",
    "escreveu",
    "schreef",
    "пишет",
    "написал",
    "написала",
    "написал(а)",
];
const ATTRIBUTION_STARTS: &[&str] = &["On ", "Am ", "Le ", "El ", "Il ", "Em ", "Op "];

/// Whether a line ends like an attribution: `... wrote:`, `... schrieb
/// Alice <alice@example.org>:`, or Gmail's localized `..., Alice <a@b>:`.
fn is_attribution_end(line: &str) -> bool {
    let line = line.trim_end().to_lowercase();
    let Some(body) = line.strip_suffix(':') else {
        return false;
    };
    let body = body.trim_end();
    line.len() < 400
        && (ATTRIBUTION_VERBS
            .iter()
            .any(|v| body.ends_with(v) || body.contains(&format!(" {v} ")))
            || (body.ends_with('>') && body.contains('@')))
}

/// If an attribution line ("On ... wrote:") starts at `i`: how many lines it
/// spans (clients wrap long ones once), and whether it carries a date (a
/// digit). Only a dated attribution may quote the unmarked text after it.
fn attribution_span(lines: &[&str], i: usize) -> Option<(usize, bool)> {
    let line = lines[i].trim_start();
    let has_digit = |l: &str| l.chars().any(|c| c.is_ascii_digit());
    if is_attribution_end(line) {
        return Some((1, has_digit(line)));
    }
    let next = lines.get(i + 1)?;
    let starts = ATTRIBUTION_STARTS.iter().any(|s| line.starts_with(s));
    if starts
        && line.len() < 300
        && !is_quote_line(next)
        && is_attribution_end(next)
        && (has_digit(line) || has_digit(next))
    {
        return Some((2, true));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(text: &str) -> (String, String) {
        split_quoted(text)
    }

    #[test]
    fn angle_bracket_lines_are_quoted() {
        let (own, quoted) = split("I agree.\n> We should meet.\n>> Earlier.\nSee you.");
        assert_eq!(own, "I agree.\nSee you.");
        assert_eq!(quoted, "> We should meet.\n>> Earlier.");
    }

    #[test]
    fn interleaved_reply_after_attribution_stays_own() {
        let text = "On Tue, Jul 14, 2009 at 10:00 AM, Alice <alice@example.org> wrote:\n\
                    > first point\n\nMy answer.\n> second point\nAnother answer.";
        let (own, quoted) = split(text);
        assert_eq!(own, "\nMy answer.\nAnother answer.");
        assert!(quoted.starts_with("On Tue"));
        assert!(quoted.contains("> first point\n> second point"));
    }

    #[test]
    fn wrapped_attribution_is_recognized() {
        let text = "Fine.\n\nOn Tue, Jul 14, 2009 at 10:00 AM Alice Smith <\nalice@example.org> wrote:\n> quoted";
        let (own, quoted) = split(text);
        assert_eq!(own, "Fine.\n");
        assert_eq!(
            quoted,
            "On Tue, Jul 14, 2009 at 10:00 AM Alice Smith <\nalice@example.org> wrote:\n> quoted"
        );
    }

    #[test]
    fn attribution_without_quote_marks_quotes_the_rest() {
        let (own, quoted) = split("Thanks!\nOn 14/07/2009 Alice wrote:\nthe old text\nmore");
        assert_eq!(own, "Thanks!");
        assert_eq!(quoted, "On 14/07/2009 Alice wrote:\nthe old text\nmore");
    }

    #[test]
    fn sentence_ending_in_wrote_is_not_an_attribution() {
        let (own, quoted) = split("Here is what she wrote:\nnothing much");
        assert_eq!(own, "Here is what she wrote:\nnothing much");
        assert_eq!(quoted, "");
        // Undated, but followed by quote marks: an attribution.
        let (own, quoted) = split("Alice Smith <alice@example.org> wrote:\n> hi\nreply");
        assert_eq!(own, "reply");
        assert_eq!(quoted, "Alice Smith <alice@example.org> wrote:\n> hi");
    }

    #[test]
    fn localized_attributions() {
        for line in [
            "Am 14.07.2009 um 10:00 schrieb Alice <alice@example.org>:",
            "Le 14 juil. 2009 à 10:00, Alice a écrit :",
            "El 14 jul 2009, a las 10:00, Alice escribió:",
            "14.07.2009 10:00, Алиса пишет:",
            "14 июля 2009 г. Алиса написал(а):",
            "пн, 13 июл. 2009 г. в 10:00, Алиса <alice@example.org>:",
        ] {
            let (own, quoted) = split(&format!("Ответ.\n{line}\nold"));
            assert_eq!(own, "Ответ.", "{line}");
            assert_eq!(quoted, format!("{line}\nold"), "{line}");
        }
    }

    #[test]
    fn separators_quote_everything_after_them() {
        for sep in [
            "-----Original Message-----",
            "----- Original Message -----",
            "-------- Original Message --------",
            "---------- Forwarded message ---------",
            "-------- Forwarded Message --------",
            "Begin forwarded message:",
            "-------- Исходное сообщение --------",
            "-------- Пересылаемое сообщение --------",
            "-----Ursprüngliche Nachricht-----",
            "---------- Weitergeleitete Nachricht ----------",
            "-------- Message d'origine --------",
            "-----Mensaje original-----",
            "---------- Mensaje reenviado ----------",
            "Anfang der weitergeleiteten Nachricht:",
        ] {
            let (own, quoted) = split(&format!("See below.\n{sep}\nold text\n"));
            assert_eq!(own, "See below.", "{sep}");
            assert_eq!(quoted, format!("{sep}\nold text"), "{sep}");
        }
    }

    #[test]
    fn bare_phrase_is_not_a_separator() {
        let (own, quoted) = split("original message\nkept");
        assert_eq!(own, "original message\nkept");
        assert!(quoted.is_empty());
    }

    #[test]
    fn outlook_header_blocks() {
        for block in [
            "From: Alice Smith [mailto:alice@example.org]\nSent: Tuesday, July 14, 2009 10:00 AM\nTo: Bob\nSubject: RE: budget",
            "*From:* Alice Smith\n*Sent:* Tuesday, July 14, 2009 10:00 AM",
            "Von: Alice\nGesendet: Dienstag, 14. Juli 2009 10:00\nAn: Bob",
            "De : Alice\nEnvoyé : mardi 14 juillet 2009 10:00\nÀ : Bob",
            "De: Alice\nEnviado el: martes, 14 de julio de 2009 10:00\nPara: Bob",
            "От: Алиса\nОтправлено: 14 июля 2009 г. 10:00\nКому: Боб",
        ] {
            let (own, quoted) = split(&format!("My reply.\n\n{block}\n\nold body"));
            assert_eq!(own, "My reply.\n", "{block}");
            assert_eq!(quoted, format!("{block}\n\nold body"), "{block}");
        }
    }

    #[test]
    fn from_line_without_date_is_own_text() {
        let (own, quoted) = split("From: the desk of Alice\nHello");
        assert_eq!(own, "From: the desk of Alice\nHello");
        assert!(quoted.is_empty());
    }

    #[test]
    fn an_unclosed_armor_line_hides_nothing() {
        let text = "Be careful what you sign:\n>-----BEGIN PGP SIGNATURE-----\nThe mutant condors are coming.\n";
        assert!(strip_unsearchable(text).contains("mutant condors"));
    }

    #[test]
    fn armor_and_base64_lines_are_not_indexed() {
        let text = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA1\n\nSigned words.\n\
                    -----BEGIN PGP SIGNATURE-----\nVersion: 2.6.2\n\niQCVAwUBMP\n=x7Yz\n\
                    -----END PGP SIGNATURE-----\nafter\n\
                    > QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9wcXJzdHV2d3h5ejAx\n\
                    e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n";
        let kept = strip_unsearchable(text);
        assert_eq!(
            kept,
            "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA1\n\nSigned words.\n\n\n\n\n\n\n\
             after\n\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
        );
        assert!(matches!(
            strip_unsearchable("plain"),
            std::borrow::Cow::Borrowed("plain")
        ));
        // An armor block that never ends is not armor: the text stays.
        assert_eq!(
            strip_unsearchable("a\n-----BEGIN PGP MESSAGE-----\nxyz"),
            "a\n-----BEGIN PGP MESSAGE-----\nxyz"
        );
    }

    #[test]
    fn crlf_and_empty_input() {
        assert_eq!(split(""), (String::new(), String::new()));
        let (own, quoted) = split("a\r\n> b\r\n");
        assert_eq!((own.as_str(), quoted.as_str()), ("a", "> b"));
    }
}

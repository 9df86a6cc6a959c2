//! File names for attachments written to disk.
//!
//! An attachment's name is chosen by whoever sent (or forged) the message:
//! `../../.bashrc`, `/etc/passwd`, `C:\Windows\win.ini`, `CON`, a name with a
//! NUL byte, a right-to-left override that turns `exe.txt` around, or ten
//! thousand characters. [`safe_file_name`] turns any such name into one plain
//! file name that stays inside the output directory on every common file
//! system; attachment export joins it to the directory it writes to.

/// Longest name returned, in bytes: under the 255-byte limit of ext4, APFS
/// and NTFS (UTF-16 units, which a UTF-8 byte count bounds), with room for a
/// ` (2)` a caller may add to make names unique.
pub const MAX_NAME_BYTES: usize = 200;

/// Longest extension kept apart when a name is shortened, in bytes.
const MAX_EXTENSION_BYTES: usize = 16;

/// Names Windows reserves for devices, with or without an extension.
const DEVICE_NAMES: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// A safe file name for the attachment `name`, the `index`-th (from 0) of its
/// message. Pure and deterministic; never fails.
///
/// * Only the last path component is kept (after any `/` or `\`), so no
///   name can climb out of the directory or be absolute.
/// * Control characters (NUL included), bidirectional controls, zero-width
///   and other invisible characters are dropped; characters Windows forbids
///   (`< > : " | ? *`) become `_`.
/// * Leading dots and spaces and trailing dots and spaces are removed: never
///   `.`, `..`, a hidden file, or a name Windows silently changes.
/// * A Windows device name (`CON`, `nul.txt`, `LPT1`, ...) gets a `_` prefix.
/// * A name longer than [`MAX_NAME_BYTES`] is shortened at a character
///   boundary, keeping a short extension.
/// * When nothing usable is left, the name is `attachment-N` (N = `index` + 1).
///
/// The result is non-empty, at most [`MAX_NAME_BYTES`] bytes, and
/// `Path::new(dir).join(result)` is always a direct child of `dir`. Applying
/// the function to its own result changes nothing.
pub fn safe_file_name(name: &str, index: usize) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    let mut clean: String = last
        .chars()
        .filter(|&c| !is_invisible(c))
        .map(|c| if is_forbidden(c) { '_' } else { c })
        .collect();
    clean = trim_name(&clean).to_string();
    if clean.is_empty() {
        return format!("attachment-{}", index.saturating_add(1));
    }
    let stem = clean.split('.').next().unwrap_or("");
    if DEVICE_NAMES
        .iter()
        .any(|d| stem.trim_end().eq_ignore_ascii_case(d))
    {
        clean.insert(0, '_');
    }
    if clean.len() > MAX_NAME_BYTES {
        clean = shorten(&clean);
    }
    clean
}

/// Characters that are dropped: controls, bidirectional and zero-width
/// characters, the byte order mark, and Unicode "tag" and non-characters.
fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{00ad}'
            | '\u{061c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
            | '\u{fffe}'..='\u{ffff}'
            | '\u{e0000}'..='\u{e007f}')
}

/// Characters Windows does not allow in a file name (the path separators
/// are handled before).
fn is_forbidden(c: char) -> bool {
    matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*')
}

/// Strips leading dots and white space and trailing dots and white space.
fn trim_name(s: &str) -> &str {
    s.trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace())
}

/// Shortens `name` to at most [`MAX_NAME_BYTES`] bytes, keeping an extension
/// of up to [`MAX_EXTENSION_BYTES`] bytes.
fn shorten(name: &str) -> String {
    let ext = match name.rfind('.') {
        Some(i) if i > 0 && name.len() - i <= MAX_EXTENSION_BYTES => &name[i..],
        _ => "",
    };
    let stem = &name[..name.len() - ext.len()];
    let mut cut = MAX_NAME_BYTES - ext.len();
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    let stem = trim_name(&stem[..cut]);
    format!("{stem}{ext}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_components_never_survive() {
        assert_eq!(safe_file_name("../../etc/passwd", 0), "passwd");
        assert_eq!(safe_file_name("/etc/shadow", 0), "shadow");
        assert_eq!(safe_file_name("C:\\Windows\\win.ini", 0), "win.ini");
        assert_eq!(safe_file_name("..", 2), "attachment-3");
        assert_eq!(safe_file_name("dir/..", 0), "attachment-1");
        assert_eq!(safe_file_name("", 0), "attachment-1");
        assert_eq!(safe_file_name(".bashrc", 0), "bashrc");
    }

    #[test]
    fn hostile_characters_are_removed() {
        assert_eq!(safe_file_name("a\0b.pdf", 0), "ab.pdf");
        assert_eq!(
            safe_file_name("invoice\u{202e}fdp.exe", 0),
            "invoicefdp.exe"
        );
        assert_eq!(safe_file_name("x\r\n.txt", 0), "x.txt");
        assert_eq!(safe_file_name("what?.doc", 0), "what_.doc");
        assert_eq!(safe_file_name("Отчёт 2009.pdf", 0), "Отчёт 2009.pdf");
    }

    #[test]
    fn device_names_are_prefixed() {
        assert_eq!(safe_file_name("CON", 0), "_CON");
        assert_eq!(safe_file_name("nul.txt", 0), "_nul.txt");
        assert_eq!(safe_file_name("lpt1 .tar.gz", 0), "_lpt1 .tar.gz");
        assert_eq!(safe_file_name("console.txt", 0), "console.txt");
    }

    #[test]
    fn long_names_keep_their_extension() {
        let long = format!("{}.pdf", "é".repeat(500));
        let s = safe_file_name(&long, 0);
        assert!(s.len() <= MAX_NAME_BYTES, "{}", s.len());
        assert!(s.ends_with(".pdf"));
        assert_eq!(safe_file_name(&s, 0), s);
    }
}

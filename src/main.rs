//! The `mailcite` binary: command-line glue over `mailcite-archive` and
//! `mailcite-index`. Parses arguments, runs one command, maps the outcome to
//! an exit code and prints any error chain once.

mod authenticity;
mod cli;
mod commands;
mod indexing;
mod linking;
mod output;
mod web;

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

/// What a command reports back to `main`.
pub enum Outcome {
    /// Success (exit 0).
    Success,
    /// Ran fine but found nothing (exit 1, `search`).
    NoMatch,
}

/// Settings shared by every command.
pub struct Context {
    /// The archive directory.
    pub archive: PathBuf,
    /// No progress or chatter.
    pub quiet: bool,
    /// Colour stdout.
    pub color: bool,
}

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let archive = cli
        .archive
        .clone()
        .or_else(|| std::env::var_os("MAILCITE_ARCHIVE").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from(mailcite_archive::archive::DEFAULT_DIR));
    let stdout_tty = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let color = match cli.color {
        cli::ColorChoice::Always => true,
        cli::ColorChoice::Never => false,
        cli::ColorChoice::Auto => stdout_tty && std::env::var_os("NO_COLOR").is_none(),
    };
    let ctx = Context {
        archive,
        quiet: cli.quiet,
        color,
    };
    match commands::run(&ctx, cli.command) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::NoMatch) => ExitCode::from(1),
        Err(e) => {
            if is_broken_pipe(&e) {
                return ExitCode::SUCCESS;
            }
            let mut msg = format!("mailcite: error: {e}");
            for cause in e.chain().skip(1) {
                let c = cause.to_string();
                if !msg.contains(&c) {
                    msg.push_str(&format!("\n  caused by: {c}"));
                }
            }
            if let Some(hint) = storage_hint(&e) {
                msg.push_str(&format!("\n  hint: {hint}"));
            }
            eprintln!("{}", output::sanitize::for_terminal(&msg, true));
            ExitCode::from(2)
        }
    }
}

/// What to do when the archive's disk is full or its files cannot be
/// written: the causes SQLite and the OS give ("disk I/O error", "File too
/// large") do not say it.
fn storage_hint(e: &anyhow::Error) -> Option<&'static str> {
    let full = e.chain().any(|c| {
        let io = c.downcast_ref::<std::io::Error>();
        let text = c.to_string();
        io.and_then(std::io::Error::raw_os_error)
            .is_some_and(|n| matches!(n, 27 | 28 | 122))
            || text.contains("disk I/O error")
            || text.contains("database or disk is full")
    });
    let archive = e.chain().any(|c| {
        let text = c.to_string();
        text.starts_with("cannot open the archive") || text.starts_with("catalog ")
    });
    let read_only = archive
        && e.chain().any(|c| {
            let io = c.downcast_ref::<std::io::Error>();
            let text = c.to_string();
            io.and_then(std::io::Error::raw_os_error)
                .is_some_and(|n| matches!(n, 1 | 13 | 30))
                || text.contains("readonly database")
                || text.contains("unable to open database file")
        });
    if full {
        Some(
            "the disk may be full (or a file size limit was reached); free space and run the same command again: what was committed before the error is kept and the rest is resumed",
        )
    } else if read_only {
        Some(
            "the archive or its disk is not writable (read-only medium, permissions, or an immutable attribute); nothing was changed",
        )
    } else {
        None
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

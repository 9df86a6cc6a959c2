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
            eprintln!("{}", output::sanitize::for_terminal(&msg, true));
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

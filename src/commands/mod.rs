//! One module per subcommand.

pub(crate) mod article;
pub(crate) mod cite;
mod dkim;
pub(crate) mod export;
mod import;
mod keys;
mod reindex;
pub(crate) mod search;
pub(crate) mod show;
mod stats;
pub(crate) mod thread;
mod verify;

pub(crate) use search::resolve_thread_refs;
// Investigation: correspondents, their network, and time.
mod graph;
mod people;
mod selection;
mod timeline;
// The local web view (src/web/).
pub(crate) mod serve;

use crate::cli::Command;
use crate::{Context, Outcome};

/// Runs one command.
pub fn run(ctx: &Context, cmd: Command) -> anyhow::Result<Outcome> {
    match cmd {
        Command::Import(a) => import::run(ctx, a),
        Command::Stats(a) => stats::run(ctx, a),
        Command::Search(a) => search::run(ctx, a),
        Command::Reindex(a) => reindex::run(ctx, a),
        Command::Show(a) => show::run(ctx, a),
        Command::Thread(a) => thread::run(ctx, a),
        Command::Verify(a) => verify::run(ctx, a),
        Command::Article(a) => article::run(ctx, a),
        Command::Cite(a) => cite::run(ctx, a),
        Command::Export(a) => export::run(ctx, a),
        Command::Dkim(a) => dkim::run(ctx, a),
        Command::Keys(a) => keys::run(ctx, a),
        Command::People(a) => people::run(ctx, a),
        Command::Graph(a) => graph::run(ctx, a),
        Command::Timeline(a) => timeline::run(ctx, a),
        Command::Serve(a) => serve::run(ctx, a),
        Command::Completions(a) => {
            let mut cmd = <crate::cli::Cli as clap::CommandFactory>::command();
            clap_complete::generate(a.shell, &mut cmd, "mailcite", &mut std::io::stdout());
            Ok(Outcome::Success)
        }
        Command::Man => {
            let cmd = <crate::cli::Cli as clap::CommandFactory>::command();
            clap_mangen::Man::new(cmd).render(&mut std::io::stdout())?;
            Ok(Outcome::Success)
        }
    }
}

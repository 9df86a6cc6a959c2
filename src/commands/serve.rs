//! `mailcite serve`: the local web view (see `crate::web`).

use crate::cli::ServeArgs;
use crate::{Context, Outcome};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

pub fn run(ctx: &Context, args: ServeArgs) -> anyhow::Result<Outcome> {
    let (addr, token) = match &args.listen {
        None => (
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), args.port),
            None,
        ),
        Some(text) => {
            let addr = match text.parse::<SocketAddr>() {
                Ok(a) => a,
                Err(_) => SocketAddr::new(
                    text.trim_matches(['[', ']']).parse::<IpAddr>().map_err(|_| {
                        anyhow::anyhow!(
                            "--listen {text}: give an IP address (0.0.0.0, 192.168.1.5, ::) or ADDR:PORT"
                        )
                    })?,
                    args.port,
                ),
            };
            (addr, Some(crate::web::security::random_token()?))
        }
    };
    crate::web::serve(crate::web::Config {
        archive: ctx.archive.clone(),
        addr,
        token,
        quiet: ctx.quiet,
    })?;
    Ok(Outcome::Success)
}

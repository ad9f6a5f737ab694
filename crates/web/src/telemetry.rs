//! Log output for the binary (and the benchmarks, so they measure what production runs):
//! structured `tracing` events to stderr, as text or JSON, colours only on a terminal.
//!
//! The filter is a static target list unless `RUST_LOG` is given: a static list decides per
//! call site once, while an `EnvFilter` also tracks spans at runtime, which every request pays.

use tracing_subscriber::{Layer, filter::Targets, layer::SubscriberExt, util::SubscriberInitExt};

/// Installs the global subscriber. `rust_log` is the `RUST_LOG` value if set (full `EnvFilter`
/// syntax); otherwise `default_filter` (e.g. `info,sqlx=warn`) is parsed as a target list.
pub fn init(rust_log: Option<&str>, default_filter: &str, json: bool) {
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let fmt = tracing_subscriber::fmt::layer()
        .with_target(false)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    let fmt = if json {
        fmt.json().boxed()
    } else {
        fmt.boxed()
    };
    let registry = tracing_subscriber::registry();
    let result = match rust_log.filter(|s| !s.is_empty()) {
        Some(spec) => registry
            .with(fmt.with_filter(tracing_subscriber::EnvFilter::new(spec)))
            .try_init(),
        None => {
            let targets = default_filter
                .parse::<Targets>()
                .unwrap_or_else(|_| Targets::new().with_default(tracing::Level::INFO));
            registry.with(fmt.with_filter(targets)).try_init()
        }
    };
    if let Err(e) = result {
        eprintln!("logging was already initialised: {e}");
    }
}

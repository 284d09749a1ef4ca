//! One place that sets up `tracing`: text or JSON lines, filtered by `RUST_LOG`.
//!
//! actix's HTTP/1 layer logs every connection it ends on an error of the peer (a
//! malformed request, a client gone mid-request) at ERROR, so anyone could write ERROR
//! lines. Those events are counted in the metrics instead, and not written.

use std::io::IsTerminal;

use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::{
    filter::EnvFilter,
    fmt::MakeWriter,
    layer::{Context, Layer, SubscriberExt},
    util::SubscriberInitExt,
};

use crate::{config::LogFormat, metrics};

/// The filter when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn";

/// Where actix's HTTP/1 connection errors come from.
const DISPATCHER: &str = "actix_http::h1::dispatcher";

pub fn init(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    init_with(
        format,
        filter,
        std::io::stderr,
        std::io::stderr().is_terminal(),
    );
}

/// The subscriber of the service, writing to `writer` (tests capture the logs with it).
pub fn init_with<W>(format: LogFormat, filter: EnvFilter, writer: W, ansi: bool)
where
    W: for<'w> MakeWriter<'w> + Send + Sync + 'static,
{
    let output = tracing_subscriber::fmt::layer()
        .with_writer(writer)
        .with_ansi(ansi);
    let output = match format {
        LogFormat::Json => output.json().boxed(),
        LogFormat::Text => output.boxed(),
    };
    // The filter first, then the counter, which drops what it counts before the output.
    let result = tracing_subscriber::registry()
        .with(filter)
        .with(ConnectionErrors)
        .with(output)
        .try_init();
    // A second init (tests start many apps in one process) keeps the first subscriber.
    let _ = result;
}

fn is_connection_error(meta: &Metadata<'_>) -> bool {
    *meta.level() == Level::ERROR && meta.target() == DISPATCHER
}

/// Counts actix's connection errors and keeps them from the output.
struct ConnectionErrors;

impl<S: Subscriber> Layer<S> for ConnectionErrors {
    fn event_enabled(&self, event: &Event<'_>, _: Context<'_, S>) -> bool {
        if is_connection_error(event.metadata()) {
            metrics::count_connection_error();
            return false;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_connection_error_of_actix_is_counted_and_not_written() {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        init_with(
            LogFormat::Text,
            EnvFilter::new("debug"),
            move || writer.clone(),
            false,
        );
        let before = metrics::Metrics::default().render();
        tracing::error!(target: "actix_http::h1::dispatcher", "stream error: request parse error: invalid Header provided");
        tracing::error!(target: "xchannel::elsewhere", "a real error");
        let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        assert!(!logs.contains("invalid Header"), "{logs}");
        assert!(logs.contains("a real error"), "{logs}");
        let after = metrics::Metrics::default().render();
        assert_ne!(before, after, "counted");
    }
}

//! Prometheus metrics: requests by route pattern, method and status, and their latency;
//! connections the HTTP layer ended on an error; the build (version, git hash) and the
//! database connection pools. Served at `/metrics` in the text exposition format.

use std::{
    collections::HashMap,
    fmt::Write,
    sync::{
        atomic::{AtomicU64, Ordering::Relaxed},
        Arc, RwLock,
    },
    time::Duration,
};

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

#[derive(Default)]
struct Series {
    count: AtomicU64,
    sum_us: AtomicU64,
    buckets: [AtomicU64; BUCKETS.len()],
}

type Key = (String, String, u16);

/// Connections actix's HTTP/1 layer ended on an error (a malformed request, mostly): it
/// tells only through a log event, which `telemetry` turns into this count. One count
/// for the process, as the log subscriber is one.
static CONNECTION_ERRORS: AtomicU64 = AtomicU64::new(0);

/// Counts one connection ended on an error.
pub fn count_connection_error() {
    CONNECTION_ERRORS.fetch_add(1, Relaxed);
}

/// Counters behind a read-mostly lock: the write lock is taken once per new series.
#[derive(Default)]
pub struct Metrics {
    series: RwLock<HashMap<Key, Arc<Series>>>,
    /// Ended integrations by outcome (`active` or a failure code).
    integrations: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
    /// Webhook validity checks by result (`valid`, `revalidated`, `invalid`, `error`).
    webhook_checks: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
    /// Claims of the minute pull by how far they got, and the messages they stored.
    pulls: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
    pulled_messages: std::sync::atomic::AtomicU64,
}

fn count(counters: &std::sync::Mutex<std::collections::BTreeMap<String, u64>>, label: &str) {
    if let Ok(mut counters) = counters.lock() {
        *counters.entry(label.to_owned()).or_default() += 1;
    }
}

fn render_counters(
    out: &mut String,
    name: &str,
    help: &str,
    label: &str,
    counters: &std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} counter");
    if let Ok(counters) = counters.lock() {
        for (value, n) in counters.iter() {
            let _ = writeln!(out, "{name}{{{label}=\"{value}\"}} {n}");
        }
    }
}

impl Metrics {
    /// One integration ended with `outcome`: `active` or a failure code.
    pub fn integration_ended(&self, outcome: &str) {
        count(&self.integrations, outcome);
    }

    /// One webhook validity check at X ended with `result`.
    pub fn webhook_checked(&self, result: &str) {
        count(&self.webhook_checks, result);
    }

    /// One claim of a channel's pull ended at `reach`, having stored `messages` new ones.
    pub fn pulled(&self, reach: &str, messages: usize) {
        count(&self.pulls, reach);
        self.pulled_messages
            .fetch_add(messages as u64, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let key = (method.to_owned(), route.to_owned(), status);
        let found = self.series.read().ok().and_then(|s| s.get(&key).cloned());
        let series = match found {
            Some(series) => series,
            None => match self.series.write() {
                Ok(mut all) => all.entry(key).or_default().clone(),
                Err(_) => return,
            },
        };
        let seconds = elapsed.as_secs_f64();
        series.count.fetch_add(1, Relaxed);
        series.sum_us.fetch_add(elapsed.as_micros() as u64, Relaxed);
        if let Some(i) = BUCKETS.iter().position(|b| seconds <= *b) {
            series.buckets[i].fetch_add(1, Relaxed);
        }
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP xchannel_http_requests_total HTTP requests answered.\n");
        out.push_str("# TYPE xchannel_http_requests_total counter\n");
        out.push_str("# HELP xchannel_http_connection_errors_total HTTP connections ended on an error of the peer, such as a malformed request.\n");
        out.push_str("# TYPE xchannel_http_connection_errors_total counter\n");
        let _ = writeln!(
            out,
            "xchannel_http_connection_errors_total {}",
            CONNECTION_ERRORS.load(Relaxed)
        );
        render_counters(
            &mut out,
            "xchannel_integrations_total",
            "Channel integrations ended, by outcome (active or a failure code).",
            "outcome",
            &self.integrations,
        );
        render_counters(
            &mut out,
            "xchannel_webhook_checks_total",
            "Checks of a webhook's validity at X, by result.",
            "result",
            &self.webhook_checks,
        );
        render_counters(
            &mut out,
            "xchannel_pulls_total",
            "Pages and claims of the minute pull, by how far they got.",
            "reach",
            &self.pulls,
        );
        let _ = writeln!(
            out,
            "# HELP xchannel_pulled_messages_total New messages the minute pull stored.\n# TYPE xchannel_pulled_messages_total counter\nxchannel_pulled_messages_total {}",
            self.pulled_messages.load(Relaxed)
        );
        let Ok(all) = self.series.read() else {
            return out;
        };
        let mut keys: Vec<_> = all.keys().collect();
        keys.sort();
        for key @ (method, route, status) in &keys {
            let count = all[*key].count.load(Relaxed);
            let _ = writeln!(out, "xchannel_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {count}");
        }
        out.push_str(
            "# HELP xchannel_http_request_duration_seconds Time to answer an HTTP request.\n",
        );
        out.push_str("# TYPE xchannel_http_request_duration_seconds histogram\n");
        for key @ (method, route, status) in &keys {
            let series = &all[*key];
            let labels = format!("method=\"{method}\",route=\"{route}\",status=\"{status}\"");
            let mut cumulative = 0;
            for (bound, bucket) in BUCKETS.iter().zip(&series.buckets) {
                cumulative += bucket.load(Relaxed);
                let _ = writeln!(out, "xchannel_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}");
            }
            let count = series.count.load(Relaxed);
            let _ = writeln!(
                out,
                "xchannel_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {count}"
            );
            let _ = writeln!(
                out,
                "xchannel_http_request_duration_seconds_sum{{{labels}}} {}",
                series.sum_us.load(Relaxed) as f64 / 1e6
            );
            let _ = writeln!(
                out,
                "xchannel_http_request_duration_seconds_count{{{labels}}} {count}"
            );
        }
        out
    }
}

/// `xchannel_build_info`: always 1, the version and the git commit as labels.
pub fn render_build_info() -> String {
    format!(
        "# HELP xchannel_build_info The version and git commit of this binary.\n\
         # TYPE xchannel_build_info gauge\n\
         xchannel_build_info{{version=\"{}\",git_hash=\"{}\"}} 1\n",
        env!("CARGO_PKG_VERSION"),
        env!("XCHANNEL_GIT_HASH"),
    )
}

/// The database pools' connections by state, and their maximum.
pub fn render_pools(pools: &[crate::store::PoolGauge]) -> String {
    let mut out = String::new();
    out.push_str(
        "# HELP xchannel_db_pool_connections Open database connections, by pool and state.\n",
    );
    out.push_str("# TYPE xchannel_db_pool_connections gauge\n");
    for pool in pools {
        let busy = pool.size.saturating_sub(pool.idle);
        let _ = writeln!(
            out,
            "xchannel_db_pool_connections{{pool=\"{}\",state=\"idle\"}} {}",
            pool.name, pool.idle
        );
        let _ = writeln!(
            out,
            "xchannel_db_pool_connections{{pool=\"{}\",state=\"in_use\"}} {busy}",
            pool.name
        );
    }
    out.push_str("# HELP xchannel_db_pool_max_connections The most connections a pool opens.\n");
    out.push_str("# TYPE xchannel_db_pool_max_connections gauge\n");
    for pool in pools {
        let _ = writeln!(
            out,
            "xchannel_db_pool_max_connections{{pool=\"{}\"}} {}",
            pool.name, pool.max
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_requests_per_route_and_status_with_cumulative_buckets() {
        let metrics = Metrics::default();
        metrics.observe(
            "GET",
            "/api/v1/channels/{id}",
            200,
            Duration::from_micros(700),
        );
        metrics.observe(
            "GET",
            "/api/v1/channels/{id}",
            200,
            Duration::from_millis(30),
        );
        metrics.observe(
            "GET",
            "/api/v1/channels/{id}",
            404,
            Duration::from_micros(100),
        );
        let text = metrics.render();
        assert!(text.contains("xchannel_http_requests_total{method=\"GET\",route=\"/api/v1/channels/{id}\",status=\"200\"} 2"));
        assert!(text.contains("status=\"200\",le=\"0.001\"} 1"));
        assert!(text.contains("status=\"200\",le=\"0.05\"} 2"));
        assert!(text.contains("status=\"404\",le=\"+Inf\"} 1"));
    }
}

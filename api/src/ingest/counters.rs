//! Counts of webhook deliveries by outcome and of the messages they brought, for
//! `/metrics`.

use std::{
    fmt::Write,
    sync::{
        atomic::{AtomicU64, Ordering::Relaxed},
        Arc,
    },
};

/// How a delivery was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Signed, parsed, committed (or nothing in it to keep).
    Accepted,
    /// Signed and acknowledged, but for another X account than the channel's: not kept.
    OtherAccount,
    /// 401: the signature was missing or did not match.
    SignatureRefused,
    /// 400 or 413: not a delivery X documents.
    Malformed,
    /// 404: no such channel.
    UnknownChannel,
    /// The database failed: X will retry.
    Failed,
}

const OUTCOMES: [(Outcome, &str); 6] = [
    (Outcome::Accepted, "accepted"),
    (Outcome::OtherAccount, "other_account"),
    (Outcome::SignatureRefused, "signature_refused"),
    (Outcome::Malformed, "malformed"),
    (Outcome::UnknownChannel, "unknown_channel"),
    (Outcome::Failed, "failed"),
];

#[derive(Default)]
struct Counts {
    outcomes: [AtomicU64; OUTCOMES.len()],
    events_skipped: AtomicU64,
    messages_stored: AtomicU64,
    messages_duplicate: AtomicU64,
    commits: AtomicU64,
}

/// Shared by the handler and the group commit writer.
#[derive(Clone, Default)]
pub struct DeliveryCounters(Arc<Counts>);

impl DeliveryCounters {
    pub fn outcome(&self, outcome: Outcome) {
        if let Some(i) = OUTCOMES.iter().position(|(o, _)| *o == outcome) {
            self.0.outcomes[i].fetch_add(1, Relaxed);
        }
    }

    /// Events of kinds the service does not keep (typing, read receipts, follows, tweets).
    pub fn skipped(&self, events: usize) {
        self.0.events_skipped.fetch_add(events as u64, Relaxed);
    }

    /// One group committed: `offered` messages, of which `stored` were new.
    pub fn committed(&self, offered: u64, stored: u64) {
        self.0.commits.fetch_add(1, Relaxed);
        self.0.messages_stored.fetch_add(stored, Relaxed);
        self.0
            .messages_duplicate
            .fetch_add(offered.saturating_sub(stored), Relaxed);
    }

    pub fn render(&self, out: &mut String) {
        let c = &self.0;
        out.push_str("# HELP xchannel_webhook_deliveries_total Webhook deliveries by outcome.\n");
        out.push_str("# TYPE xchannel_webhook_deliveries_total counter\n");
        for (i, (_, name)) in OUTCOMES.iter().enumerate() {
            let _ = writeln!(
                out,
                "xchannel_webhook_deliveries_total{{outcome=\"{name}\"}} {}",
                c.outcomes[i].load(Relaxed)
            );
        }
        let plain = [
            (
                "xchannel_webhook_events_skipped_total",
                "Delivered events of kinds the service does not keep.",
                &c.events_skipped,
            ),
            (
                "xchannel_messages_stored_total",
                "Messages stored (each once).",
                &c.messages_stored,
            ),
            (
                "xchannel_messages_duplicate_total",
                "Messages delivered again and not stored twice.",
                &c.messages_duplicate,
            ),
            (
                "xchannel_group_commits_total",
                "Transactions of the delivery writer.",
                &c.commits,
            ),
        ];
        for (name, help, value) in plain {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
            let _ = writeln!(out, "{name} {}", value.load(Relaxed));
        }
    }
}

//! Receiving messages: the group commit that makes webhook deliveries durable before they
//! are answered, and the counts of what deliveries brought.

pub mod counters;
mod group_commit;

pub use counters::DeliveryCounters;
pub use group_commit::GroupCommit;

/// What the delivery endpoint shares across requests.
pub struct Ingest {
    pub group_commit: GroupCommit,
    pub counters: DeliveryCounters,
}

impl Ingest {
    /// Starts the writer of `store`'s database on the current runtime.
    pub fn start(store: crate::store::Store) -> Self {
        let counters = DeliveryCounters::default();
        Ingest {
            group_commit: GroupCommit::start(store, counters.clone()),
            counters,
        }
    }
}

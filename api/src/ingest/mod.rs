//! Receiving messages: the group commit that makes webhook deliveries durable before they
//! are answered, and the counts of what deliveries brought.

pub mod counters;
mod group_commit;

pub use counters::DeliveryCounters;
pub use group_commit::GroupCommit;

use sea_orm::DatabaseTransaction;

use crate::store::{self, messages::Message, StoreResult};

/// Stores `messages` within `tx` and returns those that were new (a message X sent
/// before, by any path, is skipped). Every path that brings messages (webhook
/// deliveries, the minute pull, replays and read-backs, replies sent) stores through
/// here, so the work that follows a new message happens once per message and commits or
/// rolls back with its row.
pub async fn store_messages(
    tx: &DatabaseTransaction,
    messages: Vec<Message>,
) -> StoreResult<Vec<Message>> {
    let new = store::messages::insert_new(tx, messages).await?;
    crate::conversations::attach(tx, &new).await?;
    Ok(new)
}

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

//! The events outbox: every message and conversation change writes an event in the
//! transaction that makes it.

/// An event to append, in the writer's transaction.
pub struct NewEvent {
    pub tenant_id: String,
    pub channel_id: Option<String>,
    pub kind: &'static str, // "conversation.opened", "conversation.queued", ...
    pub data: serde_json::Value, // the resource as the API shows it (camelCase)
}

// Placeholder: replaced by the events outbox at merge.
pub async fn append(
    _tx: &sea_orm::DatabaseTransaction,
    _event: NewEvent,
) -> crate::store::StoreResult<()> {
    Ok(())
}

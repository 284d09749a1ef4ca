//! Sends the automatic messages decided by `automation::enqueue`, each under a lease, at
//! most once. Before X is asked, the lease is renewed for the whole send and the row turns
//! `sending` from `pending` in one committed transaction, so only the lease's current
//! holder sends, and only once; a lease that expires mid-send (the instance died) finds
//! the row `sending` and records it `uncertain` instead of sending a second copy: X has no
//! idempotency key. X certainly not reached (no connection, its rate limit) leaves it
//! `pending` for another try a minute later. A message is skipped, with the reason, when
//! the channel is not active or its send budget is down to the reserve kept for agents'
//! replies.

use std::time::Duration;

use crate::{
    automation::{budget, SEND_KIND},
    conversations::reply::{self, Sent},
    error::{ApiError, Code},
    state::AppState,
    store::{self, automatic_messages as rows, leases::Lease},
};

use super::{Job, JobFuture, Next};

pub struct AutomaticMessages;

impl Job for AutomaticMessages {
    fn kind(&self) -> &'static str {
        SEND_KIND
    }

    /// Longer than a send with its retries of the connection can take.
    fn lease_for(&self) -> Duration {
        Duration::from_secs(120)
    }

    fn on_service_clock(&self) -> bool {
        true
    }

    fn work<'a>(&'a self, state: &'a AppState, lease: &'a Lease) -> JobFuture<'a> {
        Box::pin(work(state, lease, self.lease_for()))
    }
}

/// How long X's refusal to be reached (no connection, a 429) waits before another try.
const RETRY_UNREACHED: chrono::Duration = chrono::Duration::seconds(60);

async fn work(state: &AppState, lease: &Lease, lease_for: Duration) -> anyhow::Result<Next> {
    let clock = &state.settings.automation.clock;
    let db = state.store.reader();
    let Some(row) = rows::find(db, &lease.item).await? else {
        return Ok(Next::Done); // its conversation or channel was deleted
    };
    let settle = |from: &'static str, to: &'static str, detail: Option<String>| {
        let id = row.id.clone();
        async move {
            let tx = state.store.write().await?;
            let moved = rows::settle(&tx, &id, from, to, detail, clock.now()).await?;
            tx.commit().await?;
            Ok::<_, store::StoreError>(moved)
        }
    };
    match row.status.as_str() {
        rows::PENDING => {}
        rows::SENDING => {
            // A holder's lease ran out while X was asked (it renews the lease first, so
            // it died or hung): the message may be out.
            settle(
                rows::SENDING,
                rows::UNCERTAIN,
                Some("the service stopped while X was asked: the message may or may not have been sent, and is not sent again".into()),
            )
            .await?;
            return Ok(Next::Done);
        }
        _ => return Ok(Next::Done),
    }
    let conversation = store::conversations::find(db, &row.tenant_id, &row.conversation_id).await?;
    let channel = store::channels::find(db, &row.tenant_id, &row.channel_id).await?;
    if channel.status != "active" {
        let detail = format!("the channel is `{}`, not active", channel.status);
        settle(rows::PENDING, rows::SKIPPED, Some(detail)).await?;
        return Ok(Next::Done);
    }
    let reserve = state.settings.automation.reserve;
    let budget = budget::of_channel(db, &channel.id, clock, reserve).await?;
    if !budget.allows_automatic() {
        let detail = format!(
            "send budget: {} left at X, {} kept for agents' replies",
            budget.remaining, budget.reserve
        );
        settle(rows::PENDING, rows::SKIPPED, Some(detail)).await?;
        return Ok(Next::Done);
    }
    // The lease, renewed for the whole send, and `sending`, in one transaction: only the
    // instance whose lease is current, and only while the row is still pending, sends.
    let tx = state.store.write().await?;
    let mut held = lease.clone();
    match store::leases::renew_at(&tx, &mut held, lease_for, clock.now()).await {
        Ok(()) => {}
        Err(store::StoreError::Stale) => return Ok(Next::Settled), // another instance has it
        Err(other) => return Err(other.into()),
    }
    if !rows::settle(
        &tx,
        &row.id,
        rows::PENDING,
        rows::SENDING,
        None,
        clock.now(),
    )
    .await?
    {
        return Ok(Next::Done);
    }
    tx.commit().await?;
    let outcome = reply::send(state, &channel, &conversation, &row.text).await;
    match outcome {
        Ok(Sent::Yes(sent)) => {
            let tx = state.store.write().await?;
            // The row first: storing the message appends its event, which comes last.
            rows::settle(&tx, &row.id, rows::SENDING, rows::SENT, None, clock.now()).await?;
            let message = reply::store_sent(
                &tx,
                state,
                &channel,
                &conversation,
                &row.text,
                sent,
                Some(&row.reason),
            )
            .await
            .map_err(api_error)?;
            rows::set_message(&tx, &row.id, &message.id).await?;
            tx.commit().await?;
        }
        Ok(Sent::No(error)) if unreached(&error) => {
            // X certainly did not send it: it waits for another try.
            settle(rows::SENDING, rows::PENDING, Some(detail(&error))).await?;
            return Ok(Next::At(clock.now() + RETRY_UNREACHED));
        }
        Ok(Sent::No(error)) => {
            settle(rows::SENDING, rows::FAILED, Some(detail(&error))).await?;
        }
        Ok(Sent::Maybe(error)) => {
            settle(rows::SENDING, rows::UNCERTAIN, Some(detail(&error))).await?;
        }
        Err(error) => {
            // Nothing reached X (the credentials could not be read, say): try again later.
            settle(rows::SENDING, rows::PENDING, None).await?;
            return Err(api_error(error));
        }
    }
    Ok(Next::Done)
}

/// X was not reached or refused to be asked now: no connection, or its rate limit.
fn unreached(error: &ApiError) -> bool {
    matches!(error.code(), Code::XUnreachable | Code::XRateLimited)
}

fn detail(error: &ApiError) -> String {
    let problem = error.problem();
    format!("{}: {}", problem.code, problem.detail)
}

fn api_error(error: ApiError) -> anyhow::Error {
    anyhow::anyhow!("{}", detail(&error))
}

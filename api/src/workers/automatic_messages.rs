//! Sends the automatic messages decided by `automation::enqueue`, each under a lease, at
//! most once. Before X is asked the row turns `sending` (committed), so a lease that
//! expires mid-send (the instance died) finds it so and records it `uncertain` instead of
//! sending a second copy: X has no idempotency key. A message is skipped, with the reason,
//! when the channel is not active or its send budget is down to the reserve kept for
//! agents' replies.

use std::time::Duration;

use crate::{
    automation::{budget, SEND_KIND},
    conversations::reply::{self, Sent},
    error::ApiError,
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
        Box::pin(async move {
            work(state, &lease.item).await?;
            Ok(Next::Done)
        })
    }
}

async fn work(state: &AppState, id: &str) -> anyhow::Result<()> {
    let clock = &state.settings.automation.clock;
    let db = state.store.reader();
    let Some(row) = rows::find(db, id).await? else {
        return Ok(()); // its conversation or channel was deleted
    };
    let settle = |status: &'static str, detail: Option<String>, message_id: Option<String>| {
        let id = row.id.clone();
        async move {
            let tx = state.store.write().await?;
            rows::settle(&tx, &id, status, detail, message_id, clock.now()).await?;
            tx.commit().await?;
            Ok::<_, store::StoreError>(())
        }
    };
    match row.status.as_str() {
        rows::PENDING => {}
        rows::SENDING => {
            settle(
                rows::UNCERTAIN,
                Some("the service stopped while X was asked: the message may or may not have been sent, and is not sent again".into()),
                None,
            )
            .await?;
            return Ok(());
        }
        _ => return Ok(()),
    }
    let conversation = store::conversations::find(db, &row.tenant_id, &row.conversation_id).await?;
    let channel = store::channels::find(db, &row.tenant_id, &row.channel_id).await?;
    if channel.status != "active" {
        let detail = format!("the channel is `{}`, not active", channel.status);
        settle(rows::SKIPPED, Some(detail), None).await?;
        return Ok(());
    }
    let reserve = state.settings.automation.reserve;
    let budget = budget::of_channel(db, &channel.id, clock, reserve).await?;
    if !budget.allows_automatic() {
        let detail = format!(
            "send budget: {} left at X, {} kept for agents' replies",
            budget.remaining, budget.reserve
        );
        settle(rows::SKIPPED, Some(detail), None).await?;
        return Ok(());
    }
    settle(rows::SENDING, None, None).await?;
    let outcome = reply::send(state, &channel, &conversation, &row.text).await;
    match outcome {
        Ok(Sent::Yes(sent)) => {
            let tx = state.store.write().await?;
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
            rows::settle(
                &tx,
                &row.id,
                rows::SENT,
                None,
                Some(message.id),
                clock.now(),
            )
            .await?;
            tx.commit().await?;
        }
        Ok(Sent::No(error)) => settle(rows::FAILED, Some(detail(&error)), None).await?,
        Ok(Sent::Maybe(error)) => settle(rows::UNCERTAIN, Some(detail(&error)), None).await?,
        Err(error) => {
            // Nothing reached X (the credentials could not be read, say): try again later.
            let tx = state.store.write().await?;
            rows::settle(&tx, &row.id, rows::PENDING, None, None, clock.now()).await?;
            tx.commit().await?;
            return Err(api_error(error));
        }
    }
    Ok(())
}

fn detail(error: &ApiError) -> String {
    let problem = error.problem();
    format!("{}: {}", problem.code, problem.detail)
}

fn api_error(error: ApiError) -> anyhow::Error {
    anyhow::anyhow!("{}", detail(&error))
}

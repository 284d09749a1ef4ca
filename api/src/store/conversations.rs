//! Conversations: the messages of one customer on one channel, from the first inbound
//! message until `ended`, with the hand-over state. New messages are attached batch-wise
//! (one upsert per batch, keyed by the one open conversation of an X conversation); each
//! state change is one conditional UPDATE, so of two racing changes exactly one wins.

use std::collections::{HashMap, HashSet};

use sea_orm::{
    entity::prelude::*,
    sea_query::{Expr, OnConflict, Query, SimpleExpr},
    ActiveValue::Set,
    Condition, FromQueryResult, QueryOrder, QuerySelect, QueryTrait,
};

use super::{channels, messages::Message, new_id, now, StoreResult, TenantOwned};

pub(super) mod entity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "conversations")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub tenant_id: String,
        pub channel_id: String,
        /// X's `dm_conversation_id`.
        pub x_conversation_id: String,
        /// `x_conversation_id` while open, `None` once ended (index
        /// `conversations_channel_open`).
        pub open_key: Option<String>,
        pub customer_id: String,
        pub customer_username: Option<String>,
        pub customer_name: Option<String>,
        pub state: String,
        pub skill_queue_id: Option<String>,
        pub agent_id: Option<String>,
        pub inbound_count: i64,
        pub outbound_count: i64,
        pub opened_at: ChronoDateTimeUtc,
        pub ended_at: Option<ChronoDateTimeUtc>,
        pub last_inbound_at_ms: Option<i64>,
        pub last_outbound_at_ms: Option<i64>,
        pub last_activity_at_ms: i64,
        pub version: i32,
        /// The channel's intelligent robot, when the conversation started in `robot`.
        pub robot_id: Option<String>,
        /// Whether the channel's robot assistant helps the agent.
        pub robot_assistant: bool,
        /// The agent who served this customer last, within `lastAgentMode`'s `validHours`.
        pub preferred_agent_id: Option<String>,
        /// Messages the assigned agent sent since the assignment (automatic ones not counted).
        pub agent_messages: i64,
        /// The one timer the conversation waits on, due at `timer_due_at_ms` (service clock).
        pub timer: Option<String>,
        pub timer_due_at_ms: Option<i64>,
        /// When the last queue progress reminder was decided.
        pub last_progress_at_ms: Option<i64>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod link {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "conversation_messages")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub message_id: String,
        pub conversation_id: String,
        pub sent_at_ms: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

use entity::{ActiveModel, Column, Entity};

/// A conversation as stored.
pub type Conversation = entity::Model;

impl TenantOwned for Entity {
    fn tenant_column() -> Column {
        Column::TenantId
    }
}

pub const ROBOT: &str = "robot";
pub const QUEUED: &str = "queued";
pub const AGENT: &str = "agent";
pub const ENDED: &str = "ended";

/// Rows per statement: far below both databases' limits on bound parameters.
const ROWS_PER_STATEMENT: usize = 500;

/// The new messages of one X conversation of one channel within a batch.
struct Group {
    channel_id: String,
    x_conversation_id: String,
    customer_id: String,
    customer_username: Option<String>,
    customer_name: Option<String>,
    inbound: i64,
    outbound: i64,
    last_inbound_ms: Option<i64>,
    last_outbound_ms: Option<i64>,
    /// Outbound messages people sent (not the service's automatic ones): the assigned
    /// agent's, when the conversation is in `agent` (R-BASIC-10).
    by_people: i64,
    messages: Vec<(String, i64)>,
}

fn groups(messages: &[Message]) -> Vec<Group> {
    let mut order: Vec<Group> = Vec::new();
    let mut index: HashMap<(&str, &str), usize> = HashMap::new();
    for m in messages {
        let key = (m.channel_id.as_str(), m.conversation_id.as_str());
        let at = *index.entry(key).or_insert_with(|| {
            order.push(Group {
                channel_id: m.channel_id.clone(),
                x_conversation_id: m.conversation_id.clone(),
                customer_id: String::new(),
                customer_username: None,
                customer_name: None,
                inbound: 0,
                outbound: 0,
                last_inbound_ms: None,
                last_outbound_ms: None,
                by_people: 0,
                messages: Vec::new(),
            });
            order.len() - 1
        });
        let group = &mut order[at];
        group.messages.push((m.id.clone(), m.sent_at_ms));
        if m.direction == "outbound" {
            group.outbound += 1;
            if m.automatic.is_none() {
                group.by_people += 1;
            }
            group.last_outbound_ms = group.last_outbound_ms.max(Some(m.sent_at_ms));
            if group.customer_id.is_empty() {
                group.customer_id = m.recipient_id.clone().unwrap_or_default();
            }
        } else {
            group.inbound += 1;
            // The customer as its latest message names it.
            if group.last_inbound_ms.is_none_or(|l| m.sent_at_ms >= l) {
                group.customer_id = m.sender_id.clone();
                group.customer_username = m.sender_username.clone();
                group.customer_name = m.sender_name.clone();
            }
            group.last_inbound_ms = group.last_inbound_ms.max(Some(m.sent_at_ms));
        }
    }
    order
}

/// How a channel opens a conversation, by its settings as they are in the transaction
/// (the caller reads them): `robot` with the robot's id when its intelligent robot is on,
/// else `queued` in the channel's skill queue (R-ROBOT-1); the robot assistant's switch
/// (R-ROBOT-2); `lastAgentMode`'s hours when it is on (R-BASIC-11).
#[derive(Debug, Clone)]
pub struct Opening {
    pub tenant_id: String,
    /// The channel's own skill queue.
    pub skill_queue_id: String,
    pub robot_id: Option<String>,
    pub robot_assistant: bool,
    pub last_agent_hours: Option<i64>,
}

impl Opening {
    fn state(&self) -> &'static str {
        if self.robot_id.is_some() {
            ROBOT
        } else {
            QUEUED
        }
    }

    /// Where a conversation it opens waits: in no queue while the robot has it.
    fn queue(&self) -> Option<String> {
        self.robot_id.is_none().then(|| self.skill_queue_id.clone())
    }
}

/// For `lastAgentMode` (R-BASIC-11): sets `preferred_agent_id` of each conversation the
/// batch `opened` to the agent of the customer's previous conversation on the channel, when
/// that conversation had an agent and its last activity is within the channel's
/// `validHours` of `now_ms`. One query for the batch's openings (index
/// `conversations_channel_customer`), one UPDATE when any is preferred; nothing when the
/// batch opened nothing on a channel with the setting on.
async fn prefer_last_agents<C: ConnectionTrait>(
    db: &C,
    opened: &mut [Conversation],
    openings: &HashMap<String, Opening>,
    now_ms: i64,
) -> StoreResult<()> {
    let hours_of = |c: &Conversation| openings.get(&c.channel_id)?.last_agent_hours;
    let Some(longest) = opened.iter().filter_map(hours_of).max() else {
        return Ok(());
    };
    let wanted = opened.iter().filter(|c| hours_of(c).is_some());
    let channels: HashSet<&str> = wanted.clone().map(|c| c.channel_id.as_str()).collect();
    let customers: HashSet<&str> = wanted.map(|c| c.x_conversation_id.as_str()).collect();
    let rows: Vec<(String, String, Option<String>, i64)> = Entity::find()
        .select_only()
        .columns([
            Column::ChannelId,
            Column::XConversationId,
            Column::AgentId,
            Column::LastActivityAtMs,
        ])
        .filter(Column::ChannelId.is_in(channels))
        .filter(Column::XConversationId.is_in(customers))
        .filter(Column::OpenKey.is_null())
        .filter(Column::LastActivityAtMs.gte(now_ms - longest * HOUR_MS))
        .into_tuple()
        .all(db)
        .await?;
    // The previous conversation is the ended one of the latest activity; it counts only
    // when it had an agent, within its channel's hours.
    let mut latest: HashMap<(String, String), (i64, Option<String>)> = HashMap::new();
    for (channel_id, x_conversation_id, agent_id, at) in rows {
        let entry = latest
            .entry((channel_id, x_conversation_id))
            .or_insert((at, agent_id.clone()));
        if at > entry.0 {
            *entry = (at, agent_id);
        }
    }
    let mut preferred = Vec::new();
    for c in opened.iter_mut() {
        let Some(hours) = hours_of(c) else { continue };
        let key = (c.channel_id.clone(), c.x_conversation_id.clone());
        if let Some((at, Some(agent_id))) = latest.get(&key) {
            if *at >= now_ms - hours * HOUR_MS {
                c.preferred_agent_id = Some(agent_id.clone());
                preferred.push((c.id.clone(), agent_id.clone()));
            }
        }
    }
    for chunk in preferred.chunks(ROWS_PER_STATEMENT) {
        let mut choice = Expr::case(
            Expr::col(Column::Id).eq(chunk[0].0.as_str()),
            chunk[0].1.as_str(),
        );
        for (id, agent_id) in &chunk[1..] {
            choice = choice.case(Expr::col(Column::Id).eq(id.as_str()), agent_id.as_str());
        }
        Entity::update_many()
            .col_expr(
                Column::PreferredAgentId,
                choice.finally(Expr::col(Column::PreferredAgentId)).into(),
            )
            .filter(Column::Id.is_in(chunk.iter().map(|(id, _)| id.as_str())))
            .exec(db)
            .await?;
    }
    Ok(())
}

const HOUR_MS: i64 = 3_600_000;

/// The later of the stored and the offered value of a nullable millisecond column.
fn later_of(column: &str) -> SimpleExpr {
    Expr::cust(format!(
        "CASE WHEN excluded.{column} IS NULL THEN conversations.{column} \
         WHEN conversations.{column} IS NULL OR excluded.{column} > conversations.{column} \
         THEN excluded.{column} ELSE conversations.{column} END"
    ))
}

/// What attaching a batch of new messages did.
#[derive(Debug, Default)]
pub struct Attached {
    /// The conversations it opened.
    pub opened: Vec<Conversation>,
    /// Every conversation that received a message of the batch (the opened ones too), as
    /// it stands after the batch.
    pub touched: Vec<Conversation>,
    /// Where each conversation of `touched` is, by channel and X conversation.
    by_key: HashMap<String, HashMap<String, usize>>,
}

impl Attached {
    fn new(opened: Vec<Conversation>, touched: Vec<Conversation>) -> Self {
        let mut by_key: HashMap<String, HashMap<String, usize>> = HashMap::new();
        for (at, c) in touched.iter().enumerate() {
            by_key
                .entry(c.channel_id.clone())
                .or_default()
                .entry(c.x_conversation_id.clone())
                .or_insert(at);
        }
        Attached {
            opened,
            touched,
            by_key,
        }
    }

    /// The conversation a new message of the batch was attached to.
    pub fn of(&self, message: &Message) -> Option<&Conversation> {
        let at = self
            .by_key
            .get(&message.channel_id)?
            .get(&message.conversation_id)?;
        Some(&self.touched[*at])
    }
}

/// Attaches newly stored messages to their open conversation, opening one for an inbound
/// message that has none (after `ended`, a new one); an outbound message without an open
/// conversation stays unattached. Per batch: one upsert, the links; an outbound-only
/// conversation costs one UPDATE. `openings` say how each channel of the batch opens one,
/// by its settings as read in the transaction; a channel without one opens nothing.
///
/// An opening follows the channel's settings (robot, robot assistant, and with
/// `lastAgentMode` the previous conversation's agent as `preferred_agent_id`: one query
/// for the batch's openings, judged at `now_ms`, the service clock). Outbound messages
/// people sent count in `agent_messages` of a conversation in `agent` (R-BASIC-10).
pub async fn attach<C: ConnectionTrait>(
    db: &C,
    messages: &[Message],
    openings: &HashMap<String, Opening>,
    now_ms: i64,
) -> StoreResult<Attached> {
    if messages.is_empty() {
        return Ok(Attached::default());
    }
    let mut groups = groups(messages);
    // In key order, whatever order the messages came in: two writers (PostgreSQL has two
    // for deliveries) upserting some of the same conversations then lock their rows in one
    // order and wait for each other, instead of deadlocking until PostgreSQL's
    // `deadlock_timeout` (1 s) aborts one of them.
    groups.sort_unstable_by(|a, b| {
        (&a.channel_id, &a.x_conversation_id).cmp(&(&b.channel_id, &b.x_conversation_id))
    });
    let opened_at = now();
    let mut offered = HashSet::new();
    let mut rows = Vec::new();
    for g in groups.iter().filter(|g| g.inbound > 0) {
        let Some(opening) = openings.get(&g.channel_id) else {
            continue;
        };
        let id = new_id();
        offered.insert(id.clone());
        rows.push(ActiveModel {
            id: Set(id),
            tenant_id: Set(opening.tenant_id.clone()),
            channel_id: Set(g.channel_id.clone()),
            x_conversation_id: Set(g.x_conversation_id.clone()),
            open_key: Set(Some(g.x_conversation_id.clone())),
            customer_id: Set(g.customer_id.clone()),
            customer_username: Set(g.customer_username.clone()),
            customer_name: Set(g.customer_name.clone()),
            state: Set(opening.state().to_owned()),
            skill_queue_id: Set(opening.queue()),
            agent_id: Set(None),
            inbound_count: Set(g.inbound),
            outbound_count: Set(g.outbound),
            opened_at: Set(opened_at),
            ended_at: Set(None),
            last_inbound_at_ms: Set(g.last_inbound_ms),
            last_outbound_at_ms: Set(g.last_outbound_ms),
            last_activity_at_ms: Set(g.last_inbound_ms.max(g.last_outbound_ms).unwrap_or(0)),
            version: Set(1),
            robot_id: Set(opening.robot_id.clone()),
            robot_assistant: Set(opening.robot_assistant),
            preferred_agent_id: Set(None),
            // What the conflict adds to an open conversation in `agent`; a conversation
            // this row opens is in no agent's hands, and is set back to 0 below.
            agent_messages: Set(g.by_people),
            timer: Set(None),
            timer_due_at_ms: Set(None),
            last_progress_at_ms: Set(None),
        });
    }
    let backend = db.get_database_backend();
    let mut attached: HashMap<(String, String), String> = HashMap::new();
    let mut opened = Vec::new();
    let mut touched = Vec::new();
    let mut upsert_rows = rows.into_iter().peekable();
    while upsert_rows.peek().is_some() {
        let chunk: Vec<_> = upsert_rows.by_ref().take(ROWS_PER_STATEMENT).collect();
        let mut insert = Entity::insert_many(chunk).on_conflict(
            OnConflict::columns([Column::ChannelId, Column::OpenKey])
                .value(
                    Column::InboundCount,
                    Expr::cust("conversations.inbound_count + excluded.inbound_count"),
                )
                .value(
                    Column::OutboundCount,
                    Expr::cust("conversations.outbound_count + excluded.outbound_count"),
                )
                .value(Column::LastInboundAtMs, later_of("last_inbound_at_ms"))
                .value(Column::LastOutboundAtMs, later_of("last_outbound_at_ms"))
                .value(Column::LastActivityAtMs, later_of("last_activity_at_ms"))
                .value(
                    Column::CustomerUsername,
                    Expr::cust(
                        "COALESCE(excluded.customer_username, conversations.customer_username)",
                    ),
                )
                .value(
                    Column::CustomerName,
                    Expr::cust("COALESCE(excluded.customer_name, conversations.customer_name)"),
                )
                .value(
                    Column::AgentMessages,
                    Expr::cust(format!(
                        "conversations.agent_messages + CASE WHEN conversations.state = '{AGENT}' \
                         THEN excluded.agent_messages ELSE 0 END"
                    )),
                )
                .to_owned(),
        );
        let statement = backend.build(&insert.query().returning_all().to_owned());
        for row in db.query_all(statement).await? {
            let conversation = Conversation::from_query_result(&row, "")?;
            attached.insert(
                (
                    conversation.channel_id.clone(),
                    conversation.x_conversation_id.clone(),
                ),
                conversation.id.clone(),
            );
            if offered.contains(&conversation.id) {
                opened.push(conversation.clone());
            }
            touched.push(conversation);
        }
    }
    prefer_last_agents(db, &mut opened, openings, now_ms).await?;
    // Openings that came with people's outbound messages (one page of a pull holding both
    // ways) carried their count for the conflict only.
    let miscounted: Vec<String> = opened
        .iter()
        .filter(|c| c.agent_messages != 0)
        .map(|c| c.id.clone())
        .collect();
    if !miscounted.is_empty() {
        Entity::update_many()
            .col_expr(Column::AgentMessages, Expr::value(0))
            .filter(Column::Id.is_in(miscounted))
            .exec(db)
            .await?;
        for c in opened.iter_mut() {
            c.agent_messages = 0;
        }
    }
    // What the rules see of an opening is what was stored.
    let stored: HashMap<&str, &Conversation> = opened.iter().map(|c| (c.id.as_str(), c)).collect();
    for c in touched.iter_mut() {
        if let Some(stored) = stored.get(c.id.as_str()) {
            c.clone_from(stored);
        }
    }
    for g in groups.iter().filter(|g| g.inbound == 0) {
        if let Some(conversation) = record_outbound(db, g).await? {
            attached.insert(
                (g.channel_id.clone(), g.x_conversation_id.clone()),
                conversation.id.clone(),
            );
            touched.push(conversation);
        }
    }
    let links: Vec<link::ActiveModel> = groups
        .iter()
        .filter_map(|g| {
            let id = attached.get(&(g.channel_id.clone(), g.x_conversation_id.clone()))?;
            Some(
                g.messages
                    .iter()
                    .map(move |(message_id, sent_at_ms)| link::ActiveModel {
                        message_id: Set(message_id.clone()),
                        conversation_id: Set(id.clone()),
                        sent_at_ms: Set(*sent_at_ms),
                    }),
            )
        })
        .flatten()
        .collect();
    for chunk in links.chunks(ROWS_PER_STATEMENT) {
        link::Entity::insert_many(chunk.iter().cloned())
            .on_conflict(
                OnConflict::column(link::Column::MessageId)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(db)
            .await?;
    }
    Ok(Attached::new(opened, touched))
}

/// `update` counting `count` more outbound messages, the latest sent at `last` (ms): the
/// count, and the last outbound and last activity times moved forward, never back. (Built
/// by sea-query rather than written with `$1`: a custom expression's placeholders are the
/// backend's own, and `$1` binds nothing on SQLite.)
fn counting_outbound(
    update: sea_orm::UpdateMany<Entity>,
    count: i64,
    last: i64,
) -> sea_orm::UpdateMany<Entity> {
    update
        .col_expr(
            Column::OutboundCount,
            Expr::col(Column::OutboundCount).add(count),
        )
        .col_expr(
            Column::LastOutboundAtMs,
            Expr::case(
                Expr::col(Column::LastOutboundAtMs)
                    .is_null()
                    .or(Expr::col(Column::LastOutboundAtMs).lt(last)),
                last,
            )
            .finally(Expr::col(Column::LastOutboundAtMs))
            .into(),
        )
        .col_expr(
            Column::LastActivityAtMs,
            Expr::case(Expr::col(Column::LastActivityAtMs).lt(last), last)
                .finally(Expr::col(Column::LastActivityAtMs))
                .into(),
        )
}

/// Counts outbound messages on the open conversation they belong to; it, if any. (Built
/// from expressions, not `cust_with_values`: SQLite's `?` placeholders would leave a `$1`
/// in custom text to bind another value of the statement.)
async fn record_outbound<C: ConnectionTrait>(
    db: &C,
    g: &Group,
) -> StoreResult<Option<Conversation>> {
    let Some(last) = g.last_outbound_ms else {
        return Ok(None);
    };
    let updated = counting_outbound(Entity::update_many(), g.outbound, last)
        .col_expr(
            Column::AgentMessages,
            Expr::col(Column::AgentMessages)
                .add(Expr::case(Expr::col(Column::State).eq(AGENT), g.by_people).finally(0)),
        )
        .filter(Column::ChannelId.eq(g.channel_id.as_str()))
        .filter(Column::OpenKey.eq(g.x_conversation_id.as_str()));
    let updated = returning(db, updated).await?;
    Ok(updated.into_iter().next())
}

/// Links a message the service sent for `conversation_id` to it when the message is
/// attached to no conversation: what is sent after the end (the end text of
/// `noCustomerReplyEnd`) belongs to the conversation it ended, and counts there. A message
/// attached already (to the conversation open when it was stored) stays where it is.
pub async fn link_sent<C: ConnectionTrait>(
    db: &C,
    message: &Message,
    conversation_id: &str,
) -> StoreResult<()> {
    let linked = link::Entity::insert(link::ActiveModel {
        message_id: Set(message.id.clone()),
        conversation_id: Set(conversation_id.to_owned()),
        sent_at_ms: Set(message.sent_at_ms),
    })
    .on_conflict(
        OnConflict::column(link::Column::MessageId)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    if linked == 0 {
        return Ok(());
    }
    counting_outbound(Entity::update_many(), 1, message.sent_at_ms)
        .filter(Column::Id.eq(conversation_id))
        .exec(db)
        .await?;
    Ok(())
}

/// Takes back from `agent_messages` an outbound message counted as a person's that turns
/// out to be the service's own: X's echo of an automatic message, stored (and counted)
/// before the sender stored the message. Only while the conversation is still with the
/// agent it was with (`conversation`, as read before sending); a new agent's count is
/// left alone.
pub async fn uncount_agent_message<C: ConnectionTrait>(
    db: &C,
    conversation: &Conversation,
) -> StoreResult<()> {
    let Some(agent_id) = conversation.agent_id.as_deref() else {
        return Ok(());
    };
    Entity::update_many()
        .col_expr(
            Column::AgentMessages,
            Expr::col(Column::AgentMessages).sub(1),
        )
        .filter(Column::Id.eq(conversation.id.as_str()))
        .filter(Column::State.eq(AGENT))
        .filter(Column::AgentId.eq(agent_id))
        .filter(Column::AgentMessages.gt(0))
        .exec(db)
        .await?;
    Ok(())
}

/// Runs `update` and returns the rows it changed (sea-orm's own `exec_with_returning`
/// refuses SQLite, which has RETURNING since 3.35).
async fn returning<C: ConnectionTrait>(
    db: &C,
    update: sea_orm::UpdateMany<Entity>,
) -> StoreResult<Vec<Conversation>> {
    let backend = db.get_database_backend();
    let mut query = update.into_query();
    query.returning_all();
    let mut changed = Vec::new();
    for row in db.query_all(backend.build(&query)).await? {
        changed.push(Conversation::from_query_result(&row, "")?);
    }
    Ok(changed)
}

/// A conversation of the tenant.
pub async fn find<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    id: &str,
) -> StoreResult<Conversation> {
    Entity::secure_find(tenant_id)
        .filter(Column::Id.eq(id))
        .one(db)
        .await?
        .ok_or(super::StoreError::NotFound("conversation"))
}

/// Where a page of conversations starts: after this activity time and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConversationCursor {
    pub last_activity_at_ms: i64,
    pub id: String,
}

/// Which conversations of a tenant a list shows.
#[derive(Debug, Default)]
pub struct ConversationFilter {
    /// Only conversations of channels of these OUs (what the caller sees); `None`: all.
    pub visible_ous: Option<Vec<String>>,
    pub channel_id: Option<String>,
    pub state: Option<String>,
    pub skill_queue_id: Option<String>,
    pub agent_id: Option<String>,
    pub after: Option<ConversationCursor>,
}

/// The tenant's conversations, most recent activity first (ties by id), `limit + 1` rows
/// so the caller can tell whether another page follows.
pub async fn list<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    filter: ConversationFilter,
    limit: u64,
) -> StoreResult<Vec<Conversation>> {
    let mut query = Entity::secure_find(tenant_id)
        .order_by_desc(Column::LastActivityAtMs)
        .order_by_desc(Column::Id);
    if let Some(ous) = filter.visible_ous {
        use channels::entity::{Column as Ch, Entity as Channels};
        query = query.filter(
            Column::ChannelId.in_subquery(
                Query::select()
                    .column(Ch::Id)
                    .from(Channels)
                    .and_where(Ch::TenantId.eq(tenant_id))
                    .and_where(Ch::OuId.is_in(ous))
                    .to_owned(),
            ),
        );
    }
    if let Some(channel_id) = filter.channel_id {
        query = query.filter(Column::ChannelId.eq(channel_id));
    }
    if let Some(state) = filter.state {
        query = query.filter(Column::State.eq(state));
    }
    if let Some(queue) = filter.skill_queue_id {
        query = query.filter(Column::SkillQueueId.eq(queue));
    }
    if let Some(agent) = filter.agent_id {
        query = query.filter(Column::AgentId.eq(agent));
    }
    if let Some(after) = filter.after {
        query = query.filter(
            Condition::any()
                .add(Column::LastActivityAtMs.lt(after.last_activity_at_ms))
                .add(
                    Condition::all()
                        .add(Column::LastActivityAtMs.eq(after.last_activity_at_ms))
                        .add(Column::Id.lt(after.id)),
                ),
        );
    }
    Ok(query.limit(limit + 1).all(db).await?)
}

/// A conversation's messages, newest first by X's time (ties by id), `limit + 1` rows.
pub async fn messages<C: ConnectionTrait>(
    db: &C,
    conversation: &Conversation,
    after: Option<super::messages::MessageCursor>,
    limit: u64,
) -> StoreResult<Vec<Message>> {
    use super::messages::entity::{Column as M, Entity as Messages};
    let mut query = Messages::find()
        .filter(M::ChannelId.eq(conversation.channel_id.as_str()))
        .filter(
            M::Id.in_subquery(
                Query::select()
                    .column(link::Column::MessageId)
                    .from(link::Entity)
                    .and_where(link::Column::ConversationId.eq(conversation.id.as_str()))
                    .to_owned(),
            ),
        )
        .order_by_desc(M::SentAtMs)
        .order_by_desc(M::Id);
    if let Some(after) = after {
        query = query.filter(
            Condition::any().add(M::SentAtMs.lt(after.sent_at_ms)).add(
                Condition::all()
                    .add(M::SentAtMs.eq(after.sent_at_ms))
                    .add(M::Id.lt(after.id)),
            ),
        );
    }
    Ok(query.limit(limit + 1).all(db).await?)
}

/// What a state change writes.
#[derive(Debug, Clone)]
pub struct Change {
    pub state: &'static str,
    pub skill_queue_id: Option<String>,
    pub agent_id: Option<String>,
}

/// Applies `change` to `current` if the row is still in the state and version read: one
/// conditional UPDATE, so of two racing changes one wins. `None` when another change came
/// first. A change of agent (assigned, transferred, back to a queue) starts the count of
/// the agent's messages again (R-BASIC-10).
pub async fn change<C: ConnectionTrait>(
    db: &C,
    current: &Conversation,
    change: Change,
) -> StoreResult<Option<Conversation>> {
    let new_agent = change.agent_id != current.agent_id;
    let mut update = Entity::update_many()
        .col_expr(Column::State, Expr::value(change.state))
        .col_expr(Column::SkillQueueId, Expr::value(change.skill_queue_id))
        .col_expr(Column::AgentId, Expr::value(change.agent_id))
        .col_expr(Column::Version, Expr::col(Column::Version).add(1));
    if new_agent {
        update = update.col_expr(Column::AgentMessages, Expr::value(0));
    }
    if change.state == ENDED {
        update = update
            .col_expr(Column::OpenKey, Expr::value(Option::<String>::None))
            .col_expr(Column::EndedAt, Expr::value(now()));
    }
    let updated = update
        .filter(Column::Id.eq(current.id.as_str()))
        .filter(Column::TenantId.eq(current.tenant_id.as_str()))
        .filter(Column::State.eq(current.state.as_str()))
        .filter(Column::Version.eq(current.version));
    let updated = returning(db, updated).await?;
    Ok(updated.into_iter().next())
}

/// Sets the one timer of conversation `id` (`Some((name, due_at_ms))`, replacing any
/// other) or clears it (`None`); with `in_state`, only while the conversation is in that
/// state. The conversation as it is now, `None` when no row matched. A timer is not a
/// state change: the version stays, so it never makes the router's change conflict.
pub async fn set_timer<C: ConnectionTrait>(
    db: &C,
    id: &str,
    timer: Option<(&str, i64)>,
    in_state: Option<&str>,
) -> StoreResult<Option<Conversation>> {
    let (name, due) = match timer {
        Some((name, due)) => (Some(name.to_owned()), Some(due)),
        None => (None, None),
    };
    let mut update = Entity::update_many()
        .col_expr(Column::Timer, Expr::value(name))
        .col_expr(Column::TimerDueAtMs, Expr::value(due))
        .filter(Column::Id.eq(id));
    if let Some(state) = in_state {
        update = update.filter(Column::State.eq(state));
    }
    Ok(returning(db, update).await?.into_iter().next())
}

/// Conversation `id`, held by this transaction until it ends: a row lock on PostgreSQL
/// (an UPDATE that changes nothing), the write lock on SQLite, so a message stored at
/// the same moment waits and then sees what the holder decided. `None` when deleted.
pub async fn hold<C: ConnectionTrait>(db: &C, id: &str) -> StoreResult<Option<Conversation>> {
    let update = Entity::update_many()
        .col_expr(Column::Timer, Expr::col(Column::Timer).into())
        .filter(Column::Id.eq(id));
    Ok(returning(db, update).await?.into_iter().next())
}

/// Records that a queue progress reminder is decided now (`at_ms`, service clock) for the
/// conversation `id` if it is still `queued` and none was decided within `gap_ms`: one
/// conditional UPDATE, so of two reports at once one decides. The conversation as it now
/// stands; `None` when it is not queued or the last decision is too recent.
pub async fn mark_progress<C: ConnectionTrait>(
    db: &C,
    tenant_id: &str,
    id: &str,
    at_ms: i64,
    gap_ms: i64,
) -> StoreResult<Option<Conversation>> {
    let update = Entity::update_many()
        .col_expr(Column::LastProgressAtMs, Expr::value(at_ms))
        .filter(Column::Id.eq(id))
        .filter(Column::TenantId.eq(tenant_id))
        .filter(Column::State.eq(QUEUED))
        .filter(
            Condition::any()
                .add(Column::LastProgressAtMs.is_null())
                .add(Column::LastProgressAtMs.lte(at_ms - gap_ms)),
        );
    Ok(returning(db, update).await?.into_iter().next())
}

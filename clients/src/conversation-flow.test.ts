// A router's and an agent desktop's flow through the generated client: a customer's DM
// opens a conversation (`robot`, the channel's robot being on), the router queues it,
// reports its queue position (the progress reminder is decided; a second report within
// the minute is throttled) and assigns it, a second assign is the 409
// `conversation_state`, a transfer hands it to another agent, a reply through a channel
// that is not active is the 409 `channel_not_active`, and the end closes it.
//
//   XCH_BASE=http://127.0.0.1:PORT XCH_TOKEN=<tenant admin> XCH_OU=<ou id> XCH_QUEUE=<route id> \
//   node --test dist/
import assert from "node:assert/strict";
import { createHmac, randomUUID } from "node:crypto";
import { test } from "node:test";

import { type ChannelDraft, xchannel } from "./client.js";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const api = xchannel(env("XCH_BASE"), env("XCH_TOKEN"));
const run = randomUUID().replaceAll("-", "").slice(0, 12);

function draft(name: string): ChannelDraft {
  return {
    name,
    type: "x",
    x: {
      apiKey: `akc${run}`,
      apiKeySecret: `aksc${run}`,
      accessToken: `1234-atc${run}`,
      accessTokenSecret: `atsc${run}`,
      accountLevel: "enterprise",
      signatureAlgorithm: "SHA-256",
    },
    ouId: env("XCH_OU"),
    skillQueueId: env("XCH_QUEUE"),
    transferKeywords: ["agent"],
    queueReminder: { mode: "all", content: "Please wait." },
    robot: { intelligentRobot: { enabled: true, robotId: "bot-1" }, robotAssistant: { enabled: false } },
  };
}

test("a conversation is opened by a DM, queued, assigned, transferred and ended through the client", async () => {
  const body = draft(`ts_conversations_${run}`);
  const created = await api.POST("/api/v1/channels", { body });
  assert.equal(created.response.status, 201, JSON.stringify(created.error));
  const channelId = created.data?.id ?? "";
  const delivery = JSON.stringify({
    for_user_id: "1000000000000000001",
    direct_message_events: [{
      type: "message_create", id: "1900000000000000777", created_timestamp: "1733000000000",
      message_create: {
        target: { recipient_id: "1000000000000000001" }, sender_id: "2000000000000000003",
        message_data: { text: "Hello, where is my order?" },
      },
    }],
    users: { "2000000000000000003": { id: "2000000000000000003", name: "Grace", screen_name: "grace" } },
  });
  const signature = "sha256=" + createHmac("sha256", body.x.apiKeySecret ?? "").update(delivery).digest("base64");
  const delivered = await fetch(`${env("XCH_BASE")}/webhooks/x/${channelId}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-twitter-webhooks-signature": signature },
    body: delivery,
  });
  assert.equal(delivered.status, 200);

  const listed = await api.GET("/api/v1/conversations", { params: { query: { channelId, limit: 10 } } });
  assert.equal(listed.response.status, 200, JSON.stringify(listed.error));
  assert.equal(listed.data?.items.length, 1);
  const opened = listed.data!.items[0]!;
  assert.equal(opened.state, "robot");
  assert.deepEqual(opened.customer, { id: "2000000000000000003", username: "grace", name: "Grace" });
  assert.deepEqual(opened.counts, { inbound: 1, outbound: 0 });
  const path = { id: opened.id };

  const messages = await api.GET("/api/v1/conversations/{id}/messages", { params: { path } });
  assert.equal(messages.response.status, 200);
  assert.deepEqual(messages.data?.items.map((m) => m.text), ["Hello, where is my order?"]);

  const queued = await api.POST("/api/v1/conversations/{id}/queue", { params: { path }, body: {} });
  assert.equal(queued.response.status, 200, JSON.stringify(queued.error));
  assert.equal(queued.data?.state, "queued");
  assert.equal(queued.data?.skillQueueId, env("XCH_QUEUE"));
  const position = await api.POST("/api/v1/conversations/{id}/queue-position", {
    params: { path },
    body: { position: 2, waitSeconds: 60 },
  });
  assert.equal(position.response.status, 202, JSON.stringify(position.error));
  assert.equal(position.data?.decided, true);
  assert.equal(
    position.data?.automaticMessage?.text,
    "You are currently in the queue, in position 2, and are expected to wait for 60 seconds",
  );
  const throttled = await api.POST("/api/v1/conversations/{id}/queue-position", {
    params: { path },
    body: { position: 1, waitSeconds: 30 },
  });
  assert.equal(throttled.data?.decided, false);
  assert.equal(throttled.data?.reason, "throttled");
  const assigned = await api.POST("/api/v1/conversations/{id}/assign", { params: { path }, body: { agentId: "agent-1" } });
  assert.equal(assigned.data?.state, "agent");
  const again = await api.POST("/api/v1/conversations/{id}/assign", { params: { path }, body: { agentId: "agent-9" } });
  assert.equal(again.response.status, 409);
  assert.equal(again.error?.code, "conversation_state");
  const transferred = await api.POST("/api/v1/conversations/{id}/transfer", {
    params: { path },
    body: { target: { type: "agent", id: "agent-2" } },
  });
  assert.equal(transferred.data?.agentId, "agent-2");

  const reply = await api.POST("/api/v1/conversations/{id}/messages", {
    params: { path, header: { "Idempotency-Key": `reply-${run}` } },
    body: { text: "Hello Grace" },
  });
  assert.equal(reply.response.status, 409);
  assert.equal(reply.error?.code, "channel_not_active");

  const ended = await api.POST("/api/v1/conversations/{id}/end", { params: { path } });
  assert.equal(ended.data?.state, "ended");
  const read = await api.GET("/api/v1/conversations/{id}", { params: { path } });
  assert.equal(read.data?.state, "ended");
  assert.ok(read.data?.endedAt);

  const deleted = await api.DELETE("/api/v1/channels/{id}", { params: { path: { id: channelId } } });
  assert.equal(deleted.response.status, 204);
  const gone = await api.GET("/api/v1/conversations/{id}", { params: { path } });
  assert.equal(gone.response.status, 404);
});

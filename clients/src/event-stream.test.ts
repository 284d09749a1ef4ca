// A frontend's live view through the generated client (R-CONV-2): a signed delivery to a
// channel, then the tenant's event stream (`text/event-stream`, read as a stream) resumed
// from the start with `lastEventId`, filtered to the channel and to `message.received` (the
// conversation the DM opens writes its own events after it): the delivery's message comes
// as `message.received` with its id, and the stream ends by itself (the contract run sets
// XCHANNEL_EVENT_STREAM_SECONDS), as a client must expect before it resumes.
//
//   XCH_BASE=... XCH_TOKEN=<tenant admin> XCH_OU=<ou id> XCH_QUEUE=<route id> node --test dist/
import assert from "node:assert/strict";
import { createHmac, randomUUID } from "node:crypto";
import { test } from "node:test";

import { type ChannelDraft, type Event, xchannel } from "./client.js";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const api = xchannel(env("XCH_BASE"), env("XCH_TOKEN"));
const run = randomUUID().replaceAll("-", "").slice(0, 12);

/** The blocks of a Server-Sent Events body, until the server ends it (or `limit` ms). */
async function blocks(body: ReadableStream<Uint8Array>, limit: number): Promise<string[]> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const timer = setTimeout(() => void reader.cancel(), limit);
  let text = "";
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  clearTimeout(timer);
  return text.split("\n\n").filter((b) => b !== "");
}

test("a delivered message is on the event stream as message.received, resumed with lastEventId", async () => {
  const body: ChannelDraft = {
    name: `ts_events_${run}`,
    type: "x",
    x: {
      apiKey: `ake${run}`,
      apiKeySecret: `akse${run}`,
      accessToken: `1234-ate${run}`,
      accessTokenSecret: `atse${run}`,
      accountLevel: "enterprise",
      signatureAlgorithm: "SHA-256",
    },
    ouId: env("XCH_OU"),
    skillQueueId: env("XCH_QUEUE"),
    transferKeywords: ["agent"],
    queueReminder: { mode: "all", content: "Please wait." },
    robot: { intelligentRobot: { enabled: true, robotId: "bot-1" }, robotAssistant: { enabled: false } },
  };
  const created = await api.POST("/api/v1/channels", { body });
  assert.equal(created.response.status, 201, JSON.stringify(created.error));
  const id = created.data?.id ?? "";
  const delivery = JSON.stringify({
    for_user_id: "4337869213",
    direct_message_events: [
      {
        type: "message_create",
        id: "1900000000000000077",
        created_timestamp: "1733000000000",
        message_create: {
          target: { recipient_id: "4337869213" },
          sender_id: "3001969357",
          message_data: { text: "Is anyone there?" },
        },
      },
    ],
    users: { "3001969357": { id: "3001969357", name: "Ada", screen_name: "ada" } },
  });
  const signature = "sha256=" + createHmac("sha256", body.x.apiKeySecret ?? "").update(delivery).digest("base64");
  const delivered = await fetch(`${env("XCH_BASE")}/webhooks/x/${id}`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-twitter-webhooks-signature": signature },
    body: delivery,
  });
  assert.equal(delivered.status, 200);

  const stream = await api.GET("/api/v1/events", {
    params: { query: { channelId: id, type: "message.received", lastEventId: "0" } },
    parseAs: "stream",
  });
  assert.equal(stream.response.status, 200);
  assert.equal(stream.response.headers.get("content-type"), "text/event-stream");
  assert.ok(stream.data);
  const got = await blocks(stream.data, 15000);
  assert.match(got[0] ?? "", /^retry: \d+$/);
  const events = got.filter((b) => b.includes("\nevent: "));
  assert.equal(events.length, 1, got.join("\n---\n"));
  const lines = Object.fromEntries((events[0] ?? "").split("\n").map((l) => [l.slice(0, l.indexOf(": ")), l.slice(l.indexOf(": ") + 2)]));
  assert.equal(lines.event, "message.received");
  const event: Event = JSON.parse(lines.data ?? "{}");
  assert.equal(String(event.id), lines.id);
  assert.equal(event.type, "message.received");
  assert.equal(event.channelId, id);
  assert.equal((event.data as { xEventId?: string }).xEventId, "1900000000000000077");

  const refused = await api.GET("/api/v1/events", { params: { query: { type: "message.deleted" } } });
  assert.equal(refused.response.status, 400);
  assert.equal(refused.error?.code, "invalid_query");
});

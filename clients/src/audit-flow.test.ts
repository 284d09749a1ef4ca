// A frontend's audit view through the generated client (issue 17): "who switched this
// channel to SHA-1?" answered from the channel's history and from GET /audit-events,
// filtered and paged; a secret rotated in the same edit shows only as `changed`; a bad
// filter is a 400 naming it.
//
//   XCH_BASE=http://127.0.0.1:PORT XCH_TOKEN=<tenant admin> XCH_OU=<ou id> XCH_QUEUE=<route id> \
//   node --test dist/
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import { type ChannelDraft, type Schemas, xchannel } from "./client.js";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const api = xchannel(env("XCH_BASE"), env("XCH_TOKEN"));
const run = randomUUID().replaceAll("-", "").slice(0, 12);

function draft(name: string, secret: string): ChannelDraft {
  return {
    name,
    type: "x",
    x: {
      apiKey: `auditak${run}`,
      apiKeySecret: secret,
      accessToken: `1234-auditat${run}`,
      accessTokenSecret: `auditats${run}`,
      accountLevel: "enterprise",
      signatureAlgorithm: "SHA-256",
    },
    ouId: env("XCH_OU"),
    skillQueueId: env("XCH_QUEUE"),
    transferKeywords: ["agent"],
    queueReminder: { mode: "all", content: "Please wait." },
    robot: { intelligentRobot: { enabled: false }, robotAssistant: { enabled: false } },
  };
}

test("the trail tells who switched a channel to SHA-1, and never the secret rotated with it", async () => {
  const name = `audited_${run}`;
  const created = await api.POST("/api/v1/channels", { body: draft(name, `first${run}`) });
  assert.equal(created.response.status, 201, JSON.stringify(created.error));
  assert.ok(created.data);
  const id = created.data.id;

  const body = draft(name, `second${run}`);
  body.x.signatureAlgorithm = "SHA-1";
  const edited = await api.PUT("/api/v1/channels/{id}", {
    params: { path: { id }, header: { "If-Match": `"${created.data.version}"` } },
    body,
  });
  assert.equal(edited.response.status, 200, JSON.stringify(edited.error));

  const history = await api.GET("/api/v1/channels/{id}/history", { params: { path: { id } } });
  assert.equal(history.response.status, 200, JSON.stringify(history.error));
  assert.ok(history.data);
  const actions = history.data.items.map((e: Schemas["AuditEventOut"]) => e.action);
  assert.deepEqual(actions, ["channel.updated", "channel.created"]);
  const edit = history.data.items[0];
  assert.ok(edit);
  assert.equal(edit.actor.type, "token");
  assert.equal(edit.actor.type === "token" && edit.actor.role, "tenant-admin");
  assert.deepEqual(edit.resource, { type: "channel", id, name });
  const algorithm = edit.changes.find((c) => c.pointer === "/x/signatureAlgorithm");
  assert.deepEqual(algorithm, { pointer: "/x/signatureAlgorithm", before: "SHA-256", after: "SHA-1" });
  const secret = edit.changes.find((c) => c.pointer === "/x/apiKeySecret");
  assert.deepEqual(secret, { pointer: "/x/apiKeySecret", changed: true, hint: edited.data?.credentials.apiKeySecret });
  assert.ok(!JSON.stringify(history.data).includes(`second${run}`));
  assert.ok(!JSON.stringify(history.data).includes(`first${run}`));

  // The same event in the tenant's trail, by its filters, one page at a time.
  const first = await api.GET("/api/v1/audit-events", {
    params: { query: { resourceType: "channel", resourceId: id, limit: 1 } },
  });
  assert.equal(first.response.status, 200, JSON.stringify(first.error));
  assert.deepEqual(first.data?.items, [edit]);
  assert.ok(first.data?.nextCursor);
  const second = await api.GET("/api/v1/audit-events", {
    params: { query: { resourceType: "channel", resourceId: id, limit: 1, cursor: first.data.nextCursor } },
  });
  assert.equal(second.data?.items[0]?.action, "channel.created");
  assert.equal(second.data?.nextCursor, null);
  const updates = await api.GET("/api/v1/audit-events", {
    params: { query: { action: "channel.updated", resourceId: id } },
  });
  assert.equal(updates.data?.items.length, 1);

  const bad = await api.GET("/api/v1/audit-events", {
    params: { query: { from: "yesterday" as unknown as string } },
  });
  assert.equal(bad.response.status, 400);
  assert.equal(bad.error?.code, "invalid_query");
  assert.deepEqual(bad.error?.errors?.map((e) => e.pointer), ["/query/from"]);

  const deleted = await api.DELETE("/api/v1/channels/{id}", { params: { path: { id } } });
  assert.equal(deleted.response.status, 204);
  const gone = await api.GET("/api/v1/audit-events", {
    params: { query: { action: "channel.deleted", resourceId: id } },
  });
  assert.equal(gone.data?.items[0]?.resource.name, name);
});

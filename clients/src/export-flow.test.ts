// A frontend's export flow through the generated client (R-EXPORT): ask for an archive,
// follow the task's progress to `success`, download the ZIP, delete the task; a weak
// password is a 422 naming the field.
//
//   XCH_BASE=http://127.0.0.1:PORT XCH_TOKEN=<tenant admin> node --test dist/
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";

import { xchannel } from "./client.js";

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const api = xchannel(env("XCH_BASE"), env("XCH_TOKEN"));

test("an export is asked for, followed to success, downloaded and deleted through the client", async () => {
  const weak = await api.POST("/api/v1/exports", { body: { compressionPassword: "password" } });
  assert.equal(weak.response.status, 422);
  assert.equal(weak.error?.code, "validation_failed");
  assert.deepEqual(weak.error?.errors?.map((e) => e.pointer), ["/compressionPassword"]);

  const asked = await api.POST("/api/v1/exports", { body: { compressionPassword: "Export-2026", format: "csv" } });
  assert.equal(asked.response.status, 202, JSON.stringify(asked.error));
  assert.ok(asked.data);
  const id = asked.data.id;
  assert.equal(asked.response.headers.get("location"), `/api/v1/exports/${id}`);

  let task = asked.data;
  for (let i = 0; i < 300 && (task.status === "pending" || task.status === "running"); i++) {
    await sleep(100);
    const read = await api.GET("/api/v1/exports/{id}", { params: { path: { id } } });
    assert.equal(read.response.status, 200);
    assert.ok(read.data);
    task = read.data;
  }
  assert.equal(task.status, "success", JSON.stringify(task));
  assert.ok(task.fileCount >= 1);

  const archive = await api.GET("/api/v1/exports/{id}/archive", { params: { path: { id } }, parseAs: "arrayBuffer" });
  assert.equal(archive.response.status, 200);
  assert.equal(archive.response.headers.get("content-type"), "application/zip");
  assert.ok(archive.data);
  const bytes = new Uint8Array(archive.data);
  assert.equal(bytes.length, task.archiveBytes);
  assert.deepEqual([...bytes.slice(0, 2)], [0x50, 0x4b], "a ZIP starts with PK");

  const listed = await api.GET("/api/v1/exports", { params: { query: { limit: 200 } } });
  assert.ok(listed.data?.items.some((t) => t.id === id));

  const deleted = await api.DELETE("/api/v1/exports/{id}", { params: { path: { id } } });
  assert.equal(deleted.response.status, 204);
  const gone = await api.GET("/api/v1/exports/{id}", { params: { path: { id } } });
  assert.equal(gone.response.status, 404);
  assert.equal(gone.error?.code, "not_found");
});

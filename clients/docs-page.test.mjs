// The docs page as a person sees it: /docs/ opened in Debian's headless Chromium with no
// network, which must render one entry per operation of ../openapi.yaml; a screenshot is
// kept at $XCH_SCREENSHOT.
//
//   XCH_BASE=http://127.0.0.1:PORT XCH_SCREENSHOT=../target/contract/docs.png node --test docs-page.test.mjs
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { test } from "node:test";

import { chromium } from "playwright-core";

const base = process.env.XCH_BASE ?? "http://127.0.0.1:8080";
const screenshot = process.env.XCH_SCREENSHOT ?? "../target/contract/docs.png";

// Every operation of the committed document, as "METHOD path".
function documentedOperations() {
  const yaml = readFileSync(new URL("../openapi.yaml", import.meta.url), "utf8");
  const operations = [];
  let path = null;
  for (const line of yaml.split("\n")) {
    const p = line.match(/^  (\/\S*):$/);
    if (p) path = p[1];
    else if (/^\S/.test(line)) path = null;
    const m = line.match(/^    (get|put|post|delete|patch):$/);
    if (path && m) operations.push(`${m[1].toUpperCase()} ${path}`);
  }
  return operations;
}

test("the docs page renders every documented operation in headless Chromium", async () => {
  const expected = documentedOperations();
  assert.ok(expected.length > 20, `operations read from openapi.yaml: ${expected.length}`);
  // The flags keep Chromium from reaching for the network it does not have here;
  // Playwright gives it a new empty profile.
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 2400 } });
    const outside = [];
    page.on("request", (request) => {
      if (!request.url().startsWith(base) && !request.url().startsWith("data:")) outside.push(request.url());
    });
    const response = await page.goto(`${base}/docs/`);
    assert.equal(response?.status(), 200);
    await page.waitForSelector(".opblock", { timeout: 20_000 });
    const rendered = await page.$$eval(".opblock", (blocks) =>
      blocks.map((b) => {
        const method = b.querySelector(".opblock-summary-method")?.textContent?.trim() ?? "";
        const path = b.querySelector(".opblock-summary-path")?.getAttribute("data-path") ??
          b.querySelector(".opblock-summary-path")?.textContent?.trim() ?? "";
        return `${method} ${path.replace(/\u200b/g, "")}`;
      }),
    );
    assert.deepEqual([...rendered].sort(), [...expected].sort());
    const title = await page.textContent(".information-container .title");
    assert.match(title ?? "", /xchannel/);
    mkdirSync(dirname(screenshot), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    assert.deepEqual(outside, [], "the page loads nothing from outside the service");
  } finally {
    await browser.close();
  }
});

// Webhooks end to end: a receiver of our own (node:http on 127.0.0.1, which ENVIRONMENT=local allows)
// gets the events of an endpoint made in the app. The secret is shown once; a test event arrives signed
// with it (Standard Webhooks, checked here with node:crypto) and reads `delivered` in the log; a receiver
// that answers 500 leaves the delivery failing until it is fixed and the delivery redelivered; deliveries
// that keep failing disable the endpoint, which a banner on every page says until it is enabled again.
// The suite's stack retries within seconds and disables an endpoint after two dead deliveries in a row
// (WEBHOOK_RETRY_SCHEDULE, WEBHOOK_DISABLE_AFTER_DEAD in tests/conftest.py). The steps build on each other.
import assert from "node:assert/strict";
import { createHmac, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { createRequire } from "node:module";
import { after, before, test } from "node:test";

import { assertNoFaults, baseURL, launchBrowser, openApp, screenshot, signIn, uniqueUser } from "./support.mjs";

// Every retry of a failing delivery, sent by the webhooks worker, on a loaded two-core machine.
const DELIVERY_TIMEOUT = 90_000;
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

/** The receiver: answers `answer.status`, keeps every request it was sent. */
const answer = { status: 200 };
const received = [];
const receiver = createServer((request, response) => {
  const chunks = [];
  request.on("data", (chunk) => chunks.push(chunk));
  request.on("end", () => {
    received.push({ headers: request.headers, body: Buffer.concat(chunks).toString("utf8"), status: answer.status, at: Date.now() });
    response.writeHead(answer.status, { "content-type": "text/plain" });
    response.end(answer.status === 200 ? "thanks" : "receiver broke");
  });
});

let browser;
let app; // { context, page, faults }
let hookUrl;
let secret;

before(async () => {
  await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  hookUrl = `http://127.0.0.1:${receiver.address().port}/hooks/workopti`;
  browser = await launchBrowser();
  app = await openApp(browser);
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => receiver.close(resolve));
});

/** The serious and critical WCAG A/AA violations on the page as it is now. */
async function violations(page) {
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(axeSource);
  const results = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }));
  return results.violations
    .filter((violation) => ["serious", "critical"].includes(violation.impact))
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** Whether `header` (Standard Webhooks: space-separated `v1,<base64>`) holds the HMAC-SHA256 of
 * `id.timestamp.body` under `whsec` (`whsec_` and the key in base64). */
function signedWith(whsec, { headers, body }) {
  const key = Buffer.from(whsec.slice("whsec_".length), "base64");
  const expected = createHmac("sha256", key).update(`${headers["webhook-id"]}.${headers["webhook-timestamp"]}.${body}`).digest();
  return headers["webhook-signature"].split(" ").some((entry) => {
    const [version, signature] = entry.split(",");
    const given = Buffer.from(signature ?? "", "base64");
    return version === "v1" && given.length === expected.length && timingSafeEqual(given, expected);
  });
}

function deliveries(page) {
  return page.getByRole("table", { name: "Deliveries" });
}

/** The newest delivery's row (rows[0] is the header). */
function newest(page) {
  return deliveries(page).getByRole("row").nth(1);
}

async function waitForStatus(row, status, timeout = DELIVERY_TIMEOUT) {
  await row.getByRole("cell").first().getByText(status, { exact: true }).waitFor({ timeout });
}

test("signs in and opens Webhooks from the navigation", async () => {
  const { page } = app;
  await signIn(page, uniqueUser("hook"));
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Webhooks" }).click();
  await page.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
  await page.getByText("No endpoints yet.").waitFor();
  assert.deepEqual(await violations(page), []);
  assertNoFaults(app.faults);
});

test("adds an endpoint for document.ready and shows its signing secret once", async () => {
  const { page, context } = app;
  const form = page.getByRole("region", { name: "Add an endpoint" });
  await form.getByRole("textbox", { name: "URL" }).fill(hookUrl);
  await form.getByRole("checkbox", { name: "document.ready" }).check();
  await form.getByRole("textbox", { name: "Description (optional)" }).fill("receiver of the browser test");
  await form.getByRole("button", { name: "Add endpoint" }).click();

  const shown = page.getByRole("region", { name: `Endpoint added: ${hookUrl}` });
  await shown.waitFor();
  assert.ok(await shown.evaluate((node) => node === document.activeElement), "the new secret takes the focus");
  await shown.getByText("Copy this signing secret now: it will not be shown again.").waitFor();
  secret = await shown.getByRole("textbox", { name: "Signing secret" }).inputValue();
  assert.match(secret, /^whsec_[A-Za-z0-9+/]{43}=$/);
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseURL });
  await shown.getByRole("button", { name: "Copy" }).click();
  await shown.getByText("Copied to the clipboard.").waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret, "Copy put the secret on the clipboard");
  const row = page.getByRole("table", { name: "Webhook endpoints" }).getByRole("row").filter({ hasText: hookUrl });
  await row.getByText("document.ready", { exact: true }).waitFor();
  await row.getByText("enabled", { exact: true }).waitFor();
  assert.deepEqual(await violations(page), []);
  await screenshot(page, "webhooks-secret");

  await shown.getByRole("button", { name: "Done" }).click();
  await shown.waitFor({ state: "detached" });
  assert.equal(await page.getByRole("textbox", { name: "Signing secret" }).count(), 0, "the secret is not shown again");
  await page.reload();
  await row.waitFor();
  assert.ok(!(await page.content()).includes(secret), "nor is it anywhere on the page");
  assertNoFaults(app.faults);
});

test("sends a test event, which the receiver gets signed with that secret, and the log reads delivered", async () => {
  const { page } = app;
  await page.getByRole("table", { name: "Webhook endpoints" }).getByRole("link", { name: hookUrl }).click();
  await page.getByRole("heading", { level: 1, name: hookUrl }).waitFor();
  await page.getByText("No deliveries yet. Send a test event to see one here.").waitFor();
  await page.getByRole("button", { name: "Send test event" }).click();

  const row = newest(page);
  await row.getByText("webhook.test", { exact: true }).waitFor();
  await waitForStatus(row, "delivered");
  await row.getByRole("cell", { name: "200", exact: true }).waitFor();
  assert.match(await row.getByRole("cell").nth(4).innerText(), /^\d+(\.\d)? m?s$/, "the attempt's duration");

  assert.equal(received.length, 1, "one request reached the receiver");
  const [request] = received;
  for (const header of ["webhook-id", "webhook-timestamp", "webhook-signature"]) assert.ok(request.headers[header], `${header} is sent`);
  assert.ok(Math.abs(Number(request.headers["webhook-timestamp"]) * 1000 - request.at) < 60_000, "the timestamp is now");
  assert.ok(signedWith(secret, request), `the signature verifies with the secret shown: ${request.headers["webhook-signature"]}`);
  assert.ok(!signedWith(`whsec_${Buffer.alloc(32, 7).toString("base64")}`, request), "and with no other secret");
  const event = JSON.parse(request.body);
  assert.equal(event.type, "webhook.test");

  await row.getByRole("button", { name: /^Details of webhook\.test at / }).click();
  const attempts = page.getByRole("list", { name: /^Attempts of webhook\.test at / });
  await attempts.getByRole("listitem").filter({ hasText: /^Attempt 1: HTTP 200 in / }).waitFor();
  await page.getByText(request.headers["webhook-id"], { exact: true }).waitFor();
  assert.deepEqual(await violations(page), []);
  await screenshot(page, "webhooks-delivered");
  assertNoFaults(app.faults);
});

test("a receiver answering 500 fails the delivery; fixed, the delivery is redelivered and reads delivered", async () => {
  const { page } = app;
  answer.status = 500;
  const before = received.length;
  await page.getByRole("button", { name: "Send test event" }).click();
  const row = newest(page);
  // Wait for a new row, not the delivered one below it.
  await row.getByRole("cell").first().getByText(/^(pending|sending|retrying|dead)$/).waitFor();
  await row.getByRole("cell").first().getByText(/^(retrying|dead)$/).waitFor({ timeout: DELIVERY_TIMEOUT });
  await row.getByRole("cell", { name: "500", exact: true }).waitFor();
  await row.getByRole("button", { name: /^Details of webhook\.test at / }).click();
  const attempts = page.getByRole("list", { name: /^Attempts of webhook\.test at / }).first();
  await attempts.getByRole("listitem").filter({ hasText: /^Attempt 1: HTTP 500 in / }).waitFor();
  await screenshot(page, "webhooks-failing");
  // Every retry failing too; then nothing more is sent on its own.
  await waitForStatus(row, "dead");
  const failed = received.slice(before);
  assert.ok(failed.length >= 2, `retried: ${failed.length} attempts`);
  assert.ok(failed.every((request) => request.status === 500));
  const messageId = failed[0].headers["webhook-id"];
  assert.ok(failed.every((request) => request.headers["webhook-id"] === messageId), "every attempt is the same message");

  answer.status = 200;
  const pressed = Date.now();
  await row.getByRole("button", { name: /^Redeliver webhook\.test of / }).click();
  await waitForStatus(row, "delivered");
  await row.getByRole("cell", { name: "200", exact: true }).waitFor();
  const redelivered = received.filter((request) => request.at >= pressed);
  assert.equal(redelivered.length, 1);
  assert.equal(redelivered[0].headers["webhook-id"], messageId, "a redelivery is the same message again");
  assert.ok(signedWith(secret, redelivered[0]));
  await attempts.getByRole("listitem").filter({ hasText: new RegExp(`^Attempt ${failed.length + 1}: HTTP 200 in `) }).waitFor();
  assertNoFaults(app.faults);
});

test("deliveries that keep failing disable the endpoint; a banner says so on every page until it is enabled", async () => {
  const { page } = app;
  answer.status = 500;
  for (let i = 0; i < 2; i += 1) {
    const rows = await deliveries(page).getByRole("row").count();
    await page.getByRole("button", { name: "Send test event" }).click();
    await deliveries(page).getByRole("row").nth(rows).waitFor();
    await waitForStatus(newest(page), "dead");
  }
  const banner = page.getByRole("region", { name: "Webhooks need attention" });
  await banner.getByText(hookUrl).waitFor();
  await banner.getByText(/failed every attempt/).waitFor();
  const details = page.getByRole("region", { name: "Endpoint" });
  await details.getByText("disabled", { exact: true }).waitFor();
  assert.ok(await page.getByRole("button", { name: "Send test event" }).isDisabled(), "no test is sent to a disabled endpoint");
  await screenshot(page, "webhooks-disabled");

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Documents" }).click();
  await page.getByRole("heading", { level: 1, name: "Documents" }).waitFor();
  await banner.waitFor();
  await banner.getByRole("link", { name: "Review webhooks" }).click();
  await page.getByRole("heading", { level: 1, name: hookUrl }).waitFor();

  answer.status = 200;
  await page.getByRole("button", { name: "Enable" }).click();
  await banner.waitFor({ state: "detached" });
  await details.getByText("enabled", { exact: true }).waitFor();
  // The dead deliveries wait for a redelivery; the newest is sent again as soon as it is asked.
  const pressed = Date.now();
  await newest(page).getByRole("button", { name: /^Redeliver/ }).click();
  await waitForStatus(newest(page), "delivered");
  assert.ok(received.some((request) => request.at >= pressed && request.status === 200));
  assertNoFaults(app.faults);
});

test("deletes the endpoint after confirming; nothing more is sent to it", async () => {
  const { page } = app;
  await page.getByRole("button", { name: "Delete" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete this endpoint?" });
  await dialog.waitFor();
  assert.deepEqual(await violations(page), []);
  await dialog.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("heading", { level: 1, name: "Webhooks" }).waitFor();
  await page.getByText("No endpoints yet.").waitFor();
  const count = received.length;
  await page.waitForTimeout(1500);
  assert.equal(received.length, count);
  assertNoFaults(app.faults);
});

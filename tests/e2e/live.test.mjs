// Documents followed live: a batch of uploads reaches ready in the UI by the event stream, and again
// with the stream blocked, when the app falls back to polling each document (ETag, 304) and keeps trying
// the stream. Each run counts the requests the page made for the documents meanwhile and logs them.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  PIPELINE_TIMEOUT, assertNoFaults, launchBrowser, openApp, signIn, uniqueUser, waitForRowStatus,
} from "./support.mjs";

const BATCH = 5;
const DOCUMENT = /^\/api\/v1\/documents\/[0-9a-f-]{36}$/;
const LIST = "/api/v1/documents";
const EVENTS = "/api/v1/events";

let browser;

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
});

/** Small text files whose bytes are the run's own (the same bytes would be one document). */
function batch(label) {
  return Array.from({ length: BATCH }, (_, i) => ({
    name: `${label}-${i + 1}.txt`,
    mimeType: "text/plain",
    buffer: Buffer.from(`${label} note ${i + 1}: the harbour crane was inspected on ${new Date().toISOString()}.`),
  }));
}

/** What the page asked for, by kind, from now until stop(). */
function countRequests(page) {
  const seen = { document: 0, notModified: 0, list: 0, events: 0, eventStreams: 0 };
  const onResponse = (response) => {
    const request = response.request();
    if (request.method() !== "GET") return;
    const { pathname } = new URL(response.url());
    if (DOCUMENT.test(pathname)) {
      seen.document += 1;
      if (response.status() === 304) seen.notModified += 1;
    } else if (pathname === LIST) {
      seen.list += 1;
    } else if (pathname === EVENTS && /^text\/event-stream/.test(response.headers()["content-type"] ?? "")) {
      seen.eventStreams += 1;
    }
  };
  const onRequest = (request) => {
    if (new URL(request.url()).pathname === EVENTS) seen.events += 1;
  };
  page.on("response", onResponse);
  page.on("request", onRequest);
  return () => {
    page.off("response", onResponse);
    page.off("request", onRequest);
    return seen;
  };
}

/** Uploads the batch and waits until every file reads ready in its upload row and in the list. */
async function uploadAndWait(page, files) {
  await page.getByRole("region", { name: "Upload documents" }).getByLabel("Choose files").setInputFiles(files);
  const uploads = page.getByRole("list", { name: "Uploads" });
  const started = Date.now();
  for (const { name } of files) {
    await uploads.getByRole("listitem").filter({ hasText: name }).getByText("ready", { exact: true })
      .waitFor({ timeout: PIPELINE_TIMEOUT });
  }
  for (const { name } of files) await waitForRowStatus(page, name, "ready");
  return Date.now() - started;
}

function report(label, seen, ms) {
  console.log(
    `${label}: ${BATCH} documents ready in ${(ms / 1000).toFixed(1)} s; GET requests to /api/v1/documents: `
    + `${seen.document + seen.list} (${seen.document} for single documents, ${seen.notModified} of them 304; `
    + `${seen.list} for the list); to ${EVENTS}: ${seen.events} (${seen.eventStreams} streams opened)`,
  );
}

/** One user uploads a batch and waits for it, with the event stream or (`blocked`) without it. */
async function follow(label, { blocked }) {
  const app = await openApp(browser);
  const { page } = app;
  // A proxy that lets no event stream through.
  if (blocked) await page.route((url) => url.pathname === EVENTS, (route) => route.abort());
  const streamed = blocked ? null : page.waitForResponse((response) => new URL(response.url()).pathname === EVENTS);
  await signIn(page, uniqueUser(label));
  const stream = await streamed;
  const stop = countRequests(page);
  const ms = await uploadAndWait(page, batch(label));
  await page.waitForTimeout(3000); // whatever comes after the last document is done counts too
  const seen = stop();
  await app.context.close();
  return { stream, seen, ms, faults: app.faults };
}

// Both at once, so that both batches meet the same load on the machine.
test(`${BATCH} uploads reach ready by the live stream, and by polling with the stream blocked`, async () => {
  const [live, polled] = await Promise.all([follow("streamed", { blocked: false }), follow("polled", { blocked: true })]);
  report("with the stream", live.seen, live.ms);
  report("without the stream", polled.seen, polled.ms);

  assert.equal(live.stream.status(), 200);
  assert.match(live.stream.headers()["content-type"], /^text\/event-stream/, "the app follows the event stream");
  assertNoFaults(live.faults);

  assert.equal(polled.seen.eventStreams, 0);
  assert.ok(polled.seen.events >= 1, `the stream is tried again meanwhile (${polled.seen.events} tries)`);
  // The aborted streams are the point of this run, not a fault.
  assertNoFaults(polled.faults.filter((fault) => !/net::ERR_FAILED/.test(fault)));
});

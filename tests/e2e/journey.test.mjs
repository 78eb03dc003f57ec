// One user's day, step by step in one browser session each: sign in, upload a PDF and an image, watch
// them reach ready, read a document, process it again, download it, search, ask the documents a question
// and follow a citation to the quoted words, ask a follow-up, make an API key that is shown once, use it and
// revoke it, share with a colleague who sees it read-only, then delete it and watch it leave both views. The
// steps build on each other, so they run in order.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";

import {
  PIPELINE_TIMEOUT, assertNoFaults, baseURL, documentRow, file, launchBrowser, openApp, screenshot, signIn, uniqueUser,
  waitForRowStatus,
} from "./support.mjs";

const PDF = "lighthouse-invoice.pdf";
const IMAGE = "bakery-receipt.png";
// Two pages (plain text pages at form feeds); the facts asked about are on page 2.
const FERRY = "ferry-timetable.txt";
const FERRY_TEXT = "Harbour timetable. The harbour office opens at six in the morning on weekdays.\f"
  + "The ferry Nordlys carries 320 passengers between Bodø and Moskenes. "
  + "The ferry Nordlys also takes 40 cars on its lower deck.";
const QUESTION = "How many passengers does the ferry Nordlys carry?";
const FOLLOW_UP = "And how many cars?";
// The local answerer quotes the documents: its answers say so once they are done.
const QUOTED = "Quoted from your documents (local, extractive)";
const owner = uniqueUser("ada");
const colleague = uniqueUser("grace");

let browser;
let ada; // { context, page, faults }
let grace;

before(async () => {
  browser = await launchBrowser();
  ada = await openApp(browser);
});

after(async () => {
  await browser?.close();
});

test("signs in with the keyboard alone", async () => {
  await screenshot(ada.page, "sign-in");
  await signIn(ada.page, owner);
  const nav = ada.page.getByRole("navigation", { name: "Main" });
  for (const link of ["Documents", "Search", "Shared with me", "Ask", "API keys"]) await nav.getByRole("link", { name: link }).waitFor();
  assertNoFaults(ada.faults);
});

test("uploads a PDF and an image, each with its own progress, and watches both reach ready", async () => {
  const { page } = ada;
  const upload = page.getByRole("region", { name: "Upload documents" });
  await upload.getByLabel("Choose files").setInputFiles([file(PDF), file(IMAGE)]);
  const uploads = page.getByRole("list", { name: "Uploads" });
  for (const name of [PDF, IMAGE]) await uploads.getByRole("listitem").filter({ hasText: name }).waitFor();
  await screenshot(page, "uploading");
  for (const name of [PDF, IMAGE]) {
    await uploads.getByRole("listitem").filter({ hasText: name }).getByText("ready", { exact: true })
      .waitFor({ timeout: PIPELINE_TIMEOUT });
  }
  for (const name of [PDF, IMAGE]) await waitForRowStatus(page, name, "ready");
  await screenshot(page, "documents");
  assertNoFaults(ada.faults);
});

test("filters the list by type and sorts it by name on the server", async () => {
  const { page } = ada;
  const table = page.getByRole("table", { name: "Documents" });
  await page.getByRole("combobox", { name: "Type" }).selectOption("image");
  await documentRow(page, PDF).waitFor({ state: "detached" });
  await documentRow(page, IMAGE).waitFor();
  await page.getByRole("combobox", { name: "Type" }).selectOption({ index: 0 });
  await page.getByRole("combobox", { name: "Sort" }).selectOption("filename");
  await documentRow(page, PDF).waitFor();
  const names = await table.getByRole("link").allInnerTexts();
  assert.deepEqual(names, [IMAGE, PDF], "sorted by filename, A to Z");
  await page.getByRole("textbox", { name: "Filter by name" }).fill("lighthouse");
  await documentRow(page, IMAGE).waitFor({ state: "detached" });
  assert.deepEqual(await table.getByRole("link").allInnerTexts(), [PDF]);
  await page.getByRole("textbox", { name: "Filter by name" }).fill("");
  await documentRow(page, IMAGE).waitFor();
});

test("shows the PDF beside its text, page by page, with results and the job timeline", async () => {
  const { page } = ada;
  await documentRow(page, PDF).getByRole("link", { name: PDF }).click();
  await page.getByRole("heading", { level: 1, name: PDF }).waitFor();
  await page.getByText("Status: ready").waitFor();
  const original = page.getByRole("region", { name: "Original" });
  await original.locator("canvas").first().waitFor();
  const drawn = await original.locator("canvas").first().evaluate((canvas) => {
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let dark = 0;
    for (let i = 0; i < pixels.length; i += 4) if (pixels[i] < 128 && pixels[i + 3] > 0) dark += 1;
    return { width: canvas.width, dark };
  });
  assert.ok(drawn.width > 200 && drawn.dark > 100, `pdf.js drew the page (${JSON.stringify(drawn)})`);
  const text = page.getByRole("region", { name: "Extracted text" });
  await text.getByRole("region", { name: "Page 1" }).getByText(/INV-2031-0007/).waitFor();
  await text.getByRole("region", { name: "Page 2" }).getByText(/copper cupola/).waitFor();
  for (const heading of ["Summary", "Classification", "Fields", "Keywords"]) {
    await page.getByRole("heading", { name: heading }).waitFor();
  }
  const jobs = page.getByRole("list", { name: "Jobs" }).getByRole("listitem");
  assert.equal(await jobs.count(), 3);
  for (const kind of ["extract", "embed", "ai"]) {
    const job = jobs.filter({ hasText: kind });
    await job.getByText(/succeeded/).waitFor();
    assert.equal(await job.getByRole("button", { name: `Cancel ${kind}` }).count(), 0, "no cancel on a finished job");
  }
  await screenshot(page, "document");
  assertNoFaults(ada.faults);
});

test("processes the PDF again: its text stays while the new run goes, then the new run's replaces it", async () => {
  const { page } = ada;
  const outputsFetched = [];
  const onResponse = (response) => {
    const { pathname } = new URL(response.url());
    if (/^\/api\/v1\/documents\/[^/]+\/(pages|results)$/.test(pathname)) outputsFetched.push(`${response.status()} ${pathname}`);
  };
  page.on("response", onResponse);
  const again = page.getByRole("button", { name: "Process again" });
  await again.click();
  await page.getByText(/^Status: (queued|processing)$/).waitFor();
  await page.getByText(/^Processing again: /).waitFor();
  // One look at the page: the note, the earlier text and the disabled button, all at the same moment.
  const during = await page.evaluate(() => ({
    note: document.querySelector(".run-note")?.textContent ?? "",
    text: document.querySelector("section.extracted")?.textContent ?? "",
    summary: document.querySelector(".results")?.textContent ?? "",
    disabled: [...document.querySelectorAll("button")].find((b) => b.textContent === "Process again")?.disabled,
  }));
  assert.equal(during.note, "Processing again: the text, search index and results shown are the previous run's until the new run finishes.");
  assert.match(during.text, /INV-2031-0007/, "the earlier run's text stays while the new run goes");
  assert.doesNotMatch(during.summary, /appear once processing/, "and so do its results");
  assert.equal(during.disabled, true, "no second run while one is going");
  assert.deepEqual(outputsFetched, [], "the shown text and results are not fetched again while the run goes");
  await screenshot(page, "processing-again");

  await page.getByText("Status: ready").waitFor({ timeout: PIPELINE_TIMEOUT });
  const text = page.getByRole("region", { name: "Extracted text" });
  await text.getByRole("region", { name: "Page 1" }).getByText(/INV-2031-0007/).waitFor();
  await text.getByRole("region", { name: "Page 2" }).getByText(/copper cupola/).waitFor();
  assert.equal(await page.getByText(/previous run/).count(), 0, "the page shows the newest run's outputs");
  assert.ok(await again.isEnabled());
  const jobs = page.getByRole("list", { name: "Jobs" }).getByRole("listitem");
  assert.equal(await jobs.count(), 3);
  for (const kind of ["extract", "embed", "ai"]) await jobs.filter({ hasText: kind }).getByText(/succeeded/).waitFor();
  // The switch to the new run's outputs moved their cache keys: both were fetched anew, once.
  await page.locator(".results .provenance").waitFor();
  page.off("response", onResponse);
  assert.deepEqual(outputsFetched.map((line) => line.split(" ")[0]), ["200", "200"], outputsFetched.join(", "));
  assertNoFaults(ada.faults);
});

test("downloads the original byte for byte", async () => {
  const { page } = ada;
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Download" }).or(page.getByRole("link", { name: "Download" })).click(),
  ]);
  assert.equal(download.suggestedFilename(), PDF);
  const saved = readFileSync(await download.path());
  assert.deepEqual(saved, readFileSync(file(PDF)));
});

test("marks the image's text as OCR", async () => {
  const { page } = ada;
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Documents" }).click();
  await documentRow(page, IMAGE).getByRole("link", { name: IMAGE }).click();
  await page.getByRole("heading", { level: 1, name: IMAGE }).waitFor();
  const firstPage = page.getByRole("region", { name: "Extracted text" }).getByRole("region", { name: "Page 1" });
  await firstPage.getByText("OCR", { exact: true }).waitFor();
  await firstPage.getByText(/sourdough/i).waitFor();
  const image = page.getByRole("region", { name: "Original" }).getByRole("img");
  await image.waitFor();
  assert.ok(await image.evaluate((img) => img.complete && img.naturalWidth > 0), "the original image loaded");
  await screenshot(page, "ocr-page");
  assertNoFaults(ada.faults);
});

test("search highlights the words and opens the document at the right page", async () => {
  const { page } = ada;
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Search" }).click();
  await page.getByRole("searchbox", { name: "Search documents" }).fill("copper cupola");
  await page.getByRole("button", { name: "Search" }).click();
  const results = page.getByRole("list", { name: "Results" });
  const hit = results.getByRole("link", { name: new RegExp(`${PDF}.*page 2`, "i") }).first();
  await hit.waitFor();
  const marked = await results.locator("mark").allInnerTexts();
  assert.ok(marked.some((word) => /copper|cupola/i.test(word)), `query words are highlighted: ${marked}`);
  await screenshot(page, "search");
  await hit.click();
  await page.getByRole("heading", { level: 1, name: PDF }).waitFor();
  assert.match(page.url(), /[?&]page=2\b/);
  const pageTwo = page.getByRole("region", { name: "Extracted text" }).getByRole("region", { name: "Page 2" });
  await pageTwo.waitFor();
  assert.ok(await pageTwo.evaluate((section) => {
    const box = section.getBoundingClientRect();
    return box.top < window.innerHeight && box.bottom > 0;
  }), "page 2 is scrolled into view");
  assertNoFaults(ada.faults);
});

/** Whether the element's box is (at least partly) inside the window and inside every scrolling box around it. */
function inView(locator) {
  return locator.evaluate((element) => {
    const box = element.getBoundingClientRect();
    if (box.height === 0 || box.bottom <= 0 || box.top >= window.innerHeight) return false;
    for (let parent = element.parentElement; parent; parent = parent.parentElement) {
      if (!/(auto|scroll)/.test(getComputedStyle(parent).overflowY)) continue;
      const frame = parent.getBoundingClientRect();
      if (box.bottom <= frame.top || box.top >= frame.bottom) return false;
    }
    return true;
  });
}

let conversationUrl;

test("asks the documents a question: the answer streams in and its citation opens the page with the quote marked", async () => {
  const { page } = ada;
  const nav = page.getByRole("navigation", { name: "Main" });
  await nav.getByRole("link", { name: "Documents" }).click();
  await page.getByRole("region", { name: "Upload documents" }).getByLabel("Choose files")
    .setInputFiles({ name: FERRY, mimeType: "text/plain", buffer: Buffer.from(FERRY_TEXT, "utf8") });
  await waitForRowStatus(page, FERRY, "ready");

  await nav.getByRole("link", { name: "Ask" }).click();
  await page.getByRole("heading", { level: 1, name: "Ask your documents" }).waitFor();
  const asked = page.waitForResponse((response) => new URL(response.url()).pathname === "/api/v1/ask");
  const box = page.getByRole("textbox", { name: "Question" });
  await box.fill(QUESTION);
  await box.press("Enter");
  const response = await asked;
  assert.equal(response.request().headers().accept, "text/event-stream");
  assert.match(response.headers()["content-type"], /^text\/event-stream/, "the answer came as a stream of events");

  const turn = page.getByRole("article", { name: QUESTION });
  const answer = turn.locator(".answer-text");
  assert.equal(await answer.getAttribute("aria-live"), "polite");
  // The session's first answer loads the embedding model into the API: slow on a busy machine.
  await answer.filter({ hasText: /\S/ }).waitFor({ timeout: PIPELINE_TIMEOUT });
  await turn.getByText(QUOTED).waitFor({ timeout: PIPELINE_TIMEOUT });
  assert.equal(await turn.getByRole("status").count(), 0, "nothing is still being written");
  assert.match(await answer.innerText(), /320 passengers/);
  const marker = answer.getByRole("link", { name: new RegExp(`^Citation \\d+: ${FERRY}, page 2$`) }).first();
  await marker.waitFor();

  const citation = turn.getByRole("list", { name: "Citations" }).getByRole("listitem").filter({ hasText: "320 passengers" }).first();
  const quote = await citation.locator("blockquote").innerText();
  assert.match(quote, /The ferry Nordlys carries 320 passengers/);
  await page.waitForURL(/[?&]conversation=[0-9a-f-]{36}/);
  conversationUrl = page.url();
  await screenshot(page, "ask");

  await citation.getByRole("link", { name: `${FERRY}, page 2` }).click();
  await page.getByRole("heading", { level: 1, name: FERRY }).waitFor();
  const url = new URL(page.url());
  assert.equal(url.searchParams.get("page"), "2");
  assert.equal(url.searchParams.get("quote"), quote);
  const text = page.getByRole("region", { name: "Extracted text" });
  const mark = text.getByRole("region", { name: "Page 2" }).locator("mark");
  await mark.waitFor();
  assert.equal(await mark.innerText(), quote, "the quoted words are marked on the page they come from");
  assert.equal(await text.getByRole("region", { name: "Page 1" }).locator("mark").count(), 0);
  assert.ok(await inView(mark), "the marked quote is scrolled into view");
  await screenshot(page, "ask-citation");
  assertNoFaults(ada.faults);
});

test("asks a follow-up in the same conversation, which the list of conversations keeps", async () => {
  const { page } = ada;
  await page.goBack();
  assert.equal(page.url(), conversationUrl);
  const conversation = page.getByRole("region", { name: "Conversation" });
  await conversation.getByRole("article", { name: QUESTION }).getByText(/320 passengers/).first().waitFor();

  const asked = page.waitForRequest((request) => new URL(request.url()).pathname === "/api/v1/ask");
  const box = page.getByRole("textbox", { name: "Follow-up question" });
  await box.fill(FOLLOW_UP);
  await box.press("Enter");
  const body = (await asked).postDataJSON();
  assert.equal(body.conversation_id, new URL(conversationUrl).searchParams.get("conversation"));

  const second = conversation.getByRole("article", { name: FOLLOW_UP });
  await second.getByText(QUOTED).waitFor({ timeout: PIPELINE_TIMEOUT });
  const quotes = await second.getByRole("list", { name: "Citations" }).locator("blockquote").allInnerTexts();
  assert.ok(quotes.some((quote) => quote.includes("40 cars")), `the follow-up cites the cars: ${quotes}`);
  assert.deepEqual(await conversation.getByRole("heading", { level: 2 }).allInnerTexts(), [QUESTION, FOLLOW_UP]);
  assert.equal(page.url(), conversationUrl, "still the same conversation");

  const list = page.getByRole("list", { name: "Earlier conversations" });
  const listed = list.getByRole("link", { name: QUESTION });
  await listed.waitFor();
  assert.equal(await list.getByRole("link").count(), 1, "one conversation, with both turns");
  assert.equal(await listed.getAttribute("aria-current"), "page");
  await screenshot(page, "ask-follow-up");
  assertNoFaults(ada.faults);
});

const KEY_NAME = "nightly import";

/** What the API answers a program that sends `key`. */
async function asProgram(key, path) {
  const response = await fetch(new URL(path, baseURL), { headers: { Authorization: `Bearer ${key}` } });
  return response.status;
}

test("makes an API key that is shown once, which works within its scope until it is revoked", async () => {
  const { page, context } = ada;
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API keys" }).click();
  await page.getByRole("heading", { level: 1, name: "API keys" }).waitFor();
  await page.getByText("No keys yet.").waitFor();
  const form = page.getByRole("region", { name: "Create a key" });
  await form.getByRole("textbox", { name: "Name" }).fill(KEY_NAME);
  await form.getByRole("checkbox", { name: "documents:read" }).check();
  await form.getByRole("combobox", { name: "Expires" }).selectOption({ label: "In 30 days" });
  await form.getByRole("button", { name: "Create key" }).click();

  const shown = page.getByRole("region", { name: `Your new key: ${KEY_NAME}` });
  await shown.waitFor();
  assert.ok(await shown.evaluate((node) => node === document.activeElement), "the new key takes the focus");
  await shown.getByText("Copy this key now: it will not be shown again.").waitFor();
  const key = await shown.getByRole("textbox", { name: "Key" }).inputValue();
  assert.match(key, /^wo_[A-Za-z0-9_-]{40,}$/);
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseURL });
  await shown.getByRole("button", { name: "Copy" }).click();
  await shown.getByText("Copied to the clipboard.").waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), key, "Copy put the key on the clipboard");
  const row = page.getByRole("table", { name: "API keys" }).getByRole("row").filter({ hasText: KEY_NAME });
  await row.getByText(`${key.slice(0, 11)}…`).waitFor();
  await row.getByText("Never used").waitFor();
  await screenshot(page, "api-keys");

  // A program with the key reads documents, and nothing its scope does not allow.
  assert.equal(await asProgram(key, "/api/v1/documents"), 200);
  assert.equal(await asProgram(key, "/api/v1/search?q=ferry"), 403);

  await shown.getByRole("button", { name: "Done" }).click();
  await shown.waitFor({ state: "detached" });
  assert.equal(await page.getByRole("textbox", { name: "Key" }).count(), 0, "the key is not shown again");
  await page.reload();
  await row.waitFor();
  assert.equal(await row.getByText("Never used").count(), 0, "the list says when the key was last used");
  assert.equal(await page.getByText(key).count(), 0);

  await row.getByRole("button", { name: new RegExp(`^Revoke ${KEY_NAME}`) }).click();
  const dialog = page.getByRole("dialog", { name: `Revoke ${KEY_NAME}?` });
  await dialog.waitFor();
  await dialog.getByRole("button", { name: "Revoke" }).click();
  await dialog.waitFor({ state: "detached" });
  await row.waitFor({ state: "detached" });
  await page.getByText("No keys yet.").waitFor();
  assert.equal(await asProgram(key, "/api/v1/documents"), 401, "a revoked key stops working at once");
  assertNoFaults(ada.faults);
});

test("shares the PDF with a colleague, who sees it read-only under Shared with me", async () => {
  const { page } = ada;
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Documents" }).click();
  await documentRow(page, PDF).getByRole("link", { name: PDF }).click();
  await page.getByRole("heading", { level: 1, name: PDF }).waitFor();
  grace = await openApp(browser);
  await signIn(grace.page, colleague); // the colleague must exist before being granted access
  const sharing = page.getByRole("region", { name: "Sharing" });
  await sharing.getByRole("textbox", { name: "Share with user" }).fill(colleague);
  await sharing.getByRole("combobox", { name: "Role" }).selectOption("viewer");
  await sharing.getByRole("button", { name: "Share" }).click();
  await sharing.getByRole("list", { name: "People with access" }).getByRole("listitem")
    .filter({ hasText: colleague }).filter({ hasText: /viewer/i }).waitFor();
  await screenshot(page, "sharing");

  await grace.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Shared with me" }).click();
  await documentRow(grace.page, PDF).waitFor();
  assert.equal(await documentRow(grace.page, IMAGE).count(), 0, "only what was shared is visible");
  await documentRow(grace.page, PDF).getByRole("link", { name: PDF }).click();
  await grace.page.getByRole("heading", { level: 1, name: PDF }).waitFor();
  await grace.page.getByRole("region", { name: "Extracted text" }).getByText(/INV-2031-0007/).waitFor();
  assert.equal(await grace.page.getByRole("button", { name: "Delete" }).count(), 0, "a viewer cannot delete");
  assert.equal(await grace.page.getByRole("region", { name: "Sharing" }).count(), 0, "a viewer cannot share");
  await screenshot(grace.page, "shared-with-me");
  assertNoFaults(grace.faults);
});

test("deletes the PDF after confirming; it leaves the owner's list and the colleague's view", async () => {
  const { page } = ada;
  await page.getByRole("button", { name: "Delete" }).click();
  const dialog = page.getByRole("dialog", { name: `Delete ${PDF}?` });
  await dialog.waitFor();
  await dialog.getByRole("button", { name: "Delete" }).click();
  await page.getByRole("table", { name: "Documents" }).waitFor();
  await documentRow(page, IMAGE).waitFor();
  assert.equal(await documentRow(page, PDF).count(), 0);

  await grace.page.reload();
  await grace.page.getByRole("alert").filter({ hasText: /not found|no longer|deleted|not exist/i }).waitFor();
  await grace.page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Shared with me" }).click();
  await grace.page.getByRole("table", { name: "Documents" }).waitFor();
  assert.equal(await documentRow(grace.page, PDF).count(), 0);
  assertNoFaults(ada.faults);
  assertNoFaults(grace.faults);
});

// What a person sees when things go wrong: every refusal explained in words, in an alert a screen reader
// announces, and nothing left half-done in the list.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { assertNoFaults, documentRow, file, launchBrowser, openApp, screenshot, signIn, uniqueUser } from "./support.mjs";

let browser;
let app;

before(async () => {
  browser = await launchBrowser();
  app = await openApp(browser);
  await signIn(app.page, uniqueUser("linus"));
});

after(async () => {
  await browser?.close();
});

async function upload(names) {
  const region = app.page.getByRole("region", { name: "Upload documents" });
  await region.getByLabel("Choose files").setInputFiles(names.map(file));
}

function uploadItem(name) {
  return app.page.getByRole("list", { name: "Uploads" }).getByRole("listitem").filter({ hasText: name });
}

test("a program renamed to .pdf is refused as a type not allowed", async () => {
  await upload(["tool.pdf"]);
  await uploadItem("tool.pdf").getByRole("alert").filter({ hasText: /not allowed|not supported|isn't a|type/i }).waitFor();
  assert.equal(await documentRow(app.page, "tool.pdf").count(), 0, "nothing half-made appears in the list");
  assertNoFaults(app.faults);
});

test("a file over the size limit is refused as too large", async () => {
  await upload(["too-large.pdf"]);
  await uploadItem("too-large.pdf").getByRole("alert").filter({ hasText: /too large|too big|limit/i })
    .waitFor({ timeout: 60_000 });
  await screenshot(app.page, "upload-refused");
  assert.equal(await documentRow(app.page, "too-large.pdf").count(), 0);
  assertNoFaults(app.faults);
});

test("the same file dropped on the drop zone uploads like a picked one", async () => {
  const zone = app.page.getByRole("region", { name: "Upload documents" });
  const transfer = await app.page.evaluateHandle(async () => {
    const data = new DataTransfer();
    data.items.add(new File(["Minutes of the harbour festival committee."], "minutes.txt", { type: "text/plain" }));
    return data;
  });
  await zone.dispatchEvent("dragenter", { dataTransfer: transfer });
  await zone.dispatchEvent("dragover", { dataTransfer: transfer });
  await zone.dispatchEvent("drop", { dataTransfer: transfer });
  await uploadItem("minutes.txt").getByText(/queued|processing|ready/).waitFor();
  assertNoFaults(app.faults);
});

test("uploading faster than the quota says when to try again", async () => {
  // The suite allows 40 uploads a minute; the same bytes under 41 names are one document for the
  // pipeline (deduplicated by hash) but 41 uploads for the quota.
  const same = Buffer.from("A note kept many times over.");
  const files = Array.from({ length: 41 }, (_, i) => ({ name: `copy-${i}.txt`, mimeType: "text/plain", buffer: same }));
  await app.page.getByRole("region", { name: "Upload documents" }).getByLabel("Choose files").setInputFiles(files);
  await app.page.getByRole("list", { name: "Uploads" }).getByRole("alert")
    .filter({ hasText: /try again in \d+|retry in \d+|wait \d+/i }).first().waitFor({ timeout: 60_000 });
  await screenshot(app.page, "rate-limited");
  assertNoFaults(app.faults);
});

test("an unreachable server is said to be unreachable, and the app recovers when it is back", async () => {
  const { page, context } = app;
  await context.setOffline(true);
  await upload(["notes.txt"]);
  await uploadItem("notes.txt").getByRole("alert").filter({ hasText: /reach|offline|connection|network/i }).waitFor();
  await screenshot(page, "server-unreachable");
  await context.setOffline(false);
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Documents" }).click();
  await page.getByRole("table", { name: "Documents" }).waitFor();
  // Offline requests fail in the browser itself; they are the point of this test, not a fault.
  app.faults.splice(0, app.faults.length, ...app.faults.filter((fault) => !/ERR_INTERNET_DISCONNECTED/.test(fault)));
  assertNoFaults(app.faults);
});

test("signing out forgets the session", async () => {
  const { page } = app;
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByRole("textbox", { name: "User ID" }).waitFor();
  await page.reload();
  await page.getByRole("textbox", { name: "User ID" }).waitFor();
});

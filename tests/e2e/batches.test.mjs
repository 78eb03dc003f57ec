// A ZIP archive dropped on the documents page becomes a batch: the good file a document that goes on to
// ready before one's eyes, the file whose name climbs out of the archive refused with the reason why;
// the batch then has a page of its own, reached from the navigation.
import { after, before, test } from "node:test";

import { PIPELINE_TIMEOUT, assertNoFaults, file, launchBrowser, openApp, screenshot, signIn, uniqueUser } from "./support.mjs";

const ARCHIVE = "harbour-batch.zip";
const GOOD = "pier.txt";
const REFUSED = "../escape.txt";

let browser;
let app; // { context, page, faults }

before(async () => {
  browser = await launchBrowser();
  app = await openApp(browser);
  await signIn(app.page, uniqueUser("ines"));
});

after(async () => {
  await browser?.close();
});

test("uploads a ZIP and sees its good file become a document and the other refused with a reason", async () => {
  const { page } = app;
  await page.getByRole("region", { name: "Upload documents" }).getByLabel("Choose files").setInputFiles([file(ARCHIVE)]);
  const item = page.getByRole("list", { name: "Uploads" }).getByRole("listitem").filter({ hasText: ARCHIVE });
  await item.getByText("2 files: 1 new document, 1 refused.").waitFor();
  const refused = item.getByRole("list", { name: `Refused files of ${ARCHIVE}` }).getByRole("listitem");
  await refused.filter({ hasText: REFUSED }).filter({ hasText: "climbs out of the archive" }).waitFor();
  await refused.filter({ hasText: "unsafe_name" }).waitFor();
  const row = item.getByRole("table", { name: `Made from ${ARCHIVE}` }).getByRole("row").filter({ hasText: GOOD });
  await row.getByRole("cell", { name: "notes/pier.txt" }).waitFor();
  await row.getByRole("cell", { name: "ready", exact: true }).waitFor({ timeout: PIPELINE_TIMEOUT });
  await screenshot(page, "batch-uploaded");
  assertNoFaults(app.faults);
});

test("finds the batch under Batches, and on its page the document and the refusal", async () => {
  const { page } = app;
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Batches" }).click();
  await page.getByRole("heading", { level: 1, name: "Batches" }).waitFor();
  await page.getByRole("table", { name: "Batches" }).getByRole("link", { name: ARCHIVE }).click();
  await page.getByRole("heading", { level: 1, name: ARCHIVE }).waitFor();
  const row = page.getByRole("table", { name: `Made from ${ARCHIVE}` }).getByRole("row").filter({ hasText: GOOD });
  await row.getByRole("cell", { name: "ready", exact: true }).waitFor();
  await page.getByRole("list", { name: `Refused files of ${ARCHIVE}` }).getByText(REFUSED, { exact: true }).waitFor();
  await screenshot(page, "batch");
  await row.getByRole("link", { name: GOOD }).click();
  await page.getByRole("heading", { level: 1, name: GOOD }).waitFor();
  assertNoFaults(app.faults);
});

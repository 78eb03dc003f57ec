// Extraction you define, end to end: a schema made in the app (a text field and a money field), run on an
// uploaded invoice once it is ready, its values shown on the document's page, one corrected by hand, and
// the CSV export downloaded with the corrected value in it. The steps build on each other.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";

import { assertNoFaults, launchBrowser, openApp, PIPELINE_TIMEOUT, screenshot, signIn, uniqueUser, waitForRowStatus } from "./support.mjs";

const INVOICE = "supplier-invoice.txt";
const INVOICE_TEXT = "INVOICE\nInvoice No: INV-2031-0042\nDate: 3 February 2031\nBill to: Northwind Traders\n"
  + "Description: repair of the harbour crane\nTotal amount: EUR 1,250.00\n";
const SCHEMA = `Supplier invoices ${Date.now().toString(36)}`;
const CORRECTED = "INV-2031-9999";

let browser;
let app; // { context, page, faults }

before(async () => {
  browser = await launchBrowser();
  app = await openApp(browser);
  await signIn(app.page, uniqueUser("edith"));
});

after(async () => {
  await browser?.close();
});

test("uploads an invoice and waits for it to be ready", async () => {
  const { page } = app;
  await page.getByRole("region", { name: "Upload documents" }).getByLabel("Choose files")
    .setInputFiles({ name: INVOICE, mimeType: "text/plain", buffer: Buffer.from(INVOICE_TEXT, "utf8") });
  await waitForRowStatus(page, INVOICE, "ready");
  assertNoFaults(app.faults);
});

test("defines a schema with a text field and a money field", async () => {
  const { page } = app;
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Schemas" }).click();
  await page.getByRole("heading", { level: 1, name: "Schemas" }).waitFor();
  await page.getByRole("textbox", { name: "Schema name" }).fill(SCHEMA);
  // A field's group is named after the field once it has a name ("Field 1: invoice number").
  const first = page.getByRole("group", { name: /^Field 1\b/ });
  await first.getByRole("textbox", { name: "Name", exact: true }).fill("invoice number");
  await first.getByRole("textbox", { name: "Description", exact: true }).fill("the supplier's invoice reference");
  await page.getByRole("button", { name: "Add a field" }).click();
  const second = page.getByRole("group", { name: /^Field 2\b/ });
  await second.getByRole("textbox", { name: "Name", exact: true }).fill("total amount");
  await second.getByRole("combobox", { name: "Type" }).selectOption("money");
  await screenshot(page, "extraction-schema-form");
  await page.getByRole("button", { name: "Create schema" }).click();
  await page.getByRole("heading", { level: 1, name: SCHEMA }).waitFor();
  const fields = page.getByRole("table", { name: "Fields" });
  await fields.getByRole("cell", { name: "invoice number", exact: true }).waitFor();
  await fields.getByRole("cell", { name: "total amount", exact: true }).waitFor();
  assertNoFaults(app.faults);
});

test("runs the schema on the invoice and shows the values found with their evidence", async () => {
  const { page } = app;
  const run = page.getByRole("region", { name: "Run on documents" });
  await run.getByRole("checkbox", { name: INVOICE }).check();
  await run.getByRole("button", { name: "Run", exact: true }).click();
  await run.getByText(/Started 1 extraction/).waitFor();
  await run.getByRole("link", { name: "See the first document" }).click();
  await page.getByRole("heading", { level: 1, name: INVOICE }).waitFor();
  const table = page.getByRole("table", { name: `Fields extracted with ${SCHEMA}` });
  await table.waitFor({ timeout: PIPELINE_TIMEOUT });
  await table.getByRole("rowheader", { name: "invoice number" }).waitFor();
  await table.getByRole("rowheader", { name: "total amount" }).waitFor();
  await screenshot(page, "extraction-fields");
  assertNoFaults(app.faults);
});

test("corrects a value by hand", async () => {
  const { page } = app;
  const table = page.getByRole("table", { name: `Fields extracted with ${SCHEMA}` });
  await table.getByRole("button", { name: "Correct invoice number" }).click();
  const input = table.getByRole("textbox", { name: "Correct value of invoice number" });
  await input.fill(CORRECTED);
  await table.getByRole("button", { name: "Save" }).click();
  const row = table.getByRole("row").filter({ has: page.getByRole("rowheader", { name: "invoice number" }) });
  await row.getByText("corrected", { exact: true }).waitFor();
  await row.getByText(CORRECTED, { exact: true }).waitFor();
  assertNoFaults(app.faults);
});

test("exports the schema's results as CSV, with the corrected value", async () => {
  const { page } = app;
  await page.getByRole("link", { name: SCHEMA }).click();
  await page.getByRole("heading", { level: 1, name: SCHEMA }).waitFor();
  const [download] = await Promise.all([
    page.waitForEvent("download"),
    page.getByRole("button", { name: "Export CSV" }).click(),
  ]);
  assert.match(download.suggestedFilename(), /\.csv$/);
  const csv = readFileSync(await download.path(), "utf8");
  const [header, ...rows] = csv.trim().split(/\r?\n/);
  assert.match(header, /invoice number/);
  assert.match(header, /invoice number__review/);
  assert.equal(rows.length, 1, csv);
  assert.match(rows[0], new RegExp(CORRECTED));
  assert.match(rows[0], /corrected/);
  assertNoFaults(app.faults);
});

// Keyboard and screen-reader users can do everything: each main screen passes axe-core's WCAG 2.1 A/AA
// rules with no serious or critical violation, and the keyboard alone reaches the file picker, opens
// a document, processes it again, works the delete dialog (focus moves in, Escape closes it, focus
// comes back), asks a question and follows the answer's citation marker, and makes and revokes an API key.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { after, before, test } from "node:test";

import {
  PIPELINE_TIMEOUT, assertNoFaults, documentRow, file, launchBrowser, openApp, signIn, uniqueUser,
  waitForRowStatus,
} from "./support.mjs";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const NOTES = "notes.txt";

let browser;
let app;

before(async () => {
  browser = await launchBrowser();
  app = await openApp(browser);
});

after(async () => {
  await browser?.close();
});

/** The serious and critical WCAG A/AA violations on the page as it is now. */
async function violations(page) {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern; the app itself
  // still runs under its real policy.
  if (!(await page.evaluate(() => "axe" in window))) await page.evaluate(axeSource);
  const results = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }));
  assert.ok(results.passes.length > 10, "axe checked the page");
  return results.violations
    .filter((violation) => ["serious", "critical"].includes(violation.impact))
    .map((violation) => `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

test("the sign-in screen has no serious accessibility violation", async () => {
  await app.page.getByRole("textbox", { name: "User ID" }).waitFor();
  assert.deepEqual(await violations(app.page), []);
});

test("the keyboard alone reaches the file picker", async () => {
  const { page } = app;
  await signIn(page, uniqueUser("ally"));
  const chooser = page.waitForEvent("filechooser");
  // Tab through the page until the upload control has focus, as a keyboard user would.
  for (let presses = 0; presses < 30; presses += 1) {
    await page.keyboard.press("Tab");
    const focused = await page.evaluate(() => {
      const element = document.activeElement;
      return element?.labels?.[0]?.textContent ?? element?.getAttribute("aria-label") ?? element?.textContent ?? "";
    });
    if (/choose files/i.test(focused)) break;
  }
  await page.keyboard.press("Enter");
  const picker = await chooser;
  assert.ok(picker.isMultiple(), "many files can be picked at once");
  await picker.setFiles([file(NOTES)]);
  await waitForRowStatus(page, NOTES, "ready", PIPELINE_TIMEOUT);
  assertNoFaults(app.faults);
});

test("the documents screen, with an upload and a list, has no serious violation", async () => {
  assert.deepEqual(await violations(app.page), []);
});

test("the document page has no serious violation, and its delete dialog works from the keyboard", async () => {
  const { page } = app;
  await documentRow(page, NOTES).getByRole("link", { name: NOTES }).focus();
  await page.keyboard.press("Enter");
  await page.getByRole("heading", { level: 1, name: NOTES }).waitFor();
  await page.getByText("Status: ready").waitFor();
  assert.deepEqual(await violations(page), []);

  const opener = page.getByRole("button", { name: "Delete" });
  await opener.focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: `Delete ${NOTES}?` });
  await dialog.waitFor();
  assert.ok(await dialog.evaluate((node) => node.contains(document.activeElement)), "focus moved into the dialog");
  assert.deepEqual(await violations(page), []);
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
  assert.ok(await opener.evaluate((node) => node === document.activeElement), "focus came back to Delete");
  await page.getByRole("heading", { level: 1, name: NOTES }).waitFor(); // nothing was deleted
  assertNoFaults(app.faults);
});

test("the keyboard alone processes the document again, and the page stays free of violations meanwhile", async () => {
  const { page } = app;
  await page.getByRole("button", { name: "Download" }).focus();
  await page.keyboard.press("Tab");
  const again = page.getByRole("button", { name: "Process again" });
  assert.ok(await again.evaluate((node) => node === document.activeElement), "Tab goes from Download to Process again");
  await page.keyboard.press("Enter");
  await page.getByText(/^Processing again: /).waitFor();
  assert.deepEqual(await violations(page), []);
  await page.getByText("Status: ready").waitFor({ timeout: PIPELINE_TIMEOUT });
  await page.getByRole("region", { name: "Extracted text" }).getByText(/harbour festival/).waitFor();
  assertNoFaults(app.faults);
});

test("the search screen with results has no serious violation", async () => {
  const { page } = app;
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Search" }).click();
  await page.getByRole("searchbox", { name: "Search documents" }).fill("harbour festival");
  await page.keyboard.press("Enter");
  // The session's first search by meaning loads the embedding model into the API: slow on a busy machine.
  await page.getByRole("list", { name: "Results" }).getByRole("link").first().waitFor({ timeout: PIPELINE_TIMEOUT });
  assert.deepEqual(await violations(page), []);
  assertNoFaults(app.faults);
});

test("the Ask page has no serious violation, empty or with an answer, and the keyboard alone asks and follows a citation", async () => {
  const { page } = app;
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Ask" }).click();
  await page.getByRole("heading", { level: 1, name: "Ask your documents" }).waitFor();
  await page.getByText("No conversations yet.").waitFor();
  assert.deepEqual(await violations(page), []);

  const question = "What do the meeting notes say about the harbour festival budget?";
  await page.getByRole("textbox", { name: "Question" }).focus();
  await page.keyboard.type(question);
  await page.keyboard.press("Enter");
  const turn = page.getByRole("article", { name: question });
  // The session's first answer may load the embedding model into the API: slow on a busy machine.
  await turn.getByText("Quoted from your documents (local, extractive)").waitFor({ timeout: PIPELINE_TIMEOUT });
  await page.getByRole("list", { name: "Earlier conversations" }).getByRole("link", { name: question }).waitFor();
  assert.deepEqual(await violations(page), []);

  const marker = turn.locator(".answer-text").getByRole("link").first();
  await marker.focus();
  await page.keyboard.press("Enter");
  const cited = turn.getByRole("list", { name: "Citations" }).getByRole("listitem").first();
  assert.ok(await cited.evaluate((node) => node === document.activeElement), "Enter on [n] moves focus to its citation");
  await page.keyboard.press("Tab");
  assert.ok(await cited.getByRole("link").evaluate((node) => node === document.activeElement), "and Tab reaches its link");

  const opener = page.getByRole("button", { name: `Delete “${question}”` });
  await opener.focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: "Delete this conversation?" });
  await dialog.waitFor();
  assert.ok(await dialog.evaluate((node) => node.contains(document.activeElement)), "focus moved into the dialog");
  assert.deepEqual(await violations(page), []);
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
  assert.ok(await opener.evaluate((node) => node === document.activeElement), "focus came back to Delete");
  assertNoFaults(app.faults);
});

/** Whether `locator` has the keyboard focus. */
function focused(locator) {
  return locator.evaluate((node) => node === document.activeElement);
}

test("the API keys page has no serious violation, empty, with a new key shown or a revoke dialog open, and works from the keyboard", async () => {
  const { page } = app;
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API keys" }).click();
  await page.getByRole("heading", { level: 1, name: "API keys" }).waitFor();
  await page.getByText("No keys yet.").waitFor();
  assert.deepEqual(await violations(page), []);

  const name = page.getByRole("textbox", { name: "Name" });
  await name.focus();
  await page.keyboard.type("screen reader check");
  await page.keyboard.press("Tab");
  assert.ok(await focused(page.getByRole("checkbox", { name: "documents:read" })), "Tab goes from the name to the first scope");
  await page.keyboard.press("Space");
  for (let i = 0; i < 3; i += 1) await page.keyboard.press("Tab");
  assert.ok(await focused(page.getByRole("checkbox", { name: "webhooks" })));
  await page.keyboard.press("Tab");
  assert.ok(await focused(page.getByRole("combobox", { name: "Expires" })));
  await page.keyboard.press("Tab");
  const create = page.getByRole("button", { name: "Create key" });
  assert.ok(await focused(create));
  await page.keyboard.press("Enter");

  const shown = page.getByRole("region", { name: "Your new key: screen reader check" });
  await shown.waitFor();
  assert.ok(await focused(shown), "focus moves to the new key");
  assert.deepEqual(await violations(page), []);
  await page.keyboard.press("Tab");
  assert.ok(await focused(shown.getByRole("textbox", { name: "Key" })), "and Tab reaches the key itself");
  await page.keyboard.press("Tab");
  assert.ok(await focused(shown.getByRole("button", { name: "Copy" })));
  await page.keyboard.press("Tab");
  assert.ok(await focused(shown.getByRole("button", { name: "Done" })));
  await page.keyboard.press("Enter");
  await shown.waitFor({ state: "detached" });
  assert.ok(await focused(name), "focus goes back to the form");

  const opener = page.getByRole("button", { name: /^Revoke screen reader check/ });
  await opener.focus();
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: "Revoke screen reader check?" });
  await dialog.waitFor();
  assert.ok(await dialog.evaluate((node) => node.contains(document.activeElement)), "focus moved into the dialog");
  assert.deepEqual(await violations(page), []);
  await page.keyboard.press("Escape");
  await dialog.waitFor({ state: "detached" });
  assert.ok(await focused(opener), "focus came back to Revoke");

  await page.keyboard.press("Enter");
  await dialog.waitFor();
  await page.keyboard.press("Tab");
  assert.ok(await focused(dialog.getByRole("button", { name: "Revoke" })));
  await page.keyboard.press("Enter");
  await dialog.waitFor({ state: "detached" });
  await page.getByText("No keys yet.").waitFor();
  assert.ok(await focused(page.getByRole("heading", { name: "Your keys" })), "focus goes to the list the key left");
  assertNoFaults(app.faults);
});

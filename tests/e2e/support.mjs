// What every browser test shares: Debian's Chromium launched by path, one signed-in page per user,
// screenshots kept as build artefacts, and a guard that fails a test on any console error, page error
// (a CSP violation shows up there) or 5xx answer the app received.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";

import { chromium } from "playwright-core";

export const baseURL = required("WORKOPTI_URL");
export const filesDir = required("E2E_FILES");
const screenshotsDir = required("E2E_SCREENSHOTS");

// Long enough for OCR, embeddings and the AI step on a loaded two-core machine.
export const PIPELINE_TIMEOUT = 240_000;
export const UI_TIMEOUT = 15_000;

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser tests through pytest (tests/e2e)`);
  return value;
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: required("CHROMIUM"),
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
      "--disable-sync", "--no-first-run"],
  });
}

/** A fresh browser context (its own session storage: its own user) with the fault guard attached. */
export async function openApp(browser, { guard = true } = {}) {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 860 }, acceptDownloads: true });
  context.setDefaultTimeout(UI_TIMEOUT);
  const page = await context.newPage();
  const faults = [];
  if (guard) {
    page.on("pageerror", (error) => faults.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error" && !expectedConsoleError(message.text())) faults.push(`console: ${message.text()}`);
    });
    page.on("response", (response) => {
      if (response.status() >= 500) faults.push(`${response.status()} from ${response.url()}`);
    });
  }
  await page.goto("/");
  return { context, page, faults };
}

// The browser logs every 4xx it receives as a console error; the tests provoke some on purpose (an
// unsupported file, a revoked document) and assert on what the app says about them instead.
function expectedConsoleError(text) {
  return /Failed to load resource: the server responded with a status of 4\d\d/.test(text);
}

export function assertNoFaults(faults) {
  assert.deepEqual(faults, [], `the app hit errors:\n${faults.join("\n")}`);
}

/** Signs in as a local user with the keyboard alone, as a screen-reader or keyboard user would. */
export async function signIn(page, userId) {
  const field = page.getByRole("textbox", { name: "User ID" });
  await field.focus();
  await page.keyboard.type(userId);
  await page.keyboard.press("Enter");
  await page.getByRole("button", { name: "Sign out" }).waitFor();
  await page.getByText(userId, { exact: true }).first().waitFor();
}

export async function screenshot(page, name) {
  mkdirSync(screenshotsDir, { recursive: true });
  await page.screenshot({ path: join(screenshotsDir, `${name}.png`), fullPage: true });
}

export function file(name) {
  return join(filesDir, name);
}

/** A unique name per run, so tests never meet each other's users. */
export function uniqueUser(prefix) {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

export function documentRow(page, filename) {
  return page.getByRole("table", { name: "Documents" }).getByRole("row").filter({ hasText: filename });
}

export async function waitForRowStatus(page, filename, status, timeout = PIPELINE_TIMEOUT) {
  await documentRow(page, filename).getByRole("cell", { name: status, exact: true }).waitFor({ timeout });
}

import { describe, expect, it } from "vitest";
import type { DocumentOut } from "../../api/types";
import { aDocument, aJob } from "../../test/fakeApi";
import { missingOutputs, runNote } from "./outputs";

const SHOWN = { extract: "old-extract", embed: "old-embed", ai: "old-ai" };

function shownJobs() {
  return [
    aJob("extract", "succeeded", { id: "old-extract" }),
    aJob("embed", "succeeded", { id: "old-embed" }),
    aJob("ai", "succeeded", { id: "old-ai" }),
  ];
}

function doc(status: string, jobs: unknown[], outputs: Record<string, string>, extra: Record<string, unknown> = {}) {
  return aDocument(status, jobs, { outputs, ...extra }) as unknown as DocumentOut;
}

describe("runNote", () => {
  it("says nothing while a first run is going or after it failed: nothing is shown", () => {
    expect(runNote(doc("processing", [aJob("extract", "running"), aJob("embed", "waiting"), aJob("ai", "waiting")], {}))).toBeNull();
    expect(runNote(doc("failed", [aJob("extract", "failed"), aJob("embed", "cancelled"), aJob("ai", "cancelled")], {}))).toBeNull();
  });

  it("says nothing when the jobs listed are the ones whose outputs are shown", () => {
    expect(runNote(doc("ready", shownJobs(), SHOWN))).toBeNull();
  });

  it("says the shown text and results are the previous run's while a re-run is going", () => {
    const rerun = [aJob("extract", "running", { id: "new-extract" }), aJob("embed", "waiting", { id: "new-embed" }), aJob("ai", "waiting", { id: "new-ai" })];
    expect(runNote(doc("processing", rerun, SHOWN))).toBe(
      "Processing again: the text, search index and results shown are the previous run's until the new run finishes.",
    );
  });

  it("names only what the re-run replaces: a retried ai step leaves the text as it is", () => {
    const jobs = [aJob("extract", "succeeded", { id: "old-extract" }), aJob("embed", "succeeded", { id: "old-embed" }), aJob("ai", "queued", { id: "new-ai" })];
    expect(runNote(doc("processing", jobs, SHOWN))).toBe(
      "Processing again: the results shown are the previous run's until the new run finishes.",
    );
  });

  it("names the step a failed re-run stopped at, and keeps the shown outputs as the previous run's", () => {
    const jobs = [
      aJob("extract", "succeeded", { id: "new-extract" }),
      aJob("embed", "succeeded", { id: "new-embed" }),
      aJob("ai", "failed", { id: "new-ai", error: { code: "provider_unavailable", message: "503" } }),
    ];
    expect(runNote(doc("failed", jobs, SHOWN))).toBe(
      "The new run failed at the ai step, so the text, search index and results shown are the previous run's.",
    );
  });

  it("says when the re-run was cancelled", () => {
    const jobs = [aJob("extract", "cancelled", { id: "new-extract" }), aJob("embed", "cancelled", { id: "new-embed" }), aJob("ai", "cancelled", { id: "new-ai" })];
    expect(runNote(doc("cancelled", jobs, SHOWN))).toBe(
      "The new run was cancelled, so the text, search index and results shown are the previous run's.",
    );
  });

  it("speaks of a step it does not know by its name", () => {
    const jobs = [aJob("extract", "succeeded", { id: "old-extract" }), aJob("redact", "failed", { id: "new-redact" })];
    expect(runNote(doc("failed", jobs, { extract: "old-extract", redact: "old-redact" }))).toBe(
      "The new run failed at the redact step, so the redact output shown is the previous run's.",
    );
  });
});

describe("missingOutputs", () => {
  it("says the text and results come once the whole run has finished", () => {
    const first = doc("processing", [aJob("extract", "succeeded"), aJob("ai", "running")], {});
    expect(missingOutputs(first, "extract", "")).toBe("The text appears once processing has finished.");
    expect(missingOutputs(first, "ai", "")).toBe("The results appear once processing has finished.");
  });

  it("says why there is nothing after a first run that did not succeed", () => {
    expect(missingOutputs(doc("failed", [], {}), "extract", "")).toBe("No text: processing did not succeed.");
    expect(missingOutputs(doc("cancelled", [], {}), "ai", "")).toBe("No results: processing was cancelled.");
  });

  it("says so when the pipeline has no such step", () => {
    const textOnly = doc("ready", [], { extract: "x" }, { pipeline: ["extract"] });
    expect(missingOutputs(textOnly, "ai", "No analysis step.")).toBe("No analysis step.");
  });
});

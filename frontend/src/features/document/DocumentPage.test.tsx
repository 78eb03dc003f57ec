import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { describe, expect, it } from "vitest";
import { aDocument, aJob, fakeApi, json, path, problem } from "../../test/fakeApi";
import DocumentPage from "./DocumentPage";

const TEXT_DOC = { content_type: "text/plain", filename: "notes.txt" };

function succeededRun(prefix: string) {
  return ["extract", "embed", "ai"].map((kind) => aJob(kind, "succeeded", { id: `${prefix}-${kind}` }));
}

function outputsOf(prefix: string) {
  return { extract: `${prefix}-extract`, embed: `${prefix}-embed`, ai: `${prefix}-ai` };
}

function pagesOf(text: string) {
  return { items: [{ page_no: 1, text, source: "text", confidence: null, width: null, height: null, lines: null }], next_cursor: null };
}

function resultsOf(summary: string) {
  return {
    summary,
    classification: null,
    fields: {},
    keywords: [],
    provider: "local",
    model: "tiny",
    created_at: "2026-11-28T10:00:00Z",
    updated_at: "2026-11-28T10:00:00Z",
  };
}

function renderPage(entry = "/documents/doc-1") {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[entry]}>
        <Routes>
          <Route path="/documents/:id" element={<DocumentPage />} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return client;
}

/** The API of one document that is processed again: the first poll after the reprocess finds the new
 * run going, the second finds it succeeded and its outputs switched in. */
function documentProcessedAgain() {
  let rerun: "none" | "running" | "switched" = "none";
  let pollsSinceRerun = 0;
  const rerunJobs = [aJob("extract", "running", { id: "run2-extract" }), aJob("embed", "waiting", { id: "run2-embed" }), aJob("ai", "waiting", { id: "run2-ai" })];
  const current = () => {
    if (rerun === "none") return aDocument("ready", succeededRun("run1"), { ...TEXT_DOC, outputs: outputsOf("run1") });
    if (rerun === "running") return aDocument("processing", rerunJobs, { ...TEXT_DOC, outputs: outputsOf("run1") });
    return aDocument("ready", succeededRun("run2"), { ...TEXT_DOC, outputs: outputsOf("run2") });
  };
  const requests = fakeApi((request) => {
    switch (path(request)) {
      case "GET /api/v1/documents/doc-1":
        if (rerun === "running" && ++pollsSinceRerun > 1) rerun = "switched";
        return json(current());
      case "POST /api/v1/documents/doc-1/reprocess":
        rerun = "running";
        return json(aDocument("queued", rerunJobs.map((job) => ({ ...job, status: job.kind === "extract" ? "queued" : "waiting" })), {
          ...TEXT_DOC,
          outputs: outputsOf("run1"),
        }), { status: 202 });
      case "GET /api/v1/documents/doc-1/pages":
        return json(pagesOf(rerun === "switched" ? "Text of the second run" : "Text of the first run"));
      case "GET /api/v1/documents/doc-1/results":
        return json(resultsOf(rerun === "switched" ? "Second summary" : "First summary"));
      case "GET /api/v1/documents/doc-1/grants":
        return json({ items: [] });
      default:
        throw new Error(`unexpected ${path(request)}`);
    }
  });
  return requests;
}

function count(requests: Request[], call: string): number {
  return requests.filter((request) => path(request) === call).length;
}

describe("DocumentPage", () => {
  it("shows no text or results during a first run, though its extract step has succeeded", async () => {
    const jobs = [aJob("extract", "succeeded"), aJob("embed", "running"), aJob("ai", "waiting")];
    const requests = fakeApi((request) => {
      if (path(request) === "GET /api/v1/documents/doc-1") return json(aDocument("processing", jobs, TEXT_DOC));
      if (path(request) === "GET /api/v1/documents/doc-1/grants") return json({ items: [] });
      throw new Error(`unexpected ${path(request)}`);
    });
    renderPage();
    await screen.findByText("The text appears once processing has finished.");
    expect(screen.getAllByText("The results appear once processing has finished.")).toHaveLength(4);
    expect(screen.getByRole("button", { name: "Process again" })).toBeDisabled();
    expect(count(requests, "GET /api/v1/documents/doc-1/pages")).toBe(0);
    expect(count(requests, "GET /api/v1/documents/doc-1/results")).toBe(0);
  });

  it("processes a ready document again: the text stays while the run goes, then the new run's text replaces it", async () => {
    const requests = documentProcessedAgain();
    const user = userEvent.setup();
    renderPage();
    const text = await screen.findByRole("region", { name: "Extracted text" });
    await within(text).findByText("Text of the first run");
    await screen.findByText("First summary");
    expect(screen.queryByText(/previous run/)).not.toBeInTheDocument();

    await user.click(screen.getByRole("button", { name: "Process again" }));
    await screen.findByText("queued");
    expect(requests.filter((request) => request.method === "POST").map(path)).toEqual(["POST /api/v1/documents/doc-1/reprocess"]);
    expect(screen.getByText("Processing again: the text, search index and results shown are the previous run's until the new run finishes.")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Process again" })).toBeDisabled();
    expect(within(text).getByText("Text of the first run")).toBeInTheDocument();
    expect(screen.getByText("First summary")).toBeInTheDocument();

    // The poll resumed (the document was terminal) and finds the new run running, then switched in.
    await screen.findByText("processing", {}, { timeout: 5000 });
    expect(within(text).getByText("Text of the first run")).toBeInTheDocument();
    await within(text).findByText("Text of the second run", {}, { timeout: 8000 });
    await screen.findByText("Second summary");
    expect(screen.getByText("ready")).toBeInTheDocument();
    expect(screen.queryByText(/previous run/)).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Process again" })).toBeEnabled();
    // Fetched once per run's outputs: nothing again while the re-run went, once after the switch.
    expect(count(requests, "GET /api/v1/documents/doc-1/pages")).toBe(2);
    expect(count(requests, "GET /api/v1/documents/doc-1/results")).toBe(2);
  }, 20000);

  it("says in words why processing again was refused, and refreshes the document", async () => {
    let refused = false;
    const requests = fakeApi((request) => {
      switch (path(request)) {
        case "GET /api/v1/documents/doc-1":
          return json(aDocument(refused ? "processing" : "ready", succeededRun("run1"), { ...TEXT_DOC, outputs: outputsOf("run1") }));
        case "POST /api/v1/documents/doc-1/reprocess":
          refused = true;
          return problem(409, "document_busy");
        case "GET /api/v1/documents/doc-1/pages":
          return json(pagesOf("Text of the first run"));
        case "GET /api/v1/documents/doc-1/results":
          return json(resultsOf("First summary"));
        default:
          return json({ items: [] });
      }
    });
    const user = userEvent.setup();
    renderPage();
    await user.click(await screen.findByRole("button", { name: "Process again" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("This document is being processed; wait for that to finish");
    await screen.findByText("processing");
    expect(screen.getByRole("button", { name: "Process again" })).toBeDisabled();
    expect(count(requests, "GET /api/v1/documents/doc-1")).toBe(2);
  });

  it("after a failed re-run, keeps the previous run's text and results and names the step that failed", async () => {
    const jobs = [
      aJob("extract", "succeeded", { id: "run2-extract" }),
      aJob("embed", "succeeded", { id: "run2-embed" }),
      aJob("ai", "failed", { id: "run2-ai", error: { code: "provider_unavailable", message: "503" } }),
    ];
    fakeApi((request) => {
      switch (path(request)) {
        case "GET /api/v1/documents/doc-1":
          return json(aDocument("failed", jobs, { ...TEXT_DOC, outputs: outputsOf("run1") }));
        case "GET /api/v1/documents/doc-1/pages":
          return json(pagesOf("Text of the first run"));
        case "GET /api/v1/documents/doc-1/results":
          return json(resultsOf("First summary"));
        default:
          return json({ items: [] });
      }
    });
    renderPage();
    await screen.findByText("The new run failed at the ai step, so the text, search index and results shown are the previous run's.");
    await screen.findByText("Text of the first run");
    await screen.findByText("First summary");
    expect(screen.getByRole("list", { name: "Jobs" })).toHaveTextContent("The AI service is unavailable.");
    expect(screen.getByRole("button", { name: "Process again" })).toBeEnabled();
  });

  it("offers to ask this document, and marks a citation's quote on its page", async () => {
    fakeApi((request) => {
      switch (path(request)) {
        case "GET /api/v1/documents/doc-1":
          return json(aDocument("ready", succeededRun("run1"), { ...TEXT_DOC, outputs: outputsOf("run1"), role: "viewer" }));
        case "GET /api/v1/documents/doc-1/pages":
          return json(pagesOf("Terms: payment within 30 days.\nThe copper cupola was polished."));
        default:
          return json(resultsOf("First summary"));
      }
    });
    renderPage("/documents/doc-1?page=1&quote=The+copper+cupola+was+polished.");
    const ask = await screen.findByRole("link", { name: "Ask this document" });
    expect(ask).toHaveAttribute("href", "/ask?document=doc-1");
    const text = screen.getByRole("region", { name: "Extracted text" });
    const mark = await waitFor(() => {
      const found = text.querySelector("mark");
      expect(found).not.toBeNull();
      return found!;
    });
    expect(mark.textContent).toBe("The copper cupola was polished.");
  });

  it("offers a viewer no Process again", async () => {
    fakeApi((request) => {
      if (path(request) === "GET /api/v1/documents/doc-1") {
        return json(aDocument("ready", succeededRun("run1"), { ...TEXT_DOC, outputs: outputsOf("run1"), role: "viewer" }));
      }
      if (path(request) === "GET /api/v1/documents/doc-1/pages") return json(pagesOf("Text of the first run"));
      return json(resultsOf("First summary"));
    });
    renderPage();
    await screen.findByText("Text of the first run");
    expect(screen.queryByRole("button", { name: "Process again" })).not.toBeInTheDocument();
  });
});

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, renderHook, screen, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { describe, expect, it } from "vitest";
import { aDocument, aJob, fakeApi, json, path } from "../test/fakeApi";
import { fetchDocument, keys, useDocument, useJobAction, usePages, useReprocess, withJob, type Tracked } from "./documents";
import { ApiError } from "./problem";

describe("fetchDocument", () => {
  it("asks with If-None-Match and keeps the very same data on 304", async () => {
    const requests = fakeApi(() => new Response(null, { status: 304, headers: { ETag: '"v1"' } }));
    const previous: Tracked = { document: aDocument("processing", []) as never, etag: '"v1"' };
    const next = await fetchDocument("doc-1", previous);
    expect(next).toBe(previous);
    expect(requests[0]!.headers.get("If-None-Match")).toBe('"v1"');
  });

  it("takes the new document and its ETag on 200", async () => {
    fakeApi(() => json(aDocument("ready", []), { headers: { ETag: '"v2"' } }));
    const next = await fetchDocument("doc-1", undefined);
    expect(next.etag).toBe('"v2"');
    expect(next.document.status).toBe("ready");
  });

  it("raises the problem with its Retry-After when throttled", async () => {
    fakeApi(() => new Response(JSON.stringify({ code: "too_many_requests", status: 429, title: "x" }), {
      status: 429,
      headers: { "Content-Type": "application/problem+json", "Retry-After": "5" },
    }));
    const error = await fetchDocument("doc-1", undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).retryAfter).toBe(5);
  });
});

function Status({ id }: { id: string }) {
  const { data } = useDocument(id);
  return <p>status {data?.document.status ?? "none"}</p>;
}

describe("useDocument", () => {
  it("polls until the document is terminal, then stops", async () => {
    const answers = ["queued", "processing", "ready"];
    let served = 0;
    const requests = fakeApi((request) => {
      expect(path(request)).toBe("GET /api/v1/documents/doc-1");
      const status = answers[Math.min(served, answers.length - 1)]!;
      served += 1;
      return json(aDocument(status, [aJob("extract", status === "ready" ? "succeeded" : "running")]), {
        headers: { ETag: `"v${served}"` },
      });
    });
    const client = new QueryClient();
    render(
      <QueryClientProvider client={client}>
        <Status id="doc-1" />
      </QueryClientProvider>,
    );
    await screen.findByText("status ready", {}, { timeout: 8000 });
    const seen = requests.length;
    expect(seen).toBe(3);
    // Each poll after the first offered the ETag it had.
    expect(requests[1]!.headers.get("If-None-Match")).toBe('"v1"');
    expect(requests[2]!.headers.get("If-None-Match")).toBe('"v2"');
    // Terminal: the poll is no longer scheduled.
    const query = client.getQueryCache().find({ queryKey: ["documents", "one", "doc-1"] })!;
    await waitFor(() => expect(query.state.fetchStatus).toBe("idle"));
    expect(query.observers[0]!.options.refetchInterval).toBeTypeOf("function");
    const interval = (query.observers[0]!.options.refetchInterval as (q: typeof query) => unknown)(query);
    expect(interval).toBe(false);
    client.clear();
  }, 15000);
});

function withClient(client: QueryClient) {
  return ({ children }: { children: ReactNode }) => <QueryClientProvider client={client}>{children}</QueryClientProvider>;
}

const shownRun = [aJob("extract", "succeeded", { id: "run1-extract" }), aJob("ai", "succeeded", { id: "run1-ai" })];
const shownOutputs = { extract: "run1-extract", ai: "run1-ai" };

describe("withJob", () => {
  it("puts a job in place of the one of its id, else of its kind, else at the end", () => {
    const tracked = { document: aDocument("ready", shownRun, { outputs: shownOutputs }), etag: '"v3"' } as unknown as Tracked;
    const ids = (t: Tracked) => t.document.jobs.map((job) => `${job.kind}:${job.id}:${job.status}`);
    expect(ids(withJob(tracked, aJob("ai", "queued", { id: "run2-ai" }) as never))).toEqual([
      "extract:run1-extract:succeeded",
      "ai:run2-ai:queued",
    ]);
    expect(ids(withJob(tracked, aJob("extract", "cancelled", { id: "run1-extract" }) as never))[0]).toBe("extract:run1-extract:cancelled");
    expect(ids(withJob(tracked, aJob("redact", "queued", { id: "run2-redact" }) as never))).toHaveLength(3);
    // The document and its ETag are otherwise as they were.
    expect(withJob(tracked, aJob("ai", "queued") as never).etag).toBe('"v3"');
    expect(tracked.document.jobs[1]!.id).toBe("run1-ai");
  });
});

describe("useJobAction", () => {
  it("shows the new job a retry answered at once and refetches the document, not its pages", async () => {
    const requests = fakeApi((request) => {
      if (path(request) === "POST /api/v1/jobs/run1-ai/retry") return json(aJob("ai", "queued", { id: "run2-ai" }), { status: 202 });
      // Not modified yet: what the cache holds is what the retry's answer put there.
      if (path(request) === "GET /api/v1/documents/doc-1") return new Response(null, { status: 304 });
      if (path(request) === "GET /api/v1/documents/doc-1/pages") return json({ items: [], next_cursor: null });
      throw new Error(`unexpected ${path(request)}`);
    });
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    client.setQueryData(keys.document("doc-1"), { document: aDocument("ready", shownRun, { outputs: shownOutputs }), etag: '"v1"' });
    // The shown pages are on screen (observed) while the retry goes.
    const { result } = renderHook(() => ({ action: useJobAction("doc-1"), document: useDocument("doc-1"), pages: usePages("doc-1", "run1-extract") }), {
      wrapper: withClient(client),
    });
    await waitFor(() => expect(result.current.pages.isSuccess).toBe(true));
    await result.current.action.mutateAsync({ jobId: "run1-ai", action: "retry" });
    const jobs = client.getQueryData<Tracked>(keys.document("doc-1"))!.document.jobs;
    expect(jobs.map((job) => job.id)).toEqual(["run1-extract", "run2-ai"]);
    await waitFor(() => expect(requests.map(path)).toContain("GET /api/v1/documents/doc-1"));
    expect(requests.filter((request) => path(request) === "GET /api/v1/documents/doc-1/pages")).toHaveLength(1);
  });
});

describe("useReprocess", () => {
  it("posts without a pipeline, so the document's own runs, and polls the document again", async () => {
    let reprocessed = false;
    const requests = fakeApi((request) => {
      switch (path(request)) {
        case "POST /api/v1/documents/doc-1/reprocess":
          reprocessed = true;
          return json(aDocument("queued", [aJob("extract", "queued", { id: "run2-extract" })], { outputs: shownOutputs }), { status: 202 });
        case "GET /api/v1/documents/doc-1":
          return json(reprocessed
            ? aDocument("ready", [aJob("extract", "succeeded", { id: "run2-extract" })], { outputs: { extract: "run2-extract" } })
            : aDocument("ready", shownRun, { outputs: shownOutputs }));
        default:
          throw new Error(`unexpected ${path(request)}`);
      }
    });
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const { result } = renderHook(() => ({ reprocess: useReprocess("doc-1"), document: useDocument("doc-1") }), {
      wrapper: withClient(client),
    });
    await waitFor(() => expect(result.current.document.data?.document.status).toBe("ready"));
    result.current.reprocess.mutate();
    await waitFor(() => expect(result.current.document.data?.document.status).toBe("queued"));
    const post = requests.find((request) => request.method === "POST")!;
    expect(await post.text()).toBe("");
    // The document was terminal, so its poll had stopped; the new run starts it again.
    await waitFor(() => expect(result.current.document.data?.document.outputs).toEqual({ extract: "run2-extract" }), { timeout: 5000 });
    expect(requests.filter((request) => path(request) === "GET /api/v1/documents/doc-1")).toHaveLength(2);
  });

  it("is not undone by a poll that was on its way when the new run started", async () => {
    let release: (() => void) | undefined;
    let gets = 0;
    fakeApi(async (request) => {
      if (path(request) === "POST /api/v1/documents/doc-1/reprocess") {
        return json(aDocument("queued", [aJob("extract", "queued", { id: "run2-extract" })], { outputs: shownOutputs }), { status: 202 });
      }
      gets += 1;
      // The second poll was sent before the reprocess and answers, after it, what was true before it.
      if (gets === 2) await new Promise<void>((resolve) => (release = resolve));
      const status = gets === 2 ? "ready" : gets === 1 ? "ready" : "processing";
      return json(aDocument(status, shownRun, { outputs: shownOutputs }));
    });
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    const { result } = renderHook(() => ({ reprocess: useReprocess("doc-1"), document: useDocument("doc-1") }), {
      wrapper: withClient(client),
    });
    await waitFor(() => expect(result.current.document.data?.document.status).toBe("ready"));
    void client.refetchQueries({ queryKey: keys.document("doc-1"), exact: true });
    await waitFor(() => expect(release).toBeDefined());
    await result.current.reprocess.mutateAsync();
    expect(client.getQueryData<Tracked>(keys.document("doc-1"))!.document.status).toBe("queued");
    release!();
    // Had the late answer been taken, the document would read ready again and its poll would stop.
    await waitFor(() => expect(result.current.document.data?.document.status).toBe("processing"), { timeout: 5000 });
  });
});

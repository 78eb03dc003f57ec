import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { aDocument, aJob, fakeApi, json, path } from "../test/fakeApi";
import { fetchDocument, useDocument, type Tracked } from "./documents";
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

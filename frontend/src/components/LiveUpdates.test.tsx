// @vitest-environment-options {"url": "http://api.test/"}
// The app as its API serves it: the page and the API share an origin.
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { seedDocument, useDocument, useDocumentList } from "../api/documents";
import { useLiveStream } from "../api/live";
import { POLL_VISIBLE_MS } from "../api/polling";
import type { DocumentOut } from "../api/types";
import { readListQuery } from "../features/documents/listQuery";
import { aDocument, fakeApi, json, path, problem } from "../test/fakeApi";
import { eventStream, type EventStream } from "../test/fakeStream";
import { LiveUpdates } from "./LiveUpdates";

afterEach(() => {
  vi.restoreAllMocks();
});

const LIST = readListQuery(new URLSearchParams());

function pause(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The API of a few documents, each with a revision that makes its ETag, and a queue of answers for
 * each connection to the stream. */
function documentsApi(initial: Record<string, string>) {
  const docs = new Map(Object.entries(initial).map(([id, status]) => [id, { status, revision: 1 }]));
  const streams: (EventStream | Response)[] = [];
  const describe = (id: string) => aDocument(docs.get(id)!.status, [], { id, filename: `${id}.txt` });
  const requests = fakeApi((request) => {
    const url = new URL(request.url);
    if (path(request) === "GET /api/v1/events") {
      const next = streams.shift();
      if (!next) throw new Error("no stream left to answer with");
      return next instanceof Response ? next : next.response;
    }
    if (path(request) === "GET /api/v1/documents") {
      const items = [...docs.keys()].map((id) => {
        const { jobs: _jobs, sha256: _sha, pipeline: _pipeline, outputs: _outputs, ...row } = describe(id);
        return row;
      });
      return json({ items, next_cursor: null });
    }
    const id = url.pathname.split("/").at(-1)!;
    const doc = docs.get(id);
    if (!doc) return problem(404, "document_not_found");
    const etag = `W/"d-${doc.revision}-owner"`;
    if (request.headers.get("If-None-Match") === etag) return new Response(null, { status: 304, headers: { ETag: etag } });
    return json(describe(id), { headers: { ETag: etag } });
  });
  return {
    requests,
    streams,
    set(id: string, status: string) {
      const doc = docs.get(id);
      docs.set(id, { status, revision: (doc?.revision ?? 0) + 1 });
    },
    remove(id: string) {
      docs.delete(id);
    },
    gets(id: string) {
      return requests.filter((request) => path(request) === `GET /api/v1/documents/${id}`).length;
    },
    listGets() {
      return requests.filter((request) => path(request) === "GET /api/v1/documents").length;
    },
    connections() {
      return requests.filter((request) => path(request) === "GET /api/v1/events");
    },
  };
}

function Watch({ id }: { id: string }) {
  const { data, error } = useDocument(id);
  return (
    <p>
      {id} {data?.document.status ?? "none"}
      {error ? " gone" : ""}
    </p>
  );
}

function List() {
  const { data } = useDocumentList(LIST, null);
  return (
    <ul aria-label="List">
      {data?.items.map((doc) => (
        <li key={doc.id}>
          {doc.filename} {doc.status}
        </li>
      ))}
    </ul>
  );
}

function Mode() {
  return <output aria-label="Mode">{useLiveStream() ? "live" : "polling"}</output>;
}

function Followed({ watch, list }: { watch: string[]; list: boolean }) {
  return (
    <LiveUpdates>
      <Mode />
      {watch.map((id) => (
        <Watch key={id} id={id} />
      ))}
      {list && <List />}
    </LiveUpdates>
  );
}

function renderLive({ watch = [] as string[], list = false } = {}) {
  // As in the app: a document just fetched (or seeded by its upload) is not fetched again on mount.
  const client = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: 10_000 } } });
  const wrap = (ids: string[]) => (
    <QueryClientProvider client={client}>
      <Followed watch={ids} list={list} />
    </QueryClientProvider>
  );
  const view = render(wrap(watch));
  return { client, view, show: (ids: string[]) => view.rerender(wrap(ids)) };
}

async function mode(expected: "live" | "polling", timeout = 4000) {
  await waitFor(() => expect(screen.getByRole("status", { name: "Mode" })).toHaveTextContent(expected), { timeout });
}

function opened(): EventStream {
  const stream = eventStream();
  stream.write(": connected\n\n");
  return stream;
}

function changed(id: string, status: string, extra: Record<string, unknown> = {}) {
  return { document_id: id, status, revision: 2, ...extra };
}

describe("LiveUpdates", () => {
  it("refetches the document an event is about, and polls nothing while the stream is open", async () => {
    const api = documentsApi({ "doc-1": "processing", "doc-2": "processing" });
    const stream = eventStream();
    api.streams.push(stream);
    renderLive({ watch: ["doc-1", "doc-2"] });
    await screen.findByText("doc-1 processing");
    await screen.findByText("doc-2 processing");
    stream.write(": connected\nretry: 2000\n\n");
    await mode("live");
    // The stream starts with what happens next: what is on its way is fetched once more, then left be.
    await waitFor(() => expect([api.gets("doc-1"), api.gets("doc-2")]).toEqual([2, 2]));
    await pause(POLL_VISIBLE_MS + 1000);
    expect([api.gets("doc-1"), api.gets("doc-2")]).toEqual([2, 2]);

    api.set("doc-2", "ready");
    stream.send("job.changed", { job_id: "job-x", document_id: "doc-2", kind: "ai", status: "succeeded", attempt: 1, detail: null }, 11);
    stream.send("document.changed", changed("doc-2", "ready"), 12);
    await screen.findByText("doc-2 ready");
    // One refetch for the two events of one change, and none for the other document.
    await pause(300);
    expect([api.gets("doc-1"), api.gets("doc-2")]).toEqual([2, 3]);
    expect(api.connections()).toHaveLength(1);
  }, 15000);

  it("refetches a document at most about once a second however many progress events come", async () => {
    const api = documentsApi({ "doc-1": "processing" });
    const stream = opened();
    api.streams.push(stream);
    renderLive({ watch: ["doc-1"] });
    await mode("live");
    await waitFor(() => expect(api.gets("doc-1")).toBe(2));
    const before = api.gets("doc-1");
    // Progress every 100 ms for 1.5 s, then the end.
    for (let i = 1; i <= 15; i += 1) {
      api.set("doc-1", "processing");
      stream.send("document.changed", changed("doc-1", "processing", { job_id: "job-1", progress: i / 16 }), 100 + i);
      await pause(100);
    }
    api.set("doc-1", "ready");
    stream.send("document.changed", changed("doc-1", "ready"), 200);
    await screen.findByText("doc-1 ready", {}, { timeout: 3000 });
    await pause(1200);
    const refetches = api.gets("doc-1") - before;
    expect(refetches).toBeGreaterThanOrEqual(2);
    expect(refetches).toBeLessThanOrEqual(3);
  }, 15000);

  it("polls while the stream is down and stops once it is back", async () => {
    vi.spyOn(Math, "random").mockReturnValue(0);
    const api = documentsApi({ "doc-1": "processing" });
    // Refused at first; the next try (after 1.6 s: the 2 s default, less the jitter) opens.
    api.streams.push(problem(503, "database_unavailable"), opened());
    renderLive({ watch: ["doc-1"] });
    await screen.findByText("doc-1 processing");
    await mode("polling");
    await waitFor(() => expect(api.gets("doc-1")).toBe(2), { timeout: POLL_VISIBLE_MS + 1000 });
    await mode("live", 4000);
    expect(api.connections()).toHaveLength(2);
    await pause(300);
    const settled = api.gets("doc-1");
    await pause(POLL_VISIBLE_MS + 1000);
    expect(api.gets("doc-1")).toBe(settled);
  }, 15000);

  it("after a break, polls meanwhile and resumes with Last-Event-ID, taking the events it missed", async () => {
    const api = documentsApi({ "doc-1": "processing" });
    const first = eventStream();
    // The server's own delay (short here, to keep the test quick).
    first.write(": connected\nretry: 300\n\n");
    const second = eventStream();
    api.streams.push(first, second);
    renderLive({ watch: ["doc-1"] });
    await mode("live");
    first.send("document.changed", changed("doc-1", "processing", { progress: 0.5 }), 41);
    first.send("document.changed", changed("doc-1", "processing", { progress: 0.7 }), 42);
    await pause(200);
    first.fail();
    await mode("polling");
    api.set("doc-1", "ready");
    second.write(": connected\n\n");
    second.send("document.changed", changed("doc-1", "ready"), 43);
    await screen.findByText("doc-1 ready", {}, { timeout: 4000 });
    await mode("live");
    const [opening, resuming] = api.connections();
    expect(opening!.headers.get("Last-Event-ID")).toBeNull();
    expect(resuming!.headers.get("Last-Event-ID")).toBe("42");
  }, 15000);

  it("on reset fetches again every document followed and the list, even those that are done", async () => {
    const api = documentsApi({ "doc-1": "ready", "doc-2": "ready" });
    const stream = opened();
    api.streams.push(stream);
    renderLive({ watch: ["doc-1", "doc-2"], list: true });
    await screen.findByText("doc-1 ready");
    await screen.findByText("doc-2 ready");
    await mode("live");
    await pause(300);
    // Done documents are not fetched again when the stream opens.
    expect([api.gets("doc-1"), api.gets("doc-2"), api.listGets()]).toEqual([1, 1, 1]);
    stream.send("reset", { reason: "events_pruned" });
    await waitFor(() => expect([api.gets("doc-1"), api.gets("doc-2"), api.listGets()]).toEqual([2, 2, 2]));
  }, 15000);

  it("shows a new status in the list at once, and fetches the list again when a document is done", async () => {
    const api = documentsApi({ "doc-1": "queued", "doc-2": "ready" });
    const stream = opened();
    api.streams.push(stream);
    renderLive({ list: true });
    const list = await screen.findByRole("list", { name: "List" });
    await within(list).findByText("doc-1.txt queued");
    await mode("live");
    await waitFor(() => expect(api.listGets()).toBe(2)); // caught up as the stream opened
    stream.send("document.changed", changed("doc-1", "processing"), 1);
    await within(list).findByText("doc-1.txt processing");
    await pause(300);
    expect(api.listGets()).toBe(2);
    api.set("doc-1", "ready");
    stream.send("document.changed", changed("doc-1", "ready"), 2);
    await within(list).findByText("doc-1.txt ready");
    expect(api.listGets()).toBe(3);
  }, 15000);

  it("takes a deleted document out of the list at once, says one on screen is gone, and closes the stream when it unmounts", async () => {
    const api = documentsApi({ "doc-1": "ready", "doc-2": "ready" });
    const stream = opened();
    api.streams.push(stream);
    const { view } = renderLive({ watch: ["doc-2"], list: true });
    const list = await screen.findByRole("list", { name: "List" });
    await within(list).findByText("doc-1.txt ready");
    await mode("live");
    api.remove("doc-1");
    api.remove("doc-2");
    stream.send("document.deleted", { document_id: "doc-1" }, 5);
    await waitFor(() => expect(within(list).queryByText("doc-1.txt ready")).not.toBeInTheDocument());
    stream.send("document.deleted", { document_id: "doc-2" }, 6);
    await screen.findByText("doc-2 ready gone");

    // Signing out unmounts the signed-in app, and with it the stream: the app lets go of it.
    view.unmount();
    await waitFor(() => expect(() => stream.write(": ping\n\n")).toThrow());
  }, 15000);

  it("fetches an upload again when an event about it came before the upload's answer", async () => {
    const api = documentsApi({ "doc-9": "processing" });
    const stream = opened();
    api.streams.push(stream);
    const { client, show } = renderLive();
    await mode("live");
    stream.send("document.changed", changed("doc-9", "processing"), 1);
    await pause(300);
    expect(api.gets("doc-9")).toBe(0);
    // The upload's answer, from before that event, seeds the document, and the upload shows it.
    seedDocument(client, aDocument("queued", [], { id: "doc-9" }) as unknown as DocumentOut);
    show(["doc-9"]);
    expect(screen.getByText("doc-9 queued")).toBeInTheDocument();
    await screen.findByText("doc-9 processing");
    expect(api.gets("doc-9")).toBe(1);
  }, 15000);
});

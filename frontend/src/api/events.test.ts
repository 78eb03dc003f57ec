// @vitest-environment-options {"url": "http://api.test/"}
// The app as its API serves it: the page and the API share an origin.
import { afterEach, describe, expect, it, vi } from "vitest";
import { fakeApi, path, problem } from "../test/fakeApi";
import { eventStream, sse } from "../test/fakeStream";
import { backoff, eventsRequest, followEvents, MAX_RETRY_MS, readEvents, type LiveEvent } from "./events";
import { ApiError } from "./problem";
import { onSessionExpired, setTokenSource } from "./session";

afterEach(() => {
  setTokenSource(async () => null);
  vi.restoreAllMocks();
});

function changed(id: string, status = "processing", extra: Record<string, unknown> = {}) {
  return { document_id: id, status, revision: 3, ...extra };
}

describe("readEvents", () => {
  it("asks for the stream with the token, says when it opens, and hands over events with their ids", async () => {
    setTokenSource(async () => "token-1");
    const stream = eventStream();
    const requests = fakeApi(() => stream.response);
    const seen: string[] = [];
    const read = readEvents(
      null,
      {
        onOpen: () => seen.push("open"),
        onEvent: (event) => seen.push(`${event.type} ${"document_id" in event.data ? event.data.document_id : event.data.reason}`),
        onId: (id) => seen.push(`id ${id}`),
        onRetry: (ms) => seen.push(`retry ${ms}`),
      },
      new AbortController().signal,
    );
    // Events split across chunks anywhere, heartbeats between them, and a kind this app does not know.
    const text =
      ": connected\nretry: 2000\n\n" +
      sse("document.changed", changed("doc-1", "processing", { job_id: "job-1", progress: 0.5 }), 41) +
      ": ping\n\n" +
      sse("job.changed", { job_id: "job-1", document_id: "doc-1", kind: "extract", status: "succeeded", attempt: 1, detail: null }, 42) +
      sse("webhook.sent", { id: "w-1" }, 43) +
      sse("document.deleted", { document_id: "doc-2" }, 44) +
      sse("reset", { reason: "events_pruned" });
    for (let at = 0; at < text.length; at += 13) stream.write(text.slice(at, at + 13));
    stream.end();
    await read;

    expect(seen).toEqual([
      "open",
      "retry 2000",
      "id 41",
      "document.changed doc-1",
      "id 42",
      "job.changed doc-1",
      "id 43",
      "id 44",
      "document.deleted doc-2",
      "reset events_pruned",
    ]);
    const request = requests[0]!;
    expect(path(request)).toBe("GET /api/v1/events");
    expect(request.headers.get("Accept")).toBe("text/event-stream");
    expect(request.headers.get("Authorization")).toBe("Bearer token-1");
    expect(request.headers.get("Last-Event-ID")).toBeNull();
  });

  it("makes an unreadable event a reset, so what is followed is fetched again", async () => {
    const stream = eventStream();
    fakeApi(() => stream.response);
    const events: LiveEvent[] = [];
    const read = readEvents("7", { onOpen: () => {}, onEvent: (e) => events.push(e), onId: () => {}, onRetry: () => {} }, new AbortController().signal);
    stream.write("id: 8\nevent: document.changed\ndata: {not json\n\n");
    stream.send("job.changed", { job_id: "job-1" }, 9);
    stream.end();
    await read;
    expect(events.map((e) => e.type)).toEqual(["reset", "reset"]);
  });

  it("rejects with the problem when refused, and a 401 ends the session", async () => {
    fakeApi(() => problem(503, "database_unavailable", {}, { "Retry-After": "7" }));
    const handlers = { onOpen: () => {}, onEvent: () => {}, onId: () => {}, onRetry: () => {} };
    const refused = await readEvents(null, handlers, new AbortController().signal).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).retryAfter).toBe(7);

    const expired = vi.fn();
    const stop = onSessionExpired(expired);
    fakeApi(() => problem(401, "token_expired"));
    await expect(readEvents(null, handlers, new AbortController().signal)).rejects.toMatchObject({ status: 401 });
    expect(expired).toHaveBeenCalledOnce();
    stop();
  });

  it("rejects when the connection breaks or the answer is not a stream", async () => {
    const handlers = { onOpen: () => {}, onEvent: () => {}, onId: () => {}, onRetry: () => {} };
    const stream = eventStream();
    fakeApi(() => stream.response);
    const read = readEvents(null, handlers, new AbortController().signal);
    stream.write(": connected\n\n");
    stream.fail();
    await expect(read).rejects.toMatchObject({ code: "stream_broken" });

    fakeApi(() => new Response("{}", { headers: { "Content-Type": "application/json" } }));
    await expect(readEvents(null, handlers, new AbortController().signal)).rejects.toMatchObject({ code: "not_an_event_stream" });
  });
});

describe("eventsRequest", () => {
  it("resumes with Last-Event-ID on the page's own origin, and with ?after= across origins", () => {
    const same = eventsRequest("41", "tok", "http://api.test");
    expect(same.url).toBe("http://api.test/api/v1/events");
    expect(same.headers).toEqual({ Accept: "text/event-stream", Authorization: "Bearer tok", "Last-Event-ID": "41" });
    // The API's CORS rules do not list Last-Event-ID: a header would fail the preflight.
    const across = eventsRequest("41", null, "https://app.example");
    expect(across.url).toBe("http://api.test/api/v1/events?after=41");
    expect(across.headers).toEqual({ Accept: "text/event-stream" });
  });
});

describe("backoff", () => {
  it("starts at the server's delay, doubles per failure up to a cap, and never comes before Retry-After", () => {
    expect(backoff(1, 2000, null, 0.5)).toBe(2000);
    expect(backoff(2, 2000, null, 0.5)).toBe(4000);
    expect(backoff(3, 2000, null, 0.5)).toBe(8000);
    expect(backoff(20, 2000, null, 0.5)).toBe(MAX_RETRY_MS);
    expect(backoff(1, 2000, null, 0)).toBe(1600);
    expect(backoff(1, 2000, null, 1)).toBe(2400);
    expect(backoff(1, 2000, new ApiError(503, {}, 20), 0.5)).toBe(20_000);
  });
});

describe("followEvents", () => {
  it("opens the stream again after a break, resuming after the last event it saw", async () => {
    const streams = [eventStream(), eventStream()];
    let served = 0;
    const requests = fakeApi(() => streams[served++]!.response);
    const seen: string[] = [];
    const controller = new AbortController();
    const following = followEvents(
      {
        onLive: (resumed) => seen.push(resumed ? "live, resumed" : "live"),
        onDown: (retryInMs) => seen.push(`down ${retryInMs}`),
        onEvent: (event) => seen.push(event.type),
      },
      controller.signal,
    );
    vi.spyOn(Math, "random").mockReturnValue(0.5);
    // The server's own delay sets the pace (here short, to keep the test quick).
    streams[0]!.write(": connected\nretry: 50\n\n");
    streams[0]!.send("document.changed", changed("doc-1"), 41);
    streams[0]!.send("document.changed", changed("doc-1"), 42);
    await vi.waitFor(() => expect(seen).toContain("document.changed"));
    streams[0]!.fail();
    await vi.waitFor(() => expect(requests).toHaveLength(2));
    streams[1]!.write(": connected\n\n");
    streams[1]!.send("document.changed", changed("doc-1", "ready"), 43);
    await vi.waitFor(() => expect(seen).toHaveLength(6));
    controller.abort();
    await following;

    expect(seen).toEqual(["live", "document.changed", "document.changed", "down 50", "live, resumed", "document.changed"]);
    expect(requests[0]!.headers.get("Last-Event-ID")).toBeNull();
    expect(requests[1]!.headers.get("Last-Event-ID")).toBe("42");
  });

  it("gives up on an API without the stream, so polling stays", async () => {
    const requests = fakeApi(() => problem(404, "not_found"));
    const down: (number | null)[] = [];
    await followEvents({ onLive: () => {}, onDown: (ms) => down.push(ms), onEvent: () => {} }, new AbortController().signal);
    expect(down).toEqual([null]);
    expect(requests).toHaveLength(1);
  });
});

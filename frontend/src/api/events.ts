/** The live stream of the caller's document and job changes (`GET /api/v1/events`): read through
 * fetch, since EventSource cannot send the bearer token, and parsed by eventsource-parser. When it
 * breaks it is opened again with backoff, resuming after the last event seen. */
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { apiUrl } from "./client";
import { ApiError, problemFromResponse } from "./problem";
import { getToken, reportSessionExpired } from "./session";
import type { DocumentStatus, JobStatus } from "./types";

export interface DocumentChanged {
  document_id: string;
  status: DocumentStatus;
  /** The document's revision: it moves whenever the document would answer a new ETag. */
  revision: number;
  /** Set when a running job reported progress. */
  job_id?: string;
  progress?: number;
}

export interface JobChanged {
  job_id: string;
  document_id: string;
  kind: string;
  status: JobStatus;
  attempt: number;
  detail: string | null;
}

export type LiveEvent =
  | { type: "document.changed"; data: DocumentChanged }
  | { type: "job.changed"; data: JobChanged }
  | { type: "document.deleted"; data: { document_id: string } }
  /** Events were missed (pruned, or unreadable): whatever is followed must be fetched again. */
  | { type: "reset"; data: { reason: string } };

/** The server's own `retry` is 2 s; this is until it has said. */
export const DEFAULT_RETRY_MS = 2000;
export const MAX_RETRY_MS = 30_000;
/** Heartbeats come at most a minute apart (STREAM_HEARTBEAT_SECONDS); a stream silent for longer is dead,
 * whatever the socket under it says (a sleeping laptop, a proxy that holds the bytes back). */
export const SILENCE_MS = 75_000;
/** A connection that lasted this long was a good one: the next break starts the backoff afresh. */
const STEADY_MS = 10_000;

function unreadable(message: EventSourceMessage): LiveEvent {
  return { type: "reset", data: { reason: `unreadable ${message.event ?? "message"} event` } };
}

/** The event a message carries; null for kinds this version of the app does not know. */
export function toLiveEvent(message: EventSourceMessage): LiveEvent | null {
  const type = message.event;
  if (type !== "document.changed" && type !== "job.changed" && type !== "document.deleted" && type !== "reset") return null;
  let data: unknown;
  try {
    data = JSON.parse(message.data);
  } catch {
    return unreadable(message);
  }
  if (!data || typeof data !== "object") return unreadable(message);
  if (type === "reset") return { type, data: data as { reason: string } };
  if (typeof (data as { document_id?: unknown }).document_id !== "string") return unreadable(message);
  return { type, data } as LiveEvent;
}

/** Where to resume: the `Last-Event-ID` header, or `?after=` when the API is on another origin, whose
 * CORS rules do not list that header (a refused preflight would break every reconnection). */
export function eventsRequest(
  lastEventId: string | null,
  token: string | null,
  pageOrigin: string = window.location.origin,
): { url: string; headers: Record<string, string> } {
  const url = new URL(apiUrl("/api/v1/events"), window.location.href);
  const headers: Record<string, string> = { Accept: "text/event-stream" };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (lastEventId !== null) {
    if (url.origin === pageOrigin) headers["Last-Event-ID"] = lastEventId;
    else url.searchParams.set("after", lastEventId);
  }
  return { url: url.toString(), headers };
}

export interface Connection {
  /** The stream is open: the server's first bytes arrived. */
  onOpen: () => void;
  onEvent: (event: LiveEvent) => void;
  /** Each event's id, to resume after. */
  onId: (id: string) => void;
  /** The server's reconnection delay (its `retry` field). */
  onRetry: (ms: number) => void;
}

function lost(code: string, cause?: unknown): ApiError {
  const error = new ApiError(0, { code, title: "The live stream was lost" });
  if (cause !== undefined) (error as { cause?: unknown }).cause = cause;
  return error;
}

/** Read one connection to its end. Resolves when the server ends the stream or `signal` aborts it;
 * rejects with an ApiError when the API refused it, the network failed, or it fell silent. */
export async function readEvents(lastEventId: string | null, handlers: Connection, signal: AbortSignal): Promise<void> {
  const { url, headers } = eventsRequest(lastEventId, await getToken());
  let response: Response;
  try {
    response = await globalThis.fetch(url, { headers, signal });
  } catch (cause) {
    if (signal.aborted) return;
    throw ApiError.network(cause);
  }
  if (response.status === 401) reportSessionExpired();
  if (!response.ok) throw await problemFromResponse(response);
  if (!(response.headers.get("Content-Type") ?? "").includes("text/event-stream") || !response.body) {
    void response.body?.cancel().catch(() => undefined);
    throw lost("not_an_event_stream");
  }

  let opened = false;
  const parser = createParser({
    onEvent(message) {
      if (message.id !== undefined) handlers.onId(message.id);
      const event = toLiveEvent(message);
      if (event) handlers.onEvent(event);
    },
    onRetry: (ms) => handlers.onRetry(ms),
  });
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let silent = false;
  let watchdog = 0;
  const cancel = () => void reader.cancel().catch(() => undefined);
  const watch = () => {
    window.clearTimeout(watchdog);
    watchdog = window.setTimeout(() => {
      silent = true;
      cancel();
    }, SILENCE_MS);
  };
  signal.addEventListener("abort", cancel, { once: true });
  watch();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      watch();
      if (!opened) {
        opened = true;
        handlers.onOpen();
      }
      parser.feed(decoder.decode(value, { stream: true }));
    }
  } catch (cause) {
    if (!signal.aborted) throw lost("stream_broken", cause);
  } finally {
    window.clearTimeout(watchdog);
    signal.removeEventListener("abort", cancel);
    cancel();
  }
  if (silent) throw lost("stream_silent");
}

export interface Follow {
  /** The stream is open. `resumed`: it carries on after an event already seen, so none was missed;
   * otherwise it starts with what happens next. */
  onLive: (resumed: boolean) => void;
  /** The stream is down: `retryInMs` until it is tried again, or null when it will not be. */
  onDown: (retryInMs: number | null) => void;
  onEvent: (event: LiveEvent) => void;
}

/** How long to wait before the next try: the server's delay doubled per failure in a row, capped,
 * with some jitter so that many tabs do not come back at once; never sooner than Retry-After. */
export function backoff(failures: number, baseMs: number, error: unknown, random: number = Math.random()): number {
  const exponential = Math.min(MAX_RETRY_MS, baseMs * 2 ** Math.max(0, failures - 1));
  const delay = Math.round(exponential * (0.8 + 0.4 * random));
  const retryAfter = error instanceof ApiError && error.retryAfter !== null ? error.retryAfter * 1000 : 0;
  return Math.max(delay, retryAfter);
}

/** Refusals that another try cannot mend: signed out, or an API without the stream. */
function final(error: unknown): boolean {
  return error instanceof ApiError && [401, 403, 404, 405, 410].includes(error.status);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = window.setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
    function done() {
      window.clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
  });
}

/** Follow the stream until `signal` aborts: open it, hand over its events, and open it again after
 * each break, resuming after the last event seen. */
export async function followEvents(handlers: Follow, signal: AbortSignal): Promise<void> {
  let lastId: string | null = null;
  let retryMs = DEFAULT_RETRY_MS;
  let failures = 0;
  while (!signal.aborted) {
    let openedAt: number | null = null;
    let failure: unknown = null;
    const resumed = lastId !== null;
    try {
      await readEvents(
        lastId,
        {
          onOpen: () => {
            openedAt = Date.now();
            handlers.onLive(resumed);
          },
          onEvent: handlers.onEvent,
          onId: (id) => (lastId = id),
          onRetry: (ms) => (retryMs = Math.min(Math.max(ms, 0), MAX_RETRY_MS)),
        },
        signal,
      );
    } catch (error) {
      failure = error;
    }
    if (signal.aborted) return;
    if (final(failure)) {
      handlers.onDown(null);
      return;
    }
    // A stream that ended or broke soon after it opened counts as a failure too, so a proxy that
    // closes every stream at once is not knocked on every two seconds.
    failures = openedAt !== null && Date.now() - openedAt >= STEADY_MS ? 1 : failures + 1;
    const delay = backoff(failures, retryMs, failure);
    handlers.onDown(delay);
    await sleep(delay, signal);
  }
}

/** A stand-in for the network under the app: each request is answered by a handler the test
 * writes, and every request is kept so the test can check what was sent. */
import { vi } from "vitest";

export type Handler = (request: Request) => Response | Promise<Response>;

export function json(body: unknown, init: ResponseInit = {}): Response {
  return new Response(JSON.stringify(body), {
    ...init,
    headers: { "Content-Type": "application/json", ...(init.headers as Record<string, string>) },
  });
}

export function problem(status: number, code: string, extra: Record<string, unknown> = {}, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify({ type: `urn:workopti:problem:${code}`, title: code, status, code, ...extra }), {
    status,
    headers: { "Content-Type": "application/problem+json", ...headers },
  });
}

export function fakeApi(handler: Handler) {
  const requests: Request[] = [];
  vi.stubGlobal("fetch", async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    requests.push(request.clone());
    return handler(request);
  });
  return requests;
}

export function path(request: Request): string {
  const url = new URL(request.url);
  return `${request.method} ${url.pathname}`;
}

export const NOW = "2026-11-28T10:00:00Z";

/** A job of any kind: the kinds are the deployment's (extract, embed and ai, or one it declares). */
export function aJob(kind: string, status: string, extra: Record<string, unknown> = {}) {
  return {
    id: `job-${kind}`,
    document_id: "doc-1",
    kind,
    queue: kind === "extract" ? "ocr" : kind,
    status,
    attempts: 1,
    max_attempts: 3,
    progress: status === "succeeded" ? 1 : 0,
    error: null,
    queued_at: NOW,
    started_at: "2026-11-28T10:00:02.500Z",
    finished_at: null,
    next_attempt_at: null,
    wait_ms: null,
    run_ms: 840,
    depends_on: null,
    ...extra,
  };
}

/** A document; `outputs` (kind -> job id) names the jobs whose text and results it shows. */
export function aDocument(status: string, jobs: unknown[], extra: Record<string, unknown> = {}) {
  return {
    id: "doc-1",
    filename: "invoice.pdf",
    content_type: "application/pdf",
    size_bytes: 10422,
    sha256: "0".repeat(64),
    status,
    page_count: 2,
    pipeline: ["extract", "embed", "ai"],
    role: "owner",
    created_at: NOW,
    updated_at: NOW,
    jobs,
    outputs: {},
    ...extra,
  };
}

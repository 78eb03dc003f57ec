import { describe, expect, it } from "vitest";
import { ApiError } from "./problem";
import {
  LIST_POLL_HIDDEN_MS,
  LIST_POLL_VISIBLE_MS,
  listPollInterval,
  POLL_HIDDEN_MS,
  POLL_UNREACHABLE_MS,
  POLL_VISIBLE_MS,
  pollInterval,
  retryDelay,
  shouldRetry,
} from "./polling";

describe("pollInterval", () => {
  it("stops once the document is terminal", () => {
    for (const status of ["ready", "failed", "cancelled"] as const) {
      expect(pollInterval({ status, hidden: false, error: null })).toBe(false);
      expect(pollInterval({ status, hidden: true, error: null })).toBe(false);
    }
  });

  it("keeps polling a document still on its way, slower in a hidden tab", () => {
    for (const status of ["queued", "processing"] as const) {
      expect(pollInterval({ status, hidden: false, error: null })).toBe(POLL_VISIBLE_MS);
      expect(pollInterval({ status, hidden: true, error: null })).toBe(POLL_HIDDEN_MS);
    }
    expect(POLL_HIDDEN_MS).toBeGreaterThan(POLL_VISIBLE_MS);
    expect(pollInterval({ status: undefined, hidden: false, error: null })).toBe(POLL_VISIBLE_MS);
  });

  it("waits as long as Retry-After says on 429 and 503", () => {
    const throttled = new ApiError(429, { code: "too_many_requests" }, 30);
    expect(pollInterval({ status: "processing", hidden: false, error: throttled })).toBe(30_000);
    const unavailable = new ApiError(503, { code: "database_unavailable" }, 8);
    expect(pollInterval({ status: "processing", hidden: false, error: unavailable })).toBe(8_000);
    // A hidden tab never polls faster than its own pace, whatever the server allows.
    const brief = new ApiError(429, { code: "too_many_requests" }, 1);
    expect(pollInterval({ status: "processing", hidden: true, error: brief })).toBe(POLL_HIDDEN_MS);
  });

  it("backs off while the server cannot be reached and stops for good on 404", () => {
    expect(pollInterval({ status: "processing", hidden: false, error: ApiError.network() })).toBe(POLL_UNREACHABLE_MS);
    expect(pollInterval({ status: "processing", hidden: false, error: new ApiError(404, { code: "document_not_found" }) })).toBe(false);
    expect(pollInterval({ status: "processing", hidden: false, error: new ApiError(401, { code: "token_expired" }) })).toBe(false);
  });
});

describe("retries", () => {
  it("retries only what may pass on its own, after Retry-After when given", () => {
    expect(shouldRetry(0, ApiError.network())).toBe(true);
    expect(shouldRetry(0, new ApiError(429, {}, 2))).toBe(true);
    expect(shouldRetry(3, new ApiError(503, {}))).toBe(false);
    expect(shouldRetry(0, new ApiError(404, { code: "not_found" }))).toBe(false);
    expect(shouldRetry(0, new ApiError(422, { code: "validation_error" }))).toBe(false);
    expect(retryDelay(0, new ApiError(429, {}, 6))).toBe(6000);
    expect(retryDelay(1, ApiError.network())).toBe(2000);
    expect(retryDelay(10, ApiError.network())).toBe(15000);
  });
});

describe("listPollInterval", () => {
  it("refreshes only while a row is still on its way, slower when hidden", () => {
    expect(listPollInterval({ statuses: ["ready", "failed", "cancelled"], hidden: false, error: null })).toBe(false);
    expect(listPollInterval({ statuses: [], hidden: false, error: null })).toBe(false);
    expect(listPollInterval({ statuses: ["ready", "processing"], hidden: false, error: null })).toBe(LIST_POLL_VISIBLE_MS);
    expect(listPollInterval({ statuses: ["queued"], hidden: true, error: null })).toBe(LIST_POLL_HIDDEN_MS);
  });

  it("honours Retry-After and gives up on a refusal", () => {
    expect(listPollInterval({ statuses: ["queued"], hidden: false, error: new ApiError(429, {}, 40) })).toBe(40_000);
    expect(listPollInterval({ statuses: ["queued"], hidden: false, error: new ApiError(400, { code: "invalid_cursor" }) })).toBe(false);
  });
});

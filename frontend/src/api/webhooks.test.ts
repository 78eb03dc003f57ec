import { describe, expect, it } from "vitest";
import { aDelivery } from "../test/fakeWebhooks";
import { ApiError } from "./problem";
import type { DeliveryOut, DeliveryStatus } from "./types";
import { LOG_POLL_MS, LOG_POLL_SLOW_MS, logPollInterval } from "./webhooks";

const NOW = Date.parse("2026-11-28T10:00:00Z");

function delivery(status: DeliveryStatus, extra: Partial<DeliveryOut> = {}): DeliveryOut {
  return aDelivery("d-1", status, extra);
}

describe("logPollInterval", () => {
  it("polls every few seconds while a delivery is on its way", () => {
    expect(logPollInterval([delivery("delivered"), delivery("pending")], null, NOW)).toBe(LOG_POLL_MS);
    expect(logPollInterval([delivery("sending")], null, NOW)).toBe(LOG_POLL_MS);
    expect(logPollInterval([delivery("retrying", { next_attempt_at: "2026-11-28T10:00:20Z" })], null, NOW)).toBe(LOG_POLL_MS);
  });

  it("polls slowly while the next retry is minutes away", () => {
    expect(logPollInterval([delivery("retrying", { next_attempt_at: "2026-11-28T10:30:00Z" })], null, NOW)).toBe(LOG_POLL_SLOW_MS);
  });

  it("stops once every delivery shown is delivered or dead, or the log is gone", () => {
    expect(logPollInterval([delivery("delivered"), delivery("dead")], null, NOW)).toBe(false);
    expect(logPollInterval([], null, NOW)).toBe(false);
    expect(logPollInterval([delivery("pending")], new ApiError(404, { code: "webhook_not_found" }), NOW)).toBe(false);
    expect(logPollInterval([delivery("pending")], ApiError.network(), NOW)).toBe(LOG_POLL_SLOW_MS);
  });
});

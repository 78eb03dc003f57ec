import { describe, expect, it } from "vitest";
import { ApiError, jobErrorMessage, parseRetryAfter, problemFromResponse, problemMessage } from "./problem";

function problem(status: number, code: string, extra: Record<string, unknown> = {}, retryAfter: number | null = null) {
  return new ApiError(status, { type: `urn:workopti:problem:${code}`, title: "t", status, code, ...extra }, retryAfter);
}

describe("problemMessage", () => {
  it("names the size limit of a file that is too large", () => {
    expect(problemMessage(problem(413, "file_too_large", { max_bytes: 52428800 }))).toBe(
      "The file is too large (the limit is 50 MB).",
    );
    expect(problemMessage(problem(413, "file_too_large"))).toBe("The file is too large.");
  });

  it("says a type is not allowed, and what is", () => {
    expect(problemMessage(problem(415, "unsupported_file_type"))).toMatch(/not allowed.*PDF, PNG, JPEG, TIFF, DOCX/);
    expect(problemMessage(problem(415, "extension_mismatch"))).toMatch(/not allowed: its name says one type but its content is another/);
  });

  it("says when to try again after a rate limit", () => {
    expect(problemMessage(problem(429, "too_many_uploads", {}, 12))).toBe(
      "Too many uploads in a short time. Please try again in 12 s.",
    );
    expect(problemMessage(problem(429, "too_many_requests", {}, 600))).toBe("Too many requests. Please try again in 10 min.");
    expect(problemMessage(problem(429, "something_new", {}, 3))).toBe("Too many requests. Please try again in 3 s.");
  });

  it("speaks of an unreachable server on a network failure", () => {
    expect(problemMessage(ApiError.network(new TypeError("Failed to fetch")))).toMatch(/server cannot be reached/);
  });

  it("sends an expired session back to sign-in", () => {
    expect(problemMessage(problem(401, "token_expired"))).toBe("Your session has expired. Please sign in again.");
  });

  it("adds the wait to a service that is briefly unavailable", () => {
    expect(problemMessage(problem(503, "database_unavailable", {}, 5))).toBe(
      "The service is briefly unavailable. Please try again in 5 s.",
    );
  });

  it("falls back to the server's own words for a code it does not know", () => {
    expect(problemMessage(problem(400, "brand_new_code", { detail: "Exactly what went wrong." }))).toBe(
      "Exactly what went wrong.",
    );
    expect(problemMessage(new ApiError(500, {}))).toBe("The server had a problem (500). Please try again.");
  });

  it("quotes the first validation error", () => {
    const error = problem(422, "validation_error", { errors: [{ loc: ["body", "user_id"], msg: "String should have at least 1 character" }] });
    expect(problemMessage(error)).toBe("Some of what was sent is not valid: String should have at least 1 character.");
  });

  it("says why a run could not start, for each refusal of processing again or retrying", () => {
    expect(problemMessage(problem(409, "document_busy"))).toMatch(/being processed; wait for that to finish, or cancel its jobs/);
    expect(problemMessage(problem(409, "job_superseded"))).toMatch(/newer run of this document has replaced that job/);
    expect(problemMessage(problem(409, "input_missing"))).toMatch(/needs what an earlier step makes.*process it again from the start/);
    for (const code of ["job_active", "dependency_not_done", "job_finished"]) {
      expect(problemMessage(problem(409, code, { detail: "raw server words" }))).not.toBe("raw server words");
    }
  });

  it("explains a failed job by its code, else by its message", () => {
    expect(jobErrorMessage({ code: "encrypted_pdf", message: "x" })).toMatch(/password-protected/);
    expect(jobErrorMessage({ code: "odd_failure", message: "The worker's words." })).toBe("The worker's words.");
  });
});

describe("Retry-After", () => {
  it("reads seconds, an HTTP date, or the problem's retry_after", () => {
    expect(parseRetryAfter("7")).toBe(7);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", undefined, now)).toBe(30);
    expect(parseRetryAfter(null, { retry_after: 4.2 })).toBe(5);
    expect(parseRetryAfter(null)).toBeNull();
  });

  it("comes from the response of a throttled request", async () => {
    const response = new Response(JSON.stringify({ code: "too_many_requests", status: 429, title: "Slow down" }), {
      status: 429,
      headers: { "Content-Type": "application/problem+json", "Retry-After": "9" },
    });
    const error = await problemFromResponse(response);
    expect(error.code).toBe("too_many_requests");
    expect(error.retryAfter).toBe(9);
  });
});

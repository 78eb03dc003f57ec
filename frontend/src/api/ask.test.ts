import { describe, expect, it } from "vitest";
import { fakeApi, path, problem } from "../test/fakeApi";
import { aCitation, anAnswer, aSource, eventStream, PASSENGERS, sse } from "../test/fakeStream";
import { askStreaming } from "./ask";
import { ApiError, problemMessage } from "./problem";
import { setTokenSource } from "./session";

describe("askStreaming", () => {
  it("posts the question for an event stream and hands over sources, pieces and citations in order, then the whole answer", async () => {
    setTokenSource(async () => "token-1");
    const stream = eventStream();
    const requests = fakeApi(() => stream.response);
    const seen: string[] = [];
    const asked = askStreaming(
      { question: "How many passengers?", conversation_id: "conv-1" },
      {
        onSources: (sources) => seen.push(`sources ${sources.length}`),
        onDelta: (text) => seen.push(`delta ${text}`),
        onCitation: (citation) => seen.push(`citation ${citation.number} ${citation.quote}`),
      },
    );
    // Events split across chunks anywhere, with heartbeats between them.
    const events =
      sse("sources", { sources: [aSource()] }) +
      ": ping\n\n" +
      sse("delta", { text: "The ferry " }) +
      sse("delta", { text: "carries 320 [1]" }) +
      ": ping\n\n" +
      sse("citation", aCitation(PASSENGERS)) +
      sse("done", anAnswer());
    for (let at = 0; at < events.length; at += 17) stream.write(events.slice(at, at + 17));
    stream.end();

    const answer = await asked;
    expect(seen).toEqual(["sources 1", "delta The ferry ", "delta carries 320 [1]", `citation 1 ${PASSENGERS}`]);
    expect(answer.answer).toBe(anAnswer().answer);
    expect(answer.extractive).toBe(true);
    const request = requests[0]!;
    expect(path(request)).toBe("POST /api/v1/ask");
    expect(request.headers.get("Accept")).toBe("text/event-stream");
    expect(request.headers.get("Authorization")).toBe("Bearer token-1");
    expect(await request.json()).toEqual({ question: "How many passengers?", conversation_id: "conv-1" });
    setTokenSource(async () => null);
  });

  it("rejects with the problem an error event carries, after the pieces before it", async () => {
    const stream = eventStream();
    fakeApi(() => stream.response);
    const pieces: string[] = [];
    const asked = askStreaming({ question: "q" }, { onDelta: (text) => pieces.push(text) }).catch((e: unknown) => e);
    stream.send("sources", { sources: [] });
    stream.send("delta", { text: "The ferry" });
    stream.send("error", {
      type: "urn:workopti:problem:provider_unavailable",
      status: 503,
      code: "provider_unavailable",
      title: "The language model service is unavailable",
      detail: "Try again later.",
      retry_after: 20,
    });
    stream.end();
    const error = await asked;
    expect(pieces).toEqual(["The ferry"]);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(503);
    expect((error as ApiError).code).toBe("provider_unavailable");
    expect(problemMessage(error)).toBe("The AI service is unavailable. Please try again in 20 s.");
  });

  it("rejects as cut off when the stream ends, or breaks, before done", async () => {
    for (const ending of ["end", "fail"] as const) {
      const stream = eventStream();
      fakeApi(() => stream.response);
      const asked = askStreaming({ question: "q" }).catch((e: unknown) => e);
      stream.send("delta", { text: "The ferry Nordlys carr" });
      stream[ending]();
      const error = await asked;
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).code).toBe("answer_interrupted");
      expect(problemMessage(error)).toMatch(/cut off/);
    }
  });

  it("rejects with the problem answered before any stream, and when to try again", async () => {
    fakeApi(() =>
      problem(429, "too_many_questions", { detail: "You are asking faster than 20 questions a minute." }, { "Retry-After": "12" }),
    );
    const error = await askStreaming({ question: "q" }).catch((e: unknown) => e);
    expect((error as ApiError).status).toBe(429);
    expect((error as ApiError).retryAfter).toBe(12);
    expect(problemMessage(error)).toBe("You are asking questions faster than allowed. Please try again in 12 s.");
  });

  it("stops reading when aborted, with the abort and not a problem", async () => {
    const stream = eventStream();
    fakeApi(() => stream.response);
    const controller = new AbortController();
    const asked = askStreaming({ question: "q" }, {}, controller.signal).catch((e: unknown) => e);
    stream.send("delta", { text: "The" });
    await new Promise((resolve) => setTimeout(resolve, 10));
    controller.abort("stopped");
    const error = await asked;
    expect(error).not.toBeInstanceOf(ApiError);
  });
});

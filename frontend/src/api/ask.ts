/** Asking the documents: the answer as it is written (server-sent events over a POST, which
 * EventSource cannot send), and the conversations that keep the questions and answers. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { createParser, type EventSourceMessage } from "eventsource-parser";
import { api, apiUrl, unwrap } from "./client";
import { ApiError, parseRetryAfter, problemFromResponse, type Problem } from "./problem";
import { getToken, reportSessionExpired } from "./session";
import type { AnswerOut, AskIn, CitationOut, ConversationOut, SourceOut } from "./types";

export const askKeys = {
  all: ["conversations"] as const,
  list: ["conversations", "list"] as const,
  conversation: (id: string) => ["conversations", "one", id] as const,
};

/** What the stream says before it is done: each call adds to what the previous ones said. */
export interface AnswerEvents {
  /** The passages retrieved, closest first; they come before any of the answer. */
  onSources?: (sources: SourceOut[]) => void;
  /** The next piece of the answer's text. */
  onDelta?: (text: string) => void;
  /** One citation, checked against its page. */
  onCitation?: (citation: CitationOut) => void;
}

function interrupted(cause?: unknown): ApiError {
  const error = new ApiError(0, { code: "answer_interrupted", title: "The answer was cut off" });
  if (cause !== undefined) (error as { cause?: unknown }).cause = cause;
  return error;
}

function isAbort(error: unknown, signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true || (error instanceof DOMException && error.name === "AbortError");
}

function readJson(message: EventSourceMessage): unknown {
  try {
    return JSON.parse(message.data);
  } catch (cause) {
    const error = new ApiError(0, { code: "answer_unreadable", title: `Unreadable ${message.event ?? "message"} event` });
    (error as { cause?: unknown }).cause = cause;
    throw error;
  }
}

/** Ask a question and follow its answer as it is written. Resolves with the whole answer (the `done`
 * event, whose text replaces the pieces), or rejects with an ApiError: the problem the API answered
 * before the stream began, the `error` event's problem, or `answer_interrupted` when the stream ended
 * without either. An abort through `signal` rejects with the abort, never with a problem. */
export async function askStreaming(question: AskIn, events: AnswerEvents = {}, signal?: AbortSignal): Promise<AnswerOut> {
  const token = await getToken();
  const headers: Record<string, string> = { Accept: "text/event-stream", "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  let response: Response;
  try {
    response = await globalThis.fetch(apiUrl("/api/v1/ask"), {
      method: "POST",
      headers,
      body: JSON.stringify(question),
      signal,
    });
  } catch (cause) {
    if (isAbort(cause, signal)) throw cause;
    throw ApiError.network(cause);
  }
  if (response.status === 401) reportSessionExpired();
  if (!response.ok) throw await problemFromResponse(response);
  // An answer sent whole (a proxy that took the event stream away, say) is an answer all the same.
  if (!(response.headers.get("Content-Type") ?? "").includes("text/event-stream") || !response.body) {
    let whole: AnswerOut;
    try {
      whole = (await response.json()) as AnswerOut;
    } catch (cause) {
      if (isAbort(cause, signal)) throw cause;
      throw interrupted(cause);
    }
    events.onSources?.(whole.sources);
    events.onDelta?.(whole.answer);
    return whole;
  }

  // How the stream ended: set from the parser's callbacks.
  const outcome: { done?: AnswerOut; failure?: ApiError } = {};
  const parser = createParser({
    onEvent(message) {
      if (outcome.done || outcome.failure) return;
      switch (message.event) {
        case "sources":
          events.onSources?.((readJson(message) as { sources: SourceOut[] }).sources);
          break;
        case "delta":
          events.onDelta?.((readJson(message) as { text: string }).text);
          break;
        case "citation":
          events.onCitation?.(readJson(message) as CitationOut);
          break;
        case "done":
          outcome.done = readJson(message) as AnswerOut;
          break;
        case "error": {
          const problem = readJson(message) as Problem;
          // No headers mid-stream: when to try again is in the problem itself.
          const status = typeof problem.status === "number" ? problem.status : 500;
          outcome.failure = new ApiError(status, problem, parseRetryAfter(null, problem));
          break;
        }
        // Anything else is for a later version of the app.
      }
    },
  });

  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  // An abort ends the read at once, whatever the fetch under it does with the signal.
  const cancel = () => void reader.cancel().catch(() => undefined);
  signal?.addEventListener("abort", cancel, { once: true });
  try {
    while (!outcome.done && !outcome.failure) {
      const { value, done: ended } = await reader.read();
      if (ended) {
        parser.feed(decoder.decode());
        break;
      }
      parser.feed(decoder.decode(value, { stream: true }));
    }
  } catch (cause) {
    if (isAbort(cause, signal)) throw cause;
    if (cause instanceof ApiError) outcome.failure = cause;
    else throw interrupted(cause);
  } finally {
    signal?.removeEventListener("abort", cancel);
    // Done or failed: nothing more is wanted from the server.
    cancel();
  }
  if (outcome.failure) throw outcome.failure;
  if (outcome.done) return outcome.done;
  if (signal?.aborted) throw signal.reason ?? new DOMException("Aborted", "AbortError");
  throw interrupted();
}

/** The caller's conversations, newest first. */
export function useConversations() {
  return useQuery({
    queryKey: askKeys.list,
    queryFn: () => unwrap(api.GET("/api/v1/conversations")),
  });
}

/** One conversation with its turns in order; nothing is asked for without an id. */
export function useConversation(id: string | null) {
  return useQuery({
    queryKey: askKeys.conversation(id ?? ""),
    queryFn: () =>
      unwrap(api.GET("/api/v1/conversations/{conversation_id}", { params: { path: { conversation_id: id ?? "" } } })),
    enabled: id !== null,
    retry: (count, error) => !(error instanceof ApiError && error.status === 404) && count < 2,
  });
}

export function useDeleteConversation() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.DELETE("/api/v1/conversations/{conversation_id}", { params: { path: { conversation_id: id } } })),
    onSuccess: (_data, id) => {
      // Out of the list at once, so it never shows again, even briefly.
      client.setQueryData<{ items: ConversationOut[] }>(askKeys.list, (page) =>
        page ? { ...page, items: page.items.filter((item) => item.id !== id) } : page,
      );
      void client.invalidateQueries({ queryKey: askKeys.list });
      // After the page showing it has moved on, so nothing asks for a conversation that is gone.
      window.setTimeout(() => client.removeQueries({ queryKey: askKeys.conversation(id) }), 0);
    },
  });
}

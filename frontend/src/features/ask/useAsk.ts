import { useCallback, useEffect, useRef, useState } from "react";
import { askStreaming } from "../../api/ask";
import type { AnswerOut, CitationOut, SourceOut } from "../../api/types";

/** A question asked on this page: its answer as written so far, then as the server sent it whole. */
export interface LiveTurn {
  key: number;
  question: string;
  documentIds: string[] | null;
  /** reading: no text yet; writing: the text is arriving; done: `answer` is the whole of it. */
  phase: "reading" | "writing" | "done";
  text: string;
  citations: CitationOut[];
  sources: SourceOut[];
  answer: AnswerOut | null;
}

/** How an ask ended: with the answer, or not (the reason is in `error` when it failed). */
export type AskOutcome = AnswerOut | "failed" | "stopped" | "left";

interface Live {
  /** The conversation the turns belong to; null until a new conversation's first answer names it. */
  conversationId: string | null;
  /** The conversation they were first asked in (null: a new one), whose name they still go by until
   * the page has taken up the one the answer gave, so they do not vanish for a moment meanwhile. */
  startedIn: string | null;
  settled: boolean;
  turns: LiveTurn[];
}

const NONE: Live = { conversationId: null, startedIn: null, settled: true, turns: [] };

/** Ask questions one at a time and follow their answers. Only the turns asked here are kept; the
 * conversation's earlier ones come from the API. A turn that did not finish is dropped whole: a
 * half-written answer is never shown as if it were complete. */
export function useAsk() {
  const [live, setLive] = useState<Live>(NONE);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const running = useRef<AbortController | null>(null);
  const nextKey = useRef(1);

  // Leaving the page stops the answer: the server keeps no turn it could not finish.
  useEffect(() => () => running.current?.abort("left"), []);

  const ask = useCallback(
    async (question: string, options: { conversationId: string | null; documentIds: string[] | null }): Promise<AskOutcome> => {
      if (running.current) return "failed";
      const controller = new AbortController();
      running.current = controller;
      const key = nextKey.current++;
      const update = (change: (turn: LiveTurn) => LiveTurn) =>
        setLive((current) => ({ ...current, turns: current.turns.map((turn) => (turn.key === key ? change(turn) : turn)) }));

      setError(null);
      setBusy(true);
      setLive((current) => ({
        conversationId: options.conversationId,
        startedIn: options.conversationId,
        settled: true,
        turns: [
          ...(current.conversationId === options.conversationId ? current.turns : []),
          { key, question, documentIds: options.documentIds, phase: "reading", text: "", citations: [], sources: [], answer: null },
        ],
      }));
      try {
        const answer = await askStreaming(
          {
            question,
            ...(options.conversationId ? { conversation_id: options.conversationId } : {}),
            ...(options.documentIds ? { document_ids: options.documentIds } : {}),
          },
          {
            onSources: (sources) => update((turn) => ({ ...turn, sources })),
            onDelta: (text) => update((turn) => ({ ...turn, phase: "writing", text: turn.text + text })),
            onCitation: (citation) => update((turn) => ({ ...turn, citations: [...turn.citations, citation] })),
          },
          controller.signal,
        );
        // The whole answer is the one to keep: its text replaces the pieces streamed.
        setLive((current) => ({
          conversationId: answer.conversation_id,
          startedIn: current.startedIn,
          settled: current.startedIn === answer.conversation_id,
          turns: current.turns.map((turn) =>
            turn.key === key
              ? { ...turn, phase: "done", text: answer.answer, citations: answer.citations, sources: answer.sources, answer }
              : turn,
          ),
        }));
        return answer;
      } catch (failure) {
        setLive((current) => ({ ...current, turns: current.turns.filter((turn) => turn.key !== key) }));
        if (controller.signal.aborted) return controller.signal.reason === "stopped" ? "stopped" : "left";
        setError(failure);
        return "failed";
      } finally {
        running.current = null;
        setBusy(false);
      }
    },
    [],
  );

  /** Stop the answer being written (the question goes back to the asker). */
  const stop = useCallback(() => running.current?.abort("stopped"), []);

  /** Start afresh: stop any answer, forget the turns and the last problem. */
  const reset = useCallback(() => {
    running.current?.abort("left");
    setLive(NONE);
    setError(null);
  }, []);

  /** The page goes by the conversation the answer named now. */
  const settle = useCallback(() => setLive((current) => (current.settled ? current : { ...current, settled: true })), []);

  /** The turns asked here in `conversationId`; none when they belong to another conversation. */
  const turnsOf = useCallback(
    (conversationId: string | null) =>
      live.conversationId === conversationId || (!live.settled && live.startedIn === conversationId) ? live.turns : [],
    [live],
  );

  return { ask, stop, reset, settle, turnsOf, conversationId: live.conversationId, busy, error };
}

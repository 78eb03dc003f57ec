import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { askKeys, useConversation } from "../../api/ask";
import { useDocument } from "../../api/documents";
import type { TurnOut } from "../../api/types";
import { ErrorMessage } from "../../components/ErrorMessage";
import { ConversationList } from "./ConversationList";
import { provenanceOf, TurnView, type ShownTurn } from "./TurnView";
import { useAsk, type LiveTurn } from "./useAsk";
import "../../styles/ask.css";

// The address says which conversation is open and which documents a question is asked within.
const CONVERSATION = "conversation";
const DOCUMENT = "document";

function fromStored(turn: TurnOut): ShownTurn {
  return {
    key: `stored-${turn.position}`,
    question: turn.question,
    documentIds: turn.document_ids,
    phase: "done",
    text: turn.answer,
    grounded: turn.grounded,
    citations: turn.citations,
    sources: turn.sources,
    provenance: provenanceOf(turn),
    live: false,
  };
}

function fromLive(turn: LiveTurn, last: boolean): ShownTurn {
  return {
    key: `live-${turn.key}`,
    question: turn.question,
    documentIds: turn.documentIds,
    phase: turn.phase,
    text: turn.text,
    grounded: turn.answer?.grounded ?? null,
    citations: turn.citations,
    sources: turn.sources,
    provenance: turn.answer ? provenanceOf(turn.answer) : null,
    live: last,
  };
}

export default function AskPage() {
  const [params, setParams] = useSearchParams();
  const conversationId = params.get(CONVERSATION);
  const scope = params.getAll(DOCUMENT);
  const client = useQueryClient();
  const conversation = useConversation(conversationId);
  const asking = useAsk();
  const { reset, settle } = asking;
  const [question, setQuestion] = useState("");
  const [stopped, setStopped] = useState(false);
  const box = useRef<HTMLTextAreaElement>(null);
  const ids = { question: useId(), hint: useId() };

  // The address names the conversation the turns asked here belong to (a new one is named by its
  // first answer); another conversation opened from the list or the history ends what was asked here.
  const shown = useRef(conversationId);
  useEffect(() => {
    if (conversationId === asking.conversationId) {
      shown.current = conversationId;
      settle();
      return;
    }
    if (shown.current === conversationId) return;
    shown.current = conversationId;
    reset();
    setStopped(false);
  }, [conversationId, asking.conversationId, reset, settle]);

  // A conversation opened again asks within what its last question was asked within, unless the
  // address already says; once, so taking the scope away sticks.
  const detail = conversation.data;
  const scopedFrom = useRef<string | null>(null);
  useEffect(() => {
    if (!detail || scopedFrom.current === detail.id) return;
    scopedFrom.current = detail.id;
    const last = detail.turns.at(-1)?.document_ids;
    if (!last?.length) return;
    setParams(
      (current) => {
        if (current.has(DOCUMENT) || current.get(CONVERSATION) !== detail.id) return current;
        const next = new URLSearchParams(current);
        for (const id of last) next.append(DOCUMENT, id);
        return next;
      },
      { replace: true },
    );
  }, [detail, setParams]);

  useEffect(() => {
    document.title = detail ? `${detail.title} · Ask · WorkOpti` : "Ask · WorkOpti";
  }, [detail]);

  const liveTurns = asking.turnsOf(conversationId);
  const answeredHere = new Set(liveTurns.map((turn) => turn.answer?.position).filter((p) => p !== undefined));
  const turns: ShownTurn[] = [
    ...(conversationId ? (detail?.turns ?? []) : []).filter((turn) => !answeredHere.has(turn.position)).map(fromStored),
    ...liveTurns.map((turn, index) => fromLive(turn, index === liveTurns.length - 1)),
  ];

  function withParams(change: (next: URLSearchParams) => void): URLSearchParams {
    const next = new URLSearchParams(params);
    change(next);
    return next;
  }

  function startNew() {
    reset();
    setStopped(false);
    setQuestion("");
    // The scope stays: taking it away is its own choice.
    setParams(withParams((next) => next.delete(CONVERSATION)));
    box.current?.focus();
  }

  async function submit(event?: FormEvent) {
    event?.preventDefault();
    const text = question.trim();
    if (!text || asking.busy) return;
    setStopped(false);
    setQuestion("");
    box.current?.focus();
    const outcome = await asking.ask(text, { conversationId, documentIds: scope.length > 0 ? scope : null });
    if (typeof outcome === "string") {
      // Not answered: the question goes back in the box to be asked again, unless a new one is there.
      if (outcome !== "left") setQuestion((current) => (current.trim() ? current : text));
      setStopped(outcome === "stopped");
      return;
    }
    void client.invalidateQueries({ queryKey: askKeys.all });
    if (outcome.conversation_id !== conversationId) {
      setParams(
        (current) => {
          const next = new URLSearchParams(current);
          next.set(CONVERSATION, outcome.conversation_id);
          return next;
        },
        { replace: true },
      );
    }
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    // Enter asks; Shift+Enter is a new line (and Enter while composing text is the composer's).
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      void submit();
    }
  }

  const following = turns.length > 0;

  return (
    <>
      <h1>Ask your documents</h1>
      <div className="ask-layout">
        <ConversationList
          openId={conversationId}
          linkTo={(id) => `/ask?${new URLSearchParams({ [CONVERSATION]: id })}`}
          onNew={startNew}
          onDeleted={(id) => {
            if (id === conversationId) startNew();
          }}
        />
        <div className="ask-main">
          {scope.length > 0 && (
            <p className="scope">
              Asking within {scope.length === 1 ? <ScopeName id={scope[0]!} /> : `${scope.length} documents`}.{" "}
              <button type="button" className="link-button" onClick={() => setParams(withParams((next) => next.delete(DOCUMENT)))}>
                Ask all documents instead
              </button>
            </p>
          )}
          {conversationId && conversation.error && liveTurns.length === 0 && <ErrorMessage error={conversation.error} />}
          {conversationId && conversation.isPending && liveTurns.length === 0 && (
            <p role="status">Loading the conversation…</p>
          )}
          {!following && !conversationId && (
            <p className="hint">
              Ask a question in your own words. The answer cites the pages it comes from, and says so when your
              documents do not hold it.
            </p>
          )}
          {following && (
            <section aria-label="Conversation" className="turns">
              {turns.map((turn) => (
                <TurnView key={turn.key} turn={turn} />
              ))}
            </section>
          )}

          <form className="ask-form" onSubmit={(event) => void submit(event)}>
            {asking.error !== null && <ErrorMessage error={asking.error} />}
            {stopped && <p role="status" className="hint">Stopped. The answer was not kept.</p>}
            <div className="field">
              <label htmlFor={ids.question}>{following ? "Follow-up question" : "Question"}</label>
              <textarea
                id={ids.question}
                ref={box}
                rows={3}
                value={question}
                maxLength={20000}
                aria-describedby={ids.hint}
                onChange={(event) => setQuestion(event.target.value)}
                onKeyDown={onKeyDown}
              />
              <p id={ids.hint} className="hint">
                Enter asks, Shift+Enter starts a new line.
                {following && " It is asked in this conversation; New conversation starts afresh."}
              </p>
            </div>
            <div className="ask-actions">
              <button type="submit" disabled={asking.busy || !question.trim()}>
                Ask
              </button>
              {asking.busy && (
                <button type="button" className="secondary" onClick={asking.stop}>
                  Stop
                </button>
              )}
            </div>
          </form>
        </div>
      </div>
    </>
  );
}

/** The document a question is asked within, by name once known. */
function ScopeName({ id }: { id: string }) {
  const { data } = useDocument(id);
  return <Link to={`/documents/${id}`}>{data?.document.filename ?? "one document"}</Link>;
}

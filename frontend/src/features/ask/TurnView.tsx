import { useId, type MouseEvent } from "react";
import { Link } from "react-router";
import type { CitationOut, SourceOut } from "../../api/types";
import { answerPieces, citationLink, excerpt, pageLink } from "./answerText";

/** One question and its answer, as asked here (live) or as the conversation kept it. */
export interface ShownTurn {
  key: string;
  question: string;
  documentIds: readonly string[] | null;
  phase: "reading" | "writing" | "done";
  text: string;
  /** null while the answer is still being written. */
  grounded: boolean | null;
  citations: CitationOut[];
  /** The passages read; only known for answers given on this page. */
  sources: SourceOut[] | null;
  /** Who wrote the answer, in words; shown once it is done. */
  provenance: string | null;
  /** The answer being written now, or just written: its text region is announced as it changes. */
  live: boolean;
}

export function provenanceOf(answer: { provider: string; model: string; extractive?: boolean }): string {
  if (answer.extractive === true) return `Quoted from your documents (${answer.provider}, extractive)`;
  if (answer.extractive === false) return `Written by ${answer.provider} (${answer.model}) from your documents`;
  // A kept turn does not say whether it was quoted or written.
  return `Answered by ${answer.provider} (${answer.model})`;
}

export function TurnView({ turn }: { turn: ShownTurn }) {
  const id = useId();
  const citationAnchor = (index: number) => `${id}-citation-${index}`;
  const writing = turn.phase !== "done";
  const scope = turn.documentIds?.length ?? 0;

  return (
    <article className={`turn${writing ? " writing" : ""}`} aria-labelledby={`${id}-question`}>
      <h2 id={`${id}-question`} className="question">
        {turn.question}
      </h2>
      {scope > 0 && <p className="hint">Asked within {scope === 1 ? "one document" : `${scope} documents`}</p>}
      <div className="answer-text" aria-live={turn.live ? "polite" : undefined} aria-busy={writing}>
        <AnswerText text={turn.text} citations={turn.citations} anchor={citationAnchor} />
      </div>
      {writing ? (
        <p role="status" className="hint">
          {turn.phase === "reading" ? "Reading your documents…" : "Writing the answer…"}
        </p>
      ) : (
        turn.provenance && <p className="provenance">{turn.provenance}</p>
      )}
      {turn.citations.length > 0 && <Citations citations={turn.citations} anchor={citationAnchor} headingId={`${id}-citations`} />}
      {turn.grounded === false && turn.sources && turn.sources.length > 0 && (
        <ClosestPassages sources={turn.sources} headingId={`${id}-sources`} />
      )}
    </article>
  );
}

function AnswerText({ text, citations, anchor }: { text: string; citations: CitationOut[]; anchor: (index: number) => string }) {
  // Citations come in the order the answer cites them: the second [2] leads to the second citation
  // of passage 2 (or to its last one, when a claim's quote was not in the page).
  const seen = new Map<number, number>();
  return (
    <>
      {answerPieces(text).map((piece, index) => {
        if ("text" in piece) return <span key={index}>{piece.text}</span>;
        const ofPassage = citations.flatMap((citation, at) => (citation.number === piece.marker ? [at] : []));
        // A marker with no citation (yet, while the answer is written) stays as it is.
        if (ofPassage.length === 0) return <span key={index}>[{piece.marker}]</span>;
        const nth = seen.get(piece.marker) ?? 0;
        seen.set(piece.marker, nth + 1);
        const at = ofPassage[Math.min(nth, ofPassage.length - 1)]!;
        const cited = citations[at]!;
        const target = anchor(at);
        return (
          <a
            key={index}
            href={`#${target}`}
            className="cite-marker"
            aria-label={`Citation ${piece.marker}: ${cited.filename}, page ${cited.page_no}`}
            onClick={(event) => jumpTo(event, target)}
          >
            [{piece.marker}]
          </a>
        );
      })}
    </>
  );
}

/** To the citation in the list below, without a new entry in the history. */
function jumpTo(event: MouseEvent, target: string) {
  const element = document.getElementById(target);
  if (!element) return;
  event.preventDefault();
  element.scrollIntoView?.({ block: "nearest" });
  element.focus();
}

function Citations({ citations, anchor, headingId }: { citations: CitationOut[]; anchor: (index: number) => string; headingId: string }) {
  return (
    <section aria-labelledby={headingId} className="citations">
      <h3 id={headingId}>Citations</h3>
      <ol aria-labelledby={headingId}>
        {citations.map((citation, index) => (
          // Focusable from its [n] marker, not by Tab.
          <li key={index} id={anchor(index)} tabIndex={-1}>
            <span className="cite-number" aria-hidden="true">
              [{citation.number}]
            </span>{" "}
            <Link to={citationLink(citation)}>
              {citation.filename}, page {citation.page_no}
            </Link>
            <blockquote className="quote">{citation.quote}</blockquote>
          </li>
        ))}
      </ol>
    </section>
  );
}

function ClosestPassages({ sources, headingId }: { sources: SourceOut[]; headingId: string }) {
  return (
    <section aria-labelledby={headingId} className="closest">
      <h3 id={headingId}>Closest passages</h3>
      <ol aria-labelledby={headingId}>
        {sources.map((source) => (
          <li key={source.number}>
            <Link to={pageLink(source)}>
              {source.filename}, page {source.page_no}
            </Link>
            <p className="snippet">{excerpt(source.text)}</p>
          </li>
        ))}
      </ol>
    </section>
  );
}

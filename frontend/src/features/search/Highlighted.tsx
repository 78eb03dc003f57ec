import { highlightPieces } from "./highlight";

/** A snippet with its matches inside <mark>; server text only ever becomes text nodes. */
export function Highlighted({ snippet, spans, query }: { snippet: string; spans: readonly (readonly number[])[]; query: string }) {
  return (
    <>
      {highlightPieces(snippet, spans, query).map((piece, index) =>
        piece.marked ? <mark key={index}>{piece.text}</mark> : <span key={index}>{piece.text}</span>,
      )}
    </>
  );
}

/** An answer's text in pieces, and where its citations and passages lead. */
import type { CitationOut, SourceOut } from "../../api/types";

export type AnswerPiece = { text: string } | { marker: number };

/** The answer cites passages as [n]: each marker becomes a piece of its own, the rest stays text. */
export function answerPieces(answer: string): AnswerPiece[] {
  const pieces: AnswerPiece[] = [];
  let position = 0;
  for (const match of answer.matchAll(/\[(\d+)\]/g)) {
    if (match.index > position) pieces.push({ text: answer.slice(position, match.index) });
    pieces.push({ marker: Number(match[1]) });
    position = match.index + match[0].length;
  }
  if (position < answer.length) pieces.push({ text: answer.slice(position) });
  return pieces;
}

/** A document at one page. */
export function pageLink(place: Pick<SourceOut, "document_id" | "page_no">): string {
  return `/documents/${place.document_id}?${new URLSearchParams({ page: String(place.page_no) })}`;
}

/** A document at the cited page, with the quoted passage to be marked in the page's text. */
export function citationLink(citation: CitationOut): string {
  const query = new URLSearchParams({ page: String(citation.page_no), quote: citation.quote });
  return `/documents/${citation.document_id}?${query}`;
}

/** The start of a passage, cut at a word, for a list of passages. */
export function excerpt(text: string, limit = 280): string {
  const flat = text.replace(/\s+/g, " ").trim();
  if (flat.length <= limit) return flat;
  const cut = flat.lastIndexOf(" ", limit);
  return `${flat.slice(0, cut > limit / 2 ? cut : limit)}…`;
}

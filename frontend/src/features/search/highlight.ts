/** Which parts of a search snippet to mark. The server says where its matches are (offsets in code
 * points); when it does not (semantic hits), the query's words are found in the snippet, ignoring
 * case. The result is plain text pieces: they become React nodes, never HTML. */

export interface Piece {
  text: string;
  marked: boolean;
}

export function piecesFromSpans(snippet: string, spans: readonly (readonly number[])[]): Piece[] {
  const chars = Array.from(snippet);
  const sorted = spans
    .map(([start = 0, end = 0]) => [Math.max(0, start), Math.min(chars.length, end)] as const)
    .filter(([start, end]) => end > start)
    .sort((a, b) => a[0] - b[0]);
  const pieces: Piece[] = [];
  let position = 0;
  for (const [start, end] of sorted) {
    const from = Math.max(start, position);
    if (end <= from) continue;
    if (from > position) pieces.push({ text: chars.slice(position, from).join(""), marked: false });
    pieces.push({ text: chars.slice(from, end).join(""), marked: true });
    position = end;
  }
  if (position < chars.length) pieces.push({ text: chars.slice(position).join(""), marked: false });
  return merge(pieces);
}

function escapeRegExp(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function queryTerms(query: string): string[] {
  const terms = query
    .toLowerCase()
    .split(/[\s"'.,;:!?()[\]{}]+/u)
    .filter((term) => term.length > 1 || /\d/.test(term));
  // Longest first, so "invoice" wins over "in" where both match.
  return [...new Set(terms)].sort((a, b) => b.length - a.length);
}

export function piecesFromTerms(snippet: string, query: string): Piece[] {
  const terms = queryTerms(query);
  if (terms.length === 0 || !snippet) return snippet ? [{ text: snippet, marked: false }] : [];
  const pattern = new RegExp(`(${terms.map(escapeRegExp).join("|")})`, "giu");
  const pieces = snippet
    .split(pattern)
    .filter((text) => text !== "")
    .map((text) => ({ text, marked: terms.includes(text.toLowerCase()) }));
  return merge(pieces);
}

export function highlightPieces(snippet: string, spans: readonly (readonly number[])[], query: string): Piece[] {
  return spans.length > 0 ? piecesFromSpans(snippet, spans) : piecesFromTerms(snippet, query);
}

function merge(pieces: Piece[]): Piece[] {
  const out: Piece[] = [];
  for (const piece of pieces) {
    const last = out.at(-1);
    if (last && last.marked === piece.marked) last.text += piece.text;
    else out.push({ ...piece });
  }
  return out;
}

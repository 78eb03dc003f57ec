import { useEffect } from "react";
import { usePages } from "../../api/documents";
import type { OcrLine, PageOut } from "../../api/types";
import { ErrorMessage } from "../../components/ErrorMessage";

/** Lines the OCR read with less confidence than this are marked for a second look. */
export const LOW_CONFIDENCE = 0.8;

interface Props {
  documentId: string;
  /** The extract job whose pages the document shows; none until a whole run has succeeded. */
  outputJob: string | undefined;
  /** What to say while there is no text. */
  pending: string;
  selected: number;
  /** Words of the selected page to mark (a citation's quote): found as they stand in its text. */
  quote?: string | null;
  /** Scroll to the selected page: only when the address asked for one (a search hit, a shared link). */
  scroll: boolean;
  onSelect: (page: number) => void;
}

export function PagesText({ documentId, outputJob, pending, selected, quote = null, scroll, onSelect }: Props) {
  const pages = usePages(documentId, outputJob);
  const items = pages.data?.pages.flatMap((p) => p.items) ?? [];
  const loadedUpTo = items.at(-1)?.page_no ?? 0;
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = pages;

  // A link to page N of a long document: fetch on until page N is here.
  useEffect(() => {
    if (selected > loadedUpTo && hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [selected, loadedUpTo, hasNextPage, isFetchingNextPage, fetchNextPage]);

  // Bring the selected page into view once it is there (also on arriving from a search hit), or the
  // quote marked in it (arriving from a citation).
  const selectedLoaded = items.some((p) => p.page_no === selected);
  useEffect(() => {
    if (!scroll || !selectedLoaded) return;
    const section = document.getElementById(`page-${selected}`);
    const mark = quote ? section?.querySelector("mark.quote") : null;
    if (mark) mark.scrollIntoView?.({ block: "center" });
    else section?.scrollIntoView?.({ block: "start" });
  }, [selected, selectedLoaded, scroll, quote]);

  if (outputJob === undefined) return <p role="status">{pending}</p>;
  if (pages.error) return <ErrorMessage error={pages.error} />;
  if (pages.isPending) return <p role="status">Loading the text…</p>;
  if (items.length === 0) return <p>No text was found in this document.</p>;

  return (
    <>
      {items.map((page) => (
        <PageText
          key={page.page_no}
          page={page}
          selected={page.page_no === selected}
          quote={page.page_no === selected ? quote : null}
          onSelect={onSelect}
        />
      ))}
      {hasNextPage && (
        <button type="button" className="secondary" disabled={isFetchingNextPage} onClick={() => void fetchNextPage()}>
          Load more pages
        </button>
      )}
    </>
  );
}

type Range = readonly [start: number, end: number];

/** Where the quote is in the text: a citation's quote is the page's own text, so it is found as is. */
function quoteRange(text: string, quote: string | null): Range | null {
  if (!quote) return null;
  const at = text.indexOf(quote);
  return at < 0 ? null : [at, at + quote.length];
}

/** `text` with the part `range` covers (offsets from `offset`) inside a <mark>. */
function Marked({ text, range, offset = 0 }: { text: string; range: Range | null; offset?: number }) {
  const start = range ? Math.max(0, range[0] - offset) : 0;
  const end = range ? Math.min(text.length, range[1] - offset) : 0;
  if (!range || end <= start) return <>{text}</>;
  return (
    <>
      {text.slice(0, start)}
      <mark className="quote">{text.slice(start, end)}</mark>
      {text.slice(end)}
    </>
  );
}

/** Each line's offset in the page text, when the page text is its lines one after another. */
function lineOffsets(page: PageOut): number[] | null {
  const lines = page.lines ?? [];
  if (lines.map((line) => line.text).join("\n") !== page.text) return null;
  let offset = 0;
  return lines.map((line) => {
    const at = offset;
    offset += line.text.length + 1;
    return at;
  });
}

function PageText({
  page,
  selected,
  quote,
  onSelect,
}: {
  page: PageOut;
  selected: boolean;
  quote: string | null;
  onSelect: (page: number) => void;
}) {
  const headingId = `page-${page.page_no}-heading`;
  const range = quoteRange(page.text, quote);
  const ocr = page.source === "ocr";
  const hasLines = ocr && !!page.lines && page.lines.length > 0;
  const offsets = hasLines ? lineOffsets(page) : null;
  // The lines are shown when they are the page's text, or when nothing is to be marked in it.
  const byLines = hasLines && (offsets !== null || range === null);
  return (
    <section id={`page-${page.page_no}`} aria-labelledby={headingId} className={`page${selected ? " selected" : ""}`}>
      <header className="page-head">
        <h3 id={headingId}>Page {page.page_no}</h3>
        {ocr ? (
          <>
            <span className="tag tag-ocr" title="Read from the image by optical character recognition">
              OCR
            </span>
            {page.confidence !== null && (
              <span className="hint">{Math.round(page.confidence * 100)}% confidence</span>
            )}
          </>
        ) : (
          <span className="tag">{page.source === "text_layer" ? "text layer" : "text"}</span>
        )}
        <button type="button" className="link-button" onClick={() => onSelect(page.page_no)} aria-pressed={selected}>
          Show page {page.page_no} in the original
        </button>
      </header>
      {quote && !range && (
        <p className="hint">The quoted passage is not in this page's text any more; the document may have been processed again.</p>
      )}
      {byLines ? (
        <div className="page-text">
          {page.lines!.map((line, index) => (
            <Line key={index} line={line} range={range} offset={offsets?.[index] ?? 0} />
          ))}
        </div>
      ) : (
        <div className="page-text">{page.text ? <Marked text={page.text} range={range} /> : <em>No text on this page.</em>}</div>
      )}
    </section>
  );
}

function Line({ line, range, offset }: { line: OcrLine; range: Range | null; offset: number }) {
  const text = <Marked text={line.text} range={range} offset={offset} />;
  if (line.confidence >= LOW_CONFIDENCE) return <span className="line">{text}{"\n"}</span>;
  const percent = Math.round(line.confidence * 100);
  return (
    <span className="line low-confidence" title={`Low confidence: ${percent}%`}>
      {text}
      <span className="visually-hidden"> (low confidence, {percent}%)</span>
      {"\n"}
    </span>
  );
}

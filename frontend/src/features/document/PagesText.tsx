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
  /** Scroll to the selected page: only when the address asked for one (a search hit, a shared link). */
  scroll: boolean;
  onSelect: (page: number) => void;
}

export function PagesText({ documentId, outputJob, pending, selected, scroll, onSelect }: Props) {
  const pages = usePages(documentId, outputJob);
  const items = pages.data?.pages.flatMap((p) => p.items) ?? [];
  const loadedUpTo = items.at(-1)?.page_no ?? 0;
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = pages;

  // A link to page N of a long document: fetch on until page N is here.
  useEffect(() => {
    if (selected > loadedUpTo && hasNextPage && !isFetchingNextPage) void fetchNextPage();
  }, [selected, loadedUpTo, hasNextPage, isFetchingNextPage, fetchNextPage]);

  // Bring the selected page into view once it is there (also on arriving from a search hit).
  const selectedLoaded = items.some((p) => p.page_no === selected);
  useEffect(() => {
    if (scroll && selectedLoaded) document.getElementById(`page-${selected}`)?.scrollIntoView?.({ block: "start" });
  }, [selected, selectedLoaded, scroll]);

  if (outputJob === undefined) return <p role="status">{pending}</p>;
  if (pages.error) return <ErrorMessage error={pages.error} />;
  if (pages.isPending) return <p role="status">Loading the text…</p>;
  if (items.length === 0) return <p>No text was found in this document.</p>;

  return (
    <>
      {items.map((page) => (
        <PageText key={page.page_no} page={page} selected={page.page_no === selected} onSelect={onSelect} />
      ))}
      {hasNextPage && (
        <button type="button" className="secondary" disabled={isFetchingNextPage} onClick={() => void fetchNextPage()}>
          Load more pages
        </button>
      )}
    </>
  );
}

function PageText({ page, selected, onSelect }: { page: PageOut; selected: boolean; onSelect: (page: number) => void }) {
  const headingId = `page-${page.page_no}-heading`;
  const ocr = page.source === "ocr";
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
      {ocr && page.lines && page.lines.length > 0 ? (
        <div className="page-text">
          {page.lines.map((line, index) => (
            <Line key={index} line={line} />
          ))}
        </div>
      ) : (
        <div className="page-text">{page.text || <em>No text on this page.</em>}</div>
      )}
    </section>
  );
}

function Line({ line }: { line: OcrLine }) {
  if (line.confidence >= LOW_CONFIDENCE) return <span className="line">{line.text}{"\n"}</span>;
  const percent = Math.round(line.confidence * 100);
  return (
    <span className="line low-confidence" title={`Low confidence: ${percent}%`}>
      {line.text}
      <span className="visually-hidden"> (low confidence, {percent}%)</span>
      {"\n"}
    </span>
  );
}

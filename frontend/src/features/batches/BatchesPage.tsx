import { useEffect, useState } from "react";
import { Link } from "react-router";
import { useBatchList } from "../../api/batches";
import { ErrorMessage } from "../../components/ErrorMessage";
import { formatBytes, formatDate } from "../../components/format";
import "../../styles/batches.css";

/** The caller's batches, newest first, a page at a time (keyset: "Previous" walks back the cursors). */
export default function BatchesPage() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const { data, error, isPending, isFetching, isPlaceholderData } = useBatchList(cursor);
  const pageNo = cursors.length;

  useEffect(() => {
    document.title = "Batches · WorkOpti";
  }, []);

  return (
    <>
      <h1>Batches</h1>
      <p className="hint">
        A ZIP archive dropped on <Link to="/">Documents</Link> becomes a batch: one document for each file inside.
      </p>
      {error && <ErrorMessage error={error} />}
      <div className="table-wrap" aria-busy={isFetching}>
        <table aria-label="Batches">
          <thead>
            <tr>
              <th scope="col">Archive</th>
              <th scope="col" className="num">Files</th>
              <th scope="col" className="num">New</th>
              <th scope="col" className="num">Already uploaded</th>
              <th scope="col" className="num">Refused</th>
              <th scope="col" className="num">Size</th>
              <th scope="col">Uploaded</th>
            </tr>
          </thead>
          <tbody className={isPlaceholderData ? "stale" : undefined}>
            {data?.items.map((batch) => (
              <tr key={batch.id}>
                <td>
                  <Link to={`/batches/${batch.id}`}>{batch.filename}</Link>
                </td>
                <td className="num">{batch.counts.entries}</td>
                <td className="num">{batch.counts.created}</td>
                <td className="num">{batch.counts.existing}</td>
                <td className="num">{batch.counts.refused}</td>
                <td className="num">{formatBytes(batch.size_bytes)}</td>
                <td>
                  <time dateTime={batch.created_at}>{formatDate(batch.created_at)}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {isPending && <p role="status">Loading batches…</p>}
        {data && data.items.length === 0 && (
          <p role="status" className="empty">
            No batches yet.
          </p>
        )}
      </div>
      <nav className="pager" aria-label="Pages of the list">
        <button type="button" className="secondary" disabled={pageNo === 1} onClick={() => setCursors((c) => c.slice(0, -1))}>
          Previous page
        </button>
        <span aria-live="polite">Page {pageNo}</span>
        <button
          type="button"
          className="secondary"
          disabled={!data?.next_cursor || isPlaceholderData}
          onClick={() => data?.next_cursor && setCursors((c) => [...c, data.next_cursor!])}
        >
          Next page
        </button>
      </nav>
    </>
  );
}

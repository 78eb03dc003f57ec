import { useEffect, useState } from "react";
import { Link } from "react-router";
import { useReviewQueue } from "../../api/extraction";
import { ErrorMessage } from "../../components/ErrorMessage";
import { formatDate } from "../../components/format";
import "../../styles/extraction.css";

/** What waits for a person: documents whose extracted fields need review, newest first. */
export default function ReviewPage() {
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors.at(-1) ?? null;
  const queue = useReviewQueue(null, cursor);
  const items = queue.data?.items ?? [];

  useEffect(() => {
    document.title = "Review · WorkOpti";
  }, []);

  return (
    <>
      <h1>Review</h1>
      <p className="lead">Extracted fields the machine was unsure of, in the documents you may edit.</p>
      {queue.error && <ErrorMessage error={queue.error} />}
      {queue.isPending && <p role="status">Loading what waits for review…</p>}
      {queue.data && items.length === 0 && <p className="hint">Nothing waits for review.</p>}
      {items.length > 0 && (
        <div className="table-wrap">
          <table aria-label="Review queue">
            <thead>
              <tr>
                <th scope="col">Document</th>
                <th scope="col">Schema</th>
                <th scope="col">Fields to review</th>
                <th scope="col">Extracted</th>
              </tr>
            </thead>
            <tbody>
              {items.map((item) => (
                <tr key={`${item.document_id}:${item.schema_id}`}>
                  <td>
                    <Link to={`/documents/${item.document_id}#extractions-heading`}>{item.filename}</Link>
                  </td>
                  <td>
                    {item.schema_name} <span className="hint">v{item.version}</span>
                  </td>
                  <td>{item.fields.join(", ")}</td>
                  <td>
                    <time dateTime={item.extracted_at}>{formatDate(item.extracted_at)}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <div className="form-actions">
        {cursors.length > 1 && (
          <button type="button" className="secondary" onClick={() => setCursors((all) => all.slice(0, -1))}>
            Previous
          </button>
        )}
        {queue.data?.next_cursor && (
          <button type="button" className="secondary" onClick={() => setCursors((all) => [...all, queue.data!.next_cursor!])}>
            Next
          </button>
        )}
      </div>
    </>
  );
}

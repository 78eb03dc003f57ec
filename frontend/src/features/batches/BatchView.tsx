import { Link } from "react-router";
import { useBatch } from "../../api/batches";
import type { BatchOut } from "../../api/types";
import { ErrorMessage } from "../../components/ErrorMessage";
import { StatusBadge } from "../../components/StatusBadge";
import { formatBytes } from "../../components/format";
import "../../styles/batches.css";

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** What became of an archive's files, in one sentence. */
export function describeCounts(counts: BatchOut["counts"]): string {
  const parts = [
    plural(counts.created, "new document", "new documents"),
    ...(counts.existing ? [`${counts.existing} already uploaded`] : []),
    ...(counts.refused ? [`${counts.refused} refused`] : []),
  ];
  return `${plural(counts.entries, "file", "files")}: ${parts.join(", ")}.`;
}

/** A batch as it is now: its documents with their statuses (kept current by useBatch), and each
 * refused entry with the server's reason. */
export function BatchView({ id }: { id: string }) {
  const { data, error, isPending } = useBatch(id);
  if (isPending) return <p role="status">Loading the batch…</p>;
  if (!data) return <ErrorMessage error={error} />;
  return (
    <>
      {error && <ErrorMessage error={error} />}
      <BatchContents batch={data} />
    </>
  );
}

export function BatchContents({ batch }: { batch: BatchOut }) {
  const entries = new Map<string, { names: string[]; created: boolean }>();
  for (const entry of batch.entries) {
    const known = entries.get(entry.document_id);
    if (known) known.names.push(entry.name);
    else entries.set(entry.document_id, { names: [entry.name], created: entry.created });
  }
  return (
    <div className="batch">
      <p className="batch-counts">{describeCounts(batch.counts)}</p>
      {batch.documents.length > 0 && (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Made from {batch.filename}</caption>
            <thead>
              <tr>
                <th scope="col">Document</th>
                <th scope="col">In the archive</th>
                <th scope="col">Status</th>
                <th scope="col" className="num">
                  Size
                </th>
              </tr>
            </thead>
            <tbody>
              {batch.documents.map((doc) => {
                const entry = entries.get(doc.id);
                return (
                  <tr key={doc.id}>
                    <td>
                      <Link to={`/documents/${doc.id}`}>{doc.filename}</Link>
                      {entry && !entry.created && <span className="hint"> (already uploaded)</span>}
                    </td>
                    <td className="entry-names">{entry?.names.join(", ")}</td>
                    <td>
                      <StatusBadge status={doc.status} />
                    </td>
                    <td className="num">{formatBytes(doc.size_bytes)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {batch.refused.length > 0 && (
        <div className="refused">
          <p className="refused-heading">Not uploaded:</p>
          <ul aria-label={`Refused files of ${batch.filename}`}>
            {batch.refused.map((entry, index) => (
              <li key={`${index}-${entry.name}`}>
                <span className="entry-name">{entry.name}</span>: {entry.reason}{" "}
                <code className="refusal-code">{entry.code}</code>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}

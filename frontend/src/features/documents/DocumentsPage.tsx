import { useEffect, useId, useState } from "react";
import { Link, useSearchParams } from "react-router";
import { useDocumentList } from "../../api/documents";
import { ErrorMessage } from "../../components/ErrorMessage";
import { StatusBadge } from "../../components/StatusBadge";
import { formatBytes, formatDate } from "../../components/format";
import { UploadPanel } from "../upload/UploadPanel";
import { readListQuery, SCOPES, SORTS, STATUSES, TYPES, writeListQuery, type ListQuery } from "./listQuery";
import "../../styles/documents.css";

const FILTER_DELAY_MS = 300;

export default function DocumentsPage() {
  const [params, setParams] = useSearchParams();
  const query = readListQuery(params);
  const shared = query.scope === "shared";

  useEffect(() => {
    document.title = shared ? "Shared with me · WorkOpti" : "Documents · WorkOpti";
  }, [shared]);

  return (
    <>
      <h1>{shared ? "Shared with me" : "Documents"}</h1>
      {!shared && <UploadPanel />}
      <DocumentTable query={query} onChange={(next) => setParams(writeListQuery(next), { replace: true })} />
    </>
  );
}

function DocumentTable({ query, onChange }: { query: ListQuery; onChange: (next: ListQuery) => void }) {
  // Keyset paging: the cursors that led to each page shown so far, so "Previous" can go back.
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1] ?? null;
  const filterKey = JSON.stringify(query);
  useEffect(() => setCursors([null]), [filterKey]);

  const { data, error, isPending, isFetching, isPlaceholderData } = useDocumentList(query, cursor);
  const pageNo = cursors.length;

  return (
    <section aria-labelledby="list-heading" className="list">
      <h2 id="list-heading" className="visually-hidden">
        List
      </h2>
      <Filters query={query} onChange={onChange} />
      {error && <ErrorMessage error={error} />}
      <div className="table-wrap" aria-busy={isFetching}>
        <table aria-label="Documents">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Type</th>
              <th scope="col" className="num">Size</th>
              <th scope="col" className="num">Pages</th>
              <th scope="col">Access</th>
              <th scope="col">Uploaded</th>
            </tr>
          </thead>
          <tbody className={isPlaceholderData ? "stale" : undefined}>
            {data?.items.map((doc) => (
              <tr key={doc.id}>
                <td>
                  <Link to={`/documents/${doc.id}`}>{doc.filename}</Link>
                </td>
                <td>
                  <StatusBadge status={doc.status} />
                </td>
                <td>{doc.content_type}</td>
                <td className="num">{formatBytes(doc.size_bytes)}</td>
                <td className="num">{doc.page_count ?? "–"}</td>
                <td>{doc.role}</td>
                <td>
                  <time dateTime={doc.created_at}>{formatDate(doc.created_at)}</time>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {isPending && <p role="status">Loading documents…</p>}
        {data && data.items.length === 0 && (
          <p role="status" className="empty">
            {query.q || query.status || query.type ? "No documents match these filters." : "No documents yet."}
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
    </section>
  );
}

function Filters({ query, onChange }: { query: ListQuery; onChange: (next: ListQuery) => void }) {
  const ids = { scope: useId(), status: useId(), type: useId(), sort: useId(), q: useId() };
  // The name filter waits for a pause in typing, so each keystroke is not a request.
  const [name, setName] = useState(query.q);
  useEffect(() => setName(query.q), [query.q]);
  useEffect(() => {
    if (name === query.q) return;
    const timer = window.setTimeout(() => onChange({ ...query, q: name }), FILTER_DELAY_MS);
    return () => window.clearTimeout(timer);
  }, [name, query, onChange]);

  return (
    <form className="filters" role="search" aria-label="Filter documents" onSubmit={(e) => {
      e.preventDefault();
      onChange({ ...query, q: name });
    }}>
      <div className="field">
        <label htmlFor={ids.q}>Filter by name</label>
        <input id={ids.q} type="text" value={name} maxLength={200} onChange={(e) => setName(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor={ids.scope}>Show</label>
        <select id={ids.scope} value={query.scope} onChange={(e) => onChange({ ...query, scope: e.target.value as ListQuery["scope"] })}>
          {SCOPES.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.status}>Status</label>
        <select
          id={ids.status}
          value={query.status ?? ""}
          onChange={(e) => onChange({ ...query, status: (e.target.value || null) as ListQuery["status"] })}
        >
          <option value="">Any</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.type}>Type</label>
        <select
          id={ids.type}
          value={query.type ?? ""}
          onChange={(e) => onChange({ ...query, type: (e.target.value || null) as ListQuery["type"] })}
        >
          <option value="">Any</option>
          {TYPES.map((t) => (
            <option key={t.value} value={t.value}>
              {t.label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.sort}>Sort</label>
        <select id={ids.sort} value={query.sort} onChange={(e) => onChange({ ...query, sort: e.target.value as ListQuery["sort"] })}>
          {SORTS.map((s) => (
            <option key={s.value} value={s.value}>
              {s.label}
            </option>
          ))}
        </select>
      </div>
    </form>
  );
}

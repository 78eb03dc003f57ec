import { useEffect, useId, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { useSearch } from "../../api/documents";
import type { SearchMode } from "../../api/types";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Highlighted } from "./Highlighted";
import "../../styles/search.css";

const MODES: { value: SearchMode; label: string }[] = [
  { value: "hybrid", label: "Hybrid (meaning and words)" },
  { value: "semantic", label: "By meaning" },
  { value: "keyword", label: "Exact words" },
];

function readMode(value: string | null): SearchMode {
  return MODES.some((m) => m.value === value) ? (value as SearchMode) : "hybrid";
}

export default function SearchPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const mode = readMode(params.get("mode"));
  const [text, setText] = useState(q);
  const [chosenMode, setChosenMode] = useState<SearchMode>(mode);
  const ids = { q: useId(), mode: useId() };
  const search = useSearch(q, mode);

  useEffect(() => {
    document.title = q ? `${q} · Search · WorkOpti` : "Search · WorkOpti";
  }, [q]);

  function submit(event: FormEvent) {
    event.preventDefault();
    const next = new URLSearchParams();
    if (text.trim()) next.set("q", text.trim());
    if (chosenMode !== "hybrid") next.set("mode", chosenMode);
    setParams(next);
  }

  const hits = search.data?.items ?? [];

  return (
    <>
      <h1>Search</h1>
      <form role="search" className="search-form" onSubmit={submit}>
        <div className="field grow">
          <label htmlFor={ids.q}>Search documents</label>
          <input id={ids.q} type="search" value={text} maxLength={1000} onChange={(e) => setText(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={ids.mode}>Mode</label>
          <select id={ids.mode} value={chosenMode} onChange={(e) => setChosenMode(e.target.value as SearchMode)}>
            {MODES.map((m) => (
              <option key={m.value} value={m.value}>
                {m.label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Search</button>
      </form>
      {search.error && <ErrorMessage error={search.error} />}
      <p role="status" className="hint">
        {q && search.isFetching && "Searching…"}
        {q && search.data && !search.isFetching && `${hits.length} ${hits.length === 1 ? "result" : "results"} for “${q}”.`}
      </p>
      {search.data && (
        <ol className="hits" aria-label="Results">
          {hits.map((hit, index) => (
            <li key={`${index}-${hit.document_id}-${hit.page_no}`} className="hit">
              <Link to={`/documents/${hit.document_id}?page=${hit.page_no}`} className="hit-link">
                {hit.filename}, page {hit.page_no}
              </Link>
              <p className="snippet">
                <Highlighted snippet={hit.snippet} spans={hit.highlights} query={q} />
              </p>
              <p className="hint">matched by {hit.matched_by.join(" and ") || "search"}</p>
            </li>
          ))}
        </ol>
      )}
    </>
  );
}

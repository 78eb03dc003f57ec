import { useResults } from "../../api/documents";
import { ApiError } from "../../api/problem";
import type { ResultsOut } from "../../api/types";
import { ErrorMessage } from "../../components/ErrorMessage";

interface Props {
  documentId: string;
  /** The ai job whose results the document shows; none until a whole run with it has succeeded. */
  outputJob: string | undefined;
  /** What to say under each heading while there are no results. */
  pending: string;
}

/** Summary, classification, fields and keywords; each heading stays put while results are pending. */
export function ResultsView({ documentId, outputJob, pending }: Props) {
  const results = useResults(documentId, outputJob);
  const notReady = outputJob === undefined || (results.error instanceof ApiError && results.error.status === 404);
  const data = notReady ? undefined : results.data;

  return (
    <div className="results">
      {results.error && !notReady && <ErrorMessage error={results.error} />}
      <section aria-labelledby="summary-heading">
        <h2 id="summary-heading">Summary</h2>
        {data ? <p>{data.summary || "No summary."}</p> : <p className="hint">{pending}</p>}
      </section>
      <section aria-labelledby="class-heading">
        <h2 id="class-heading">Classification</h2>
        {data ? <Classification results={data} /> : <p className="hint">{pending}</p>}
      </section>
      <section aria-labelledby="fields-heading">
        <h2 id="fields-heading">Fields</h2>
        {data ? <Fields fields={data.fields} /> : <p className="hint">{pending}</p>}
      </section>
      <section aria-labelledby="keywords-heading">
        <h2 id="keywords-heading">Keywords</h2>
        {data ? (
          data.keywords.length ? (
            <ul className="keywords" aria-label="Keywords">
              {data.keywords.map((k) => (
                <li key={k}>{k}</li>
              ))}
            </ul>
          ) : (
            <p>No keywords.</p>
          )
        ) : (
          <p className="hint">{pending}</p>
        )}
      </section>
      {data && (
        <p className="hint provenance">
          By {data.provider} ({data.model}).
        </p>
      )}
    </div>
  );
}

function Classification({ results }: { results: ResultsOut }) {
  if (!results.classification) return <p>Not classified.</p>;
  return (
    <p>
      <strong>{results.classification.label}</strong>{" "}
      <span className="hint">({Math.round(results.classification.score * 100)}% sure)</span>
    </p>
  );
}

/** A field's value as text, whatever shape the analyser gave it. */
function fieldText(entry: Record<string, unknown>): string {
  for (const key of ["value", "text", "normalized"]) {
    const value = entry[key];
    if (typeof value === "string" || typeof value === "number") return String(value);
  }
  return Object.entries(entry)
    .filter(([, v]) => typeof v === "string" || typeof v === "number")
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join(", ");
}

function Fields({ fields }: { fields: ResultsOut["fields"] }) {
  const names = Object.keys(fields).filter((name) => (fields[name]?.length ?? 0) > 0);
  if (names.length === 0) return <p>No fields found.</p>;
  return (
    <dl className="fields">
      {names.map((name) => (
        <div key={name}>
          <dt>{name.replaceAll("_", " ")}</dt>
          {fields[name]!.map((entry, index) => (
            <dd key={index}>{fieldText(entry)}</dd>
          ))}
        </div>
      ))}
    </dl>
  );
}

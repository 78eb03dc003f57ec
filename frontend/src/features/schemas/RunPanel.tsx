import { useId, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useDocumentsToRun, useRunSchema } from "../../api/extraction";
import type { SchemaOut } from "../../api/types";
import { ErrorMessage } from "../../components/ErrorMessage";

/** Run the schema on documents the user picks, or on every document classified with a label. */
export function RunPanel({ schema }: { schema: SchemaOut }) {
  const documents = useDocumentsToRun();
  const run = useRunSchema(schema.id);
  const [mode, setMode] = useState<"chosen" | "label">("chosen");
  const [chosen, setChosen] = useState<string[]>([]);
  const [label, setLabel] = useState(schema.apply_to_label ?? "");
  const [mistake, setMistake] = useState<string | null>(null);
  const ids = { chosen: useId(), label: useId(), labelInput: useId() };
  const items = documents.data?.items ?? [];

  function submit(event: FormEvent) {
    event.preventDefault();
    run.reset();
    if (mode === "chosen" && chosen.length === 0) return setMistake("Choose at least one document.");
    if (mode === "label" && !label.trim()) return setMistake("Give the label.");
    setMistake(null);
    run.mutate(mode === "chosen" ? { document_ids: chosen } : { label: label.trim() });
  }

  return (
    <section aria-labelledby="run-heading" className="schema-panel">
      <h2 id="run-heading">Run on documents</h2>
      <form onSubmit={submit} noValidate>
        <fieldset>
          <legend>Which documents</legend>
          <div className="event-option">
            <input id={ids.chosen} type="radio" name="run-mode" checked={mode === "chosen"} onChange={() => setMode("chosen")} />
            <label htmlFor={ids.chosen}>The documents I choose</label>
          </div>
          <div className="event-option">
            <input id={ids.label} type="radio" name="run-mode" checked={mode === "label"} onChange={() => setMode("label")} />
            <label htmlFor={ids.label}>All my documents classified as</label>
            <input
              id={ids.labelInput}
              aria-label="Label"
              value={label}
              disabled={mode !== "label"}
              spellCheck={false}
              onChange={(e) => setLabel(e.target.value)}
            />
          </div>
        </fieldset>
        {mode === "chosen" && (
          <fieldset className="run-documents">
            <legend>Documents</legend>
            {documents.error && <ErrorMessage error={documents.error} />}
            {documents.isPending && <p role="status">Loading your documents…</p>}
            {documents.data && items.length === 0 && <p className="hint">No documents yet.</p>}
            {items.map((doc) => (
              <div key={doc.id} className="event-option">
                <input
                  id={`${ids.chosen}-${doc.id}`}
                  type="checkbox"
                  checked={chosen.includes(doc.id)}
                  disabled={doc.role === "viewer"}
                  onChange={(e) =>
                    setChosen((current) => (e.target.checked ? [...current, doc.id] : current.filter((one) => one !== doc.id)))
                  }
                />
                <label htmlFor={`${ids.chosen}-${doc.id}`}>{doc.filename}</label>
              </div>
            ))}
          </fieldset>
        )}
        <div className="form-actions">
          <button type="submit" disabled={run.isPending}>
            Run
          </button>
        </div>
        {mistake && <p role="alert" className="error">{mistake}</p>}
        {run.error && <ErrorMessage error={run.error} />}
        <div role="status">
          {run.data && (
            <p>
              Started {run.data.jobs.length} {run.data.jobs.length === 1 ? "extraction" : "extractions"}
              {run.data.waiting.length > 0 && `; ${run.data.waiting.length} more once their processing completes`}.{" "}
              {run.data.jobs[0] && <Link to={`/documents/${run.data.jobs[0].document_id}#extractions-heading`}>See the first document</Link>}
            </p>
          )}
        </div>
      </form>
    </section>
  );
}

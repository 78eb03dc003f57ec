import { useEffect, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { downloadExport, useDeleteSchema, useSchema, useUpdateSchema, type ExportFormat } from "../../api/extraction";
import { ApiError, problemMessage } from "../../api/problem";
import type { SchemaOut } from "../../api/types";
import { Dialog } from "../../components/Dialog";
import { ErrorMessage } from "../../components/ErrorMessage";
import { draftOf, FIELD_TYPES } from "./fields";
import { RunPanel } from "./RunPanel";
import { SchemaForm } from "./SchemaForm";
import "../../styles/extraction.css";

export default function SchemaPage() {
  const { id = "" } = useParams();
  const schema = useSchema(id);
  if (schema.error && !schema.data) {
    const gone = schema.error instanceof ApiError && schema.error.status === 404;
    return (
      <>
        <h1>{gone ? "Schema not found" : "Schema"}</h1>
        <ErrorMessage error={schema.error} />
        <p>
          <Link to="/schemas">Back to the schemas</Link>
        </p>
      </>
    );
  }
  if (!schema.data) return <p role="status">Loading the schema…</p>;
  return <SchemaView schema={schema.data} />;
}

const TYPE_WORDS = new Map(FIELD_TYPES.map((type) => [type.value, type.label]));

const EXPORTS: { format: ExportFormat; label: string }[] = [
  { format: "csv", label: "CSV" },
  { format: "jsonl", label: "JSON Lines" },
  { format: "xlsx", label: "XLSX" },
];

function SchemaView({ schema }: { schema: SchemaOut }) {
  const navigate = useNavigate();
  const update = useUpdateSchema(schema.id);
  const remove = useDeleteSchema();
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [exportError, setExportError] = useState<unknown>(null);
  const canEdit = schema.role !== "viewer";

  useEffect(() => {
    document.title = `${schema.name} · Schemas · WorkOpti`;
  }, [schema.name]);

  async function download(format: ExportFormat) {
    setExportError(null);
    try {
      await downloadExport(schema.id, format, schema.name);
    } catch (failure) {
      setExportError(failure);
    }
  }

  return (
    <article className="schema">
      <p>
        <Link to="/schemas">All schemas</Link>
      </p>
      <h1>{schema.name}</h1>
      <p className="hint">
        Version {schema.version} · {schema.apply_to_label ? `applied to documents classified as ${schema.apply_to_label}` : "applied to no label"} ·
        review below a confidence of {schema.review_threshold} · your role: {schema.role}
      </p>

      <section aria-labelledby="export-heading">
        <h2 id="export-heading">Export</h2>
        <p className="hint">Every document extracted with this schema, one row each, with corrected values and each field's review state.</p>
        <div className="export-actions">
          {EXPORTS.map(({ format, label }) => (
            <button key={format} type="button" className="secondary" onClick={() => void download(format)}>
              Export {label}
            </button>
          ))}
        </div>
        {exportError !== null && <ErrorMessage error={exportError} />}
      </section>

      <RunPanel schema={schema} />

      <section aria-labelledby="fields-heading">
        <h2 id="fields-heading">Fields</h2>
        {editing ? (
          <SchemaForm
            initial={draftOf(schema)}
            submitLabel="Save"
            pending={update.isPending}
            error={update.error}
            onCancel={() => {
              update.reset();
              setEditing(false);
            }}
            onSubmit={(body) => {
              update.reset();
              update.mutate(body, { onSuccess: () => setEditing(false) });
            }}
          />
        ) : (
          <>
            <div className="table-wrap">
              <table aria-label="Fields">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Type</th>
                    <th scope="col">Required</th>
                    <th scope="col">Description</th>
                  </tr>
                </thead>
                <tbody>
                  {schema.fields.map((field) => (
                    <tr key={field.name}>
                      <td>{field.name}</td>
                      <td>
                        {TYPE_WORDS.get(field.type) ?? field.type}
                        {field.values && field.values.length > 0 && <span className="hint"> ({field.values.join(", ")})</span>}
                        {field.fields && field.fields.length > 0 && (
                          <span className="hint"> (columns: {field.fields.map((column) => column.name).join(", ")})</span>
                        )}
                      </td>
                      <td>{field.required ? "yes" : "no"}</td>
                      <td>{field.description}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <div className="form-actions">
              {canEdit && (
                <button type="button" onClick={() => setEditing(true)}>
                  Edit
                </button>
              )}
              {schema.role === "owner" && (
                <button type="button" className="danger" onClick={() => setConfirming(true)}>
                  Delete
                </button>
              )}
            </div>
          </>
        )}
      </section>

      {confirming && (
        <Dialog title={`Delete ${schema.name}?`} onClose={() => setConfirming(false)}>
          <p>The schema and its results are removed. This cannot be undone.</p>
          {remove.error && <p role="alert" className="error">{problemMessage(remove.error)}</p>}
          <div className="dialog-actions">
            <button type="button" className="secondary" onClick={() => setConfirming(false)} data-autofocus>
              Cancel
            </button>
            <button
              type="button"
              className="danger"
              disabled={remove.isPending}
              onClick={() => remove.mutate(schema.id, { onSuccess: () => navigate("/schemas", { replace: true, state: { deleted: schema.name } }) })}
            >
              Delete
            </button>
          </div>
        </Dialog>
      )}
    </article>
  );
}

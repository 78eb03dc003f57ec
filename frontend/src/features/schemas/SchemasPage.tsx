import { useEffect } from "react";
import { Link, useLocation, useNavigate } from "react-router";
import { useCreateSchema, useSchemas } from "../../api/extraction";
import { ErrorMessage } from "../../components/ErrorMessage";
import { SchemaForm } from "./SchemaForm";
import "../../styles/extraction.css";

export default function SchemasPage() {
  const navigate = useNavigate();
  const create = useCreateSchema();
  const deleted = (useLocation().state as { deleted?: string } | null)?.deleted;

  useEffect(() => {
    document.title = "Schemas · WorkOpti";
  }, []);

  return (
    <>
      <h1>Schemas</h1>
      <p className="lead">
        A schema names the fields to pull out of documents: each value is found with the page and words it came from
        and a confidence, and what the machine is unsure of waits for a person to review.
      </p>
      <p className="visually-hidden" role="status">
        {deleted ? `Deleted the schema ${deleted}.` : ""}
      </p>
      <SchemaList />
      <section aria-labelledby="new-schema-heading" className="schema-panel">
        <h2 id="new-schema-heading">New schema</h2>
        <SchemaForm
          submitLabel="Create schema"
          pending={create.isPending}
          error={create.error}
          onSubmit={(body) => {
            create.reset();
            create.mutate(body, { onSuccess: (schema) => navigate(`/schemas/${schema.id}`) });
          }}
        />
      </section>
    </>
  );
}

function SchemaList() {
  const schemas = useSchemas();
  const items = schemas.data?.items ?? [];
  return (
    <section aria-labelledby="schemas-heading">
      <h2 id="schemas-heading">Your schemas</h2>
      {schemas.error && <ErrorMessage error={schemas.error} />}
      {schemas.isPending && <p role="status">Loading your schemas…</p>}
      {schemas.data && items.length === 0 && <p className="hint">No schemas yet.</p>}
      {items.length > 0 && (
        <div className="table-wrap">
          <table aria-label="Schemas">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Version</th>
                <th scope="col">Fields</th>
                <th scope="col">Label</th>
                <th scope="col">Your role</th>
              </tr>
            </thead>
            <tbody>
              {items.map((schema) => (
                <tr key={schema.id}>
                  <td>
                    <Link to={`/schemas/${schema.id}`}>{schema.name}</Link>
                  </td>
                  <td>{schema.version}</td>
                  <td>{schema.field_count}</td>
                  <td>{schema.apply_to_label ?? "–"}</td>
                  <td>{schema.role}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

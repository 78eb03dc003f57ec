import { useEffect, useId, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { useQueryClient } from "@tanstack/react-query";
import { extractionKeys, useExtractions, useMarkReviewed, useReviewField } from "../../api/extraction";
import { problemMessage } from "../../api/problem";
import { ACTIVE_JOB_STATUSES, type ExtractionOut, type FieldResult, type JobOut } from "../../api/types";
import { ErrorMessage } from "../../components/ErrorMessage";
import { StatusBadge } from "../../components/StatusBadge";
import { formatDate } from "../../components/format";
import { correctionOf, formatValue, inputOf, kindOf, STATUS_WORDS, type ValueKind } from "./values";
import "../../styles/extraction.css";

const RUNNING_POLL_MS = 2500;

interface Props {
  documentId: string;
  canEdit: boolean;
  /** The document's jobs: when an extraction job ends, its values are fetched again. */
  jobs: JobOut[];
}

/** The values each schema found in the document, with their evidence, and a person's review of them. */
export function ExtractedFields({ documentId, canEdit, jobs }: Props) {
  const extractions = useExtractions(documentId);
  const client = useQueryClient();
  const ended = jobs
    .filter((job) => job.kind === "schemas" && job.status === "succeeded")
    .map((job) => `${job.id}:${job.finished_at ?? ""}`)
    .join(",");

  const running = jobs.some((job) => job.kind === "schemas" && ACTIVE_JOB_STATUSES.includes(job.status));

  useEffect(() => {
    if (ended) void client.invalidateQueries({ queryKey: extractionKeys.extractions(documentId) });
  }, [client, documentId, ended]);

  // While an extraction runs, the document (its jobs) and the values are asked for again now and then,
  // whether or not the live stream tells of the job's end.
  useEffect(() => {
    if (!running) return;
    const timer = window.setInterval(() => {
      void client.invalidateQueries({ queryKey: ["documents", "one", documentId], exact: true });
      void client.invalidateQueries({ queryKey: extractionKeys.extractions(documentId) });
    }, RUNNING_POLL_MS);
    return () => window.clearInterval(timer);
  }, [client, documentId, running]);

  const items = extractions.data?.items ?? [];
  if (!extractions.error && extractions.data && items.length === 0 && !running) return null;
  return (
    <section aria-labelledby="extractions-heading" className="extracted-fields">
      <h2 id="extractions-heading">Extracted fields</h2>
      {extractions.error && <ErrorMessage error={extractions.error} />}
      {extractions.isPending && <p role="status">Loading the extracted fields…</p>}
      {running && <p role="status">Extracting fields…</p>}
      {items.map((extraction) => (
        <SchemaResult key={extraction.schema_id} documentId={documentId} extraction={extraction} canEdit={canEdit} />
      ))}
    </section>
  );
}

function SchemaResult({ documentId, extraction, canEdit }: { documentId: string; extraction: ExtractionOut; canEdit: boolean }) {
  const review = useReviewField(documentId, extraction.schema_id);
  const reviewed = useMarkReviewed(documentId, extraction.schema_id);
  const headingId = useId();
  return (
    <section aria-labelledby={headingId} className="schema-result">
      <h3 id={headingId}>
        <Link to={`/schemas/${extraction.schema_id}`}>{extraction.schema_name}</Link>
      </h3>
      <p className="hint">
        Version {extraction.version} · {extraction.provider} ({extraction.model}) · extracted {formatDate(extraction.extracted_at)}
        {extraction.status === "reviewed" && extraction.reviewed_at
          ? ` · reviewed by ${extraction.reviewed_by ?? "someone"} ${formatDate(extraction.reviewed_at)}`
          : extraction.needs_review > 0
            ? ` · ${extraction.needs_review} ${extraction.needs_review === 1 ? "field needs" : "fields need"} review`
            : ""}
      </p>
      <div className="table-wrap">
        <table aria-label={`Fields extracted with ${extraction.schema_name}`}>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Value</th>
              <th scope="col">Status</th>
              <th scope="col">Confidence</th>
              <th scope="col">Evidence</th>
              {canEdit && <th scope="col">Review</th>}
            </tr>
          </thead>
          <tbody>
            {extraction.fields.map((field) => (
              <FieldRow
                key={field.name}
                documentId={documentId}
                field={field}
                canEdit={canEdit}
                pending={review.isPending}
                onReview={(body, onDone) => {
                  review.reset();
                  review.mutate({ name: field.name, body }, { onSuccess: onDone });
                }}
              />
            ))}
          </tbody>
        </table>
      </div>
      {review.error && <p role="alert" className="error">{problemMessage(review.error)}</p>}
      {canEdit && (
        <div className="form-actions">
          <button type="button" className="secondary" disabled={reviewed.isPending} onClick={() => reviewed.mutate()}>
            Mark reviewed
          </button>
        </div>
      )}
      {reviewed.error && <p role="alert" className="error">{problemMessage(reviewed.error)}</p>}
    </section>
  );
}

function FieldRow({
  documentId,
  field,
  canEdit,
  pending,
  onReview,
}: {
  documentId: string;
  field: FieldResult;
  canEdit: boolean;
  pending: boolean;
  onReview: (body: { action: "correct"; value: unknown } | { action: "confirm" }, onDone: () => void) => void;
}) {
  const [correcting, setCorrecting] = useState(false);
  const evidence = field.evidence[0];
  return (
    <tr>
      <th scope="row">{field.name}</th>
      <td>
        <span className="field-value">{formatValue(field.value)}</span>
        {field.status === "corrected" && (
          <span className="hint"> (found: {formatValue(field.found_value)})</span>
        )}
        {field.raw && field.status === "needs_review" && <span className="hint"> (read: “{field.raw}”)</span>}
      </td>
      <td>
        <StatusBadge status={field.status} label={STATUS_WORDS[field.status] ?? field.status} />
      </td>
      <td>
        {field.status === "not_found" ? "–" : `${Math.round(field.confidence * 100)} %`}
        {field.source && field.status !== "not_found" && <div className="hint">by {field.source.model}</div>}
      </td>
      <td>
        {evidence ? (
          <Link
            className="evidence"
            to={`/documents/${documentId}?${new URLSearchParams({ page: String(evidence.page_no), quote: evidence.quote })}`}
            aria-label={`Page ${evidence.page_no}: ${evidence.quote}`}
          >
            <span className="hint">p. {evidence.page_no}</span> “{evidence.quote}”
          </Link>
        ) : (
          "–"
        )}
      </td>
      {canEdit && (
        <td>
          {correcting ? (
            <Correction field={field} pending={pending} onCancel={() => setCorrecting(false)} onSave={(value) => onReview({ action: "correct", value }, () => setCorrecting(false))} />
          ) : (
            <div className="review-actions">
              <button type="button" className="secondary" aria-label={`Correct ${field.name}`} onClick={() => setCorrecting(true)}>
                Correct
              </button>
              {field.status !== "confirmed" && field.status !== "not_found" && (
                <button type="button" className="secondary" aria-label={`Confirm ${field.name}`} disabled={pending} onClick={() => onReview({ action: "confirm" }, () => undefined)}>
                  Confirm
                </button>
              )}
            </div>
          )}
        </td>
      )}
    </tr>
  );
}

const INPUT_TYPES: Record<ValueKind, string> = { text: "text", number: "number", money: "text", date: "date", boolean: "text", list: "text" };
const HINTS: Partial<Record<ValueKind, string>> = {
  money: "An amount and its currency, such as 1234.50 EUR.",
  list: "The lines as JSON, one object per line item.",
};

/** An input suited to the value's type; empty says the document does not hold the value. */
function Correction({ field, pending, onSave, onCancel }: { field: FieldResult; pending: boolean; onSave: (value: unknown) => void; onCancel: () => void }) {
  const kind = kindOf(field);
  const [text, setText] = useState(() => inputOf(field));
  const id = useId();
  function submit(event: FormEvent) {
    event.preventDefault();
    onSave(correctionOf(kind, text));
  }
  return (
    <form onSubmit={submit} className="correction">
      <label htmlFor={id} className="visually-hidden">
        Correct value of {field.name}
      </label>
      {kind === "boolean" ? (
        <select id={id} value={text} onChange={(e) => setText(e.target.value)}>
          <option value="">not in the document</option>
          <option value="yes">yes</option>
          <option value="no">no</option>
        </select>
      ) : (
        <input id={id} type={INPUT_TYPES[kind]} value={text} autoFocus aria-describedby={HINTS[kind] ? `${id}-hint` : undefined} onChange={(e) => setText(e.target.value)} />
      )}
      {HINTS[kind] && (
        <span id={`${id}-hint`} className="hint">
          {HINTS[kind]}
        </span>
      )}
      <button type="submit" disabled={pending}>
        Save
      </button>
      <button type="button" className="secondary" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}

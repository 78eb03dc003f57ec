import { useId, useMemo, useState, type FormEvent, type ReactNode } from "react";
import type { SchemaIn } from "../../api/types";
import {
  COLUMN_TYPES,
  draftMistakes,
  emptyColumn,
  emptyDraft,
  emptyField,
  FIELD_TYPES,
  move,
  refusalMistakes,
  schemaBody,
  shownAt,
  type ColumnDraft,
  type FieldDraft,
  type Mistakes,
  type SchemaDraft,
} from "./fields";

interface Props {
  initial?: SchemaDraft;
  submitLabel: string;
  pending: boolean;
  /** The server's refusal of the last submit, if it refused. */
  error: unknown;
  onSubmit: (body: SchemaIn) => void;
  onCancel?: () => void;
}

const COLUMN_PLACES = ["name", "type", "description", "values"];

function placesOf(draft: SchemaDraft): Set<string> {
  const places = new Set(["name", "apply_to_label", "review_threshold", "fields"]);
  draft.fields.forEach((field, index) => {
    const at = `fields.${index}`;
    places.add(at);
    for (const part of [...COLUMN_PLACES, "fields"]) places.add(`${at}.${part}`);
    field.columns.forEach((_column, columnIndex) => {
      places.add(`${at}.fields.${columnIndex}`);
      for (const part of COLUMN_PLACES) places.add(`${at}.fields.${columnIndex}.${part}`);
    });
  });
  return places;
}

/** A schema's name, label, threshold and fields: to define one, or to change one (a new version). */
export function SchemaForm({ initial, submitLabel, pending, error, onSubmit, onCancel }: Props) {
  const [draft, setDraft] = useState<SchemaDraft>(() => initial ?? emptyDraft());
  const [mistakes, setMistakes] = useState<Mistakes | null>(null);
  const ids = { name: useId(), label: useId(), threshold: useId(), thresholdHint: useId(), labelHint: useId() };

  const places = useMemo(() => placesOf(draft), [draft]);
  const refusal = useMemo(() => refusalMistakes(error), [error]);
  const shown: Mistakes = {};
  const unplaced: string[] = [];
  for (const [place, message] of Object.entries(mistakes ?? refusal.mistakes)) {
    const at = shownAt(place, places);
    if (!at) unplaced.push(message);
    else shown[at] ??= message;
  }
  const general = mistakes ? null : refusal.message;

  function setFields(update: (fields: FieldDraft[]) => FieldDraft[]) {
    setDraft((current) => ({ ...current, fields: update(current.fields) }));
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const found = draftMistakes(draft);
    if (Object.keys(found).length > 0) {
      setMistakes(found);
      return;
    }
    setMistakes(null);
    onSubmit(schemaBody(draft));
  }

  return (
    <form onSubmit={submit} noValidate className="schema-form">
      <Input id={ids.name} label="Schema name" mistake={shown.name}>
        {(props) => (
          <input {...props} value={draft.name} maxLength={200} onChange={(e) => setDraft({ ...draft, name: e.target.value })} />
        )}
      </Input>
      <Input id={ids.label} label="Apply to documents classified as (optional)" hint="A classification label such as invoice: new documents classified so are extracted with this schema." hintId={ids.labelHint} mistake={shown.apply_to_label}>
        {(props) => (
          <input {...props} value={draft.label} maxLength={64} spellCheck={false} onChange={(e) => setDraft({ ...draft, label: e.target.value })} />
        )}
      </Input>
      <Input id={ids.threshold} label="Review threshold" hint="A value found with a lower confidence (0 to 1) is marked for review." hintId={ids.thresholdHint} mistake={shown.review_threshold}>
        {(props) => (
          <input {...props} type="number" min={0} max={1} step={0.05} value={draft.threshold} onChange={(e) => setDraft({ ...draft, threshold: e.target.value })} />
        )}
      </Input>

      <fieldset className="schema-fields">
        <legend>Fields</legend>
        {shown.fields && <p role="alert" className="error">{shown.fields}</p>}
        <ol className="field-list">
          {draft.fields.map((field, index) => (
            <li key={field.key}>
              <FieldEditor
                field={field}
                index={index}
                count={draft.fields.length}
                at={`fields.${index}`}
                mistakes={shown}
                onChange={(next) => setFields((fields) => fields.map((f) => (f.key === field.key ? next : f)))}
                onRemove={() => setFields((fields) => fields.filter((f) => f.key !== field.key))}
                onMove={(to) => setFields((fields) => move(fields, index, to))}
              />
            </li>
          ))}
        </ol>
        <button type="button" className="secondary" onClick={() => setFields((fields) => [...fields, emptyField()])}>
          Add a field
        </button>
      </fieldset>

      <div className="form-actions">
        <button type="submit" disabled={pending}>
          {submitLabel}
        </button>
        {onCancel && (
          <button type="button" className="secondary" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
      {(mistakes && Object.keys(mistakes).length > 0) && (
        <p role="alert" className="error">Some fields need a fix; see the messages beside them.</p>
      )}
      {general && <p role="alert" className="error">{general}</p>}
      {unplaced.map((message) => (
        <p key={message} role="alert" className="error">{message}</p>
      ))}
    </form>
  );
}

interface InputProps {
  id: string;
  "aria-invalid": true | undefined;
  "aria-describedby": string | undefined;
}

/** A labelled control with its hint and, when there is one, the mistake found in it. */
function Input({ id, label, hint, hintId, mistake, children }: { id: string; label: string; hint?: string; hintId?: string; mistake?: string; children: (props: InputProps) => ReactNode }) {
  const mistakeId = `${id}-mistake`;
  const describedBy = [hint ? hintId : undefined, mistake ? mistakeId : undefined].filter(Boolean).join(" ") || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, "aria-invalid": mistake ? true : undefined, "aria-describedby": describedBy })}
      {hint && (
        <span id={hintId} className="hint">
          {hint}
        </span>
      )}
      {mistake && (
        <span id={mistakeId} className="error field-mistake">
          {mistake}
        </span>
      )}
    </div>
  );
}

interface ColumnProps<T extends ColumnDraft> {
  field: T;
  at: string;
  mistakes: Mistakes;
  onChange: (next: T) => void;
  column?: boolean;
}

/** Name, type, description, required and an enum's values: what a field and a list's column share. */
function CommonInputs<T extends ColumnDraft>({ field, at, mistakes, onChange, column = false }: ColumnProps<T>) {
  const id = useId();
  const types = column ? COLUMN_TYPES : FIELD_TYPES;
  return (
    <>
      <Input id={`${id}-name`} label="Name" mistake={mistakes[`${at}.name`]}>
        {(props) => <input {...props} value={field.name} maxLength={100} onChange={(e) => onChange({ ...field, name: e.target.value })} />}
      </Input>
      <Input id={`${id}-type`} label="Type" mistake={mistakes[`${at}.type`]}>
        {(props) => (
          <select {...props} value={field.type} onChange={(e) => onChange({ ...field, type: e.target.value as T["type"] })}>
            {types.map((type) => (
              <option key={type.value} value={type.value}>
                {type.label}
              </option>
            ))}
          </select>
        )}
      </Input>
      <Input id={`${id}-description`} label="Description" mistake={mistakes[`${at}.description`]}>
        {(props) => (
          <input {...props} value={field.description} maxLength={1000} placeholder="What to look for" onChange={(e) => onChange({ ...field, description: e.target.value })} />
        )}
      </Input>
      {field.type === "enum" && (
        <Input id={`${id}-values`} label="Values (one a line)" mistake={mistakes[`${at}.values`]}>
          {(props) => <textarea {...props} rows={3} value={field.values} onChange={(e) => onChange({ ...field, values: e.target.value })} />}
        </Input>
      )}
      <div className="field checkbox-field">
        <input id={`${id}-required`} type="checkbox" checked={field.required} onChange={(e) => onChange({ ...field, required: e.target.checked })} />
        <label htmlFor={`${id}-required`}>Required</label>
      </div>
    </>
  );
}

function FieldEditor({
  field,
  index,
  count,
  at,
  mistakes,
  onChange,
  onRemove,
  onMove,
}: {
  field: FieldDraft;
  index: number;
  count: number;
  at: string;
  mistakes: Mistakes;
  onChange: (next: FieldDraft) => void;
  onRemove: () => void;
  onMove: (to: number) => void;
}) {
  const title = `Field ${index + 1}`;
  const setColumns = (columns: ColumnDraft[]) => onChange({ ...field, columns });
  return (
    <fieldset className="field-editor" aria-label={field.name.trim() ? `${title}: ${field.name.trim()}` : title}>
      <legend>{title}</legend>
      {mistakes[at] && <p className="error field-mistake">{mistakes[at]}</p>}
      <CommonInputs field={field} at={at} mistakes={mistakes} onChange={onChange} />
      {field.type === "list" && (
        <fieldset className="columns">
          <legend>Columns of each line</legend>
          {mistakes[`${at}.fields`] && <p className="error field-mistake">{mistakes[`${at}.fields`]}</p>}
          <ol>
            {field.columns.map((column, columnIndex) => (
              <li key={column.key}>
                <fieldset className="column-editor" aria-label={`Column ${columnIndex + 1}`}>
                  <legend>Column {columnIndex + 1}</legend>
                  {mistakes[`${at}.fields.${columnIndex}`] && (
                    <p className="error field-mistake">{mistakes[`${at}.fields.${columnIndex}`]}</p>
                  )}
                  <CommonInputs
                    column
                    field={column}
                    at={`${at}.fields.${columnIndex}`}
                    mistakes={mistakes}
                    onChange={(next) => setColumns(field.columns.map((c) => (c.key === column.key ? next : c)))}
                  />
                  <button type="button" className="secondary" onClick={() => setColumns(field.columns.filter((c) => c.key !== column.key))}>
                    Remove column
                  </button>
                </fieldset>
              </li>
            ))}
          </ol>
          <button type="button" className="secondary" onClick={() => setColumns([...field.columns, emptyColumn()])}>
            Add a column
          </button>
        </fieldset>
      )}
      <div className="field-actions">
        <button type="button" className="secondary" disabled={index === 0} onClick={() => onMove(index - 1)}>
          Move up
        </button>
        <button type="button" className="secondary" disabled={index === count - 1} onClick={() => onMove(index + 1)}>
          Move down
        </button>
        <button type="button" className="secondary" disabled={count === 1} onClick={onRemove}>
          Remove field
        </button>
      </div>
    </fieldset>
  );
}

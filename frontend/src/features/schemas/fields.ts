/** The schema form's model: a draft of the fields being edited, what the form can tell is wrong before
 * asking, the body it sends, and where a refusal's errors belong (the `loc` of each, as `fields.2.values`). */
import { ApiError, problemMessage } from "../../api/problem";
import type { FieldType, SchemaIn, SchemaOut } from "../../api/types";

export const FIELD_TYPES: { value: FieldType; label: string }[] = [
  { value: "text", label: "Text" },
  { value: "number", label: "Number" },
  { value: "money", label: "Money (amount and currency)" },
  { value: "date", label: "Date" },
  { value: "boolean", label: "Yes / no" },
  { value: "enum", label: "One of some values" },
  { value: "list", label: "List (line items)" },
];

export const COLUMN_TYPES = FIELD_TYPES.filter((type) => type.value !== "list");

export interface ColumnDraft {
  key: string;
  name: string;
  type: FieldType;
  description: string;
  required: boolean;
  /** One value a line, for enum. */
  values: string;
}

export interface FieldDraft extends ColumnDraft {
  columns: ColumnDraft[];
}

export interface SchemaDraft {
  name: string;
  label: string;
  threshold: string;
  fields: FieldDraft[];
}

/** Where each mistake is: `name`, `fields`, `fields.0.values`, `fields.1.fields.0.name`… */
export type Mistakes = Record<string, string>;

let made = 0;
function newKey(): string {
  made += 1;
  return `f${made}`;
}

export function emptyColumn(): ColumnDraft {
  return { key: newKey(), name: "", type: "text", description: "", required: false, values: "" };
}

export function emptyField(): FieldDraft {
  return { ...emptyColumn(), columns: [] };
}

export function emptyDraft(): SchemaDraft {
  return { name: "", label: "", threshold: "0.6", fields: [emptyField()] };
}

export function draftOf(schema: SchemaOut): SchemaDraft {
  return {
    name: schema.name,
    label: schema.apply_to_label ?? "",
    threshold: String(schema.review_threshold),
    fields: schema.fields.map((field) => ({
      key: newKey(),
      name: field.name,
      type: field.type,
      description: field.description ?? "",
      required: field.required ?? false,
      values: (field.values ?? []).join("\n"),
      columns: (field.fields ?? []).map((column) => ({
        key: newKey(),
        name: column.name,
        type: column.type,
        description: column.description ?? "",
        required: column.required ?? false,
        values: (column.values ?? []).join("\n"),
      })),
    })),
  };
}

export function valuesOf(text: string): string[] {
  return text
    .split("\n")
    .map((value) => value.trim())
    .filter(Boolean);
}

function columnBody(column: ColumnDraft) {
  return {
    name: column.name.trim(),
    type: column.type,
    description: column.description.trim(),
    required: column.required,
    ...(column.type === "enum" ? { values: valuesOf(column.values) } : {}),
  };
}

export function schemaBody(draft: SchemaDraft): SchemaIn {
  return {
    name: draft.name.trim(),
    apply_to_label: draft.label.trim() || null,
    review_threshold: Number(draft.threshold),
    fields: draft.fields.map((field) => ({
      ...columnBody(field),
      ...(field.type === "list" ? { fields: field.columns.map(columnBody) } : {}),
    })),
  };
}

function duplicates(names: string[]): Set<number> {
  const seen = new Map<string, number>();
  const twice = new Set<number>();
  names.forEach((name, at) => {
    const key = name.trim().toLowerCase();
    if (!key) return;
    if (seen.has(key)) twice.add(at);
    else seen.set(key, at);
  });
  return twice;
}

function checkColumn(column: ColumnDraft, at: string, duplicate: boolean, kind: string, mistakes: Mistakes) {
  if (!column.name.trim()) mistakes[`${at}.name`] = `Give the ${kind} a name.`;
  else if (duplicate) mistakes[`${at}.name`] = `Another ${kind} has this name.`;
  if (column.type === "enum") {
    const values = valuesOf(column.values);
    if (values.length === 0) mistakes[`${at}.values`] = "Give the values it may take, one a line.";
    else if (duplicates(values).size > 0) mistakes[`${at}.values`] = "A value is listed twice.";
  }
}

/** What the form can tell before asking the server; empty when nothing. */
export function draftMistakes(draft: SchemaDraft): Mistakes {
  const mistakes: Mistakes = {};
  if (!draft.name.trim()) mistakes.name = "Give the schema a name.";
  const threshold = Number(draft.threshold);
  if (draft.threshold.trim() === "" || !Number.isFinite(threshold) || threshold < 0 || threshold > 1) {
    mistakes.review_threshold = "Give a number from 0 to 1.";
  }
  if (draft.fields.length === 0) mistakes.fields = "Add at least one field.";
  const twice = duplicates(draft.fields.map((field) => field.name));
  draft.fields.forEach((field, index) => {
    const at = `fields.${index}`;
    checkColumn(field, at, twice.has(index), "field", mistakes);
    if (field.type === "list") {
      if (field.columns.length === 0) mistakes[`${at}.fields`] = "Add at least one column.";
      const columnsTwice = duplicates(field.columns.map((column) => column.name));
      field.columns.forEach((column, columnIndex) =>
        checkColumn(column, `${at}.fields.${columnIndex}`, columnsTwice.has(columnIndex), "column", mistakes),
      );
    }
  });
  return mistakes;
}

const PLACES = new Set(["name", "type", "description", "required", "values", "fields", "apply_to_label", "review_threshold"]);

/** The place in the form an error's `loc` names: `["body", "fields", 2, "values", 0]` is `fields.2.values`. */
export function placeOf(loc: unknown[]): string {
  const parts = loc[0] === "body" ? loc.slice(1) : loc;
  const kept: string[] = [];
  for (const part of parts) {
    if (typeof part === "number") {
      // A number indexes fields or columns; an enum's value index is not a place of its own.
      if (kept.at(-1) !== "fields") break;
      kept.push(String(part));
    } else if (typeof part === "string" && PLACES.has(part)) {
      kept.push(part);
    } else {
      break;
    }
  }
  return kept.join(".");
}

/** A refusal's errors by the place they name, and its sentence for what names no place. */
export function refusalMistakes(error: unknown): { mistakes: Mistakes; message: string | null } {
  if (!(error instanceof ApiError)) return { mistakes: {}, message: error ? problemMessage(error) : null };
  const mistakes: Mistakes = {};
  if (error.code === "schema_name_taken") return { mistakes: { name: "You have another schema with this name." }, message: null };
  if (error.code === "unknown_label") {
    const labels = Array.isArray(error.problem.labels) ? (error.problem.labels as unknown[]).map(String) : [];
    const known = labels.length > 0 ? ` Use one of: ${labels.join(", ")}.` : "";
    return { mistakes: { apply_to_label: `This deployment does not classify documents with that label.${known}` }, message: null };
  }
  const errors = Array.isArray(error.problem.errors) ? (error.problem.errors as { loc?: unknown; msg?: unknown }[]) : [];
  for (const item of errors) {
    const place = placeOf(Array.isArray(item.loc) ? item.loc : []);
    const message = typeof item.msg === "string" ? item.msg.replace(/^Value error, /, "") : "Not valid.";
    if (place && !mistakes[place]) mistakes[place] = message;
  }
  if (Object.keys(mistakes).length > 0) return { mistakes, message: null };
  return { mistakes, message: problemMessage(error) };
}

/** Which shown place a mistake goes to: itself if the form shows it, else the nearest enclosing place. */
export function shownAt(place: string, shown: Set<string>): string {
  let at = place;
  while (at && !shown.has(at)) at = at.split(".").slice(0, -1).join(".");
  return at;
}

export function move<T>(items: T[], from: number, to: number): T[] {
  if (to < 0 || to >= items.length) return items;
  const next = [...items];
  const [item] = next.splice(from, 1);
  next.splice(to, 0, item!);
  return next;
}

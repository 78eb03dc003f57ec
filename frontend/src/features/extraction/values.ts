/** A found value in words, by its field's type; and the value a correction sends back. */
import type { FieldResult } from "../../api/types";

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" });

export function formatValue(value: unknown): string {
  if (value === null || value === undefined) return "–";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "number") return value.toLocaleString();
  if (typeof value === "string") {
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
      const date = new Date(`${value}T00:00:00Z`);
      if (!Number.isNaN(date.getTime())) return dateFormat.format(date);
    }
    return value;
  }
  if (typeof value === "object" && !Array.isArray(value) && "amount" in value) {
    const { amount, currency } = value as { amount: unknown; currency?: unknown };
    const number = Number(amount);
    if (typeof currency === "string" && currency && Number.isFinite(number)) {
      try {
        return new Intl.NumberFormat(undefined, { style: "currency", currency }).format(number);
      } catch {
        // an unknown currency code: said as it is below
      }
    }
    return [String(amount), typeof currency === "string" ? currency : ""].filter(Boolean).join(" ");
  }
  if (Array.isArray(value)) return `${value.length} ${value.length === 1 ? "line" : "lines"}`;
  return JSON.stringify(value);
}

/** What the correction input starts with: the value as a person types it. */
export function inputOf(field: FieldResult): string {
  const value = field.value as unknown;
  if (value === null || value === undefined) return "";
  if (typeof value === "object" && !Array.isArray(value) && "amount" in value) {
    const { amount, currency } = value as { amount: unknown; currency?: unknown };
    return [String(amount), typeof currency === "string" ? currency : ""].filter(Boolean).join(" ");
  }
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export type ValueKind = "text" | "number" | "money" | "date" | "boolean" | "list";

/** The kind of input a field's value asks for, told from the value itself (the result does not say its type). */
export function kindOf(field: FieldResult): ValueKind {
  const value = field.value as unknown;
  const found = (field.found_value as unknown) ?? value;
  const sample = value ?? found;
  if (Array.isArray(sample) || field.items) return "list";
  if (typeof sample === "boolean") return "boolean";
  if (typeof sample === "number") return "number";
  if (sample && typeof sample === "object" && "amount" in sample) return "money";
  if (typeof sample === "string" && /^\d{4}-\d{2}-\d{2}$/.test(sample)) return "date";
  return "text";
}

/** The value a correction sends: money is `{amount, currency}` when typed as "1234.50 EUR", else the server
 * reads the string as it reads a document; empty means the document does not hold the value. */
export function correctionOf(kind: ValueKind, text: string): unknown {
  const trimmed = text.trim();
  if (!trimmed) return null;
  if (kind === "money") {
    const match = /^(-?[\d.,\s]+?)\s*([A-Za-z]{3})?$/.exec(trimmed);
    if (match && /^-?\d+(\.\d+)?$/.test(match[1]!.replace(/\s/g, ""))) {
      return { amount: match[1]!.replace(/\s/g, ""), currency: match[2]?.toUpperCase() ?? null };
    }
    return trimmed;
  }
  if (kind === "number") {
    const number = Number(trimmed);
    return Number.isFinite(number) ? number : trimmed;
  }
  if (kind === "boolean") return trimmed === "yes" ? true : trimmed === "no" ? false : trimmed;
  if (kind === "list") {
    try {
      return JSON.parse(trimmed) as unknown;
    } catch {
      return trimmed;
    }
  }
  return trimmed;
}

export const STATUS_WORDS: Record<FieldResult["status"], string> = {
  found: "found",
  not_found: "not found",
  needs_review: "needs review",
  corrected: "corrected",
  confirmed: "confirmed",
};

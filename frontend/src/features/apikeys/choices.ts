/** What a new key may do and how long it lasts, in the words the form offers. */
import type { ApiKeyScope } from "../../api/types";

export const SCOPES: { value: ApiKeyScope; explanation: string }[] = [
  { value: "documents:read", explanation: "Read documents: their pages, results and files, their jobs, and who they are shared with." },
  { value: "documents:write", explanation: "Upload, process again, retry and cancel jobs, share and delete documents." },
  { value: "search", explanation: "Search, ask questions and keep conversations." },
  { value: "webhooks", explanation: "Manage webhook endpoints, send test events and read their delivery logs." },
];

export type Expiry = "never" | "30d" | "90d" | "1y" | "date";

export const EXPIRIES: { value: Expiry; label: string }[] = [
  { value: "never", label: "Never" },
  { value: "30d", label: "In 30 days" },
  { value: "90d", label: "In 90 days" },
  { value: "1y", label: "In 1 year" },
  { value: "date", label: "On a date…" },
];

/** `YYYY-MM-DD` of a day in local time, as `<input type="date">` takes it. */
export function dayOf(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** When the key stops working (ISO 8601 in UTC), null for never; a chosen day lasts to its end, in
 * the user's time zone. Undefined when a day was to be chosen and none (or no real one) was. */
export function expiresAt(expiry: Expiry, day: string, now: Date = new Date()): string | null | undefined {
  const at = new Date(now);
  switch (expiry) {
    case "never":
      return null;
    case "30d":
      at.setDate(at.getDate() + 30);
      return at.toISOString();
    case "90d":
      at.setDate(at.getDate() + 90);
      return at.toISOString();
    case "1y":
      at.setFullYear(at.getFullYear() + 1);
      return at.toISOString();
    case "date": {
      const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
      if (!match) return undefined;
      const end = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]), 23, 59, 59);
      return Number.isNaN(end.getTime()) || dayOf(end) !== day ? undefined : end.toISOString();
    }
  }
}

/** The events an endpoint may subscribe to and the delivery statuses, in the words the pages use; what a
 * refusal says about which field is wrong. */
import { ApiError, problemMessage } from "../../api/problem";
import type { DeliveryStatus, WebhookEvent } from "../../api/types";

export const EVENTS: { value: WebhookEvent; explanation: string }[] = [
  { value: "document.ready", explanation: "A document finished processing: its text and results are ready." },
  { value: "document.failed", explanation: "A document could not be processed." },
  { value: "document.deleted", explanation: "A document was deleted." },
  { value: "job.failed", explanation: "A processing step failed for good, after its retries." },
  {
    value: "extraction.completed",
    explanation: "A document's schemas were extracted: which ones, and how many values wait for review.",
  },
];

export const DELIVERY_STATUSES: { value: DeliveryStatus; explanation: string }[] = [
  { value: "pending", explanation: "waiting to be sent" },
  { value: "sending", explanation: "being sent now" },
  { value: "retrying", explanation: "an attempt failed; it is tried again later" },
  { value: "delivered", explanation: "the receiver answered with a 2xx status" },
  { value: "dead", explanation: "every attempt failed; redeliver it once the receiver is fixed" },
];

export type WebhookField = "url" | "events" | "description";

const FIELD_NAMES: Record<WebhookField, string> = { url: "URL", events: "Events", description: "Description" };

/** Which field a refusal is about (when it names one) and the sentence to show for it. */
export function fieldProblem(error: unknown): { field: WebhookField | null; message: string } {
  if (error instanceof ApiError) {
    if (error.code === "invalid_webhook_url" || error.code === "webhook_address_refused") {
      return { field: "url", message: problemMessage(error) };
    }
    if (error.code === "validation_error" && Array.isArray(error.problem.errors)) {
      for (const item of error.problem.errors as { loc?: unknown; msg?: unknown }[]) {
        const loc: unknown[] = Array.isArray(item.loc) ? item.loc : [];
        const field = loc[0] === "body" ? loc[1] : undefined;
        if (field === "url" || field === "events" || field === "description") {
          return { field, message: `${FIELD_NAMES[field]}: ${typeof item.msg === "string" ? item.msg : "not valid"}.` };
        }
      }
    }
  }
  return { field: null, message: problemMessage(error) };
}

/** What the form can tell before asking: a URL (http or https, as the server decides which it takes),
 * and at least one event. */
export function formMistake(url: string, events: WebhookEvent[]): { field: WebhookField; message: string } | null {
  if (!url) return { field: "url", message: "Enter the URL that receives the events." };
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    parsed = null;
  }
  if (!parsed || (parsed.protocol !== "https:" && parsed.protocol !== "http:")) {
    return { field: "url", message: "Enter a full URL, starting with https://." };
  }
  if (events.length === 0) return { field: "events", message: "Choose at least one event." };
  return null;
}

const momentFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "medium" });

/** A moment to the second: deliveries a few seconds apart must read apart. */
export function formatMoment(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : momentFormat.format(date);
}

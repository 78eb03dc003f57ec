/** How often a document is polled. Cheap (the poll is a conditional GET answered by 304) and polite:
 * slower while the tab is hidden, never once the document is terminal, and no sooner than the server
 * asked when it said Retry-After. */
import { ApiError } from "./problem";
import { isTerminal, type DocumentStatus } from "./types";

export const POLL_VISIBLE_MS = 1500;
export const POLL_HIDDEN_MS = 15000;
/** When the server cannot be reached: no point knocking every second. */
export const POLL_UNREACHABLE_MS = 10000;

export interface PollState {
  status: DocumentStatus | undefined;
  hidden: boolean;
  error: unknown;
}

export function pollInterval({ status, hidden, error }: PollState): number | false {
  if (error instanceof ApiError) {
    if (error.retryAfter !== null) return Math.max(error.retryAfter * 1000, hidden ? POLL_HIDDEN_MS : POLL_VISIBLE_MS);
    if (error.status === 0) return Math.max(POLL_UNREACHABLE_MS, hidden ? POLL_HIDDEN_MS : 0);
    if (error.status === 503) return POLL_UNREACHABLE_MS;
    // Gone, not ours, or signed out: polling again cannot help.
    if (error.status >= 400 && error.status < 500 && error.status !== 429) return false;
  }
  if (status !== undefined && isTerminal(status)) return false;
  return hidden ? POLL_HIDDEN_MS : POLL_VISIBLE_MS;
}

/** How long before retrying a failed request: what Retry-After says, else exponential, capped. */
export function retryDelay(attempt: number, error: unknown): number {
  if (error instanceof ApiError && error.retryAfter !== null) return error.retryAfter * 1000;
  return Math.min(1000 * 2 ** attempt, 15000);
}

/** Retry only what may succeed on its own: no answer, throttled, or briefly unavailable. */
export function shouldRetry(failureCount: number, error: unknown): boolean {
  if (!(error instanceof ApiError)) return failureCount < 2;
  const transient = error.status === 0 || error.status === 429 || error.status === 502 || error.status === 503 || error.status === 504;
  return transient && failureCount < 3;
}

export const LIST_POLL_VISIBLE_MS = 5000;
export const LIST_POLL_HIDDEN_MS = 30000;

/** The documents list refreshes itself, gently, only while a row on screen is still on its way. */
export function listPollInterval({ statuses, hidden, error }: { statuses: DocumentStatus[]; hidden: boolean; error: unknown }): number | false {
  if (error instanceof ApiError) {
    if (error.retryAfter !== null) return Math.max(error.retryAfter * 1000, LIST_POLL_VISIBLE_MS);
    if (error.status === 0 || error.status >= 500) return LIST_POLL_HIDDEN_MS;
    return false;
  }
  if (!statuses.some((status) => !isTerminal(status))) return false;
  return hidden ? LIST_POLL_HIDDEN_MS : LIST_POLL_VISIBLE_MS;
}

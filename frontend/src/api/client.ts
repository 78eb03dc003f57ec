import createClient, { type Middleware } from "openapi-fetch";
import { config } from "../config";
import { ApiError, problemFromResponse, toApiError } from "./problem";
import type { paths } from "./schema";
import { getToken, reportSessionExpired } from "./session";

export function apiUrl(path: string): string {
  return `${config.apiUrl}${path}`;
}

const auth: Middleware = {
  async onRequest({ request }) {
    const token = await getToken();
    if (token) request.headers.set("Authorization", `Bearer ${token}`);
    return request;
  },
  onResponse({ response }) {
    // Any 401 means the token is gone or stale: the app goes back to sign-in with a message.
    if (response.status === 401) reportSessionExpired();
    return response;
  },
};

// fetch is looked up per call (not captured once), so whatever fetch the page has at the time is used.
export const api = createClient<paths>({ baseUrl: config.apiUrl, fetch: (request) => globalThis.fetch(request) });
api.use(auth);

interface Answer<T> {
  data?: T;
  error?: unknown;
  response: Response;
}

/** Await an openapi-fetch call and return its data, or throw an ApiError (also for network failures). */
export async function unwrap<T>(call: Promise<Answer<T>>): Promise<T> {
  let answer: Answer<T>;
  try {
    answer = await call;
  } catch (cause) {
    throw ApiError.network(cause);
  }
  if (!answer.response.ok) throw toApiError(answer.response, answer.error);
  return answer.data as T;
}

/** GET a file with the bearer token; for originals shown in <img>/pdf.js or saved by Download. */
export async function fetchBlob(path: string): Promise<{ blob: Blob; filename: string | null }> {
  const token = await getToken();
  let response: Response;
  try {
    response = await fetch(apiUrl(path), { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  } catch (cause) {
    throw ApiError.network(cause);
  }
  if (response.status === 401) reportSessionExpired();
  if (!response.ok) throw await problemFromResponse(response);
  return { blob: await response.blob(), filename: filenameFromDisposition(response.headers.get("Content-Disposition")) };
}

/** The filename in a Content-Disposition header, preferring the RFC 5987 `filename*` form. */
export function filenameFromDisposition(header: string | null): string | null {
  if (!header) return null;
  const extended = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header);
  if (extended?.[2]) {
    try {
      return decodeURIComponent(extended[2].trim());
    } catch {
      // fall through to the plain form
    }
  }
  const plain = /filename\s*=\s*("([^"]*)"|[^;]+)/i.exec(header);
  return plain ? (plain[2] ?? plain[1] ?? "").trim() || null : null;
}

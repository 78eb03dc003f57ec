/** Failures from the API (RFC 9457 problems with a stable `code`) or from the network, and the
 * sentences a person reads for them. */

export interface Problem {
  type?: string;
  title?: string;
  status?: number;
  code?: string;
  detail?: string | null;
  [member: string]: unknown;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: Problem;
  /** Seconds the server asked us to wait (Retry-After), when it said. */
  readonly retryAfter: number | null;

  constructor(status: number, problem: Problem, retryAfter: number | null = null) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.code = problem.code ?? (status === 0 ? "network_error" : `http_${status}`);
    this.problem = problem;
    this.retryAfter = retryAfter;
  }

  /** The request never got an answer: server down, offline, or blocked by CORS. */
  static network(cause?: unknown): ApiError {
    const error = new ApiError(0, { code: "network_error", title: "Network error" });
    if (cause !== undefined) (error as { cause?: unknown }).cause = cause;
    return error;
  }

  get isUnauthorized(): boolean {
    return this.status === 401;
  }
}

/** Retry-After is either seconds or an HTTP date; the problem body may repeat it as `retry_after`. */
export function parseRetryAfter(header: string | null, body?: Problem, now: number = Date.now()): number | null {
  if (header) {
    const seconds = Number(header);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.ceil(seconds);
    const date = Date.parse(header);
    if (!Number.isNaN(date)) return Math.max(0, Math.ceil((date - now) / 1000));
  }
  const fromBody = body?.retry_after;
  if (typeof fromBody === "number" && fromBody >= 0) return Math.ceil(fromBody);
  return null;
}

export async function problemFromResponse(response: Response): Promise<ApiError> {
  let problem: Problem = {};
  try {
    const body: unknown = await response.clone().json();
    if (body && typeof body === "object") problem = body as Problem;
  } catch {
    problem = { title: response.statusText };
  }
  return new ApiError(response.status, problem, parseRetryAfter(response.headers.get("Retry-After"), problem));
}

/** Build an ApiError from what openapi-fetch returns for a non-2xx answer. */
export function toApiError(response: Response, body: unknown): ApiError {
  const problem = body && typeof body === "object" ? (body as Problem) : { title: response.statusText };
  return new ApiError(response.status, problem, parseRetryAfter(response.headers.get("Retry-After"), problem));
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const rounded = value >= 10 ? Math.round(value) : Math.round(value * 10) / 10;
  return `${rounded} ${units[unit]}`;
}

function waitWords(seconds: number | null): string {
  if (seconds === null) return "Please try again in a moment.";
  if (seconds <= 1) return "Please try again in 1 s.";
  if (seconds < 120) return `Please try again in ${seconds} s.`;
  return `Please try again in ${Math.ceil(seconds / 60)} min.`;
}

const SENTENCES: Record<string, string> = {
  network_error: "The server cannot be reached. Check your connection, or whether WorkOpti is running, and try again.",
  missing_token: "Your session has expired. Please sign in again.",
  invalid_token: "Your session has expired. Please sign in again.",
  token_expired: "Your session has expired. Please sign in again.",
  token_not_yet_valid: "Your sign-in is not valid yet; check your computer's clock and sign in again.",
  wrong_issuer: "Your sign-in was issued for another service. Please sign in again.",
  wrong_authorized_party: "Your sign-in was issued for another site. Please sign in again.",
  unknown_key: "Your sign-in could not be verified. Please sign in again.",
  insufficient_role: "Your role on this document does not allow that.",
  document_not_found: "This document does not exist, or it is not shared with you.",
  job_not_found: "This job does not exist, or it is not shared with you.",
  results_not_ready: "Results appear once processing has finished.",
  file_missing: "The original file is missing.",
  grant_not_found: "That person had no access to remove.",
  not_found: "Not found.",
  job_active: "This job is still running; cancel it first or wait for it to end.",
  job_finished: "This job has already ended.",
  dependency_not_done: "An earlier step has not finished yet; retry that one first.",
  document_busy: "This document is being processed; wait for that to finish, or cancel its jobs, and try again.",
  job_superseded: "A newer run of this document has replaced that job; the list now shows the one to retry.",
  input_missing: "That step needs what an earlier step makes, which this document does not have yet; process it again from the start.",
  empty_file: "The file is empty.",
  invalid_filename: "The file name is not allowed.",
  multiple_files: "Send one file per upload.",
  malformed_multipart: "The upload was malformed; please try again.",
  incomplete_upload: "The upload was interrupted; please try again.",
  invalid_cursor: "That page of the list is no longer valid; start again from the first page.",
  invalid_user_id: "That user id is not valid.",
  empty_query: "Type something to search for.",
  empty_question: "Type a question to ask.",
  no_documents: "Choose at least one document to ask, or ask all your documents.",
  conversation_not_found: "This conversation does not exist any more; start a new one.",
  answer_interrupted: "The answer was cut off before it was complete, so it was not kept. Please ask again.",
  answer_unreadable: "The answer could not be read. Please ask again.",
  expires_in_past: "That expiry is already past; choose a later one.",
  api_key_not_found: "That key does not exist any more; it may have been revoked already.",
  webhook_not_found: "That webhook endpoint does not exist any more; it may have been deleted.",
  webhook_disabled: "The endpoint is disabled; enable it first.",
  delivery_not_found: "That delivery is no longer in the log.",
  delivery_in_flight: "That delivery is being sent right now; look again in a moment.",
  unsupported_file_type: "That type of file is not allowed. Upload PDF, PNG, JPEG, TIFF, DOCX or plain text.",
  multipart_required: "That type of file is not allowed. Upload PDF, PNG, JPEG, TIFF, DOCX or plain text.",
  extension_mismatch: "That file is not allowed: its name says one type but its content is another (for example a PDF named .png).",
  polyglot_file: "That file is not allowed: it reads as more than one type at once.",
  corrupt_file: "The file is damaged and cannot be read.",
  encrypted_pdf: "The PDF is password-protected. Remove the password and upload it again.",
  too_many_pages: "The document has too many pages.",
  image_too_large: "The image is too large (too many pixels).",
  decompression_bomb: "The file expands to far more than its size, so it was refused.",
  idempotency_key_reused: "This upload was already sent with different content.",
  not_a_zip: "That file is not a ZIP archive, though its name says it is.",
  corrupt_archive: "The ZIP archive is damaged and cannot be read.",
  empty_archive: "The ZIP archive holds no files.",
  archive_use_batches: "That is a ZIP archive; drop it on the documents page to upload each file inside.",
  batch_not_found: "This batch does not exist, or it is not yours.",
  validation_error: "Some of what was sent is not valid.",
  database_unavailable: "The service is briefly unavailable.",
  storage_unavailable: "File storage is briefly unavailable.",
  auth_unavailable: "Sign-in is briefly unavailable.",
  // Why a job failed (error.code on a job).
  ocr_rejected: "The text recognition service refused this document.",
  ocr_auth_failed: "The text recognition service refused our credentials.",
  ocr_document_too_large: "The document is too large for the text recognition service.",
  ocr_too_many_pages: "The document has too many pages for the text recognition service.",
  ocr_rate_limited: "The text recognition service is busy.",
  ocr_service_unavailable: "The text recognition service is unavailable.",
  provider_auth_failed: "The AI service refused our credentials.",
  provider_rejected_input: "The AI service refused this document's text.",
  provider_not_found: "The configured AI model does not exist.",
  provider_rate_limited: "The AI service is busy.",
  provider_unavailable: "The AI service is unavailable.",
  provider_invalid_response: "The AI service sent an answer we could not read.",
  ai_refused: "The AI model refused to analyse this document.",
  ai_output_truncated: "The AI model's answer was cut short.",
  ai_content_filtered: "The AI service's content filter blocked this document.",
  ai_invalid_output: "The AI model's answer was not in the expected form.",
};

/** One sentence a person understands for a failure, never a raw code. */
export function problemMessage(error: unknown): string {
  if (!(error instanceof ApiError)) {
    return error instanceof Error && error.message ? error.message : "Something went wrong. Please try again.";
  }
  const { code, problem, status, retryAfter } = error;
  switch (code) {
    case "file_too_large": {
      const limit = typeof problem.max_bytes === "number" ? ` (the limit is ${formatBytes(problem.max_bytes)})` : "";
      return `The file is too large${limit}.`;
    }
    case "too_many_requests":
      return `Too many requests. ${waitWords(retryAfter)}`;
    case "too_many_uploads":
      return `Too many uploads in a short time. ${waitWords(retryAfter)}`;
    case "upload_quota_exceeded":
      return `You have reached today's upload allowance. ${waitWords(retryAfter)}`;
    case "too_many_active_documents":
      return `Too many of your documents are still processing. ${waitWords(retryAfter)}`;
    case "too_many_questions":
      return `You are asking questions faster than allowed. ${waitWords(retryAfter)}`;
    // The limits are the server's: its own words say what they are.
    case "question_too_long":
      return problem.detail || "The question is too long.";
    case "too_many_documents":
      return problem.detail || "The question names too many documents.";
    // The archive's limits are the server's: its own words say what they are.
    case "archive_too_large":
    case "too_many_entries":
      return problem.detail || "The ZIP archive is too large.";
    case "too_many_api_keys":
      return problem.detail || "You have too many API keys; revoke one first.";
    case "too_many_webhooks":
      return problem.detail || "You have too many webhook endpoints; delete one first.";
    case "invalid_webhook_url":
      return problem.detail || "That webhook URL is not valid.";
    case "webhook_address_refused":
      return problem.detail || "Webhooks cannot be sent to that address.";
    case "validation_error": {
      const errors = Array.isArray(problem.errors) ? (problem.errors as { msg?: unknown }[]) : [];
      const first = errors.find((e) => typeof e.msg === "string");
      return first ? `Some of what was sent is not valid: ${String(first.msg)}.` : SENTENCES.validation_error!;
    }
  }
  const known = SENTENCES[code];
  if (known) {
    return status === 503 || status === 429 ? `${known} ${waitWords(retryAfter)}` : known;
  }
  if (status === 429) return `Too many requests. ${waitWords(retryAfter)}`;
  if (status >= 500) return `The server had a problem (${status}). Please try again.`;
  return problem.detail || problem.title || `The request failed (${status}).`;
}

/** Why a job failed, in words: our sentence for known codes, else the worker's own message. */
export function jobErrorMessage(error: { code: string; message: string }): string {
  return SENTENCES[error.code] ?? error.message ?? error.code;
}

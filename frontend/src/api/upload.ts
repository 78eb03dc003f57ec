/** Uploads go through XMLHttpRequest rather than fetch: only XHR reports upload progress. */
import { ApiError, parseRetryAfter, type Problem } from "./problem";
import type { DocumentOut } from "./types";

export interface UploadProgress {
  loaded: number;
  total: number;
  /** 0 to 1 */
  fraction: number;
}

export interface UploadOptions {
  url: string;
  file: File;
  token: string | null;
  idempotencyKey?: string;
  onProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
  /** Tests pass a stand-in for the browser's XMLHttpRequest. */
  createRequest?: () => XMLHttpRequest;
}

export interface UploadAnswer {
  document: DocumentOut;
  /** false: the same bytes (or key) were uploaded before and this is that document. */
  created: boolean;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export function uploadFile(options: UploadOptions): Promise<UploadAnswer> {
  return postFile<DocumentOut>(options).then(({ body, status }) => ({ document: body, created: status === 202 }));
}

/** POST one file as multipart field `file`; the answer's JSON body and status, or an ApiError. */
export function postFile<T>(options: UploadOptions): Promise<{ body: T; status: number }> {
  const { url, file, token, idempotencyKey, onProgress, signal } = options;
  const xhr = options.createRequest ? options.createRequest() : new XMLHttpRequest();
  return new Promise<{ body: T; status: number }>((resolve, reject) => {
    xhr.open("POST", url);
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    if (idempotencyKey) xhr.setRequestHeader("Idempotency-Key", idempotencyKey);
    xhr.setRequestHeader("Accept", "application/json");

    xhr.upload.onprogress = (event) => {
      const total = event.lengthComputable ? event.total : file.size;
      onProgress?.({ loaded: event.loaded, total, fraction: total > 0 ? Math.min(1, event.loaded / total) : 0 });
    };
    xhr.onload = () => {
      const body = parseJson(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300 && body && typeof body === "object") {
        onProgress?.({ loaded: file.size, total: file.size, fraction: 1 });
        resolve({ body: body as T, status: xhr.status });
        return;
      }
      const problem: Problem = body && typeof body === "object" ? (body as Problem) : { title: xhr.statusText };
      reject(new ApiError(xhr.status, problem, parseRetryAfter(xhr.getResponseHeader("Retry-After"), problem)));
    };
    xhr.onerror = () => reject(ApiError.network());
    xhr.onabort = () => reject(new DOMException("Upload cancelled", "AbortError"));
    signal?.addEventListener("abort", () => xhr.abort(), { once: true });

    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

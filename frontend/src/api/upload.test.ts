import { describe, expect, it } from "vitest";
import { ApiError } from "./problem";
import { FakeXhr } from "../test/fakeXhr";
import { uploadFile, type UploadProgress } from "./upload";

function start(file = new File(["%PDF-1.7 hello"], "invoice.pdf", { type: "application/pdf" })) {
  const xhr = new FakeXhr();
  const seen: UploadProgress[] = [];
  const result = uploadFile({
    url: "/api/v1/documents",
    file,
    token: "tok",
    idempotencyKey: "key-1",
    onProgress: (p) => seen.push(p),
    createRequest: () => xhr as unknown as XMLHttpRequest,
  });
  return { xhr, seen, result, file };
}

describe("uploadFile", () => {
  it("posts the file as multipart with the bearer token and Idempotency-Key, reporting progress", async () => {
    const { xhr, seen, result, file } = start();
    expect(xhr.method).toBe("POST");
    expect(xhr.url).toBe("/api/v1/documents");
    expect(xhr.headers.Authorization).toBe("Bearer tok");
    expect(xhr.headers["Idempotency-Key"]).toBe("key-1");
    expect(xhr.body).toBeInstanceOf(FormData);
    expect((xhr.body as FormData).get("file")).toBeInstanceOf(File);
    expect(((xhr.body as FormData).get("file") as File).name).toBe("invoice.pdf");

    xhr.progress(3, 12);
    xhr.progress(12, 12);
    xhr.answer(202, { id: "d1", filename: "invoice.pdf", status: "queued", jobs: [] });

    const answer = await result;
    expect(answer.created).toBe(true);
    expect(answer.document.id).toBe("d1");
    expect(seen.map((p) => p.fraction)).toEqual([0.25, 1, 1]);
    expect(seen.at(-1)).toEqual({ loaded: file.size, total: file.size, fraction: 1 });
  });

  it("says when the same file was uploaded before (200)", async () => {
    const { xhr, result } = start();
    xhr.answer(200, { id: "d0", filename: "invoice.pdf", status: "ready", jobs: [] });
    expect((await result).created).toBe(false);
  });

  it("turns a problem answer into an ApiError with its code and Retry-After", async () => {
    const { xhr, result } = start();
    xhr.answer(429, { code: "too_many_uploads", status: 429, title: "Slow down", retry_after: 20 }, { "Retry-After": "20" });
    await expect(result).rejects.toMatchObject({ status: 429, code: "too_many_uploads", retryAfter: 20 });
  });

  it("reports a network failure as the server being unreachable", async () => {
    const { xhr, result } = start();
    xhr.onerror?.();
    const error = await result.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(0);
    expect((error as ApiError).code).toBe("network_error");
  });
});

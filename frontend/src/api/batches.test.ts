import { QueryClient } from "@tanstack/react-query";
import { afterEach, describe, expect, it, vi } from "vitest";
import { aBatch } from "../test/fakeBatches";
import { batchKeys, isArchive } from "./batches";
import { DocumentFollower, GATHER_MS } from "./follow";
import type { BatchOut } from "./types";

afterEach(() => vi.useRealTimers());

describe("isArchive", () => {
  it("knows a ZIP by its name or its type, whatever the case", () => {
    expect(isArchive(new File([], "March.ZIP"))).toBe(true);
    expect(isArchive(new File([], "archive", { type: "application/x-zip-compressed" }))).toBe(true);
    expect(isArchive(new File([], "letter.docx", { type: "application/vnd.openxmlformats-officedocument.wordprocessingml.document" }))).toBe(false);
    expect(isArchive(new File([], "zip.pdf", { type: "application/pdf" }))).toBe(false);
  });
});

describe("a batch followed by the live stream", () => {
  it("takes a document's new status in place, and is fetched again once the document is done", async () => {
    vi.useFakeTimers();
    const client = new QueryClient();
    const fetches = vi.fn(async () => aBatch() as unknown as BatchOut);
    client.setQueryData(batchKeys.one("batch-1"), aBatch());
    const query = client.getQueryCache().find({ queryKey: batchKeys.one("batch-1") })!;
    query.setOptions({ queryKey: batchKeys.one("batch-1"), queryFn: fetches });
    const follower = new DocumentFollower(client);

    follower.apply({ type: "document.changed", id: "1", data: { document_id: "doc-1", status: "processing", revision: 2 } } as never);
    const unchanged = client.getQueryData<BatchOut>(batchKeys.one("batch-1"));
    expect(unchanged).toEqual(aBatch());

    follower.apply({ type: "document.changed", id: "2", data: { document_id: "doc-2", status: "failed", revision: 3 } } as never);
    const shown = client.getQueryData<BatchOut>(batchKeys.one("batch-1"))!;
    expect(shown.documents.map((doc) => doc.status)).toEqual(["processing", "failed"]);
    await vi.advanceTimersByTimeAsync(GATHER_MS + 10);
    expect(client.getQueryState(batchKeys.one("batch-1"))?.isInvalidated).toBe(true);
    follower.stop();
  });
});

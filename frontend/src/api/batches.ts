/** ZIP batches: sending an archive, and following a batch and its documents (TanStack Query). */
import { keepPreviousData, useQuery, type QueryClient } from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { useLiveStream } from "./live";
import { listPollInterval } from "./polling";
import type { BatchOut } from "./types";
import { postFile, type UploadOptions } from "./upload";

export const batchKeys = {
  list: (cursor: string | null) => ["batches", "list", cursor] as const,
  one: (id: string) => ["batches", "one", id] as const,
};

const ZIP_TYPES = ["application/zip", "application/x-zip-compressed", "application/x-zip"];

/** A file the app sends to /api/v1/batches rather than as one document. */
export function isArchive(file: File): boolean {
  return /\.zip$/i.test(file.name) || ZIP_TYPES.includes(file.type);
}

export function uploadBatch(options: UploadOptions): Promise<BatchOut> {
  return postFile<BatchOut>(options).then(({ body }) => body);
}

export function seedBatch(client: QueryClient, batch: BatchOut): void {
  client.setQueryData<BatchOut>(batchKeys.one(batch.id), batch);
}

function isHidden(): boolean {
  return typeof document !== "undefined" && document.hidden;
}

/** One batch with its documents as they are now. While the live stream is open its events update the
 * documents' statuses in place (src/api/follow.ts); without it the batch is polled, as the documents
 * list is, while one of its documents is on its way. */
export function useBatch(id: string) {
  const live = useLiveStream();
  return useQuery({
    queryKey: batchKeys.one(id),
    queryFn: () => unwrap(api.GET("/api/v1/batches/{batch_id}", { params: { path: { batch_id: id } } })),
    refetchIntervalInBackground: true,
    refetchInterval: (query) =>
      live && !query.state.error
        ? false
        : listPollInterval({
            statuses: query.state.data?.documents.map((doc) => doc.status) ?? [],
            hidden: isHidden(),
            error: query.state.error,
          }),
  });
}

export function useBatchList(cursor: string | null) {
  return useQuery({
    queryKey: batchKeys.list(cursor),
    queryFn: () => unwrap(api.GET("/api/v1/batches", { params: { query: { limit: 20, cursor: cursor ?? undefined } } })),
    placeholderData: keepPreviousData,
  });
}

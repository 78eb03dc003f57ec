import { useQueryClient } from "@tanstack/react-query";
import { useCallback, useRef, useState } from "react";
import { isArchive, seedBatch, uploadBatch } from "../../api/batches";
import { apiUrl } from "../../api/client";
import { seedDocument } from "../../api/documents";
import { ApiError } from "../../api/problem";
import { getToken, reportSessionExpired } from "../../api/session";
import { uploadFile } from "../../api/upload";

export interface UploadItem {
  key: string;
  file: File;
  /** 0 to 1 */
  progress: number;
  state: "uploading" | "uploaded" | "failed";
  error: unknown;
  documentId: string | null;
  /** The same bytes were uploaded before; this is that document. */
  existing: boolean;
  /** A ZIP archive, sent as a batch: one document per file inside. */
  batchId: string | null;
}

function newKey(): string {
  // randomUUID needs a secure context; plain-http hosts other than localhost lack it.
  return typeof crypto.randomUUID === "function"
    ? crypto.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

/** The uploads of this visit, each with its own progress; a retried item keeps its Idempotency-Key,
 * so a retry after a lost answer cannot create the document twice. */
export function useUploads() {
  const client = useQueryClient();
  const [items, setItems] = useState<UploadItem[]>([]);
  const files = useRef(new Map<string, File>());

  const update = useCallback((key: string, change: Partial<UploadItem>) => {
    setItems((all) => all.map((item) => (item.key === key ? { ...item, ...change } : item)));
  }, []);

  const send = useCallback(
    async (key: string, file: File) => {
      update(key, { state: "uploading", progress: 0, error: null });
      try {
        if (isArchive(file)) {
          const batch = await uploadBatch({
            url: apiUrl("/api/v1/batches"),
            file,
            token: await getToken(),
            onProgress: ({ fraction }) => update(key, { progress: fraction }),
          });
          seedBatch(client, batch);
          update(key, { state: "uploaded", progress: 1, batchId: batch.id });
          void client.invalidateQueries({ queryKey: ["documents", "list"] });
          void client.invalidateQueries({ queryKey: ["batches", "list"] });
          return;
        }
        const answer = await uploadFile({
          url: apiUrl("/api/v1/documents"),
          file,
          token: await getToken(),
          idempotencyKey: key,
          onProgress: ({ fraction }) => update(key, { progress: fraction }),
        });
        seedDocument(client, answer.document);
        update(key, { state: "uploaded", progress: 1, documentId: answer.document.id, existing: !answer.created });
        void client.invalidateQueries({ queryKey: ["documents", "list"] });
      } catch (error) {
        // XHR bypasses the API client, so it says itself that the session is gone.
        if (error instanceof ApiError && error.isUnauthorized) reportSessionExpired();
        update(key, { state: "failed", error });
      }
    },
    [client, update],
  );

  const add = useCallback(
    (list: Iterable<File>) => {
      const added: UploadItem[] = Array.from(list, (file) => ({
        key: newKey(),
        file,
        progress: 0,
        state: "uploading",
        error: null,
        documentId: null,
        existing: false,
        batchId: null,
      }));
      for (const item of added) files.current.set(item.key, item.file);
      setItems((all) => [...added, ...all]);
      for (const item of added) void send(item.key, item.file);
    },
    [send],
  );

  const retry = useCallback(
    (key: string) => {
      const file = files.current.get(key);
      if (file) void send(key, file);
    },
    [send],
  );

  const dismiss = useCallback((key: string) => {
    files.current.delete(key);
    setItems((all) => all.filter((item) => item.key !== key));
  }, []);

  return { items, add, retry, dismiss };
}

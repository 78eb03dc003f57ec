/** Extraction schemas (the fields a user defines), running them on documents, the values found with
 * their evidence, a person's review of them, the review queue and the export. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, fetchBlob, unwrap } from "./client";
import type { ExtractionOut, FieldReviewIn, SchemaIn, SchemaList, SchemaOut, SchemaRunIn } from "./types";

export const extractionKeys = {
  schemas: ["schemas"] as const,
  list: ["schemas", "list"] as const,
  one: (id: string) => ["schemas", "one", id] as const,
  extractions: (documentId: string) => ["extractions", documentId] as const,
  reviews: ["reviews"] as const,
  pick: ["schemas", "documents-to-run"] as const,
};

export function useSchemas() {
  return useQuery({
    queryKey: extractionKeys.list,
    queryFn: () => unwrap(api.GET("/api/v1/schemas", { params: { query: { limit: 100 } } })),
  });
}

export function useSchema(id: string) {
  return useQuery({
    queryKey: extractionKeys.one(id),
    queryFn: () => unwrap(api.GET("/api/v1/schemas/{schema_id}", { params: { path: { schema_id: id } } })),
  });
}

export function useCreateSchema() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: SchemaIn) => unwrap(api.POST("/api/v1/schemas", { body })),
    onSuccess: (schema) => {
      client.setQueryData(extractionKeys.one(schema.id), schema);
      void client.invalidateQueries({ queryKey: extractionKeys.list });
    },
  });
}

export function useUpdateSchema(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: SchemaIn) =>
      unwrap(api.PUT("/api/v1/schemas/{schema_id}", { params: { path: { schema_id: id } }, body })),
    onSuccess: (schema: SchemaOut) => {
      client.setQueryData(extractionKeys.one(id), schema);
      void client.invalidateQueries({ queryKey: extractionKeys.list });
    },
  });
}

export function useDeleteSchema() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/v1/schemas/{schema_id}", { params: { path: { schema_id: id } } })),
    onSuccess: (_data, id) => {
      client.setQueryData<SchemaList>(extractionKeys.list, (list) =>
        list ? { ...list, items: list.items.filter((item) => item.id !== id) } : list,
      );
      void client.invalidateQueries({ queryKey: extractionKeys.list });
      window.setTimeout(() => client.removeQueries({ queryKey: extractionKeys.one(id) }), 0);
    },
  });
}

/** The caller's documents to choose from when running a schema: the newest hundred. */
export function useDocumentsToRun() {
  return useQuery({
    queryKey: extractionKeys.pick,
    queryFn: () => unwrap(api.GET("/api/v1/documents", { params: { query: { limit: 100 } } })),
  });
}

export function useRunSchema(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: SchemaRunIn) =>
      unwrap(api.POST("/api/v1/schemas/{schema_id}/runs", { params: { path: { schema_id: id } }, body })),
    onSuccess: (_run, body) => {
      for (const documentId of body.document_ids ?? []) {
        void client.invalidateQueries({ queryKey: ["documents", "one", documentId] });
      }
    },
  });
}

export function useExtractions(documentId: string) {
  return useQuery({
    queryKey: extractionKeys.extractions(documentId),
    queryFn: () =>
      unwrap(api.GET("/api/v1/documents/{document_id}/extractions", { params: { path: { document_id: documentId } } })),
  });
}

/** The document's extraction for one schema as the server now has it. */
function putExtraction(client: ReturnType<typeof useQueryClient>, documentId: string, extraction: ExtractionOut) {
  client.setQueryData<{ items: ExtractionOut[] }>(extractionKeys.extractions(documentId), (list) =>
    list
      ? { ...list, items: list.items.map((item) => (item.schema_id === extraction.schema_id ? extraction : item)) }
      : list,
  );
  void client.invalidateQueries({ queryKey: extractionKeys.reviews });
}

export function useReviewField(documentId: string, schemaId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ name, body }: { name: string; body: FieldReviewIn }) =>
      unwrap(
        api.PATCH("/api/v1/documents/{document_id}/extractions/{schema_id}/fields/{field_name}", {
          params: { path: { document_id: documentId, schema_id: schemaId, field_name: name } },
          body,
        }),
      ),
    onSuccess: (extraction) => putExtraction(client, documentId, extraction),
  });
}

export function useMarkReviewed(documentId: string, schemaId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/v1/documents/{document_id}/extractions/{schema_id}/reviewed", {
          params: { path: { document_id: documentId, schema_id: schemaId } },
        }),
      ),
    onSuccess: (extraction) => putExtraction(client, documentId, extraction),
  });
}

export function useReviewQueue(schemaId: string | null, cursor: string | null) {
  return useQuery({
    queryKey: [...extractionKeys.reviews, schemaId ?? "all", cursor ?? ""],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/reviews", {
          params: { query: { limit: 50, schema_id: schemaId ?? undefined, cursor: cursor ?? undefined } },
        }),
      ),
  });
}

export type ExportFormat = "csv" | "jsonl" | "xlsx";

/** Save a schema's export. It needs the bearer token, so it is fetched and handed to the browser as a
 * blob, as a document's original is. */
export async function downloadExport(schemaId: string, format: ExportFormat, fallbackName: string): Promise<void> {
  const { blob, filename } = await fetchBlob(`/api/v1/schemas/${schemaId}/export?format=${format}`);
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement("a");
  anchor.href = url;
  anchor.download = filename ?? `${fallbackName}.${format}`;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

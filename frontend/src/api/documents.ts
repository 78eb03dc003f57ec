/** The queries and mutations of documents, jobs, pages, results and sharing (TanStack Query). */
import {
  keepPreviousData,
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type QueryClient,
} from "@tanstack/react-query";
import { api, unwrap } from "./client";
import { ApiError, toApiError } from "./problem";
import { listPollInterval, pollInterval } from "./polling";
import type { DocumentList, DocumentOut, GrantRole, SearchMode } from "./types";
import { listParams, type ListQuery } from "../features/documents/listQuery";

export const keys = {
  documents: ["documents"] as const,
  list: (query: ListQuery, cursor: string | null) => ["documents", "list", query, cursor] as const,
  document: (id: string) => ["documents", "one", id] as const,
  pages: (id: string) => ["documents", "one", id, "pages"] as const,
  results: (id: string) => ["documents", "one", id, "results"] as const,
  grants: (id: string) => ["documents", "one", id, "grants"] as const,
  search: (q: string, mode: SearchMode) => ["search", q, mode] as const,
};

/** A document as last seen, with the ETag that lets the next poll be answered by 304. */
export interface Tracked {
  document: DocumentOut;
  etag: string | null;
}

export async function fetchDocument(id: string, previous: Tracked | undefined): Promise<Tracked> {
  const headers = previous?.etag ? { "if-none-match": previous.etag } : undefined;
  let answer;
  try {
    answer = await api.GET("/api/v1/documents/{document_id}", { params: { path: { document_id: id }, header: headers } });
  } catch (cause) {
    throw ApiError.network(cause);
  }
  const { data, error, response } = answer;
  // 304: nothing changed; handing back the same object keeps every component as it is.
  if (response.status === 304 && previous) return previous;
  if (!response.ok || !data) throw toApiError(response, error);
  return { document: data, etag: response.headers.get("ETag") };
}

function isHidden(): boolean {
  return typeof document !== "undefined" && document.hidden;
}

/** One document, polled until it is terminal. */
export function useDocument(id: string, options: { enabled?: boolean } = {}) {
  const client = useQueryClient();
  return useQuery({
    queryKey: keys.document(id),
    queryFn: () => fetchDocument(id, client.getQueryData<Tracked>(keys.document(id))),
    enabled: options.enabled ?? true,
    // The poll itself is the retry; backing off is pollInterval's job.
    retry: false,
    refetchIntervalInBackground: true,
    refetchInterval: (query) =>
      pollInterval({ status: query.state.data?.document.status, hidden: isHidden(), error: query.state.error }),
  });
}

/** Seed the poll with the document an upload answered, so its pipeline shows at once. */
export function seedDocument(client: QueryClient, document: DocumentOut): void {
  client.setQueryData<Tracked>(keys.document(document.id), { document, etag: null });
}

/** One page of the list (keyset paging): only what is on screen is ever fetched or rendered. */
export function useDocumentList(query: ListQuery, cursor: string | null) {
  return useQuery({
    queryKey: keys.list(query, cursor),
    queryFn: () => unwrap(api.GET("/api/v1/documents", { params: { query: listParams(query, cursor) } })),
    placeholderData: keepPreviousData,
    refetchIntervalInBackground: true,
    refetchInterval: (q) =>
      listPollInterval({
        statuses: q.state.data?.items.map((doc) => doc.status) ?? [],
        hidden: isHidden(),
        error: q.state.error,
      }),
  });
}

export const PAGE_BATCH = 50;

export function usePages(id: string, enabled: boolean) {
  return useInfiniteQuery({
    queryKey: keys.pages(id),
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/v1/documents/{document_id}/pages", {
          params: {
            path: { document_id: id },
            query: { include: "lines", limit: PAGE_BATCH, cursor: pageParam ?? undefined },
          },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? null,
    enabled,
  });
}

export function useResults(id: string, enabled: boolean) {
  return useQuery({
    queryKey: keys.results(id),
    queryFn: () => unwrap(api.GET("/api/v1/documents/{document_id}/results", { params: { path: { document_id: id } } })),
    enabled,
    retry: (count, error) => !(error instanceof ApiError && error.status === 404) && count < 2,
  });
}

export function useGrants(id: string, enabled: boolean) {
  return useQuery({
    queryKey: keys.grants(id),
    queryFn: () => unwrap(api.GET("/api/v1/documents/{document_id}/grants", { params: { path: { document_id: id } } })),
    enabled,
  });
}

export function useSearch(q: string, mode: SearchMode) {
  return useQuery({
    queryKey: keys.search(q, mode),
    queryFn: () => unwrap(api.GET("/api/v1/search", { params: { query: { q, mode, limit: 20 } } })),
    enabled: q.trim().length > 0,
  });
}

/** Retry or cancel a job; the document's poll picks up what follows. */
export function useJobAction(documentId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: async ({ jobId, action }: { jobId: string; action: "retry" | "cancel" }) => {
      const params = { params: { path: { job_id: jobId } } };
      if (action === "retry") await unwrap(api.POST("/api/v1/jobs/{job_id}/retry", params));
      else await unwrap(api.POST("/api/v1/jobs/{job_id}/cancel", params));
    },
    onSettled: () => client.invalidateQueries({ queryKey: keys.document(documentId) }),
  });
}

export function useDeleteDocument() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.DELETE("/api/v1/documents/{document_id}", { params: { path: { document_id: id } } })),
    onSuccess: (_data, id) => {
      // Take it out of every cached page at once, so the list never shows it again, even briefly.
      client.setQueriesData<DocumentList>({ queryKey: ["documents", "list"] }, (page) =>
        page ? { ...page, items: page.items.filter((doc) => doc.id !== id) } : page,
      );
      void client.invalidateQueries({ queryKey: ["documents", "list"] });
      // After the page showing it has gone, so nothing polls a document that no longer exists.
      window.setTimeout(() => client.removeQueries({ queryKey: keys.document(id) }), 0);
    },
  });
}

export function useShare(documentId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: GrantRole }) =>
      unwrap(
        api.PUT("/api/v1/documents/{document_id}/grants/{user_id}", {
          params: { path: { document_id: documentId, user_id: userId } },
          body: { role },
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.grants(documentId) }),
  });
}

export function useUnshare(documentId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (userId: string) =>
      unwrap(
        api.DELETE("/api/v1/documents/{document_id}/grants/{user_id}", {
          params: { path: { document_id: documentId, user_id: userId } },
        }),
      ),
    onSuccess: () => client.invalidateQueries({ queryKey: keys.grants(documentId) }),
  });
}

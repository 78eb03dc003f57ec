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
import { useLiveStream } from "./live";
import { ApiError, toApiError } from "./problem";
import { listPollInterval, pollInterval } from "./polling";
import type { DocumentList, DocumentOut, DocumentStatus, GrantRole, JobOut, SearchMode } from "./types";
import { listParams, type ListQuery } from "../features/documents/listQuery";

export const keys = {
  documents: ["documents"] as const,
  list: (query: ListQuery, cursor: string | null) => ["documents", "list", query, cursor] as const,
  document: (id: string) => ["documents", "one", id] as const,
  // Keyed by the job whose outputs the document shows: a run that switches in new outputs moves the
  // key, so they are fetched anew, and until then the cached ones stay.
  pages: (id: string, outputJob: string) => ["documents", "one", id, "pages", outputJob] as const,
  results: (id: string, outputJob: string) => ["documents", "one", id, "results", outputJob] as const,
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

/** One document, polled until it is terminal; while the live stream is open, its events bring the
 * refetches instead (the poll comes back if a refetch fails, until one succeeds). */
export function useDocument(id: string, options: { enabled?: boolean } = {}) {
  const client = useQueryClient();
  const live = useLiveStream();
  return useQuery({
    queryKey: keys.document(id),
    queryFn: () => fetchDocument(id, client.getQueryData<Tracked>(keys.document(id))),
    enabled: options.enabled ?? true,
    // The poll itself is the retry; backing off is pollInterval's job.
    retry: false,
    refetchIntervalInBackground: true,
    refetchInterval: (query) =>
      live && !query.state.error
        ? false
        : pollInterval({ status: query.state.data?.document.status, hidden: isHidden(), error: query.state.error }),
  });
}

/** Seed the poll with the document an upload answered, so its pipeline shows at once. */
export function seedDocument(client: QueryClient, document: DocumentOut): void {
  client.setQueryData<Tracked>(keys.document(document.id), { document, etag: null });
}

/** Whether every cached page of the list that holds the document already shows it with this status. */
export function listsShow(client: QueryClient, id: string, status: DocumentStatus): boolean {
  const rows = client
    .getQueriesData<DocumentList>({ queryKey: ["documents", "list"] })
    .flatMap(([, page]) => page?.items.filter((doc) => doc.id === id) ?? []);
  return rows.length > 0 && rows.every((doc) => doc.status === status);
}

/** One page of the list (keyset paging): only what is on screen is ever fetched or rendered. It polls
 * while a row is on its way, unless the live stream brings the changes. */
export function useDocumentList(query: ListQuery, cursor: string | null) {
  const live = useLiveStream();
  return useQuery({
    queryKey: keys.list(query, cursor),
    queryFn: () => unwrap(api.GET("/api/v1/documents", { params: { query: listParams(query, cursor) } })),
    placeholderData: keepPreviousData,
    refetchIntervalInBackground: true,
    refetchInterval: (q) =>
      live && !q.state.error
        ? false
        : listPollInterval({
            statuses: q.state.data?.items.map((doc) => doc.status) ?? [],
            hidden: isHidden(),
            error: q.state.error,
          }),
  });
}

export const PAGE_BATCH = 50;

/** The text of the pages the job `outputJob` made; none is asked for until the document shows some. */
export function usePages(id: string, outputJob: string | undefined) {
  return useInfiniteQuery({
    queryKey: keys.pages(id, outputJob ?? ""),
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
    enabled: outputJob !== undefined,
    // A job's outputs never change once shown; new ones come under a new key.
    staleTime: Infinity,
  });
}

/** The AI results the job `outputJob` made. */
export function useResults(id: string, outputJob: string | undefined) {
  return useQuery({
    queryKey: keys.results(id, outputJob ?? ""),
    queryFn: () => unwrap(api.GET("/api/v1/documents/{document_id}/results", { params: { path: { document_id: id } } })),
    enabled: outputJob !== undefined,
    staleTime: Infinity,
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

/** The document as it was, with `job` in the place of the job it replaces (the same one, or the job of
 * its kind that a retry started in a new run). */
export function withJob(tracked: Tracked, job: JobOut): Tracked {
  const jobs = tracked.document.jobs;
  const at = jobs.findIndex((shown) => shown.id === job.id || shown.kind === job.kind);
  const next = at < 0 ? [...jobs, job] : jobs.map((shown, index) => (index === at ? job : shown));
  return { ...tracked, document: { ...tracked.document, jobs: next } };
}

/** Drop a poll still on its way: sent before the action, its answer would undo what the action said. */
function settleDocument(client: QueryClient, id: string) {
  return client.cancelQueries({ queryKey: keys.document(id), exact: true });
}

/** Re-fetch the document itself (not its pages, results or grants, which live under its key). */
function refreshDocument(client: QueryClient, id: string) {
  return client.invalidateQueries({ queryKey: keys.document(id), exact: true });
}

/** Retry or cancel a job. The answer goes into the job list at once (a retry may answer with a new job);
 * the refetch brings the rest of the run and the document's status, and with it the poll resumes. */
export function useJobAction(documentId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ jobId, action }: { jobId: string; action: "retry" | "cancel" }) => {
      const params = { params: { path: { job_id: jobId } } };
      return unwrap(
        action === "retry" ? api.POST("/api/v1/jobs/{job_id}/retry", params) : api.POST("/api/v1/jobs/{job_id}/cancel", params),
      );
    },
    onSuccess: async (job) => {
      await settleDocument(client, documentId);
      client.setQueryData<Tracked>(keys.document(documentId), (tracked) => (tracked ? withJob(tracked, job) : tracked));
    },
    onSettled: () => refreshDocument(client, documentId),
  });
}

/** Process the document again with its own pipeline. The answer is the document with its new run, which
 * restarts its poll; the outputs it shows stay until that run succeeds. */
export function useReprocess(documentId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/v1/documents/{document_id}/reprocess", { params: { path: { document_id: documentId } } })),
    onSuccess: async (document) => {
      await settleDocument(client, documentId);
      seedDocument(client, document);
      void client.invalidateQueries({ queryKey: ["documents", "list"] });
    },
    // Refused (busy, say): what the document is doing now explains why.
    onError: () => refreshDocument(client, documentId),
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

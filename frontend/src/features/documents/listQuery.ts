/** The documents list's filters live in the address (so they survive reloads and can be linked);
 * these functions turn the address into the API's query and back. */
import type { operations } from "../../api/schema";

type ApiQuery = NonNullable<operations["list_documents_api_v1_documents_get"]["parameters"]["query"]>;

export type Scope = NonNullable<ApiQuery["scope"]>;
export type Sort = NonNullable<ApiQuery["sort"]>;
export type StatusFilter = NonNullable<ApiQuery["status"]>;
export type TypeFilter = NonNullable<ApiQuery["type"]>;

export interface ListQuery {
  scope: Scope;
  sort: Sort;
  status: StatusFilter | null;
  type: TypeFilter | null;
  q: string;
  limit: number;
}

export const PAGE_SIZE = 25;

export const SCOPES: { value: Scope; label: string }[] = [
  { value: "all", label: "All" },
  { value: "owned", label: "Mine" },
  { value: "shared", label: "Shared with me" },
];

export const SORTS: { value: Sort; label: string }[] = [
  { value: "-created_at", label: "Newest first" },
  { value: "created_at", label: "Oldest first" },
  { value: "filename", label: "Name A–Z" },
  { value: "-filename", label: "Name Z–A" },
  { value: "-size", label: "Largest first" },
  { value: "size", label: "Smallest first" },
];

export const STATUSES: StatusFilter[] = ["queued", "processing", "ready", "failed", "cancelled"];

export const TYPES: { value: TypeFilter; label: string }[] = [
  { value: "pdf", label: "PDF" },
  { value: "image", label: "Image" },
  { value: "docx", label: "Word (DOCX)" },
  { value: "text", label: "Text" },
];

const DEFAULTS: ListQuery = { scope: "all", sort: "-created_at", status: null, type: null, q: "", limit: PAGE_SIZE };

function pick<T extends string>(value: string | null, allowed: readonly T[]): T | null {
  return value !== null && (allowed as readonly string[]).includes(value) ? (value as T) : null;
}

export function readListQuery(params: URLSearchParams): ListQuery {
  return {
    scope: pick(params.get("scope"), SCOPES.map((s) => s.value)) ?? DEFAULTS.scope,
    sort: pick(params.get("sort"), SORTS.map((s) => s.value)) ?? DEFAULTS.sort,
    status: pick(params.get("status"), STATUSES),
    type: pick(params.get("type"), TYPES.map((t) => t.value)),
    q: (params.get("q") ?? "").slice(0, 200),
    limit: PAGE_SIZE,
  };
}

/** The address for a query: defaults are left out, so the plain list is just "/". */
export function writeListQuery(query: ListQuery): URLSearchParams {
  const params = new URLSearchParams();
  if (query.scope !== DEFAULTS.scope) params.set("scope", query.scope);
  if (query.status) params.set("status", query.status);
  if (query.type) params.set("type", query.type);
  if (query.q.trim()) params.set("q", query.q.trim());
  if (query.sort !== DEFAULTS.sort) params.set("sort", query.sort);
  return params;
}

/** What GET /documents receives: empty filters are not sent at all. */
export function listParams(query: ListQuery, cursor: string | null): ApiQuery {
  const params: ApiQuery = { scope: query.scope, sort: query.sort, limit: query.limit };
  if (query.status) params.status = query.status;
  if (query.type) params.type = query.type;
  if (query.q.trim()) params.q = query.q.trim();
  if (cursor) params.cursor = cursor;
  return params;
}

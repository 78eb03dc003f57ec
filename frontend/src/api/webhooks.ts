/** Webhook endpoints and their delivery logs: the endpoints (never their secrets), a new endpoint or a
 * rotated secret (the secret shown once), a test event, the log of deliveries and redelivering one. */
import {
  useInfiniteQuery,
  useMutation,
  useQuery,
  useQueryClient,
  type InfiniteData,
  type QueryClient,
} from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { api, unwrap } from "./client";
import { ApiError } from "./problem";
import type {
  DeliveryOut,
  DeliveryPage,
  DeliveryStatus,
  WebhookIn,
  WebhookOut,
  WebhookPatch,
} from "./types";

export const webhookKeys = {
  all: ["webhooks"] as const,
  list: ["webhooks", "list"] as const,
  one: (id: string) => ["webhooks", "one", id] as const,
  deliveries: (id: string) => ["webhooks", "one", id, "deliveries"] as const,
  log: (id: string, status: DeliveryStatus | null) => ["webhooks", "one", id, "deliveries", status ?? "all"] as const,
  // Keyed by what the log row says about it, so a new attempt there fetches the detail again.
  delivery: (id: string, delivery: DeliveryOut) =>
    ["webhooks", "one", id, "delivery", delivery.id, delivery.status, delivery.attempts] as const,
};

type WebhookList = { items: WebhookOut[] };
type Log = InfiniteData<DeliveryPage, string | null>;

export const UNFINISHED_DELIVERY_STATUSES: readonly DeliveryStatus[] = ["pending", "sending", "retrying"];

export function isUnfinished(delivery: DeliveryOut): boolean {
  return UNFINISHED_DELIVERY_STATUSES.includes(delivery.status);
}

export function useWebhooks() {
  return useQuery({
    queryKey: webhookKeys.list,
    queryFn: () => unwrap(api.GET("/api/v1/webhooks")),
  });
}

/** The endpoints disabled after failed deliveries, which their owner should hear about on every page.
 * Checked when the app opens and again when the window regains focus once a few minutes have passed:
 * an endpoint is disabled only after a day of failures, so minutes late is soon enough. */
export function useWebhooksDisabledByFailures() {
  return useQuery({
    queryKey: webhookKeys.list,
    queryFn: () => unwrap(api.GET("/api/v1/webhooks")),
    staleTime: 5 * 60_000,
    refetchOnWindowFocus: true,
    // Nothing to tell when the list cannot be had; another page will say why.
    retry: false,
    select: disabledByFailures,
  });
}

function disabledByFailures(list: WebhookList): WebhookOut[] {
  return list.items.filter((endpoint) => !endpoint.enabled && endpoint.disabled_by === "failures");
}

export function useWebhook(id: string) {
  const client = useQueryClient();
  return useQuery({
    queryKey: webhookKeys.one(id),
    queryFn: () => unwrap(api.GET("/api/v1/webhooks/{webhook_id}", { params: { path: { webhook_id: id } } })),
    // Opened from the list: shown at once, and fetched again if the list is not fresh.
    initialData: () => client.getQueryData<WebhookList>(webhookKeys.list)?.items.find((endpoint) => endpoint.id === id),
    initialDataUpdatedAt: () => client.getQueryState(webhookKeys.list)?.dataUpdatedAt,
  });
}

/** The endpoint as the server now has it, in its own cache and in the list. */
function putEndpoint(client: QueryClient, endpoint: WebhookOut) {
  client.setQueryData(webhookKeys.one(endpoint.id), endpoint);
  client.setQueryData<WebhookList>(webhookKeys.list, (list) => {
    if (!list) return list;
    const known = list.items.some((item) => item.id === endpoint.id);
    return { ...list, items: known ? list.items.map((item) => (item.id === endpoint.id ? endpoint : item)) : [...list.items, endpoint] };
  });
}

/** The answer holds the secret: it goes to the caller to show once, and into no cache. */
export function useCreateWebhook() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: WebhookIn) => unwrap(api.POST("/api/v1/webhooks", { body })),
    // The mutation cache would otherwise keep the secret for minutes after the page is left.
    gcTime: 0,
    onSuccess: ({ secret: _secret, ...endpoint }) => {
      putEndpoint(client, endpoint);
      void client.invalidateQueries({ queryKey: webhookKeys.list });
    },
  });
}

export function useUpdateWebhook(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: WebhookPatch) =>
      unwrap(api.PATCH("/api/v1/webhooks/{webhook_id}", { params: { path: { webhook_id: id } }, body })),
    onSuccess: (endpoint, body) => {
      putEndpoint(client, endpoint);
      // Enabled again: the deliveries that waited are on their way.
      if (body.enabled) void client.invalidateQueries({ queryKey: webhookKeys.deliveries(id) });
    },
  });
}

export function useDeleteWebhook() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE("/api/v1/webhooks/{webhook_id}", { params: { path: { webhook_id: id } } })),
    onSuccess: (_data, id) => {
      client.setQueryData<WebhookList>(webhookKeys.list, (list) =>
        list ? { ...list, items: list.items.filter((item) => item.id !== id) } : list,
      );
      void client.invalidateQueries({ queryKey: webhookKeys.list });
      // After the page showing it has gone, so nothing asks for an endpoint that no longer exists.
      window.setTimeout(() => client.removeQueries({ queryKey: webhookKeys.one(id) }), 0);
    },
  });
}

/** The answer holds the new secret: shown once by the caller, kept in no cache. */
export function useRotateSecret(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/v1/webhooks/{webhook_id}/rotate-secret", { params: { path: { webhook_id: id } } })),
    gcTime: 0,
    onSuccess: ({ previous_secret_expires_at }) => {
      client.setQueryData<WebhookOut>(webhookKeys.one(id), (endpoint) =>
        endpoint ? { ...endpoint, previous_secret_expires_at } : endpoint,
      );
      void client.invalidateQueries({ queryKey: webhookKeys.one(id), exact: true });
      void client.invalidateQueries({ queryKey: webhookKeys.list });
    },
  });
}

/** Put a delivery the server just answered with into every cached log of its endpoint: in place if it
 * is there, else first in the unfiltered log (the newest delivery). */
function putDelivery(client: QueryClient, id: string, delivery: DeliveryOut) {
  client.setQueriesData<Log>({ queryKey: webhookKeys.deliveries(id) }, (log) => {
    if (!log) return log;
    const pages = log.pages.map((page) => ({
      ...page,
      items: page.items.map((item) => (item.id === delivery.id ? delivery : item)),
    }));
    return { ...log, pages };
  });
  client.setQueryData<Log>(webhookKeys.log(id, null), (log) => {
    const [first, ...rest] = log?.pages ?? [];
    if (!log || !first || log.pages.some((page) => page.items.some((item) => item.id === delivery.id))) return log;
    return { ...log, pages: [{ ...first, items: [delivery, ...first.items] }, ...rest] };
  });
}

export function useSendTest(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/webhooks/{webhook_id}/test", { params: { path: { webhook_id: id } } })),
    onSuccess: (delivery) => {
      putDelivery(client, id, delivery);
      void client.invalidateQueries({ queryKey: webhookKeys.deliveries(id) });
    },
    // Refused because the endpoint was disabled meanwhile, say: the page should show that.
    onError: () => client.invalidateQueries({ queryKey: webhookKeys.one(id), exact: true }),
  });
}

export function useRedeliver(id: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (deliveryId: string) =>
      unwrap(
        api.POST("/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", {
          params: { path: { webhook_id: id, delivery_id: deliveryId } },
        }),
      ),
    onSuccess: (delivery) => putDelivery(client, id, delivery),
    // Refused (being sent, or the endpoint disabled): the log and the endpoint say what is going on now.
    onSettled: () => {
      void client.invalidateQueries({ queryKey: webhookKeys.deliveries(id) });
      void client.invalidateQueries({ queryKey: webhookKeys.one(id), exact: true });
    },
  });
}

export const LOG_POLL_MS = 2000;
/** While the only unfinished deliveries wait for a retry minutes away. */
export const LOG_POLL_SLOW_MS = 30_000;
const RETRY_SOON_MS = 60_000;

/** How often the log is fetched again: every few seconds while a delivery is on its way, slowly while
 * the next retry is far off, never once every delivery shown is delivered or dead. */
export function logPollInterval(items: DeliveryOut[], error: unknown, now: number = Date.now()): number | false {
  if (error instanceof ApiError) {
    if (error.status === 0 || error.status === 429 || error.status >= 500) return LOG_POLL_SLOW_MS;
    return false;
  }
  const unfinished = items.filter(isUnfinished);
  if (unfinished.length === 0) return false;
  const soon = unfinished.some(
    (delivery) =>
      delivery.status !== "retrying" || !delivery.next_attempt_at || Date.parse(delivery.next_attempt_at) - now < RETRY_SOON_MS,
  );
  return soon ? LOG_POLL_MS : LOG_POLL_SLOW_MS;
}

export const LOG_PAGE_SIZE = 25;

/** An endpoint's deliveries, newest first, a page at a time ("load more"), optionally of one status. */
export function useDeliveries(id: string, status: DeliveryStatus | null) {
  const client = useQueryClient();
  const query = useInfiniteQuery({
    queryKey: webhookKeys.log(id, status),
    queryFn: ({ pageParam }) =>
      unwrap(
        api.GET("/api/v1/webhooks/{webhook_id}/deliveries", {
          params: {
            path: { webhook_id: id },
            query: { limit: LOG_PAGE_SIZE, cursor: pageParam ?? undefined, status: status ?? undefined },
          },
        }),
      ),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor ?? null,
    refetchInterval: (q) => logPollInterval(q.state.data?.pages.flatMap((page) => page.items) ?? [], q.state.error),
  });

  // A delivery that just died may have been the one that disabled its endpoint: the endpoint, and the
  // banner that tells of disabled endpoints, are fetched again.
  const seen = useRef(new Map<string, DeliveryStatus>());
  useEffect(() => {
    const items = query.data?.pages.flatMap((page) => page.items) ?? [];
    const died = items.some((item) => item.status === "dead" && seen.current.has(item.id) && seen.current.get(item.id) !== "dead");
    seen.current = new Map(items.map((item) => [item.id, item.status]));
    if (died) {
      void client.invalidateQueries({ queryKey: webhookKeys.one(id), exact: true });
      void client.invalidateQueries({ queryKey: webhookKeys.list });
    }
  }, [client, id, query.data]);

  return query;
}

/** A delivery with its payload and every attempt; fetched when shown, and again when its row changes. */
export function useDelivery(id: string, delivery: DeliveryOut) {
  return useQuery({
    queryKey: webhookKeys.delivery(id, delivery),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}", {
          params: { path: { webhook_id: id, delivery_id: delivery.id } },
        }),
      ),
    // While the next attempt's detail comes, the last one's stays on screen.
    placeholderData: (previous) => previous,
    staleTime: Infinity,
  });
}

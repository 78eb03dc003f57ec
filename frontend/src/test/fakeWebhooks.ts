/** The webhooks API of one user, kept in memory: endpoints, their deliveries and each delivery's
 * attempts, answering the way the real API does (newest deliveries first, keyset cursors, problems). */
import type { AttemptOut, DeliveryOut, DeliveryStatus, WebhookOut } from "../api/types";
import { fakeApi, json, NOW, problem } from "./fakeApi";

export const SECRET = "whsec_c2VjcmV0IGZvciB0aGUgbmlnaHRseSByZWNlaXZlciE=";
export const ROTATED = "whsec_bmV3IHNlY3JldCBmb3IgdGhlIHJlY2VpdmVyIHRvbyE=";
export const OWNER_REASON = "Disabled by its owner.";
export const FAILURE_REASON =
  "Disabled after 5 deliveries in a row failed every attempt. Fix the receiver, then enable the endpoint again; undelivered events can be redelivered.";

export function anEndpoint(extra: Partial<WebhookOut> = {}): WebhookOut {
  return {
    id: "wh-1",
    url: "https://hooks.example.com/workopti",
    description: "orders system",
    events: ["document.ready", "document.failed"],
    enabled: true,
    disabled_by: null,
    disabled_reason: null,
    dead_in_a_row: 0,
    disabled_at: null,
    previous_secret_expires_at: null,
    created_at: NOW,
    updated_at: NOW,
    ...extra,
  };
}

export function aDelivery(id: string, status: DeliveryStatus, extra: Partial<DeliveryOut> = {}): DeliveryOut {
  return {
    id,
    message_id: `msg_${id}`,
    event_type: "document.ready",
    status,
    attempts: status === "pending" ? 0 : 1,
    last_status_code: status === "delivered" ? 200 : status === "pending" ? null : 500,
    last_error: status === "delivered" || status === "pending" ? null : "HTTP 500",
    last_duration_ms: status === "pending" ? null : 42,
    last_attempt_at: status === "pending" ? null : NOW,
    next_attempt_at: status === "retrying" ? "2026-11-28T10:05:00Z" : null,
    delivered_at: status === "delivered" ? NOW : null,
    created_at: NOW,
    ...extra,
  };
}

export function anAttempt(attempt: number, statusCode: number | null, extra: Partial<AttemptOut> = {}): AttemptOut {
  return {
    attempt,
    status_code: statusCode,
    duration_ms: 42,
    error: statusCode === null ? "ConnectError: connection refused" : statusCode >= 300 ? `HTTP ${statusCode}` : null,
    response_body: statusCode === null ? "" : statusCode >= 300 ? "receiver broke" : "ok",
    created_at: NOW,
    ...extra,
  };
}

interface State {
  endpoints: WebhookOut[];
  deliveries: Record<string, DeliveryOut[]>;
  attempts: Record<string, AttemptOut[]>;
  /** Answers a test sets for a request (`METHOD /path`), used instead of the fake's own. */
  overrides: Record<string, () => Response>;
}

const ROUTES: [RegExp, string][] = [
  [/^\/api\/v1\/webhooks$/, "list"],
  [/^\/api\/v1\/webhooks\/([^/]+)$/, "one"],
  [/^\/api\/v1\/webhooks\/([^/]+)\/rotate-secret$/, "rotate"],
  [/^\/api\/v1\/webhooks\/([^/]+)\/test$/, "test"],
  [/^\/api\/v1\/webhooks\/([^/]+)\/deliveries$/, "deliveries"],
  [/^\/api\/v1\/webhooks\/([^/]+)\/deliveries\/([^/]+)$/, "delivery"],
  [/^\/api\/v1\/webhooks\/([^/]+)\/deliveries\/([^/]+)\/redeliver$/, "redeliver"],
];

export function webhooksApi(initial: Partial<Omit<State, "overrides">> = {}) {
  const state: State = {
    endpoints: initial.endpoints ?? [anEndpoint()],
    deliveries: initial.deliveries ?? {},
    attempts: initial.attempts ?? {},
    overrides: {},
  };
  let made = 0;

  const requests = fakeApi(async (request) => {
    const url = new URL(request.url);
    const key = `${request.method} ${url.pathname}`;
    const override = state.overrides[key];
    if (override) return override();
    const route = ROUTES.map(([pattern, name]) => [pattern.exec(url.pathname), name] as const).find(([match]) => match);
    if (!route) throw new Error(`unexpected ${key}`);
    const [match, name] = route;
    const endpoint = state.endpoints.find((e) => e.id === match![1]);
    if (name !== "list" && !endpoint) return problem(404, "webhook_not_found");
    const deliveries = endpoint ? (state.deliveries[endpoint.id] ??= []) : [];

    switch (`${request.method} ${name}`) {
      case "GET list":
        return json({ items: state.endpoints });
      case "POST list": {
        const body = (await request.json()) as { url: string; events: WebhookOut["events"]; description?: string };
        made += 1;
        const created = anEndpoint({ id: `wh-new-${made}`, url: body.url, events: body.events, description: body.description ?? "" });
        state.endpoints = [...state.endpoints, created];
        return json({ ...created, secret: SECRET }, { status: 201 });
      }
      case "GET one":
        return json(endpoint);
      case "PATCH one": {
        const body = (await request.json()) as Record<string, unknown>;
        const changed: WebhookOut = { ...endpoint!, ...body };
        if (body.enabled === false) Object.assign(changed, { disabled_by: "owner", disabled_reason: OWNER_REASON, disabled_at: NOW });
        if (body.enabled === true) Object.assign(changed, { disabled_by: null, disabled_reason: null, dead_in_a_row: 0, disabled_at: null });
        state.endpoints = state.endpoints.map((e) => (e.id === changed.id ? changed : e));
        return json(changed);
      }
      case "DELETE one":
        state.endpoints = state.endpoints.filter((e) => e.id !== endpoint!.id);
        return new Response(null, { status: 204 });
      case "POST rotate": {
        const expires = "2026-11-29T10:00:00Z";
        state.endpoints = state.endpoints.map((e) => (e.id === endpoint!.id ? { ...e, previous_secret_expires_at: expires } : e));
        return json({ secret: ROTATED, previous_secret_expires_at: expires });
      }
      case "POST test": {
        if (!endpoint!.enabled) return problem(409, "webhook_disabled");
        made += 1;
        const delivery = aDelivery(`test-${made}`, "pending", { event_type: "webhook.test", created_at: "2026-11-28T10:10:00Z" });
        deliveries.unshift(delivery);
        return json(delivery, { status: 202 });
      }
      case "GET deliveries": {
        const status = url.searchParams.get("status");
        const limit = Number(url.searchParams.get("limit") ?? 50);
        const cursor = url.searchParams.get("cursor");
        const matching = deliveries.filter((d) => !status || d.status === status);
        const start = cursor ? matching.findIndex((d) => d.id === cursor) + 1 : 0;
        const items = matching.slice(start, start + limit);
        const more = start + limit < matching.length;
        return json({ items, next_cursor: more ? items.at(-1)!.id : null });
      }
      case "GET delivery": {
        const delivery = deliveries.find((d) => d.id === match![2]);
        if (!delivery) return problem(404, "delivery_not_found");
        return json({
          ...delivery,
          payload: { type: delivery.event_type, timestamp: delivery.created_at, data: { document_id: "doc-1", status: "ready" } },
          attempt_log: state.attempts[delivery.id] ?? [],
        });
      }
      case "POST redeliver": {
        if (!endpoint!.enabled) return problem(409, "webhook_disabled");
        const at = deliveries.findIndex((d) => d.id === match![2]);
        if (at < 0) return problem(404, "delivery_not_found");
        if (deliveries[at]!.status === "sending") return problem(409, "delivery_in_flight");
        deliveries[at] = { ...deliveries[at]!, status: "pending", next_attempt_at: NOW };
        return json(deliveries[at], { status: 202 });
      }
    }
    throw new Error(`unexpected ${key}`);
  });
  return { requests, state };
}

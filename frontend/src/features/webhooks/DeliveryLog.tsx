import { useId, useState } from "react";
import { problemMessage } from "../../api/problem";
import type { DeliveryOut, DeliveryStatus } from "../../api/types";
import { useDeliveries, useDelivery, useRedeliver } from "../../api/webhooks";
import { ErrorMessage } from "../../components/ErrorMessage";
import { StatusBadge } from "../../components/StatusBadge";
import { formatDuration } from "../../components/format";
import { DELIVERY_STATUSES, formatMoment } from "./choices";

interface Props {
  endpointId: string;
  /** A disabled endpoint's deliveries cannot be redelivered until it is enabled. */
  enabled: boolean;
}

/** The endpoint's deliveries, newest first, a page at a time; each opens to its attempts and payload. */
export function DeliveryLog({ endpointId, enabled }: Props) {
  const [status, setStatus] = useState<DeliveryStatus | null>(null);
  const log = useDeliveries(endpointId, status);
  const redeliver = useRedeliver(endpointId);
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const [announcement, setAnnouncement] = useState("");
  const ids = { filter: useId(), legend: useId() };
  const items = log.data?.pages.flatMap((page) => page.items) ?? [];

  function toggle(id: string) {
    setOpen((current) => {
      const next = new Set(current);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  }

  function again(delivery: DeliveryOut) {
    redeliver.reset();
    redeliver.mutate(delivery.id, {
      onSuccess: () => setAnnouncement(`Sending ${delivery.event_type} of ${formatMoment(delivery.created_at)} again.`),
    });
  }

  return (
    <section aria-labelledby="deliveries-heading" className="delivery-log">
      <h2 id="deliveries-heading">Deliveries</h2>
      <div className="filters">
        <div className="field">
          <label htmlFor={ids.filter}>Status</label>
          <select
            id={ids.filter}
            value={status ?? ""}
            aria-describedby={ids.legend}
            onChange={(e) => setStatus((e.target.value || null) as DeliveryStatus | null)}
          >
            <option value="">All statuses</option>
            {DELIVERY_STATUSES.map((choice) => (
              <option key={choice.value} value={choice.value}>
                {choice.value}
              </option>
            ))}
          </select>
        </div>
        <p id={ids.legend} className="hint status-legend">
          {DELIVERY_STATUSES.map((choice, index) => (
            <span key={choice.value}>
              <strong>{choice.value}</strong>: {choice.explanation}
              {index < DELIVERY_STATUSES.length - 1 ? "; " : "."}
            </span>
          ))}
        </p>
      </div>
      {log.error && <ErrorMessage error={log.error} />}
      {log.isPending && <p role="status">Loading the deliveries…</p>}
      {log.data && items.length === 0 && (
        <p className="hint">{status ? `No ${status} deliveries.` : "No deliveries yet. Send a test event to see one here."}</p>
      )}
      {items.length > 0 && (
        <div className="table-wrap">
          <table aria-label="Deliveries">
            <thead>
              <tr>
                <th scope="col">Status</th>
                <th scope="col">Event</th>
                <th scope="col" className="num">
                  Attempts
                </th>
                <th scope="col">Response</th>
                <th scope="col" className="num">
                  Duration
                </th>
                <th scope="col">Time</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((delivery) => (
                <DeliveryRows
                  key={delivery.id}
                  endpointId={endpointId}
                  delivery={delivery}
                  open={open.has(delivery.id)}
                  onToggle={() => toggle(delivery.id)}
                  canRedeliver={enabled && delivery.status !== "sending"}
                  redelivering={redeliver.isPending && redeliver.variables === delivery.id}
                  onRedeliver={() => again(delivery)}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {redeliver.error && <p role="alert" className="error">{problemMessage(redeliver.error)}</p>}
      <p className="visually-hidden" aria-live="polite">
        {announcement}
      </p>
      {log.hasNextPage && (
        <div className="pager">
          <button type="button" className="secondary" disabled={log.isFetchingNextPage} onClick={() => void log.fetchNextPage()}>
            {log.isFetchingNextPage ? "Loading…" : "Load more"}
          </button>
        </div>
      )}
    </section>
  );
}

interface RowProps {
  endpointId: string;
  delivery: DeliveryOut;
  open: boolean;
  onToggle: () => void;
  canRedeliver: boolean;
  redelivering: boolean;
  onRedeliver: () => void;
}

function DeliveryRows({ endpointId, delivery, open, onToggle, canRedeliver, redelivering, onRedeliver }: RowProps) {
  const detailId = useId();
  const when = formatMoment(delivery.created_at);
  return (
    <>
      <tr className={`delivery delivery-${delivery.status}`}>
        <td>
          <StatusBadge status={delivery.status} />
          {delivery.status === "retrying" && delivery.next_attempt_at && (
            <>
              {" "}
              <span className="hint next-try">
                next try <time dateTime={delivery.next_attempt_at}>{new Date(delivery.next_attempt_at).toLocaleTimeString()}</time>
              </span>
            </>
          )}
        </td>
        <td>
          <code>{delivery.event_type}</code>
        </td>
        <td className="num">{delivery.attempts}</td>
        <td>
          {delivery.last_status_code ?? (delivery.last_error ? <span title={delivery.last_error}>no answer</span> : "–")}
        </td>
        <td className="num">{formatDuration(delivery.last_duration_ms)}</td>
        <td>
          <time dateTime={delivery.created_at}>{when}</time>
        </td>
        <td>
          <div className="row-actions">
            <button
              type="button"
              className="secondary"
              aria-expanded={open}
              aria-controls={open ? detailId : undefined}
              aria-label={`Details of ${delivery.event_type} at ${when}`}
              onClick={onToggle}
            >
              Details
            </button>
            <button
              type="button"
              className="secondary"
              disabled={!canRedeliver || redelivering}
              aria-label={`Redeliver ${delivery.event_type} of ${when}`}
              onClick={onRedeliver}
            >
              Redeliver
            </button>
          </div>
        </td>
      </tr>
      {open && (
        <tr className="delivery-detail-row">
          <td colSpan={7} id={detailId}>
            <DeliveryDetail endpointId={endpointId} delivery={delivery} />
          </td>
        </tr>
      )}
    </>
  );
}

/** What was sent and every attempt to send it, with what the receiver answered. */
function DeliveryDetail({ endpointId, delivery }: { endpointId: string; delivery: DeliveryOut }) {
  const detail = useDelivery(endpointId, delivery);
  const when = formatMoment(delivery.created_at);
  if (detail.error) return <ErrorMessage error={detail.error} />;
  if (!detail.data) return <p role="status">Loading the attempts…</p>;
  const { attempt_log: attempts, payload, message_id: messageId } = detail.data;
  return (
    <div className="delivery-detail">
      <p>
        <span className="hint">webhook-id</span> <code>{messageId}</code>
        {detail.data.delivered_at && (
          <>
            {" · "}delivered <time dateTime={detail.data.delivered_at}>{formatMoment(detail.data.delivered_at)}</time>
          </>
        )}
        {detail.data.next_attempt_at && detail.data.status !== "delivered" && (
          <>
            {" · "}next attempt <time dateTime={detail.data.next_attempt_at}>{formatMoment(detail.data.next_attempt_at)}</time>
          </>
        )}
      </p>
      <h3>Attempts</h3>
      {attempts.length === 0 ? (
        <p className="hint">No attempt yet.</p>
      ) : (
        <ol className="attempts" aria-label={`Attempts of ${delivery.event_type} at ${when}`}>
          {attempts.map((attempt) => (
            <li key={attempt.attempt} className={attempt.status_code !== null && attempt.status_code < 300 && attempt.status_code >= 200 ? "attempt attempt-ok" : "attempt attempt-failed"}>
              <span className="attempt-facts">
                Attempt {attempt.attempt}: {attempt.status_code !== null ? `HTTP ${attempt.status_code}` : "no answer"} in{" "}
                {formatDuration(attempt.duration_ms)}, <time dateTime={attempt.created_at}>{formatMoment(attempt.created_at)}</time>
              </span>
              {attempt.error && attempt.error !== `HTTP ${attempt.status_code}` && <span className="attempt-error">{attempt.error}</span>}
              {attempt.response_body && (
                <details>
                  <summary>Response body</summary>
                  <pre tabIndex={0}>{attempt.response_body}</pre>
                </details>
              )}
            </li>
          ))}
        </ol>
      )}
      <h3>Payload</h3>
      <pre className="payload" tabIndex={0}>
        {JSON.stringify(payload, null, 2)}
      </pre>
    </div>
  );
}

import type { WebhookOut } from "../../api/types";
import { StatusBadge } from "../../components/StatusBadge";
import { formatDate } from "../../components/format";

/** Enabled, or disabled with why and since when. */
export function EndpointState({ endpoint }: { endpoint: WebhookOut }) {
  if (endpoint.enabled) return <StatusBadge status="enabled" />;
  return (
    <>
      <StatusBadge status="disabled" />
      {endpoint.disabled_at && (
        <>
          {" "}
          <span className="hint">
            since <time dateTime={endpoint.disabled_at}>{formatDate(endpoint.disabled_at)}</time>
          </span>
        </>
      )}
      {endpoint.disabled_reason && <span className="disabled-reason">{endpoint.disabled_reason}</span>}
    </>
  );
}

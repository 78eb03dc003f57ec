import { useEffect, useState } from "react";
import { Link, useLocation } from "react-router";
import { useCreateWebhook, useWebhooks } from "../../api/webhooks";
import type { NewWebhookOut, WebhookOut } from "../../api/types";
import { ErrorMessage } from "../../components/ErrorMessage";
import { formatDate } from "../../components/format";
import { NewSecret } from "./NewSecret";
import { EndpointState } from "./EndpointState";
import { WebhookForm } from "./WebhookForm";
import "../../styles/webhooks.css";

export default function WebhooksPage() {
  const [created, setCreated] = useState<NewWebhookOut | null>(null);
  // After a new secret was put away, the form comes back with the focus in it.
  const [again, setAgain] = useState(false);
  // Said once arriving from an endpoint's page whose endpoint was just deleted.
  const deleted = (useLocation().state as { deleted?: string } | null)?.deleted;

  useEffect(() => {
    document.title = "Webhooks · WorkOpti";
  }, []);

  return (
    <>
      <h1>Webhooks</h1>
      <p className="lead">
        An endpoint receives a signed <code>POST</code> when one of your documents, or one shared with you, is ready,
        fails or is deleted. Each request carries <code>webhook-id</code>, <code>webhook-timestamp</code> and{" "}
        <code>webhook-signature</code> headers (Standard Webhooks), and is tried again for about a day while the
        receiver does not answer with a 2xx status.
      </p>
      <p className="visually-hidden" role="status">
        {deleted ? `Deleted the endpoint ${deleted}.` : ""}
      </p>
      {created ? (
        <NewSecret
          heading={`Endpoint added: ${created.url}`}
          secret={created.secret}
          onDone={() => {
            setCreated(null);
            setAgain(true);
          }}
        >
          <p>
            Then check it works: <Link to={`/webhooks/${created.id}`}>send a test event from its page</Link>.
          </p>
        </NewSecret>
      ) : (
        <CreateEndpoint onCreated={setCreated} focus={again} />
      )}
      <EndpointList />
    </>
  );
}

function CreateEndpoint({ onCreated, focus }: { onCreated: (created: NewWebhookOut) => void; focus: boolean }) {
  const create = useCreateWebhook();
  return (
    <section aria-labelledby="add-endpoint-heading" className="webhook-panel">
      <h2 id="add-endpoint-heading">Add an endpoint</h2>
      <WebhookForm
        submitLabel="Add endpoint"
        pending={create.isPending}
        error={create.error}
        focus={focus}
        onSubmit={(values) => {
          create.reset();
          create.mutate(values, { onSuccess: onCreated });
        }}
      />
    </section>
  );
}

/** Every endpoint, oldest first, each leading to its page and delivery log. */
function EndpointList() {
  const endpoints = useWebhooks();
  const items = endpoints.data?.items ?? [];
  return (
    <section aria-labelledby="endpoints-heading" className="endpoint-list">
      <h2 id="endpoints-heading">Your endpoints</h2>
      {endpoints.error && <ErrorMessage error={endpoints.error} />}
      {endpoints.isPending && <p role="status">Loading your endpoints…</p>}
      {endpoints.data && items.length === 0 && <p className="hint">No endpoints yet.</p>}
      {items.length > 0 && (
        <div className="table-wrap">
          <table aria-label="Webhook endpoints">
            <thead>
              <tr>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">State</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {items.map((endpoint) => (
                <EndpointRow key={endpoint.id} endpoint={endpoint} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function EndpointRow({ endpoint }: { endpoint: WebhookOut }) {
  return (
    <tr>
      <td>
        <Link to={`/webhooks/${endpoint.id}`} className="endpoint-url">
          {endpoint.url}
        </Link>
        {endpoint.description && <span className="hint endpoint-description">{endpoint.description}</span>}
      </td>
      <td>
        <ul className="event-tags" aria-label={`Events sent to ${endpoint.url}`}>
          {endpoint.events.map((event) => (
            <li key={event} className="tag">
              {event}
            </li>
          ))}
        </ul>
      </td>
      <td className="state-cell">
        <EndpointState endpoint={endpoint} />
      </td>
      <td>
        <time dateTime={endpoint.created_at}>{formatDate(endpoint.created_at)}</time>
      </td>
    </tr>
  );
}

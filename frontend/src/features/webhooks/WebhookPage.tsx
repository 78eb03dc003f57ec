import { useEffect, useId, useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { ApiError, problemMessage } from "../../api/problem";
import type { RotatedSecretOut, WebhookOut, WebhookPatch } from "../../api/types";
import {
  useDeleteWebhook,
  useRotateSecret,
  useSendTest,
  useUpdateWebhook,
  useWebhook,
} from "../../api/webhooks";
import { Dialog } from "../../components/Dialog";
import { ErrorMessage } from "../../components/ErrorMessage";
import { formatDate } from "../../components/format";
import { DeliveryLog } from "./DeliveryLog";
import { EndpointState } from "./EndpointState";
import { NewSecret } from "./NewSecret";
import { WebhookForm, type WebhookValues } from "./WebhookForm";
import "../../styles/webhooks.css";

/** One endpoint: what it is, what can be done with it, and its delivery log. */
export default function WebhookPage() {
  const { id = "" } = useParams();
  const endpoint = useWebhook(id);

  useEffect(() => {
    document.title = "Webhook endpoint · WorkOpti";
  }, []);

  if (endpoint.error && !endpoint.data) {
    const gone = endpoint.error instanceof ApiError && endpoint.error.status === 404;
    return (
      <>
        <p className="back-link">
          <Link to="/webhooks">Webhooks</Link>
        </p>
        <h1>{gone ? "Endpoint not found" : "Webhook endpoint"}</h1>
        <ErrorMessage error={endpoint.error} />
      </>
    );
  }
  if (!endpoint.data) return <p role="status">Loading the endpoint…</p>;

  return (
    <>
      <p className="back-link">
        <Link to="/webhooks">Webhooks</Link>
      </p>
      <h1 className="endpoint-heading">{endpoint.data.url}</h1>
      <Endpoint endpoint={endpoint.data} />
      <DeliveryLog endpointId={endpoint.data.id} enabled={endpoint.data.enabled} />
    </>
  );
}

function isFuture(iso: string | null): iso is string {
  return iso !== null && new Date(iso).getTime() > Date.now();
}

function Endpoint({ endpoint }: { endpoint: WebhookOut }) {
  const update = useUpdateWebhook(endpoint.id);
  const sendTest = useSendTest(endpoint.id);
  const [editing, setEditing] = useState(false);
  const [rotated, setRotated] = useState<RotatedSecretOut | null>(null);
  const [confirming, setConfirming] = useState<"rotate" | "delete" | null>(null);
  const [announcement, setAnnouncement] = useState("");
  const editButton = useRef<HTMLButtonElement>(null);
  const needsEnabled = useId();
  const failedOn = !endpoint.enabled && endpoint.disabled_by === "failures";

  function save(values: WebhookValues) {
    update.reset();
    const changes: WebhookPatch = {};
    if (values.url !== endpoint.url) changes.url = values.url;
    if (values.events.join() !== endpoint.events.join()) changes.events = values.events;
    if (values.description !== endpoint.description) changes.description = values.description;
    const done = () => {
      setEditing(false);
      window.setTimeout(() => editButton.current?.focus(), 0);
    };
    if (Object.keys(changes).length === 0) return done();
    update.mutate(changes, {
      onSuccess: () => {
        setAnnouncement("Changes saved.");
        done();
      },
    });
  }

  function setEnabled(enabled: boolean) {
    update.reset();
    update.mutate(
      { enabled },
      {
        onSuccess: () =>
          setAnnouncement(enabled ? "Endpoint enabled: deliveries that waited are being sent." : "Endpoint disabled."),
      },
    );
  }

  function test() {
    sendTest.reset();
    sendTest.mutate(undefined, { onSuccess: () => setAnnouncement("Test event queued: it is listed under Deliveries.") });
  }

  const failure = (editing ? null : update.error) ?? sendTest.error;

  return (
    <section aria-labelledby="endpoint-details-heading" className="webhook-panel endpoint-details">
      <h2 id="endpoint-details-heading">Endpoint</h2>
      {failedOn && (
        <p className="notice">
          No new events are sent to this endpoint while it is disabled. Deliveries that were waiting for a retry are
          sent once it is enabled again; dead ones can be redelivered from the log below.
        </p>
      )}
      {editing ? (
        <WebhookForm
          initial={{ url: endpoint.url, events: endpoint.events, description: endpoint.description }}
          submitLabel="Save changes"
          pending={update.isPending}
          error={update.error}
          focus
          onSubmit={save}
          onCancel={() => {
            update.reset();
            setEditing(false);
            window.setTimeout(() => editButton.current?.focus(), 0);
          }}
        />
      ) : (
        <dl className="endpoint-facts">
          <dt>State</dt>
          <dd className="state-cell">
            <EndpointState endpoint={endpoint} />
          </dd>
          <dt>Events</dt>
          <dd>
            <ul className="event-tags" aria-label="Events">
              {endpoint.events.map((event) => (
                <li key={event} className="tag">
                  {event}
                </li>
              ))}
            </ul>
          </dd>
          <dt>Description</dt>
          <dd>{endpoint.description || <span className="hint">None</span>}</dd>
          <dt>Created</dt>
          <dd>
            <time dateTime={endpoint.created_at}>{formatDate(endpoint.created_at)}</time>
          </dd>
          {isFuture(endpoint.previous_secret_expires_at) && (
            <>
              <dt>Previous secret</dt>
              <dd>
                signs too until{" "}
                <time dateTime={endpoint.previous_secret_expires_at}>{formatDate(endpoint.previous_secret_expires_at)}</time>
              </dd>
            </>
          )}
        </dl>
      )}
      {!editing && (
        <div className="endpoint-actions">
          <button
            type="button"
            onClick={test}
            disabled={!endpoint.enabled || sendTest.isPending}
            aria-describedby={endpoint.enabled ? undefined : needsEnabled}
          >
            Send test event
          </button>
          <button type="button" className="secondary" ref={editButton} onClick={() => setEditing(true)}>
            Edit
          </button>
          <button type="button" className="secondary" disabled={update.isPending} onClick={() => setEnabled(!endpoint.enabled)}>
            {endpoint.enabled ? "Disable" : "Enable"}
          </button>
          <button type="button" className="secondary" onClick={() => setConfirming("rotate")}>
            Rotate secret
          </button>
          <button type="button" className="danger" onClick={() => setConfirming("delete")}>
            Delete
          </button>
        </div>
      )}
      {!endpoint.enabled && !editing && (
        <p id={needsEnabled} className="hint">
          Enable the endpoint to send a test event or redeliver.
        </p>
      )}
      {failure && <ErrorMessage error={failure} />}
      <p className="visually-hidden" aria-live="polite">
        {announcement}
      </p>
      {rotated && (
        <NewSecret heading="New signing secret" secret={rotated.secret} onDone={() => setRotated(null)}>
          <p>
            {rotated.previous_secret_expires_at ? (
              <>
                The previous secret signs requests too until{" "}
                <time dateTime={rotated.previous_secret_expires_at}>{formatDate(rotated.previous_secret_expires_at)}</time>: switch
                your receiver to the new one before then.
              </>
            ) : (
              "The previous secret no longer signs requests: switch your receiver to the new one now."
            )}
          </p>
        </NewSecret>
      )}
      {confirming === "rotate" && (
        <RotateDialog
          endpoint={endpoint}
          onClose={() => setConfirming(null)}
          onRotated={(answer) => {
            setConfirming(null);
            setRotated(answer);
          }}
        />
      )}
      {confirming === "delete" && <DeleteDialog endpoint={endpoint} onClose={() => setConfirming(null)} />}
    </section>
  );
}

function RotateDialog({
  endpoint,
  onClose,
  onRotated,
}: {
  endpoint: WebhookOut;
  onClose: () => void;
  onRotated: (answer: RotatedSecretOut) => void;
}) {
  const rotate = useRotateSecret(endpoint.id);
  return (
    <Dialog title="Rotate the signing secret?" onClose={onClose}>
      <p>
        A new secret signs the requests to <code>{endpoint.url}</code> from now on; it is shown once. The current secret
        keeps signing them too for a while, so your receiver can switch over.
      </p>
      {rotate.error && <p role="alert" className="error">{problemMessage(rotate.error)}</p>}
      <div className="dialog-actions">
        <button type="button" className="secondary" onClick={onClose} data-autofocus>
          Cancel
        </button>
        <button type="button" disabled={rotate.isPending} onClick={() => rotate.mutate(undefined, { onSuccess: onRotated })}>
          Rotate secret
        </button>
      </div>
    </Dialog>
  );
}

function DeleteDialog({ endpoint, onClose }: { endpoint: WebhookOut; onClose: () => void }) {
  const remove = useDeleteWebhook();
  const navigate = useNavigate();
  return (
    <Dialog title="Delete this endpoint?" onClose={onClose}>
      <p>
        Nothing more is sent to <code>{endpoint.url}</code>, and its delivery log is deleted with it. This cannot be undone.
      </p>
      {remove.error && <p role="alert" className="error">{problemMessage(remove.error)}</p>}
      <div className="dialog-actions">
        <button type="button" className="secondary" onClick={onClose} data-autofocus>
          Cancel
        </button>
        <button
          type="button"
          className="danger"
          disabled={remove.isPending}
          onClick={() =>
            remove.mutate(endpoint.id, {
              onSuccess: () => navigate("/webhooks", { state: { deleted: endpoint.url } }),
            })
          }
        >
          Delete
        </button>
      </div>
    </Dialog>
  );
}

import { useEffect, useRef, useState } from "react";
import { useApiKeys, useRevokeApiKey } from "../../api/apiKeys";
import { problemMessage } from "../../api/problem";
import type { ApiKeyOut, NewApiKeyOut } from "../../api/types";
import { Dialog } from "../../components/Dialog";
import { ErrorMessage } from "../../components/ErrorMessage";
import { formatDate } from "../../components/format";
import { CreateKeyForm } from "./CreateKeyForm";
import { NewKey } from "./NewKey";
import "../../styles/apikeys.css";

export default function ApiKeysPage() {
  const [created, setCreated] = useState<NewApiKeyOut | null>(null);
  // After a new key was put away, the form comes back with the focus in it.
  const [again, setAgain] = useState(false);

  useEffect(() => {
    document.title = "API keys · WorkOpti";
  }, []);

  return (
    <>
      <h1>API keys</h1>
      <p className="lead">
        A key lets a program use WorkOpti as you, within the scopes you give it. The program sends it as{" "}
        <code>Authorization: Bearer wo_…</code>. Only a person signed in can make or revoke keys.
      </p>
      {created ? (
        <NewKey
          created={created}
          onDone={() => {
            setCreated(null);
            setAgain(true);
          }}
        />
      ) : (
        <CreateKeyForm onCreated={setCreated} focus={again} />
      )}
      <KeyList />
    </>
  );
}

function isPast(iso: string): boolean {
  return new Date(iso).getTime() <= Date.now();
}

/** The keys that still work, newest first, each revocable after confirming. */
function KeyList() {
  const keys = useApiKeys();
  const revoke = useRevokeApiKey();
  const [confirming, setConfirming] = useState<ApiKeyOut | null>(null);
  const [announcement, setAnnouncement] = useState("");
  const heading = useRef<HTMLHeadingElement>(null);
  const items = keys.data?.items ?? [];

  function close() {
    setConfirming(null);
    revoke.reset();
  }

  function confirmRevoke(key: ApiKeyOut) {
    revoke.mutate(key.id, {
      onSuccess: () => {
        setConfirming(null);
        setAnnouncement(`Revoked ${key.name}.`);
        // The button that opened the dialog went with its key.
        window.setTimeout(() => heading.current?.focus(), 0);
      },
    });
  }

  return (
    <section aria-labelledby="keys-heading" className="key-list">
      <h2 id="keys-heading" ref={heading} tabIndex={-1}>
        Your keys
      </h2>
      <p className="visually-hidden" aria-live="polite">
        {announcement}
      </p>
      {keys.error && <ErrorMessage error={keys.error} />}
      {keys.isPending && <p role="status">Loading your keys…</p>}
      {keys.data && items.length === 0 && <p className="hint">No keys yet.</p>}
      {items.length > 0 && (
        <div className="table-wrap">
          <table aria-label="API keys">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Scopes</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Last used</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((key) => (
                <tr key={key.id}>
                  <td>{key.name}</td>
                  <td>
                    <code>{key.prefix}…</code>
                  </td>
                  <td>
                    <ul className="scope-tags" aria-label={`Scopes of ${key.name}`}>
                      {key.scopes.map((scope) => (
                        <li key={scope} className="tag">
                          {scope}
                        </li>
                      ))}
                    </ul>
                  </td>
                  <td>
                    <time dateTime={key.created_at}>{formatDate(key.created_at)}</time>
                  </td>
                  <td>
                    {key.expires_at ? (
                      <>
                        <time dateTime={key.expires_at}>{formatDate(key.expires_at)}</time>
                        {isPast(key.expires_at) && <span className="status status-failed expired">expired</span>}
                      </>
                    ) : (
                      "Never"
                    )}
                  </td>
                  <td>{key.last_used_at ? <time dateTime={key.last_used_at}>{formatDate(key.last_used_at)}</time> : "Never used"}</td>
                  <td>
                    <button
                      type="button"
                      className="secondary"
                      aria-label={`Revoke ${key.name} (${key.prefix}…)`}
                      onClick={() => setConfirming(key)}
                    >
                      Revoke
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {confirming && (
        <Dialog title={`Revoke ${confirming.name}?`} onClose={close}>
          <p>
            Programs using the key <code>{confirming.prefix}…</code> stop working at once. This cannot be undone.
          </p>
          {revoke.error && <p role="alert" className="error">{problemMessage(revoke.error)}</p>}
          <div className="dialog-actions">
            <button type="button" className="secondary" onClick={close} data-autofocus>
              Cancel
            </button>
            <button type="button" className="danger" disabled={revoke.isPending} onClick={() => confirmRevoke(confirming)}>
              Revoke
            </button>
          </div>
        </Dialog>
      )}
    </section>
  );
}

import { useId, useState, type FormEvent } from "react";
import { useGrants, useShare, useUnshare } from "../../api/documents";
import { problemMessage } from "../../api/problem";
import type { GrantRole } from "../../api/types";
import { ErrorMessage } from "../../components/ErrorMessage";

const ROLES: { value: GrantRole; label: string }[] = [
  { value: "viewer", label: "viewer (can read)" },
  { value: "editor", label: "editor (can also process it again, retry and cancel jobs)" },
];

/** Who else may read this document (owner only). */
export function Sharing({ documentId }: { documentId: string }) {
  const grants = useGrants(documentId, true);
  const share = useShare(documentId);
  const unshare = useUnshare(documentId);
  const [userId, setUserId] = useState("");
  const [role, setRole] = useState<GrantRole>("viewer");
  const [announcement, setAnnouncement] = useState("");
  const ids = { user: useId(), role: useId() };

  function submit(event: FormEvent) {
    event.preventDefault();
    const target = userId.trim();
    if (!target) return;
    share.mutate(
      { userId: target, role },
      {
        onSuccess: () => {
          setUserId("");
          setAnnouncement(`Shared with ${target} as ${role}.`);
        },
      },
    );
  }

  const failure = share.error ?? unshare.error;

  return (
    <section aria-labelledby="sharing-heading" className="sharing">
      <h2 id="sharing-heading">Sharing</h2>
      <form onSubmit={submit} className="share-form">
        <div className="field">
          <label htmlFor={ids.user}>Share with user</label>
          <input id={ids.user} value={userId} maxLength={128} onChange={(e) => setUserId(e.target.value)} placeholder="user id" />
        </div>
        <div className="field">
          <label htmlFor={ids.role}>Role</label>
          <select id={ids.role} value={role} onChange={(e) => setRole(e.target.value as GrantRole)}>
            {ROLES.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" disabled={share.isPending || !userId.trim()}>
          Share
        </button>
      </form>
      {failure && <p role="alert" className="error">{problemMessage(failure)}</p>}
      <p className="visually-hidden" aria-live="polite">
        {announcement}
      </p>
      {grants.error && <ErrorMessage error={grants.error} />}
      {grants.data && grants.data.items.length === 0 && <p className="hint">Only you can see this document.</p>}
      {grants.data && grants.data.items.length > 0 && (
        <ul className="grants" aria-label="People with access">
          {grants.data.items.map((grant, index) => (
            <li key={grant.user_id}>
              <span className="grant-user">
                {grant.user_id}
                {grant.name && grant.name !== grant.user_id && <span className="hint"> ({grant.name})</span>}
              </span>{" "}
              <span className="grant-role">{grant.role}</span>
              <label className="visually-hidden" htmlFor={`${ids.role}-${index}`}>
                Access for {grant.user_id}
              </label>
              <select
                id={`${ids.role}-${index}`}
                value={grant.role}
                disabled={share.isPending}
                onChange={(e) => {
                  const next = e.target.value as GrantRole;
                  share.mutate({ userId: grant.user_id, role: next }, { onSuccess: () => setAnnouncement(`${grant.user_id} is now ${next}.`) });
                }}
              >
                {ROLES.map((r) => (
                  <option key={r.value} value={r.value}>
                    {r.value}
                  </option>
                ))}
              </select>
              <button
                type="button"
                className="secondary"
                disabled={unshare.isPending}
                onClick={() => unshare.mutate(grant.user_id, { onSuccess: () => setAnnouncement(`Stopped sharing with ${grant.user_id}.`) })}
              >
                Remove {grant.user_id}
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

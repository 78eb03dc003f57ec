import { useId, useState, type FormEvent } from "react";
import { problemMessage } from "../api/problem";
import { ErrorMessage } from "../components/ErrorMessage";
import { recentUsers } from "./devSession";
import "../styles/signin.css";

interface Props {
  onSignIn: (userId: string, name: string | null) => Promise<void>;
  notice: string | null;
}

export function DevSignIn({ onSignIn, notice }: Props) {
  const [userId, setUserId] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const recent = recentUsers();
  const userField = useId();
  const nameField = useId();

  async function signIn(id: string) {
    const trimmed = id.trim();
    if (!trimmed) {
      setError("Type a user id, for example alice.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await onSignIn(trimmed, name.trim() || null);
    } catch (failure) {
      setError(problemMessage(failure));
      setBusy(false);
    }
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    void signIn(userId);
  }

  return (
    <main className="signin" id="main">
      <h1>WorkOpti</h1>
      <p className="signin-lead">
        Local sign-in: pick any user id. Each browser tab keeps its own user, so sharing can be tried
        with two tabs or two browsers.
      </p>
      {notice && <p role="alert" className="notice">{notice}</p>}
      <form onSubmit={submit} className="signin-form" aria-label="Sign in">
        <label htmlFor={userField}>User ID</label>
        <input
          id={userField}
          name="user_id"
          autoComplete="username"
          value={userId}
          maxLength={128}
          onChange={(e) => setUserId(e.target.value)}
          autoFocus
        />
        <label htmlFor={nameField}>Display name (optional)</label>
        <input id={nameField} name="name" value={name} maxLength={255} onChange={(e) => setName(e.target.value)} />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
      </form>
      {error && <ErrorMessage message={error} />}
      {recent.length > 0 && (
        <section aria-labelledby="recent-users" className="signin-recent">
          <h2 id="recent-users">Recent users</h2>
          <ul role="list" aria-labelledby="recent-users">
            {recent.map((id) => (
              <li key={id}>
                <button type="button" className="secondary" disabled={busy} onClick={() => void signIn(id)}>
                  {id}
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
    </main>
  );
}

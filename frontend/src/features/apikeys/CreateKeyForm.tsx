import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { useCreateApiKey } from "../../api/apiKeys";
import { problemMessage } from "../../api/problem";
import type { ApiKeyScope, NewApiKeyOut } from "../../api/types";
import { dayOf, EXPIRIES, expiresAt, SCOPES, type Expiry } from "./choices";

interface Props {
  onCreated: (created: NewApiKeyOut) => void;
  /** Put the focus in the form as it appears. */
  focus: boolean;
}

/** A new key: its name, what it may do, and how long it lasts. */
export function CreateKeyForm({ onCreated, focus }: Props) {
  const create = useCreateApiKey();
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<ApiKeyScope[]>([]);
  const [expiry, setExpiry] = useState<Expiry>("never");
  const [day, setDay] = useState("");
  const [mistake, setMistake] = useState<string | null>(null);
  const nameField = useRef<HTMLInputElement>(null);
  const ids = { name: useId(), nameHint: useId(), scope: useId(), expiry: useId(), day: useId() };

  useEffect(() => {
    if (focus) nameField.current?.focus();
  }, [focus]);

  function toggle(scope: ApiKeyScope, on: boolean) {
    setScopes((current) => (on ? [...current, scope] : current.filter((s) => s !== scope)));
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    create.reset();
    const trimmed = name.trim();
    const until = expiresAt(expiry, day);
    const problem = !trimmed
      ? "Give the key a name."
      : scopes.length === 0
        ? "Choose at least one scope."
        : until === undefined
          ? "Choose the day the key stops working."
          : null;
    setMistake(problem);
    if (problem || until === undefined) return;
    // In the order the form lists them.
    const chosen = SCOPES.map((s) => s.value).filter((s) => scopes.includes(s));
    create.mutate({ name: trimmed, scopes: chosen, expires_at: until }, { onSuccess: onCreated });
  }

  const failure = mistake ?? (create.error ? problemMessage(create.error) : null);

  return (
    <section aria-labelledby="create-key-heading" className="key-form">
      <h2 id="create-key-heading">Create a key</h2>
      <form onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={ids.name}>Name</label>
          <input
            id={ids.name}
            ref={nameField}
            value={name}
            maxLength={100}
            required
            aria-describedby={ids.nameHint}
            onChange={(e) => setName(e.target.value)}
          />
          <span id={ids.nameHint} className="hint">
            What the key is for, such as “nightly import”.
          </span>
        </div>
        <fieldset className="scopes">
          <legend>Scopes</legend>
          {SCOPES.map((scope, index) => (
            <div key={scope.value} className="scope-option">
              <input
                id={`${ids.scope}-${index}`}
                type="checkbox"
                checked={scopes.includes(scope.value)}
                aria-describedby={`${ids.scope}-${index}-hint`}
                onChange={(e) => toggle(scope.value, e.target.checked)}
              />
              <label htmlFor={`${ids.scope}-${index}`}>{scope.value}</label>
              <span id={`${ids.scope}-${index}-hint`} className="hint">
                {scope.explanation}
              </span>
            </div>
          ))}
        </fieldset>
        <div className="expiry">
          <div className="field">
            <label htmlFor={ids.expiry}>Expires</label>
            <select id={ids.expiry} value={expiry} onChange={(e) => setExpiry(e.target.value as Expiry)}>
              {EXPIRIES.map((choice) => (
                <option key={choice.value} value={choice.value}>
                  {choice.label}
                </option>
              ))}
            </select>
          </div>
          {expiry === "date" && (
            <div className="field">
              <label htmlFor={ids.day}>Last day it works</label>
              <input id={ids.day} type="date" value={day} min={dayOf(new Date())} onChange={(e) => setDay(e.target.value)} />
            </div>
          )}
        </div>
        <button type="submit" disabled={create.isPending}>
          Create key
        </button>
      </form>
      {failure && (
        <p role="alert" className="error">
          {failure}
        </p>
      )}
    </section>
  );
}

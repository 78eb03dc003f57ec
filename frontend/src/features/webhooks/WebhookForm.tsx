import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import type { WebhookEvent } from "../../api/types";
import { EVENTS, fieldProblem, formMistake, type WebhookField } from "./choices";

export interface WebhookValues {
  url: string;
  events: WebhookEvent[];
  description: string;
}

interface Props {
  initial?: WebhookValues;
  submitLabel: string;
  pending: boolean;
  /** The server's refusal of the last submit, if it refused. */
  error: unknown;
  onSubmit: (values: WebhookValues) => void;
  onCancel?: () => void;
  /** Put the focus in the form as it appears. */
  focus: boolean;
}

const EMPTY: WebhookValues = { url: "", events: [], description: "" };

/** An endpoint's URL, the events it receives and what it is for: to add one, or to change one. */
export function WebhookForm({ initial = EMPTY, submitLabel, pending, error, onSubmit, onCancel, focus }: Props) {
  const [url, setUrl] = useState(initial.url);
  const [events, setEvents] = useState<WebhookEvent[]>(initial.events);
  const [description, setDescription] = useState(initial.description);
  const [mistake, setMistake] = useState<{ field: WebhookField | null; message: string } | null>(null);
  const urlField = useRef<HTMLInputElement>(null);
  const ids = { url: useId(), urlHint: useId(), event: useId(), description: useId(), problem: useId() };

  useEffect(() => {
    if (focus) urlField.current?.focus();
  }, [focus]);

  function toggle(event: WebhookEvent, on: boolean) {
    setEvents((current) => (on ? [...current, event] : current.filter((e) => e !== event)));
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    const trimmed = url.trim();
    const found = formMistake(trimmed, events);
    setMistake(found);
    if (found) return;
    // In the order the form lists them.
    const chosen = EVENTS.map((e) => e.value).filter((e) => events.includes(e));
    onSubmit({ url: trimmed, events: chosen, description: description.trim() });
  }

  const failure = mistake ?? (error ? fieldProblem(error) : null);
  const invalid = (field: WebhookField) => failure?.field === field;
  const describedBy = (field: WebhookField, hint?: string) =>
    [hint, invalid(field) ? ids.problem : undefined].filter(Boolean).join(" ") || undefined;

  return (
    <form onSubmit={submit} noValidate className="webhook-form">
      <div className="field url-field">
        <label htmlFor={ids.url}>URL</label>
        <input
          id={ids.url}
          ref={urlField}
          type="url"
          inputMode="url"
          value={url}
          maxLength={2048}
          required
          spellCheck={false}
          autoComplete="off"
          aria-invalid={invalid("url") || undefined}
          aria-describedby={describedBy("url", ids.urlHint)}
          onChange={(e) => setUrl(e.target.value)}
        />
        <span id={ids.urlHint} className="hint">
          Where WorkOpti sends a signed <code>POST</code> for each event, such as https://example.com/hooks/workopti.
        </span>
      </div>
      <fieldset className="events" aria-describedby={describedBy("events")}>
        <legend>Events</legend>
        {EVENTS.map((choice, index) => (
          <div key={choice.value} className="event-option">
            <input
              id={`${ids.event}-${index}`}
              type="checkbox"
              checked={events.includes(choice.value)}
              aria-describedby={`${ids.event}-${index}-hint`}
              onChange={(e) => toggle(choice.value, e.target.checked)}
            />
            <label htmlFor={`${ids.event}-${index}`}>{choice.value}</label>
            <span id={`${ids.event}-${index}-hint`} className="hint">
              {choice.explanation}
            </span>
          </div>
        ))}
      </fieldset>
      <div className="field description-field">
        <label htmlFor={ids.description}>Description (optional)</label>
        <input
          id={ids.description}
          value={description}
          maxLength={500}
          aria-invalid={invalid("description") || undefined}
          aria-describedby={describedBy("description")}
          onChange={(e) => setDescription(e.target.value)}
        />
      </div>
      <div className="form-actions">
        <button type="submit" disabled={pending}>
          {submitLabel}
        </button>
        {onCancel && (
          <button type="button" className="secondary" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
      {failure && (
        <p id={ids.problem} role="alert" className="error">
          {failure.message}
        </p>
      )}
    </form>
  );
}

import { problemMessage } from "../api/problem";

/** A failure in words, announced at once to screen readers. */
export function ErrorMessage({ error, message }: { error?: unknown; message?: string }) {
  const text = message ?? problemMessage(error);
  return (
    <p role="alert" className="error">
      {text}
    </p>
  );
}

import { useEffect, useId, useRef, useState } from "react";
import type { NewApiKeyOut } from "../../api/types";

/** The key just made, shown this once: the API keeps only its hash and cannot show it again. */
export function NewKey({ created, onDone }: { created: NewApiKeyOut; onDone: () => void }) {
  const region = useRef<HTMLElement>(null);
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  const ids = { heading: useId(), key: useId(), warning: useId() };

  // Whoever made the key is taken to it at once.
  useEffect(() => region.current?.focus(), []);

  async function copy() {
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied("yes");
    } catch {
      // No clipboard for the page (a plain-http host, say): the key is selected to copy by hand.
      field.current?.select();
      setCopied("no");
    }
  }

  return (
    <section ref={region} tabIndex={-1} aria-labelledby={ids.heading} className="new-key">
      <h2 id={ids.heading}>Your new key: {created.name}</h2>
      <p id={ids.warning} className="notice">
        <strong>Copy this key now: it will not be shown again.</strong> WorkOpti keeps only a fingerprint of it. If it is
        lost, revoke it and create another.
      </p>
      <div className="key-copy">
        <label htmlFor={ids.key}>Key</label>
        <input
          id={ids.key}
          ref={field}
          readOnly
          value={created.key}
          spellCheck={false}
          autoComplete="off"
          aria-describedby={ids.warning}
          onFocus={(e) => e.target.select()}
        />
        <button type="button" onClick={() => void copy()}>
          Copy
        </button>
      </div>
      <p aria-live="polite" className="hint">
        {copied === "yes" && "Copied to the clipboard."}
        {copied === "no" && "The browser did not allow copying: the key is selected, so press Ctrl+C (⌘C on a Mac)."}
      </p>
      <button type="button" className="secondary" onClick={onDone}>
        Done
      </button>
    </section>
  );
}

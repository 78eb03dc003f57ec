import { useEffect, useId, useRef, useState, type ReactNode } from "react";

interface Props {
  heading: string;
  secret: string;
  /** What else the owner should know, such as how long the previous secret still signs. */
  children?: ReactNode;
  onDone: () => void;
}

/** A signing secret, shown this once: the API gives it out only when it is made. */
export function NewSecret({ heading, secret, children, onDone }: Props) {
  const region = useRef<HTMLElement>(null);
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  const ids = { heading: useId(), secret: useId(), warning: useId() };

  // Whoever asked for the secret is taken to it at once.
  useEffect(() => region.current?.focus(), []);

  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied("yes");
    } catch {
      // No clipboard for the page (a plain-http host, say): the secret is selected to copy by hand.
      field.current?.select();
      setCopied("no");
    }
  }

  return (
    <section ref={region} tabIndex={-1} aria-labelledby={ids.heading} className="new-secret">
      <h2 id={ids.heading}>{heading}</h2>
      <p id={ids.warning} className="notice">
        <strong>Copy this signing secret now: it will not be shown again.</strong> Your receiver uses it to check the{" "}
        <code>webhook-signature</code> of each request. If it is lost, rotate the secret to get a new one.
      </p>
      {children}
      <div className="secret-copy">
        <label htmlFor={ids.secret}>Signing secret</label>
        <input
          id={ids.secret}
          ref={field}
          readOnly
          value={secret}
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
        {copied === "no" && "The browser did not allow copying: the secret is selected, so press Ctrl+C (⌘C on a Mac)."}
      </p>
      <button type="button" className="secondary" onClick={onDone}>
        Done
      </button>
    </section>
  );
}

import { useEffect, useId, useRef, useState, type ReactNode } from "react";
import "../styles/shown-once.css";

interface Props {
  heading: string;
  /** What the value is, as its field is labelled: "Key", "Signing secret". */
  label: string;
  value: string;
  /** Why it must be copied now and what to do if it is lost; the page reads it with the field. */
  warning: ReactNode;
  /** Anything else worth knowing beside it, such as how long a previous secret still signs. */
  children?: ReactNode;
  onDone: () => void;
}

/** A secret the API gives out only when it is made (an API key, a signing secret), shown this once,
 * with a way to copy it that still works where the page may not use the clipboard. */
export function ShownOnce({ heading, label, value, warning, children, onDone }: Props) {
  const region = useRef<HTMLElement>(null);
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<"yes" | "no" | null>(null);
  const ids = { heading: useId(), value: useId(), warning: useId() };

  // Whoever asked for it is taken to it at once.
  useEffect(() => region.current?.focus(), []);

  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setCopied("yes");
    } catch {
      // No clipboard for the page (a plain-http host, say): the value is selected to copy by hand.
      field.current?.select();
      setCopied("no");
    }
  }

  return (
    <section ref={region} tabIndex={-1} aria-labelledby={ids.heading} className="shown-once">
      <h2 id={ids.heading}>{heading}</h2>
      <p id={ids.warning} className="notice">
        {warning}
      </p>
      {children}
      <div className="shown-once-copy">
        <label htmlFor={ids.value}>{label}</label>
        <input
          id={ids.value}
          ref={field}
          readOnly
          value={value}
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
        {copied === "no" &&
          `The browser did not allow copying: the ${label.toLowerCase()} is selected, so press Ctrl+C (⌘C on a Mac).`}
      </p>
      <button type="button" className="secondary" onClick={onDone}>
        Done
      </button>
    </section>
  );
}

import type { ReactNode } from "react";
import { ShownOnce } from "../../components/ShownOnce";

interface Props {
  heading: string;
  secret: string;
  /** What else the owner should know, such as how long the previous secret still signs. */
  children?: ReactNode;
  onDone: () => void;
}

/** A signing secret, shown this once: the API gives it out only when it is made. */
export function NewSecret({ heading, secret, children, onDone }: Props) {
  return (
    <ShownOnce
      heading={heading}
      label="Signing secret"
      value={secret}
      onDone={onDone}
      warning={
        <>
          <strong>Copy this signing secret now: it will not be shown again.</strong> Your receiver uses it to check the{" "}
          <code>webhook-signature</code> of each request. If it is lost, rotate the secret to get a new one.
        </>
      }
    >
      {children}
    </ShownOnce>
  );
}

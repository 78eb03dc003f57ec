import type { NewApiKeyOut } from "../../api/types";
import { ShownOnce } from "../../components/ShownOnce";

/** The key just made, shown this once: the API keeps only its hash and cannot show it again. */
export function NewKey({ created, onDone }: { created: NewApiKeyOut; onDone: () => void }) {
  return (
    <ShownOnce
      heading={`Your new key: ${created.name}`}
      label="Key"
      value={created.key}
      onDone={onDone}
      warning={
        <>
          <strong>Copy this key now: it will not be shown again.</strong> WorkOpti keeps only a fingerprint of it. If it
          is lost, revoke it and create another.
        </>
      }
    />
  );
}

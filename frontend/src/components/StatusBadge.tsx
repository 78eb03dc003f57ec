/** A status, coloured by what it means; the word is the API's own unless a label is given. */
export function StatusBadge({ status, label }: { status: string; label?: string }) {
  return <span className={`status status-${status}`}>{label ?? status}</span>;
}

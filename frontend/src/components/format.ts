export { formatBytes } from "../api/problem";

/** A duration a person reads at a glance: 850 ms, 4.2 s, 3 min 5 s. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  const rest = Math.round(seconds % 60);
  return rest ? `${minutes} min ${rest} s` : `${minutes} min`;
}

/** How long a job waited in its queue: the server's figure, else started minus queued. */
export function waitedMs(job: { wait_ms?: number | null; queued_at: string | null; started_at: string | null }): number | null {
  if (job.wait_ms !== null && job.wait_ms !== undefined) return job.wait_ms;
  if (!job.queued_at || !job.started_at) return null;
  return Math.max(0, Date.parse(job.started_at) - Date.parse(job.queued_at));
}

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function formatDate(iso: string): string {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : dateFormat.format(date);
}

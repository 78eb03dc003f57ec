import { jobErrorMessage, problemMessage } from "../api/problem";
import { useJobAction } from "../api/documents";
import { ACTIVE_JOB_STATUSES, RETRYABLE_JOB_STATUSES, type JobOut } from "../api/types";
import { formatDuration, waitedMs } from "./format";
import { StatusBadge } from "./StatusBadge";
import "../styles/jobs.css";

interface Props {
  documentId: string;
  jobs: JobOut[];
  /** Viewers see the pipeline but may not retry or cancel it. */
  canAct: boolean;
  /** Names the list; several pipelines can share a page (the uploads). */
  label?: string;
}

/** A job's status in words; "in queue" keeps a job's state apart from its document's "queued". */
const JOB_STATUS_WORDS: Record<JobOut["status"], string> = {
  waiting: "waiting",
  queued: "in queue",
  running: "running",
  retrying: "retrying",
  succeeded: "succeeded",
  failed: "failed",
  cancelled: "cancelled",
};

/** A document's pipeline: one row per job with its status, attempts, error, waited and ran. */
export function JobList({ documentId, jobs, canAct, label = "Jobs" }: Props) {
  const action = useJobAction(documentId);
  return (
    <>
      <ol className="jobs" aria-label={label}>
        {jobs.map((job) => {
          const canRetry = RETRYABLE_JOB_STATUSES.includes(job.status);
          const canCancel = ACTIVE_JOB_STATUSES.includes(job.status);
          const busy = action.isPending && action.variables?.jobId === job.id;
          return (
            <li key={job.id} className={`job job-${job.status}`}>
              <span className="job-kind">{job.kind}</span> <StatusBadge status={job.status} label={JOB_STATUS_WORDS[job.status]} />
              {job.status === "running" && job.progress > 0 && job.progress < 1 && (
                <progress className="job-progress" max={1} value={job.progress} aria-label={`${job.kind} progress`} />
              )}
              <span className="job-facts">
                attempt {job.attempts} of {job.max_attempts} · queue time {formatDuration(waitedMs(job))} · run time{" "}
                {formatDuration(job.run_ms)}
                {job.status === "retrying" && job.next_attempt_at && (
                  <> · next try at {new Date(job.next_attempt_at).toLocaleTimeString()}</>
                )}
              </span>
              {job.error && <span className="job-error">{jobErrorMessage(job.error)}</span>}
              {canAct && (canRetry || canCancel) && (
                <span className="job-actions">
                  {canRetry && (
                    <button type="button" className="secondary" disabled={busy} onClick={() => action.mutate({ jobId: job.id, action: "retry" })}>
                      Retry {job.kind}
                    </button>
                  )}
                  {canCancel && (
                    <button type="button" className="secondary" disabled={busy} onClick={() => action.mutate({ jobId: job.id, action: "cancel" })}>
                      Cancel {job.kind}
                    </button>
                  )}
                </span>
              )}
            </li>
          );
        })}
      </ol>
      {action.error && <p role="alert" className="error">{problemMessage(action.error)}</p>}
    </>
  );
}

import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type DragEvent } from "react";
import { Link } from "react-router";
import { listsShow, useDocument } from "../../api/documents";
import { ApiError, problemMessage } from "../../api/problem";
import { JobList } from "../../components/JobList";
import { BatchView } from "../batches/BatchView";
import { StatusBadge } from "../../components/StatusBadge";
import { formatBytes } from "../../components/format";
import { useUploads, type UploadItem } from "./useUploads";
import "../../styles/upload.css";

const ACCEPT =
  ".pdf,.png,.jpg,.jpeg,.tif,.tiff,.docx,.txt,.zip,application/pdf,image/png,image/jpeg,image/tiff,text/plain,application/zip";

export function UploadPanel() {
  const { items, add, retry, dismiss } = useUploads();
  const [dragging, setDragging] = useState(false);
  const headingId = useId();
  const inputId = useId();

  function onDrop(event: DragEvent) {
    event.preventDefault();
    setDragging(false);
    if (event.dataTransfer.files.length) add(event.dataTransfer.files);
  }

  return (
    // The whole region takes drops, so a file let go anywhere over it is not opened by the browser instead.
    <section
      aria-labelledby={headingId}
      className="upload"
      onDragEnter={(event) => {
        event.preventDefault();
        setDragging(true);
      }}
      onDragOver={(event) => {
        event.preventDefault();
        event.dataTransfer.dropEffect = "copy";
        setDragging(true);
      }}
      onDragLeave={(event) => {
        if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={onDrop}
    >
      <h2 id={headingId}>Upload documents</h2>
      <div className={`dropzone${dragging ? " dragging" : ""}`}>
        {/* The whole zone is the input's label: a click, Enter or Space on it opens the file picker. */}
        <input
          id={inputId}
          type="file"
          multiple
          accept={ACCEPT}
          aria-label="Choose files"
          className="visually-hidden-input"
          onChange={(event) => {
            if (event.target.files?.length) add(event.target.files);
            event.target.value = "";
          }}
        />
        <label htmlFor={inputId} className="dropzone-label">
          <strong>Drop files here</strong> or <span className="link-like">choose files</span>
          <span className="hint">PDF, PNG, JPEG, TIFF, DOCX or text; many at once. A ZIP archive becomes one document per file inside.</span>
        </label>
      </div>
      {items.length > 0 && (
        <ul className="uploads" aria-label="Uploads">
          {items.map((item) => (
            <UploadRow key={item.key} item={item} onRetry={() => retry(item.key)} onDismiss={() => dismiss(item.key)} />
          ))}
        </ul>
      )}
    </section>
  );
}

/** Worth trying again as it is: no answer, throttled, or the server briefly unwell. */
function isTransient(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 0 || error.status === 429 || error.status >= 500);
}

function UploadRow({ item, onRetry, onDismiss }: { item: UploadItem; onRetry: () => void; onDismiss: () => void }) {
  const name = item.file.name;
  return (
    <li className={`upload-item upload-${item.state}`}>
      <div className="upload-head">
        {item.documentId || item.batchId ? (
          <Link to={item.batchId ? `/batches/${item.batchId}` : `/documents/${item.documentId}`} className="upload-name">
            {name}
          </Link>
        ) : (
          <span className="upload-name">{name}</span>
        )}
        <span className="upload-size">{formatBytes(item.file.size)}</span>
        <progress max={1} value={item.progress} aria-label={`Uploading ${name}`} />
        <span className="upload-percent" aria-hidden="true">
          {Math.round(item.progress * 100)}%
        </span>
      </div>
      {item.state === "failed" && (
        <div className="upload-failure">
          <p role="alert" className="error">
            {name}: {problemMessage(item.error)}
          </p>
          {isTransient(item.error) && (
            <button type="button" className="secondary" onClick={onRetry}>
              Try {name} again
            </button>
          )}
          <button type="button" className="secondary" onClick={onDismiss}>
            Dismiss {name}
          </button>
        </div>
      )}
      {item.documentId && <UploadPipeline id={item.documentId} name={name} existing={item.existing} />}
      {item.batchId && <BatchView id={item.batchId} />}
    </li>
  );
}

function UploadPipeline({ id, name, existing }: { id: string; name: string; existing: boolean }) {
  const { data, error } = useDocument(id);
  const client = useQueryClient();
  const status = data?.document.status;

  // The list below shows statuses too. The upload refreshed it; after that, refresh it when this
  // document moves on, unless it already shows where (the live stream updates its rows in place).
  const previous = useRef(status);
  useEffect(() => {
    const before = previous.current;
    previous.current = status;
    if (status && before && status !== before && !listsShow(client, id, status)) {
      void client.invalidateQueries({ queryKey: ["documents", "list"] });
    }
  }, [status, client, id]);

  return (
    <div className="upload-pipeline">
      <p className="upload-status" aria-live="polite">
        {existing && <span className="hint">Already uploaded before. </span>}
        {status && <StatusBadge status={status} />}
      </p>
      {data && (
        <JobList documentId={id} jobs={data.document.jobs} canAct={data.document.role !== "viewer"} label={`Pipeline of ${name}`} />
      )}
      {error && <p role="alert" className="error">{problemMessage(error)}</p>}
    </div>
  );
}

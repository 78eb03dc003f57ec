import { useEffect, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { useDeleteDocument, useDocument } from "../../api/documents";
import { ApiError, problemMessage } from "../../api/problem";
import type { DocumentOut } from "../../api/types";
import { Dialog } from "../../components/Dialog";
import { ErrorMessage } from "../../components/ErrorMessage";
import { JobList } from "../../components/JobList";
import { StatusBadge } from "../../components/StatusBadge";
import { formatBytes, formatDate } from "../../components/format";
import { downloadOriginal } from "./download";
import { OriginalView } from "./OriginalView";
import { PagesText } from "./PagesText";
import { ResultsView } from "./ResultsView";
import { Sharing } from "./Sharing";
import "../../styles/document.css";

export default function DocumentPage() {
  const { id = "" } = useParams();
  const { data, error } = useDocument(id);

  if (error && !data) {
    const gone = error instanceof ApiError && error.status === 404;
    return (
      <>
        <h1>{gone ? "Document not found" : "Document"}</h1>
        <ErrorMessage error={error} />
        <p>
          <Link to="/">Back to the documents</Link>
        </p>
      </>
    );
  }
  if (!data) return <p role="status">Loading the document…</p>;
  return <DocumentView document={data.document} pollError={error} />;
}

function jobSucceeded(doc: DocumentOut, kind: string): boolean {
  return doc.jobs.some((job) => job.kind === kind && job.status === "succeeded");
}

function DocumentView({ document: doc, pollError }: { document: DocumentOut; pollError: unknown }) {
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number.parseInt(params.get("page") ?? "1", 10) || 1);
  const navigate = useNavigate();
  const remove = useDeleteDocument();
  const [confirming, setConfirming] = useState(false);
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const isOwner = doc.role === "owner";

  useEffect(() => {
    document.title = `${doc.filename} · WorkOpti`;
  }, [doc.filename]);

  function selectPage(next: number) {
    setParams((current) => {
      const updated = new URLSearchParams(current);
      updated.set("page", String(next));
      return updated;
    }, { replace: true });
  }

  async function download() {
    setDownloadError(null);
    try {
      await downloadOriginal(doc.id, doc.filename);
    } catch (failure) {
      setDownloadError(failure);
    }
  }

  function confirmDelete() {
    remove.mutate(doc.id, { onSuccess: () => navigate("/", { replace: true }) });
  }

  return (
    <article className="document">
      <header className="document-head">
        <div>
          <h1>{doc.filename}</h1>
          <p className="document-status" aria-live="polite">
            Status: <StatusBadge status={doc.status} />
          </p>
          <p className="hint">
            {doc.content_type} · {formatBytes(doc.size_bytes)}
            {doc.page_count !== null && ` · ${doc.page_count} ${doc.page_count === 1 ? "page" : "pages"}`} · uploaded{" "}
            {formatDate(doc.created_at)} · your role: {doc.role}
          </p>
        </div>
        <div className="document-actions">
          <button type="button" onClick={() => void download()}>
            Download
          </button>
          {isOwner && (
            <button type="button" className="danger" onClick={() => setConfirming(true)}>
              Delete
            </button>
          )}
        </div>
      </header>
      {pollError !== null && pollError !== undefined && <ErrorMessage error={pollError} />}
      {downloadError !== null && <ErrorMessage error={downloadError} />}

      <div className="side-by-side">
        <section aria-labelledby="original-heading" className="original">
          <h2 id="original-heading">Original</h2>
          <OriginalView document={doc} page={page} onPage={selectPage} onDownload={() => void download()} />
        </section>
        <section aria-labelledby="text-heading" className="extracted">
          <h2 id="text-heading">Extracted text</h2>
          <PagesText documentId={doc.id} ready={jobSucceeded(doc, "extract")} selected={page} scroll={params.has("page")} onSelect={selectPage} />
        </section>
      </div>

      <ResultsView documentId={doc.id} ready={jobSucceeded(doc, "ai")} expected={doc.pipeline.includes("ai")} />

      <section aria-labelledby="jobs-heading" className="pipeline">
        <h2 id="jobs-heading">Pipeline</h2>
        <JobList documentId={doc.id} jobs={doc.jobs} canAct={doc.role !== "viewer"} />
      </section>

      {isOwner && <Sharing documentId={doc.id} />}

      {confirming && (
        <Dialog title={`Delete ${doc.filename}?`} onClose={() => setConfirming(false)}>
          <p>The document, its text, results and everyone's access to it are removed. This cannot be undone.</p>
          {remove.error && <p role="alert" className="error">{problemMessage(remove.error)}</p>}
          <div className="dialog-actions">
            <button type="button" className="secondary" onClick={() => setConfirming(false)} data-autofocus>
              Cancel
            </button>
            <button type="button" className="danger" disabled={remove.isPending} onClick={confirmDelete}>
              Delete
            </button>
          </div>
        </Dialog>
      )}
    </article>
  );
}

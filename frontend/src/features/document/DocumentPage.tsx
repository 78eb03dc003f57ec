import { useEffect, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { useDeleteDocument, useDocument, useReprocess } from "../../api/documents";
import { ApiError, problemMessage } from "../../api/problem";
import { isTerminal, type DocumentOut } from "../../api/types";
import { Dialog } from "../../components/Dialog";
import { ErrorMessage } from "../../components/ErrorMessage";
import { JobList } from "../../components/JobList";
import { StatusBadge } from "../../components/StatusBadge";
import { formatBytes, formatDate } from "../../components/format";
import { ExtractedFields } from "../extraction/ExtractedFields";
import { downloadOriginal } from "./download";
import { OriginalView } from "./OriginalView";
import { missingOutputs, runNote } from "./outputs";
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

function DocumentView({ document: doc, pollError }: { document: DocumentOut; pollError: unknown }) {
  const [params, setParams] = useSearchParams();
  const page = Math.max(1, Number.parseInt(params.get("page") ?? "1", 10) || 1);
  // A citation's words, to be marked on its page.
  const quote = params.get("quote");
  const navigate = useNavigate();
  const remove = useDeleteDocument();
  const reprocess = useReprocess(doc.id);
  const [confirming, setConfirming] = useState(false);
  const [downloadError, setDownloadError] = useState<unknown>(null);
  const isOwner = doc.role === "owner";
  const canEdit = doc.role !== "viewer";
  const outputs = doc.outputs ?? {};
  const note = runNote(doc);

  useEffect(() => {
    document.title = `${doc.filename} · WorkOpti`;
  }, [doc.filename]);

  function selectPage(next: number) {
    setParams((current) => {
      const updated = new URLSearchParams(current);
      // The quote belongs to the page it was cited on.
      if (current.get("page") !== String(next)) updated.delete("quote");
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
          <div aria-live="polite">
            <p className="document-status">
              Status: <StatusBadge status={doc.status} />
            </p>
            {note && <p className="run-note">{note}</p>}
          </div>
          <p className="hint">
            {doc.content_type} · {formatBytes(doc.size_bytes)}
            {doc.page_count !== null && ` · ${doc.page_count} ${doc.page_count === 1 ? "page" : "pages"}`} · uploaded{" "}
            {formatDate(doc.created_at)} · your role: {doc.role}
          </p>
        </div>
        <div className="document-actions">
          <Link to={`/ask?${new URLSearchParams({ document: doc.id })}`} className="button-link secondary">
            Ask this document
          </Link>
          <button type="button" onClick={() => void download()}>
            Download
          </button>
          {canEdit && (
            <button
              type="button"
              className="secondary"
              disabled={!isTerminal(doc.status) || reprocess.isPending}
              onClick={() => reprocess.mutate()}
            >
              Process again
            </button>
          )}
          {isOwner && (
            <button type="button" className="danger" onClick={() => setConfirming(true)}>
              Delete
            </button>
          )}
        </div>
      </header>
      {pollError !== null && pollError !== undefined && <ErrorMessage error={pollError} />}
      {downloadError !== null && <ErrorMessage error={downloadError} />}
      {reprocess.error && <p role="alert" className="error">{problemMessage(reprocess.error)}</p>}

      <div className="side-by-side">
        <section aria-labelledby="original-heading" className="original">
          <h2 id="original-heading">Original</h2>
          <OriginalView document={doc} page={page} onPage={selectPage} onDownload={() => void download()} />
        </section>
        <section aria-labelledby="text-heading" className="extracted">
          <h2 id="text-heading">Extracted text</h2>
          <PagesText
            documentId={doc.id}
            outputJob={outputs.extract}
            pending={missingOutputs(doc, "extract", "This document's pipeline does not extract text.")}
            selected={page}
            quote={quote}
            scroll={params.has("page")}
            onSelect={selectPage}
          />
        </section>
      </div>

      <ResultsView
        documentId={doc.id}
        outputJob={outputs.ai}
        pending={missingOutputs(doc, "ai", "This document's pipeline has no analysis step.")}
      />

      <ExtractedFields documentId={doc.id} canEdit={canEdit} jobs={doc.jobs} />

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

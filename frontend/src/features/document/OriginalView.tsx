import { useQuery } from "@tanstack/react-query";
import { lazy, Suspense, useEffect, useState } from "react";
import { fetchBlob } from "../../api/client";
import { keys } from "../../api/documents";
import type { DocumentOut } from "../../api/types";
import { ErrorMessage } from "../../components/ErrorMessage";

const PdfView = lazy(() => import("./PdfView"));

const IMAGE_TYPES = ["image/png", "image/jpeg"];

interface Props {
  document: DocumentOut;
  page: number;
  onPage: (page: number) => void;
  onDownload: () => void;
}

/** The original beside its text: PDFs through pdf.js, PNG/JPEG as an image, anything else offered
 * as a download. The file is fetched with the bearer token, never through a tokenless URL. */
export function OriginalView({ document: doc, page, onPage, onDownload }: Props) {
  const isPdf = doc.content_type === "application/pdf";
  const isImage = IMAGE_TYPES.includes(doc.content_type);
  const previewable = isPdf || isImage;
  const file = useQuery({
    queryKey: [...keys.document(doc.id), "file"],
    queryFn: () => fetchBlob(`/api/v1/documents/${doc.id}/file`),
    enabled: previewable,
    staleTime: Infinity,
    gcTime: 60_000,
  });
  const [pageCount, setPageCount] = useState<number | null>(doc.page_count);

  if (!previewable) {
    return (
      <div className="no-preview">
        <p>No preview for this type of file ({doc.content_type}). Its extracted text is beside it.</p>
        <button type="button" className="secondary" onClick={onDownload}>
          Save the original file
        </button>
      </div>
    );
  }
  if (file.error) return <ErrorMessage error={file.error} />;
  if (!file.data) return <p role="status">Loading the original…</p>;

  if (isImage) return <ImageView blob={file.data.blob} alt={`${doc.filename} (original)`} />;

  const last = pageCount ?? 1;
  return (
    <div className="pdf">
      <div className="pdf-nav">
        <button type="button" className="secondary" disabled={page <= 1} onClick={() => onPage(page - 1)}>
          Previous page
        </button>
        <span aria-live="polite">
          Page {page} of {last}
        </span>
        <button type="button" className="secondary" disabled={page >= last} onClick={() => onPage(page + 1)}>
          Next page
        </button>
      </div>
      <Suspense fallback={<p role="status">Loading the PDF viewer…</p>}>
        <PdfView data={file.data.blob} page={page} onPageCount={setPageCount} filename={doc.filename} />
      </Suspense>
    </div>
  );
}

function ImageView({ blob, alt }: { blob: Blob; alt: string }) {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    const objectUrl = URL.createObjectURL(blob);
    setUrl(objectUrl);
    return () => URL.revokeObjectURL(objectUrl);
  }, [blob]);
  return url ? <img src={url} alt={alt} className="original-image" /> : null;
}

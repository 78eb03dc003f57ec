/** A PDF page drawn by pdf.js. This module (and pdf.js with it) is a chunk of its own, loaded only
 * when a PDF is opened. The worker is bundled as a same-origin asset and eval is off, for the CSP. */
import { GlobalWorkerOptions, getDocument, type PDFDocumentProxy, type RenderTask } from "pdfjs-dist";
import workerUrl from "pdfjs-dist/build/pdf.worker.min.mjs?url";
import { useEffect, useRef, useState } from "react";

GlobalWorkerOptions.workerSrc = workerUrl;

interface Props {
  data: Blob;
  page: number;
  onPageCount?: (count: number) => void;
  filename: string;
}

export default function PdfView({ data, page, onPageCount, filename }: Props) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [pdf, setPdf] = useState<PDFDocumentProxy | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  // The canvas stays hidden until a page is on it, so nobody sees (or waits on) a blank one.
  const [drawn, setDrawn] = useState(false);
  const countRef = useRef(onPageCount);
  countRef.current = onPageCount;

  useEffect(() => {
    let loaded: PDFDocumentProxy | null = null;
    let cancelled = false;
    const load = async () => {
      const task = getDocument({ data: new Uint8Array(await data.arrayBuffer()), isEvalSupported: false, useWasm: false });
      try {
        loaded = await task.promise;
        if (cancelled) {
          void loaded.destroy();
          return;
        }
        setPdf(loaded);
        countRef.current?.(loaded.numPages);
      } catch {
        if (!cancelled) setFailure("This PDF could not be displayed; download it to open it.");
      }
    };
    void load();
    return () => {
      cancelled = true;
      void loaded?.destroy();
    };
  }, [data]);

  useEffect(() => {
    if (!pdf || !canvas.current) return;
    let render: RenderTask | null = null;
    let cancelled = false;
    const target = canvas.current;
    const draw = async () => {
      const number = Math.min(Math.max(1, page), pdf.numPages);
      const pdfPage = await pdf.getPage(number);
      if (cancelled) return;
      const ratio = window.devicePixelRatio || 1;
      const width = target.parentElement?.clientWidth || 600;
      const base = pdfPage.getViewport({ scale: 1 });
      const viewport = pdfPage.getViewport({ scale: (width / base.width) * ratio });
      target.width = Math.floor(viewport.width);
      target.height = Math.floor(viewport.height);
      target.style.width = `${Math.floor(viewport.width / ratio)}px`;
      render = pdfPage.render({ canvas: target, viewport });
      try {
        await render.promise;
        if (!cancelled) setDrawn(true);
      } catch {
        // a newer page replaced this one
      }
    };
    void draw();
    return () => {
      cancelled = true;
      render?.cancel();
    };
  }, [pdf, page]);

  if (failure) return <p role="alert" className="error">{failure}</p>;
  return (
    <>
      {!drawn && <p role="status">Drawing the page…</p>}
      <canvas
        hidden={!drawn}
        ref={canvas}
        className="pdf-canvas"
        role="img"
        aria-label={`${filename}, page ${page}${pdf ? ` of ${pdf.numPages}` : ""}`}
      />
    </>
  );
}

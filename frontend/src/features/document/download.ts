import { fetchBlob } from "../../api/client";

/** Save the original under its own name. The file needs the bearer token, so it is fetched and
 * handed to the browser as a blob rather than linked. */
export async function downloadOriginal(documentId: string, fallbackName: string): Promise<void> {
  const { blob, filename } = await fetchBlob(`/api/v1/documents/${documentId}/file`);
  const url = URL.createObjectURL(blob);
  const anchor = document.createElement("a");
  anchor.href = url;
  anchor.download = filename ?? fallbackName;
  document.body.append(anchor);
  anchor.click();
  anchor.remove();
  // Give the browser a moment to start the download before the URL goes.
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A batch as the API answers it, for the batch views' tests. */
import { aDocument, aJob, NOW } from "./fakeApi";

export function aBatch(extra: Record<string, unknown> = {}) {
  return {
    id: "batch-1",
    filename: "harbour.zip",
    size_bytes: 48213,
    sha256: "1".repeat(64),
    created_at: NOW,
    counts: { entries: 4, created: 1, existing: 1, refused: 2 },
    documents: [
      aDocument("processing", [aJob("extract", "running")], { id: "doc-1", filename: "minutes.pdf" }),
      aDocument("ready", [aJob("extract", "succeeded")], { id: "doc-2", filename: "notes.txt", content_type: "text/plain" }),
    ],
    entries: [
      { name: "board/minutes.pdf", document_id: "doc-1", created: true },
      { name: "notes.txt", document_id: "doc-2", created: false },
    ],
    refused: [
      { name: "../escape.txt", code: "unsafe_name", reason: "The name has a part made only of dots, which climbs out of the archive ('..')." },
      { name: "bomb.txt", code: "ratio_exceeded", reason: "The entry unpacks to 1,026 times its packed size (at most 100 is accepted); it looks like a zip bomb." },
    ],
    ...extra,
  };
}

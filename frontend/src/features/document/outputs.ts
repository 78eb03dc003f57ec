/** What a document shows, and against what its newest run is doing, in words.
 *
 * Per step the document shows the outputs of one succeeded run (`outputs`: kind -> job id), and its job
 * list holds per step the newest run's job, else the shown one. A listed job that is not the shown one
 * therefore belongs to a run that has not switched in: still going, failed or cancelled. */
import { ACTIVE_JOB_STATUSES, type DocumentOut, type JobOut } from "../../api/types";

/** What a step's outputs are to a reader; a step this app does not know goes by its name. */
const OUTPUT_WORDS: Record<string, { noun: string; plural: boolean }> = {
  extract: { noun: "text", plural: false },
  embed: { noun: "search index", plural: false },
  ai: { noun: "results", plural: true },
};

function outputWords(kind: string): { noun: string; plural: boolean } {
  return OUTPUT_WORDS[kind] ?? { noun: `${kind} output`, plural: false };
}

/** Why a step's outputs are not shown: not yet, not in this document's pipeline (`absent`), or its
 * run ended without them. */
export function missingOutputs(doc: DocumentOut, kind: string, absent: string): string {
  if (!doc.pipeline.includes(kind)) return absent;
  const { noun, plural } = outputWords(kind);
  if (doc.status === "failed") return `No ${noun}: processing did not succeed.`;
  if (doc.status === "cancelled") return `No ${noun}: processing was cancelled.`;
  return `The ${noun} ${plural ? "appear" : "appears"} once processing has finished.`;
}

function joinWords(words: string[]): string {
  if (words.length <= 1) return words.join("");
  return `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

/** The jobs of a run newer than the outputs shown. */
function newerRunJobs(doc: DocumentOut): JobOut[] {
  const outputs = doc.outputs ?? {};
  return doc.jobs.filter((job) => outputs[job.kind] !== job.id);
}

/** Says whose outputs the page shows while a newer run is going, or after it failed or was cancelled;
 * null when the page shows the newest run's outputs, or none at all. */
export function runNote(doc: DocumentOut): string | null {
  const outputs = doc.outputs ?? {};
  const newer = newerRunJobs(doc);
  const replaced = [...new Set(newer.map((job) => job.kind))].filter((kind) => kind in outputs);
  if (replaced.length === 0) return null;
  const words = replaced.map(outputWords);
  const verb = words.length > 1 || words[0]!.plural ? "are" : "is";
  const shown = `the ${joinWords(words.map((w) => w.noun))} shown ${verb} the previous run's`;

  const failed = newer.filter((job) => job.status === "failed");
  if (failed.length > 0) {
    const steps = joinWords(failed.map((job) => job.kind));
    return `The new run failed at the ${steps} step${failed.length > 1 ? "s" : ""}, so ${shown}.`;
  }
  if (newer.some((job) => ACTIVE_JOB_STATUSES.includes(job.status))) {
    return `Processing again: ${shown} until the new run finishes.`;
  }
  if (newer.some((job) => job.status === "cancelled")) return `The new run was cancelled, so ${shown}.`;
  return null;
}

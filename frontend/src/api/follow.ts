/** What the live stream's events do to the documents the app holds: an event about a document means
 * it changed, so its query is fetched again (a conditional GET), at most about once a second however
 * many events a burst of progress brings. Lists take the new status in place and are fetched again
 * only when a row's document is done. */
import type { Query, QueryClient, QueryKey } from "@tanstack/react-query";
import { keys, type Tracked } from "./documents";
import type { LiveEvent } from "./events";
import { isTerminal, type BatchOut, type DocumentList, type DocumentStatus } from "./types";
import type { ListQuery } from "../features/documents/listQuery";

/** At most one refetch of a document (and of the lists) in this long. */
export const REFETCH_GAP_MS = 1000;
/** The events of one change come together (a job's and its document's): one refetch serves them all. */
export const GATHER_MS = 100;
/** An event about a document not held yet (an upload whose answer is still on its way) is remembered
 * this long, so the document is fetched again once it is held. */
const REMEMBER_MS = 15_000;
const LISTS = "lists";
const CATCH_UP = "catch-up";

function documentIdOf(key: QueryKey): string | null {
  return key.length === 3 && key[0] === "documents" && key[1] === "one" && typeof key[2] === "string" ? key[2] : null;
}

function isList(key: QueryKey): boolean {
  return key[0] === "documents" && key[1] === "list";
}

/** A batch with its documents (src/api/batches.ts): a list of sorts, followed like one. */
function isBatch(key: QueryKey): boolean {
  return key[0] === "batches" && key[1] === "one";
}

/** A document not done yet (or not fetched yet), or a list with such a row. */
function onItsWay(query: Query): boolean {
  if (documentIdOf(query.queryKey) !== null) {
    const status = (query.state.data as Tracked | undefined)?.document.status;
    return status === undefined || !isTerminal(status);
  }
  if (isBatch(query.queryKey)) {
    const documents = (query.state.data as BatchOut | undefined)?.documents;
    return documents === undefined || documents.some((doc) => !isTerminal(doc.status));
  }
  if (!isList(query.queryKey)) return false;
  const items = (query.state.data as DocumentList | undefined)?.items;
  return items === undefined || items.some((doc) => !isTerminal(doc.status));
}

export class DocumentFollower {
  private readonly timers = new Map<string, number>();
  private readonly lastRun = new Map<string, number>();
  private readonly unheld = new Map<string, number>();
  private readonly unsubscribe: () => void;

  constructor(private readonly client: QueryClient) {
    this.unsubscribe = client.getQueryCache().subscribe((event) => {
      if (event.type !== "added") return;
      const id = documentIdOf(event.query.queryKey);
      const seen = id === null ? undefined : this.unheld.get(id);
      if (id === null || seen === undefined) return;
      this.unheld.delete(id);
      if (Date.now() - seen < REMEMBER_MS) this.schedule(id, () => this.refetchDocument(id));
    });
  }

  apply(event: LiveEvent): void {
    switch (event.type) {
      case "document.changed":
        this.changed(event.data.document_id);
        this.listsShow(event.data.document_id, event.data.status);
        this.batchesShow(event.data.document_id, event.data.status);
        break;
      case "job.changed":
        this.changed(event.data.document_id);
        break;
      case "document.deleted":
        this.deleted(event.data.document_id);
        break;
      case "reset":
        this.refetchEverything();
        break;
    }
  }

  /** After a connection that did not resume: what changed before it opened was not sent, so every
   * document still on its way, and every list showing one, is fetched again once. (A first fetch
   * still on its way when this runs is joined, not repeated.) */
  catchUp(): void {
    this.schedule(CATCH_UP, () => this.client.invalidateQueries({ predicate: (query) => onItsWay(query) }));
  }

  /** Some events were lost: every document followed, and the lists, are fetched again. */
  refetchEverything(): void {
    void this.client.invalidateQueries({
      predicate: (query) => documentIdOf(query.queryKey) !== null || isList(query.queryKey) || isBatch(query.queryKey),
    });
  }

  stop(): void {
    this.unsubscribe();
    for (const timer of this.timers.values()) window.clearTimeout(timer);
    this.timers.clear();
  }

  private changed(id: string): void {
    if (this.client.getQueryCache().find({ queryKey: keys.document(id), exact: true })) {
      this.schedule(id, () => this.refetchDocument(id));
    } else {
      this.unheld.set(id, Date.now());
      if (this.unheld.size > 500) this.unheld.delete(this.unheld.keys().next().value!);
    }
  }

  /** The lists take a new status in place; one the document finished with (which may bring its page
   * count) or one a filter on status is about fetches them again. */
  private listsShow(id: string, status: DocumentStatus): void {
    let refetch = false;
    for (const query of this.listQueries()) {
      const list = query.state.data as DocumentList | undefined;
      const row = list?.items.find((doc) => doc.id === id);
      if (!list || !row || row.status === status) continue;
      if (isTerminal(status) || (query.queryKey[2] as ListQuery | undefined)?.status) {
        refetch = true;
      } else {
        this.client.setQueryData<DocumentList>(query.queryKey, {
          ...list,
          items: list.items.map((doc) => (doc.id === id ? { ...doc, status } : doc)),
        });
      }
    }
    if (refetch) this.schedule(LISTS, () => this.refetchLists());
  }

  /** A batch showing the document takes its new status in place, and is fetched again once the
   * document is done (which may bring its page count). */
  private batchesShow(id: string, status: DocumentStatus): void {
    for (const query of this.client.getQueryCache().findAll({ queryKey: ["batches", "one"] })) {
      const batch = query.state.data as BatchOut | undefined;
      const shown = batch?.documents.find((doc) => doc.id === id);
      if (!batch || !shown || shown.status === status) continue;
      this.client.setQueryData<BatchOut>(query.queryKey, {
        ...batch,
        documents: batch.documents.map((doc) => (doc.id === id ? { ...doc, status } : doc)),
      });
      if (isTerminal(status)) {
        const key = query.queryKey;
        this.schedule(`batch:${String(key[2])}`, () => this.client.invalidateQueries({ queryKey: key, exact: true }));
      }
    }
  }

  private deleted(id: string): void {
    let listed = false;
    for (const query of this.listQueries()) {
      const list = query.state.data as DocumentList | undefined;
      if (!list?.items.some((doc) => doc.id === id)) continue;
      listed = true;
      this.client.setQueryData<DocumentList>(query.queryKey, { ...list, items: list.items.filter((doc) => doc.id !== id) });
    }
    // The page moves up to fill the gap.
    if (listed) this.schedule(LISTS, () => this.refetchLists());
    const query = this.client.getQueryCache().find({ queryKey: keys.document(id), exact: true });
    // On screen, it is asked for once more, so the page says it is gone; else it is forgotten.
    if (query && query.getObserversCount() > 0) void this.client.invalidateQueries({ queryKey: keys.document(id), exact: true });
    else this.client.removeQueries({ queryKey: keys.document(id) });
  }

  private listQueries(): Query[] {
    return this.client.getQueryCache().findAll({ queryKey: ["documents", "list"] });
  }

  private refetchDocument(id: string): Promise<void> {
    return this.client.invalidateQueries({ queryKey: keys.document(id), exact: true });
  }

  private refetchLists(): Promise<void> {
    return this.client.invalidateQueries({ queryKey: ["documents", "list"] });
  }

  /** Run `work` for `key` soon: after GATHER_MS, and no sooner than REFETCH_GAP_MS after its last run.
   * Events meanwhile are served by the run already planned. */
  private schedule(key: string, work: () => Promise<void>): void {
    if (this.timers.has(key)) return;
    const now = Date.now();
    const due = Math.max(now + GATHER_MS, (this.lastRun.get(key) ?? -Infinity) + REFETCH_GAP_MS);
    this.timers.set(
      key,
      window.setTimeout(() => {
        this.timers.delete(key);
        this.lastRun.set(key, Date.now());
        void work();
      }, due - now),
    );
  }
}

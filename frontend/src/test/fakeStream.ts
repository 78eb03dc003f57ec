/** Server-sent events as the API writes them, in a real ReadableStream: a test sends each event
 * when it wants to, so what the app shows between two events can be checked. */

export function sse(event: string, data: unknown, id?: string | number): string {
  return `${id === undefined ? "" : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export interface EventStream {
  /** The response whose body is this stream. */
  response: Response;
  /** Raw text, as one chunk (it need not end where an event does). */
  write: (text: string) => void;
  send: (event: string, data: unknown, id?: string | number) => void;
  /** The server ends the stream. */
  end: () => void;
  /** The connection breaks. */
  fail: () => void;
}

export function eventStream(): EventStream {
  const encoder = new TextEncoder();
  let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  const write = (text: string) => controller!.enqueue(encoder.encode(text));
  return {
    response: new Response(body, { status: 200, headers: { "Content-Type": "text/event-stream; charset=utf-8" } }),
    write,
    send: (event, data, id) => write(sse(event, data, id)),
    end: () => controller!.close(),
    fail: () => controller!.error(new TypeError("network connection lost")),
  };
}

/** A whole stream at once: these events, then the end. */
export function streamOf(...events: [event: string, data: unknown][]): Response {
  const stream = eventStream();
  for (const [event, data] of events) stream.send(event, data);
  stream.end();
  return stream.response;
}

export const FERRY_TEXT =
  "The ferry Nordlys carries 320 passengers between Bodø and Moskenes. The ferry Nordlys also takes 40 cars on its lower deck.";
export const PASSENGERS = "The ferry Nordlys carries 320 passengers between Bodø and Moskenes.";
export const CARS = "The ferry Nordlys also takes 40 cars on its lower deck.";

export function aCitation(quote: string, extra: Record<string, unknown> = {}) {
  return { number: 1, document_id: "doc-1", filename: "ferry.txt", page_no: 2, quote, ...extra };
}

export function aSource(extra: Record<string, unknown> = {}) {
  return { number: 1, document_id: "doc-1", filename: "ferry.txt", page_no: 2, text: FERRY_TEXT, ...extra };
}

/** The whole answer, as `done` and the JSON response carry it. */
export function anAnswer(extra: Record<string, unknown> = {}) {
  return {
    answer: `ferry.txt, page 2: “${PASSENGERS}” [1]`,
    grounded: true,
    citations: [aCitation(PASSENGERS)],
    sources: [aSource()],
    conversation_id: "conv-1",
    position: 0,
    provider: "local",
    model: "extractive+minilm",
    extractive: true,
    ...extra,
  };
}

/** The events of one whole answer: sources, the text in two pieces, its citations, done. */
export function answerEvents(answer: ReturnType<typeof anAnswer>): [string, unknown][] {
  const half = Math.floor(answer.answer.length / 2);
  return [
    ["sources", { sources: answer.sources }],
    ["delta", { text: answer.answer.slice(0, half) }],
    ["delta", { text: answer.answer.slice(half) }],
    ...answer.citations.map((citation): [string, unknown] => ["citation", citation]),
    ["done", answer],
  ];
}

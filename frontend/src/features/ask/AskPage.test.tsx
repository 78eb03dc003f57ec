import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes, useLocation } from "react-router";
import { describe, expect, it } from "vitest";
import { aDocument, fakeApi, json, NOW, path, problem } from "../../test/fakeApi";
import { aCitation, anAnswer, answerEvents, aSource, CARS, eventStream, PASSENGERS, streamOf } from "../../test/fakeStream";
import AskPage from "./AskPage";

const QUESTION = "How many passengers does the ferry Nordlys carry?";
const FOLLOW_UP = "And how many cars?";
const NOT_FOUND = "I could not find this in your documents.";

function Location() {
  const location = useLocation();
  return <output aria-label="Address">{`${location.pathname}${location.search}`}</output>;
}

function renderAsk(entry = "/ask") {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[entry]}>
        <Routes>
          <Route
            path="/ask"
            element={
              <>
                <AskPage />
                <Location />
              </>
            }
          />
          <Route path="/documents/:id" element={<Location />} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

function address(): URL {
  return new URL(screen.getByRole("status", { name: "Address" }).textContent ?? "", "http://app.test");
}

function aConversation(id: string, title: string) {
  return { id, title, created_at: NOW, updated_at: NOW };
}

function aTurn(position: number, question: string, answer: ReturnType<typeof anAnswer>, documentIds: string[] | null = null) {
  return {
    position,
    question,
    document_ids: documentIds,
    answer: answer.answer,
    grounded: answer.grounded,
    citations: answer.citations,
    sources: answer.sources,
    provider: answer.provider,
    model: answer.model,
    extractive: answer.extractive,
    created_at: NOW,
  };
}

const CARS_ANSWER = anAnswer({ answer: `ferry.txt, page 2: “${CARS}” [1]`, citations: [aCitation(CARS)], position: 1 });

/** The API of one user who asks, as the server keeps it: each finished answer is a turn of conv-1. */
function conversationApi(answers: ReturnType<typeof anAnswer>[]) {
  const turns: ReturnType<typeof aTurn>[] = [];
  const requests = fakeApi(async (request) => {
    switch (path(request)) {
      case "GET /api/v1/conversations":
        return json({ items: turns.length > 0 ? [aConversation("conv-1", turns[0]!.question)] : [] });
      case "GET /api/v1/conversations/conv-1":
        return json({ ...aConversation("conv-1", turns[0]!.question), turns });
      case "GET /api/v1/documents/doc-1":
        return json(aDocument("ready", [], { filename: "ferry.txt", content_type: "text/plain" }));
      case "POST /api/v1/ask": {
        const body = (await request.clone().json()) as { question: string; document_ids?: string[] };
        const answer = answers[turns.length]!;
        turns.push(aTurn(turns.length, body.question, answer, body.document_ids ?? null));
        return streamOf(...(answerEvents(answer) as [string, unknown][]));
      }
      default:
        throw new Error(`unexpected ${path(request)}`);
    }
  });
  return requests;
}

async function asked(requests: Request[]): Promise<unknown[]> {
  return Promise.all(requests.filter((request) => path(request) === "POST /api/v1/ask").map((request) => request.clone().json()));
}

function answerRegion(turn: HTMLElement): HTMLElement {
  const region = turn.querySelector<HTMLElement>(".answer-text");
  expect(region).not.toBeNull();
  return region!;
}

describe("AskPage", () => {
  it("shows the answer as it is written, then the whole answer in its place, with citations that open the quoted page", async () => {
    const stream = eventStream();
    let answered = false;
    const requests = fakeApi((request) => {
      switch (path(request)) {
        case "GET /api/v1/conversations":
          return json({ items: answered ? [aConversation("conv-1", QUESTION)] : [] });
        case "POST /api/v1/ask":
          return stream.response;
        case "GET /api/v1/conversations/conv-1":
          return json({ ...aConversation("conv-1", QUESTION), turns: [aTurn(0, QUESTION, anAnswer())] });
        default:
          throw new Error(`unexpected ${path(request)}`);
      }
    });
    const user = userEvent.setup();
    renderAsk();
    await screen.findByText("No conversations yet.");
    await user.type(screen.getByRole("textbox", { name: "Question" }), QUESTION);
    await user.keyboard("{Enter}");

    const turn = await screen.findByRole("article", { name: QUESTION });
    const region = answerRegion(turn);
    expect(region).toHaveAttribute("aria-live", "polite");
    expect(within(turn).getByRole("status")).toHaveTextContent("Reading your documents…");
    expect(screen.getByRole("textbox", { name: "Follow-up question" })).toHaveValue("");

    stream.send("sources", { sources: [aSource()] });
    stream.send("delta", { text: "ferry.txt, page 2: “The ferry Nordlys " });
    await waitFor(() => expect(region.textContent).toBe("ferry.txt, page 2: “The ferry Nordlys "));
    expect(within(turn).getByRole("status")).toHaveTextContent("Writing the answer…");
    stream.send("delta", { text: "carries 320 passengers” [1]" });
    await waitFor(() => expect(region.textContent).toBe("ferry.txt, page 2: “The ferry Nordlys carries 320 passengers” [1]"));
    expect(within(turn).queryByText(/Quoted from your documents/)).not.toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Ask" })).toBeDisabled();

    stream.send("citation", aCitation(PASSENGERS));
    answered = true;
    stream.send("done", anAnswer());
    stream.end();

    await within(turn).findByText("Quoted from your documents (local, extractive)");
    // The whole answer replaced the pieces; it was not added to them.
    expect(region.textContent).toBe(`ferry.txt, page 2: “${PASSENGERS}” [1]`);
    expect(within(turn).queryByRole("status")).not.toBeInTheDocument();

    const citations = within(turn).getByRole("list", { name: "Citations" });
    const link = within(citations).getByRole("link", { name: "ferry.txt, page 2" });
    const target = new URL(link.getAttribute("href")!, "http://app.test");
    expect(target.pathname).toBe("/documents/doc-1");
    expect(target.searchParams.get("page")).toBe("2");
    expect(target.searchParams.get("quote")).toBe(PASSENGERS);
    expect(within(citations).getByText(PASSENGERS).tagName).toBe("BLOCKQUOTE");

    // The [1] in the text leads to its citation.
    const marker = within(region).getByRole("link", { name: "Citation 1: ferry.txt, page 2" });
    expect(marker).toHaveTextContent("[1]");
    await user.click(marker);
    expect(document.activeElement).toBe(within(citations).getAllByRole("listitem")[0]);

    expect(await asked(requests)).toEqual([{ question: QUESTION }]);
    expect(requests.find((request) => request.method === "POST")!.headers.get("Accept")).toBe("text/event-stream");
    // The new conversation is in the address and in the list.
    await waitFor(() => expect(address().searchParams.get("conversation")).toBe("conv-1"));
    const list = await screen.findByRole("list", { name: "Earlier conversations" });
    expect(within(list).getByRole("link", { name: QUESTION })).toHaveAttribute("aria-current", "page");

    await user.click(link);
    expect(address().pathname).toBe("/documents/doc-1");
    expect(address().searchParams.get("page")).toBe("2");
    expect(address().searchParams.get("quote")).toBe(PASSENGERS);
  });

  it("leads each of a passage's markers to its own citation", async () => {
    const answer = anAnswer({
      answer: `ferry.txt, page 2: “${PASSENGERS}” [1] “${CARS}” [1]`,
      citations: [aCitation(PASSENGERS), aCitation(CARS)],
    });
    fakeApi((request) => {
      switch (path(request)) {
        case "POST /api/v1/ask":
          return streamOf(...(answerEvents(answer) as [string, unknown][]));
        case "GET /api/v1/conversations/conv-1":
          return json({ ...aConversation("conv-1", QUESTION), turns: [aTurn(0, QUESTION, answer)] });
        default:
          return json({ items: [] });
      }
    });
    const user = userEvent.setup();
    renderAsk();
    await user.type(await screen.findByRole("textbox", { name: "Question" }), `${QUESTION}{Enter}`);
    const turn = await screen.findByRole("article", { name: QUESTION });
    await within(turn).findByText("Quoted from your documents (local, extractive)");
    const [first, second] = within(answerRegion(turn)).getAllByRole("link");
    const items = within(within(turn).getByRole("list", { name: "Citations" })).getAllByRole("listitem");
    await user.click(second!);
    expect(document.activeElement).toBe(items[1]);
    expect(items[1]).toHaveTextContent(CARS);
    await user.click(first!);
    expect(document.activeElement).toBe(items[0]);
  });

  it("asks a follow-up in the same conversation and shows its turns in order", async () => {
    const requests = conversationApi([anAnswer(), CARS_ANSWER]);
    const user = userEvent.setup();
    renderAsk();
    await user.type(await screen.findByRole("textbox", { name: "Question" }), `${QUESTION}{Enter}`);
    await screen.findByText("Quoted from your documents (local, extractive)");

    await user.type(screen.getByRole("textbox", { name: "Follow-up question" }), `${FOLLOW_UP}{Enter}`);
    const second = await screen.findByRole("article", { name: FOLLOW_UP });
    await within(second).findByText("Quoted from your documents (local, extractive)");
    expect(answerRegion(second).textContent).toBe(CARS_ANSWER.answer);

    expect(await asked(requests)).toEqual([{ question: QUESTION }, { question: FOLLOW_UP, conversation_id: "conv-1" }]);
    // Once the conversation is fetched again, each turn is there once, in the order asked.
    await waitFor(() => expect(requests.filter((r) => path(r) === "GET /api/v1/conversations/conv-1").length).toBeGreaterThanOrEqual(2));
    const turns = within(screen.getByRole("region", { name: "Conversation" })).getAllByRole("article");
    expect(turns.map((turn) => within(turn).getByRole("heading", { level: 2 }).textContent)).toEqual([QUESTION, FOLLOW_UP]);
  });

  it("starts a new conversation on request: the next question carries no conversation", async () => {
    const requests = conversationApi([anAnswer(), anAnswer()]);
    const user = userEvent.setup();
    renderAsk();
    await user.type(await screen.findByRole("textbox", { name: "Question" }), `${QUESTION}{Enter}`);
    await screen.findByText("Quoted from your documents (local, extractive)");
    await user.click(screen.getByRole("button", { name: "New conversation" }));
    expect(screen.queryByRole("article")).not.toBeInTheDocument();
    expect(address().searchParams.has("conversation")).toBe(false);
    await user.type(screen.getByRole("textbox", { name: "Question" }), `${FOLLOW_UP}{Enter}`);
    await screen.findByRole("article", { name: FOLLOW_UP });
    expect(await asked(requests)).toEqual([{ question: QUESTION }, { question: FOLLOW_UP }]);
  });

  it("shows a problem in the middle of the answer, keeps no half answer and gives the question back", async () => {
    const stream = eventStream();
    fakeApi((request) => {
      if (path(request) === "GET /api/v1/conversations") return json({ items: [] });
      if (path(request) === "POST /api/v1/ask") return stream.response;
      throw new Error(`unexpected ${path(request)}`);
    });
    const user = userEvent.setup();
    renderAsk();
    await user.type(await screen.findByRole("textbox", { name: "Question" }), `${QUESTION}{Enter}`);
    const turn = await screen.findByRole("article", { name: QUESTION });
    stream.send("sources", { sources: [aSource()] });
    stream.send("delta", { text: "ferry.txt, page 2: “The ferry Nordlys" });
    await waitFor(() => expect(answerRegion(turn).textContent).toBe("ferry.txt, page 2: “The ferry Nordlys"));
    stream.send("error", {
      type: "urn:workopti:problem:provider_unavailable",
      status: 503,
      code: "provider_unavailable",
      title: "The language model service is unavailable",
      detail: "The language model service this request needs is unavailable. Try again later.",
      retry_after: 20,
    });
    stream.end();

    expect(await screen.findByRole("alert")).toHaveTextContent("The AI service is unavailable. Please try again in 20 s.");
    expect(screen.queryByRole("article")).not.toBeInTheDocument();
    expect(screen.queryByText(/The ferry Nordlys/)).not.toBeInTheDocument();
    expect(screen.queryByText(/Quoted from your documents/)).not.toBeInTheDocument();
    expect(screen.getByRole("textbox", { name: "Question" })).toHaveValue(QUESTION);
    expect(screen.getByRole("button", { name: "Ask" })).toBeEnabled();
    expect(address().searchParams.has("conversation")).toBe(false);
  });

  it("says an answer was cut off when the stream ends before it is done", async () => {
    const stream = eventStream();
    fakeApi((request) => (path(request) === "POST /api/v1/ask" ? stream.response : json({ items: [] })));
    const user = userEvent.setup();
    renderAsk();
    await user.type(await screen.findByRole("textbox", { name: "Question" }), `${QUESTION}{Enter}`);
    const turn = await screen.findByRole("article", { name: QUESTION });
    stream.send("delta", { text: "ferry.txt, page 2: “The ferry Nordlys carries" });
    await waitFor(() => expect(answerRegion(turn).textContent).toMatch(/carries$/));
    stream.end();
    expect(await screen.findByRole("alert")).toHaveTextContent("The answer was cut off before it was complete");
    expect(screen.queryByText(/The ferry Nordlys carries/)).not.toBeInTheDocument();
    expect(screen.getByRole("textbox", { name: "Question" })).toHaveValue(QUESTION);
  });

  it("says when to ask again after too many questions, and keeps the question", async () => {
    fakeApi((request) =>
      path(request) === "POST /api/v1/ask"
        ? problem(429, "too_many_questions", { detail: "You are asking faster than 20 questions a minute." }, { "Retry-After": "12" })
        : json({ items: [] }),
    );
    const user = userEvent.setup();
    renderAsk();
    await user.type(await screen.findByRole("textbox", { name: "Question" }), `${QUESTION}{Enter}`);
    expect(await screen.findByRole("alert")).toHaveTextContent("Please try again in 12 s.");
    expect(screen.queryByRole("article")).not.toBeInTheDocument();
    expect(screen.getByRole("textbox", { name: "Question" })).toHaveValue(QUESTION);
  });

  it("stops an answer on request and gives the question back, with no problem shown", async () => {
    const stream = eventStream();
    fakeApi((request) => (path(request) === "POST /api/v1/ask" ? stream.response : json({ items: [] })));
    const user = userEvent.setup();
    renderAsk();
    await user.type(await screen.findByRole("textbox", { name: "Question" }), `${QUESTION}{Enter}`);
    stream.send("delta", { text: "ferry.txt" });
    await user.click(await screen.findByRole("button", { name: "Stop" }));
    await screen.findByText("Stopped. The answer was not kept.");
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
    expect(screen.queryByRole("article")).not.toBeInTheDocument();
    expect(screen.getByRole("textbox", { name: "Question" })).toHaveValue(QUESTION);
  });

  it("asks within one document when the address says so, and asks all of them once the scope is removed", async () => {
    const requests = conversationApi([anAnswer(), CARS_ANSWER]);
    const user = userEvent.setup();
    renderAsk("/ask?document=doc-1");
    const scope = await screen.findByText(/Asking within/);
    await within(scope).findByRole("link", { name: "ferry.txt" });
    await user.type(screen.getByRole("textbox", { name: "Question" }), `${QUESTION}{Enter}`);
    const first = await screen.findByRole("article", { name: QUESTION });
    await within(first).findByText("Quoted from your documents (local, extractive)");
    expect(within(first).getByText("Asked within one document")).toBeInTheDocument();
    // The conversation, fetched again, asks within what its last question did: the scope stays.
    await waitFor(() => expect(requests.some((r) => path(r) === "GET /api/v1/conversations/conv-1")).toBe(true));
    expect(address().searchParams.getAll("document")).toEqual(["doc-1"]);

    await user.click(screen.getByRole("button", { name: "Ask all documents instead" }));
    expect(screen.queryByText(/Asking within/)).not.toBeInTheDocument();
    await user.type(screen.getByRole("textbox", { name: "Follow-up question" }), `${FOLLOW_UP}{Enter}`);
    await within(await screen.findByRole("article", { name: FOLLOW_UP })).findByText(/Quoted from your documents/);
    expect(await asked(requests)).toEqual([
      { question: QUESTION, document_ids: ["doc-1"] },
      { question: FOLLOW_UP, conversation_id: "conv-1" },
    ]);
    expect(screen.queryByText(/Asking within/)).not.toBeInTheDocument();
  });

  it("asks a reopened conversation's follow-up within what its last question was asked within", async () => {
    const requests = fakeApi((request) => {
      switch (path(request)) {
        case "GET /api/v1/conversations":
          return json({ items: [aConversation("conv-s", QUESTION)] });
        case "GET /api/v1/conversations/conv-s":
          return json({ ...aConversation("conv-s", QUESTION), turns: [aTurn(0, QUESTION, anAnswer(), ["doc-1"])] });
        case "GET /api/v1/documents/doc-1":
          return json(aDocument("ready", [], { filename: "ferry.txt", content_type: "text/plain" }));
        case "POST /api/v1/ask":
          return streamOf(...(answerEvents({ ...CARS_ANSWER, conversation_id: "conv-s" }) as [string, unknown][]));
        default:
          throw new Error(`unexpected ${path(request)}`);
      }
    });
    const user = userEvent.setup();
    renderAsk();
    await user.click(await screen.findByRole("link", { name: QUESTION }));
    const scope = await screen.findByText(/Asking within/);
    await within(scope).findByRole("link", { name: "ferry.txt" });
    await user.type(screen.getByRole("textbox", { name: "Follow-up question" }), `${FOLLOW_UP}{Enter}`);
    await within(await screen.findByRole("article", { name: FOLLOW_UP })).findByText(/Quoted from your documents/);
    expect(await asked(requests)).toEqual([{ question: FOLLOW_UP, conversation_id: "conv-s", document_ids: ["doc-1"] }]);
  });

  it("says honestly when the documents do not hold the answer, and links the closest passages", async () => {
    const answer = anAnswer({
      answer: NOT_FOUND,
      grounded: false,
      citations: [],
      sources: [aSource({ document_id: "doc-2", filename: "receipt.txt", page_no: 1, text: "Harbour bakery receipt. Two sourdough loaves." })],
    });
    fakeApi((request) => {
      switch (path(request)) {
        case "POST /api/v1/ask":
          return streamOf(...(answerEvents(answer) as [string, unknown][]));
        case "GET /api/v1/conversations/conv-1":
          return json({ ...aConversation("conv-1", "Who painted the lighthouse?"), turns: [] });
        default:
          return json({ items: [] });
      }
    });
    const user = userEvent.setup();
    renderAsk();
    await user.type(await screen.findByRole("textbox", { name: "Question" }), "Who painted the lighthouse?{Enter}");
    const turn = await screen.findByRole("article", { name: "Who painted the lighthouse?" });
    await within(turn).findByText("Quoted from your documents (local, extractive)");
    expect(answerRegion(turn).textContent).toBe(NOT_FOUND);
    expect(within(turn).queryByRole("list", { name: "Citations" })).not.toBeInTheDocument();
    const closest = within(turn).getByRole("list", { name: "Closest passages" });
    expect(within(closest).getByRole("link", { name: "receipt.txt, page 1" })).toHaveAttribute("href", "/documents/doc-2?page=1");
    expect(within(closest).getByText("Harbour bakery receipt. Two sourdough loaves.")).toBeInTheDocument();
  });

  it("opens an earlier conversation with its turns, and deletes one only after confirming", async () => {
    let deleted = false;
    const requests = fakeApi((request) => {
      switch (path(request)) {
        case "GET /api/v1/conversations":
          return json({
            items: [
              ...(deleted ? [] : [aConversation("conv-a", "Ferry capacity")]),
              aConversation("conv-b", "Bakery receipt"),
            ],
          });
        case "GET /api/v1/conversations/conv-a":
          return json({
            ...aConversation("conv-a", "Ferry capacity"),
            turns: [aTurn(0, QUESTION, anAnswer()), aTurn(1, FOLLOW_UP, CARS_ANSWER)],
          });
        case "DELETE /api/v1/conversations/conv-a":
          deleted = true;
          return new Response(null, { status: 204 });
        default:
          throw new Error(`unexpected ${path(request)}`);
      }
    });
    const user = userEvent.setup();
    renderAsk();
    const list = await screen.findByRole("list", { name: "Earlier conversations" });
    await user.click(within(list).getByRole("link", { name: "Ferry capacity" }));

    const conversation = await screen.findByRole("region", { name: "Conversation" });
    const turns = within(conversation).getAllByRole("article");
    expect(turns.map((turn) => within(turn).getByRole("heading", { level: 2 }).textContent)).toEqual([QUESTION, FOLLOW_UP]);
    expect(answerRegion(turns[1]!).textContent).toBe(CARS_ANSWER.answer);
    expect(within(turns[1]!).getByText("Quoted from your documents (local, extractive)")).toBeInTheDocument();
    expect(within(turns[1]!).getByRole("link", { name: "ferry.txt, page 2" })).toHaveAttribute("href", expect.stringContaining("quote="));
    expect(address().searchParams.get("conversation")).toBe("conv-a");

    const remove = within(list).getByRole("button", { name: "Delete “Ferry capacity”" });
    await user.click(remove);
    const dialog = screen.getByRole("dialog", { name: "Delete this conversation?" });
    await user.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(requests.some((request) => request.method === "DELETE")).toBe(false);

    await user.click(remove);
    await user.click(within(screen.getByRole("dialog", { name: "Delete this conversation?" })).getByRole("button", { name: "Delete" }));
    await waitFor(() => expect(within(list).queryByRole("link", { name: "Ferry capacity" })).not.toBeInTheDocument());
    expect(requests.filter((request) => request.method === "DELETE").map(path)).toEqual(["DELETE /api/v1/conversations/conv-a"]);
    // It was the one open: the page starts afresh.
    expect(screen.queryByRole("article")).not.toBeInTheDocument();
    expect(address().searchParams.has("conversation")).toBe(false);
    expect(within(list).getByRole("link", { name: "Bakery receipt" })).toBeInTheDocument();
  });
});

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fakeApi, json } from "../../test/fakeApi";
import { PagesText } from "./PagesText";

describe("PagesText", () => {
  it("shows each page in its own region, marks OCR pages and the lines it was unsure of", async () => {
    const requests = fakeApi(() =>
      json({
        items: [
          { page_no: 1, text: "Invoice 7", source: "text_layer", confidence: null, width: 612, height: 792, lines: null },
          {
            page_no: 2,
            text: "Total due\nEUR 8,4OO",
            source: "ocr",
            confidence: 0.71,
            width: 1000,
            height: 1400,
            lines: [
              { text: "Total due", confidence: 0.97, bbox: [0, 0, 10, 10] },
              { text: "EUR 8,4OO", confidence: 0.42, bbox: [0, 20, 10, 30] },
            ],
          },
        ],
        next_cursor: null,
      }),
    );
    render(
      <QueryClientProvider client={new QueryClient()}>
        <PagesText documentId="doc-1" outputJob="job-extract" pending="" selected={1} scroll={false} onSelect={() => undefined} />
      </QueryClientProvider>,
    );
    const first = await screen.findByRole("region", { name: "Page 1" });
    expect(within(first).getByRole("heading", { name: "Page 1" })).toBeInTheDocument();
    expect(within(first).queryByText("OCR")).not.toBeInTheDocument();

    const second = screen.getByRole("region", { name: "Page 2" });
    expect(within(second).getByText("OCR", { exact: true })).toBeInTheDocument();
    const unsure = within(second).getByText("EUR 8,4OO");
    expect(unsure).toHaveClass("low-confidence");
    expect(unsure).toHaveTextContent("EUR 8,4OO (low confidence, 42%)");
    expect(within(second).getByText("Total due")).not.toHaveClass("low-confidence");

    expect(new URL(requests[0]!.url).searchParams.get("include")).toBe("lines");
  });
});

const FERRY = "The ferry Nordlys carries 320 passengers between Bodø and Moskenes. The ferry Nordlys also takes 40 cars on its lower deck.";

function renderPages(items: unknown[], selected: number, quote: string | null) {
  fakeApi(() => json({ items, next_cursor: null }));
  render(
    <QueryClientProvider client={new QueryClient()}>
      <PagesText documentId="doc-1" outputJob="job-extract" pending="" selected={selected} quote={quote} scroll onSelect={() => undefined} />
    </QueryClientProvider>,
  );
}

function textPage(page_no: number, text: string) {
  return { page_no, text, source: "text", confidence: null, width: null, height: null, lines: null };
}

describe("PagesText with a quote", () => {
  afterEach(() => {
    delete (Element.prototype as Partial<Element>).scrollIntoView;
  });

  it("marks the quoted words on the selected page only, and scrolls them into view", async () => {
    // jsdom does not scroll: note what would have been brought into view.
    const scrolled: Element[] = [];
    Element.prototype.scrollIntoView = vi.fn(function (this: Element) {
      scrolled.push(this);
    });
    const quote = "The ferry Nordlys also takes 40 cars on its lower deck.";
    renderPages([textPage(1, quote), textPage(2, FERRY)], 2, quote);
    const second = await screen.findByRole("region", { name: "Page 2" });
    const mark = second.querySelector("mark");
    expect(mark).not.toBeNull();
    expect(mark).toHaveTextContent(quote, { normalizeWhitespace: false });
    expect(second.querySelector(".page-text")).toHaveTextContent(FERRY);
    // Page 1 holds the same words, but the citation was of page 2.
    expect(screen.getByRole("region", { name: "Page 1" }).querySelector("mark")).toBeNull();
    expect(scrolled.at(-1)).toBe(mark);
  });

  it("marks a quote across an OCR page's lines, which keep their confidence marks", async () => {
    const lines = [
      { text: "Timetable", confidence: 0.99, bbox: [0, 0, 10, 10] },
      { text: "The ferry Nordlys carries 320", confidence: 0.95, bbox: [0, 10, 10, 20] },
      { text: "passengers between Bodø and Moskenes.", confidence: 0.6, bbox: [0, 20, 10, 30] },
    ];
    const page = { page_no: 1, text: lines.map((l) => l.text).join("\n"), source: "ocr", confidence: 0.9, width: 10, height: 30, lines };
    renderPages([page], 1, "Nordlys carries 320\npassengers");
    const region = await screen.findByRole("region", { name: "Page 1" });
    expect(Array.from(region.querySelectorAll("mark")).map((m) => m.textContent)).toEqual(["Nordlys carries 320", "passengers"]);
    // The line the OCR was unsure of is still marked as such.
    const unsure = region.querySelector(".low-confidence");
    expect(unsure).toHaveTextContent("passengers between Bodø and Moskenes. (low confidence, 60%)");
    expect(unsure!.querySelector("mark")).toHaveTextContent("passengers");
    expect(within(region).queryByText(/no longer|not in this page/)).not.toBeInTheDocument();
  });

  it("says so when the quote is not in the page's text", async () => {
    renderPages([textPage(1, "Another text altogether.")], 1, "The ferry Nordlys carries 320 passengers");
    const region = await screen.findByRole("region", { name: "Page 1" });
    expect(region.querySelector("mark")).toBeNull();
    expect(within(region).getByText(/The quoted passage is not in this page's text any more/)).toBeInTheDocument();
  });
});

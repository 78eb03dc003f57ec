import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
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

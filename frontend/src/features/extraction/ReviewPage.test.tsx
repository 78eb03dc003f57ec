import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";
import { aReviewItem, extractionApi } from "../../test/fakeExtraction";
import ReviewPage from "./ReviewPage";

function renderPage() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <MemoryRouter>
        <ReviewPage />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

describe("ReviewPage", () => {
  it("lists what waits for review, each leading to its document's extracted fields, a page at a time", async () => {
    const reviews = Array.from({ length: 51 }, (_, at) =>
      aReviewItem({ document_id: `doc-${at}`, filename: `invoice-${at}.pdf`, fields: at === 0 ? ["total amount", "due date"] : ["total amount"] }),
    );
    extractionApi({ reviews });
    const user = userEvent.setup();
    renderPage();
    const table = await screen.findByRole("table", { name: "Review queue" });
    const rows = within(table).getAllByRole("row");
    expect(rows).toHaveLength(51);
    expect(within(rows[1]!).getByRole("link", { name: "invoice-0.pdf" })).toHaveAttribute("href", "/documents/doc-0#extractions-heading");
    expect(rows[1]).toHaveTextContent("Supplier invoices");
    expect(rows[1]).toHaveTextContent("total amount, due date");

    await user.click(screen.getByRole("button", { name: "Next" }));
    expect(await screen.findByRole("link", { name: "invoice-50.pdf" })).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Previous" })).toBeInTheDocument();
  });

  it("says when nothing waits", async () => {
    extractionApi({ reviews: [] });
    renderPage();
    expect(await screen.findByText("Nothing waits for review.")).toBeInTheDocument();
  });
});

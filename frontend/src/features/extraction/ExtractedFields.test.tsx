import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes, useLocation } from "react-router";
import { describe, expect, it } from "vitest";
import { path } from "../../test/fakeApi";
import { extractionApi } from "../../test/fakeExtraction";
import { ExtractedFields } from "./ExtractedFields";

function Where() {
  const location = useLocation();
  return <p data-testid="where">{location.pathname + location.search}</p>;
}

function renderView(canEdit = true) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={["/documents/doc-1"]}>
        <Routes>
          <Route
            path="/documents/:id"
            element={
              <>
                <ExtractedFields documentId="doc-1" canEdit={canEdit} jobs={[]} />
                <Where />
              </>
            }
          />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

function row(name: string) {
  const table = screen.getByRole("table", { name: "Fields extracted with Supplier invoices" });
  return within(table).getByRole("rowheader", { name }).closest("tr")!;
}

describe("ExtractedFields", () => {
  it("shows each field's value formatted, its status, confidence and evidence opening its page with the quote", async () => {
    extractionApi();
    const user = userEvent.setup();
    renderView();
    await screen.findByRole("table", { name: "Fields extracted with Supplier invoices" });
    expect(screen.getByRole("heading", { name: "Extracted fields" })).toBeInTheDocument();
    const cells = (name: string) => within(row(name)).getAllByRole("cell").map((cell) => cell.textContent);
    expect(cells("invoice number").slice(0, 3)).toEqual(["INV-2026-001", "found", "91 %"]);
    expect(cells("total amount")[0]).toMatch(/1,234\.50|1\.234,50/);
    expect(cells("total amount").slice(1, 3)).toEqual(["needs review", "41 %"]);
    expect(cells("due date")[0]).toMatch(/2026/);
    expect(cells("due date")[1]).toBe("confirmed");
    expect(cells("po number").slice(0, 4)).toEqual(["–", "not found", "–", "–"]);
    expect(screen.getByText(/1 field needs review/)).toBeInTheDocument();

    await user.click(within(row("invoice number")).getByRole("link", { name: /^Page 1: invoice number/ }));
    const where = new URL(screen.getByTestId("where").textContent!, "http://x");
    expect(where.pathname).toBe("/documents/doc-1");
    expect(where.searchParams.get("page")).toBe("1");
    expect(where.searchParams.get("quote")).toBe('invoice number: "INV-2026-001"');
  });

  it("confirms a value and corrects one with an input suited to its type", async () => {
    const { requests } = extractionApi();
    const user = userEvent.setup();
    renderView();
    await screen.findByRole("table", { name: "Fields extracted with Supplier invoices" });

    await user.click(screen.getByRole("button", { name: "Confirm invoice number" }));
    expect(await within(row("invoice number")).findByText("confirmed")).toBeInTheDocument();
    const confirm = requests.find((request) => path(request) === "PATCH /api/v1/documents/doc-1/extractions/sch-1/fields/invoice%20number")!;
    expect(await confirm.json()).toEqual({ action: "confirm" });

    await user.click(screen.getByRole("button", { name: "Correct total amount" }));
    const input = within(row("total amount")).getByRole("textbox", { name: "Correct value of total amount" });
    expect(input).toHaveValue("1234.50 EUR");
    expect(input).toHaveAccessibleDescription("An amount and its currency, such as 1234.50 EUR.");
    await user.clear(input);
    await user.type(input, "1300.00 eur");
    await user.click(within(row("total amount")).getByRole("button", { name: "Save" }));
    expect(await within(row("total amount")).findByText("corrected")).toBeInTheDocument();
    const correct = requests.find((request) => path(request) === "PATCH /api/v1/documents/doc-1/extractions/sch-1/fields/total%20amount")!;
    expect(await correct.json()).toEqual({ action: "correct", value: { amount: "1300.00", currency: "EUR" } });
    expect(row("total amount")).toHaveTextContent(/found: .*1,234\.50|found: .*1\.234,50/);

    await user.click(screen.getByRole("button", { name: "Mark reviewed" }));
    expect(await screen.findByText(/reviewed by user-1/)).toBeInTheDocument();
    expect(requests.some((request) => path(request) === "POST /api/v1/documents/doc-1/extractions/sch-1/reviewed")).toBe(true);
  });

  it("offers no review to a viewer", async () => {
    extractionApi();
    renderView(false);
    await screen.findByRole("table", { name: "Fields extracted with Supplier invoices" });
    expect(screen.queryByRole("button", { name: /Confirm|Correct|Mark reviewed/ })).not.toBeInTheDocument();
  });
});

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { describe, expect, it } from "vitest";
import { path, problem } from "../../test/fakeApi";
import { extractionApi } from "../../test/fakeExtraction";
import SchemasPage from "./SchemasPage";

function renderPage() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={["/schemas"]}>
        <Routes>
          <Route path="/schemas" element={<SchemasPage />} />
          <Route path="/schemas/:id" element={<p>schema page</p>} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

describe("SchemasPage", () => {
  it("lists the schemas with their version, fields count, label and role", async () => {
    extractionApi();
    renderPage();
    const table = await screen.findByRole("table", { name: "Schemas" });
    const [, row] = within(table).getAllByRole("row");
    expect(within(row!).getAllByRole("cell").map((cell) => cell.textContent)).toEqual(["Supplier invoices", "1", "2", "invoice", "owner"]);
    expect(within(row!).getByRole("link", { name: "Supplier invoices" })).toHaveAttribute("href", "/schemas/sch-1");
  });

  it("defines a schema with fields added, typed, reordered and removed", async () => {
    const { requests } = extractionApi({ schemas: [] });
    const user = userEvent.setup();
    renderPage();
    await screen.findByText("No schemas yet.");
    await user.type(screen.getByRole("textbox", { name: "Schema name" }), "Invoices");
    const first = screen.getByRole("group", { name: "Field 1" });
    await user.type(within(first).getByRole("textbox", { name: "Name" }), "invoice number");
    await user.click(screen.getByRole("button", { name: "Add a field" }));
    const second = screen.getByRole("group", { name: "Field 2" });
    await user.type(within(second).getByRole("textbox", { name: "Name" }), "status");
    await user.selectOptions(within(second).getByRole("combobox", { name: "Type" }), "enum");
    await user.type(within(second).getByRole("textbox", { name: "Values (one a line)" }), "open{enter}paid");
    await user.click(within(second).getByRole("checkbox", { name: "Required" }));
    await user.click(screen.getByRole("button", { name: "Add a field" }));
    const third = screen.getByRole("group", { name: "Field 3" });
    await user.type(within(third).getByRole("textbox", { name: "Name" }), "scratch");
    await user.click(within(third).getByRole("button", { name: "Remove field" }));
    await user.click(within(screen.getByRole("group", { name: "Field 2: status" })).getByRole("button", { name: "Move up" }));
    await user.click(screen.getByRole("button", { name: "Create schema" }));

    expect(await screen.findByText("schema page")).toBeInTheDocument();
    const post = requests.find((request) => path(request) === "POST /api/v1/schemas")!;
    expect(await post.json()).toEqual({
      name: "Invoices",
      apply_to_label: null,
      review_threshold: 0.6,
      fields: [
        { name: "status", type: "enum", description: "", required: true, values: ["open", "paid"] },
        { name: "invoice number", type: "text", description: "", required: false },
      ],
    });
  });

  it("says what is wrong beside the field before asking, and shows the server's refusal beside the field it names", async () => {
    const { requests, state } = extractionApi({ schemas: [] });
    const user = userEvent.setup();
    renderPage();
    await screen.findByText("No schemas yet.");
    await user.click(screen.getByRole("button", { name: "Create schema" }));
    expect(screen.getByRole("textbox", { name: "Schema name" })).toHaveAccessibleDescription("Give the schema a name.");
    expect(within(screen.getByRole("group", { name: "Field 1" })).getByRole("textbox", { name: "Name" })).toHaveAccessibleDescription(
      "Give the field a name.",
    );
    expect(requests.some((request) => path(request) === "POST /api/v1/schemas")).toBe(false);

    state.overrides["POST /api/v1/schemas"] = () =>
      problem(422, "validation_error", { errors: [{ loc: ["body", "fields", 0, "name"], msg: "Value error, too long somehow", type: "value_error" }] });
    await user.type(screen.getByRole("textbox", { name: "Schema name" }), "Invoices");
    await user.type(within(screen.getByRole("group", { name: "Field 1" })).getByRole("textbox", { name: "Name" }), "total");
    await user.click(screen.getByRole("button", { name: "Create schema" }));
    const name = within(screen.getByRole("group", { name: "Field 1: total" })).getByRole("textbox", { name: "Name" });
    expect(await screen.findByText("too long somehow")).toBeInTheDocument();
    expect(name).toHaveAccessibleDescription("too long somehow");
    expect(name).toHaveAttribute("aria-invalid", "true");
  });
});

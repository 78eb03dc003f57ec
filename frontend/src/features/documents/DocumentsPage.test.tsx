import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";
import { aDocument, fakeApi, json } from "../../test/fakeApi";
import DocumentsPage from "./DocumentsPage";

function row(id: string, filename: string, status: string) {
  const { jobs: _jobs, sha256: _sha, pipeline: _pipeline, outputs: _outputs, ...summary } = aDocument(status, [], { id, filename });
  return summary;
}

describe("DocumentsPage", () => {
  it("asks the server for one page at a time, with the filters chosen, and pages by cursor", async () => {
    const requests = fakeApi((request) => {
      const url = new URL(request.url);
      if (url.searchParams.get("cursor") === "c2") return json({ items: [row("d3", "c.pdf", "failed")], next_cursor: null });
      return json({ items: [row("d1", "a.pdf", "ready"), row("d2", "b.png", "processing")], next_cursor: "c2" });
    });
    const user = userEvent.setup();
    render(
      <QueryClientProvider client={new QueryClient()}>
        <MemoryRouter initialEntries={["/?scope=shared"]}>
          <DocumentsPage />
        </MemoryRouter>
      </QueryClientProvider>,
    );

    const table = await screen.findByRole("table", { name: "Documents" });
    const link = await within(table).findByRole("link", { name: "a.pdf" });
    expect(link).toHaveAttribute("href", "/documents/d1");
    expect(within(table).getByRole("cell", { name: "processing" })).toBeInTheDocument();
    expect(screen.getByRole("combobox", { name: "Show" })).toHaveValue("shared");

    const first = new URL(requests[0]!.url);
    expect(first.pathname).toBe("/api/v1/documents");
    expect(Object.fromEntries(first.searchParams)).toEqual({ scope: "shared", sort: "-created_at", limit: "25" });

    await user.selectOptions(screen.getByRole("combobox", { name: "Status" }), "ready");
    await user.selectOptions(screen.getByRole("combobox", { name: "Type" }), "pdf");
    await user.selectOptions(screen.getByRole("combobox", { name: "Sort" }), "filename");
    await screen.findByText("Page 1");
    const filtered = new URL(requests.at(-1)!.url);
    expect(Object.fromEntries(filtered.searchParams)).toEqual({
      scope: "shared",
      status: "ready",
      type: "pdf",
      sort: "filename",
      limit: "25",
    });

    await user.click(screen.getByRole("button", { name: "Next page" }));
    await within(table).findByRole("link", { name: "c.pdf" });
    expect(new URL(requests.at(-1)!.url).searchParams.get("cursor")).toBe("c2");
    // Only the page on screen is rendered.
    expect(within(table).queryByRole("link", { name: "a.pdf" })).not.toBeInTheDocument();
    expect(screen.getByText("Page 2")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Next page" })).toBeDisabled();
  });
});

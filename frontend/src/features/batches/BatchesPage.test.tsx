import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it } from "vitest";
import { fakeApi, json, NOW } from "../../test/fakeApi";
import BatchesPage from "./BatchesPage";

function aSummary(id: string, filename: string) {
  return { id, filename, size_bytes: 2048, sha256: "2".repeat(64), created_at: NOW, counts: { entries: 3, created: 2, existing: 0, refused: 1 } };
}

function renderPage() {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter>
        <BatchesPage />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

describe("BatchesPage", () => {
  it("lists the batches a page at a time, each linking to its own page", async () => {
    const requests = fakeApi((request) => {
      const cursor = new URL(request.url).searchParams.get("cursor");
      return json(
        cursor === "next"
          ? { items: [aSummary("b-3", "march.zip")], next_cursor: null }
          : { items: [aSummary("b-1", "may.zip"), aSummary("b-2", "april.zip")], next_cursor: "next" },
      );
    });
    const user = userEvent.setup();
    renderPage();
    const table = await screen.findByRole("table", { name: "Batches" });
    expect(await within(table).findByRole("link", { name: "may.zip" })).toHaveAttribute("href", "/batches/b-1");
    const first = within(table).getAllByRole("row")[1]!;
    expect(within(first).getAllByRole("cell").map((cell) => cell.textContent).slice(1, 6)).toEqual(["3", "2", "0", "1", "2 KB"]);

    await user.click(screen.getByRole("button", { name: "Next page" }));
    expect(await within(table).findByRole("link", { name: "march.zip" })).toBeInTheDocument();
    expect(new URL(requests.at(-1)!.url).searchParams.get("cursor")).toBe("next");
    expect(screen.getByRole("button", { name: "Next page" })).toBeDisabled();
  });

  it("says when there are none yet", async () => {
    fakeApi(() => json({ items: [], next_cursor: null }));
    renderPage();
    expect(await screen.findByText("No batches yet.")).toBeInTheDocument();
  });
});

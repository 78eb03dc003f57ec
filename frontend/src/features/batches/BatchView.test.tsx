import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import { MemoryRouter, Route, Routes } from "react-router";
import { describe, expect, it } from "vitest";
import { fakeApi, json, path, problem } from "../../test/fakeApi";
import { aBatch } from "../../test/fakeBatches";
import BatchPage from "./BatchPage";
import { BatchView, describeCounts } from "./BatchView";

function renderAt(url: string, element: React.ReactNode) {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={[url]}>
        <Routes>
          <Route path="/batches/:id" element={element} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

describe("describeCounts", () => {
  it("says what became of the files, leaving out what did not happen", () => {
    expect(describeCounts({ entries: 4, created: 1, existing: 1, refused: 2 })).toBe(
      "4 files: 1 new document, 1 already uploaded, 2 refused.",
    );
    expect(describeCounts({ entries: 1, created: 1, existing: 0, refused: 0 })).toBe("1 file: 1 new document.");
    expect(describeCounts({ entries: 2, created: 0, existing: 0, refused: 2 })).toBe("2 files: 0 new documents, 2 refused.");
  });
});

describe("BatchView", () => {
  it("shows each document with its status and where it was in the archive, and each refusal with its reason", async () => {
    const requests = fakeApi(() => json(aBatch()));
    renderAt("/batches/batch-1", <BatchView id="batch-1" />);

    expect(await screen.findByText("4 files: 1 new document, 1 already uploaded, 2 refused.")).toBeInTheDocument();
    expect(requests.map(path)).toEqual(["GET /api/v1/batches/batch-1"]);
    const table = screen.getByRole("table", { name: "Made from harbour.zip" });
    const rows = within(table).getAllByRole("row").slice(1);
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getByRole("link", { name: "minutes.pdf" })).toHaveAttribute("href", "/documents/doc-1");
    expect(rows[0]).toHaveTextContent("board/minutes.pdf");
    expect(rows[0]).toHaveTextContent("processing");
    expect(rows[1]).toHaveTextContent("notes.txt (already uploaded)");
    expect(rows[1]).toHaveTextContent("ready");

    const refused = within(screen.getByRole("list", { name: "Refused files of harbour.zip" })).getAllByRole("listitem");
    expect(refused).toHaveLength(2);
    expect(refused[0]).toHaveTextContent("../escape.txt: The name has a part made only of dots");
    expect(refused[0]).toHaveTextContent("unsafe_name");
    expect(refused[1]).toHaveTextContent("it looks like a zip bomb");
  });

  it("says so when the batch is not the caller's", async () => {
    fakeApi(() => problem(404, "batch_not_found"));
    renderAt("/batches/batch-9", <BatchPage />);
    expect(await screen.findByRole("alert")).toHaveTextContent("This batch does not exist, or it is not yours.");
    expect(screen.getByRole("link", { name: "All batches" })).toHaveAttribute("href", "/batches");
  });

  it("names the archive on its own page", async () => {
    fakeApi(() => json(aBatch()));
    renderAt("/batches/batch-1", <BatchPage />);
    expect(await screen.findByRole("heading", { level: 1, name: "harbour.zip" })).toBeInTheDocument();
    expect(screen.getByText(/A ZIP archive of 47 KB/)).toBeInTheDocument();
  });
});

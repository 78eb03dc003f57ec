import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { aDocument, aJob, fakeApi, json } from "../../test/fakeApi";
import { FakeXhr } from "../../test/fakeXhr";
import { UploadPanel } from "./UploadPanel";

beforeEach(() => {
  FakeXhr.made = [];
  vi.stubGlobal("XMLHttpRequest", FakeXhr);
});

function renderPanel() {
  render(
    <QueryClientProvider client={new QueryClient()}>
      <MemoryRouter>
        <UploadPanel />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

describe("UploadPanel", () => {
  it("uploads every chosen file with its own progress bar, then shows its pipeline", async () => {
    fakeApi(() => json(aDocument("processing", [aJob("extract", "running"), aJob("embed", "waiting"), aJob("ai", "waiting")])));
    const user = userEvent.setup();
    renderPanel();
    const region = screen.getByRole("region", { name: "Upload documents" });
    const files = [
      new File(["%PDF-1.7"], "invoice.pdf", { type: "application/pdf" }),
      new File(["hello"], "notes.txt", { type: "text/plain" }),
    ];
    await user.upload(within(region).getByLabelText("Choose files"), files);

    const uploads = screen.getByRole("list", { name: "Uploads" });
    expect(within(uploads).getAllByRole("listitem")).toHaveLength(2);
    expect(FakeXhr.made).toHaveLength(2);
    const pdfBar = screen.getByRole("progressbar", { name: "Uploading invoice.pdf" });
    const txtBar = screen.getByRole("progressbar", { name: "Uploading notes.txt" });

    const pdfXhr = FakeXhr.made.find((x) => ((x.body as FormData).get("file") as File).name === "invoice.pdf")!;
    act(() => pdfXhr.progress(40, 100));
    expect(pdfBar).toHaveAttribute("value", "0.4");
    expect(txtBar).toHaveAttribute("value", "0");

    act(() => pdfXhr.answer(202, aDocument("queued", [aJob("extract", "queued"), aJob("embed", "waiting"), aJob("ai", "waiting")])));
    const item = within(uploads).getAllByRole("listitem").find((li) => li.textContent?.includes("invoice.pdf"))!;
    expect(await within(item).findByRole("link", { name: "invoice.pdf" })).toHaveAttribute("href", "/documents/doc-1");
    expect(pdfBar).toHaveAttribute("value", "1");
    // The poll takes over: the document's status, and one row per job.
    expect(await within(item).findByText("processing", {}, { timeout: 4000 })).toBeInTheDocument();
    expect(within(within(item).getByRole("list", { name: "Pipeline of invoice.pdf" })).getAllByRole("listitem")).toHaveLength(3);
  });

  it("says why a file was refused, and offers no retry when retrying cannot help", async () => {
    const user = userEvent.setup();
    renderPanel();
    await user.upload(screen.getByLabelText("Choose files"), [new File(["x"], "big.pdf", { type: "application/pdf" })]);
    act(() => FakeXhr.made[0]!.answer(413, { code: "file_too_large", status: 413, title: "Too large", max_bytes: 10485760 }));
    expect(await screen.findByRole("alert")).toHaveTextContent("big.pdf: The file is too large (the limit is 10 MB).");
    expect(screen.queryByRole("button", { name: "Try big.pdf again" })).not.toBeInTheDocument();
  });

  it("says when a throttled upload may be tried again, and retries it as the same upload", async () => {
    const user = userEvent.setup();
    renderPanel();
    await user.upload(screen.getByLabelText("Choose files"), [new File(["x"], "big.pdf", { type: "application/pdf" })]);
    act(() =>
      FakeXhr.made[0]!.answer(429, { code: "too_many_uploads", status: 429, title: "Slow down", retry_after: 12 }, { "Retry-After": "12" }),
    );
    expect(await screen.findByRole("alert")).toHaveTextContent("big.pdf: Too many uploads in a short time. Please try again in 12 s.");

    await user.click(screen.getByRole("button", { name: "Try big.pdf again" }));
    expect(FakeXhr.made).toHaveLength(2);
    // The retry is the same upload: same Idempotency-Key.
    expect(FakeXhr.made[1]!.headers["Idempotency-Key"]).toBe(FakeXhr.made[0]!.headers["Idempotency-Key"]);
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });
});

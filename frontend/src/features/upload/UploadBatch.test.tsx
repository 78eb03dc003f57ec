import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { fakeApi, json } from "../../test/fakeApi";
import { aBatch } from "../../test/fakeBatches";
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

describe("UploadPanel with a ZIP archive", () => {
  it("sends the archive as a batch and shows what became of each file", async () => {
    fakeApi(() => json(aBatch()));
    const user = userEvent.setup();
    renderPanel();
    const zip = new File(["PK\u0003\u0004"], "harbour.zip", { type: "application/zip" });
    await user.upload(screen.getByLabelText("Choose files"), [zip]);

    expect(FakeXhr.made).toHaveLength(1);
    const xhr = FakeXhr.made[0]!;
    expect(xhr.url).toBe("http://api.test/api/v1/batches");
    expect(((xhr.body as FormData).get("file") as File).name).toBe("harbour.zip");
    act(() => xhr.progress(50, 100));
    expect(screen.getByRole("progressbar", { name: "Uploading harbour.zip" })).toHaveAttribute("value", "0.5");

    act(() => xhr.answer(201, aBatch()));
    const item = within(screen.getByRole("list", { name: "Uploads" })).getAllByRole("listitem")[0]!;
    expect(await within(item).findByRole("link", { name: "harbour.zip" })).toHaveAttribute("href", "/batches/batch-1");
    expect(within(item).getByText("4 files: 1 new document, 1 already uploaded, 2 refused.")).toBeInTheDocument();
    expect(within(item).getByRole("link", { name: "minutes.pdf" })).toHaveAttribute("href", "/documents/doc-1");
    const refused = within(item).getByRole("list", { name: "Refused files of harbour.zip" });
    expect(refused).toHaveTextContent("bomb.txt: The entry unpacks to 1,026 times its packed size");
  });

  it("says why an archive was refused whole", async () => {
    const user = userEvent.setup();
    renderPanel();
    await user.upload(screen.getByLabelText("Choose files"), [new File(["not a zip"], "fake.zip", { type: "application/zip" })]);
    act(() => FakeXhr.made[0]!.answer(415, { code: "not_a_zip", status: 415, title: "Not a ZIP archive" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("fake.zip: That file is not a ZIP archive, though its name says it is.");
  });
});

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { describe, expect, it } from "vitest";
import { path, problem } from "../../test/fakeApi";
import { anEndpoint, FAILURE_REASON, OWNER_REASON, SECRET, webhooksApi } from "../../test/fakeWebhooks";
import WebhooksPage from "./WebhooksPage";

function renderPage() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={["/webhooks"]}>
        <Routes>
          <Route path="/webhooks" element={<WebhooksPage />} />
          <Route path="/webhooks/:id" element={<p>endpoint page</p>} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return client;
}

describe("WebhooksPage", () => {
  it("lists the endpoints with their events, state and why one was disabled", async () => {
    webhooksApi({
      endpoints: [
        anEndpoint(),
        anEndpoint({ id: "wh-2", url: "https://old.example.com/in", description: "", events: ["job.failed"], enabled: false, disabled_by: "failures", disabled_reason: FAILURE_REASON, disabled_at: "2026-11-28T09:00:00Z" }),
        anEndpoint({ id: "wh-3", url: "https://paused.example.com/in", enabled: false, disabled_by: "owner", disabled_reason: OWNER_REASON, disabled_at: "2026-11-28T09:00:00Z" }),
      ],
    });
    renderPage();
    const table = await screen.findByRole("table", { name: "Webhook endpoints" });
    const [header, first, second, third] = within(table).getAllByRole("row");
    expect(within(header!).getAllByRole("columnheader").map((cell) => cell.textContent)).toEqual(["URL", "Events", "State", "Created"]);
    expect(within(first!).getByRole("link", { name: "https://hooks.example.com/workopti" })).toHaveAttribute("href", "/webhooks/wh-1");
    expect(first).toHaveTextContent("orders system");
    expect(
      within(within(first!).getByRole("list", { name: "Events sent to https://hooks.example.com/workopti" }))
        .getAllByRole("listitem")
        .map((li) => li.textContent),
    ).toEqual(["document.ready", "document.failed"]);
    expect(within(first!).getAllByRole("cell")[2]).toHaveTextContent(/^enabled$/);
    expect(within(second!).getAllByRole("cell")[2]).toHaveTextContent("disabled");
    expect(within(second!).getAllByRole("cell")[2]).toHaveTextContent(FAILURE_REASON);
    expect(within(third!).getAllByRole("cell")[2]).toHaveTextContent(OWNER_REASON);
  });

  it("adds an endpoint and shows its secret once, with a warning and a copy button, then puts it away", async () => {
    const { requests } = webhooksApi({ endpoints: [] });
    const user = userEvent.setup();
    const client = renderPage();
    expect(await screen.findByText("No endpoints yet.")).toBeInTheDocument();

    await user.type(screen.getByRole("textbox", { name: "URL" }), " https://receiver.example.com/hooks ");
    const failed = screen.getByRole("checkbox", { name: "job.failed" });
    expect(failed).toHaveAccessibleDescription("A processing step failed for good, after its retries.");
    await user.click(failed);
    await user.click(screen.getByRole("checkbox", { name: "document.ready" }));
    await user.type(screen.getByRole("textbox", { name: "Description (optional)" }), "billing");
    await user.click(screen.getByRole("button", { name: "Add endpoint" }));

    const shown = await screen.findByRole("region", { name: "Endpoint added: https://receiver.example.com/hooks" });
    expect(shown).toHaveFocus();
    expect(shown).toHaveTextContent("Copy this signing secret now: it will not be shown again.");
    const field = within(shown).getByRole("textbox", { name: "Signing secret" });
    expect(field).toHaveValue(SECRET);
    expect(field).toHaveAttribute("readonly");
    expect(within(shown).getByRole("link", { name: "send a test event from its page" })).toHaveAttribute("href", "/webhooks/wh-new-1");

    const post = requests.find((request) => path(request) === "POST /api/v1/webhooks")!;
    // In the order the form lists them, whatever order they were ticked in.
    expect(await post.json()).toEqual({ url: "https://receiver.example.com/hooks", events: ["document.ready", "job.failed"], description: "billing" });

    await user.click(within(shown).getByRole("button", { name: "Copy" }));
    expect(await navigator.clipboard.readText()).toBe(SECRET);
    expect(within(shown).getByText("Copied to the clipboard.")).toBeInTheDocument();

    // Listed like any other endpoint, and the secret is kept nowhere but on the screen.
    const table = await screen.findByRole("table", { name: "Webhook endpoints" });
    expect(within(table).getByRole("link", { name: "https://receiver.example.com/hooks" })).toBeInTheDocument();
    expect(JSON.stringify(client.getQueryCache().getAll().map((query) => query.state.data))).not.toContain(SECRET);

    await user.click(within(shown).getByRole("button", { name: "Done" }));
    expect(screen.queryByDisplayValue(SECRET)).not.toBeInTheDocument();
    expect(screen.queryByRole("region", { name: /Endpoint added/ })).not.toBeInTheDocument();
    expect(screen.getByRole("textbox", { name: "URL" })).toHaveFocus();
    expect(screen.getByRole("textbox", { name: "URL" })).toHaveValue("");
    expect(JSON.stringify(client.getMutationCache().getAll().map((m) => m.state.data))).not.toContain(SECRET);
  }, 15000);

  it("says what is missing before asking, and shows the server's refusal at the field it is about", async () => {
    const { requests, state } = webhooksApi({ endpoints: [] });
    state.overrides["POST /api/v1/webhooks"] = () =>
      problem(422, "invalid_webhook_url", { detail: "Webhook URLs must use https." });
    const user = userEvent.setup();
    renderPage();
    await screen.findByText("No endpoints yet.");
    const add = screen.getByRole("button", { name: "Add endpoint" });
    const url = screen.getByRole("textbox", { name: "URL" });

    await user.click(add);
    expect(screen.getByRole("alert")).toHaveTextContent("Enter the URL that receives the events.");
    expect(url).toHaveAttribute("aria-invalid", "true");
    expect(url).toHaveAccessibleDescription(/Enter the URL that receives the events\./);
    await user.type(url, "receiver.example.com");
    await user.click(add);
    expect(screen.getByRole("alert")).toHaveTextContent("Enter a full URL, starting with https://.");
    await user.clear(url);
    await user.type(url, "http://receiver.example.com/in");
    await user.click(add);
    expect(screen.getByRole("alert")).toHaveTextContent("Choose at least one event.");
    expect(url).not.toHaveAttribute("aria-invalid");
    expect(screen.getByRole("group", { name: "Events" })).toHaveAccessibleDescription("Choose at least one event.");
    expect(requests.filter((request) => request.method === "POST")).toHaveLength(0);

    await user.click(screen.getByRole("checkbox", { name: "document.ready" }));
    await user.click(add);
    expect(await screen.findByRole("alert")).toHaveTextContent("Webhook URLs must use https.");
    expect(url).toHaveAttribute("aria-invalid", "true");
    expect(url).toHaveAccessibleDescription(/Webhook URLs must use https\./);
    expect(requests.filter((request) => request.method === "POST")).toHaveLength(1);

    state.overrides["POST /api/v1/webhooks"] = () =>
      problem(422, "validation_error", {
        errors: [{ loc: ["body", "description"], msg: "String should have at most 500 characters", type: "string_too_long" }],
      });
    await user.click(add);
    await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent("Description: String should have at most 500 characters."));
    expect(screen.getByRole("textbox", { name: "Description (optional)" })).toHaveAttribute("aria-invalid", "true");
    expect(url).not.toHaveAttribute("aria-invalid");

    state.overrides["POST /api/v1/webhooks"] = () =>
      problem(422, "webhook_address_refused", { detail: "Webhooks cannot be sent to that address." });
    await user.click(add);
    await waitFor(() => expect(screen.getByRole("alert")).toHaveTextContent("Webhooks cannot be sent to that address."));
    expect(url).toHaveAttribute("aria-invalid", "true");
  }, 15000);
});

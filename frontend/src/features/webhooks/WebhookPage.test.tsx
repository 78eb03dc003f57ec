import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes, useLocation } from "react-router";
import { describe, expect, it } from "vitest";
import { path, problem } from "../../test/fakeApi";
import { aDelivery, anAttempt, anEndpoint, FAILURE_REASON, ROTATED, webhooksApi } from "../../test/fakeWebhooks";
import WebhookPage from "./WebhookPage";

function WebhooksList() {
  const state = useLocation().state as { deleted?: string } | null;
  return <p>webhooks list{state?.deleted ? `, deleted ${state.deleted}` : ""}</p>;
}

function renderPage(id = "wh-1") {
  const root = document.createElement("div");
  root.id = "root";
  document.body.append(root);
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const view = render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[`/webhooks/${id}`]}>
        <Routes>
          <Route path="/webhooks" element={<WebhooksList />} />
          <Route path="/webhooks/:id" element={<WebhookPage />} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
    { container: root },
  );
  return { client, root, view };
}

const LOG = [
  aDelivery("d-5", "pending", { created_at: "2026-11-28T10:05:00Z" }),
  aDelivery("d-4", "retrying", { created_at: "2026-11-28T10:04:00Z", attempts: 2 }),
  aDelivery("d-3", "dead", { created_at: "2026-11-28T10:03:00Z", event_type: "job.failed", attempts: 8, last_status_code: null, last_error: "no answer within 10 s", last_duration_ms: 10004 }),
  aDelivery("d-2", "delivered", { created_at: "2026-11-28T10:02:00Z", last_duration_ms: 1830 }),
];

function rowOf(table: HTMLElement, text: string) {
  return within(table).getAllByRole("row").find((row) => row.textContent?.includes(text))!;
}

describe("WebhookPage", () => {
  it("shows the endpoint and its deliveries, newest first, with status, event, attempts, response, duration and time", async () => {
    webhooksApi({ deliveries: { "wh-1": [...LOG] } });
    const { root } = renderPage();
    expect(await screen.findByRole("heading", { level: 1, name: "https://hooks.example.com/workopti" })).toBeInTheDocument();
    const details = screen.getByRole("region", { name: "Endpoint" });
    expect(details).toHaveTextContent("enabled");
    expect(details).toHaveTextContent("orders system");

    const table = await screen.findByRole("table", { name: "Deliveries" });
    const [header, ...rows] = within(table).getAllByRole("row");
    expect(within(header!).getAllByRole("columnheader").map((cell) => cell.textContent)).toEqual([
      "Status",
      "Event",
      "Attempts",
      "Response",
      "Duration",
      "Time",
      "Actions",
    ]);
    const cells = rows.map((row) => within(row).getAllByRole("cell").slice(0, 5).map((cell) => cell.textContent));
    expect(cells[0]).toEqual(["pending", "document.ready", "0", "–", "–"]);
    expect(cells[1]![0]).toMatch(/^retrying next try /);
    expect(cells[1]!.slice(1)).toEqual(["document.ready", "2", "500", "42 ms"]);
    expect(cells[2]).toEqual(["dead", "job.failed", "8", "no answer", "10 s"]);
    expect(cells[3]).toEqual(["delivered", "document.ready", "1", "200", "1.8 s"]);
    expect(within(rows[0]!).getAllByRole("cell")[5]!.querySelector("time")).toHaveAttribute("dateTime", "2026-11-28T10:05:00Z");
    root.remove();
  });

  it("opens a delivery to its attempts and payload, and redelivers it", async () => {
    const { requests, state } = webhooksApi({
      deliveries: { "wh-1": [...LOG] },
      attempts: {
        "d-3": [anAttempt(1, 500), anAttempt(2, null, { error: "no answer within 10 s", duration_ms: 10004 })],
      },
    });
    const user = userEvent.setup();
    const { root } = renderPage();
    const table = await screen.findByRole("table", { name: "Deliveries" });
    const dead = rowOf(table, "job.failed");

    const open = within(dead).getByRole("button", { name: /^Details of job\.failed at / });
    expect(open).toHaveAttribute("aria-expanded", "false");
    await user.click(open);
    expect(open).toHaveAttribute("aria-expanded", "true");
    const attempts = await screen.findByRole("list", { name: /^Attempts of job\.failed at / });
    const items = within(attempts).getAllByRole("listitem");
    expect(items[0]).toHaveTextContent(/^Attempt 1: HTTP 500 in 42 ms, /);
    expect(items[0]).toHaveTextContent("receiver broke");
    expect(items[1]).toHaveTextContent(/^Attempt 2: no answer in 10 s, .*no answer within 10 s$/);
    expect(document.getElementById(open.getAttribute("aria-controls")!)).toHaveTextContent('"document_id": "doc-1"');
    expect(document.getElementById(open.getAttribute("aria-controls")!)).toHaveTextContent("msg_d-3");

    await user.click(within(dead).getByRole("button", { name: /^Redeliver job\.failed of / }));
    await waitFor(() => expect(within(rowOf(table, "job.failed")).getAllByRole("cell")[0]).toHaveTextContent("pending"));
    expect(requests.map(path)).toContain("POST /api/v1/webhooks/wh-1/deliveries/d-3/redeliver");
    expect(screen.getByText(/^Sending job\.failed of .* again\.$/)).toBeInTheDocument();

    // Being sent right now: the server says so, and the log is fetched again.
    state.overrides["POST /api/v1/webhooks/wh-1/deliveries/d-2/redeliver"] = () => problem(409, "delivery_in_flight");
    const listed = requests.length;
    await user.click(within(rowOf(table, "1.8 s")).getByRole("button", { name: /^Redeliver/ }));
    expect(await screen.findByRole("alert")).toHaveTextContent("That delivery is being sent right now; look again in a moment.");
    await waitFor(() => expect(requests.slice(listed).map(path)).toContain("GET /api/v1/webhooks/wh-1/deliveries"));
    root.remove();
  }, 15000);

  it("fetches the log again every few seconds while a delivery is on its way, and stops once all are done", async () => {
    const { requests, state } = webhooksApi({ deliveries: { "wh-1": [aDelivery("d-1", "pending")] } });
    const { root } = renderPage();
    const table = await screen.findByRole("table", { name: "Deliveries" });
    state.deliveries["wh-1"] = [aDelivery("d-1", "delivered", { attempts: 1 })];
    await waitFor(() => expect(within(rowOf(table, "document.ready")).getAllByRole("cell")[0]).toHaveTextContent("delivered"), {
      timeout: 8000,
    });
    const fetched = requests.filter((request) => path(request) === "GET /api/v1/webhooks/wh-1/deliveries").length;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(requests.filter((request) => path(request) === "GET /api/v1/webhooks/wh-1/deliveries")).toHaveLength(fetched);
    root.remove();
  }, 15000);

  it("loads more with the cursor, and filters by status", async () => {
    const many = Array.from({ length: 30 }, (_, i) =>
      aDelivery(`d-${i}`, i % 2 ? "delivered" : "dead", { created_at: new Date(Date.UTC(2026, 10, 28, 10, 0, 59 - i)).toISOString() }),
    );
    const { requests } = webhooksApi({ deliveries: { "wh-1": many } });
    const user = userEvent.setup();
    const { root } = renderPage();
    const table = await screen.findByRole("table", { name: "Deliveries" });
    expect(within(table).getAllByRole("row")).toHaveLength(26);

    await user.click(screen.getByRole("button", { name: "Load more" }));
    await waitFor(() => expect(within(table).getAllByRole("row")).toHaveLength(31));
    expect(screen.queryByRole("button", { name: "Load more" })).not.toBeInTheDocument();
    const more = requests.filter((request) => new URL(request.url).searchParams.get("cursor"));
    expect(new URL(more[0]!.url).searchParams.get("cursor")).toBe("d-24");

    const filter = screen.getByRole("combobox", { name: "Status" });
    expect(filter).toHaveAccessibleDescription(/dead: every attempt failed/);
    await user.selectOptions(filter, "dead");
    await waitFor(() => expect(within(screen.getByRole("table", { name: "Deliveries" })).getAllByRole("row")).toHaveLength(16));
    expect(new URL(requests.at(-1)!.url).searchParams.get("status")).toBe("dead");
    await user.selectOptions(filter, "sending");
    expect(await screen.findByText("No sending deliveries.")).toBeInTheDocument();
    root.remove();
  }, 15000);

  it("sends a test event, which appears first in the log", async () => {
    const { requests } = webhooksApi({ deliveries: { "wh-1": [aDelivery("d-2", "delivered")] } });
    const user = userEvent.setup();
    const { root } = renderPage();
    await screen.findByRole("table", { name: "Deliveries" });
    await user.click(screen.getByRole("button", { name: "Send test event" }));
    const table = screen.getByRole("table", { name: "Deliveries" });
    await waitFor(() => expect(within(table).getAllByRole("row")[1]).toHaveTextContent("webhook.test"));
    expect(within(table).getAllByRole("row")[1]).toHaveTextContent("pending");
    expect(requests.map(path)).toContain("POST /api/v1/webhooks/wh-1/test");
    expect(screen.getByText("Test event queued: it is listed under Deliveries.")).toBeInTheDocument();
    root.remove();
  });

  it("edits, disables and enables the endpoint", async () => {
    const { requests } = webhooksApi();
    const user = userEvent.setup();
    const { root } = renderPage();
    await screen.findByRole("heading", { level: 1 });

    await user.click(screen.getByRole("button", { name: "Edit" }));
    const url = screen.getByRole("textbox", { name: "URL" });
    expect(url).toHaveFocus();
    expect(url).toHaveValue("https://hooks.example.com/workopti");
    expect(screen.getByRole("checkbox", { name: "document.failed" })).toBeChecked();
    await user.click(screen.getByRole("checkbox", { name: "document.deleted" }));
    await user.click(screen.getByRole("button", { name: "Save changes" }));
    await waitFor(() => expect(screen.getByRole("button", { name: "Edit" })).toHaveFocus());
    const patch = requests.find((request) => request.method === "PATCH")!;
    // Only what changed is sent.
    expect(await patch.json()).toEqual({ events: ["document.ready", "document.failed", "document.deleted"] });
    expect(screen.getByRole("list", { name: "Events" })).toHaveTextContent("document.deleted");

    await user.click(screen.getByRole("button", { name: "Disable" }));
    const details = screen.getByRole("region", { name: "Endpoint" });
    await waitFor(() => expect(details).toHaveTextContent("Disabled by its owner."));
    expect(screen.getByRole("button", { name: "Send test event" })).toBeDisabled();
    expect(screen.getByRole("button", { name: "Send test event" })).toHaveAccessibleDescription("Enable the endpoint to send a test event or redeliver.");
    await user.click(screen.getByRole("button", { name: "Enable" }));
    await waitFor(() => expect(screen.getByRole("button", { name: "Send test event" })).toBeEnabled());
    const bodies = await Promise.all(requests.filter((request) => request.method === "PATCH").slice(1).map((request) => request.json()));
    expect(bodies).toEqual([{ enabled: false }, { enabled: true }]);
    root.remove();
  }, 15000);

  it("says why an endpoint was disabled after failed deliveries, and offers no redelivery until it is enabled", async () => {
    webhooksApi({
      endpoints: [anEndpoint({ enabled: false, disabled_by: "failures", disabled_reason: FAILURE_REASON, disabled_at: "2026-11-28T09:00:00Z" })],
      deliveries: { "wh-1": [aDelivery("d-3", "dead")] },
    });
    const { root } = renderPage();
    const details = await screen.findByRole("region", { name: "Endpoint" });
    expect(details).toHaveTextContent(FAILURE_REASON);
    expect(details).toHaveTextContent("No new events are sent to this endpoint while it is disabled.");
    const table = await screen.findByRole("table", { name: "Deliveries" });
    expect(within(table).getByRole("button", { name: /^Redeliver/ })).toBeDisabled();
    root.remove();
  });

  it("rotates the secret after confirming and shows the new one once, with how long the old one signs", async () => {
    const { requests } = webhooksApi();
    const user = userEvent.setup();
    const { client, root } = renderPage();
    await screen.findByRole("heading", { level: 1 });
    await user.click(screen.getByRole("button", { name: "Rotate secret" }));
    const dialog = screen.getByRole("dialog", { name: "Rotate the signing secret?" });
    expect(within(dialog).getByRole("button", { name: "Cancel" })).toHaveFocus();
    await user.click(within(dialog).getByRole("button", { name: "Rotate secret" }));

    const shown = await screen.findByRole("region", { name: "New signing secret" });
    await waitFor(() => expect(shown).toHaveFocus());
    expect(within(shown).getByRole("textbox", { name: "Signing secret" })).toHaveValue(ROTATED);
    expect(shown).toHaveTextContent("it will not be shown again");
    expect(shown.querySelector("time")).toHaveAttribute("dateTime", "2026-11-29T10:00:00Z");
    expect(shown).toHaveTextContent(/The previous secret signs requests too until .*: switch your receiver to the new one before then\./);
    expect(requests.map(path)).toContain("POST /api/v1/webhooks/wh-1/rotate-secret");
    expect(JSON.stringify(client.getQueryCache().getAll().map((query) => query.state.data))).not.toContain(ROTATED);

    await user.click(within(shown).getByRole("button", { name: "Done" }));
    expect(screen.queryByDisplayValue(ROTATED)).not.toBeInTheDocument();
    root.remove();
  }, 15000);

  it("deletes the endpoint after confirming, and goes back to the list", async () => {
    const { requests } = webhooksApi();
    const user = userEvent.setup();
    const { root } = renderPage();
    await screen.findByRole("heading", { level: 1 });
    const opener = screen.getByRole("button", { name: "Delete" });
    await user.click(opener);
    let dialog = screen.getByRole("dialog", { name: "Delete this endpoint?" });
    expect(dialog).toHaveTextContent("its delivery log is deleted with it");
    await user.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(opener).toHaveFocus();
    expect(requests.filter((request) => request.method === "DELETE")).toHaveLength(0);

    await user.click(opener);
    dialog = screen.getByRole("dialog", { name: "Delete this endpoint?" });
    await user.click(within(dialog).getByRole("button", { name: "Delete" }));
    expect(await screen.findByText("webhooks list, deleted https://hooks.example.com/workopti")).toBeInTheDocument();
    expect(requests.map(path)).toContain("DELETE /api/v1/webhooks/wh-1");
    root.remove();
  }, 15000);

  it("says so when the endpoint does not exist", async () => {
    webhooksApi({ endpoints: [] });
    const { root } = renderPage("wh-gone");
    expect(await screen.findByRole("heading", { level: 1, name: "Endpoint not found" })).toBeInTheDocument();
    expect(screen.getByRole("alert")).toHaveTextContent("That webhook endpoint does not exist any more; it may have been deleted.");
    root.remove();
  });
});

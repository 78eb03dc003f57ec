import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, render, screen, waitFor, within } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { fakeApi, json, path, problem } from "../../test/fakeApi";
import { anEndpoint, FAILURE_REASON, OWNER_REASON, webhooksApi } from "../../test/fakeWebhooks";
import { DisabledWebhooksBanner } from "./DisabledWebhooksBanner";

function renderBanner() {
  const client = new QueryClient();
  return render(
    <QueryClientProvider client={client}>
      <MemoryRouter>
        <DisabledWebhooksBanner />
        <p>page</p>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

const FAILED = anEndpoint({ id: "wh-2", url: "https://old.example.com/in", enabled: false, disabled_by: "failures", disabled_reason: FAILURE_REASON, disabled_at: "2026-11-28T09:00:00Z" });
const PAUSED = anEndpoint({ id: "wh-3", url: "https://paused.example.com/in", enabled: false, disabled_by: "owner", disabled_reason: OWNER_REASON, disabled_at: "2026-11-28T09:00:00Z" });

describe("DisabledWebhooksBanner", () => {
  it("tells of an endpoint disabled after failed deliveries, why, and where to fix it", async () => {
    webhooksApi({ endpoints: [anEndpoint(), FAILED, PAUSED] });
    renderBanner();
    const banner = await screen.findByRole("region", { name: "Webhooks need attention" });
    expect(banner).toHaveTextContent("A webhook endpoint was disabled: https://old.example.com/in.");
    expect(banner).toHaveTextContent(FAILURE_REASON);
    expect(banner).not.toHaveTextContent("paused.example.com");
    expect(within(banner).getByRole("link", { name: "Review webhooks" })).toHaveAttribute("href", "/webhooks/wh-2");
  });

  it("counts several, and leads to the list of endpoints", async () => {
    webhooksApi({ endpoints: [FAILED, { ...FAILED, id: "wh-4", url: "https://other.example.com/in" }] });
    renderBanner();
    const banner = await screen.findByRole("region", { name: "Webhooks need attention" });
    expect(banner).toHaveTextContent("2 webhook endpoints were disabled after their deliveries kept failing.");
    expect(within(banner).getByRole("link", { name: "Review webhooks" })).toHaveAttribute("href", "/webhooks");
  });

  it("says nothing when every endpoint works or was disabled by its owner, or when the list cannot be had", async () => {
    const { requests } = webhooksApi({ endpoints: [anEndpoint(), PAUSED] });
    renderBanner();
    await waitFor(() => expect(requests.map(path)).toEqual(["GET /api/v1/webhooks"]));
    await screen.findByText("page");
    expect(screen.queryByRole("region", { name: "Webhooks need attention" })).not.toBeInTheDocument();

    const failing = fakeApi(() => problem(503, "database_unavailable"));
    renderBanner();
    await waitFor(() => expect(failing).toHaveLength(1));
    expect(screen.queryByRole("region")).not.toBeInTheDocument();
    expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  });

  it("asks once, and again when the tab is shown again after some minutes", async () => {
    let items = [anEndpoint()];
    const requests = fakeApi((request) => {
      if (path(request) === "GET /api/v1/webhooks") return json({ items });
      throw new Error(`unexpected ${path(request)}`);
    });
    renderBanner();
    await waitFor(() => expect(requests).toHaveLength(1));
    const shown = () => act(() => document.dispatchEvent(new Event("visibilitychange", { bubbles: true })));

    // Back soon after: the answer is fresh enough.
    shown();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(requests).toHaveLength(1);

    items = [anEndpoint(), FAILED];
    const later = vi.spyOn(Date, "now").mockReturnValue(Date.now() + 6 * 60_000);
    try {
      shown();
      expect(await screen.findByRole("region", { name: "Webhooks need attention" })).toBeInTheDocument();
      expect(requests).toHaveLength(2);
    } finally {
      later.mockRestore();
    }
  });
});
